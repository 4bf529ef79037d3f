/*
 * The Lua runtime's life cycle and its limits: the lua_State with a counting
 * allocator (the memory cap), a count hook (the instruction budget), and the
 * one protected-call path every scenario callback and node handler goes through.
 *
 * Limits. The hook runs every LRT_HOOK_COUNT VM instructions in every coroutine
 * (lua_newthread copies the hook) and charges them to the running call's budget;
 * when the budget is spent, or live memory stays above the cap after a full
 * collection, it raises an error naming the line. The run is then "killed": every
 * pcall, xpcall and coroutine.resume in the sandbox re-raises instead of catching,
 * so `while true do pcall(loop) end` cannot outlive the budget. A single
 * allocation is refused outright (LUA_ERRMEM) only above 4x the cap, so a normal
 * leak is always reported by the hook, with its line.
 *
 * Work the count hook cannot see is charged to the same budget: each coroutine
 * made costs LRT_HOOK_COUNT (a thread starts with a fresh hook count, so a tree
 * of short coroutines would otherwise run free), each long string made costs
 * one instruction per LRT_BYTES_PER_INSTRUCTION bytes (copying is the work of
 * a..b, string.rep, gsub), string.rep its count too (lsandbox.c). All of these
 * are the same in every process: the budget stays deterministic.
 *
 * Rejected alternative: resetting the hook with a fresh count before each call
 * (cheaper by nothing measurable) loses coroutines created earlier.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/binding/lrt.h"
#include "sim/systems/system.h"
#include "sim/units.h"

static char abort_key;            /* its address is the abort sentinel */

/* ---- memory ---- */

/* "file:12: instruction budget exceeded (N instructions per handler call)". */
static void budget_message(lrt *rt, char *out, size_t n, bool with_where)
{
    char where[160] = "";
    if (with_where && rt->L) lrt_where(rt->L, 0, where, sizeof(where));
    bool node = rt->ctx == LRT_CTX_NODE;
    snprintf(out, n, "%s%sinstruction budget exceeded (%lld instructions per %s)", where, where[0] ? " " : "",
             (long long)(node ? rt->node_budget : rt->scenario_budget), node ? "handler call" : "scenario call");
}

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lrt *rt = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        rt->mem_used -= old;
        return NULL;
    }
    size_t hard = rt->mem_cap > SIZE_MAX / 4 ? SIZE_MAX : rt->mem_cap * 4;
    if (nsize > old && rt->mem_used + (nsize - old) > hard) {
        /* lua_getinfo only reads the call stack: safe here, and it names the
         * line (of the main thread: a coroutine shows as its resume). */
        char where[160] = "";
        if (rt->L) lrt_where(rt->L, 0, where, sizeof(where));
        if (!rt->killed)
            snprintf(rt->kill_msg, sizeof(rt->kill_msg),
                     "%s%smemory cap exceeded (an allocation of %zu bytes refused; cap %zu MiB per run)",
                     where, where[0] ? " " : "", nsize, rt->mem_cap >> 20);
        rt->killed = true;
        return NULL;
    }
    if (!ptr && osize == LUA_TSTRING && nsize > LRT_CHARGED_STRING && rt->calls > 0) {
        /* A long string: the bytes copied into it are work no instruction count
         * sees (a..b of huge strings, string.rep, gsub). Long strings are never
         * interned, so this charge is the same in every process. */
        rt->budget_left -= (int64_t)(nsize / LRT_BYTES_PER_INSTRUCTION);
        if (rt->budget_left < 0 && !rt->killed) {    /* refused once: the unwinding may allocate */
            budget_message(rt, rt->kill_msg, sizeof(rt->kill_msg), true);
            rt->killed = true;
            return NULL;
        }
    }
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    rt->mem_used = rt->mem_used - old + nsize;
    if (rt->mem_used > rt->mem_peak) rt->mem_peak = rt->mem_used;
    return p;
}

/* ---- where, errors, limits ---- */

void lrt_where(lua_State *L, int level, char *out, size_t n)
{
    lua_Debug ar;
    out[0] = 0;
    for (; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
        snprintf(out, n, "%s:%d:", ar.short_src, ar.currentline);
        return;
    }
}

static int kill(lua_State *L, const char *what)
{
    lrt *rt = lrt_of(L);
    char where[160];
    lrt_where(L, 0, where, sizeof(where));
    snprintf(rt->kill_msg, sizeof(rt->kill_msg), "%s %s", where, what);
    rt->killed = true;
    lua_pushstring(L, rt->kill_msg);
    return lua_error(L);
}

