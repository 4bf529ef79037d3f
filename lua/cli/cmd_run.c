/*
 * `dsim run` and `dsim demo`: run a built-in scenario or hand a FILE.lua to the
 * Lua layer, with the flags of lua/cli/flags.c.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin.h"
#include "lua/cli/commands.h"
#include "viz/viz.h"

static bool is_lua_file(const char *scenario)
{
    size_t n = strlen(scenario);
    return n > 4 && strcmp(scenario + n - 4, ".lua") == 0;
}

typedef struct builtin_run {
    const dsim_builtin *b;
    dsim_run *run;
    bool finished;
} builtin_run;

/* The final checks run inside the simulation, at its last instant, so the viewer
 * shows their verdicts like any other record. */
static void finish_now(sim *s, void *ctx)
{
    builtin_run *br = ctx;
    if (br->finished) return;
    br->finished = true;
    br->b->finish(br->run, stdout);
}

/* One run of a built-in scenario; VIZ_RESTART when the viewer made a new branch. */
static int run_builtin_once(const dsim_builtin *b, const dsim_run_opts *opts)
{
    dsim_run run;
    int rc = dsim_run_open(&run, opts);
    if (rc) return rc;
    builtin_run br = { b, &run, false };
    char err[256] = "";
    rc = b->setup(&run, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "dsim: scenario '%s': %s\n", b->name, err[0] ? err : sim_strerror(rc));
        b->cleanup(&run);
        dsim_run_discard(&run);
        return DSIM_EXIT_USAGE;
    }
    dsim_apply_overrides(&run);
    int64_t until = opts->until_ns >= 0 ? opts->until_ns : b->until_ns;
    sim_schedule(run.s, until, finish_now, &br);
    rc = dsim_run_drive(&run, until);
    if (rc == VIZ_RESTART) {                /* the viewer asked for a new branch of history */
        b->cleanup(&run);
        dsim_run_discard(&run);
        return VIZ_RESTART;
    }
    if (rc < 0 && rc != SIM_ESTATE) {
        dsim_usage_error("%s", viz_last_error());
        b->cleanup(&run);
        dsim_run_discard(&run);
        return DSIM_EXIT_USAGE;
    }
    finish_now(run.s, &br);            /* when the run stopped early */
    b->cleanup(&run);
    return dsim_run_close(&run, stdout);
}

/* Runs it again from the start for as long as the viewer makes new branches
 * (deterministic re-execution, viz/branch.c). */
static int run_builtin(const dsim_builtin *b, const dsim_run_opts *opts)
{
    int code;
    while ((code = run_builtin_once(b, opts)) == VIZ_RESTART) {}
    return code;
}

int dsim_run_scenario(const dsim_run_opts *opts)
{
    if (is_lua_file(opts->scenario)) return dsim_lua_run(opts);
    const dsim_builtin *b = dsim_builtin_find(opts->scenario);
    if (b) return run_builtin(b, opts);
    return dsim_usage_error("run: unknown scenario '%s' (built-in scenarios are listed by 'dsim list'; "
                            "a scenario file must end in .lua)", opts->scenario);
}

int dsim_cmd_run(int argc, char **argv)
{
    dsim_run_opts opts;
    int rc = dsim_parse_run_args(argc, argv, &opts);
    return rc ? rc : dsim_run_scenario(&opts);
}

int dsim_cmd_demo(int argc, char **argv)
{
    dsim_run_opts opts;
    char *args[] = { "broadcast" };
    int rc = dsim_parse_run_args(1, args, &opts);
    if (rc) return rc;
    if (argc > 0) return dsim_usage_error("demo: takes no arguments");
    const char *display = getenv("DISPLAY");
    const char *wayland = getenv("WAYLAND_DISPLAY");
    opts.viz = (display && *display) || (wayland && *wayland);
    if (!opts.viz) printf("(no display: showing the text summary; with a display, a window opens)\n");
    return dsim_run_scenario(&opts);
}
