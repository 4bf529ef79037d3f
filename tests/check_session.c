/*
 * Tests of the session checkers (sim/check/session.h) and of the op ids a failed
 * check hands the viewer: hand-made histories (a stale read after the process's
 * own write breaks read-your-writes, a read going back in time breaks monotonic
 * reads, correct histories pass, other processes' writes do not count, a write
 * that timed out may land late), the CLI (`dsim check FILE --check ...`) on a
 * trace of scenarios/replication/stale_read.lua, the Lua binding dsim.session
 * (it agrees with lua/dsim/session.lua read for read on the stale-read stores,
 * over several seeds), and the viewer: replaying a split-brain run that
 * dsim.linearizable catches, the ops its " [ops ...]" names are marked and drawn
 * in magenta on the timeline once the failed check is in the picture, not before.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/check/lincheck.h"
#include "sim/check/session.h"
#include "tests/cli.h"
#include "viz/app.h"

/* JSONL trace lines: invoke at t (ms) and complete at t2 (ms). */
#define INV(id, node, t, f, args) \
    "{\"t\":" #t "000000,\"ev\":\"invoke\",\"node\":\"" node "\",\"id\":" #id ",\"f\":\"" f "\",\"args\":" args "}\n"
#define RET(id, t, outcome, result) \
    "{\"t\":" #t "000000,\"ev\":\"complete\",\"id\":" #id ",\"outcome\":\"" outcome "\",\"result\":" result "}\n"
#define W(id, node, t, t2, v) INV(id, node, t, "write", "{\"key\":1,\"value\":" #v "}") RET(id, t2, "ok", "null")
#define R(id, node, t, t2, v) INV(id, node, t, "read", "{\"key\":1}") RET(id, t2, "ok", "{\"value\":" #v "}")

static sim_session_result check(const char *text, unsigned checks)
{
    sim_session_options o = { .checks = checks };
    sim_session_result r;
    int rc = sim_session_check_text(text, strlen(text), "h", &o, &r);
    ck_assert_msg(rc == 0, "%s", r.error);
    return r;
}

START_TEST(stale_read_after_own_write_breaks_ryw)
{
    /* c1 writes 1 and is told ok, then reads nil; c2 wrote 2 long before c1's write. */
    sim_session_result r = check(W(1, "c2", 1, 2, 2) W(2, "c1", 10, 20, 1) R(3, "c1", 30, 40, null)
                                 R(4, "c1", 50, 60, 2), SIM_SESSION_BOTH);
    ck_assert(!r.ok);
    ck_assert_int_eq(r.count[0], 2);               /* nil, then 2: both older than c1's own 1 */
    ck_assert_int_eq(r.reads, 2);
    ck_assert_str_eq(r.line[0], "read-your-writes: 2 of 2 reads violate it; first: op 3 (c1 read key 1 at "
                     "0.030s) returned nil, but c1's write op 2 of 1 completed at 0.020s");
    ck_assert_int_eq(r.bad[0].op, 3);
    ck_assert_int_eq(r.bad[0].cause, 2);
    ck_assert_str_eq(r.bad[1].value, "2");
    ck_assert_int_eq(r.op_id_count, 2);
    ck_assert_int_eq(r.op_ids[0], 2);
    ck_assert_int_eq(r.op_ids[1], 3);
    sim_session_result_free(&r);
}
END_TEST

START_TEST(others_writes_do_not_count_for_ryw)
{
    /* c2 never wrote: its stale read breaks no promise made to it. c1 reads a 2
     * that c3 was still writing when c1 wrote 1: it may be newer, no violation.
     * A failed write promises nothing either. */
    sim_session_result r = check(W(1, "c1", 1, 10, 1) R(2, "c2", 20, 30, null) INV(3, "c3", 5, "write",
                                 "{\"key\":1,\"value\":2}") RET(3, 50, "ok", "null") R(4, "c1", 20, 30, 2)
                                 INV(5, "c2", 60, "write", "{\"key\":1,\"value\":7}") RET(5, 61, "fail", "null")
                                 R(6, "c2", 70, 80, 2), SIM_SESSION_RYW);
    ck_assert_msg(r.ok, "%s", r.summary);
    ck_assert_str_eq(r.summary, "read-your-writes: 3 reads, none violates it");
    ck_assert_str_eq(r.line[1], "");
    ck_assert_int_eq(r.op_id_count, 0);
    sim_session_result_free(&r);
    /* A write that timed out was never acknowledged: reading past it is no violation. */
    r = check(INV(1, "c1", 1, "write", "{\"key\":1,\"value\":1}") RET(1, 500, "unknown", "null")
              R(2, "c1", 600, 610, null), SIM_SESSION_RYW);
    ck_assert_msg(r.ok, "%s", r.summary);
    sim_session_result_free(&r);
    /* With a clients filter that leaves c3 out, nothing explains c1's 2 any more. */
    const char *only[] = { "c1", "c2" };
    sim_session_options o = { .checks = SIM_SESSION_RYW, .clients = only, .nclients = 2 };
    const char *text = W(1, "c1", 1, 10, 1) INV(3, "c3", 5, "write", "{\"key\":1,\"value\":2}")
        RET(3, 50, "ok", "null") R(4, "c1", 20, 30, 2);
    ck_assert_int_eq(sim_session_check_text(text, strlen(text), "h", &o, &r), 0);
    ck_assert_int_eq(r.count[0], 1);
    ck_assert_int_eq(r.ops, 2);
    sim_session_result_free(&r);
}
END_TEST

