/*
 * Tests of the viewer's branches of history (viz/branch.c): under Xvfb, a node
 * crashed by hand after stepping back starts a new branch (the scenario is run
 * again from the start); the viewer's own check that the new branch's records
 * before the fork equal the old branch's held (the "prefix" of the state line)
 * and covers at least every record up to the picture; the old branch is still
 * there, read-only, with all its records; the new branch is live; the schedule
 * saved from it replays (DSIM_VIZ_FAULTS, or pasted into a Lua scenario) to the
 * trace hash of the live branch. Also: the record comparison the check uses.
 *
 * The binary under test is $DSIM (default ./dsim).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "viz/app.h"
#include "tests/viz_test.h"


START_TEST(test_branch_after_back)
{
    if (system("command -v xvfb-run >/dev/null 2>&1") != 0) return;   /* no Xvfb: skipped */
    char plain[17], live[17], again[17], cmd[1024];
    make_tmp();
    snprintf(cmd, sizeof(cmd), "%s run broadcast", dsim_bin());
    free(run(cmd, plain));
    snprintf(cmd, sizeof(cmd), "DSIM_VIZ_SAVE=%s/hand DSIM_VIZ_SCRIPT='faster;faster;faster;until 420ms;pause;"
             "step;step;step;dump;back;back;back;back;back;dump;click n2;wait 2;dump;branch;dump;branch;dump;"
             "play;until 700ms;pause;dump;save;quit' xvfb-run -a %s run broadcast --viz 2>&1", tmp, dsim_bin());
    char *out = run(cmd, live);
    state_line s0 = state_at(out, 0), s1 = state_at(out, 1), s2 = state_at(out, 2), s3 = state_at(out, 3),
               s4 = state_at(out, 4), s5 = state_at(out, 5);
    ck_assert_uint_eq(s0.branches, 1);
    ck_assert_uint_eq(s1.applied, s0.applied - 5);              /* stepped back 5 records */
    ck_assert_uint_eq(s2.branches, 2);                           /* the crash made branch 2 ... */
    ck_assert_uint_eq(s2.shown, 2);                              /* ... which is shown, live */
    ck_assert_ptr_nonnull(strstr(s2.nodes, "n2:down"));
    ck_assert_uint_eq(s2.hand, 1);
    ck_assert_int_eq(s2.paused, 1);
    ck_assert_msg(s2.t > s1.t && s2.t < s1.t + 64, "fork at %lld, picture was at %lld", s2.t, s1.t);
    ck_assert_msg(s2.prefix >= (long)s1.applied, "only %ld records checked equal (%zu shown)", s2.prefix, s1.applied);
    ck_assert_ptr_null(strstr(out, "BRANCH MISMATCH"));
    ck_assert_uint_eq(s3.shown, 1);                              /* b: the old branch, intact */
    ck_assert_uint_eq(s3.records, s0.records);
    ck_assert_uint_eq(s3.applied, (size_t)s2.prefix);
    ck_assert_ptr_nonnull(strstr(s3.nodes, "n2:up"));
    ck_assert_uint_eq(s3.hand, 0);
    ck_assert_uint_eq(s4.shown, 2);                              /* b: back to the live one */
    ck_assert_uint_eq(s4.records, s2.records);
    ck_assert_ptr_nonnull(strstr(s4.nodes, "n2:down"));
    ck_assert_uint_eq(s5.shown, 2);                              /* it plays on, live */
    ck_assert_msg(s5.t >= 700000000 && s5.records > s4.records, "t=%lld records=%zu", s5.t, s5.records);
    ck_assert_str_ne(live, plain);                               /* the summary is that of branch 2 */
    free(out);
    snprintf(cmd, sizeof(cmd), "test \"$(grep -c 'dsim.crash(\"n2\")' %s/hand.lua)\" = 1 && grep -q '\"t\":.%lld,' "
             "%s/hand.json", tmp, s2.t, tmp);
    ck_assert_int_eq(system(cmd), 0);                            /* one fault, at the fork */
    snprintf(cmd, sizeof(cmd), "DSIM_VIZ_FAULTS=%s/hand.json %s run broadcast --frames %s/f --fps 1 2>/dev/null",
             tmp, dsim_bin(), tmp);
    free(run(cmd, again));
    ck_assert_str_eq(again, live);                               /* the branch's schedule replays it */
    drop_tmp();
}
END_TEST

