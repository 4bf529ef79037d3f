/*
 * Checks: what a scenario asserts about its run. Every verdict is a kernel check
 * record (sim_check_report), so the summary counts it, the viewer shows it and a
 * failure prints its simulated time, the seed and the reproduce command.
 *
 *   dsim.check(name, cond [, msg])       records a verdict, returns cond; goes on
 *   dsim.assert(name, cond [, msg])      records it; on failure stops the scenario
 *   dsim.invariant(name, fn [, {every = "10ms"}])
 *         fn() -> ok [, msg], evaluated after every event (every kernel action
 *         that emits a trace record) or at the interval; the first violation
 *         fails the check and stops the run; at the end of the scenario each
 *         invariant that held is reported once, passed
 *   dsim.final(name, fn)                 fn() -> ok [, msg] once the script ends
 *   dsim.history()                       the client operations so far
 * cond may be a function, called for (ok, msg).
 *
 * "After every event": an observer of the trace schedules one kernel call at
 * the current time when a record arrives and none is pending. The call runs
 * after the event that emitted the record and before any later event, because
 * events at one time run in scheduling order. It adds no trace record (so the
 * trace hash is unchanged), only one event per evaluated event.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"
#include "sim/trace.h"

typedef struct invariant {
    char *name;
    int ref;
    uint64_t evaluations;
    bool periodic;
} invariant;

struct lrt_checks {
    invariant *inv;
    size_t ninv;
    bool observing, pending, evaluating;
};

static lrt_checks *checks_of(lrt *rt)
{
    if (!rt->checks) rt->checks = calloc(1, sizeof(lrt_checks));
    if (!rt->checks) luaL_error(rt->L, "out of memory");
    return rt->checks;
}

void lrt_checks_free(lrt *rt)
{
    if (!rt->checks) return;
    for (size_t i = 0; i < rt->checks->ninv; i++) free(rt->checks->inv[i].name);
    free(rt->checks->inv);
    free(rt->checks);
    rt->checks = NULL;
}

/* Calls the function at idx for (ok [, detail]). */
static bool verdict(lua_State *L, int idx, const char **detail)
{
    lua_pushvalue(L, idx);
    lua_call(L, 0, 2);
    bool ok = lua_toboolean(L, -2);
    *detail = lua_isnil(L, -1) ? (ok ? "ok" : "failed") : lrt_tostring(L, -1, NULL);
    return ok;
}

static int report(lua_State *L, bool stop)
{
    lrt *rt = lrt_of(L);
    lrt_scenario_only(L, stop ? "assert" : "check");
    const char *name = luaL_checkstring(L, 1);
    luaL_checkany(L, 2);
    lua_settop(L, 3);
    const char *detail;
    bool ok;
    if (lua_isfunction(L, 2)) {
        ok = verdict(L, 2, &detail);
    } else {
        ok = lua_toboolean(L, 2);
        detail = lua_isnil(L, 3) ? (ok ? "ok" : "failed") : lrt_tostring(L, 3, NULL);
    }
    if (!ok && stop) {
        lrt_fail(rt, name, detail);
        return lrt_raise_abort(L);
    }
    sim_check_report(rt->s, name, ok, detail);
    lua_pushboolean(L, ok);
    return 1;
}

static int l_check(lua_State *L) { return report(L, false); }
static int l_assert(lua_State *L) { return report(L, true); }

/* ---- invariants ---- */

static void evaluate(lua_State *L, lrt *rt, size_t i)
{
    invariant *inv = &rt->checks->inv[i];
    lua_rawgeti(L, LUA_REGISTRYINDEX, inv->ref);
    lua_call(L, 0, 2);
    inv = &rt->checks->inv[i];
    inv->evaluations++;
    if (lua_toboolean(L, -2)) {
        lua_pop(L, 2);
        return;
    }
    const char *detail = lua_isnil(L, -1) ? "violated" : lrt_tostring(L, -1, NULL);
    lrt_fail(rt, inv->name, detail);
    lrt_raise_abort(L);
}

