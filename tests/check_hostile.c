/*
 * Hostile input (issue 11: the sandbox and the runtime hardened for grading
 * untrusted code). One test per class of attack, each running the built binary
 * ($DSIM) on a script of tests/hostile/ or a crafted file, as a grader would:
 * crashes in the codec and in `dsim replay`, budget and limit bypasses, hangs
 * of simulated time, memory outside the Lua heap, grading integrity (limits,
 * checks and the dsim table out of student code's reach, `require` inside its
 * folders, output that cannot be forged), determinism of copies, small errors.
 * Every case expects a clear one-line error or a failed check, never a crash
 * (exit codes 0, 1 or 2 only; under SANITIZE=1 a memory error aborts).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/binding/lrt.h"
#include "tests/cli.h"

static void expect(const cli_result *r, int code, const char *text, const char *what)
{
    ck_assert_msg(r->code == code, "%s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", what, r->code, code, r->out,
                  r->err);
    ck_assert_msg(strstr(r->out, text) || strstr(r->err, text), "%s: no '%s' in\nstdout:\n%s\nstderr:\n%s", what,
                  text, r->out, r->err);
}

/* Runs the args, checks the exit code and a text of stdout or stderr. */
static void run_expect(const char *args, int code, const char *text)
{
    cli_result r = cli_run(args);
    expect(&r, code, text, args);
    cli_free(&r);
}

/* ---- crashes ---- */

START_TEST(test_codec_hostile_values)
{
    run_expect("run tests/hostile/codec.lua --seed 1", 0, "checks: 11 run, 0 failed");
    run_expect("run tests/hostile/codec.lua --seed 2", 1,
               "FAILED node-error: n1 receive: tests/hostile/codec.lua:40: field .body: message too large: its encoding passes 4 MiB");
    run_expect("run tests/hostile/codec.lua --seed 3", 1,
               "FAILED node-error: n1 receive: tests/hostile/codec.lua:39: cannot encode a table with a number key (2.5)");
}
END_TEST

START_TEST(test_replay_refuses_hostile_files)
{
    run_expect("replay tests/hostile", 2, "dsim: replay: tests/hostile: is a directory, not a trace file");
    run_expect("replay tests/fuzz/trace/nul.jsonl --frames /tmp/dsim-hostile-frames", 2, "line 1: a NUL byte");
    run_expect("replay tests/fuzz/trace/trailing.jsonl --frames /tmp/dsim-hostile-frames", 2,
               "line 1: text after the JSON object");
    run_expect("replay tests/fuzz/trace/huge-numbers.jsonl --frames /tmp/dsim-hostile-frames", 2,
               "line 2: not a trace record");
    run_expect("replay tests/hostile/far-end.jsonl --frames /tmp/dsim-hostile-frames", 2,
               "--frames: the run lasts 9000000s: more than 200000 frames");
    /* an inconsistent trace (the same send twice, a delivery of nothing) draws */
    run_expect("replay tests/fuzz/trace/dup-send.jsonl --frames /tmp/dsim-hostile-frames", 0, "viz: wrote 1 frames");
}
END_TEST

/* ---- budget and limit bypasses ---- */

static const int budget_lines[] = { 0, 12, 0, 26, 31, 38, 44, 48, 53, 58, 65 };

START_TEST(test_budget_bypasses)
{
    int seed = _i;
    char args[200], want[300];
    snprintf(args, sizeof(args), "run tests/hostile/budget.lua --seed %d", seed);
    if (budget_lines[seed] == 0) {           /* the smuggled finalizer is simply not one */
        run_expect(args, 0, "checks: 0 run, 0 failed");
        return;
    }
    snprintf(want, sizeof(want), "FAILED node-error: n1 receive: tests/hostile/budget.lua:%d: instruction budget "
             "exceeded (10000000 instructions per handler call)", budget_lines[seed]);
    run_expect(args, 1, want);
}
END_TEST

START_TEST(test_time_and_memory_floods)
{
    run_expect("run tests/hostile/stall.lua --seed 1", 1,
               "FAILED time-stalled: n1 timer: simulated time stopped at 0s: over 100000 handler calls at that instant");
    run_expect("run tests/hostile/stall.lua --seed 2", 1,
               "FAILED time-stalled: n2 receive: simulated time stopped at 0s: over 100000 handler calls");
    run_expect("run tests/hostile/stall.lua --seed 3", 2,
               "dsim: tests/hostile/stall.lua:30: bad argument #1 to 'every' (the period must be at least 1us");
    run_expect("run tests/hostile/stall.lua --seed 4", 1,
               "FAILED node-error: n1 timer: tests/hostile/stall.lua:17: memory cap exceeded (48 MiB per run, with 47 "
               "MiB of messages and timers in flight)");
    run_expect("run tests/hostile/stall.lua --seed 5", 1,
               "FAILED node-error: n1 timer: tests/hostile/stall.lua:20: memory cap exceeded (48 MiB per run");
}
END_TEST

