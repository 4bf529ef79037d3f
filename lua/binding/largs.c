/*
 * Arguments in human units, for every function of the dsim module: durations
 * ("5ms", "1.5s"; never a bare number), probabilities (0.05 or "5%"), rates
 * ("200/s" or a number per second), bandwidths ("10MB/s"), delay distributions
 * (dsim.uniform("1ms", "20ms") ...), and nodes (a name or a node handle). A bad
 * value is a Lua error naming the function, the argument (or the table field)
 * and what it accepts: bad argument #1 to 'at' (malformed duration '5 ms' ...).
 *
 * Parsing goes through sim/units.h (exact integer arithmetic, no locale).
 */
#include <math.h>
#include <string.h>

#include "lua/binding/lrt.h"
#include "sim/units.h"

#define DIST_MT "dsim.dist"

/* A bare number is refused: `latency = 5` once meant five seconds without a
 * word, while the command line refused it. The message carries the fix, with
 * the student's own number, and names the converters for computed values. */
static const char *bare_number(lua_State *L, int idx)
{
    const char *n = luaL_tolstring(L, idx, NULL);
    double s = lua_tonumber(L, idx);
    char as_s[32] = "";
    if (s > 0 && s * 1e9 <= (double)SIM_TIME_MAX) sim_duration_format((int64_t)llround(s * 1e9), as_s, sizeof(as_s));
    const char *why = s < 0 || s != s
        ? lua_pushfstring(L, "a duration must be >= 0, got %s", n)
        : lua_isinteger(L, idx) && strlen(n) <= 6
        ? lua_pushfstring(L, "a duration needs a unit: write \"%sms\" or \"%ss\", not %s", n, n, n)
        : strlen(as_s) && strlen(as_s) <= 8
        ? lua_pushfstring(L, "a duration needs a unit, not %s: write \"%s\" if you meant seconds "
                             "(a computed value: dsim.s(x) or dsim.ms(x))", n, as_s)
        : lua_pushfstring(L, "a duration needs a unit, not %s: for a computed number of seconds write "
                             "dsim.s(x), of milliseconds dsim.ms(x)", n);
    lua_remove(L, -2);
    return why;
}

/* Each parser returns NULL, or an error message pushed on the stack. */
static const char *parse_duration(lua_State *L, int idx, int64_t *out)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        if (lua_tonumber(L, idx) == 0) return *out = 0, NULL;   /* "0" needs no unit either */
        return bare_number(L, idx);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *text = lua_tostring(L, idx);
        if (sim_duration_parse(text, out) == 0 && *out <= SIM_TIME_MAX) return NULL;
        return lua_pushfstring(L, "malformed duration '%s' (expected a number and a unit: ns, us, ms, s, m "
                                  "or h, like \"5ms\" or \"1.5s\"; a computed value: dsim.ms(x))", text);
    }
    return lua_pushfstring(L, "duration expected (like \"5ms\" or \"1.5s\"), got %s", luaL_typename(L, idx));
}

static const char *parse_prob(lua_State *L, int idx, double *out)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double p = lua_tonumber(L, idx);
        if (p >= 0 && p <= 1) return *out = p, NULL;
        return lua_pushfstring(L, "a probability must be from 0 to 1, got %f", p);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *text = lua_tostring(L, idx);
        if (sim_prob_parse(text, out) == 0) return NULL;
        return lua_pushfstring(L, "malformed probability '%s' (expected 0.05 or \"5%%\", from 0 to 1)", text);
    }
    return lua_pushfstring(L, "probability expected (like 0.05 or \"5%%\"), got %s", luaL_typename(L, idx));
}

static const char *parse_rate(lua_State *L, int idx, double *out)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double r = lua_tonumber(L, idx);
        if (r > 0 && isfinite(r)) return *out = r, NULL;
        return lua_pushfstring(L, "a rate must be > 0 per second, got %f", r);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *text = lua_tostring(L, idx);
        if (sim_rate_parse(text, out) == 0 && *out > 0) return NULL;
        return lua_pushfstring(L, "malformed rate '%s' (expected a count per unit, like \"200/s\")", text);
    }
    return lua_pushfstring(L, "rate expected (like \"200/s\"), got %s", luaL_typename(L, idx));
}

