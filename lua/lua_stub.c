/*
 * Placeholder for the Lua layer until it lands: FILE.lua scenarios are refused
 * with a clear error. (To be deleted when lua/ gains its binding.)
 */
#include "lua/host.h"

int dsim_lua_run(const dsim_run_opts *opts)
{
    return dsim_usage_error("run: Lua scenarios are not available in this build ('%s')", opts->scenario);
}
