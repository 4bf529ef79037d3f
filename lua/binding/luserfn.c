/*
 * The Lua side of sim/userfn.h: user code (map and reduce functions, stream
 * operators, contracts) that C systems call, run in the node sandbox.
 *
 *   scenario:  dsim.cluster{system = "mapreduce", map = function(k, v) ... end}
 *      -> lcluster.c copies the options, every function replaced by a handle
 *         "lua-function:N" (lrt_userfn_strip), and hands the JSON to configure()
 *   system:    sim_userfn_call(node, "lua-function:N", NULL, args, budget, ...)
 *      -> host_call: the function from the registry, args decoded from JSON as a
 *         message would be, run by lrt_pcall as the calling node (its budget,
 *         its random stream, no scenario powers), results encoded back to JSON.
 *
 * A chunk loaded at run time (sim_userfn_load: a contract in a transaction) runs
 * in an environment of its own whose reads fall through to the sandbox's globals,
 * so one contract's globals are never another's. Errors, budget and memory kills
 * come back to the system as SIM_EINVAL with one line; the run goes on, because
 * what a failed user call means (a failed task, a reverted contract) is the
 * system's to decide.
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding/lrt.h"
#include "sim/userfn.h"

#define HANDLE_FMT "lua-function:%lld"
#define STRIP_DEPTH_MAX 32

/* The registry table of user functions, index -> function or table. */
static void push_registry(lrt *rt)
{
    lua_rawgeti(rt->L, LUA_REGISTRYINDEX, rt->ref_userfns);
}

/* Registers the value at idx; returns its index. */
static lua_Integer keep(lua_State *L, int idx)
{
    lrt *rt = lrt_of(L);
    idx = lua_absindex(L, idx);
    push_registry(rt);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1) + 1;
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, n);
    lua_pop(L, 1);
    return n;
}

/* Pushes a copy of the table at idx in which every function is its handle. */
static void strip(lua_State *L, int idx, int depth)
{
    idx = lua_absindex(L, idx);
    if (depth > STRIP_DEPTH_MAX) luaL_error(L, "options nested more than %d levels deep", STRIP_DEPTH_MAX);
    luaL_checkstack(L, 6, "options too deep");
    lua_newtable(L);
    int out = lua_gettop(L);
    if (lua_getmetatable(L, idx)) lua_setmetatable(L, out);    /* keeps dsim.array/object marks */
    /* In canonical key order, so handles are numbered the same in every process. */
    lua_Integer n = lrt_push_sorted_keys(L, idx);
    int keys = lua_gettop(L);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, keys, i);                          /* key */
        lua_pushvalue(L, -1);
        lua_rawget(L, idx);                               /* key, value */
        if (lua_type(L, -1) == LUA_TFUNCTION) {
            lua_Integer h = keep(L, -1);
            lua_pop(L, 1);
            lua_pushfstring(L, "lua-function:%I", h);
        } else if (lua_type(L, -1) == LUA_TTABLE) {
            strip(L, -1, depth + 1);
            lua_remove(L, -2);
        }
        lua_rawset(L, out);
    }
    lua_pop(L, 1);                                        /* the keys */
}

void lrt_userfn_strip(lua_State *L, int idx)
{
    strip(L, idx, 0);
}

/* The registered value of a handle, pushed; false when there is none. */
static bool push_handle(lrt *rt, const char *handle)
{
    long long n = 0;
    if (sscanf(handle, HANDLE_FMT, &n) != 1 || n <= 0) return false;
    push_registry(rt);
    lua_rawgeti(rt->L, -1, (lua_Integer)n);
    lua_remove(rt->L, -2);
    if (!lua_isnil(rt->L, -1)) return true;
    lua_pop(rt->L, 1);
    return false;
}

/* The call, in one protected call so that nothing raises outside it: the
 * function (argument 1), the JSON arguments (light userdata,
 * argument 2) decoded as a message would be, the call, then its results as a
 * JSON array in rt->buf (raises when one is no message, a function say). */
static int do_call(lua_State *L)
{
    lrt *rt = lrt_of(L);
    const cJSON *args = lua_touserdata(L, 2);
    lua_settop(L, 1);
    int nargs = 0;
    for (const cJSON *a = args ? args->child : NULL; a; a = a->next, nargs++) {
        luaL_checkstack(L, 2, "too many arguments");
        char *text = cJSON_PrintUnformatted(a);
        if (!text) return luaL_error(L, "out of memory");
        bool ok = lrt_decode(L, text, strlen(text));
        cJSON_free(text);
        if (!ok) lua_pushnil(L);
    }
    lua_call(L, nargs, LUA_MULTRET);
    int n = lua_gettop(L);
    lua_createtable(L, n, 0);
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, i);
        lua_rawseti(L, -2, i);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_array_mt);
    lua_setmetatable(L, -2);
    lrt_encode(L, -1, &rt->buf);
    return 0;
}