static const char *parse_bandwidth(lua_State *L, int idx, uint64_t *out)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *text = lua_tostring(L, idx);
        if (sim_bandwidth_parse(text, out) == 0) return NULL;
        return lua_pushfstring(L, "malformed bandwidth '%s' (expected like \"10MB/s\" or \"100Mbps\")", text);
    }
    if (lua_isinteger(L, idx) && lua_tointeger(L, idx) >= 0) return *out = (uint64_t)lua_tointeger(L, idx), NULL;
    return lua_pushfstring(L, "bandwidth expected (like \"10MB/s\"), got %s", luaL_typename(L, idx));
}

static const char *parse_dist(lua_State *L, int idx, sim_dist *out)
{
    sim_dist *d = luaL_testudata(L, idx, DIST_MT);
    if (d) return *out = *d, NULL;
    int64_t ns;
    const char *why = parse_duration(L, idx, &ns);
    if (why) return lua_pushfstring(L, "%s; or a distribution like dsim.uniform(\"1ms\", \"20ms\")", why);
    *out = sim_dist_constant(ns);
    return NULL;
}

int64_t lrt_check_duration(lua_State *L, int idx)
{
    int64_t ns = 0;
    const char *why = parse_duration(L, idx, &ns);
    if (why) luaL_argerror(L, idx, why);
    return ns;
}

int64_t lrt_opt_duration(lua_State *L, int idx, int64_t def)
{
    return lua_isnoneornil(L, idx) ? def : lrt_check_duration(L, idx);
}

double lrt_check_prob(lua_State *L, int idx)
{
    double p = 0;
    const char *why = parse_prob(L, idx, &p);
    if (why) luaL_argerror(L, idx, why);
    return p;
}

double lrt_check_rate(lua_State *L, int idx)
{
    double r = 0;
    const char *why = parse_rate(L, idx, &r);
    if (why) luaL_argerror(L, idx, why);
    return r;
}

sim_dist lrt_check_dist(lua_State *L, int idx)
{
    sim_dist d = sim_dist_constant(0);
    const char *why = parse_dist(L, idx, &d);
    if (why) luaL_argerror(L, idx, why);
    return d;
}

static void field_error(lua_State *L, int tidx, const char *key, const char *why)
{
    luaL_argerror(L, tidx, lua_pushfstring(L, "field '%s': %s", key, why));
}

int64_t lrt_field_duration(lua_State *L, int tidx, const char *key, int64_t def, const char *fname)
{
    int64_t ns = def;
    if (lua_getfield(L, tidx, key) != LUA_TNIL) {
        const char *why = parse_duration(L, -1, &ns);
        if (why) field_error(L, tidx, key, why);
    }
    lua_pop(L, 1);
    return ns;
}

/* Reads t.key (when present) into *out with parser p; false when absent. */
#define FIELD(name, type, parser)                                                        \
    bool lrt_field_##name(lua_State *L, int tidx, const char *key, type *out)            \
    {                                                                                     \
        if (lua_getfield(L, tidx, key) == LUA_TNIL) return lua_pop(L, 1), false;          \
        const char *why = parser(L, lua_gettop(L), out);                                  \
        if (why) field_error(L, tidx, key, why);                                          \
        lua_pop(L, 1);                                                                    \
        return true;                                                                      \
    }
FIELD(prob, double, parse_prob)
FIELD(rate, double, parse_rate)
FIELD(dist, sim_dist, parse_dist)
FIELD(bandwidth, uint64_t, parse_bandwidth)

/* Names are resolved through a Lua table (name -> id) before the kernel's map:
 * a Lua string carries its hash, so a send by name costs one table lookup. */
