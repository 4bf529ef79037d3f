/*
 * Seed sweeps (lua/sweep/sweep.h): `dsim sweep` over the built-in broadcast scenario as a
 * user runs it ($DSIM, default ./dsim): all seeds pass; with --loss 1 every seed
 * fails and each printed reproduce command reproduces the failure and its trace
 * hash; shards merged equal the whole sweep; a hung child is killed at --timeout;
 * every usage error is one line naming the flag, exit 2. The worker pool is also
 * driven in-process with a stand-in shell script for the binary, to produce what
 * dsim itself never should: a crash by signal, exit 1 without a FAILED line, an
 * unknown exit status, a binary that cannot be executed, and the resource limits.
 */
#include <cJSON.h>
#include <check.h>
#include <inttypes.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lua/sweep/sweep.h"
#include "sim/sim.h"
#include "tests/cli.h"

/* ---- helpers ------------------------------------------------------------------ */

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/dsim-sweep-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* cli_run with every '@' in args replaced by the test's temporary folder. */
static cli_result run_tmp(const char *args)
{
    char buf[1024];
    size_t n = 0;
    for (; *args && n + sizeof(tmpdir) < sizeof(buf); args++) {
        if (*args == '@') n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", tmpdir);
        else buf[n++] = *args;
    }
    buf[n] = '\0';
    return cli_run(buf);
}

static cJSON *read_json(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char *text = cli_slurp(f);
    fclose(f);
    cJSON *o = cJSON_Parse(text);
    free(text);
    ck_assert_msg(o != NULL, "%s is not JSON", path);
    return o;
}

static int count_lines_starting(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- core: sweeps of the built-in scenario --------------------------------------- */

START_TEST(sweep_all_seeds_pass)
{
    cli_result r = cli_run("sweep broadcast --seeds 1..6");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_str_eq(r.out, "sweep: 6 seeds, 6 passed, 0 failed\n");
    ck_assert_str_eq(r.err, "");
    cli_free(&r);
}
END_TEST

/* Runs the reproduce command of one failing line; it must fail the same way. */
static void check_reproduces(const char *line, uint64_t seed, const char *trace_hash)
{
    const char *cmd = strstr(line, " -- reproduce: ");
    ck_assert_ptr_nonnull(cmd);
    cmd += strlen(" -- reproduce: ");
    char expect[64];
    snprintf(expect, sizeof(expect), "dsim run broadcast --seed %" PRIu64 " ", seed);
    ck_assert_msg(strncmp(cmd, expect, strlen(expect)) == 0, "reproduce command: %s", cmd);
    char args[512];
    size_t n = strcspn(cmd + 5, "\n");
    ck_assert_uint_lt(n, sizeof(args));
    memcpy(args, cmd + 5, n), args[n] = '\0'; /* without the leading "dsim " */
    ck_assert_ptr_nonnull(strstr(args, "--loss 1"));
    cli_result r = cli_run(args);
    char hash[17];
    ck_assert_msg(r.code == 1, "'%s' exited %d", args, r.code);
    ck_assert_int_ge(count_lines_starting(r.out, "FAILED "), 1);
    ck_assert_str_eq(cli_hash(&r, hash), trace_hash);
    cli_free(&r);
}

START_TEST(total_loss_fails_every_seed_and_each_reproduces)
{
    make_tmpdir();
    cli_result r = run_tmp("sweep broadcast --seeds 1..4 --loss 1 -j 4 --json @/loss.json");
    ck_assert_msg(r.code == 1, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_int_eq(count_lines_starting(r.out, "seed "), 4);
    ck_assert_ptr_nonnull(strstr(r.out, "sweep: 4 seeds, 0 passed, 4 failed (failing seeds: 1, 2, 3, 4)\n"));
    cJSON *o = read_json("loss.json");
    ck_assert_str_eq(json_str(o, "scenario"), "broadcast");
    ck_assert_str_eq(json_str(o, "loss"), "1");
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(o, "results");
    ck_assert_int_eq(cJSON_GetArraySize(results), 4);
    const char *line = r.out;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        const cJSON *res = cJSON_GetArrayItem(results, (int)seed - 1);
        char prefix[48];
        snprintf(prefix, sizeof(prefix), "seed %" PRIu64 ": FAILED ", seed);
        ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0, "line %" PRIu64 ": %s", seed, line);
        ck_assert_msg(strcmp(json_str(res, "verdict"), "fail") == 0, "seed %" PRIu64 ": %s: %s", seed,
                      json_str(res, "verdict"), json_str(res, "message"));
        ck_assert_uint_eq(strlen(json_str(res, "trace_hash")), 16);
        check_reproduces(line, seed, json_str(res, "trace_hash"));
        line = strchr(line, '\n') + 1;
    }
    cJSON_Delete(o);
    cli_free(&r);
    remove_tmpdir();
}
END_TEST

