/*
 * Tests of the CAP systems and scenarios (scenarios/cap/): the CP store
 * (quorum-kv) refuses on the minority side and stays linearizable, the AP store
 * (dynamo-kv) answers on both sides, is not linearizable, and converges after
 * the heal; without its repair mechanisms it does not. Linearizability is
 * proved twice: in the scenario (lua/dsim/lincheck.lua) and by `dsim check` on
 * the recorded trace (sim/check/lincheck). Each scenario runs twice with the
 * same seed to prove the trace hash identical.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/cli.h"

static void expect(const cli_result *r, int code, const char *text, const char *what)
{
    ck_assert_msg(r->code == code, "%s: exit %d, expected %d\n%s%s", what, r->code, code, r->out, r->err);
    if (text) ck_assert_msg(strstr(r->out, text) != NULL, "%s: no '%s' in:\n%s%s", what, text, r->out, r->err);
}

/* Runs scenario with seed, recording the trace; then `dsim check` on it. */
static void run_and_check(const char *scenario, int seed, const char *verdict, int check_code, const char *must)
{
    char trace[] = "/tmp/dsim-cap-XXXXXX", args[512];
    int fd = mkstemp(trace);
    ck_assert(fd >= 0);
    close(fd);
    snprintf(args, sizeof(args), "run %s --seed %d --trace %s", scenario, seed, trace);
    cli_result r = cli_run(args);
    expect(&r, 0, must, scenario);
    expect(&r, 0, "0 failed", scenario);
    cli_free(&r);
    snprintf(args, sizeof(args), "check %s --model kv", trace);
    r = cli_run(args);
    expect(&r, check_code, verdict, "dsim check");
    cli_free(&r);
    unlink(trace);
}

/* ---- core ---- */

START_TEST(test_cp_refuses_and_is_linearizable)
{
    run_and_check("scenarios/cap/cp_partition.lua", 1, "\nlinearizable", 0,
                  "check the minority refuses during the partition (C over A): ok");
}
END_TEST

START_TEST(test_ap_answers_and_is_not_linearizable)
{
    run_and_check("scenarios/cap/ap_partition.lua", 1, "not linearizable", 1,
                  "check the small side answers during the partition (A over C): ok");
}
END_TEST

START_TEST(test_ap_converges)
{
    cli_result r = cli_run("run scenarios/cap/ap_partition.lua --seed 2");
    expect(&r, 0, "check eventual consistency: ok", "ap_partition");
    cli_free(&r);
}
END_TEST

static const char *const scenarios[] = {
    "scenarios/cap/cp_partition.lua", "scenarios/cap/ap_partition.lua", "scenarios/cap/ap_no_repair.lua",
};

START_TEST(test_deterministic)
{
    char args[256], h1[17] = "", h2[17] = "";
    snprintf(args, sizeof(args), "run %s --seed 5", scenarios[_i]);
    for (int k = 0; k < 2; k++) {
        cli_result r = cli_run(args);
        expect(&r, 0, "trace-hash: ", scenarios[_i]);
        memcpy(k ? h2 : h1, strstr(r.out, "trace-hash: ") + 12, 16);
        cli_free(&r);
    }
    ck_assert_msg(strcmp(h1, h2) == 0, "%s: hashes %s and %s differ", scenarios[_i], h1, h2);
}
END_TEST

/* ---- faults: the checks can fail, and do when the property is gone ---- */

START_TEST(test_no_repair_diverges)
{
    cli_result r = cli_run("run scenarios/cap/ap_no_repair.lua --seed 1 --trace /dev/null");
    expect(&r, 0, "check without repair the replicas stay diverged: ok", "ap_no_repair");
    cli_free(&r);
}
END_TEST

/* A scenario that asks the convergence check of a diverged store fails it. */
START_TEST(test_convergence_check_fails)
{
    const char *path = "/tmp/dsim-cap-diverged.lua";
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("local dsim = require 'dsim'\n"
          "local conv = require 'dsim.convergence'\n"
          "local s = dsim.cluster{ system = 'dynamo-kv', count = 3, n = 3, w = 1,\n"
          "                        handoff_interval = '0ms', read_repair = 0, anti_entropy = '0ms' }\n"
          "dsim.workload{ 'lin-kv', nodes = { s[1] }, rate = '50/s', stop = '1s', check = false }\n"
          "dsim.at('0s', function() dsim.partition({ s[1] }, { s[2], s[3] }) end)\n"
          "dsim.at('1.5s', function() dsim.heal() end)\n"
          "conv.probe{ nodes = s, at = '2s' }\n"
          "dsim.run('3s')\n", f);
    fclose(f);
    cli_result r = cli_run("run /tmp/dsim-cap-diverged.lua --seed 1");
    expect(&r, 1, "FAILED eventual consistency: key ", "diverged");
    cli_free(&r);
    unlink(path);
}
END_TEST

START_TEST(test_bad_option)
{
    const char *path = "/tmp/dsim-cap-badopt.lua";
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs("local dsim = require 'dsim'\ndsim.cluster{ system = 'dynamo-kv', count = 3, n = 2, r = 3 }\n", f);
    fclose(f);
    cli_result r = cli_run("run /tmp/dsim-cap-badopt.lua");
    ck_assert_msg(r.code == 2 && strstr(r.err, "'r'") != NULL, "exit %d: %s", r.code, r.err);
    cli_free(&r);
    unlink(path);
}
END_TEST

/* ---- limits: a seed sweep of the CP store's linearizability ---- */

START_TEST(test_cp_sweep)
{
    cli_result r = cli_run("sweep scenarios/cap/cp_partition.lua --seeds 1..12 -j 4");
    expect(&r, 0, "12 passed, 0 failed", "cp sweep");
    cli_free(&r);
}
END_TEST

Suite *cap_suite(void);
Suite *cap_suite(void)
{
    Suite *s = suite_create("cap");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_cp_refuses_and_is_linearizable);
    tcase_add_test(core, test_ap_answers_and_is_not_linearizable);
    tcase_add_test(core, test_ap_converges);
    tcase_add_loop_test(core, test_deterministic, 0, sizeof(scenarios) / sizeof(scenarios[0]));
    suite_add_tcase(s, core);
    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, test_no_repair_diverges);
    tcase_add_test(faults, test_convergence_check_fails);
    tcase_add_test(faults, test_bad_option);
    suite_add_tcase(s, faults);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_cp_sweep);
    suite_add_tcase(s, limits);
    return s;
}
