/*
 * dsim.submission(NAME): a student's module, for lab tests and the grader.
 *
 *   local echo = dsim.submission("echo")     -- DIR/echo.lua, DIR from --submission
 *   dsim.cluster{program = echo, count = 3}
 *
 * The test scenario belongs to the instructor; the module is student code, so it
 * is loaded as student code: a text chunk only, from inside the submission
 * folder (its real path, symbolic links resolved, must stay inside), run as a
 * node would run (the node instruction budget; no scenario powers such as
 * dsim.limits, dsim.check or dsim.crash), in globals of its own whose reads fall
 * through to the sandbox's, so it cannot replace what the test's code uses.
 *
 * A module that fails to load (syntax error, runtime error, budget, not a table
 * or function) fails the run as the check "submission" (exit 1, like any failed
 * test), naming the student's file and line; a bad NAME or a missing file is the
 * same, with the fix in the message.
 */
#define _XOPEN_SOURCE 700     /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lua/binding/lrt.h"

#define MODULE_BYTES_MAX ((size_t)1 << 20)

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64) return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            return false;
    return true;
}

static int fail(lua_State *L, const char *fmt, const char *a, const char *b)
{
    lrt *rt = lrt_of(L);
    char detail[1200];
    snprintf(detail, sizeof(detail), fmt, a, b);
    lrt_fail(rt, "submission", detail);
    return lrt_raise_abort(L);
}

/* Reads DIR/NAME.lua into a Lua string (pushed), refusing anything outside DIR. */
static void push_source(lua_State *L, const char *dir, const char *name)
{
    char real_dir[PATH_MAX], path[PATH_MAX + 80], real_path[PATH_MAX];
    if (!realpath(dir, real_dir)) fail(L, "the submission folder '%s' does not exist%s", dir, "");
    snprintf(path, sizeof(path), "%s/%s.lua", real_dir, name);
    size_t dl = strlen(real_dir);
    struct stat st;
    if (!realpath(path, real_path) || stat(real_path, &st) != 0 || !S_ISREG(st.st_mode))
        fail(L, "no file %s.lua in the submission folder %s (write your solution there)", name, dir);
    if (strncmp(real_path, real_dir, dl) != 0 || real_path[dl] != '/')
        fail(L, "%s.lua leads outside the submission folder %s (a link?): refused", name, dir);
    if ((size_t)st.st_size > MODULE_BYTES_MAX) fail(L, "%s.lua is larger than 1 MiB%s", name, "");
    FILE *f = fopen(real_path, "rb");
    if (!f) fail(L, "cannot read %s.lua in %s", name, dir);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)st.st_size + 1);
    size_t n = fread(p, 1, (size_t)st.st_size + 1, f);
    fclose(f);
    luaL_pushresultsize(&b, n);
}

static int l_submission(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lrt_scenario_only(L, "submission");
    const char *name = luaL_checkstring(L, 1);
    if (!valid_name(name))
        return luaL_argerror(L, 1, "a module name of letters, digits, _ and - (\"echo\" reads echo.lua)");
    const char *dir = rt->run && rt->run->opts->submission ? rt->run->opts->submission : ".";
    push_source(L, dir, name);
    size_t len;
    const char *src = lua_tolstring(L, -1, &len);
    char chunk[80];
    snprintf(chunk, sizeof(chunk), "@%s.lua", name);
    if (memchr(src, '\0', len) || luaL_loadbufferx(L, src, len, chunk, "t") != LUA_OK)
        return fail(L, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "not a Lua text file", "");
    lua_newtable(L);                                     /* the module's own globals */
    lua_createtable(L, 0, 1);
    lua_pushglobaltable(L);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setupvalue(L, -2, 1);
    if (lrt_pcall(rt, 0, 1, LRT_CTX_NODE, NULL, "load") != LUA_OK)
        return fail(L, "%s", rt->errmsg[0] ? rt->errmsg : "stopped", "");
    if (!lua_istable(L, -1) && !lua_isfunction(L, -1))
        return fail(L, "%s.lua must end with `return` and its node program (a table of handlers)%s", name, "");
    return 1;
}

int luaopen_dsim_submission(lua_State *L)
{
    static const luaL_Reg fns[] = { { "submission", l_submission }, { NULL, NULL } };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