static int eval_all(lua_State *L)
{
    lrt *rt = lrt_of(L);
    for (size_t i = 0; i < rt->checks->ninv; i++)
        if (!rt->checks->inv[i].periodic) evaluate(L, rt, i);
    return 0;
}

static void after_event(sim *s, void *ctx)
{
    lrt *rt = ctx;
    rt->checks->pending = false;
    if (rt->failed || rt->error || rt->closing) return;
    rt->checks->evaluating = true;
    lua_pushcfunction(rt->L, eval_all);
    if (lrt_pcall(rt, 0, 0, LRT_CTX_SCENARIO, NULL, "invariant") != LUA_OK && rt->errmsg[0])
        lrt_scenario_error(rt, rt->errmsg);
    rt->checks->evaluating = false;
}

static void observe(sim *s, const sim_record *r, void *ctx)
{
    lrt *rt = ctx;
    lrt_checks *c = rt->checks;
    if (c->pending || c->evaluating || rt->failed || rt->error || rt->closing) return;
    if (r->kind == SIM_REC_CHECK || r->kind == SIM_REC_LOG || r->kind == SIM_REC_ANNOTATE) return;
    if (sim_schedule(s, sim_now_ns(s), after_event, rt) == 0) c->pending = true;
}

static int eval_one(lua_State *L)
{
    evaluate(L, lrt_of(L), (size_t)lua_tointeger(L, lua_upvalueindex(1)));
    return 0;
}

static int l_invariant(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lrt_scenario_only(L, "invariant");
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int64_t every = -1;
    if (!lua_isnoneornil(L, 3)) {
        static const char *const known[] = { "every", NULL };
        luaL_checktype(L, 3, LUA_TTABLE);
        lrt_check_fields(L, 3, known, "invariant");
        every = lrt_field_duration(L, 3, "every", -1, "invariant");
        luaL_argcheck(L, every != 0, 3, "field 'every': the interval must be > 0");
    }
    lrt_checks *c = checks_of(rt);
    invariant *grown = realloc(c->inv, (c->ninv + 1) * sizeof(invariant));
    char *copy = strdup(name);
    if (grown) c->inv = grown;
    if (!grown || !copy) return free(copy), luaL_error(L, "out of memory");
    lua_pushvalue(L, 2);
    c->inv[c->ninv] = (invariant){ copy, luaL_ref(L, LUA_REGISTRYINDEX), 0, every > 0 };
    size_t index = c->ninv++;
    if (every > 0) {
        lua_pushinteger(L, (lua_Integer)index);
        lua_pushcclosure(L, eval_one, 1);
        lrt_schedule(L, lua_gettop(L), sim_now_ns(rt->s) + every, every);
        return 1;
    }
    if (!c->observing && sim_observe(rt->s, observe, rt) != 0) return luaL_error(L, "out of memory");
    c->observing = true;
    return 0;
}

/* ---- final checks ---- */

static int l_final(lua_State *L)
{
    lrt_scenario_only(L, "final");
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_getfield(L, LUA_REGISTRYINDEX, "dsim.finals");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "dsim.finals");
    }
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static int run_finals(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "dsim.finals");
    for (lua_Integer i = 1; lua_istable(L, 1) && i <= (lua_Integer)lua_rawlen(L, 1); i++) {
        lua_settop(L, 1);
        lua_rawgeti(L, 1, i);
        lua_rawgeti(L, 2, 1);
        lua_rawgeti(L, 2, 2);
        const char *detail;
        bool ok = verdict(L, 4, &detail);
        sim_check_report(rt->s, lua_tostring(L, 3), ok, detail);
    }
    for (size_t i = 0; rt->checks && i < rt->checks->ninv; i++) {
        lua_pushfstring(L, "held (%I evaluations)", (lua_Integer)rt->checks->inv[i].evaluations);
        sim_check_report(rt->s, rt->checks->inv[i].name, true, lua_tostring(L, -1));
    }
    return 0;
}

