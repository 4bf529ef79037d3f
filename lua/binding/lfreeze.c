/*
 * Grading integrity: what student code (node programs and every module they
 * `require`) must not be able to change. Labs are graded by a scenario that
 * checks student code in the same lua_State, so the library it relies on is
 * frozen once the sandbox is built:
 *
 *   - the dsim module, the dsim.* helper modules and the standard libraries
 *     (string, table, math, utf8, coroutine) are read-only views: userdata whose
 *     __index is the real table, so neither `dsim.check = ...`, nor rawset (it
 *     wants a table), nor a metatable change can replace what a grader calls;
 *     pairs() on a view lists the real table's fields in ldet.c's order;
 *   - the library's global names (print, pairs, require, string ...) live in a
 *     table behind the global table's __index, and both assignment and rawset
 *     of those names are refused; other globals stay free for scenario code;
 *   - dsim.limits may be called only from the scenario file itself
 *     (lscenario.c), so a required module cannot lift its own budget.
 *
 * The real tables stay reachable from C only (the registry), and the lua/dsim
 * helpers receive the real dsim table.
 */
#include <string.h>

#include "lua/binding/lrt.h"

static char lib_key;              /* registry[&lib_key]: the library's globals */

static int refuse_write(lua_State *L)
{
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    return luaL_error(L, "%s is read-only in the dsim sandbox (cannot set '%s')",
                      lua_tostring(L, lua_upvalueindex(1)), key);
}

static int view_iter(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3)) + 1;
    if (lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL) return 0;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(3));
    lua_pushvalue(L, -1);
    lua_rawget(L, lua_upvalueindex(2));
    return 2;
}

static int view_pairs(lua_State *L)
{
    lua_getiuservalue(L, 1, 1);
    int real = lua_gettop(L);
    lrt_push_sorted_keys(L, real);
    lua_pushvalue(L, real);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, view_iter, 3);
    lua_pushnil(L);
    lua_pushnil(L);
    return 3;
}

void lrt_push_readonly(lua_State *L, int idx, const char *name)
{
    idx = lua_absindex(L, idx);
    lua_newuserdatauv(L, 0, 1);
    lua_pushvalue(L, idx);
    lua_setiuservalue(L, -2, 1);
    lua_createtable(L, 0, 5);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, refuse_write, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, view_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* Raises when key (at kidx) names a library global. */
static void check_global(lua_State *L, int kidx)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lib_key);
    lua_pushvalue(L, kidx);
    bool lib = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    if (lib)
        luaL_error(L, "the global '%s' belongs to the dsim sandbox's library and cannot be replaced "
                      "(use a local of another name)", lua_type(L, kidx) == LUA_TSTRING ? lua_tostring(L, kidx) : "?");
}

static int globals_newindex(lua_State *L)
{
    check_global(L, 2);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

/* rawset: the same guard when the target is the global table. */
static int l_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    lua_pushglobaltable(L);
    bool g = lua_rawequal(L, 1, -1);
    lua_pop(L, 1);
    if (g) check_global(L, 2);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* rawget: on the global table, a library name reads through to the library. */
static int l_rawget(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, 1) != LUA_TNIL) return 1;
    lua_pushglobaltable(L);
    if (!lua_rawequal(L, 1, -1)) return lua_pop(L, 1), 1;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &lib_key);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

void lrt_freeze_globals(lua_State *L)
{
    static const char *const libs[] = { LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME,
                                        LUA_COLIBNAME, NULL };
    lua_pushcfunction(L, l_rawset);
    lua_setglobal(L, "rawset");
    lua_pushcfunction(L, l_rawget);
    lua_setglobal(L, "rawget");
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    lua_newtable(L);
    int lib = lua_gettop(L);
    lua_newtable(L);                                  /* the names, moved after the walk */
    int names = lua_gettop(L);
    lua_Integer n = 0;
    for (lua_pushnil(L); lua_next(L, g); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);
        lua_rawseti(L, names, ++n);
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_rawset(L, lib);
    }
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, names, i);
        lua_pushnil(L);
        lua_rawset(L, g);
    }
    lua_pop(L, 1);
    for (int i = 0; libs[i]; i++) {
        lua_getfield(L, lib, libs[i]);
        lrt_push_readonly(L, -1, libs[i]);
        lua_setfield(L, lib, libs[i]);
        lua_pop(L, 1);
    }
    lua_pushvalue(L, g);
    lua_setfield(L, g, "_G");                         /* _G itself stays an ordinary global */
    lua_pushnil(L);
    lua_setfield(L, lib, "_G");
    lua_pushvalue(L, lib);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lib_key);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, lib);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, globals_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "the global table");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, g);
    lua_pop(L, 2);
}
