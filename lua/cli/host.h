/*
 * The dsim command's shared pieces: the options of a run, the run context that
 * every kind of scenario (built-in C or Lua) opens and closes the same way, and
 * the driver that either runs the simulation plainly or hands it to the viewer.
 *
 * A run's output contract: a summary (sim/stats_print.c), each failed check with
 * its simulated time, the seed and the command that reproduces it, then the last
 * line "trace-hash: <16 lowercase hex>". Exit codes: 0 every check held, 1 a check
 * failed, 2 a usage or scenario error.
 */
#ifndef DSIM_HOST_H
#define DSIM_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"
#include "sim/stats.h"
#include "sim/trace.h"

enum { DSIM_EXIT_OK = 0, DSIM_EXIT_CHECK_FAILED = 1, DSIM_EXIT_USAGE = 2 };

/* The result channel: when the environment has DSIM_RESULT_FD=3 (dsim sweep sets
 * it for its children), `dsim run` also writes its verdict lines ("checks:",
 * "FAILED ...", "reproduce with: ...", "trace-hash: ...") to fd 3, which no
 * user code can reach; the sweep reads its verdicts from there only. */
#define DSIM_RESULT_FD 3
/* The fd to write the verdict to, or -1 when there is no result channel. */
int dsim_result_fd(void);

typedef struct dsim_run_opts {
    const char *scenario;      /* a built-in scenario's name or a FILE.lua */
    uint64_t seed;             /* default 1 */
    int64_t until_ns;          /* -1: the scenario decides */
    const char *trace_path;    /* NULL: no JSONL file */
    bool viz;                  /* open the live window */
    const char *frames_dir;    /* headless PNG frames, or NULL */
    int fps;                   /* frames per simulated second for --frames (default 30) */
    bool quiet;                /* only the verdicts and the hash (sweeps) */
    double loss;               /* --loss: default link loss for the run; < 0 when not given */
    const char *submission;    /* --submission DIR: where dsim.submission finds a
                                  student's modules (default: the current folder) */
} dsim_run_opts;

/* One named check's verdicts over the run (a check may report many times). */
typedef struct dsim_verdict {
    char *name;
    uint64_t passed, failed;
    int64_t first_failure_ns;
    char *first_failure;       /* its message */
} dsim_verdict;

typedef struct dsim_run {
    const dsim_run_opts *opts;
    sim *s;
    sim_stats *stats;
    FILE *trace_file;
    sim_trace_writer *trace;
    dsim_verdict *verdicts;    /* in the order checks first reported */
    size_t verdict_count, verdict_cap;
    void *scenario;            /* the scenario's own data (built-in scenarios) */
    bool restart;              /* the viewer asked for a re-run (VIZ_RESTART) */
} dsim_run;

/* Creates the simulation with the run's seed, statistics and trace file. Returns
 * 0, or DSIM_EXIT_USAGE after printing why (e.g. the trace file cannot be opened). */
int dsim_run_open(dsim_run *run, const dsim_run_opts *opts);
/* Runs the simulation to until_ns (or the --until given), live in the viewer
 * when --viz/--frames asked for it. Returns 0, SIM_ESTATE when stopped early,
 * or VIZ_RESTART (below): then run the scenario again from the start. */
int dsim_run_drive(dsim_run *run, int64_t until_ns);
/* Prints the summary, each check's verdict, the failures and the trace hash; frees everything; returns
 * the exit code. */
int dsim_run_close(dsim_run *run, FILE *out);
/* Frees the run without a word (after a usage or scenario error, which has
 * already been said in one line). */
void dsim_run_discard(dsim_run *run);
/* "dsim run SCENARIO --seed N" (plus --until and --loss when they were given). */
void dsim_reproduce_command(const dsim_run_opts *opts, char *buf, size_t n);

/* Parses "SCENARIO [--seed N] [--until D] [--trace F] [--loss P] [--viz] [--frames DIR]
 * [--fps N] [--quiet]" (argv[0] is the first of these). Returns 0, or prints a
 * one-line error naming the flag and what it accepts and returns DSIM_EXIT_USAGE. */
int dsim_parse_run_args(int argc, char **argv, dsim_run_opts *opts);
/* Applies run-wide overrides (--loss) once the scenario has set its network up. */
void dsim_apply_overrides(dsim_run *run);

/* Reports a one-line usage error ("dsim: --seed: expected ...") and returns 2. */
int dsim_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The viewer's entry points (viz/), called by dsim_run_drive and `dsim replay`.
 * viz_drive steps s until until_ns or until the window closes; returns 0, or a
 * negative SIM_E* code when no window or renderer can be had, or VIZ_RESTART.
 *
 * VIZ_RESTART (from viz_drive and so from dsim_run_drive): the user changed the
 * run after stepping back, which starts a new branch of history. The host
 * discards the run without a word (dsim_run_discard) and runs the scenario again
 * from the start with the same options; the viewer keeps the new branch's fault
 * schedule (process-global) and applies it in the next viz_drive. */
enum { VIZ_RESTART = 100 };
int viz_drive(sim *s, int64_t until_ns, const dsim_run_opts *opts);
int viz_replay(const char *trace_path, const dsim_run_opts *opts);

/* Lua scenarios (lua/), called for `dsim run FILE.lua`; returns the exit code. */
int dsim_lua_run(const dsim_run_opts *opts);

#endif
