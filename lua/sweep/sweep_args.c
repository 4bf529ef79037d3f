/*
 * The command line of `dsim sweep` and the arithmetic of shards. Every malformed
 * value is one line that names the flag and what it accepts (exit 2), like the
 * flags of `dsim run` (lua/cli/flags.c); --until and --loss are checked here with the
 * same parsers so that a bad value fails once, not once per seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/builtins/builtin.h"
#include "lua/cli/host.h"
#include "lua/sweep/sweep.h"
#include "sim/units.h"

#define FLAGS "--seeds A..B, -j N, --shard I/N, --json F, --until D, --loss P, --timeout S, --submission DIR"
#define TIMEOUT_NS_DEFAULT (120 * SIM_NS_PER_S)

size_t sweep_shard_size(uint64_t first, uint64_t last, uint32_t index, uint32_t count)
{
    /* Seeds first + k with k % count == index - 1. Counted from the span (last -
     * first), which cannot overflow even for 0..UINT64_MAX, unlike last - first + 1. */
    uint64_t span = last - first, offset = index - 1u;
    if (offset > span) return 0;
    uint64_t q = (span - offset) / count; /* the count is q + 1, which may not fit */
    return q >= SIZE_MAX ? SIZE_MAX : (size_t)q + 1;
}

uint64_t sweep_shard_seed(uint64_t first, uint32_t index, uint32_t count, size_t k)
{
    return first + (uint64_t)(index - 1u) + (uint64_t)k * count;
}

static int parse_u32(const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
    char *end;
    if (*text < '0' || *text > '9') return -1;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || v < min || v > max) return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse_seeds(const char *v, sweep_args *a)
{
    const char *dots = strstr(v, "..");
    if (!dots || dots == v) return -1;
    char first[32];
    size_t n = (size_t)(dots - v);
    if (n >= sizeof(first)) return -1;
    memcpy(first, v, n);
    first[n] = '\0';
    if (sim_seed_parse(first, &a->seed_first) || sim_seed_parse(dots + 2, &a->seed_last)) return -1;
    return a->seed_first <= a->seed_last ? 0 : -1;
}

static int parse_shard(const char *v, sweep_args *a)
{
    const char *slash = strchr(v, '/');
    char index[16];
    size_t n = slash ? (size_t)(slash - v) : 0;
    if (!slash || n == 0 || n >= sizeof(index)) return -1;
    memcpy(index, v, n);
    index[n] = '\0';
    if (parse_u32(slash + 1, 1, UINT32_MAX, &a->shard_count)) return -1;
    return parse_u32(index, 1, a->shard_count, &a->shard_index);
}

/* "120" (seconds) or a duration with a unit ("500ms"); positive. */
static int parse_timeout(const char *v, int64_t *out_ns)
{
    uint32_t s;
    if (parse_u32(v, 1, 7 * 24 * 3600, &s) == 0) return *out_ns = (int64_t)s * SIM_NS_PER_S, 0;
    int64_t ns;
    if (sim_duration_parse(v, &ns) || ns <= 0) return -1;
    return *out_ns = ns, 0;
}

static int flag_value(const char *flag, const char *v, sweep_args *a)
{
    if (strcmp(flag, "--seeds") == 0) {
        if (parse_seeds(v, a) == 0) return a->seeds_given = true, 0;
        return dsim_usage_error("sweep: --seeds: expected A..B with unsigned integers A <= B (like 1..1000), got '%s'", v);
    }
    if (strcmp(flag, "-j") == 0 || strcmp(flag, "--jobs") == 0) {
        uint32_t j;
        if (parse_u32(v, 1, SWEEP_JOBS_MAX, &j) == 0) return a->jobs = (int)j, 0;
        return dsim_usage_error("sweep: %s: expected a number of workers from 1 to %d, got '%s'", flag, SWEEP_JOBS_MAX, v);
    }
    if (strcmp(flag, "--shard") == 0) {
        if (parse_shard(v, a) == 0) return 0;
        return dsim_usage_error("sweep: --shard: expected I/N with 1 <= I <= N (like 2/8), got '%s'", v);
    }
    if (strcmp(flag, "--timeout") == 0) {
        if (parse_timeout(v, &a->timeout_ns) == 0) return 0;
        return dsim_usage_error("sweep: --timeout: expected a positive number of seconds (like 120) or a duration (like 500ms), got '%s'", v);
    }
    if (strcmp(flag, "--until") == 0) {
        int64_t ns;
        if (sim_duration_parse(v, &ns) == 0 && ns <= SIM_TIME_MAX) return a->until = v, 0;
        return dsim_usage_error("sweep: --until: expected a non-negative duration like 500ms or 2s, got '%s'", v);
    }
    if (strcmp(flag, "--loss") == 0) {
        double p;
        if (sim_prob_parse(v, &p) == 0) return a->loss = v, 0;
        return dsim_usage_error("sweep: --loss: expected a probability from 0 to 1 (like 0.05 or 5%%), got '%s'", v);
    }
    if (strcmp(flag, "--json") == 0) return a->json_path = v, 0;
    if (strcmp(flag, "--submission") == 0) return a->submission = v, 0;
    return dsim_usage_error("sweep: %s: unknown flag (sweep accepts " FLAGS ")", flag);
}