START_TEST(test_branch_lua_replays)
{
    if (system("command -v xvfb-run >/dev/null 2>&1") != 0 || access("scenarios/gossip.lua", R_OK) != 0) return;
    char live[17], again[17], cmd[1024];
    make_tmp();
    snprintf(cmd, sizeof(cmd), "DSIM_VIZ_SAVE=%s/hand DSIM_VIZ_SCRIPT='faster;until 100ms;pause;click n3;play;"
             "until 150ms;pause;back;back;back;back;click n3;wait 2;dump;drag n4 n5;play;until 250ms;pause;key h;"
             "save;quit' xvfb-run -a %s run scenarios/gossip.lua --viz 2>&1", tmp, dsim_bin());
    char *out = run(cmd, live);
    state_line s0 = state_at(out, 0);
    ck_assert_uint_eq(s0.branches, 2);
    ck_assert_ptr_nonnull(strstr(s0.nodes, "n3:up"));            /* restarted in the new branch */
    ck_assert_uint_eq(s0.hand, 2);                               /* the crash before the fork, the restart */
    ck_assert_int_gt(s0.prefix, 0);
    ck_assert_ptr_null(strstr(out, "BRANCH MISMATCH"));
    free(out);
    snprintf(cmd, sizeof(cmd), "awk '/^dsim.run\\(/ { while ((getline l < \"%s/hand.lua\") > 0) print l } "
             "{ print }' scenarios/gossip.lua > %s/replay.lua && %s run %s/replay.lua", tmp, tmp, dsim_bin(), tmp);
    free(run(cmd, again));
    ck_assert_str_eq(again, live);               /* the Lua schedule replays the live branch */
    drop_tmp();
}
END_TEST

START_TEST(test_record_equality)
{
    char hash[17], cmd[512], path[128], err[200];
    make_tmp();
    snprintf(path, sizeof(path), "%s/t.jsonl", tmp);
    snprintf(cmd, sizeof(cmd), "%s run broadcast --trace %s", dsim_bin(), path);
    free(run(cmd, hash));
    viz_store a, b;
    viz_store_init(&a);
    viz_store_init(&b);
    ck_assert_int_eq(viz_store_load_jsonl(&a, path, err, sizeof(err)), 0);
    ck_assert_int_eq(viz_store_load_jsonl(&b, path, err, sizeof(err)), 0);
    ck_assert_uint_gt(a.count, 100);
    for (size_t i = 0; i < a.count; i++) ck_assert(viz_rec_equal(&a, &a.recs[i], &b, &b.recs[i]));
    ck_assert(!viz_rec_equal(&a, &a.recs[10], &b, &b.recs[11]));
    viz_rec r = b.recs[50];
    r.num1++;
    ck_assert(!viz_rec_equal(&a, &a.recs[50], &b, &r));
    r = b.recs[50];
    r.detail = "something else";
    ck_assert(!viz_rec_equal(&a, &a.recs[50], &b, &r));
    viz_store_free(&a);
    viz_store_free(&b);
    drop_tmp();
}
END_TEST

Suite *viz_branch_suite(void);

Suite *viz_branch_suite(void)
{
    Suite *s = suite_create("viz_branch");
    TCase *window = tcase_create("window");
    tcase_set_timeout(window, 120);
    tcase_add_test(window, test_branch_after_back);
    tcase_add_test(window, test_branch_lua_replays);
    tcase_add_test(window, test_record_equality);
    suite_add_tcase(s, window);
    return s;
}