static int64_t budget_or_default(lrt *rt, int64_t budget)
{
    return budget > 0 ? budget : rt->node_budget;
}

/* lrt_pcall as node with the given budget (0: the node budget). */
static int run_as_node(lrt *rt, sim_node *node, int nargs, int nresults, int64_t budget, int64_t *used,
                       const char *what)
{
    int64_t saved = rt->node_budget;
    rt->node_budget = budget_or_default(rt, budget);
    int st = lrt_pcall(rt, nargs, nresults, LRT_CTX_NODE, node, what);
    rt->node_budget = saved;
    if (used) *used = rt->last_spent;
    return st;
}

static int fail_with(lrt *rt, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", rt->errmsg[0] ? rt->errmsg : "stopped");
    return SIM_EINVAL;
}

static int host_call(void *ctx, sim_node *node, const char *handle, const char *method, const cJSON *args,
                     int64_t budget, cJSON **result, int64_t *used, char *err, size_t errlen)
{
    lrt *rt = ctx;
    lua_State *L = rt->L;
    if (rt->closing || !lua_checkstack(L, 8)) return snprintf(err, errlen, "the Lua layer is closing"), SIM_ESTATE;
    int top = lua_gettop(L);
    lua_pushcfunction(L, do_call);
    if (!push_handle(rt, handle)) {
        lua_settop(L, top);
        return snprintf(err, errlen, "no Lua function '%s'", handle), SIM_EINVAL;
    }
    if (method) {
        if (lua_type(L, -1) != LUA_TTABLE || lua_getfield(L, -1, method) != LUA_TFUNCTION) {
            lua_settop(L, top);
            return snprintf(err, errlen, "the code has no function '%s'", method), SIM_EINVAL;
        }
        lua_remove(L, -2);
    }
    lua_pushlightuserdata(L, (void *)args);
    int st = run_as_node(rt, node, 2, 0, budget, used, method ? method : "user function");
    lua_settop(L, top);
    if (st != LUA_OK) return fail_with(rt, err, errlen);
    *result = cJSON_ParseWithLength(rt->buf.data, rt->buf.len);
    return *result ? 0 : (snprintf(err, errlen, "out of memory"), SIM_ENOMEM);
}

/* A fresh environment whose reads fall through to the sandbox's globals. */
static void push_private_env(lua_State *L)
{
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushglobaltable(L);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

static int host_load(void *ctx, sim_node *node, const char *chunkname, const char *source, size_t len,
                     int64_t budget, char *handle_out, size_t handle_len, char *err, size_t errlen)
{
    lrt *rt = ctx;
    lua_State *L = rt->L;
    if (rt->closing || !lua_checkstack(L, 16)) return snprintf(err, errlen, "the Lua layer is closing"), SIM_ESTATE;
    int top = lua_gettop(L);
    char name[128];
    snprintf(name, sizeof(name), "=%s", chunkname && *chunkname ? chunkname : "code");
    if (luaL_loadbufferx(L, source, len, name, "t") != LUA_OK) {
        snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "cannot load");
        lua_settop(L, top);
        return SIM_EINVAL;
    }
    push_private_env(L);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);            /* _ENV */
    if (run_as_node(rt, node, 0, LUA_MULTRET, budget, NULL, "load") != LUA_OK) {
        lua_settop(L, top);
        return fail_with(rt, err, errlen);
    }
    int t = lua_gettop(L) > top ? lua_type(L, top + 1) : LUA_TNIL;
    if (t != LUA_TFUNCTION && t != LUA_TTABLE) {
        lua_settop(L, top);
        return snprintf(err, errlen, "%s: the code must return a function or a table of functions", chunkname),
               SIM_EINVAL;
    }
    snprintf(handle_out, handle_len, HANDLE_FMT, (long long)keep(L, top + 1));
    lua_settop(L, top);
    return 0;
}

void lrt_open_userfn(lrt *rt)
{
    lua_newtable(rt->L);
    rt->ref_userfns = luaL_ref(rt->L, LUA_REGISTRYINDEX);
    static const sim_userfn_host host_template = { NULL, host_call, host_load };
    sim_userfn_host host = host_template;
    host.ctx = rt;
    sim_userfn_set_host(rt->s, &host);
}