static void hook(lua_State *L, lua_Debug *ar)
{
    lrt *rt = lrt_of(L);
    char what[160];
    if (rt->mem_used > rt->mem_cap / 2) lrt_where(L, 0, rt->last_where, sizeof(rt->last_where));
    if (rt->killed) {
        lua_pushstring(L, rt->kill_msg);
        lua_error(L);
    }
    rt->budget_left -= LRT_HOOK_COUNT;
    if (rt->budget_left < 0) {
        budget_message(rt, what, sizeof(what), false);
        kill(L, what);
    }
    if (rt->mem_used > rt->mem_cap) {
        lua_gc(L, LUA_GCCOLLECT, 0);
        if (rt->mem_used > rt->mem_cap) {
            snprintf(what, sizeof(what), "memory cap exceeded (%zu MiB per run)", rt->mem_cap >> 20);
            kill(L, what);
        }
    }
    if (lrt_slice_tick(rt, L)) (void)lua_yield(L, 0);     /* an actor's slice is over */
}

void lrt_check_memory(lua_State *L, size_t extra)
{
    lrt *rt = lrt_of(L);
    size_t outside = sim_memory_in_flight(rt->s) + extra;
    if (rt->mem_used + outside <= rt->mem_cap || rt->calls == 0) return;
    char what[200];
    snprintf(what, sizeof(what), "memory cap exceeded (%zu MiB per run, with %zu MiB of messages and timers in "
             "flight)", rt->mem_cap >> 20, outside >> 20);
    kill(L, what);
}

void lrt_charge(lua_State *L, int64_t cost)
{
    lrt *rt = lrt_of(L);
    if (rt->killed) {
        lua_pushstring(L, rt->kill_msg);
        lua_error(L);
    }
    rt->budget_left -= cost < 0 ? INT64_MAX / 2 : cost;
    if (rt->budget_left < 0 && rt->calls > 0) {
        char what[160];
        budget_message(rt, what, sizeof(what), false);
        kill(L, what);
    }
}

bool lrt_has_position(const char *m)
{
    for (int i = 0; m[i] && m[i] != '\n' && i < 200; i++) {
        if (m[i] != ':' || m[i + 1] < '0' || m[i + 1] > '9') continue;
        int j = i + 1;
        while (m[j] >= '0' && m[j] <= '9') j++;
        if (m[j] == ':') return true;
    }
    return false;
}

/* The message handler: one line with a position, never an address. */
static int msgh(lua_State *L)
{
    lrt *rt = lrt_of(L);
    if (lrt_is_abort(L, 1)) return 1;
    if (rt->killed) {
        lua_pushstring(L, rt->kill_msg);
        return 1;
    }
    size_t len;
    const char *m = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    if (!m && (lua_type(L, 1) == LUA_TNUMBER || luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL))
        m = lrt_tostring(L, 1, &len);
    else if (!m)
        m = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    if (!lrt_has_position(m)) {
        /* Only the raiser (level 1) or its caller: further up is the code
         * that started the whole run (dsim.run), not where this went wrong. */
        char where[160] = "";
        lua_Debug ar;
        for (int level = 1; level <= 2 && !where[0] && lua_getstack(L, level, &ar); level++)
            if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
                snprintf(where, sizeof(where), "%s:%d:", ar.short_src, ar.currentline);
        if (where[0]) m = lua_pushfstring(L, "%s %s", where, m);
    }
    return 1;
}

bool lrt_is_abort(lua_State *L, int idx)
{
    return lua_touserdata(L, idx) == &abort_key && lua_islightuserdata(L, idx);
}

int lrt_raise_abort(lua_State *L)
{
    lua_pushlightuserdata(L, &abort_key);
    return lua_error(L);
}