/* The sandbox's pattern matcher (lua/binding/lmatch.c, which charges its steps
 * to the budget) against Lua's own on generated patterns, subjects and
 * replacements: the same results, the same errors. */
static const char diff_script[] =
    "local s, p, r = ...\n"
    "local out = {}\n"
    "local function add(...) for i = 1, select('#', ...) do out[#out + 1] = tostring((select(i, ...))) end "
    "out[#out + 1] = '|' end\n"
    "add(pcall(string.find, s, p)) add(pcall(string.match, s, p)) add(pcall(string.find, s, p, 3))\n"
    "add(pcall(string.match, s, p, -2)) add(pcall(string.gsub, s, p, r)) add(pcall(string.gsub, s, p, r, 1))\n"
    "add(pcall(string.gsub, s, p, function(x, y) return y and x .. y or x end))\n"
    "add(pcall(string.gsub, s, p, { a = 'A', [''] = false }))\n"
    "add(pcall(function() local t = {} for a, b in string.gmatch(s, p) do t[#t + 1] = tostring(a) .. "
    "tostring(b) if #t > 40 then break end end return table.concat(t, ',') end))\n"
    "return table.concat(out, ' ')\n";

static void random_text(uint64_t *x, char *out, size_t max, const char *const *pieces, size_t npieces)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    size_t n = *x % 7, len = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
        const char *piece = pieces[*x % npieces];
        if (len + strlen(piece) + 1 >= max) break;
        memcpy(out + len, piece, strlen(piece) + 1);
        len += strlen(piece);
    }
}

static const char *run_script(lua_State *L, lrt *rt, const char *s, const char *p, const char *r)
{
    lua_settop(L, 0);
    ck_assert(luaL_loadbufferx(L, diff_script, sizeof(diff_script) - 1, "=diff", "t") == LUA_OK);
    lua_pushstring(L, s);
    lua_pushstring(L, p);
    lua_pushstring(L, r);
    int st = rt ? lrt_pcall(rt, 3, 1, LRT_CTX_SCENARIO, NULL, "test") : lua_pcall(L, 3, 1, 0);
    ck_assert_msg(st == LUA_OK, "script failed: %s", rt ? rt->errmsg : lua_tostring(L, -1));
    return lua_tostring(L, -1);
}

START_TEST(test_patterns_match_lua)
{
    static const char *const pat[] = { "a", "b", "(", ")", "()", "%", "%a", "%d", ".", "*", "+", "-", "?", "[",
                                       "]", "[^a]", "[a-b]", "^", "$", "%1", "%b()", "%f[a]", "%w", "x" };
    static const char *const subj[] = { "a", "b", "ab", "(", ")", "1", " ", "x", "aa", "%" };
    static const char *const rep[] = { "x", "%0", "%1", "<%0>", "%2", "%%", "%" };
    lua_State *ref = luaL_newstate();
    luaL_openlibs(ref);
    sim_options so = { 1, 2, 8 };
    sim *sm = sim_create(&so);
    char err[200];
    lrt *rt = lrt_create(sm, NULL, "(test)", err, sizeof(err));
    ck_assert_msg(rt != NULL, "%s", err);
    uint64_t x = 0x2545f4914f6cdd1du;
    for (int i = 0; i < 6000; i++) {
        char s[64], p[64], r[32];
        random_text(&x, s, sizeof(s), subj, sizeof(subj) / sizeof(subj[0]));
        random_text(&x, p, sizeof(p), pat, sizeof(pat) / sizeof(pat[0]));
        random_text(&x, r, sizeof(r), rep, sizeof(rep) / sizeof(rep[0]));
        const char *want = run_script(ref, NULL, s, p, r), *got = run_script(rt->L, rt, s, p, r);
        ck_assert_msg(strcmp(want, got) == 0, "s='%s' p='%s' r='%s':\n lua:   %s\n dsim:  %s", s, p, r, want, got);
    }
    lua_close(ref);
    lrt_destroy(rt);
    sim_destroy(sm);
}
END_TEST

/* ---- grading integrity ---- */

