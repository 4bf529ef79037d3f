/*
 * Tests of the Lua layer: the scenario API, every error path (file, line, exit
 * code), every sandbox escape, the limits, determinism across processes, C/Lua
 * interop, the workload checkers, and the Lua benchmark.
 *
 * Most tests run the built binary ($DSIM, default ./dsim) on a scenario, from
 * the repository root, and read its output and exit code: that is what a
 * student, a grader and `dsim sweep` see. Two processes with the same seed must
 * print the same trace hash (the string hash of Lua 5.4 is seeded per process,
 * so only the sandbox's deterministic iteration makes that hold).
 */
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "lua/bench/bench.h"
#include "lua/bench/lbench.h"
#include "lua/binding/lrt.h"
#include "sim/msg.h"

typedef struct result {
    int code;
    char out[65536];                /* stdout and stderr, interleaved */
} result;

static const char *dsim_path(void)
{
    const char *p = getenv("DSIM");
    return p && *p ? p : "./dsim";
}

static void run_dsim(result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void run_dsim(result *r, const char *fmt, ...)
{
    char args[1024], cmd[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "%s %s 2>&1", dsim_path(), args);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    size_t n = fread(r->out, 1, sizeof(r->out) - 1, p);
    r->out[n] = 0;
    int status = pclose(p);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_code(const result *r, int code, const char *what)
{
    ck_assert_msg(r->code == code, "%s: exit %d, expected %d; output:\n%s", what, r->code, code, r->out);
}

static void expect_text(const result *r, const char *text, const char *what)
{
    ck_assert_msg(strstr(r->out, text) != NULL, "%s: no '%s' in:\n%s", what, text, r->out);
}

/* The 16 hex digits of the last line, "trace-hash: <hex>". */
static void trace_hash(const result *r, char out[17])
{
    const char *h = strstr(r->out, "trace-hash: ");
    ck_assert_msg(h != NULL, "no trace-hash line in:\n%s", r->out);
    ck_assert_msg(strlen(h) == 12 + 16 + 1 && h[28] == '\n', "trace-hash is not the last line: %s", h);
    memcpy(out, h + 12, 16);
    out[16] = 0;
}

/* The line of `-- @N` in path, 0 when none. */
static int marker_line(const char *path, int n)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char line[512], marker[16];
    snprintf(marker, sizeof(marker), "-- @%d", n);
    int at = 0, found = 0;
    while (!found && fgets(line, sizeof(line), f)) {
        at++;
        char *m = strstr(line, marker);
        if (m && (m[strlen(marker)] == '\n' || m[strlen(marker)] == 0)) found = at;
    }
    fclose(f);
    return found;
}

/* ---- core ---- */

START_TEST(test_gossip_example)
{
    result r;
    run_dsim(&r, "run scenarios/gossip.lua --seed 4");
    expect_code(&r, 0, "gossip");
    expect_text(&r, "checks: 7 run, 0 failed", "gossip");
    expect_text(&r, "simulated time: 1s", "gossip");
    char h[17];
    trace_hash(&r, h);
}
END_TEST

START_TEST(test_api)
{
    result r;
    char trace[] = "/tmp/dsim-api-XXXXXX";
    int fd = mkstemp(trace);
    ck_assert(fd >= 0);
    run_dsim(&r, "run tests/lua/api.lua --seed 3 --trace %s", trace);
    expect_code(&r, 0, "api");
    expect_text(&r, "checks: 34 run, 0 failed", "api");
    FILE *f = fdopen(fd, "r");
    char line[4096];
    int annotate = 0, log = 0;
    while (fgets(line, sizeof(line), f)) {
        annotate += strstr(line, "\"ev\":\"annotate\",\"node\":\"p1\",\"key\":\"role\",\"value\":\"pinger\"") != NULL;
        log += strstr(line, "\"text\":\"timer once table\"") != NULL;
    }
    fclose(f);
    unlink(trace);
    ck_assert_msg(annotate >= 1 && log >= 1, "annotate %d, log %d", annotate, log);
}
END_TEST

START_TEST(test_interop)
{
    result r;
    run_dsim(&r, "run scenarios/interop.lua");
    expect_code(&r, 0, "interop");
    expect_text(&r, "checks: 5 run, 0 failed", "interop");
    expect_text(&r, "gossip_ok", "interop: the C nodes gossiped");
}
END_TEST

/* A Lua value through dsim.encode(dsim.decode(T)) is byte for byte what the
 * kernel's canonical encoder prints for T. */
START_TEST(test_codec_matches_kernel)
{
    static const char *const texts[] = {
        "{\"b\":1,\"a\":[1,2,{\"y\":true}],\"c\":\"x\\ny\"}",
        "[1.5,-0.25,1e300,123456789012,-0,0.1,3.0]",
        "{\"k\":\"\\u0001\\\"\\\\\\/\",\"\\u00e9\":\"\\ud83d\\ude00\"}",
        "{\"10\":1,\"9\":2,\"x\":{\"-3\":4}}",
        "3", "\"s\"", "true", "false", "null", "[]", "{}", "[[],{},[[]]]",
        "{\"type\":\"gossip\",\"messages\":[3,1,2],\"boot\":1700000000000}",
    };
    sim_options so = { 1, 0, 0 };
    sim *s = sim_create(&so);
    char err[256];
    lrt *rt = lrt_create(s, NULL, "codec", err, sizeof(err));
    ck_assert_msg(rt != NULL, "%s", err);
    static const char chunk[] = "local dsim = require 'dsim'; return dsim.encode(dsim.decode(...))";
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        ck_assert_int_eq(luaL_loadstring(rt->L, chunk), LUA_OK);
        lua_pushstring(rt->L, texts[i]);
        ck_assert_msg(lrt_pcall(rt, 1, 1, LRT_CTX_SCENARIO, NULL, "test") == LUA_OK, "%s: %s", texts[i], rt->errmsg);
        cJSON *v = cJSON_Parse(texts[i]);
        char *want = sim_json_encode(v);
        ck_assert_str_eq(lua_tostring(rt->L, -1), want);
        lua_pop(rt->L, 1);
        free(want);
        cJSON_Delete(v);
    }
    /* null is nil in Lua: the member goes, the container stays what it was */
    static const char *const nulls[][2] = { { "{\"z\":null}", "{}" }, { "[null]", "[]" }, { "null", "null" } };
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(luaL_loadstring(rt->L, chunk), LUA_OK);
        lua_pushstring(rt->L, nulls[i][0]);
        ck_assert_int_eq(lrt_pcall(rt, 1, 1, LRT_CTX_SCENARIO, NULL, "test"), LUA_OK);
        ck_assert_str_eq(lua_tostring(rt->L, -1), nulls[i][1]);
        lua_pop(rt->L, 1);
    }
    rt->closing = true;
    sim_destroy(s);
    lrt_destroy(rt);
}
END_TEST