START_TEST(read_going_back_in_time_breaks_monotonic_reads)
{
    /* 1 was written and done before 2 was written: reading 2 then 1 goes back. */
    sim_session_result r = check(W(1, "w", 1, 5, 1) W(2, "w", 10, 15, 2) R(3, "c1", 20, 25, 2)
                                 R(4, "c1", 30, 35, 1), SIM_SESSION_BOTH);
    ck_assert(!r.ok);
    ck_assert_int_eq(r.count[0], 0);
    ck_assert_int_eq(r.count[1], 1);
    ck_assert_str_eq(r.line[1], "monotonic-reads: 1 of 2 reads violate it; first: op 4 (c1 read key 1 at "
                     "0.030s) returned 1, older than the 2 its read op 3 returned at 0.025s");
    ck_assert_int_eq(r.bad[0].check, SIM_SESSION_MR);
    ck_assert_int_eq(r.bad[0].cause, 3);
    sim_session_result_free(&r);
    /* Forwards is fine; so is going back to a value that another write (one that
     * timed out, so it may land any time) could have brought back. Nil after a
     * value is always older. */
    r = check(W(1, "w", 1, 5, 1) W(2, "w", 10, 15, 2) R(3, "c1", 6, 8, 1) R(4, "c1", 20, 25, 2), 0);
    ck_assert_msg(r.ok, "%s", r.summary);
    sim_session_result_free(&r);
    r = check(W(1, "w", 1, 5, 1) W(2, "w", 10, 15, 2) INV(5, "u", 3, "write", "{\"key\":1,\"value\":1}")
              RET(5, 900, "unknown", "null") R(3, "c1", 20, 25, 2) R(4, "c1", 30, 35, 1), SIM_SESSION_MR);
    ck_assert_msg(r.ok, "%s", r.summary);
    sim_session_result_free(&r);
    r = check(W(1, "w", 1, 5, 1) R(3, "c1", 20, 25, 1) R(4, "c1", 30, 35, null), SIM_SESSION_MR);
    ck_assert_int_eq(r.count[1], 1);
    sim_session_result_free(&r);
}
END_TEST

