/*
 * The Lua node benchmark: the workload of lua/bench/bench_msgs.c (every node sends a
 * small message to a uniformly random peer at exponential intervals of mean one
 * simulated second; constant 50 us latency), with the node program written in
 * Lua: a timer handler that sends and re-arms, a receive handler that only
 * counts. The figure is messages per second through Lua receive handlers, with
 * the whole Lua path (sandbox, instruction budget hook, canonical JSON encode
 * and decode, self table) included; the same run with the C program gives the
 * cost ratio of a Lua node to a C node.
 */
#include <stdio.h>
#include <string.h>

#include "lua/bench/bench.h"
#include "lua/bench/lbench.h"
#include "lua/binding/lrt.h"

static const char program[] =
    "local n = ...\n"
    "local names = {}\n"
    "for i = 1, n do names[i] = 'n' .. i end\n"
    "local log, s = math.log, require('dsim').s\n"
    "local msg = { type = 'bench', data = string.rep('x', 40) }\n"
    "local delivered = 0\n"
    "local bench = {}\n"
    "function bench.start(self)\n"
    "  self.index = tonumber(self.name:sub(2))\n"
    "  self:set_timer('send', s(-log(1 - self:random())))\n"
    "end\n"
    "function bench.timer(self, name)\n"
    "  local peer = self:random(n - 1)\n"
    "  if peer >= self.index then peer = peer + 1 end\n"
    "  self:send(names[peer], msg)\n"
    "  self:set_timer('send', s(-log(1 - self:random())))\n"
    "end\n"
    "function bench.receive(self, from, m) delivered = delivered + 1 end\n"
    "return bench, function() return delivered end\n";

/* The receive path alone: Lua nodes that only count what arrives, fed by C nodes
 * (the same sender as the workload above, with the same 64-byte JSON body). */
static const char receiver[] =
    "local delivered = 0\n"
    "local sink = {}\n"
    "function sink.receive(self, from, m) delivered = delivered + 1 end\n"
    "return sink, function() return delivered end\n";

static const char body[] = "{\"data\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"type\":\"bench\"}";

typedef struct sender_cfg {
    uint64_t receivers;          /* receivers are node ids 0 .. receivers-1 */
    sim_dist interval;
} sender_cfg;

static void sender_arm(sim_node *node)
{
    sender_cfg *cfg = sim_self_config(node);
    sim_timer_set(node, sim_dist_draw(&cfg->interval, sim_self_rng(node)), "send", 0);
}

static void sender_start(sim_node *node, void *state) { sender_arm(node); }

static void sender_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    sender_cfg *cfg = sim_self_config(node);
    sim_node_id to = (sim_node_id)sim_rng_below(sim_self_rng(node), cfg->receivers);
    sim_send(node, to, "bench", body, sizeof(body) - 1);
    sender_arm(node);
}

static const sim_program sender_program = { "bench-sender", 0, sender_start, NULL, sender_timer, NULL };

/* Protected: loads the program, adds the nodes; leaves the counter function. */
static int setup(lua_State *L)
{
    lrt *rt = lrt_of(L);
    uint64_t nodes = (uint64_t)lua_tointeger(L, 1);
    sender_cfg *senders = lua_touserdata(L, 2);
    const char *source = senders ? receiver : program;
    if (luaL_loadbufferx(L, source, strlen(source), "=bench", "t") != LUA_OK) return lua_error(L);
    lua_pushinteger(L, (lua_Integer)nodes);
    lua_call(L, 1, 2);
    lnode_config *cfg = lnode_config_new(rt, -2, 0, 1);
    for (uint64_t i = 0; i < nodes; i++) {
        char name[24];
        snprintf(name, sizeof(name), "n%llu", (unsigned long long)i + 1);
        if (sim_node_add(rt->s, name, &lnode_program, cfg, 1, NULL) != 0) return luaL_error(L, "out of memory");
    }
    for (uint64_t i = 0; senders && i < nodes; i++) {
        char name[24];
        snprintf(name, sizeof(name), "s%llu", (unsigned long long)i + 1);
        if (sim_node_add(rt->s, name, &sender_program, senders, 2, NULL) != 0) return luaL_error(L, "out of memory");
    }
    return 1;
}

/* receive_only: C senders feed Lua receivers; else Lua nodes send and receive. */
static int run_lua(uint64_t nodes, double sim_seconds, bool receive_only, double *msgs_per_s)
{
    sender_cfg senders = { nodes, sim_dist_exponential(SIM_NS_PER_S) };
    sim_options so = { 42, (size_t)nodes, (size_t)nodes * 2 };
    sim *s = sim_create(&so);
    if (!s) return SIM_ENOMEM;
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_constant(50 * SIM_NS_PER_US);
    sim_net_set_default(s, &p);
    char err[256];
    lrt *rt = lrt_create(s, NULL, "(bench)", err, sizeof(err));
    if (!rt) {
        sim_destroy(s);
        return SIM_ENOMEM;
    }
    rt->mem_cap = (size_t)1 << 40;          /* the benchmark measures speed, not the cap */
    lua_pushcfunction(rt->L, setup);
    lua_pushinteger(rt->L, (lua_Integer)nodes);
    lua_pushlightuserdata(rt->L, receive_only ? &senders : NULL);
    int rc = lrt_pcall(rt, 2, 1, LRT_CTX_SCENARIO, NULL, "bench") == LUA_OK ? 0 : SIM_ENOMEM;
    if (rc == 0) {
        sim_run_until(s, 0);
        double t0 = bench_wall_seconds();
        sim_run_until(s, (int64_t)(sim_seconds * (double)SIM_NS_PER_S));
        double t1 = bench_wall_seconds();
        rc = rt->failed ? SIM_ESTATE : 0;
        if (rc == 0 && lrt_pcall(rt, 0, 1, LRT_CTX_SCENARIO, NULL, "bench") == LUA_OK) {
            double delivered = lua_tonumber(rt->L, -1);
            lua_pop(rt->L, 1);
            *msgs_per_s = t1 > t0 ? delivered / (t1 - t0) : 0;
        }
    }
    rt->closing = true;
    sim_destroy(s);
    lrt_destroy(rt);
    return rc;
}

int sim_bench_lua_msgs(uint64_t nodes, double sim_seconds, double *lua_msgs_per_s, double *c_msgs_per_s)
{
    if (nodes < 2 || sim_seconds <= 0) return SIM_EINVAL;
    *lua_msgs_per_s = *c_msgs_per_s = 0;
    sim_bench_msgs_result r;
    int rc = sim_bench_random_msgs(nodes, sim_seconds, &r);
    if (rc) return rc;
    *c_msgs_per_s = r.messages_per_s;
    return run_lua(nodes, sim_seconds, false, lua_msgs_per_s);
}

int sim_bench_lua_receive(uint64_t nodes, double sim_seconds, double *msgs_per_s)
{
    if (nodes < 1 || sim_seconds <= 0) return SIM_EINVAL;
    *msgs_per_s = 0;
    return run_lua(nodes, sim_seconds, true, msgs_per_s);
}
