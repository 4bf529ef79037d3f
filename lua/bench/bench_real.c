/*
 * The realistic twin of random-msgs and lua-msgs (`dsim bench real-msgs`). Those
 * measure a best case: no observer, constant latency, no loss, a 64-byte body
 * nobody reads, memory per node measured before the run. This one runs the same
 * workload (each node sends to a uniformly random peer at exponential intervals of
 * mean one simulated second) with what a course run has on:
 *
 *   - the statistics observer of every `dsim run` summary (per-type counts,
 *     latency percentiles), and the trace hash (always on);
 *   - latency drawn from a lognormal distribution (median 2 ms, sigma 0.5), so
 *     messages overtake each other, and 1% loss;
 *   - a JSON body built, encoded, sent, parsed and read by both ends:
 *     {"data":"xxxx...","seq":N,"type":"bench"} (about 70 bytes);
 *   - resident memory measured after the run (the queue, the message slots and
 *     the statistics grown to their working size), per node.
 *
 * The node program is C (cJSON, sim_json_send / sim_json_parse) or Lua (a table
 * sent, decoded into a table by the runtime), doing the same work, so the two
 * figures compare like for like.
 */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "lua/bench/bench.h"
#include "lua/bench/lbench.h"
#include "lua/binding/lrt.h"
#include "sim/msg.h"
#include "sim/stats.h"

typedef struct real_ctx {
    uint64_t delivered, seq;
    sim_dist interval;
} real_ctx;

static void c_arm(sim_node *node)
{
    real_ctx *ctx = sim_self_config(node);
    sim_timer_set(node, sim_dist_draw(&ctx->interval, sim_self_rng(node)), "send", 0);
}

static void c_start(sim_node *node, void *state) { c_arm(node); }

static void c_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    real_ctx *ctx = sim_self_config(node);
    uint64_t n = sim_node_count(sim_of(node));
    uint64_t peer = sim_rng_below(sim_self_rng(node), n - 1);
    if (peer >= sim_self(node)) peer++;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "data", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    cJSON_AddNumberToObject(m, "seq", (double)++ctx->seq);
    cJSON_AddStringToObject(m, "type", "bench");
    sim_json_send(node, (sim_node_id)peer, m);
    cJSON_Delete(m);
    c_arm(node);
}

static void c_receive(sim_node *node, void *state, const sim_msg *msg)
{
    real_ctx *ctx = sim_self_config(node);
    cJSON *m = sim_json_parse(msg);
    ctx->delivered += sim_json_int(m, "seq", -1) > 0;
    cJSON_Delete(m);
}

static const sim_program c_program = { "bench-real", 0, c_start, c_receive, c_timer, NULL };

static const char lua_program[] =
    "local n = ...\n"
    "local names = {}\n"
    "for i = 1, n do names[i] = 'n' .. i end\n"
    "local log, s = math.log, require('dsim').s\n"
    "local data = string.rep('x', 40)\n"
    "local delivered, seq = 0, 0\n"
    "local bench = {}\n"
    "function bench.start(self)\n"
    "  self.index = tonumber(self.name:sub(2))\n"
    "  self:set_timer('send', s(-log(1 - self:random())))\n"
    "end\n"
    "function bench.timer(self, name)\n"
    "  local peer = self:random(n - 1)\n"
    "  if peer >= self.index then peer = peer + 1 end\n"
    "  seq = seq + 1\n"
    "  self:send(names[peer], { type = 'bench', seq = seq, data = data })\n"
    "  self:set_timer('send', s(-log(1 - self:random())))\n"
    "end\n"
    "function bench.receive(self, from, m) if m.seq > 0 then delivered = delivered + 1 end end\n"
    "return bench, function() return delivered end\n";

/* Protected: loads the Lua program and adds the nodes; leaves the counter. */
static int lua_setup(lua_State *L)
{
    lrt *rt = lrt_of(L);
    uint64_t nodes = (uint64_t)lua_tointeger(L, 1);
    if (luaL_loadbufferx(L, lua_program, strlen(lua_program), "=bench", "t") != LUA_OK) return lua_error(L);
    lua_pushinteger(L, (lua_Integer)nodes);
    lua_call(L, 1, 2);
    lnode_config *cfg = lnode_config_new(rt, -2, 0, 1);
    for (uint64_t i = 0; i < nodes; i++) {
        char name[24];
        snprintf(name, sizeof(name), "n%llu", (unsigned long long)i + 1);
        if (sim_node_add(rt->s, name, &lnode_program, cfg, 1, NULL) != 0) return luaL_error(L, "out of memory");
    }
    return 1;
}

