/*
 * Seed sweeps (`dsim sweep`, `dsim sweep-merge`): run one scenario over a range of
 * seeds, each seed in its own process, and report every failing seed with its
 * message and the command that reproduces it.
 *
 *   sweep_args.c    the command line of `dsim sweep`
 *   sweep_pool.c    N worker processes at once, each with a wall-clock timeout and
 *                   resource limits (fork + exec of the running binary)
 *   sweep_result.c  what a child's exit status and output mean; the text report
 *   sweep_json.c    results as JSON (--json) and back (sweep-merge)
 *   cmd_sweep.c     the two commands
 *
 * A seed's result is never lost: a child that crashes, is killed, times out or
 * cannot even start is a failing seed with the reason as its message. Results are
 * kept in seed order, whatever order the workers finish in, so the report of a
 * sweep is a function of its results alone.
 */
#ifndef DSIM_SWEEP_H
#define DSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum sweep_verdict {
    SWEEP_PASS,  /* the run exited 0: every check held */
    SWEEP_FAIL,  /* the run exited 1 and printed FAILED lines */
    SWEEP_ERROR, /* anything else: scenario error, crash, timeout, no start */
} sweep_verdict;

typedef struct sweep_result {
    uint64_t seed;
    sweep_verdict verdict;
    char trace_hash[17]; /* 16 hex digits, or "" when the run printed none */
    char *message;       /* NULL on a pass */
    char *reproduce;     /* NULL on a pass */
} sweep_result;

/* A sweep's identity (what was run) and its results, in seed order. */
typedef struct sweep_report {
    char *scenario;              /* a built-in name or FILE.lua, passed through */
    char *until;                 /* --until as given, or NULL */
    char *loss;                  /* --loss as given, or NULL */
    char *submission;            /* --submission DIR handed to every run (dsim grade), or NULL */
    uint64_t seed_first, seed_last;
    uint32_t shard_index, shard_count; /* 1-based; 1/1 when not sharded */
    sweep_result *results;
    size_t count;
} sweep_report;

/* The command line of `dsim sweep`; strings point into argv. */
typedef struct sweep_args {
    const char *scenario, *until, *loss, *json_path;
    const char *submission;     /* --submission DIR, handed to every run (and set by dsim grade) */
    uint64_t seed_first, seed_last;
    bool seeds_given;
    uint32_t shard_index, shard_count;
    int jobs;           /* workers at once */
    int64_t timeout_ns; /* wall-clock limit of each child */
    const char *exe;    /* the binary to run; NULL: /proc/self/exe (tests swap it) */
} sweep_args;

/* The commands (also to be declared in lua/cli/commands.h for main.c's table). */
int dsim_cmd_sweep(int argc, char **argv);
int dsim_cmd_sweep_merge(int argc, char **argv);

/* At most this many workers at once (-j). */
#define SWEEP_JOBS_MAX 1024
/* At most this many seeds in one invocation (one shard): the results live in memory. */
#define SWEEP_MAX_SEEDS 1000000u

/* Parses "SCENARIO --seeds A..B [-j N] [--shard I/N] [--json F] [--until D]
 * [--loss P] [--timeout S]". Returns 0, or prints one line naming the flag and
 * what it accepts and returns DSIM_EXIT_USAGE. */
int sweep_parse_args(int argc, char **argv, sweep_args *a);
/* The number of seeds in the shard, and the k-th of them (k < count). */
size_t sweep_shard_size(uint64_t first, uint64_t last, uint32_t index, uint32_t count);
uint64_t sweep_shard_seed(uint64_t first, uint32_t index, uint32_t count, size_t k);

/* Fills rep (identity copied from a, results allocated with their seeds set).
 * Returns 0 or -1 when out of memory. */
int sweep_report_init(sweep_report *rep, const sweep_args *a);
void sweep_report_free(sweep_report *rep);
/* Runs every seed of rep on a->jobs workers and fills rep->results. */
void sweep_pool_run(const sweep_args *a, sweep_report *rep);
/* The RLIMIT_AS given to each child, or 0 when none is (sanitizer builds). */
uint64_t sweep_memory_limit_bytes(void);

/* Turns a finished child into its result. status is from waitpid; timed_out says
 * the sweep killed it at its deadline; out and err are its captured output. */
void sweep_classify(sweep_result *r, const sweep_report *rep, int status, bool timed_out,
                    int64_t timeout_ns, const char *out, const char *err);
/* A result that never ran (fork or pipe failed): an error with the reason. */
void sweep_result_error(sweep_result *r, const sweep_report *rep, const char *why);
/* One line per failing seed, then the summary. Returns the exit code: 0 if every
 * seed passed, 1 otherwise. */
int sweep_report_print(const sweep_report *rep, FILE *out);
const char *sweep_verdict_name(sweep_verdict v);

/* --json: writes rep. Returns 0, or -1 with errno-style reason printed. */
int sweep_json_write(const sweep_report *rep, const char *path);
/* Reads a file written by sweep_json_write. Returns 0, or prints why (naming the
 * file) and returns DSIM_EXIT_USAGE. */
int sweep_json_read(const char *path, sweep_report *rep);

#endif
