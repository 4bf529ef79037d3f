/*
 * `dsim sweep` and `dsim sweep-merge` (see lua/sweep/sweep.h for the pieces).
 *
 * A sweep runs the seeds of its shard and prints the report; `--json F` also keeps
 * the results so that the shards of a large sweep, run by an outside scheduler
 * (GNU parallel over hosts, a Slurm job array), merge back into the report the
 * whole sweep would have printed, with the same exit code.
 *
 * A merge refuses files of different scenarios or flags (their seeds are different
 * simulations), seeds that appear twice (overlapping shards), and, when the files
 * are shards of one sweep, a missing shard: a report that says "all passed" while
 * a shard was never merged would be a lost result.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lua/cli/commands.h"
#include "lua/sweep/sweep.h"

int dsim_cmd_sweep(int argc, char **argv)
{
    sweep_args a;
    int rc = sweep_parse_args(argc, argv, &a);
    if (rc) return rc;
    sweep_report rep;
    if (sweep_report_init(&rep, &a)) return dsim_usage_error("sweep: out of memory for %s", a.scenario);
    sweep_pool_run(&a, &rep);
    rc = sweep_report_print(&rep, stdout);
    if (a.json_path && sweep_json_write(&rep, a.json_path)) rc = DSIM_EXIT_USAGE;
    sweep_report_free(&rep);
    return rc;
}

static bool same(const char *x, const char *y)
{
    return x == y || (x && y && strcmp(x, y) == 0);
}

/* The files agree on what they ran. */
static int check_same_sweep(const sweep_report *reps, char **paths, int n)
{
    for (int i = 1; i < n; i++) {
        if (!same(reps[i].scenario, reps[0].scenario))
            return dsim_usage_error("sweep-merge: '%s' is a sweep of '%s' but '%s' is of '%s'", paths[i],
                                    reps[i].scenario, paths[0], reps[0].scenario);
        if (!same(reps[i].until, reps[0].until) || !same(reps[i].loss, reps[0].loss))
            return dsim_usage_error("sweep-merge: '%s' and '%s' were run with different --until or --loss",
                                    paths[0], paths[i]);
    }
    return 0;
}

/* When every file is a shard of the same seeds and shard count, each shard must be
 * there exactly once. */
static int check_shards(const sweep_report *reps, char **paths, int n)
{
    for (int i = 1; i < n; i++)
        if (reps[i].seed_first != reps[0].seed_first || reps[i].seed_last != reps[0].seed_last ||
            reps[i].shard_count != reps[0].shard_count)
            return 0; /* different sweeps' ranges: the seed overlap check still applies */
    uint32_t count = reps[0].shard_count;
    if ((uint32_t)n > count) /* more files than shards: some shard repeats */
        return dsim_usage_error("sweep-merge: %d files for %" PRIu32 " shards: shards overlap", n, count);
    for (uint32_t s = 1; s <= count; s++) {
        int found = -1;
        for (int i = 0; i < n; i++) {
            if (reps[i].shard_index != s) continue;
            if (found >= 0)
                return dsim_usage_error("sweep-merge: '%s' and '%s' are both shard %" PRIu32 "/%" PRIu32
                                        ": shards overlap", paths[found], paths[i], s, count);
            found = i;
        }
        if (found < 0)
            return dsim_usage_error("sweep-merge: shard %" PRIu32 "/%" PRIu32 " of seeds %" PRIu64 "..%" PRIu64
                                    " is missing", s, count, reps[0].seed_first, reps[0].seed_last);
    }
    return 0;
}

typedef struct tagged { sweep_result *r; int file; } tagged;

static int by_seed(const void *x, const void *y)
{
    uint64_t a = ((const tagged *)x)->r->seed, b = ((const tagged *)y)->r->seed;
    return a < b ? -1 : a > b;
}

