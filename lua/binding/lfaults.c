/*
 * The network and the faults, as scenario functions:
 *
 *   dsim.network{ latency=, loss=, duplicate=, corrupt=, bandwidth= }  the default link
 *   dsim.link(from, to, { ... })   a directed link's own policy: the default with
 *                                  these fields changed; from/to: nodes or lists
 *   dsim.unlink(from, to)          back to the default
 *   dsim.partition(g1, g2, ...)    groups (lists of nodes) that cannot reach one
 *                                  another; one group: it against all other
 *                                  non-client nodes. Replaces any partition.
 *   dsim.heal()                    removes the partition and every cut
 *   dsim.cut(from, to) / dsim.uncut(from, to)     one-way; a node cannot be cut
 *                                  off from itself (an error, never a no-op)
 *   dsim.crash(n) / dsim.restart(n) / dsim.pause(n [, d]) / dsim.resume(n)
 *   dsim.skew(n, offset [, drift_ppm])             e.g. dsim.skew("n2", "-50ms", 200)
 *   dsim.inject(n, msg)            a message from outside (from = nil)
 *
 * A fault that makes no sense now (crashing a node that is down) is an error
 * naming the node, not a silent no-op. Clients are never in a partition unless
 * listed. Every fault is a kernel trace record.
 */
#include <stdint.h>
#include <string.h>

#include "lua/binding/lrt.h"
#include "sim/units.h"

static lrt *scenario(lua_State *L, const char *fname)
{
    lrt_scenario_only(L, fname);
    return lrt_of(L);
}

static void node_state_error(lua_State *L, int arg, sim_node_id id, const char *what)
{
    luaL_argerror(L, arg, lua_pushfstring(L, "node '%s' %s", sim_node_name(lrt_of(L)->s, id), what));
}

static void read_policy(lua_State *L, int t, sim_link_policy *p, const char *fname)
{
    static const char *const known[] = { "latency", "loss", "duplicate", "corrupt", "bandwidth", NULL };
    luaL_checktype(L, t, LUA_TTABLE);
    lrt_check_fields(L, t, known, fname);
    double v;
    lrt_field_dist(L, t, "latency", &p->latency);
    if (lrt_field_prob(L, t, "loss", &v)) p->loss = sim_prob_from_double(v);
    if (lrt_field_prob(L, t, "duplicate", &v)) p->duplicate = sim_prob_from_double(v);
    if (lrt_field_prob(L, t, "corrupt", &v)) p->corrupt = sim_prob_from_double(v);
    lrt_field_bandwidth(L, t, "bandwidth", &p->bandwidth_bytes_per_s);
}

static int l_network(lua_State *L)
{
    lrt *rt = scenario(L, "network");
    sim_link_policy p = *sim_net_get_default(rt->s);
    read_policy(L, 1, &p, "network");
    sim_net_set_default(rt->s, &p);
    if (rt->run) dsim_apply_overrides(rt->run);
    return 0;
}