void lrt_run_finals(lrt *rt)
{
    if (rt->failed || rt->error) return;
    lua_pushcfunction(rt->L, run_finals);
    if (lrt_pcall(rt, 0, 0, LRT_CTX_SCENARIO, NULL, "final") != LUA_OK && rt->errmsg[0])
        lrt_scenario_error(rt, rt->errmsg);
}

/* ---- the client history ---- */

static void push_json(lua_State *L, const char *text)
{
    if (!text || !lrt_decode(L, text, strlen(text))) lua_pushnil(L);
}

static int l_history(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lrt_scenario_only(L, "history");
    size_t n = sim_history_count(rt->s);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const sim_op *op = sim_history_get(rt->s, i);
        lua_createtable(L, 0, 8);
        lua_pushinteger(L, (lua_Integer)op->id);
        lua_setfield(L, -2, "id");
        lua_pushstring(L, op->process == SIM_NODE_NONE ? "" : sim_node_name(rt->s, op->process));
        lua_setfield(L, -2, "process");
        lua_pushstring(L, op->f);
        lua_setfield(L, -2, "f");
        push_json(L, op->args);
        lua_setfield(L, -2, "args");
        lrt_push_seconds(L, op->invoke_ns);
        lua_setfield(L, -2, "invoke");
        if (op->complete_ns >= 0) lrt_push_seconds(L, op->complete_ns), lua_setfield(L, -2, "complete");
        lua_pushstring(L, sim_outcome_name(op->outcome));
        lua_setfield(L, -2, "outcome");
        push_json(L, op->result);
        lua_setfield(L, -2, "result");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* internal.invoke(f, args) -> op id; the running node is the client process. */
static int i_invoke(lua_State *L)
{
    lrt *rt = lrt_of(L);
    const char *f = luaL_checkstring(L, 1);
    if (rt->ctx != LRT_CTX_NODE || !rt->node) return luaL_error(L, "invoke: only a client node records operations");
    const char *args = NULL;
    if (!lua_isnoneornil(L, 2)) {
        lrt_encode(L, 2, &rt->buf);
        args = rt->buf.data;
    }
    uint64_t id = sim_history_invoke(rt->s, sim_self(rt->node), f, args);
    if (!id) return luaL_error(L, "invoke: out of memory");
    lua_pushinteger(L, (lua_Integer)id);
    return 1;
}

/* internal.complete(id, "ok" | "fail" | "unknown", result) */
static int i_complete(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lua_Integer id = luaL_checkinteger(L, 1);
    static const char *const outcomes[] = { "ok", "fail", "unknown", NULL };
    static const sim_outcome values[] = { SIM_OP_OK, SIM_OP_FAIL, SIM_OP_UNKNOWN };
    sim_outcome outcome = values[luaL_checkoption(L, 2, NULL, outcomes)];
    const char *result = NULL;
    if (!lua_isnoneornil(L, 3)) {
        lrt_encode(L, 3, &rt->buf);
        result = rt->buf.data;
    }
    int rc = sim_history_complete(rt->s, (uint64_t)id, outcome, result);
    if (rc) return luaL_error(L, "complete: %s", sim_strerror(rc));
    return 0;
}

static int i_is_client(lua_State *L)
{
    lrt *rt = lrt_of(L);
    sim_node_id id = lrt_check_node(L, 1);
    lua_pushboolean(L, id < rt->nclients && rt->clients[id]);
    return 1;
}

void lrt_push_internal(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "invoke", i_invoke }, { "complete", i_complete }, { "is_client", i_is_client },
        { "fault_random", lrt_fault_random }, { "fault_draw", lrt_fault_draw }, { NULL, NULL },
    };
    luaL_newlib(L, fns);
    lrt_push_slice(L);
}

int luaopen_dsim_checks(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "check", l_check }, { "assert", l_assert }, { "invariant", l_invariant }, { "final", l_final },
        { "history", l_history }, { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