static const char *const workload_files[] = {
    "echo", "unique_ids", "broadcast", "g_counter", "lin_kv", "kafka",
};

START_TEST(test_workload_scenarios)
{
    result r;
    run_dsim(&r, "run scenarios/workloads/%s.lua", workload_files[_i]);
    expect_code(&r, 0, workload_files[_i]);
    expect_text(&r, ", 0 failed", workload_files[_i]);
}
END_TEST

/* Each workload checker must catch its buggy server (tests/lua/bad_servers.lua). */
START_TEST(test_checkers_catch_bugs)
{
    static const char *const expect[] = {
        "FAILED workload echo: op 1 echoed", "FAILED workload unique-ids: id 1 was generated twice",
        "FAILED workload broadcast: n1 lost acknowledged value", "FAILED workload g-counter: n1 read",
        "FAILED workload lin-kv: key 1: ", "FAILED workload kafka: k",
    };
    result r;
    run_dsim(&r, "run tests/lua/bad_servers.lua --seed %d", _i + 1);
    expect_code(&r, 1, expect[_i]);
    expect_text(&r, expect[_i], "checker");
}
END_TEST

/* ---- determinism ---- */

static char scenario_list[512][256];
static int scenario_count;

/* Every FILE.lua in scenarios/ and in its topic folders (scenarios/TOPIC/), but
 * for modules that scenarios require (NAME_lib.lua), which are not scenarios. */
static void find_scenarios(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && scenario_count < 512) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || strlen(dir) + n + 2 > sizeof(scenario_list[0])) continue;
        char *path = scenario_list[scenario_count];
        size_t dl = strlen(dir);
        memcpy(path, dir, dl);
        path[dl] = '/';
        memcpy(path + dl + 1, e->d_name, n + 1);
        bool module = n > 8 && strcmp(e->d_name + n - 8, "_lib.lua") == 0;
        if (n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0 && !module) {
            scenario_count++;
        } else if (depth == 0 && strchr(e->d_name, '.') == NULL) {
            char sub[sizeof(scenario_list[0])];
            memcpy(sub, path, sizeof(sub));
            find_scenarios(sub, 1);
        }
    }
    closedir(d);
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

