/*
 * The sandbox: the global environment that scenario and node code see. Node code
 * is untrusted (labs are graded by running it), so the environment has no io, no
 * os, no debug, no package, no loadfile/dofile, no string.dump, text chunks only,
 * no finalizers; every refused name raises an error that says why, at the line
 * that used it. What stays is pure computation (base, string, table, math, utf8,
 * coroutine), made deterministic by ldet.c, and `require` of lrequire.c.
 * Nothing may observe the garbage collector (no finalizers, weak tables or
 * memory counts): when it runs is deterministic for one process but not across
 * processes, since Lua's hash layout, and so its rehash points, follow the
 * per-process string hash seed.
 *
 * The state's own global table *is* the sandbox (the unsafe libraries are never
 * opened), so load() and every chunk default to it and no reference to a real
 * `io` or `os` exists anywhere in the state.
 *
 * Catching: pcall, xpcall and coroutine.resume re-raise when the run was killed
 * by a limit or aborted by a failed assertion (lrt.c), so user code cannot catch
 * its way past the instruction budget or the memory cap. Nothing user-written
 * runs with the count hook off: no finalizers (__gc is checked raw), no xpcall
 * message handler after a kill, no __close handler of a coroutine a kill ended.
 * coroutine.create/wrap and string.rep charge the budget for work the count
 * hook cannot see (lrt.c).
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding/lrt.h"

/* ---- refused names ---- */

static const char *why_refused(const char *lib, const char *key)
{
    if (strcmp(lib, "os") == 0) {
        if (!strcmp(key, "time") || !strcmp(key, "clock") || !strcmp(key, "date") || !strcmp(key, "difftime"))
            return "a run has no wall clock: use self:now() in a node, dsim.now() in a scenario";
        if (!strcmp(key, "getenv")) return "a run must not depend on the environment";
        return "no process or file access";
    }
    if (strcmp(lib, "io") == 0) return "no file access: use print or self:log";
    if (strcmp(lib, "debug") == 0) return "it can break the sandbox";
    return "use require for the lua/dsim helpers and the files in the scenario's folder";
}

static int refused_index(lua_State *L)
{
    const char *lib = lua_tostring(L, lua_upvalueindex(1));
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    return luaL_error(L, "%s.%s is not available in the dsim sandbox (%s)", lib, key, why_refused(lib, key));
}

static int refused_newindex(lua_State *L)
{
    return luaL_error(L, "%s is read-only in the dsim sandbox", lua_tostring(L, lua_upvalueindex(1)));
}

static void refused_lib(lua_State *L, const char *name)
{
    lua_newtable(L);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, name);
    lua_pushcclosure(L, refused_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, refused_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setglobal(L, name);
}

static int refused_function(lua_State *L)
{
    return luaL_error(L, "%s is not available in the dsim sandbox (%s)", lua_tostring(L, lua_upvalueindex(1)),
                      lua_tostring(L, lua_upvalueindex(2)));
}

static void refuse(lua_State *L, int table, const char *field, const char *name, const char *why)
{
    lua_pushstring(L, name);
    lua_pushstring(L, why);
    lua_pushcclosure(L, refused_function, 2);
    lua_setfield(L, table, field);
}

/* ---- base functions ---- */

/* Node output: every line (not just the first) starts with "NAME: ", so a
 * node cannot print a line that reads as the run's summary ("FAILED ...",
 * "reproduce with: ...", "trace-hash: ..."), which dsim sweep and graders parse.
 * Pushes the value at idx as text, a prefix after each newline. */
static void push_prefixed(lua_State *L, int idx, const char *prefix)
{
    size_t len;
    const char *text = lrt_tostring(L, idx, &len);
    if (!prefix || !memchr(text, '\n', len)) return;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) {
        luaL_addchar(&b, text[i]);
        if (text[i] == '\n') luaL_addstring(&b, prefix);
    }
    luaL_pushresult(&b);
    lua_remove(L, -2);
}

static int l_print(lua_State *L)
{
    lrt *rt = lrt_of(L);
    int n = lua_gettop(L);
    const char *prefix = NULL;
    if (rt->ctx == LRT_CTX_NODE && rt->node) prefix = lua_pushfstring(L, "%s: ", sim_self_name(rt->node));
    luaL_checkstack(L, 24, "too many values to print");
    int parts = prefix ? 1 : 0;
    if (prefix) lua_pushvalue(L, -1);
    for (int i = 1; i <= n; i++) {
        if (i > 1) lua_pushliteral(L, "\t"), parts++;
        push_prefixed(L, i, prefix);
        parts++;
        if (parts > 16) lua_concat(L, parts), parts = 1;
    }
    lua_pushliteral(L, "\n");
    lua_concat(L, parts + 1);
    size_t len;
    const char *text = lua_tolstring(L, -1, &len);
    fwrite(text, 1, len, stdout);
    return 0;
}

static int l_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    lrt_tostring(L, 1, NULL);
    return 1;
}

