/*
 * dsim.linearizable{ model = "kv" | "register" | "auto", max_steps = N,
 *                    name = "linearizable" }
 * checks the run's client history so far with the C linearizability checker
 * (sim/check/lincheck.h) and records the verdict as a check (unknown, when the
 * step budget runs out, counts as failed: it is never a pass). Returns ok, the
 * one-line summary, and the explanation of a violation (or nil). The check's
 * detail is the summary, and on a violation " [ops 35 37 ...]" after it: the
 * ids of the operations the explanation names, which the viewer marks on its
 * timeline (format: sim_lin_ops_format in sim/check/lincheck.h). Scenario code
 * only; a history holding other operations than read/write/cas (get/put/append)
 * is an error naming the operation.
 */
#include <string.h>

#include "lua/binding/lrt.h"
#include "sim/check/lincheck.h"

static void read_options(lua_State *L, sim_lin_options *o, const char **name)
{
    if (lua_isnoneornil(L, 1)) return;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "model");
    if (!lua_isnil(L, -1) && sim_lin_model_parse(lua_tostring(L, -1), &o->model) != 0)
        luaL_argerror(L, 1, "model must be \"kv\", \"register\" or \"auto\"");
    lua_getfield(L, 1, "max_steps");
    if (!lua_isnil(L, -1)) {
        lua_Integer steps = lua_tointeger(L, -1);
        if (steps <= 0) luaL_argerror(L, 1, "max_steps must be a positive integer");
        o->max_steps = (uint64_t)steps;
    }
    lua_getfield(L, 1, "name");
    if (!lua_isnil(L, -1)) *name = luaL_checkstring(L, -1);
    lua_pop(L, 3);
}

static int l_linearizable(lua_State *L)
{
    lrt_scenario_only(L, "linearizable");
    lrt *rt = lrt_of(L);
    sim_lin_options o;
    memset(&o, 0, sizeof(o));
    const char *name = "linearizable";
    read_options(L, &o, &name);
    sim_lin_result r;
    int rc = sim_lin_check_history(rt->s, &o, &r);
    if (rc != 0) {
        lua_pushfstring(L, "dsim.linearizable: %s", r.error[0] ? r.error : sim_strerror(rc));
        sim_lin_result_free(&r);
        return lua_error(L);
    }
    bool ok = r.verdict == SIM_LIN_OK;
    char detail[sizeof(r.summary) + SIM_LIN_OPS_MAX];
    size_t len = strlen(r.summary);
    memcpy(detail, r.summary, len);
    sim_lin_ops_format(r.op_ids, r.op_id_count, detail + len, sizeof(detail) - len);
    sim_check_report(rt->s, name, ok, detail);
    lua_pushboolean(L, ok);
    lua_pushstring(L, r.summary);
    if (r.explanation) lua_pushstring(L, r.explanation);
    else lua_pushnil(L);
    sim_lin_result_free(&r);
    return 3;
}

int luaopen_dsim_linearizable(lua_State *L)
{
    static const luaL_Reg fns[] = { { "linearizable", l_linearizable }, { NULL, NULL } };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
