/*
 * `dsim run` and `dsim demo`: run a built-in scenario or hand a FILE.lua to the
 * Lua layer, with the flags of lua/flags.c.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/builtin.h"
#include "lua/commands.h"

static bool is_lua_file(const char *scenario)
{
    size_t n = strlen(scenario);
    return n > 4 && strcmp(scenario + n - 4, ".lua") == 0;
}

static int run_builtin(const dsim_builtin *b, const dsim_run_opts *opts)
{
    dsim_run run;
    int rc = dsim_run_open(&run, opts);
    if (rc) return rc;
    char err[256] = "";
    rc = b->setup(&run, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "dsim: scenario '%s': %s\n", b->name, err[0] ? err : sim_strerror(rc));
        b->finish(&run, NULL);
        dsim_run_close(&run, stdout);
        return DSIM_EXIT_USAGE;
    }
    dsim_apply_overrides(&run);
    rc = dsim_run_drive(&run, b->until_ns);
    if (rc < 0 && rc != SIM_ESTATE) {
        fprintf(stderr, "dsim: the viewer could not start: %s\n", sim_strerror(rc));
        b->finish(&run, NULL);
        dsim_run_close(&run, stdout);
        return DSIM_EXIT_USAGE;
    }
    b->finish(&run, stdout);
    return dsim_run_close(&run, stdout);
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
