/*
 * `require` in the sandbox, and the loading of the pure-Lua helpers.
 *
 *   require "dsim"          the scenario API (lscenario.c and friends)
 *   require "dsim.NAME"     lua/dsim/NAME.lua, the helpers shipped with dsim
 *   require "a.b"           a/b.lua inside the scenario's own folder
 *
 * Nothing else is readable: no package.path, no C modules, no absolute paths, no
 * "..". Files are loaded as text chunks only. Module names are dotted words.
 * The file's real path (symbolic links resolved) must lie inside the folder
 * it was looked for in: a link to / in the scenario's folder reads nothing.
 *
 * Where lua/dsim is (decided once, in lrt.c): $DSIM_HOME/lua/dsim when set, else
 * the first lua/dsim found walking up to four folders from the executable (so
 * ./dsim at the repository root, build/release/dsim and the test binary all find
 * the source tree), else ./lua/dsim. The core API is in C and works without it;
 * only dsim.workload and dsim.nemesis need the helpers.
 *
 * A helper chunk is called with (dsim, internal): `internal` holds the functions
 * that write the client history and draw from the fault stream, which scenario
 * and node code never receive.
 */
#define _XOPEN_SOURCE 700     /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lua/binding/lrt.h"

static bool valid_module_name(const char *name)
{
    bool word = false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                     c == '-';
        if (alnum) word = true;
        else if (c == '.' && word) word = false;
        else return false;
    }
    return word && strlen(name) < 128;
}

static bool readable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether path, symbolic links resolved, lies inside dir (resolved too): a
 * link in the scenario's folder must not lead to the rest of the disk. */
static bool inside(const char *path, const char *dir)
{
    char real_dir[PATH_MAX], real_path[PATH_MAX];
    if (!realpath(dir, real_dir) || !realpath(path, real_path)) return false;
    size_t n = strlen(real_dir);
    return strncmp(real_path, real_dir, n) == 0 && (real_path[n] == '/' || (n == 1 && real_dir[0] == '/'));
}

/* Loads and runs path as a text chunk with nargs arguments already on the stack;
 * leaves its result (true when it returned nothing). */
static void run_file(lua_State *L, const char *path, int nargs)
{
    if (luaL_loadfilex(L, path, "t") != LUA_OK) lua_error(L);
    lua_insert(L, -nargs - 1);
    lua_call(L, nargs, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
}

static int l_require(lua_State *L)
{
    lrt *rt = lrt_of(L);
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    if (lua_getfield(L, lua_upvalueindex(1), name) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    if (!valid_module_name(name))
        return luaL_argerror(L, 1, "module names are dotted words, like 'helpers' or 'lib.raft'");
    char path[4096];
    int nargs = 1;
    if (strncmp(name, "dsim.", 5) == 0) {
        if (!rt->lib_dir)
            return luaL_error(L, "module '%s' not found: the folder lua/dsim was not found next to the "
                                 "dsim executable (set DSIM_HOME to the dsim source folder)", name);
        snprintf(path, sizeof(path), "%s/%s.lua", rt->lib_dir, name + 5);
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_dsim);
        lrt_push_internal(L);
        nargs = 2;
    } else {
        size_t n = (size_t)snprintf(path, sizeof(path), "%s/", rt->scenario_dir);
        for (const char *p = name; *p && n + 5 < sizeof(path); p++) path[n++] = *p == '.' ? '/' : *p;
        snprintf(path + n, sizeof(path) - n, ".lua");
        lua_pushvalue(L, 1);
    }
    if (!readable(path))
        return luaL_error(L, "module '%s' not found (looked for %s; require reads only the scenario's folder "
                             "and lua/dsim)", name, path);
    if (!inside(path, nargs == 2 ? rt->lib_dir : rt->scenario_dir))
        return luaL_error(L, "module '%s': %s leads outside %s (a symbolic link?): refused", name, path,
                          nargs == 2 ? rt->lib_dir : rt->scenario_dir);
    run_file(L, path, nargs);
    if (nargs == 2 && lua_istable(L, -1)) {        /* a helper module: read-only to its users */
        lrt_push_readonly(L, -1, name);
        lua_remove(L, -2);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, lua_upvalueindex(1), name);
    return 1;
}

void lrt_open_require(lua_State *L)
{
    lua_newtable(L);                           /* loaded modules */
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "dsim.loaded");
    lua_pushcclosure(L, l_require, 1);
    lua_setglobal(L, "require");
}

static int missing_helper(lua_State *L)
{
    return luaL_error(L, "dsim.%s needs lua/dsim/%s.lua, which was not found next to the dsim executable "
                         "(set DSIM_HOME to the dsim source folder)",
                      lua_tostring(L, lua_upvalueindex(1)), lua_tostring(L, lua_upvalueindex(1)));
}

/* dsim.workload and dsim.nemesis come from lua/dsim/<name>.lua, whose chunk
 * returns the function itself (so its errors point at the scenario's line). */
void lrt_load_helpers(lua_State *L, int dsim_idx)
{
    static const char *const helpers[] = { "workload", "nemesis", NULL };
    lua_getfield(L, LUA_REGISTRYINDEX, "dsim.loaded");
    lua_pushvalue(L, dsim_idx);
    lua_setfield(L, -2, "dsim");
    lua_pop(L, 1);
    for (int i = 0; helpers[i]; i++) {
        char name[64];
        snprintf(name, sizeof(name), "dsim.%s", helpers[i]);
        if (lrt_of(L)->lib_dir) {
            lua_getglobal(L, "require");
            lua_pushstring(L, name);
            lua_call(L, 1, 1);
        } else {
            lua_pushstring(L, helpers[i]);
            lua_pushcclosure(L, missing_helper, 1);
        }
        lua_setfield(L, dsim_idx, helpers[i]);
    }
}