/* Moves every result into out, in seed order; refuses a seed seen twice. */
static int combine(sweep_report *reps, char **paths, int n, sweep_report *out)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) total += reps[i].count;
    tagged *t = malloc((total ? total : 1) * sizeof(*t));
    out->results = calloc(total ? total : 1, sizeof(sweep_result));
    if (!t || !out->results) return free(t), dsim_usage_error("sweep-merge: out of memory");
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < reps[i].count; j++) t[k++] = (tagged){ &reps[i].results[j], i };
    qsort(t, total, sizeof(*t), by_seed);
    for (k = 0; k < total; k++) {
        if (k && t[k].r->seed == t[k - 1].r->seed) {
            int rc = dsim_usage_error("sweep-merge: seed %" PRIu64 " is in both '%s' and '%s': shards overlap",
                                      t[k].r->seed, paths[t[k - 1].file], paths[t[k].file]);
            return free(t), rc;
        }
    }
    for (k = 0; k < total; k++) {
        out->results[k] = *t[k].r;
        t[k].r->message = t[k].r->reproduce = NULL; /* now owned by out */
    }
    out->count = total;
    free(t);
    return 0;
}

/* The merged identity: the first file's scenario and flags over the union of ranges. */
static int merged_header(const sweep_report *reps, int n, sweep_report *out)
{
    out->scenario = strdup(reps[0].scenario);
    out->until = reps[0].until ? strdup(reps[0].until) : NULL;
    out->loss = reps[0].loss ? strdup(reps[0].loss) : NULL;
    out->seed_first = reps[0].seed_first, out->seed_last = reps[0].seed_last;
    for (int i = 1; i < n; i++) {
        if (reps[i].seed_first < out->seed_first) out->seed_first = reps[i].seed_first;
        if (reps[i].seed_last > out->seed_last) out->seed_last = reps[i].seed_last;
    }
    out->shard_index = out->shard_count = 1;
    return out->scenario ? 0 : dsim_usage_error("sweep-merge: out of memory");
}

static int merge_args(int argc, char **argv, char ***paths, int *n, const char **json)
{
    *paths = calloc((size_t)argc + 1, sizeof(char *));
    if (!*paths) return dsim_usage_error("sweep-merge: out of memory");
    *n = 0, *json = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            if (i + 1 >= argc) return dsim_usage_error("sweep-merge: --json: missing value");
            *json = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return dsim_usage_error("sweep-merge: %s: unknown flag (sweep-merge accepts FILE.json ... "
                                    "[--json F])", argv[i]);
        } else {
            (*paths)[(*n)++] = argv[i];
        }
    }
    if (*n == 0) return dsim_usage_error("sweep-merge: expected the FILE.json of each shard (from 'dsim sweep --json')");
    return 0;
}

int dsim_cmd_sweep_merge(int argc, char **argv)
{
    char **paths = NULL;
    int n = 0;
    const char *json = NULL;
    int rc = merge_args(argc, argv, &paths, &n, &json);
    sweep_report *reps = rc ? NULL : calloc((size_t)n, sizeof(sweep_report));
    if (!rc && !reps) rc = dsim_usage_error("sweep-merge: out of memory");
    for (int i = 0; !rc && i < n; i++) rc = sweep_json_read(paths[i], &reps[i]);
    if (!rc) rc = check_same_sweep(reps, paths, n);
    if (!rc) rc = check_shards(reps, paths, n);
    sweep_report out;
    memset(&out, 0, sizeof(out));
    if (!rc) rc = merged_header(reps, n, &out);
    if (!rc) rc = combine(reps, paths, n, &out);
    if (!rc) {
        rc = sweep_report_print(&out, stdout);
        if (json && sweep_json_write(&out, json)) rc = DSIM_EXIT_USAGE;
    }
    sweep_report_free(&out);
    for (int i = 0; reps && i < n; i++) sweep_report_free(&reps[i]);
    free(reps);
    free(paths);
    return rc;
}
