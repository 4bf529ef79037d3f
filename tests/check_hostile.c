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

static const int budget_lines[] = { 0, 12, 0, 26, 31, 38, 44, 48, 53, 58 };

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
    tcase_add_loop_test(hang, test_budget_bypasses, 1, 10);
    tcase_add_test(hang, test_time_and_memory_floods);
    suite_add_tcase(s, hang);
    return s;
}