/* A scenario with a seed-dependent bug (scenarios/buggy_counter.lua): the sweep
 * reports exactly the seeds on which a plain run fails (each run independently
 * here), and every printed reproduce command replays its failure, trace hash
 * included. */
START_TEST(sweep_finds_exactly_the_failing_seeds_of_a_buggy_scenario)
{
    make_tmpdir();
    cli_result r = run_tmp("sweep scenarios/buggy_counter.lua --seeds 1..24 --json @/bug.json");
    ck_assert_msg(r.code == 1, "exit %d: %s%s", r.code, r.out, r.err);
    cJSON *o = read_json("bug.json");
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(o, "results");
    ck_assert_int_eq(cJSON_GetArraySize(results), 24);
    int failing = 0;
    for (int seed = 1; seed <= 24; seed++) {
        char args[128], prefix[48], hash[17];
        snprintf(args, sizeof(args), "run scenarios/buggy_counter.lua --seed %d", seed);
        cli_result single = cli_run(args);
        ck_assert_msg(single.code == 0 || single.code == 1, "seed %d exited %d", seed, single.code);
        const cJSON *res = cJSON_GetArrayItem(results, seed - 1);
        bool swept_fail = strcmp(json_str(res, "verdict"), "fail") == 0;
        ck_assert_msg(swept_fail == (single.code == 1), "seed %d: sweep says %s, a run exits %d", seed,
                      json_str(res, "verdict"), single.code);
        ck_assert_str_eq(json_str(res, "trace_hash"), cli_hash(&single, hash));
        snprintf(prefix, sizeof(prefix), "seed %d: FAILED ", seed);
        const char *line = strstr(r.out, prefix);
        ck_assert_msg((line != NULL) == swept_fail, "seed %d: report line %s", seed, line ? "present" : "missing");
        if (line) {
            failing++;
            const char *cmd = strstr(line, " -- reproduce: dsim ");
            ck_assert_ptr_nonnull(cmd);
            cmd += strlen(" -- reproduce: dsim ");
            size_t n = strcspn(cmd, "\n");
            ck_assert_uint_lt(n, sizeof(args));
            memcpy(args, cmd, n), args[n] = '\0';
            cli_result again = cli_run(args);
            ck_assert_int_eq(again.code, 1);
            ck_assert_str_eq(cli_hash(&again, hash), json_str(res, "trace_hash"));
            cli_free(&again);
        }
        cli_free(&single);
    }
    ck_assert_msg(failing > 0 && failing < 24, "%d of 24 seeds failed: not a seed-dependent bug", failing);
    cJSON_Delete(o);
    cli_free(&r);
    remove_tmpdir();
}
END_TEST

/* The shards run with different worker counts (so in a different order) and their
 * merge must print exactly the whole sweep's report, exit code included. */
START_TEST(shards_merge_to_the_whole_sweep)
{
    make_tmpdir();
    cli_result whole = cli_run("sweep broadcast --seeds 1..6 --loss 0.6 -j 3");
    ck_assert_msg(whole.code == 0 || whole.code == 1, "exit %d: %s", whole.code, whole.err);
    cli_result s1 = run_tmp("sweep broadcast --seeds 1..6 --loss 0.6 --shard 1/2 -j 1 --json @/s1.json");
    cli_result s2 = run_tmp("sweep broadcast --seeds 1..6 --loss 0.6 --shard 2/2 -j 2 --json @/s2.json");
    ck_assert_ptr_nonnull(strstr(s1.out, "sweep: 3 seeds, "));
    cJSON *o = read_json("s1.json");
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(o, "results");
    ck_assert_int_eq(cJSON_GetArraySize(results), 3);
    for (int i = 0; i < 3; i++) /* shard 1/2 of 1..6 is 1, 3, 5 */
        ck_assert_str_eq(json_str(cJSON_GetArrayItem(results, i), "seed"), i == 0 ? "1" : i == 1 ? "3" : "5");
    cJSON_Delete(o);
    cli_result merged = run_tmp("sweep-merge @/s2.json @/s1.json");
    ck_assert_str_eq(merged.out, whole.out);
    ck_assert_int_eq(merged.code, whole.code);
    cli_free(&whole), cli_free(&s1), cli_free(&s2), cli_free(&merged);
    remove_tmpdir();
}
END_TEST

