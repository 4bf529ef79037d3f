/*
 * dsim.disk{ crash = "lose-unsynced" | "torn", nodes = { handles or names } }
 * chooses what a crash does to the writes a node made since its last sync
 * (sim/disk.h): "lose-unsynced", the default, forgets every one; "torn" keeps
 * each with probability 1/2, independently of the others (out of order), and
 * may cut the last kept value of a key to a prefix, drawn from the run's disk
 * stream. Without nodes, for every node that has no mode of its own. Scenario
 * code only; a bad mode or node is an error naming it.
 */
#include "lua/binding/lrt.h"

static int l_disk(lua_State *L)
{
    static const char *const known[] = { "crash", "nodes", NULL };
    lrt_scenario_only(L, "disk");
    lrt *rt = lrt_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lrt_check_fields(L, 1, known, "disk");
    lua_getfield(L, 1, "crash");
    sim_disk_crash_kind mode;
    if (sim_disk_crash_parse(lua_tostring(L, -1), &mode) != 0)
        luaL_argerror(L, 1, "field 'crash': \"lose-unsynced\" or \"torn\" expected");
    if (lua_getfield(L, 1, "nodes") == LUA_TNIL) {
        sim_disk_crash_mode(rt->s, SIM_NODE_NONE, mode);
        return 0;
    }
    luaL_argcheck(L, lua_istable(L, -1), 1, "field 'nodes': a list of nodes expected");
    int list = lua_gettop(L);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, list); i++) {
        lua_rawgeti(L, list, i);
        sim_disk_crash_mode(rt->s, lrt_check_node_in(L, -1, 1), mode);
        lua_pop(L, 1);
    }
    return 0;
}

int luaopen_dsim_disk(lua_State *L)
{
    static const luaL_Reg fns[] = { { "disk", l_disk }, { NULL, NULL } };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