START_TEST(test_student_code_cannot_cheat)
{
    run_expect("run tests/hostile/integrity.lua", 0, "checks: 17 run, 0 failed");
}
END_TEST

/* No line of stdout starts like a verdict unless the run wrote it, and a sweep
 * reports what the runs' result channels said, not what a node printed. */
START_TEST(test_output_cannot_be_forged)
{
    cli_result r = cli_run("run tests/hostile/forge.lua");
    expect(&r, 0, "n1: reproduce with: rm -rf /", "forge");
    ck_assert_msg(!strstr(r.out, "\nFAILED") && !strstr(r.out, "\nreproduce with:") && !strstr(r.out, "\nchecks: 9"),
                  "a node wrote a summary line:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "\ntrace-hash: 0000000000000000") == NULL, "forged hash:\n%s", r.out);
    cli_free(&r);
    r = cli_run("sweep tests/hostile/forge.lua --seeds 1..3 -j 2 --json /tmp/dsim-hostile-forge.json");
    expect(&r, 0, "3 seeds", "forge sweep");
    ck_assert_msg(!strstr(r.out, "rm -rf") && !strstr(r.out, "forged"), "forged report:\n%s", r.out);
    cli_free(&r);
    FILE *f = fopen("/tmp/dsim-hostile-forge.json", "r");
    ck_assert(f != NULL);
    char *json = cli_slurp(f);
    fclose(f);
    unlink("/tmp/dsim-hostile-forge.json");
    ck_assert_msg(!strstr(json, "rm -rf") && !strstr(json, "0000000000000000"), "forged JSON:\n%s", json);
    free(json);
}
END_TEST

/* ---- determinism and small errors ---- */

START_TEST(test_copies_are_canonical)
{
    char h1[17], h2[17];
    cli_result a = cli_run("run tests/hostile/holes.lua"), b = cli_run("run tests/hostile/holes.lua");
    expect(&a, 0, "checks: 3 run, 0 failed", "holes");
    expect(&b, 0, "checks: 3 run, 0 failed", "holes again");
    ck_assert_str_eq(cli_hash(&a, h1), cli_hash(&b, h2));
    ck_assert_str_eq(a.out, b.out);
    cli_free(&a);
    cli_free(&b);
}
END_TEST

START_TEST(test_small_errors)
{
    run_expect("run tests/hostile/codec.lua --bogus", 2, "dsim: --bogus: unknown flag");
    run_expect("replay", 2, "dsim: replay: which trace?");
    run_expect("replay tests/fuzz/trace/dup-send.jsonl --seed 5", 2,
               "dsim: replay: --seed does not apply to a recorded trace");
    run_expect("sweep tests/hostile/nosuch.lua --seeds 1..5", 2, "dsim: sweep: cannot open tests/hostile/nosuch.lua");
    run_expect("sweep nosuch --seeds 1..5", 2, "dsim: sweep: 'nosuch' is neither a scenario file nor a built-in");
    run_expect("sweep tests/hostile/forge.lua --seeds 1..5 --json /nonexistent/x.json", 2,
               "dsim: sweep: --json: cannot write '/nonexistent/x.json'");
    run_expect("version extra", 2, "dsim: version: takes no arguments, got 'extra'");
    run_expect("list extra", 2, "dsim: list: takes no arguments, got 'extra'");
    run_expect("run tests/hostile/binary.lua", 2, "dsim: tests/hostile/binary.lua: ");
    run_expect("run tests/hostile/nul_name.lua", 2, "bad node name");
}
END_TEST

Suite *hostile_suite(void);

Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *crash = tcase_create("crashes");
    tcase_set_timeout(crash, 120);
    tcase_add_test(crash, test_codec_hostile_values);
    tcase_add_test(crash, test_replay_refuses_hostile_files);
    suite_add_tcase(s, crash);
    TCase *hang = tcase_create("hangs");
    tcase_set_timeout(hang, 120);
    tcase_add_loop_test(hang, test_budget_bypasses, 1, 11);
    tcase_add_test(hang, test_time_and_memory_floods);
    tcase_add_test(hang, test_patterns_match_lua);
    suite_add_tcase(s, hang);
    TCase *grading = tcase_create("grading");
    tcase_set_timeout(grading, 120);
    tcase_add_test(grading, test_student_code_cannot_cheat);
    tcase_add_test(grading, test_output_cannot_be_forged);
    tcase_add_test(grading, test_copies_are_canonical);
    tcase_add_test(grading, test_small_errors);
    suite_add_tcase(s, grading);
    return s;
}
