/*
 * The `dsim` module: its table, time and scheduling, and running the simulation.
 *
 *   dsim.at(t, fn)        fn() at simulated time t ("50ms" after the start)
 *   dsim.after(d, fn)     fn() d from now
 *   dsim.every(d, fn)     fn() every d, first at now + d
 *                         (each returns a handle with :cancel())
 *   dsim.run(d)           runs the simulation for d (--until T makes it run to T)
 *   dsim.now()            simulated time in seconds;  dsim.seed()  the run's seed
 *   dsim.limits{ instructions = N, scenario_instructions = N, memory = "64MiB",
 *                pattern_cpu = "20s", message = "4MiB", instant_calls = 100000 }
 *                         (per handler call / scenario call / run / unused: patterns
 *                         count against the instructions, lmatch.c / encoded
 *                         message / handler calls and callbacks at one instant)
 *   dsim.stats([type])    messages sent/delivered/dropped... so far
 *
 * The rest of the module is registered by its own files: units and
 * distributions (largs.c), messages (lcodec.c), clusters and node handles
 * (lcluster.c), network and faults (lfaults.c), checks (lcheck.c), workloads and
 * the nemesis (the Lua helpers in lua/dsim/, through lrequire.c).
 *
 * Callbacks run when the kernel reaches their time, as scenario code: with the
 * scenario instruction budget, and an error in one stops the run as a scenario
 * error (exit 2) naming its line (or, for a C function given as the callback,
 * the line that registered it). dsim.run cannot nest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/cli/commands.h"
#include "lua/binding/lrt.h"
#include "sim/units.h"
#include "viz/viz.h"

#define CB_MT "dsim.callback"

static lrt *scenario(lua_State *L, const char *fname)
{
    lrt_scenario_only(L, fname);
    return lrt_of(L);
}

static void fire(sim *s, void *ctx)
{
    lrt_cb *cb = ctx;
    lrt *rt = cb->rt;
    if (cb->cancelled || rt->failed || rt->error || rt->closing) return;
    if (!lrt_count_call(rt, NULL, "callback")) return;
    lua_rawgeti(rt->L, LUA_REGISTRYINDEX, cb->ref);
    if (lrt_pcall(rt, 0, 0, LRT_CTX_SCENARIO, NULL, "callback") != LUA_OK) {
        if (!rt->errmsg[0]) return;                   /* an assertion failed: already reported */
        char msg[sizeof(rt->errmsg) + 200];
        bool positioned = lrt_has_position(rt->errmsg);
        snprintf(msg, sizeof(msg), "%s%s%s", positioned ? "" : cb->where, positioned ? "" : " ", rt->errmsg);
        lrt_scenario_error(rt, msg);
        return;
    }
    if (cb->period_ns > 0 && !cb->cancelled && !rt->failed && !rt->error)
        if (sim_schedule(s, sim_now_ns(s) + cb->period_ns, fire, cb) != 0)
            lrt_scenario_error(rt, "out of memory scheduling a callback");
}

lrt_cb *lrt_schedule(lua_State *L, int fn, int64_t at_ns, int64_t period_ns)
{
    lrt *rt = lrt_of(L);
    luaL_checktype(L, fn, LUA_TFUNCTION);
    if (at_ns < sim_now_ns(rt->s)) {
        char at[40], now[40];
        sim_duration_format(at_ns, at, sizeof(at));
        sim_duration_format(sim_now_ns(rt->s), now, sizeof(now));
        luaL_argerror(L, 1, lua_pushfstring(L, "time %s is in the past (now is %s)", at, now));
    }
    lrt_cb *cb = calloc(1, sizeof(*cb));
    if (!cb) luaL_error(L, "out of memory");
    cb->next = rt->cbs;
    rt->cbs = cb;
    cb->rt = rt;
    cb->period_ns = period_ns;
    lrt_where(L, 1, cb->where, sizeof(cb->where));
    lua_pushvalue(L, fn);
    cb->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (sim_schedule(rt->s, at_ns > SIM_TIME_MAX ? SIM_TIME_MAX : at_ns, fire, cb) != 0)
        luaL_error(L, "out of memory scheduling a callback");
    lrt_cb **h = lua_newuserdatauv(L, sizeof(lrt_cb *), 0);
    *h = cb;
    luaL_setmetatable(L, CB_MT);
    return cb;
}