/* Copies the error at the top into rt->errmsg (one line) and pops it. */
static void take_error(lrt *rt, int status)
{
    lua_State *L = rt->L;
    if (lrt_is_abort(L, -1)) {
        rt->errmsg[0] = 0;
    } else if (rt->killed) {
        snprintf(rt->errmsg, sizeof(rt->errmsg), "%s", rt->kill_msg);
    } else if (status == LUA_ERRMEM) {
        snprintf(rt->errmsg, sizeof(rt->errmsg), "%s%sout of memory", rt->last_where, rt->last_where[0] ? " " : "");
    } else {
        const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error object is not a string";
        snprintf(rt->errmsg, sizeof(rt->errmsg), "%s", m);
    }
    for (char *p = rt->errmsg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    lua_pop(L, 1);
}

int lrt_pcall(lrt *rt, int nargs, int nresults, int ctx, sim_node *node, const char *handler)
{
    lua_State *L = rt->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, msgh);
    lua_insert(L, base);
    int saved_ctx = rt->ctx;
    sim_node *saved_node = rt->node;
    const char *saved_handler = rt->handler;
    int64_t saved_budget = rt->budget_left;
    bool saved_killed = rt->killed;
    rt->ctx = ctx;
    rt->node = node;
    rt->handler = handler;
    rt->budget_left = ctx == LRT_CTX_NODE ? rt->node_budget : rt->scenario_budget;
    int64_t budget = rt->budget_left;
    rt->killed = false;
    rt->calls++;
    int status = lua_pcall(L, nargs, nresults, base);
    rt->calls--;
    rt->last_spent = budget - rt->budget_left;
    if (status != LUA_OK) take_error(rt, status);
    lua_remove(L, base);
    rt->ctx = saved_ctx;
    rt->node = saved_node;
    rt->handler = saved_handler;
    rt->budget_left = saved_budget;
    rt->killed = saved_killed;
    return status;
}

void lrt_scenario_error(lrt *rt, const char *msg)
{
    if (!rt->error) rt->error = strdup(msg && *msg ? msg : "scenario error");
    sim_halt(rt->s);
}

void lrt_fail(lrt *rt, const char *check, const char *detail)
{
    sim_check_report(rt->s, check, false, detail);
    rt->failed = true;
    sim_halt(rt->s);
}

bool lrt_count_call(lrt *rt, sim_node *node, const char *handler)
{
    int64_t now = sim_now_ns(rt->s);
    if (now != rt->instant_ns || rt->instant_calls == 0) {
        rt->instant_ns = now;
        rt->instant_calls = 0;
    }
    if (++rt->instant_calls <= rt->instant_max) return true;
    char t[40], detail[600];
    sim_duration_format(now, t, sizeof(t));
    snprintf(detail, sizeof(detail), "%s %s: simulated time stopped at %s: over %lld handler calls at that instant "
             "(a timer set to 0ms, a zero-latency loop? dsim.limits{ instant_calls = N })",
             node ? sim_self_name(node) : "scenario", handler, t, (long long)rt->instant_max);
    lrt_fail(rt, "time-stalled", detail);
    return false;
}

void lrt_scenario_only(lua_State *L, const char *fname)
{
    lrt *rt = lrt_of(L);
    if (rt->ctx != LRT_CTX_NODE) return;
    luaL_error(L, "dsim.%s cannot be called from a node program (%s, handler %s)", fname,
               rt->node ? sim_self_name(rt->node) : "?", rt->handler ? rt->handler : "?");
}

const char *lrt_bytes_text(lua_State *L, size_t bytes)
{
    if (bytes >= ((size_t)1 << 20) && bytes % ((size_t)1 << 20) == 0)
        return lua_pushfstring(L, "%I MiB", (lua_Integer)(bytes >> 20));
    if (bytes >= 1024 && bytes % 1024 == 0) return lua_pushfstring(L, "%I KiB", (lua_Integer)(bytes >> 10));
    return lua_pushfstring(L, "%I bytes", (lua_Integer)bytes);
}

const char *lrt_tostring(lua_State *L, int idx, size_t *len)
{
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    bool plain = t == LUA_TNIL || t == LUA_TBOOLEAN || t == LUA_TNUMBER || t == LUA_TSTRING;
    if (!plain) {
        if (luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL) {
            lua_pushstring(L, lua_typename(L, t));    /* never "table: 0x..." */
            return lua_tolstring(L, -1, len);
        }
        lua_pop(L, 1);
    }
    return luaL_tolstring(L, idx, len);
}

/* ---- life cycle ---- */

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* lua/dsim: $DSIM_HOME/lua/dsim, else up to 4 folders above the executable,
 * else ./lua/dsim (the repository root). */
static char *find_lib_dir(void)
{
    char dir[PATH_MAX], probe[PATH_MAX + 64];
    const char *home = getenv("DSIM_HOME");
    if (home && *home) {
        snprintf(probe, sizeof(probe), "%s/lua/dsim/workload.lua", home);
        if (file_exists(probe)) return strndup(probe, strlen(probe) - strlen("/workload.lua"));
    }
    ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
    dir[n > 0 ? n : 0] = 0;
    for (int up = 0; n > 0 && up <= 4; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash) break;
        *slash = 0;
        snprintf(probe, sizeof(probe), "%s/lua/dsim/workload.lua", dir);
        if (file_exists(probe)) return strndup(probe, strlen(probe) - strlen("/workload.lua"));
    }
    if (file_exists("lua/dsim/workload.lua")) return strdup("lua/dsim");
    return NULL;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
}