static int l_load(lua_State *L)
{
    const char *mode = luaL_optstring(L, 3, "t");
    if (strcmp(mode, "t") != 0)
        return luaL_argerror(L, 3, "only text chunks (mode 't') are allowed in the dsim sandbox");
    int n = lua_gettop(L);
    if (n < 3) lua_settop(L, n = 3);
    lua_pushstring(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));      /* the original load */
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* Only "collect": the amount of memory in use ("count") and anything tied to
 * when the collector runs can differ between two processes (a table's rehash
 * point depends on where string keys hash to), so a run must not see them. */
static int l_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "collect") == 0) {
        lua_gc(L, LUA_GCCOLLECT, 0);
        lua_pushinteger(L, 0);
        return 1;
    }
    return luaL_argerror(L, 1, lua_pushfstring(L, "collectgarbage(\"%s\") is not available in the dsim "
                                                  "sandbox (only \"collect\")", opt));
}

/* No finalizers and no weak tables: both depend on when the collector runs,
 * which is not part of a run's determinism contract. */
static int l_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        /* Raw reads, as Lua's own: an __index on the metatable must not run
         * (it could add a raw __gc while the check looks). */
        lua_pushliteral(L, "__gc");
        lua_rawget(L, 2);
        lua_pushliteral(L, "__mode");
        lua_rawget(L, 2);
        if (!lua_isnil(L, -2))
            return luaL_argerror(L, 2, "__gc is not available in the dsim sandbox (finalizers run at "
                                       "unpredictable points)");
        if (!lua_isnil(L, -1))
            return luaL_argerror(L, 2, "__mode is not available in the dsim sandbox (what a weak table "
                                       "holds depends on when the collector runs)");
        lua_pop(L, 2);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Re-raises a limit or an abort that a pcall/xpcall/resume just caught. */
static void reraise_if_killed(lua_State *L, int status, int err_idx)
{
    lrt *rt = lrt_of(L);
    if (rt->killed) {
        lua_pushstring(L, rt->kill_msg);
        lua_error(L);
    }
    if (status != LUA_OK && status != LUA_YIELD && lrt_is_abort(L, err_idx)) lrt_raise_abort(L);
}

static int finish_pcall(lua_State *L, int status, lua_KContext extra)
{
    if (status != LUA_OK && status != LUA_YIELD) {
        reraise_if_killed(L, status, -1);
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    reraise_if_killed(L, LUA_OK, 0);
    return lua_gettop(L) - (int)extra;
}

static int l_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
    return finish_pcall(L, status, 0);
}

/* The message handler of xpcall, around the user's (upvalue 1). A limit kill is
 * raised from the count hook, where hooks are off: the user's handler would run
 * unbudgeted, so after a kill it is not called at all. */
static int xpcall_handler(lua_State *L)
{
    lrt *rt = lrt_of(L);
    if (rt->killed || lrt_is_abort(L, 1)) {
        if (rt->killed) lua_pushstring(L, rt->kill_msg);
        else lua_pushvalue(L, 1);
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int l_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, xpcall_handler, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
    return finish_pcall(L, status, 2);
}

/* ---- coroutines ----
 * A limit kill raised inside a coroutine leaves it dead with hooks off (the
 * hook raised it, and lua_resume, unlike pcall, does not turn them back on), so
 * its pending __close handlers must never run: such a thread is remembered
 * (registry[&killed_key][thread] = true) and coroutine.close does not close it,
 * and coroutine.wrap (re-implemented here) does not close it on the error. */

static char killed_key;

static void remember_killed(lua_State *L, int co)
{
    co = lua_absindex(L, co);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &killed_key);
    lua_pushvalue(L, co);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static bool was_killed(lua_State *L, int co)
{
    co = lua_absindex(L, co);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &killed_key);
    lua_pushvalue(L, co);
    bool k = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return k;
}

/* A new coroutine costs what its fresh hook count could hide. */
static int l_create(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lrt_charge(L, LRT_HOOK_COUNT);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    return 1;
}

static int l_resume(lua_State *L)
{
    int n = lua_gettop(L);
    lua_State *co = lua_tothread(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    if (lrt_of(L)->killed && co) {
        lua_pushthread(co);
        lua_xmove(co, L, 1);
        remember_killed(L, -1);
        lua_pop(L, 1);
    }
    reraise_if_killed(L, lua_toboolean(L, 1) ? LUA_OK : LUA_ERRRUN, 2);
    return lua_gettop(L);
}

static int l_close(lua_State *L)
{
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co, 1, "coroutine");
    lrt_charge(L, 0);                            /* re-raises after a kill */
    int st = lua_status(co);
    if (st != LUA_OK && st != LUA_YIELD && was_killed(L, 1)) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, "the coroutine was stopped by a limit (its __close handlers do not run)");
        return 2;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* The function coroutine.wrap returns (upvalue 1: the thread): Lua's own
 * contract, except that a thread a limit killed is not closed. */