START_TEST(unknown_scenario_is_a_reported_failure_per_seed)
{
    /* one usage error before any seed runs, not one failure per seed */
    cli_result r = cli_run("sweep no-such-scenario --seeds 7..8");
    ck_assert_int_eq(r.code, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "dsim: sweep: 'no-such-scenario' is neither a scenario file nor a built-in"));
    ck_assert_ptr_null(strstr(r.out, "seed 7"));
    cli_free(&r);
}
END_TEST

/* ---- limits: timeouts, crashes and resource limits ------------------------------ */

START_TEST(hung_child_times_out)
{
    /* 640000 h (near the longest run there is) of gossip ticks take far longer than
     * a second: 10^5 s take about one second, 10^8 s half a minute. */
    cli_result r = cli_run("sweep broadcast --seeds 1..2 --until 640000h --timeout 1");
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "seed 1: FAILED timed out after 1s -- reproduce: dsim run broadcast "
                                        "--seed 1 --until 640000h\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "seed 2: FAILED timed out after 1s"));
    ck_assert_ptr_nonnull(strstr(r.out, "sweep: 2 seeds, 0 passed, 2 failed (failing seeds: 1, 2)\n"));
    cli_free(&r);
}
END_TEST

/* A stand-in for dsim: argv is "run SCENARIO --seed S --quiet"; each seed misbehaves
 * in its own way. Its verdict lines go to the result channel (fd 3), as dsim run
 * writes them for a sweep. */
static const char fake_dsim[] =
    "#!/bin/sh\n"
    "exec 1>&3\n"
    "case $4 in\n"
    "1) echo 'checks: 1 run, 0 failed'; echo 'trace-hash: 0123456789abcdef'; exit 0;;\n"
    "2) kill -SEGV $$;;\n"
    "3) echo \"dsim: x.lua:3: unknown system 'nope'\" >&2; exit 2;;\n"
    "4) echo 'FAILED agreement: n1 and n2 differ (at 1.5s, seed 4)'; echo 'FAILED late (at 2s, seed 4)'\n"
    "   echo 'reproduce with: dsim run x.lua --seed 4'; echo 'trace-hash: 00000000000000ff'; exit 1;;\n"
    "5) [ \"$(ulimit -c)\" = 0 ] || exit 3; [ -z \"$SWEEP_MEM_KIB\" ] || [ \"$(ulimit -v)\" = \"$SWEEP_MEM_KIB\" ] "
    "|| exit 4; exit 0;;\n"
    "6) echo '==4242==ERROR: AddressSanitizer: heap-use-after-free' >&2; exit 1;;\n"
    "7) exec sleep 1000;;\n" /* longer than the test's own timeout */
    "esac\n"
    "exit 9\n";

static void run_fake(sweep_report *rep, const char *exe, int64_t timeout_ns)
{
    sweep_args a = { .scenario = "x.lua", .seed_first = 1, .seed_last = 8, .seeds_given = true,
                     .shard_index = 1, .shard_count = 1, .jobs = 3, .timeout_ns = timeout_ns, .exe = exe };
    ck_assert_int_eq(sweep_report_init(rep, &a), 0);
    ck_assert_uint_eq(rep->count, 8);
    sweep_pool_run(&a, rep);
}

static void expect(const sweep_result *r, sweep_verdict v, const char *message, const char *reproduce)
{
    ck_assert_msg(r->verdict == v, "seed %" PRIu64 ": verdict %s, message %s", r->seed,
                  sweep_verdict_name(r->verdict), r->message ? r->message : "(none)");
    if (!message) {
        ck_assert_ptr_null(r->message);
        return;
    }
    ck_assert_msg(strncmp(r->message, message, strlen(message)) == 0, "seed %" PRIu64 ": '%s'", r->seed, r->message);
    ck_assert_str_eq(r->reproduce, reproduce);
}

