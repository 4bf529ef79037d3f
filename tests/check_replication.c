/*
 * Tests of the replication systems (primary-replica, multi-primary), the
 * session-guarantee checks (lua/dsim/session.lua) and the scenarios of
 * scenarios/replication/. Each scenario runs through the built binary as a
 * student runs it; each demonstration is also run in a variant where it must
 * fail (sync replaced by async, skew removed ...), so no test here can pass
 * by printing "ok" regardless.
 */
#define _DEFAULT_SOURCE   /* mkstemps */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/cli.h"

Suite *replication_suite(void);

static void expect(const cli_result *r, int code, const char *needle, const char *what)
{
    ck_assert_msg(r->code == code, "%s: exit %d, expected %d\n%s%s", what, r->code, code, r->out, r->err);
    ck_assert_msg(!needle || strstr(r->out, needle) || strstr(r->err, needle), "%s: no '%s' in\n%s%s", what,
                  needle, r->out, r->err);
}

/* Copies scenario `path` to a temporary file with `from` replaced by `to`
 * (once); returns the temporary path (static storage). */
static const char *variant(const char *path, const char *from, const char *to)
{
    static char out[64];
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char *text = cli_slurp(f);
    fclose(f);
    char *at = strstr(text, from);
    ck_assert_msg(at != NULL, "%s has no '%s'", path, from);
    snprintf(out, sizeof(out), "/tmp/dsim-repl-XXXXXX.lua");
    int fd = mkstemps(out, 4);
    ck_assert(fd >= 0);
    FILE *w = fdopen(fd, "w");
    fwrite(text, 1, (size_t)(at - text), w);
    fputs(to, w);
    fputs(at + strlen(from), w);
    fclose(w);
    free(text);
    return out;
}

static cli_result run(const char *fmt, const char *arg)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), fmt, arg);
    return cli_run(cmd);
}

/* ---- core ---- */

START_TEST(test_stale_read_named)
{
    cli_result r = cli_run("run scenarios/replication/stale_read.lua --seed 7");
    expect(&r, 0, "async read-your-writes: ", "stale_read");
    ck_assert_msg(strstr(r.out, "violate it; first: op ") != NULL, "the stale read is not named:\n%s", r.out);
    ck_assert(strstr(r.out, "check sync: no read is stale (read-your-writes holds): ok") != NULL);
    cli_free(&r);
}
END_TEST

START_TEST(test_stale_read_sync_check_can_fail)
{
    const char *path = variant("scenarios/replication/stale_read.lua", "name = \"s\", mode = \"sync\"",
                               "name = \"s\", mode = \"async\"");
    cli_result r = run("run %s --seed 7", path);
    expect(&r, 1, "FAILED sync: no read is stale", "stale_read with async in place of sync");
    unlink(path);
    cli_free(&r);
}
END_TEST

START_TEST(test_latency_table)
{
    cli_result r = cli_run("run scenarios/replication/latency.lua --seed 7");
    expect(&r, 0, "mode        writes  write p50", "latency");
    ck_assert(strstr(r.out, "\nasync ") && strstr(r.out, "\nsemi-sync ") && strstr(r.out, "\nsync "));
    cli_free(&r);
    const char *path = variant("scenarios/replication/latency.lua", "{ \"sync\", \"y\" }", "{ \"async\", \"y\" }");
    r = run("run %s --seed 7", path);
    expect(&r, 1, "FAILED writes: async p50 < semi-sync p50 < sync p50", "latency with async in place of sync");
    unlink(path);
    cli_free(&r);
}
END_TEST

START_TEST(test_failover_async_loses_writes)
{
    cli_result r = cli_run("sweep scenarios/replication/failover.lua --seeds 1..20 -j 4");
    expect(&r, 1, "every acknowledged write survives the failover: 1 lost", "failover sweep");
    ck_assert_msg(strstr(r.out, "reproduce: dsim run scenarios/replication/failover.lua --seed 2") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "failing seeds: 2, 5, 7, 9, 13, 15, 17)") != NULL, "%s", r.out);
    ck_assert_msg(strstr(r.out, "new primary took writes") == NULL, "a failover did not complete:\n%s", r.out);
    cli_free(&r);
    r = cli_run("run scenarios/replication/failover.lua --seed 2");
    expect(&r, 1, "FAILED every acknowledged write survives the failover: 2 lost, first key", "failover seed 2");
    cli_free(&r);
}
END_TEST

START_TEST(test_failover_sync_loses_none)
{
    cli_result r = cli_run("sweep textbook/code/replication/failover_sync.lua --seeds 1..20 -j 4");
    expect(&r, 0, "20 passed, 0 failed", "failover sync sweep");
    cli_free(&r);
}
END_TEST

START_TEST(test_multi_primary_scenarios)
{
    static const char *const files[] = { "mp_duplicate_id", "mp_lww_skew", "mp_siblings" };
    for (size_t i = 0; i < 3; i++) {
        cli_result r = run("run scenarios/replication/%s.lua", files[i]);
        expect(&r, 0, "checks: ", files[i]);
        cli_free(&r);
    }
    const char *path = variant("scenarios/replication/mp_lww_skew.lua", "local SKEW = \"500ms\"", "local SKEW = 0");
    cli_result r = run("run %s", path);
    expect(&r, 0, "check without skew LWW keeps the later write (x = 2): ok", "lww without skew");
    unlink(path);
    cli_free(&r);
    path = variant("scenarios/replication/mp_duplicate_id.lua", "run_store(\"v\", \"vv\")", "run_store(\"v\", \"lww\")");
    r = run("run %s", path);
    expect(&r, 1, "FAILED vv: both inserts survive as siblings", "duplicate id with lww for vv");
    unlink(path);
    cli_free(&r);
}
END_TEST