START_TEST(test_two_processes_same_hash)
{
    result a, b;
    const char *path = scenario_list[_i];
    run_dsim(&a, "run %s --seed 7", path);
    run_dsim(&b, "run %s --seed 7", path);
    ck_assert_msg(a.code == 0 || a.code == 1, "%s: exit %d:\n%s", path, a.code, a.out);
    char ha[17], hb[17];
    trace_hash(&a, ha);
    trace_hash(&b, hb);
    ck_assert_msg(strcmp(ha, hb) == 0 && a.code == b.code, "%s: %s (exit %d) vs %s (exit %d)", path, ha, a.code, hb,
                  b.code);
    ck_assert_str_eq(a.out, b.out);
}
END_TEST

START_TEST(test_seeds_differ)
{
    static const char *const files[] = { "scenarios/gossip.lua", "scenarios/buggy_counter.lua",
                                         "scenarios/workloads/lin_kv.lua" };
    result a, b;
    char ha[17], hb[17];
    run_dsim(&a, "run %s --seed 7", files[_i]);
    run_dsim(&b, "run %s --seed 8", files[_i]);
    trace_hash(&a, ha);
    trace_hash(&b, hb);
    ck_assert_msg(strcmp(ha, hb) != 0, "%s: seeds 7 and 8 give the same hash %s", files[_i], ha);
}
END_TEST

/* The buggy counter fails on some seeds only; each failure's printed command
 * reproduces it exactly. */
START_TEST(test_failure_reproduces)
{
    result r, again;
    int failing = 0, passing = 0;
    for (int seed = 1; seed <= 12 && (!failing || !passing); seed++) {
        run_dsim(&r, "run scenarios/buggy_counter.lua --seed %d", seed);
        ck_assert_msg(r.code == 0 || r.code == 1, "seed %d: exit %d", seed, r.code);
        if (r.code == 0) {
            passing++;
            continue;
        }
        failing++;
        char want[128];
        snprintf(want, sizeof(want), "reproduce with: dsim run scenarios/buggy_counter.lua --seed %d\n", seed);
        expect_text(&r, want, "reproduce line");
        expect_text(&r, "FAILED n", "failure line");
        char cmd[200];
        const char *from = strstr(r.out, "reproduce with: dsim ") + strlen("reproduce with: dsim ");
        snprintf(cmd, sizeof(cmd), "%.*s", (int)strcspn(from, "\n"), from);
        run_dsim(&again, "%s", cmd);
        expect_code(&again, 1, "reproduced run");
        ck_assert_str_eq(again.out, r.out);
    }
    ck_assert_msg(failing && passing, "buggy_counter: %d failing, %d passing seeds", failing, passing);
}
END_TEST

/* ---- faults: every error path, with file and line ---- */

typedef struct err_case {
    int seed;
    int code;                 /* 2 scenario error, 1 failed check */
    const char *prefix;       /* before the position: "" or "FAILED node-error: n1 receive: " */
    const char *what;
} err_case;