static int open_all(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lrt_open_sandbox(L);
    lrt_open_det(L);
    lrt_open_patterns(L);
    lrt_open_require(L);
    lua_newtable(L);
    rt->ref_selves = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    rt->ref_timers = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    rt->ref_names = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    rt->ref_ids = luaL_ref(L, LUA_REGISTRYINDEX);
    lnode_open_methods(L);
    luaopen_dsim(L);
    lua_pushvalue(L, -1);
    rt->ref_dsim = luaL_ref(L, LUA_REGISTRYINDEX);
    lrt_load_helpers(L, lua_gettop(L));
    lua_getfield(L, LUA_REGISTRYINDEX, "dsim.loaded");     /* require "dsim": a read-only view */
    lrt_push_readonly(L, -2, "dsim");
    lua_setfield(L, -2, "dsim");
    lua_pop(L, 1);
    lrt_freeze_globals(L);
    return 0;
}

static int panic(lua_State *L)
{
    const char *m = lua_tostring(L, -1);
    fprintf(stderr, "dsim: internal error (unprotected Lua error): %s\n", m ? m : "?");
    exit(DSIM_EXIT_USAGE);
}

lrt *lrt_create(sim *s, dsim_run *run, const char *scenario, char *err, size_t errlen)
{
    lrt *rt = calloc(1, sizeof(*rt));
    if (!rt) return snprintf(err, errlen, "out of memory"), NULL;
    rt->s = s;
    rt->run = run;
    rt->scenario = strdup(scenario ? scenario : "(no scenario)");
    rt->scenario_dir = dir_of(rt->scenario);
    rt->lib_dir = find_lib_dir();
    rt->node_budget = LRT_NODE_BUDGET_DEFAULT;
    rt->scenario_budget = LRT_SCENARIO_BUDGET_DEFAULT;
    rt->mem_cap = LRT_MEM_CAP_DEFAULT;
    rt->msg_max = LRT_MSG_MAX_DEFAULT;
    rt->instant_max = LRT_INSTANT_MAX_DEFAULT;
    rt->pattern_cpu_ns = 20 * SIM_NS_PER_S;
    rt->next_cluster = 1;
    rt->L = lua_newstate(counting_alloc, rt);
    if (!rt->L || !rt->scenario || !rt->scenario_dir) {
        snprintf(err, errlen, "out of memory creating the Lua state");
        lrt_destroy(rt);
        return NULL;
    }
    *(lrt **)lua_getextraspace(rt->L) = rt;
    lua_atpanic(rt->L, panic);
    lua_sethook(rt->L, hook, LUA_MASKCOUNT, LRT_HOOK_COUNT);
    lua_pushcfunction(rt->L, open_all);
    if (lrt_pcall(rt, 0, 0, LRT_CTX_SCENARIO, NULL, "setup") != LUA_OK) {
        snprintf(err, errlen, "setting up Lua: %s", rt->errmsg);
        lrt_destroy(rt);
        return NULL;
    }
    lrt_open_userfn(rt);
    return rt;
}

void lrt_buf_free(lrt_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void lrt_keep_system_config(lrt *rt, const sim_system *sys, void *config)
{
    struct lrt_syscfg *c = realloc(rt->syscfgs, (rt->nsyscfgs + 1) * sizeof(*c));
    if (!c) {
        if (sys->release) sys->release(config);
        luaL_error(rt->L, "out of memory");
    }
    rt->syscfgs = c;
    rt->syscfgs[rt->nsyscfgs++] = (struct lrt_syscfg){ sys, config };
}

void lrt_destroy(lrt *rt)
{
    if (!rt) return;
    rt->closing = true;
    if (rt->L) lua_close(rt->L);
    lrt_checks_free(rt);
    while (rt->cbs) {
        lrt_cb *next = rt->cbs->next;
        free(rt->cbs);
        rt->cbs = next;
    }
    for (size_t i = 0; i < rt->nconfigs; i++) free(rt->configs[i]);
    free(rt->configs);
    for (size_t i = 0; i < rt->nsyscfgs; i++)
        if (rt->syscfgs[i].sys->release) rt->syscfgs[i].sys->release(rt->syscfgs[i].config);
    free(rt->syscfgs);
    free(rt->clients);
    lrt_buf_free(&rt->buf);
    free(rt->error);
    free(rt->scenario);
    free(rt->scenario_dir);
    free(rt->lib_dir);
    free(rt);
}