static int l_at(lua_State *L)
{
    scenario(L, "at");
    lrt_schedule(L, 2, lrt_check_duration(L, 1), 0);
    return 1;
}

static int l_after(lua_State *L)
{
    lrt *rt = scenario(L, "after");
    lrt_schedule(L, 2, sim_now_ns(rt->s) + lrt_check_duration(L, 1), 0);
    return 1;
}

static int l_every(lua_State *L)
{
    lrt *rt = scenario(L, "every");
    int64_t period = lrt_check_duration(L, 1);
    luaL_argcheck(L, period > 0, 1, "the period must be > 0");
    luaL_argcheck(L, period >= SIM_NS_PER_US, 1, "the period must be at least 1us (a shorter one floods the run)");
    lrt_schedule(L, 2, sim_now_ns(rt->s) + period, period);
    return 1;
}

static int cb_cancel(lua_State *L)
{
    lrt_cb **h = luaL_checkudata(L, 1, CB_MT);
    (*h)->cancelled = true;
    return 0;
}

static int l_run(lua_State *L)
{
    lrt *rt = scenario(L, "run");
    if (rt->running) return luaL_error(L, "dsim.run cannot be called from a callback");
    int64_t d = lrt_check_duration(L, 1);
    int64_t now = sim_now_ns(rt->s);
    int64_t until = d > SIM_TIME_MAX - now ? SIM_TIME_MAX : now + d;
    if (!rt->ran && rt->run) dsim_apply_overrides(rt->run);
    rt->ran = true;
    rt->running = true;
    int rc = rt->run ? dsim_run_drive(rt->run, until) : sim_run_until(rt->s, until);
    rt->running = false;
    if (rt->error) {
        lua_pushstring(L, rt->error);
        return lua_error(L);
    }
    /* stopped by a failed check, by closing the viewer, or by the viewer's new
     * branch of history (lua/binding/lrun.c then runs the scenario again) */
    if (rt->failed || rc == SIM_ESTATE || rc == VIZ_RESTART) return lrt_raise_abort(L);
    if (rc < 0) return luaL_error(L, "dsim.run: %s", viz_last_error());
    return 0;
}

static int l_now(lua_State *L)
{
    lrt_scenario_only(L, "now");
    lrt_push_seconds(L, sim_now_ns(lrt_of(L)->s));
    return 1;
}

static int l_seed(lua_State *L)
{
    lrt_scenario_only(L, "seed");
    lua_pushinteger(L, (lua_Integer)sim_seed(lrt_of(L)->s));
    return 1;
}

/* Raises unless the innermost Lua function calling is the scenario file's own
 * code: a module it requires (student code) must not lift its own limits. */
static void only_from_scenario_file(lua_State *L, lrt *rt, const char *fname)
{
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "S", &ar) || strcmp(ar.what, "C") == 0) continue;
        if (ar.source[0] == '@' && strcmp(ar.source + 1, rt->scenario) == 0) return;
        luaL_error(L, "dsim.%s can be called only from the scenario file %s, not from %s (a module cannot change "
                      "the limits it runs under)", fname, rt->scenario, ar.short_src);
    }
}