static int wrapped(lua_State *L)
{
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    lrt *rt = lrt_of(L);
    int n = lua_gettop(L);
    if (lua_status(co) == LUA_OK && lua_gettop(co) == 0) return luaL_error(L, "cannot resume dead coroutine");
    if (!lua_checkstack(co, n + 1)) return luaL_error(L, "too many arguments to resume");
    lua_xmove(L, co, n);
    int nres;
    int st = lua_resume(co, L, n, &nres);
    if (st == LUA_OK || st == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) return luaL_error(L, "too many results to resume");
        lua_xmove(co, L, nres);
        reraise_if_killed(L, LUA_OK, 0);
        return nres;
    }
    lua_xmove(co, L, 1);                         /* the error object */
    st = lua_status(co);
    bool dead = st != LUA_OK && st != LUA_YIELD; /* an error in the coroutine itself */
    if (rt->killed) {
        if (dead) {
            lua_pushvalue(L, lua_upvalueindex(1));
            remember_killed(L, -1);
        }
        lua_pushstring(L, rt->kill_msg);
        return lua_error(L);
    }
    if (lrt_is_abort(L, -1)) return lrt_raise_abort(L);
    if (dead) {                                  /* as Lua's wrap: run its __close handlers */
        lua_pop(L, 1);
        st = lua_resetthread(co);
        lua_xmove(co, L, 1);
        reraise_if_killed(L, st, -1);
    }
    if (st != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {   /* with the position, as Lua's */
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int l_wrap(lua_State *L)
{
    l_create(L);
    lua_pushcclosure(L, wrapped, 1);
    return 1;
}

/* ---- string ---- */

static int l_format(lua_State *L)
{
    size_t flen;
    const char *f = luaL_checklstring(L, 1, &flen);
    int arg = 1;
    for (size_t i = 0; i < flen; i++) {
        if (f[i] != '%') continue;
        if (++i < flen && f[i] == '%') continue;
        while (i < flen && strchr("-+ #0123456789.", f[i])) i++;
        if (i >= flen) break;
        arg++;
        if (f[i] == 'p') return luaL_error(L, "string.format: '%%p' is not available in the dsim sandbox "
                                              "(it prints an address)");
        if (f[i] == 's' && arg <= lua_gettop(L)) {
            lrt_tostring(L, arg, NULL);
            lua_replace(L, arg);
        }
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* string.rep: its count is charged first, since 10^15 copies of "" allocate
 * nothing and would run for days; the bytes are charged as the result is made. */
static int l_rep(lua_State *L)
{
    size_t l, lsep = 0;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n > 0 && l + lsep == 0) lrt_charge(L, n / LRT_BYTES_PER_INSTRUCTION);   /* else: by its bytes, as made */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Wraps table[field] (a function) in a C closure that gets it as upvalue 1. */
static void wrap(lua_State *L, int table, const char *field, lua_CFunction fn)
{
    lua_getfield(L, table, field);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, table, field);
}

static void open_libs(lua_State *L)
{
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },          { LUA_STRLIBNAME, luaopen_string },
        { LUA_TABLIBNAME, luaopen_table },    { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 },    { LUA_COLIBNAME, luaopen_coroutine },
        { NULL, NULL },
    };
    for (const luaL_Reg *lib = libs; lib->name; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
}

int lrt_open_sandbox(lua_State *L)
{
    open_libs(L);
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    static const luaL_Reg base[] = {
        { "print", l_print }, { "tostring", l_tostring }, { "collectgarbage", l_collectgarbage },
        { "pcall", l_pcall }, { "xpcall", l_xpcall }, { NULL, NULL },
    };
    luaL_setfuncs(L, base, 0);
    wrap(L, g, "load", l_load);
    wrap(L, g, "setmetatable", l_setmetatable);
    refuse(L, g, "dofile", "dofile", "use require for files in the scenario's folder");
    refuse(L, g, "loadfile", "loadfile", "use require for files in the scenario's folder");
    lua_pushnil(L);
    lua_setfield(L, g, "warn");
    refused_lib(L, "io");
    refused_lib(L, "os");
    refused_lib(L, "debug");
    refused_lib(L, "package");
    lua_getglobal(L, LUA_STRLIBNAME);
    int str = lua_gettop(L);
    refuse(L, str, "dump", "string.dump", "binary chunks are not allowed");
    wrap(L, str, "format", l_format);
    wrap(L, str, "rep", l_rep);
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);                    /* the string metatable: hide it */
    lua_pushliteral(L, "string");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 3);
    lua_getglobal(L, LUA_COLIBNAME);
    int co = lua_gettop(L);
    wrap(L, co, "resume", l_resume);
    wrap(L, co, "close", l_close);
    lua_pushcfunction(L, l_create);
    lua_setfield(L, co, "create");
    lua_pushcfunction(L, l_wrap);
    lua_setfield(L, co, "wrap");
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &killed_key);
    lua_pop(L, 2);
    return 0;
}
