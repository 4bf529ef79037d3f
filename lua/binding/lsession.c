/*
 * dsim.session{ check = "read-your-writes" | "monotonic-reads" | "both",
 *               name = "...", clients = { handle or name, ... } }
 * checks the run's client history so far for the session guarantees with the C
 * checker (sim/check/session.h) and records the verdict as the check `name`
 * (default: the guarantee's name, "session" for both). Only the operations of
 * `clients` count when it is given (as session.of_clients filters them).
 * Returns ok, the one-line summary (the words of lua/dsim/session.lua), and the
 * list of violations: { check, op, write (RYW) or earlier (MR), process, key,
 * value, why }, key and value as strings. A failed check's detail ends with
 * " [ops A B ...]": the read and the write (or earlier read) of the first
 * violation of each guarantee, for the viewer to mark. Scenario code only.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"
#include "sim/check/lincheck.h"
#include "sim/check/session.h"

/* Pushes the names of opts.clients on the stack (kept there while checking);
 * returns how many, with pointers to them in *names (malloc'ed). */
static size_t read_clients(lua_State *L, const char ***names)
{
    lua_getfield(L, 1, "clients");
    if (lua_isnil(L, -1)) return lua_pop(L, 1), 0;
    luaL_checktype(L, -1, LUA_TTABLE);
    int t = lua_gettop(L);
    size_t n = (size_t)luaL_len(L, t);
    luaL_checkstack(L, (int)n + 4, "too many clients");
    *names = malloc((n + 1) * sizeof(char *));
    if (!*names) luaL_error(L, "dsim.session: out of memory");
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, t, (lua_Integer)i);
        if (!lua_isstring(L, -1)) {
            lua_getfield(L, -1, "name");
            lua_remove(L, -2);
        }
        if (!lua_isstring(L, -1)) {
            free(*names);
            luaL_argerror(L, 1, "clients must be a list of node handles or names");
        }
        (*names)[i - 1] = lua_tostring(L, -1);
    }
    return n;
}

static void read_options(lua_State *L, sim_session_options *o, const char **name)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "check");
    const char *check = lua_isnil(L, -1) ? "both" : luaL_checkstring(L, -1);
    if (sim_session_checks_parse(check, &o->checks) != 0)
        luaL_argerror(L, 1, "check must be \"read-your-writes\", \"monotonic-reads\" or \"both\"");
    *name = sim_session_check_name(o->checks);
    lua_getfield(L, 1, "name");
    if (!lua_isnil(L, -1)) *name = luaL_checkstring(L, -1);
    lua_pop(L, 2);
}

static void push_violations(lua_State *L, const sim_session_result *r)
{
    lua_createtable(L, (int)r->bad_count, 0);
    for (size_t i = 0; i < r->bad_count; i++) {
        const sim_session_violation *v = &r->bad[i];
        lua_createtable(L, 0, 7);
        lua_pushstring(L, sim_session_check_name(v->check));
        lua_setfield(L, -2, "check");
        lua_pushinteger(L, (lua_Integer)v->op);
        lua_setfield(L, -2, "op");
        lua_pushinteger(L, (lua_Integer)v->cause);
        lua_setfield(L, -2, v->check == SIM_SESSION_RYW ? "write" : "earlier");
        lua_pushstring(L, v->process);
        lua_setfield(L, -2, "process");
        lua_pushstring(L, v->key);
        lua_setfield(L, -2, "key");
        lua_pushstring(L, v->value);
        lua_setfield(L, -2, "value");
        lua_pushstring(L, v->why);
        lua_setfield(L, -2, "why");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* The check's detail: the summary, then " [ops A B ...]" when it failed. */
static void report(lrt *rt, const char *name, const sim_session_result *r)
{
    char detail[sizeof(r->summary) + SIM_LIN_OPS_MAX];
    size_t len = strlen(r->summary);
    memcpy(detail, r->summary, len + 1);
    if (!r->ok) sim_lin_ops_format(r->op_ids, r->op_id_count, detail + len, sizeof(detail) - len);
    sim_check_report(rt->s, name, r->ok, detail);
}

static int l_session(lua_State *L)
{
    lrt_scenario_only(L, "session");
    lrt *rt = lrt_of(L);
    if (lua_isnoneornil(L, 1)) lua_settop(L, 0), lua_newtable(L);
    sim_session_options o = { 0 };
    const char *name;
    read_options(L, &o, &name);
    const char **names = NULL;
    o.nclients = read_clients(L, &names);
    o.clients = names;
    sim_session_result r;
    int rc = sim_session_check_history(rt->s, &o, &r);
    free(names);
    if (rc != 0) {
        lua_pushfstring(L, "dsim.session: %s", r.error[0] ? r.error : sim_strerror(rc));
        return lua_error(L);
    }
    report(rt, name, &r);
    lua_pushboolean(L, r.ok);
    lua_pushstring(L, r.summary);
    push_violations(L, &r);
    sim_session_result_free(&r);
    return 3;
}

int luaopen_dsim_session(lua_State *L)
{
    static const luaL_Reg fns[] = { { "session", l_session }, { NULL, NULL } };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