static int l_limits(lua_State *L)
{
    static const char *const known[] = { "instructions", "scenario_instructions", "memory", "pattern_cpu", "message",
                                         "instant_calls",
                                         NULL };
    lrt *rt = scenario(L, "limits");
    only_from_scenario_file(L, rt, "limits");
    luaL_checktype(L, 1, LUA_TTABLE);
    lrt_check_fields(L, 1, known, "limits");
    if (lua_getfield(L, 1, "instructions") != LUA_TNIL) {
        luaL_argcheck(L, lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0, 1, "field 'instructions': an integer > 0 expected");
        rt->node_budget = lua_tointeger(L, -1);
    }
    if (lua_getfield(L, 1, "scenario_instructions") != LUA_TNIL) {
        luaL_argcheck(L, lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0, 1,
                      "field 'scenario_instructions': an integer > 0 expected");
        rt->scenario_budget = lua_tointeger(L, -1);
        rt->budget_left = rt->scenario_budget;
    }
    /* pattern_cpu: still accepted (older scenarios set it) but unused: string
     * patterns are charged to the instruction budget by their steps (lmatch.c). */
    int64_t cpu = lrt_field_duration(L, 1, "pattern_cpu", rt->pattern_cpu_ns, "limits");
    luaL_argcheck(L, cpu >= SIM_NS_PER_MS, 1, "field 'pattern_cpu': at least 1ms");
    rt->pattern_cpu_ns = cpu;
    if (lua_getfield(L, 1, "memory") != LUA_TNIL) {
        uint64_t bytes = 0;
        bool ok = lua_type(L, -1) == LUA_TSTRING ? sim_bytes_parse(lua_tostring(L, -1), &bytes) == 0
                                                 : lua_isinteger(L, -1) && (bytes = (uint64_t)lua_tointeger(L, -1)) > 0;
        luaL_argcheck(L, ok, 1, "field 'memory': a size like \"64MiB\" expected");
        luaL_argcheck(L, bytes > rt->mem_used + ((size_t)1 << 20), 1, "field 'memory': below what is in use already");
        rt->mem_cap = (size_t)bytes;
    }
    if (lua_getfield(L, 1, "instant_calls") != LUA_TNIL) {
        luaL_argcheck(L, lua_isinteger(L, -1) && lua_tointeger(L, -1) > 0, 1,
                      "field 'instant_calls': an integer > 0 expected");
        rt->instant_max = lua_tointeger(L, -1);
    }
    if (lua_getfield(L, 1, "message") != LUA_TNIL) {
        uint64_t bytes = 0;
        bool ok = lua_type(L, -1) == LUA_TSTRING && sim_bytes_parse(lua_tostring(L, -1), &bytes) == 0;
        luaL_argcheck(L, ok && bytes >= 64 && bytes <= ((uint64_t)1 << 30), 1,
                      "field 'message': a size from 64B to 1GiB like \"16MiB\" expected");
        rt->msg_max = (size_t)bytes;
    }
    return 0;
}

static void set_count(lua_State *L, const char *key, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, key);
}

static int l_stats(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lrt_scenario_only(L, "stats");
    if (!rt->run) return 0;
    sim_type_stats t = sim_stats_total(rt->run->stats);
    if (!lua_isnoneornil(L, 1)) {
        const char *type = luaL_checkstring(L, 1);
        size_t n;
        const sim_type_stats *rows = sim_stats_types(rt->run->stats, &n);
        memset(&t, 0, sizeof(t));
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i].type, type) == 0) t = rows[i];
    }
    lua_createtable(L, 0, 6);
    set_count(L, "sent", t.sent);
    set_count(L, "delivered", t.delivered);
    set_count(L, "dropped", t.dropped);
    set_count(L, "duplicated", t.duplicated);
    set_count(L, "corrupted", t.corrupted);
    set_count(L, "events", sim_events_run(rt->s));
    return 1;
}

int luaopen_dsim(lua_State *L)
{
    luaL_newmetatable(L, CB_MT);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, cb_cancel);
    lua_setfield(L, -2, "cancel");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        { "at", l_at }, { "after", l_after }, { "every", l_every }, { "run", l_run }, { "now", l_now },
        { "seed", l_seed }, { "limits", l_limits }, { "stats", l_stats }, { NULL, NULL },
    };
    luaL_newlib(L, fns);
    lua_pushliteral(L, DSIM_VERSION);
    lua_setfield(L, -2, "version");
    luaopen_dsim_units(L);
    luaopen_dsim_codec(L);
    luaopen_dsim_faults(L);
    luaopen_dsim_cluster(L);
    luaopen_dsim_checks(L);
    luaopen_dsim_linearizable(L);
    luaopen_dsim_session(L);
    luaopen_dsim_submission(L);
    luaopen_dsim_disk(L);
    return 1;
}
