/*
 * `dsim run FILE.lua`: the life of a Lua scenario run, on the shared run life
 * cycle of lua/cli/run.c (dsim_run_open / dsim_run_drive / dsim_run_close), so its
 * output, exit codes and trace-hash line are those of every run.
 *
 *   open the run (seed, stats, --trace) -> a Lua runtime (sandbox, dsim module)
 *   -> load FILE.lua (text only) -> run it: it builds the cluster, schedules
 *   faults and calls dsim.run(d), which drives the kernel; code after dsim.run
 *   asserts on the result -> final checks (dsim.final, workloads, invariants)
 *   -> close: summary, FAILED lines with the reproduce command, trace-hash.
 *
 * When the viewer makes a new branch of history (dsim.run returns VIZ_RESTART
 * from dsim_run_drive and aborts the script), the run is discarded without a
 * word and the scenario runs again from the start (viz/branch.c).
 *
 * A scenario error prints one line on stderr ("dsim: scenarios/x.lua:12: ...")
 * and exits 2 without the summary. A failed check exits 1 (dsim_run_close).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"

static void run_script(lrt *rt)
{
    lua_State *L = rt->L;
    if (luaL_loadfilex(L, rt->scenario, "t") != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (m && !strstr(m, rt->scenario))        /* "attempt to load a binary chunk": name the file */
            m = lua_pushfstring(L, "%s: %s", rt->scenario, m);
        lrt_scenario_error(rt, m ? m : "cannot load the scenario");
        lua_settop(L, lua_gettop(L) - (m && lua_gettop(L) > 1 ? 1 : 0));
        lua_pop(L, 1);
        return;
    }
    int status = lrt_pcall(rt, 0, 0, LRT_CTX_SCENARIO, NULL, "scenario");
    if (status != LUA_OK) {
        if (rt->errmsg[0]) lrt_scenario_error(rt, rt->errmsg);   /* else: stopped by a failed check */
        return;
    }
    if (!rt->ran) {
        char msg[600];
        snprintf(msg, sizeof(msg), "%s: the scenario never called dsim.run(duration)", rt->scenario);
        lrt_scenario_error(rt, msg);
        return;
    }
    lrt_run_finals(rt);
}

/* One run of the scenario; VIZ_RESTART when the viewer made a new branch. */
static int lua_run_once(const dsim_run_opts *opts)
{
    dsim_run run;
    int rc = dsim_run_open(&run, opts);
    if (rc) return rc;
    char err[600];
    lrt *rt = lrt_create(run.s, &run, opts->scenario, err, sizeof(err));
    if (!rt) {
        dsim_run_discard(&run);
        return dsim_usage_error("%s", err);
    }
    run_script(rt);
    fflush(stdout);
    rt->closing = true;                   /* node stop handlers must not run Lua now */
    int code;
    if (run.restart) {
        dsim_run_discard(&run);
        code = VIZ_RESTART;
    } else if (rt->error) {
        fprintf(stderr, "dsim: %s\n", rt->error);
        dsim_run_discard(&run);
        code = DSIM_EXIT_USAGE;
    } else {
        code = dsim_run_close(&run, stdout);
    }
    lrt_destroy(rt);
    return code;
}

int dsim_lua_run(const dsim_run_opts *opts)
{
    int code;
    while ((code = lua_run_once(opts)) == VIZ_RESTART) {}
    return code;
}