static bool takes_value(const char *flag)
{
    static const char *const with_value[] = { "--seeds", "-j", "--jobs", "--shard", "--timeout",
                                              "--until", "--loss", "--json", "--submission" };
    for (size_t i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
        if (strcmp(flag, with_value[i]) == 0) return true;
    return false;
}

static int parse_one(int argc, char **argv, int *i, sweep_args *a)
{
    const char *arg = argv[*i];
    if (strncmp(arg, "-j", 2) == 0 && arg[2]) return flag_value("-j", arg + 2, a); /* -j8 */
    if (arg[0] == '-' && arg[1]) {
        if (!takes_value(arg)) return dsim_usage_error("sweep: %s: unknown flag (sweep accepts " FLAGS ")", arg);
        if (*i + 1 >= argc) return dsim_usage_error("sweep: %s: missing value", arg);
        return flag_value(arg, argv[++*i], a);
    }
    if (a->scenario) return dsim_usage_error("sweep: unexpected argument '%s' (one scenario per sweep)", arg);
    a->scenario = arg;
    return 0;
}

/* A scenario that cannot run is one usage error up front, not a failure per seed. */
static int check_scenario(const char *name)
{
    struct stat st;
    if (dsim_builtin_find(name)) return 0;
    if (stat(name, &st) == 0 && S_ISREG(st.st_mode)) return 0;
    if (strchr(name, '/') || strstr(name, ".lua"))
        return dsim_usage_error("sweep: cannot open %s%s", name, stat(name, &st) == 0 ? " (not a file)" : "");
    return dsim_usage_error("sweep: '%s' is neither a scenario file nor a built-in scenario (see 'dsim list')", name);
}

/* Whether the folder of path exists and can be written (checked before any
 * seed runs, so a bad --json does not cost a whole sweep). */
static bool writable_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) snprintf(dir, sizeof(dir), ".");
    else snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path == 0 ? 1 : slash - path), path);
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK) == 0;
}

int sweep_parse_args(int argc, char **argv, sweep_args *a)
{
    memset(a, 0, sizeof(*a));
    a->shard_index = a->shard_count = 1;
    a->jobs = 2;
    a->timeout_ns = TIMEOUT_NS_DEFAULT;
    for (int i = 0; i < argc; i++) {
        int rc = parse_one(argc, argv, &i, a);
        if (rc) return rc;
    }
    if (!a->scenario)
        return dsim_usage_error("sweep: missing scenario (a built-in name from 'dsim list', or FILE.lua)");
    if (!a->seeds_given) return dsim_usage_error("sweep: --seeds: required, like --seeds 1..1000");
    int rc = check_scenario(a->scenario);
    if (rc) return rc;
    if (a->json_path && !writable_dir_of(a->json_path))
        return dsim_usage_error("sweep: --json: cannot write '%s' (its folder does not exist or is not writable)",
                                a->json_path);
    size_t n = sweep_shard_size(a->seed_first, a->seed_last, a->shard_index, a->shard_count);
    if (n > SWEEP_MAX_SEEDS)
        return dsim_usage_error("sweep: --seeds: at most %u seeds per run, this shard has %zu "
                                "(split it with --shard I/N)", SWEEP_MAX_SEEDS, n);
    return 0;
}