/* The session checks on hand-made histories: one violation each, one clean. */
START_TEST(test_session_checks)
{
    static const char *const lua =
        "local dsim = require 'dsim'\n"
        "local s = require 'dsim.session'\n"
        "local function op(id, p, f, args, t0, t1, res) return { id = id, process = p, f = f, args = args,\n"
        "  invoke = t0, complete = t1, outcome = 'ok', result = res } end\n"
        "local h = { op(1, 'c1', 'write', { key = 1, value = 1 }, 0, 1),\n"
        "            op(2, 'c1', 'write', { key = 1, value = 2 }, 2, 3),\n"
        "            op(3, 'c1', 'read', { key = 1 }, 4, 5, { value = 2 }),\n"
        "            op(4, 'c1', 'read', { key = 1 }, 6, 7, { value = 1 }) }\n"
        "local ok, msg = s.read_your_writes(h)\n"
        "dsim.check('ryw names op 4', not ok and msg:find('op 4 %(c1 read key 1') ~= nil, msg)\n"
        "ok, msg = s.monotonic_reads(h)\n"
        "dsim.check('monotonic names op 4', not ok and msg:find('older than the 2 its read op 3') ~= nil, msg)\n"
        "h[4].result.value = 2\n"
        "dsim.check('clean history passes', s.read_your_writes(h) and s.monotonic_reads(h))\n"
        "h[5] = op(5, 'c2', 'write', { key = 1, value = 1 }, 2.5, 8)\n"
        "h[4].result.value = 1\n"
        "dsim.check('a concurrent write of the value excuses it', (s.read_your_writes(h)))\n"
        "dsim.run('1ms')\n";
    char path[] = "/tmp/dsim-session-XXXXXX.lua";
    int fd = mkstemps(path, 4);
    ck_assert(fd >= 0);
    ck_assert(write(fd, lua, strlen(lua)) == (ssize_t)strlen(lua));
    close(fd);
    cli_result r = run("run %s", path);
    expect(&r, 0, "checks: 4 run, 0 failed", "session checks");
    unlink(path);
    cli_free(&r);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_bad_options)
{
    static const char *const lua =
        "local dsim = require 'dsim'\n"
        "dsim.cluster{ system = 'primary-replica', count = 3, mode = 'fast' }\n";
    char path[] = "/tmp/dsim-badopt-XXXXXX.lua";
    int fd = mkstemps(path, 4);
    ck_assert(write(fd, lua, strlen(lua)) == (ssize_t)strlen(lua));
    close(fd);
    cli_result r = run("run %s", path);
    expect(&r, 2, "option 'mode' must be one of \"async\", \"semi-sync\", \"sync\"", "bad mode");
    cli_free(&r);
    unlink(path);
}
END_TEST

/* ---- faults: lin-kv clients over loss against both systems ---- */

START_TEST(test_lossy_network_stays_consistent)
{
    static const char *const lua =
        "local dsim = require 'dsim'\n"
        "local session = require 'dsim.session'\n"
        "dsim.network{ latency = dsim.uniform('1ms', '5ms'), loss = '10%' }\n"
        "local n = dsim.cluster{ system = 'primary-replica', count = 3, mode = 'sync' }\n"
        "dsim.workload{ 'lin-kv', nodes = { n[1] }, rate = '100/s', concurrency = 2, timeout = '300ms', stop = '2s' }\n"
        "local m = dsim.cluster{ system = 'multi-primary', count = 3, name = 'm', resolve = 'vv' }\n"
        "dsim.workload{ 'lin-kv', nodes = m, rate = '100/s', concurrency = 2, timeout = '300ms', stop = '2s',\n"
        "               clients = 'mc', check = false }\n"
        "dsim.run('3s')\n";
    char path[] = "/tmp/dsim-lossy-XXXXXX.lua";
    int fd = mkstemps(path, 4);
    ck_assert(write(fd, lua, strlen(lua)) == (ssize_t)strlen(lua));
    close(fd);
    cli_result r = run("run %s --seed 3", path);   /* all at the primary: linearizable */
    expect(&r, 0, "check workload lin-kv: ok", "lossy primary-replica");
    cli_free(&r);
    unlink(path);
}
END_TEST

Suite *replication_suite(void)
{
    Suite *s = suite_create("replication");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_stale_read_named);
    tcase_add_test(core, test_stale_read_sync_check_can_fail);
    tcase_add_test(core, test_latency_table);
    tcase_add_test(core, test_failover_async_loses_writes);
    tcase_add_test(core, test_failover_sync_loses_none);
    tcase_add_test(core, test_multi_primary_scenarios);
    tcase_add_test(core, test_session_checks);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_bad_options);
    suite_add_tcase(s, limits);
    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 60);
    tcase_add_test(faults, test_lossy_network_stays_consistent);
    suite_add_tcase(s, faults);
    return s;
}