START_TEST(every_kind_of_child_failure_is_reported)
{
    make_tmpdir();
    char exe[128], mem[32];
    snprintf(exe, sizeof(exe), "%s/fake-dsim", tmpdir);
    FILE *f = fopen(exe, "w");
    ck_assert_ptr_nonnull(f);
    fputs(fake_dsim, f);
    fclose(f);
    chmod(exe, 0755);
    snprintf(mem, sizeof(mem), "%" PRIu64, sweep_memory_limit_bytes() / 1024);
    if (sweep_memory_limit_bytes()) setenv("SWEEP_MEM_KIB", mem, 1);
    struct rlimit core; /* allow core files here, so that the child's 0 is the sweep's doing */
    getrlimit(RLIMIT_CORE, &core);
    core.rlim_cur = core.rlim_max == RLIM_INFINITY || core.rlim_max > (1u << 20) ? (1u << 20) : core.rlim_max;
    setrlimit(RLIMIT_CORE, &core);
    sweep_report rep;
    run_fake(&rep, exe, 300 * SIM_NS_PER_MS);
    const sweep_result *r = rep.results;
    expect(&r[0], SWEEP_PASS, NULL, NULL);
    ck_assert_str_eq(r[0].trace_hash, "0123456789abcdef");
    expect(&r[1], SWEEP_ERROR, "crashed with signal 11", "dsim run x.lua --seed 2");
    expect(&r[2], SWEEP_ERROR, "scenario error: x.lua:3: unknown system 'nope'", "dsim run x.lua --seed 3");
    expect(&r[3], SWEEP_FAIL, "agreement: n1 and n2 differ (at 1.5s, seed 4); late (at 2s, seed 4)",
           "dsim run x.lua --seed 4");
    ck_assert_str_eq(r[3].trace_hash, "00000000000000ff");
    expect(&r[4], SWEEP_PASS, NULL, NULL); /* the limits were set */
    expect(&r[5], SWEEP_ERROR, "exited with status 1 but printed no FAILED line: ERROR: AddressSanitizer",
           "dsim run x.lua --seed 6");
    expect(&r[6], SWEEP_ERROR, "timed out after 300ms", "dsim run x.lua --seed 7");
    expect(&r[7], SWEEP_ERROR, "exited with status 9", "dsim run x.lua --seed 8");
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    ck_assert_int_eq(sweep_report_print(&rep, out), 1);
    fclose(out);
    ck_assert_int_eq(count_lines_starting(text, "seed "), 6);
    ck_assert_ptr_nonnull(strstr(text, "sweep: 8 seeds, 2 passed, 6 failed (failing seeds: 2, 3, 4, 6, 7, 8)\n"));
    ck_assert(strstr(text, "seed 2:") < strstr(text, "seed 3:") && strstr(text, "seed 7:") < strstr(text, "seed 8:"));
    free(text);
    sweep_report_free(&rep);
    remove_tmpdir();
}
END_TEST

START_TEST(binary_that_cannot_run_is_reported)
{
    sweep_report rep;
    run_fake(&rep, "/nonexistent/dsim", 10 * SIM_NS_PER_S);
    for (size_t i = 0; i < rep.count; i++)
        expect(&rep.results[i], SWEEP_ERROR, "exited with status 127: sweep: cannot execute the dsim binary",
               rep.results[i].reproduce);
    sweep_report_free(&rep);
}
END_TEST

START_TEST(shard_arithmetic)
{
    ck_assert_uint_eq(sweep_shard_size(1, 6, 1, 2), 3);
    ck_assert_uint_eq(sweep_shard_size(1, 7, 2, 2), 3);
    ck_assert_uint_eq(sweep_shard_size(1, 7, 1, 2), 4);
    ck_assert_uint_eq(sweep_shard_size(1, 2, 3, 3), 0);
    ck_assert_uint_eq(sweep_shard_size(5, 5, 1, 1), 1);
    ck_assert_uint_eq(sweep_shard_size(0, UINT64_MAX, 1, 1), SIZE_MAX); /* no overflow to 0 */
    ck_assert_uint_eq(sweep_shard_seed(1, 2, 2, 0), 2);
    ck_assert_uint_eq(sweep_shard_seed(1, 2, 2, 2), 6);
    ck_assert_uint_eq(sweep_shard_seed(UINT64_MAX - 4, 2, 3, 1), UINT64_MAX);
}
END_TEST

