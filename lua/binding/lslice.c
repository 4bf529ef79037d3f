/*
 * Preemptive time slices for Lua coroutines: what lets lua/dsim/actors.lua run
 * Erlang-style processes that are preempted after a budget of reductions, as
 * the BEAM does, instead of trusting every process to reach a receive.
 *
 *   internal.run_slice(co, reductions, ...)
 *     -> "yield", values...   co yielded by itself (a receive that blocks)
 *     -> "preempted"          co spent its reductions; resume it later
 *     -> "done", values...    co returned
 *     -> "error", err         co raised err (a message has its file:line)
 *
 * The sandbox's count hook (lrt.c) runs every LRT_HOOK_COUNT instructions in
 * every coroutine; while a slice runs, it also counts the slice's reductions
 * (one per hook, that is one per 1,000 Lua instructions) and yields the slice's
 * coroutine when they are spent. A slice is deterministic: it ends at the same
 * instruction in every run. The node's own instruction budget still applies
 * to the handler call that runs the slices, so a slice never escapes it.
 */
#include "lua/binding/lrt.h"

static int run_slice(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lua_State *co = lua_tothread(L, 1);
    luaL_argcheck(L, co != NULL && co != L, 1, "a coroutine expected");
    lua_Integer reductions = luaL_checkinteger(L, 2);
    luaL_argcheck(L, reductions >= 1 && reductions <= 1000000, 2, "reductions from 1 to 1000000");
    int st = lua_status(co);
    if (st != LUA_OK && st != LUA_YIELD) return luaL_error(L, "cannot resume a dead process");
    if (st == LUA_OK && lua_gettop(co) == 0) return luaL_error(L, "cannot resume a dead process");
    int nargs = lua_gettop(L) - 2;
    if (!lua_checkstack(co, nargs + 1)) return luaL_error(L, "too many arguments to resume");
    lua_xmove(L, co, nargs);
    lua_State *saved_thread = rt->slice_thread;
    int64_t saved_left = rt->slice_left;
    rt->slice_thread = co;
    rt->slice_left = reductions * LRT_HOOK_COUNT;
    rt->slice_preempted = false;
    int nres = 0;
    st = lua_resume(co, L, nargs, &nres);
    bool preempted = rt->slice_preempted;
    rt->slice_thread = saved_thread;
    rt->slice_left = saved_left;
    rt->slice_preempted = false;
    if (rt->killed) {                         /* a limit of the whole handler: not the process's to catch */
        lua_pushstring(L, rt->kill_msg);
        return lua_error(L);
    }
    if (st == LUA_YIELD && preempted) {
        lua_pop(co, nres);
        lua_pushliteral(L, "preempted");
        return 1;
    }
    if (st != LUA_OK && st != LUA_YIELD) {    /* the error object itself: exit(reason) raises a table */
        lua_pushliteral(L, "error");
        lua_xmove(co, L, 1);
        return 2;
    }
    if (!lua_checkstack(L, nres + 1)) return luaL_error(L, "too many results");
    lua_pushstring(L, st == LUA_YIELD ? "yield" : "done");
    lua_xmove(co, L, nres);
    return nres + 1;
}

/* Called by the count hook: true when the slice's coroutine must yield now. */
bool lrt_slice_tick(lrt *rt, lua_State *L)
{
    if (L != rt->slice_thread) return false;
    rt->slice_left -= LRT_HOOK_COUNT;
    if (rt->slice_left > 0 || !lua_isyieldable(L)) return false;
    rt->slice_preempted = true;
    return true;
}

void lrt_push_slice(lua_State *L)
{
    lua_pushcfunction(L, run_slice);
    lua_setfield(L, -2, "run_slice");
}