static int add_c_nodes(sim *s, uint64_t nodes, real_ctx *ctx)
{
    for (uint64_t i = 0; i < nodes; i++) {
        char name[24];
        snprintf(name, sizeof(name), "n%llu", (unsigned long long)i + 1);
        if (sim_node_add(s, name, &c_program, ctx, 0, NULL) != 0) return SIM_ENOMEM;
    }
    return 0;
}

/* Runs the workload on s (nodes already added); fills the timing part of out. */
static void drive(sim *s, double sim_seconds, sim_bench_real_result *out)
{
    sim_run_until(s, 0);
    double t0 = bench_wall_seconds(), c0 = bench_cpu_seconds();
    sim_run_until(s, (int64_t)(sim_seconds * (double)SIM_NS_PER_S));
    out->seconds = bench_wall_seconds() - t0;
    out->cpu_seconds = bench_cpu_seconds() - c0;
    out->trace_hash = sim_trace_hash(s);
}

int sim_bench_real_msgs(uint64_t nodes, double sim_seconds, bool lua, sim_bench_real_result *out)
{
    if (nodes < 2 || sim_seconds <= 0) return SIM_EINVAL;
    memset(out, 0, sizeof(*out));
    uint64_t rss0 = bench_rss_bytes();
    sim_options so = { 42, (size_t)nodes, (size_t)nodes * 2 };
    sim *s = sim_create(&so);
    if (!s) return SIM_ENOMEM;
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_lognormal(2 * SIM_NS_PER_MS, 0.5);
    p.loss = sim_prob_from_double(0.01);
    sim_net_set_default(s, &p);
    sim_stats *stats = sim_stats_attach(s);
    real_ctx ctx = { 0, 0, sim_dist_exponential(SIM_NS_PER_S) };
    lrt *rt = NULL;
    int rc = stats ? 0 : SIM_ENOMEM;
    if (rc == 0 && lua) {
        char err[256];
        rt = lrt_create(s, NULL, "(bench)", err, sizeof(err));
        rc = rt ? 0 : SIM_ENOMEM;
        if (rt) {
            rt->mem_cap = (size_t)1 << 40;              /* speed, not the cap */
            lua_pushcfunction(rt->L, lua_setup);
            lua_pushinteger(rt->L, (lua_Integer)nodes);
            rc = lrt_pcall(rt, 1, 1, LRT_CTX_SCENARIO, NULL, "bench") == LUA_OK ? 0 : SIM_ENOMEM;
        }
    } else if (rc == 0) {
        rc = add_c_nodes(s, nodes, &ctx);
    }
    if (rc == 0) drive(s, sim_seconds, out);
    if (rc == 0 && rt) {
        rc = rt->failed || lrt_pcall(rt, 0, 1, LRT_CTX_SCENARIO, NULL, "bench") != LUA_OK ? SIM_ESTATE : 0;
        if (rc == 0) ctx.delivered = (uint64_t)lua_tonumber(rt->L, -1);
    }
    out->nodes = nodes;
    out->sim_seconds = sim_seconds;
    out->messages = ctx.delivered;
    out->messages_per_s = out->seconds > 0 ? (double)ctx.delivered / out->seconds : 0;
    out->messages_per_cpu_s = out->cpu_seconds > 0 ? (double)ctx.delivered / out->cpu_seconds : 0;
    out->latency_ns_p99 = stats ? sim_stats_latency_ns(stats, 99) : 0;
    uint64_t rss1 = bench_rss_bytes();
    out->rss_bytes_per_node_after = rss1 > rss0 ? (rss1 - rss0) / nodes : 0;
    if (rt) rt->closing = true;
    if (stats) sim_stats_detach(s, stats);
    sim_destroy(s);
    lrt_destroy(rt);
    return rc;
}
