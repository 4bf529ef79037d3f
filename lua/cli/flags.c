/*
 * Command-line flags of `dsim run` (and of the commands that run scenarios the
 * same way). Every malformed value is a one-line error that names the flag and
 * what it accepts; nothing is silently ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/cli/host.h"
#include "sim/units.h"

static int need_value(int argc, char **argv, int i)
{
    if (i + 1 < argc) return 0;
    return dsim_usage_error("%s: missing value", argv[i]);
}

static int parse_fps(const char *text, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > 1000) return -1;
    *out = (int)v;
    return 0;
}

static int parse_flag(int argc, char **argv, int *i, dsim_run_opts *o)
{
    const char *flag = argv[*i];
    if (strcmp(flag, "--viz") == 0) return o->viz = true, 0;
    if (strcmp(flag, "--quiet") == 0) return o->quiet = true, 0;
    static const char *const valued[] = { "--seed", "--until", "--trace", "--frames", "--fps", "--submission",
                                          "--loss", NULL };
    bool known = false;
    for (int k = 0; valued[k]; k++) known = known || strcmp(flag, valued[k]) == 0;
    if (!known) return dsim_usage_error("%s: unknown flag (see 'dsim help run')", flag);
    if (need_value(argc, argv, *i)) return DSIM_EXIT_USAGE;
    const char *v = argv[++*i];
    if (strcmp(flag, "--seed") == 0) {
        if (sim_seed_parse(v, &o->seed) == 0) return 0;
        return dsim_usage_error("--seed: expected an unsigned 64-bit integer (decimal or 0x hex), got '%s'", v);
    }
    if (strcmp(flag, "--until") == 0) {
        if (sim_duration_parse(v, &o->until_ns) == 0 && o->until_ns <= SIM_TIME_MAX) return 0;
        return dsim_usage_error("--until: expected a non-negative duration like 500ms or 2s, got '%s'", v);
    }
    if (strcmp(flag, "--trace") == 0) return o->trace_path = v, 0;
    if (strcmp(flag, "--frames") == 0) return o->frames_dir = v, 0;
    if (strcmp(flag, "--fps") == 0) {
        if (parse_fps(v, &o->fps) == 0) return 0;
        return dsim_usage_error("--fps: expected an integer from 1 to 1000, got '%s'", v);
    }
    if (strcmp(flag, "--submission") == 0) return o->submission = v, 0;
    if (strcmp(flag, "--loss") == 0) {
        if (sim_prob_parse(v, &o->loss) == 0) return 0;
        return dsim_usage_error("--loss: expected a probability from 0 to 1 (like 0.05 or 5%%), got '%s'", v);
    }
    return dsim_usage_error("%s: unknown flag (see 'dsim help run')", flag);
}

int dsim_parse_run_args(int argc, char **argv, dsim_run_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->until_ns = -1;
    o->fps = 30;
    o->loss = -1;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0 && argv[i][2]) {
            int rc = parse_flag(argc, argv, &i, o);
            if (rc) return rc;
        } else if (!o->scenario) {
            o->scenario = argv[i];
        } else {
            return dsim_usage_error("run: unexpected argument '%s' (one scenario per run)", argv[i]);
        }
    }
    if (!o->scenario) return dsim_usage_error("run: missing scenario (a built-in name from 'dsim list', or FILE.lua)");
    return 0;
}

void dsim_apply_overrides(dsim_run *run)
{
    if (run->opts->loss < 0) return;
    sim_link_policy p = *sim_net_get_default(run->s);
    p.loss = sim_prob_from_double(run->opts->loss);
    sim_net_set_default(run->s, &p);
}