/* Calls fn(from, to) for every pair of the node-or-list arguments 1 and 2. */
static void each_pair(lua_State *L, void (*fn)(lua_State *, sim_node_id, sim_node_id, void *), void *ctx)
{
    int lists[2];
    for (int a = 0; a < 2; a++) {
        lua_newtable(L);
        lists[a] = lua_gettop(L);
        if (lua_istable(L, a + 1)) {
            for (lua_Integer i = 1; lua_rawgeti(L, a + 1, i) != LUA_TNIL; i++) {
                lua_pushinteger(L, lrt_check_node_in(L, lua_gettop(L), a + 1));
                lua_rawseti(L, lists[a], i);
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        } else {
            lua_pushinteger(L, lrt_check_node(L, a + 1));
            lua_rawseti(L, lists[a], 1);
        }
    }
    lua_Integer n0 = (lua_Integer)lua_rawlen(L, lists[0]), n1 = (lua_Integer)lua_rawlen(L, lists[1]);
    for (lua_Integer i = 1; i <= n0; i++) {
        for (lua_Integer j = 1; j <= n1; j++) {
            lua_rawgeti(L, lists[0], i);
            lua_rawgeti(L, lists[1], j);
            sim_node_id from = (sim_node_id)lua_tointeger(L, -2), to = (sim_node_id)lua_tointeger(L, -1);
            lua_pop(L, 2);
            fn(L, from, to, ctx);
        }
    }
}

/* A link function's error code as a Lua error naming the function and the link. */
static void link_result(lua_State *L, int rc, const char *fname, sim_node_id from, sim_node_id to)
{
    if (rc == 0) return;
    sim *s = lrt_of(L)->s;
    if (rc == SIM_EINVAL && from == to && strstr(fname, "cut"))
        luaL_error(L, "dsim.%s: node '%s' cannot be cut off from itself (a self-link has a latency, "
                   "never a cut; crash or pause the node instead)", fname, sim_node_name(s, from));
    luaL_error(L, "dsim.%s(%s, %s): %s", fname, sim_node_name(s, from), sim_node_name(s, to), sim_strerror(rc));
}

static void set_link(lua_State *L, sim_node_id from, sim_node_id to, void *ctx)
{
    link_result(L, sim_net_set_link(lrt_of(L)->s, from, to, ctx), "link", from, to);
}

static void clear_link(lua_State *L, sim_node_id from, sim_node_id to, void *ctx)
{
    link_result(L, sim_net_clear_link(lrt_of(L)->s, from, to), "unlink", from, to);
}

static void cut_link(lua_State *L, sim_node_id from, sim_node_id to, void *ctx)
{
    bool cut = *(bool *)ctx;
    sim *s = lrt_of(L)->s;
    link_result(L, cut ? sim_net_cut(s, from, to) : sim_net_uncut(s, from, to), cut ? "cut" : "uncut", from, to);
}

static int l_link(lua_State *L)
{
    lrt *rt = scenario(L, "link");
    sim_link_policy p = *sim_net_get_default(rt->s);
    read_policy(L, 3, &p, "link");
    lua_settop(L, 3);
    each_pair(L, set_link, &p);
    return 0;
}

static int l_unlink(lua_State *L)
{
    scenario(L, "unlink");
    lua_settop(L, 2);
    each_pair(L, clear_link, NULL);
    return 0;
}

static int l_cut(lua_State *L)
{
    scenario(L, "cut");
    bool cut = true;
    lua_settop(L, 2);
    each_pair(L, cut_link, &cut);
    return 0;
}

static int l_uncut(lua_State *L)
{
    scenario(L, "uncut");
    bool cut = false;
    lua_settop(L, 2);
    each_pair(L, cut_link, &cut);
    return 0;
}

/* Appends the nodes of the list at arg to members; returns how many. */
static size_t read_group(lua_State *L, int arg, sim_node_id *members, size_t at, uint8_t *seen)
{
    lrt *rt = lrt_of(L);
    luaL_argcheck(L, lua_istable(L, arg) && lua_rawlen(L, arg) > 0, arg, "a non-empty list of nodes expected");
    size_t n = 0;
    for (lua_Integer i = 1; lua_rawgeti(L, arg, i) != LUA_TNIL; i++, lua_pop(L, 1)) {
        sim_node_id id = lrt_check_node_in(L, lua_gettop(L), arg);
        if (seen[id]) node_state_error(L, arg, id, "is in two groups");
        seen[id] = 1;
        if (at + n >= sim_node_count(rt->s)) luaL_argerror(L, arg, "too many nodes");
        members[at + n++] = id;
    }
    lua_pop(L, 1);
    return n;
}

static int l_partition(lua_State *L)
{
    lrt *rt = scenario(L, "partition");
    int ngroups = lua_gettop(L);
    size_t nodes = sim_node_count(rt->s);
    luaL_argcheck(L, ngroups >= 1, 1, "at least one group (a list of nodes) expected");
    size_t *sizes = lua_newuserdatauv(L, (size_t)(ngroups + 1) * sizeof(size_t), 0);
    sim_node_id *members = lua_newuserdatauv(L, (nodes + 1) * sizeof(sim_node_id), 0);
    uint8_t *seen = lua_newuserdatauv(L, nodes + 1, 0);
    memset(seen, 0, nodes + 1);
    size_t total = 0;
    for (int g = 0; g < ngroups; g++) total += sizes[g] = read_group(L, g + 1, members, total, seen);
    if (ngroups == 1) {                               /* the rest of the servers */
        sizes[1] = 0;
        for (sim_node_id id = 0; id < nodes; id++) {
            if (seen[id] || (id < rt->nclients && rt->clients[id])) continue;
            members[total + sizes[1]++] = id;
        }
        total += sizes[1];
        ngroups = sizes[1] ? 2 : 1;
    }
    int rc = sim_net_partition(rt->s, (size_t)ngroups, sizes, members);
    if (rc) return luaL_error(L, "dsim.partition: %s", sim_strerror(rc));
    return 0;
}

static int l_heal(lua_State *L)
{
    sim_net_heal(scenario(L, "heal")->s);
    return 0;
}

static int l_crash(lua_State *L)
{
    lrt *rt = scenario(L, "crash");
    sim_node_id id = lrt_check_node(L, 1);
    if (sim_node_crash(rt->s, id) != 0) node_state_error(L, 1, id, "is already down");
    return 0;
}

static int l_restart(lua_State *L)
{
    lrt *rt = scenario(L, "restart");
    sim_node_id id = lrt_check_node(L, 1);
    if (sim_node_restart(rt->s, id) != 0) node_state_error(L, 1, id, "is not down");
    return 0;
}

static void resume_later(sim *s, void *ctx)
{
    sim_node_id id = (sim_node_id)(uintptr_t)ctx;
    if (sim_node_get_status(s, id) == SIM_NODE_PAUSED) sim_node_resume(s, id);
}

static int l_pause(lua_State *L)
{
    lrt *rt = scenario(L, "pause");
    sim_node_id id = lrt_check_node(L, 1);
    int64_t d = lrt_opt_duration(L, 2, -1);
    if (sim_node_pause(rt->s, id) != 0) node_state_error(L, 1, id, "is not up");
    if (d >= 0 && sim_schedule(rt->s, sim_now_ns(rt->s) + d, resume_later, (void *)(uintptr_t)id) != 0)
        return luaL_error(L, "dsim.pause: could not schedule the resume");
    return 0;
}

static int l_resume(lua_State *L)
{
    lrt *rt = scenario(L, "resume");
    sim_node_id id = lrt_check_node(L, 1);
    if (sim_node_resume(rt->s, id) != 0) node_state_error(L, 1, id, "is not paused");
    return 0;
}

static int64_t check_offset(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TSTRING && lua_tostring(L, idx)[0] == '-') {
        int64_t ns;
        if (sim_duration_parse(lua_tostring(L, idx) + 1, &ns) == 0 && ns <= SIM_TIME_MAX) return -ns;
    }
    return lrt_check_duration(L, idx);
}