START_TEST(malformed_histories_are_errors)
{
    sim_session_result r;
    const char *text = INV(1, "c1", 1, "append", "{\"key\":1,\"value\":\"a\"}") RET(1, 2, "ok", "null");
    ck_assert_int_eq(sim_session_check_text(text, strlen(text), "h", NULL, &r), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(r.error, "append"));
    ck_assert_int_eq(sim_session_check_file("/nonexistent/h.jsonl", NULL, &r), SIM_ENOENT);
    unsigned bits;
    ck_assert_int_eq(sim_session_checks_parse("both", &bits), 0);
    ck_assert_int_eq(bits, SIM_SESSION_BOTH);
    ck_assert_int_eq(sim_session_checks_parse("linearizable", &bits), SIM_EINVAL);
    char buf[64];
    uint64_t ids[] = { 35, 37 };
    ck_assert_int_eq(sim_lin_ops_format(ids, 2, buf, sizeof(buf)), 12);
    ck_assert_str_eq(buf, " [ops 35 37]");
    ck_assert_int_eq(sim_lin_ops_format(ids, 2, buf, 6), 12);   /* cut short, still a string */
    ck_assert_str_eq(buf, " [ops");
    ck_assert_int_eq(sim_lin_ops_format(ids, 0, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- the CLI on a recorded run ------------------------------------------------- */

START_TEST(cli_checks_the_stale_read_trace)
{
    char trace[64], cmd[200];
    snprintf(trace, sizeof(trace), "/tmp/dsim-session-%d.jsonl", (int)getpid());
    snprintf(cmd, sizeof(cmd), "run scenarios/replication/stale_read.lua --seed 1 --quiet --trace %s", trace);
    cli_result r = cli_run(cmd);
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    cli_free(&r);
    snprintf(cmd, sizeof(cmd), "check %s --check read-your-writes", trace);
    r = cli_run(cmd);
    ck_assert_msg(r.code == 1, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "dsim-trace history, "));
    ck_assert_ptr_nonnull(strstr(r.out, "\nread-your-writes: "));
    ck_assert_ptr_nonnull(strstr(r.out, " reads violate it; first: op "));
    ck_assert_ptr_nonnull(strstr(r.out, "returned nil, but ca"));           /* an async client's stale read */
    ck_assert_ptr_nonnull(strstr(r.out, "\nops involved: "));
    ck_assert_ptr_null(strstr(r.out, "monotonic-reads"));
    cli_free(&r);
    snprintf(cmd, sizeof(cmd), "check %s --check monotonic-reads", trace);
    r = cli_run(cmd);
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\nmonotonic-reads: 241 reads, none violates it\n"));
    cli_free(&r);
    snprintf(cmd, sizeof(cmd), "check %s --check session", trace);
    r = cli_run(cmd);
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, " reads violate it; first: op "));
    ck_assert_ptr_nonnull(strstr(r.out, "\nmonotonic-reads: 241 reads"));
    cli_free(&r);
    snprintf(cmd, sizeof(cmd), "check %s --check sequential", trace);
    r = cli_run(cmd);
    ck_assert_int_eq(r.code, 2);
    ck_assert_str_eq(r.err, "dsim: check: --check: expected linearizable, read-your-writes, monotonic-reads or "
                            "session, got 'sequential'\n");
    cli_free(&r);
    unlink(trace);
}
END_TEST

/* ---- the Lua binding: it agrees with lua/dsim/session.lua ------------------------ */

static const char agree_lua[] =
    "local dsim = require 'dsim'\nlocal session = require 'dsim.session'\n"
    "dsim.network{ latency = dsim.uniform('1ms', '2ms') }\n"
    "local a = dsim.cluster{ system = 'primary-replica', count = 3, name = 'a', mode = 'async' }\n"
    "local s = dsim.cluster{ system = 'primary-replica', count = 3, name = 's', mode = 'sync' }\n"
    "for _, c in ipairs{ a, s } do\n"
    "  dsim.link(c[1], c[2], { latency = '50ms' })\n  dsim.link(c[1], c[3], { latency = '50ms' })\nend\n"
    "local wa = dsim.workload{ 'lin-kv', nodes = a, rate = '200/s', concurrency = 2, keys = 2,\n"
    "  timeout = '500ms', stop = '3s', clients = 'ca', check = false }\n"
    "local ws = dsim.workload{ 'lin-kv', nodes = s, rate = '200/s', concurrency = 2, keys = 2,\n"
    "  timeout = '500ms', stop = '3s', clients = 'cs', check = false }\n"
    "dsim.run('3.5s')\n"
    "local failures = 0\n"
    "for i, w in ipairs{ wa, ws } do\n"
    "  local h = session.of_clients(dsim.history(), w.clients)\n"
    "  local ok1, m1, b1 = session.read_your_writes(h)\n"
    "  local ok2, m2, b2 = session.monotonic_reads(h)\n"
    "  for _, b in ipairs(b2) do b1[#b1 + 1] = b end\n"
    "  local ok, msg, bad = dsim.session{ clients = w.clients, name = 'store ' .. i }\n"
    "  local same = ok == (ok1 and ok2) and msg == m1 .. '; ' .. m2 and #bad == #b1\n"
    "  for j = 1, #b1 do same = same and bad[j].why == b1[j].why and bad[j].op == b1[j].op end\n"
    "  if not ok then failures = failures + 1 end\n"
    "  dsim.check('agree ' .. i, same, #bad .. ' violations: ' .. msg)\n"
    "end\n"
    "print('stores failing: ' .. failures)\n"
    "local ok, err = pcall(dsim.session, { check = 'sequential' })\n"
    "dsim.check('a bad check is an error', not ok and err:find('check must be') ~= nil, tostring(err))\n";