static const err_case err_cases[] = {
    { 1, 2, "", "bad argument #2 to 'partition' (node 'n9' does not exist)" },
    { 2, 2, "", "bad argument #1 to 'at' (malformed duration '10 ms'" },
    { 3, 2, "", "bad argument #1 to 'cluster' (unknown system 'nope' (systems: " },
    { 4, 2, "", "bad argument #1 to 'cluster' (system 'broadcast': unknown option 'bogus')" },
    { 5, 2, "", "bad argument #1 to 'crash' (node name or node expected, got number)" },
    { 6, 2, "", "attempt to index a nil value (local 't')" },
    { 7, 2, "", "bad argument #1 to 'network' (unknown option 'latancy' (options: latency, " },
    { 8, 2, "", "bad argument #1 to 'network' (field 'loss': a probability must be from 0 to 1" },
    { 9, 2, "", "bad argument #1 to 'crash' (node 'n1' is already down)" },
    { 10, 1, "FAILED node-error: n1 receive: ", "instruction budget exceeded (10000000 instructions per handler call)" },
    { 11, 1, "FAILED node-error: n1 receive: ", "memory cap exceeded (32 MiB per run)" },
    { 12, 1, "FAILED node-error: n1 receive: ", "attempt to index a nil value (local 'x')" },
    { 13, 1, "FAILED node-error: n1 receive: ", "instruction budget exceeded" },
    { 14, 1, "FAILED node-error: n1 receive: ", "dsim.crash cannot be called from a node program (n1, handler receive)" },
    { 15, 1, "FAILED node-error: n1 receive: ", "field .f: cannot encode a function in a message" },
    { 16, 1, "FAILED node-error: n1 receive: ", "instruction budget exceeded" },
    { 17, 1, "FAILED node-error: n1 receive: ", "instruction budget exceeded" },
    { 18, 1, "FAILED node-error: n1 receive: ", "memory cap exceeded (an allocation of 1073741824 bytes refused" },
    { 19, 1, "FAILED node-error: n1 receive: ", "bad self in 'send' (call it with a colon: self:send(...))" },
    { 20, 1, "FAILED node-error: n2 receive: ", "self:send called on the self of another node (n2 is running)" },
    { 21, 2, "", "bad argument #1 to 'cluster' (unknown option 'cout' (options: " },
    { 22, 2, "", "bad argument #1 to 'at' (time 10ms is in the past (now is 1s))" },
    { 23, 2, "", "dsim.run cannot be called from a callback" },
    { 24, 2, "", "bad argument #1 to 'workload' (unknown workload 'nope' (echo, " },
    { 25, 2, "", "bad argument #1 to 'nemesis' (unknown option 'bogus')" },
    { 26, 2, "", "a node has no field 'bogus'" },
    { 27, 2, "", "(error object is a table value)" },
    { 28, 2, "", "module 'nothere' not found (looked for tests/lua/nothere.lua;" },
    { 29, 2, "", "bad argument #1 to 'require' (module names are dotted words" },
    { 30, 2, "", "instruction budget exceeded (1000000 instructions per scenario call)" },
    { 32, 2, "", "memory cap exceeded (16 MiB per run)" },
    { 33, 2, "", "bad argument #1 to 'at' (a duration must be >= 0, got -1)" },
    { 34, 2, "", "bad argument #1 to 'every' (the period must be > 0)" },
    { 35, 2, "", "bad argument #2 to 'uniform' (the high end is below the low end)" },
    { 36, 2, "", "bad argument #2 to 'skew' (malformed duration 'soon'" },
    { 37, 2, "", "bad argument #1 to 'workload' (field 'rate': malformed rate 'fast'" },
    { 38, 2, "", "bad argument #1 to 'cluster' (field 'program': its 'receive' must be a function, not a number)" },
    { 40, 2, "", "bad argument #1 to '?' (node name or node expected, got no value)" },
    { 42, 2, "", "bad argument #1 to 'network' (field 'latency': a duration needs a unit: write \"5ms\" or \"5s\", not 5; "
                 "or a distribution like dsim.uniform(\"1ms\", \"20ms\"))" },
    { 43, 1, "FAILED node-error: n1 receive: ", "bad argument #2 to 'set_timer' (a duration needs a unit: write \"10ms\" or "
                                               "\"10s\", not 10)" },
    { 44, 2, "", "bad argument #1 to 'after' (a duration needs a unit, not 0.25: write \"250ms\" if you meant seconds "
                 "(a computed value: dsim.s(x) or dsim.ms(x)))" },
    { 45, 2, "", "bad argument #1 to 'workload' (field 'timeout': a duration needs a unit: write \"2ms\" or \"2s\", not 2)" },
};

START_TEST(test_error_paths)
{
    const err_case *c = &err_cases[_i];
    const char *file = "tests/lua/errors.lua";
    int line = marker_line(file, c->seed);
    ck_assert_msg(line > 0, "no marker @%d in %s", c->seed, file);
    result r;
    run_dsim(&r, "run %s --seed %d", file, c->seed);
    char want[600];
    snprintf(want, sizeof(want), "%s%s%s:%d: %s", c->code == 2 ? "dsim: " : "", c->prefix, file, line, c->what);
    expect_code(&r, c->code, want);
    expect_text(&r, want, "error message");
    if (c->code == 2) {
        ck_assert_msg(strncmp(r.out, want, strlen("dsim: ")) == 0 && strchr(r.out, '\n') == r.out + strlen(r.out) - 1,
                      "a scenario error must be one line:\n%s", r.out);
    } else {
        char again[200];
        snprintf(again, sizeof(again), "reproduce with: dsim run %s --seed %d\n", file, c->seed);
        expect_text(&r, again, "reproduce command");
    }
}
END_TEST