static sim_node_id find_by_name(lua_State *L, lrt *rt, int idx, int arg)
{
    sim_node_id id = SIM_NODE_NONE;
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_ids);
    lua_pushvalue(L, idx);
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        id = (sim_node_id)lua_tointeger(L, -1);
        lua_pop(L, 2);
        return id;
    }
    const char *name = lua_tostring(L, idx);
    if (sim_node_find(rt->s, name, &id) != 0)
        luaL_argerror(L, arg, lua_pushfstring(L, "node '%s' does not exist", name));
    lua_pushvalue(L, idx);
    lua_pushinteger(L, (lua_Integer)id);
    lua_rawset(L, -4);
    lua_pop(L, 2);
    return id;
}

sim_node_id lrt_check_node_in(lua_State *L, int idx, int arg)
{
    lrt *rt = lrt_of(L);
    sim_node_id id = SIM_NODE_NONE;
    if (lua_type(L, idx) == LUA_TSTRING) return find_by_name(L, rt, lua_absindex(L, idx), arg);
    lnode_handle *h = luaL_testudata(L, idx, LNODE_HANDLE_MT);
    if (h && h->id < sim_node_count(rt->s)) return h->id;
    luaL_argerror(L, arg, lua_pushfstring(L, "node name or node expected, got %s", luaL_typename(L, idx)));
    return id;
}

sim_node_id lrt_check_node(lua_State *L, int idx)
{
    return lrt_check_node_in(L, idx, idx);
}

void lrt_push_seconds(lua_State *L, int64_t ns)
{
    lua_pushnumber(L, (lua_Number)ns / 1e9);
}

/* Rejects the smallest (byte order) key of the table that is not in known, so
 * the message is the same in every process. "#" in known allows t[1]. */
void lrt_check_fields(lua_State *L, int tidx, const char *const *known, const char *fname)
{
    tidx = lua_absindex(L, tidx);
    const char *worst = NULL;
    for (lua_pushnil(L); lua_next(L, tidx); lua_pop(L, 1)) {
        bool ok = false;
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -2);
            for (int i = 0; known[i] && !ok; i++) ok = strcmp(known[i], k) == 0;
            if (!ok && (!worst || strcmp(k, worst) < 0)) worst = k;
        } else {
            for (int i = 0; known[i] && !ok; i++) ok = strcmp(known[i], "#") == 0;
            if (!ok && !worst) worst = "[non-string key]";
        }
    }
    if (!worst) return;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; known[i]; i++) {
        if (strcmp(known[i], "#") == 0) continue;
        if (b.n) luaL_addstring(&b, ", ");
        luaL_addstring(&b, known[i]);
    }
    luaL_pushresult(&b);
    luaL_argerror(L, tidx, lua_pushfstring(L, "unknown option '%s' (options: %s)", worst, lua_tostring(L, -1)));
}

/* ---- distributions ---- */

static int push_dist(lua_State *L, sim_dist d)
{
    if (sim_dist_validate(&d) != 0) {
        if (d.kind == SIM_DIST_UNIFORM) luaL_argerror(L, 2, "the high end is below the low end");
        if (d.kind == SIM_DIST_PARETO && d.b_ns && d.b_ns < d.a_ns) luaL_argerror(L, 3, "the cap is below the scale");
        luaL_argerror(L, 2, "the shape must be a finite number > 0");
    }
    sim_dist *u = lua_newuserdatauv(L, sizeof(sim_dist), 0);
    *u = d;
    luaL_setmetatable(L, DIST_MT);
    return 1;
}

static int l_constant(lua_State *L) { return push_dist(L, sim_dist_constant(lrt_check_duration(L, 1))); }
static int l_uniform(lua_State *L)
{
    return push_dist(L, sim_dist_uniform(lrt_check_duration(L, 1), lrt_check_duration(L, 2)));
}
static int l_normal(lua_State *L)
{
    return push_dist(L, sim_dist_normal(lrt_check_duration(L, 1), lrt_check_duration(L, 2)));
}
static int l_exponential(lua_State *L) { return push_dist(L, sim_dist_exponential(lrt_check_duration(L, 1))); }
static int l_pareto(lua_State *L)
{
    return push_dist(L, sim_dist_pareto(lrt_check_duration(L, 1), luaL_checknumber(L, 2), lrt_opt_duration(L, 3, 0)));
}
static int l_lognormal(lua_State *L)
{
    return push_dist(L, sim_dist_lognormal(lrt_check_duration(L, 1), luaL_checknumber(L, 2)));
}