START_TEST(lua_binding_agrees_with_session_lua)
{
    char path[64], cmd[128];
    snprintf(path, sizeof(path), "/tmp/dsim-session-agree-%d.lua", (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(agree_lua, f);
    fclose(f);
    int failing = 0;
    for (int seed = 1; seed <= 8; seed++) {     /* seeds with stale reads and with reads going back */
        snprintf(cmd, sizeof(cmd), "run %s --seed %d", path, seed);
        cli_result r = cli_run(cmd);
        ck_assert_msg(strstr(r.out, "check agree 1: ok") && strstr(r.out, "check agree 2: ok") &&
                      strstr(r.out, "check a bad check is an error: ok"), "seed %d:\n%s%s", seed, r.out, r.err);
        const char *n = strstr(r.out, "stores failing: ");
        ck_assert_ptr_nonnull(n);
        failing += atoi(n + 16);
        /* the failed check's detail ends with the ops of its first violations */
        const char *fl = strstr(r.out, "FAILED store 1: read-your-writes: ");
        ck_assert_msg(fl && strstr(fl, "] (at 3.5s"), "seed %d:\n%s", seed, r.out);
        ck_assert_ptr_nonnull(strstr(fl, " [ops "));
        cli_free(&r);
    }
    ck_assert_int_ge(failing, 9);               /* async fails every seed, sync on some */
    unlink(path);
}
END_TEST

/* ---- the viewer marks the ops a failed check names ---------------------------------- */

static size_t magenta_in(const viz_app *a, const SDL_Rect *r)
{
    size_t n = 0;
    for (int y = r->y; y < r->y + r->h; y++)
        for (int x = r->x; x < r->x + r->w; x++) n += (a->gfx.px[(size_t)y * (size_t)a->gfx.pitch + (size_t)x] &
                                                        0xffffffu) == 0xdb2777u;
    return n;
}

START_TEST(viewer_marks_the_failing_ops)
{
    char trace[64], cmd[160];
    snprintf(trace, sizeof(trace), "/tmp/dsim-session-viz-%d.jsonl", (int)getpid());
    snprintf(cmd, sizeof(cmd), "run tests/lua/lin_split.lua --quiet --trace %s", trace);
    cli_result r = cli_run(cmd);
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "FAILED split-brain-linearizable: key 1: op "));
    const char *ops = strstr(r.out, " [ops ");
    ck_assert_ptr_nonnull(ops);
    viz_app *a = calloc(1, sizeof(*a));
    char err[200];
    ck_assert_int_eq(viz_app_init(a, NULL, NULL, 0, true), 0);
    ck_assert_int_eq(viz_store_load_jsonl(&a->store, trace, err, sizeof(err)), 0);
    viz_app_set_end(a, a->store.recs[a->store.count - 1].t_ns);
    viz_app_advance(a, a->end_ns);
    viz_layout_update(a);
    ck_assert_uint_eq(a->model.checks_failed, 1);
    ck_assert_uint_ne(a->highlight_rec, SIZE_MAX);
    /* the marked ops are exactly the ids the CLI printed */
    char want[200] = " [ops", *end;
    for (size_t i = 0; i < a->model.n_ops; i++)
        if (a->model.ops[i].marked) snprintf(want + strlen(want), sizeof(want) - strlen(want), " %llu",
                                             (unsigned long long)a->model.ops[i].id);
    ck_assert_msg(strncmp(ops, want, strlen(want)) == 0 && ops[strlen(want)] == ']', "%s vs %s", want, ops);
    strtoull(ops + 6, &end, 10);
    ck_assert_ptr_ne(end, ops + 6);
    viz_draw(a);
    ck_assert_uint_gt(magenta_in(a, &a->lay.timeline), 20);
    ck_assert_uint_gt(magenta_in(a, &a->lay.net), 100);        /* the ring around a client */
    viz_model_seek(&a->model, a->highlight_rec);                /* just before the failure */
    a->t_ns = a->store.recs[a->highlight_rec].t_ns;
    viz_draw(a);
    ck_assert_uint_eq(magenta_in(a, &a->lay.timeline), 0);
    ck_assert_uint_eq(magenta_in(a, &a->lay.net), 0);
    viz_app_free(a);
    free(a);
    cli_free(&r);
    unlink(trace);
}
END_TEST

Suite *session_suite(void);

Suite *session_suite(void)
{
    Suite *s = suite_create("session");
    TCase *core = tcase_create("core");
    tcase_add_test(core, stale_read_after_own_write_breaks_ryw);
    tcase_add_test(core, others_writes_do_not_count_for_ryw);
    tcase_add_test(core, read_going_back_in_time_breaks_monotonic_reads);
    tcase_add_test(core, malformed_histories_are_errors);
    suite_add_tcase(s, core);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 120);
    tcase_add_test(cli, cli_checks_the_stale_read_trace);
    tcase_add_test(cli, lua_binding_agrees_with_session_lua);
    tcase_add_test(cli, viewer_marks_the_failing_ops);
    suite_add_tcase(s, cli);
    return s;
}