/* ---- errors: usage and merge errors ------------------------------------------- */

static const struct { const char *args, *named; } bad[] = {
    { "sweep broadcast --seeds 5..3", "--seeds" },    { "sweep broadcast --seeds abc", "--seeds" },
    { "sweep broadcast --seeds 1..", "--seeds" },     { "sweep broadcast", "--seeds" },
    { "sweep broadcast --seeds 1..3 -j 0", "-j" },    { "sweep broadcast --seeds 1..3 -j", "-j" },
    { "sweep broadcast --seeds 1..3 --shard 3/2", "--shard" },
    { "sweep broadcast --seeds 1..3 --shard 0/2", "--shard" },
    { "sweep broadcast --seeds 1..3 --frobnicate", "--frobnicate" },
    { "sweep broadcast --seeds 1..3 --timeout 0", "--timeout" },
    { "sweep broadcast --seeds 1..3 --until 5", "--until" },
    { "sweep broadcast --seeds 1..3 --until 9000000h", "--until" },
    { "sweep broadcast --seeds 1..3 --loss 2", "--loss" },
    { "sweep --seeds 1..3", "scenario" },             { "sweep broadcast --seeds 0..99999999", "--shard" },
    { "sweep-merge", "FILE.json" },                   { "sweep-merge --bogus x.json", "--bogus" },
    { "sweep-merge /nonexistent.json", "/nonexistent.json" },
};

START_TEST(usage_errors_are_one_line_exit_2)
{
    cli_result r = cli_run(bad[_i].args);
    ck_assert_msg(r.code == 2, "'%s' exited %d", bad[_i].args, r.code);
    ck_assert_str_eq(r.out, "");
    ck_assert_msg(count_lines_starting(r.err, "dsim: ") == 1 && strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
                  "'%s': %s", bad[_i].args, r.err);
    ck_assert_msg(strstr(r.err, bad[_i].named) != NULL, "'%s' does not name %s: %s", bad[_i].args,
                  bad[_i].named, r.err);
    cli_free(&r);
}
END_TEST

/* Merging the same shard twice, a lone shard, or shards of another scenario. */
START_TEST(merge_refuses_overlap_gaps_and_mixed_scenarios)
{
    make_tmpdir();
    cli_result s = run_tmp("sweep broadcast --seeds 1..4 --shard 1/2 --json @/s1.json");
    ck_assert_int_eq(s.code, 0);
    cJSON *o = read_json("s1.json");
    cJSON_ReplaceItemInObject(o, "scenario", cJSON_CreateString("other.lua"));
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o, "shard"), "index", cJSON_CreateNumber(2));
    char path[128], *text = cJSON_Print(o);
    snprintf(path, sizeof(path), "%s/other.json", tmpdir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    free(text), cJSON_Delete(o);
    static const char *const cases[][2] = { { "sweep-merge @/s1.json @/s1.json", "overlap" },
                                            { "sweep-merge @/s1.json", "shard 2/2 of seeds 1..4 is missing" },
                                            { "sweep-merge @/s1.json @/other.json", "other.lua" } };
    for (int i = 0; i < 3; i++) {
        cli_result m = run_tmp(cases[i][0]);
        ck_assert_msg(m.code == 2 && strstr(m.err, cases[i][1]), "'%s': exit %d, %s", cases[i][0], m.code, m.err);
        cli_free(&m);
    }
    cli_free(&s);
    remove_tmpdir();
}
END_TEST

Suite *sweep_suite(void);

Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, sweep_all_seeds_pass);
    tcase_add_test(core, total_loss_fails_every_seed_and_each_reproduces);
    tcase_add_test(core, shards_merge_to_the_whole_sweep);
    tcase_add_test(core, sweep_finds_exactly_the_failing_seeds_of_a_buggy_scenario);
    tcase_add_test(core, unknown_scenario_is_a_reported_failure_per_seed);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, hung_child_times_out);
    tcase_add_test(limits, every_kind_of_child_failure_is_reported);
    tcase_add_test(limits, binary_that_cannot_run_is_reported);
    tcase_add_test(limits, shard_arithmetic);
    suite_add_tcase(s, limits);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 60);
    tcase_add_loop_test(errors, usage_errors_are_one_line_exit_2, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(errors, merge_refuses_overlap_gaps_and_mixed_scenarios);
    suite_add_tcase(s, errors);
    return s;
}