static int l_skew(lua_State *L)
{
    lrt *rt = scenario(L, "skew");
    sim_node_id id = lrt_check_node(L, 1);
    int64_t offset = check_offset(L, 2);
    lua_Integer drift = luaL_optinteger(L, 3, 0);
    luaL_argcheck(L, drift > -1000000 && drift <= 1000000000, 3, "drift in parts per million, > -1000000");
    if (sim_node_set_clock(rt->s, id, offset, (int64_t)drift) != 0) luaL_argerror(L, 2, "offset out of range");
    return 0;
}

static int l_inject(lua_State *L)
{
    lrt *rt = scenario(L, "inject");
    sim_node_id id = lrt_check_node(L, 1);
    luaL_checkany(L, 2);
    lrt_encode(L, 2, &rt->buf);
    const char *type = "msg";
    if (lua_istable(L, 2)) {
        lua_pushliteral(L, "type");
        if (lua_rawget(L, 2) == LUA_TSTRING) type = lua_tostring(L, -1);
    }
    lrt_check_memory(L, rt->buf.len);
    if (sim_inject(rt->s, id, type, rt->buf.data, rt->buf.len) != 0) return luaL_error(L, "dsim.inject failed");
    return 0;
}

/* ---- the fault stream, for lua/dsim/nemesis.lua (internal) ---- */

int lrt_fault_random(lua_State *L)
{
    return lrt_random(L, sim_stream(lrt_of(L)->s, SIM_STREAM_FAULTS), 1);
}

int lrt_fault_draw(lua_State *L)
{
    sim_dist d = lrt_check_dist(L, 1);
    lrt_push_seconds(L, sim_dist_draw(&d, sim_stream(lrt_of(L)->s, SIM_STREAM_FAULTS)));
    return 1;
}

int luaopen_dsim_faults(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "network", l_network }, { "link", l_link }, { "unlink", l_unlink }, { "partition", l_partition },
        { "heal", l_heal }, { "cut", l_cut }, { "uncut", l_uncut }, { "crash", l_crash },
        { "restart", l_restart }, { "pause", l_pause }, { "resume", l_resume }, { "skew", l_skew },
        { "inject", l_inject }, { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