static int dist_tostring(lua_State *L)
{
    char text[128];
    sim_dist_format(luaL_checkudata(L, 1, DIST_MT), text, sizeof(text));
    lua_pushstring(L, text);
    return 1;
}

/* d:sample() draws from the scenario's stream (a node's own inside a handler). */
static int dist_sample(lua_State *L)
{
    lrt *rt = lrt_of(L);
    sim_dist *d = luaL_checkudata(L, 1, DIST_MT);
    sim_rng *r = rt->ctx == LRT_CTX_NODE && rt->node ? sim_self_rng(rt->node) : sim_stream(rt->s, SIM_STREAM_SCENARIO);
    lrt_push_seconds(L, sim_dist_draw(d, r));
    return 1;
}

/* ---- dsim.duration, dsim.rate, dsim.prob, dsim.random ---- */

static int l_duration(lua_State *L) { lrt_push_seconds(L, lrt_check_duration(L, 1)); return 1; }

/* dsim.ns/us/ms/s(x): a computed number in that unit as a duration string,
 * rounded to the nanosecond, in the largest unit that keeps it an integer
 * ("2500us"): the way to pass arithmetic (now() is in seconds) where a
 * duration is expected. Formatted by hand, not by sim_duration_format: a Lua
 * timer loop calls this once per event, and its snprintf calls cost a third of
 * the whole-Lua benchmark's rate. */
static int to_duration(lua_State *L, double ns_per_unit)
{
    double x = luaL_checknumber(L, 1) * ns_per_unit;
    luaL_argcheck(L, x >= 0 && x <= (double)SIM_TIME_MAX, 1, "a duration must be >= 0 and below 292 years");
    uint64_t ns = (uint64_t)llround(x);
    const char *unit = ns % 1000000 == 0 ? "ms" : ns % 1000 == 0 ? "us" : "ns";
    uint64_t v = ns % 1000000 == 0 ? ns / 1000000 : ns % 1000 == 0 ? ns / 1000 : ns;
    char text[32], *p = text + sizeof(text);
    *--p = 0;
    for (const char *u = unit + strlen(unit); u > unit;) *--p = *--u;
    do *--p = (char)('0' + v % 10); while ((v /= 10) != 0);
    lua_pushstring(L, p);
    return 1;
}
static int l_ns(lua_State *L) { return to_duration(L, 1); }
static int l_us(lua_State *L) { return to_duration(L, 1e3); }
static int l_ms(lua_State *L) { return to_duration(L, 1e6); }
static int l_s(lua_State *L) { return to_duration(L, 1e9); }
static int l_rate(lua_State *L) { lua_pushnumber(L, lrt_check_rate(L, 1)); return 1; }
static int l_prob(lua_State *L) { lua_pushnumber(L, lrt_check_prob(L, 1)); return 1; }

static int l_random(lua_State *L)
{
    lrt *rt = lrt_of(L);
    sim_rng *r = rt->ctx == LRT_CTX_NODE && rt->node ? sim_self_rng(rt->node) : sim_stream(rt->s, SIM_STREAM_SCENARIO);
    return lrt_random(L, r, 1);
}

int luaopen_dsim_units(lua_State *L)
{
    if (luaL_newmetatable(L, DIST_MT)) {
        lua_pushcfunction(L, dist_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, dist_sample);
        lua_setfield(L, -2, "sample");
        lua_setfield(L, -2, "__index");
        lua_pushliteral(L, DIST_MT);
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        { "constant", l_constant }, { "uniform", l_uniform }, { "normal", l_normal },
        { "exponential", l_exponential }, { "pareto", l_pareto }, { "lognormal", l_lognormal },
        { "duration", l_duration }, { "ns", l_ns }, { "us", l_us }, { "ms", l_ms }, { "s", l_s }, { "rate", l_rate }, { "prob", l_prob }, { "random", l_random },
        { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