START_TEST(test_errors_without_line)
{
    result r;
    run_dsim(&r, "run tests/lua/errors.lua --seed 31");
    expect_code(&r, 2, "no dsim.run");
    ck_assert_str_eq(r.out, "dsim: tests/lua/errors.lua: the scenario never called dsim.run(duration)\n");
    run_dsim(&r, "run tests/lua/errors.lua --seed 39");
    expect_code(&r, 1, "invariant");
    expect_text(&r, "FAILED x: broken (at 0s, seed 39)\n", "invariant");
    run_dsim(&r, "run tests/lua/errors.lua --seed 41");
    expect_code(&r, 1, "pattern steps");
    expect_text(&r, "FAILED node-error: n1 receive: tests/lua/errors.lua:22: instruction budget exceeded (10000000 "
                    "instructions per handler call)", "a backtracking pattern is charged by its steps");
    run_dsim(&r, "run tests/lua/syntax_error.lua");
    expect_code(&r, 2, "syntax error");
    ck_assert_str_eq(r.out, "dsim: tests/lua/syntax_error.lua:4: unexpected symbol near '='\n");
    run_dsim(&r, "run tests/lua/no_such_file.lua");
    expect_code(&r, 2, "missing file");
    expect_text(&r, "dsim: cannot open tests/lua/no_such_file.lua", "missing file");
}
END_TEST

/* ---- sandbox and limits ---- */

START_TEST(test_sandbox_escapes_refused)
{
    result r;
    run_dsim(&r, "run tests/lua/sandbox.lua");
    expect_code(&r, 0, "sandbox");
    expect_text(&r, "checks: 83 run, 0 failed", "sandbox");
}
END_TEST

START_TEST(test_bench_lua)
{
    double lua_rate = 0, c_rate = 0;
    ck_assert_int_eq(sim_bench_lua_msgs(100, 20, &lua_rate, &c_rate), 0);
    /* Rates only run here (no timing assert: the machine is shared); which is faster
     * is `dsim bench`'s question, answered in the README. */
    ck_assert_msg(lua_rate > 0 && c_rate > 0, "lua %.0f/s, c %.0f/s", lua_rate, c_rate);
    ck_assert_int_eq(sim_bench_lua_msgs(1, 20, &lua_rate, &c_rate), SIM_EINVAL);
}
END_TEST

/* The realistic twin runs the same workload with a C and a Lua node: the same
 * messages are sent, lost and read (the runs draw the same dice), so the two
 * figures compare like for like. No timing is asserted. */
START_TEST(test_bench_real_like_for_like)
{
    sim_bench_real_result c, l;
    ck_assert_int_eq(sim_bench_real_msgs(50, 20, false, &c), 0);
    ck_assert_int_eq(sim_bench_real_msgs(50, 20, true, &l), 0);
    ck_assert_uint_gt(c.messages, 500);
    ck_assert_uint_eq(c.messages, l.messages);
    ck_assert_int_gt(c.latency_ns_p99, 2 * SIM_NS_PER_MS);       /* a distribution, not a constant */
    ck_assert_int_eq(c.latency_ns_p99, l.latency_ns_p99);
    ck_assert_int_eq(sim_bench_real_msgs(1, 20, false, &c), SIM_EINVAL);
}
END_TEST

Suite *lua_suite(void);

Suite *lua_suite(void)
{
    Suite *s = suite_create("lua");
    size_t nerr = sizeof(err_cases) / sizeof(err_cases[0]);
    scenario_count = 0;
    find_scenarios("scenarios", 0);
    qsort(scenario_list, (size_t)scenario_count, sizeof(scenario_list[0]), by_name);

    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_gossip_example);
    tcase_add_test(core, test_api);
    tcase_add_test(core, test_interop);
    tcase_add_test(core, test_codec_matches_kernel);
    tcase_add_loop_test(core, test_workload_scenarios, 0, 6);
    tcase_add_loop_test(core, test_checkers_catch_bugs, 0, 6);
    tcase_add_loop_test(core, test_two_processes_same_hash, 0, scenario_count);
    tcase_add_loop_test(core, test_seeds_differ, 0, 3);
    tcase_add_test(core, test_failure_reproduces);
    suite_add_tcase(s, core);

    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 120);
    tcase_add_test(limits, test_sandbox_escapes_refused);
    tcase_add_test(limits, test_bench_lua);
    tcase_add_test(limits, test_bench_real_like_for_like);
    suite_add_tcase(s, limits);

    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 120);
    tcase_add_loop_test(faults, test_error_paths, 0, (int)nerr);
    tcase_add_test(faults, test_errors_without_line);
    suite_add_tcase(s, faults);
    return s;
}
