/*
 * Lua node programs: one kernel program, "lua", whose config points at the
 * program table a scenario handed to dsim.cluster. A program is a table with
 * optional handlers
 *
 *     start(self, disk)         at boot and after every restart
 *     receive(self, from, msg)  from: the sender's name (nil for dsim inject)
 *     timer(self, name)
 *
 * and `self` offers send(to, msg), set_timer(name, delay), cancel_timer(name),
 * now(), random(...), peers(), sync(), annotate(key, value), log(...), and the
 * fields name, disk and options.
 *
 * Life of a Lua node (the kernel's machine, sim/node.c, seen from Lua):
 *
 *     add/restart --> start(self, disk) --> UP: receive / timer ... --crash--> DOWN
 *                         ^                                                    |
 *                         +-------------------- restart -----------------------+
 *
 * Volatile state is the self table: made fresh at each start, dropped at a crash.
 * self.disk is the table decoded from the node's kernel disk (key "lua"): it
 * survives a crash only as it was at the last self:sync(), which writes its
 * canonical encoding and syncs. Timers are named; setting a timer re-arms the
 * pending one of the same name. The handlers are read from the program table
 * once, by dsim.cluster. A corrupted message is dropped before receive
 * (a checksum would catch it), and so is a body that is not JSON.
 *
 * Every handler runs under lrt_pcall with the node's instruction budget; an
 * error fails the check "node-error" with the node, the handler and the line,
 * and stops the run (exit 1): the bug is in the system under test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"

#define SELF_MT "dsim.self"
#define DISK_KEY "lua"

static lnode_config *config_of(sim_node *node) { return sim_self_config(node); }

static void push_registered(lua_State *L, int ref, sim_node_id id)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_rawgeti(L, -1, (lua_Integer)id + 1);
    lua_remove(L, -2);
}

static void set_registered(lua_State *L, int ref, sim_node_id id)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_insert(L, -2);
    lua_rawseti(L, -2, (lua_Integer)id + 1);
    lua_pop(L, 1);
}

enum { H_START, H_RECEIVE, H_TIMER };

/* Pushes the handler when the program has it; false (nothing pushed) otherwise. */
static bool push_handler(lua_State *L, lnode_config *cfg, int which)
{
    if (cfg->handler_ref[which] == LUA_NOREF) return false;
    lua_rawgeti(L, LUA_REGISTRYINDEX, cfg->handler_ref[which]);
    return true;
}

/* Pushes the node's self table and makes it the running one. */
static void push_self(lua_State *L, lrt *rt, sim_node_id id)
{
    push_registered(L, rt->ref_selves, id);
    rt->self = lua_topointer(L, -1);
}

/* ---- deep copies (node state for the scenario, options for each node) ---- */

static void deep_copy(lua_State *L, int idx, int seen, int depth);

/* Whether every key of the table at t has a deterministic order (ldet.c);
 * *nint receives the largest n with 1..n all keys, *n the key count. */
static bool orderable_keys(lua_State *L, int t, lua_Integer *nint, lua_Integer *n)
{
    bool ok = true;
    *n = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        int kt = lua_type(L, -2);
        ok = ok && (kt == LUA_TSTRING || kt == LUA_TNUMBER || kt == LUA_TBOOLEAN);
        ++*n;
    }
    *nint = 0;
    while (*nint < *n) {
        bool present = lua_rawgeti(L, t, *nint + 1) != LUA_TNIL;
        lua_pop(L, 1);
        if (!present) break;
        ++*nint;
    }
    return ok;
}

/* copy[key] = copy of t[key] for the key on top (popped). */
static void copy_field(lua_State *L, int t, int copy, int seen, int depth)
{
    lua_pushvalue(L, -1);
    lua_rawget(L, t);
    deep_copy(L, -1, seen, depth + 1);
    lua_remove(L, -2);
    lua_rawset(L, copy);
}

/* The copy is built in a canonical order (1..n first, then the other keys in
 * ldet.c's key order) into a table sized for all of them up front, so its
 * layout, and so `#` on it when it has holes, does not depend on the raw hash
 * order of the original (which follows the per-process string hash seed). */
static void deep_copy(lua_State *L, int idx, int seen, int depth)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE || depth > 100) {
        lua_pushvalue(L, idx);
        return;
    }
    lua_pushvalue(L, idx);
    if (lua_rawget(L, seen) != LUA_TNIL) return;   /* shared or cyclic: the same copy */
    lua_pop(L, 1);
    luaL_checkstack(L, 8, "state too deep");
    lua_Integer nint, n;
    bool ordered = orderable_keys(L, idx, &nint, &n);
    lua_createtable(L, (int)nint, (int)(n - nint));
    int copy = lua_gettop(L);
    lua_pushvalue(L, idx);
    lua_pushvalue(L, copy);
    lua_rawset(L, seen);
    for (lua_Integer i = 1; i <= nint; i++) {
        lua_pushinteger(L, i);
        copy_field(L, idx, copy, seen, depth);
    }
    if (ordered) {
        lua_Integer nk = lrt_push_sorted_keys(L, idx);
        for (lua_Integer i = 1; i <= nk; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= nint) lua_pop(L, 1);
            else copy_field(L, idx, copy, seen, depth);
        }
        lua_pop(L, 1);
    } else {                                        /* table keys: no order exists; raw order */
        for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
            lua_pushvalue(L, -2);
            copy_field(L, idx, copy, seen, depth);
        }
    }
    lrt *rt = lrt_of(L);
    if (lua_getmetatable(L, idx)) {                 /* keep only the array/object markers */
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_array_mt);
        lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_object_mt);
        bool marker = lua_rawequal(L, -1, -3) || lua_rawequal(L, -2, -3);
        lua_pop(L, 2);
        if (marker) lua_setmetatable(L, copy);
        else lua_pop(L, 1);
    }
}

static void push_copy(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    deep_copy(L, idx, lua_gettop(L), 0);
    lua_remove(L, -2);
}

void lnode_push_state(lrt *rt, sim_node_id id)
{
    lua_State *L = rt->L;
    if (sim_node_program(rt->s, id) != &lnode_program || !sim_node_state(rt->s, id)) {
        lua_pushnil(L);
        return;
    }
    push_registered(L, rt->ref_selves, id);
    push_copy(L, -1);
    lua_remove(L, -2);
}

/* ---- handlers ---- */

static void push_disk(lua_State *L, sim_node *node)
{
    size_t len = 0;
    const void *data = sim_disk_read(sim_self_disk(node), DISK_KEY, &len);
    if (!data || !lrt_decode(L, data, len) || !lua_istable(L, -1)) lua_newtable(L);
}

static int do_start(lua_State *L)
{
    sim_node *node = lua_touserdata(L, 1);
    lnode_config *cfg = config_of(node);
    lua_createtable(L, 0, 4);                        /* 2: self */
    luaL_setmetatable(L, SELF_MT);
    lua_pushstring(L, sim_self_name(node));
    lua_setfield(L, 2, "name");
    if (cfg->options_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, cfg->options_ref);
        push_copy(L, -1);
        lua_setfield(L, 2, "options");
        lua_pop(L, 1);
    }
    push_disk(L, node);                              /* 3: disk */
    lua_pushvalue(L, 3);
    lua_setfield(L, 2, "disk");
    lua_pushvalue(L, 2);
    set_registered(L, cfg->rt->ref_selves, sim_self(node));
    cfg->rt->self = lua_topointer(L, 2);
    lua_newtable(L);
    set_registered(L, cfg->rt->ref_timers, sim_self(node));
    if (!push_handler(L, cfg, H_START)) return 0;
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 0);
    return 0;
}

/* The sender's name as a Lua string, made once per node rather than per message. */
static void push_name(lua_State *L, lrt *rt, sim_node_id id)
{
    push_registered(L, rt->ref_names, id);
    if (!lua_isnil(L, -1)) return;
    lua_pop(L, 1);
    lua_pushstring(L, sim_node_name(rt->s, id));
    lua_pushvalue(L, -1);
    set_registered(L, rt->ref_names, id);
}

static int do_receive(lua_State *L)
{
    sim_node *node = lua_touserdata(L, 1);
    lrt *rt = config_of(node)->rt;
    const sim_msg *m = rt->cur_msg;
    if (!push_handler(L, config_of(node), H_RECEIVE)) return 0;
    push_self(L, rt, sim_self(node));
    if (m->from == SIM_NODE_NONE) lua_pushnil(L);
    else push_name(L, rt, m->from);
    if (!lrt_decode(L, (const char *)m->body, m->body_len)) return 0;
    lua_call(L, 3, 0);
    return 0;
}

static int do_timer(lua_State *L)
{
    sim_node *node = lua_touserdata(L, 1);
    lrt *rt = config_of(node)->rt;
    const char *name = lua_tostring(L, 2);
    push_registered(L, rt->ref_timers, sim_self(node));
    lua_pushnil(L);
    lua_setfield(L, -2, name);
    if (!push_handler(L, config_of(node), H_TIMER)) return 0;
    push_self(L, rt, sim_self(node));
    lua_pushvalue(L, 2);
    lua_call(L, 2, 0);
    return 0;
}

static int do_stop(lua_State *L)
{
    sim_node *node = lua_touserdata(L, 1);
    lrt *rt = config_of(node)->rt;
    lua_pushnil(L);
    set_registered(L, rt->ref_selves, sim_self(node));
    lua_pushnil(L);
    set_registered(L, rt->ref_timers, sim_self(node));
    return 0;
}

static bool runnable(lrt *rt) { return !rt->closing && !rt->failed && !rt->error; }

static void call(sim_node *node, lua_CFunction fn, const char *handler, const char *arg)
{
    lrt *rt = config_of(node)->rt;
    lua_State *L = rt->L;
    if (!lrt_count_call(rt, node, handler)) return;
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, node);
    if (arg) lua_pushstring(L, arg);
    if (lrt_pcall(rt, arg ? 2 : 1, 0, LRT_CTX_NODE, node, handler) == LUA_OK) return;
    char detail[1400];
    snprintf(detail, sizeof(detail), "%s %s: %s", sim_self_name(node), handler, rt->errmsg);
    lrt_fail(rt, "node-error", detail);
}

static void lnode_start(sim_node *node, void *state)
{
    if (runnable(config_of(node)->rt)) call(node, do_start, "start", NULL);
}

static void lnode_receive(sim_node *node, void *state, const sim_msg *msg)
{
    lrt *rt = config_of(node)->rt;
    if (!runnable(rt) || msg->corrupted) return;
    rt->cur_msg = msg;
    call(node, do_receive, "receive", NULL);
}

static void lnode_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    if (runnable(config_of(node)->rt)) call(node, do_timer, "timer", name);
}

static void lnode_stop(sim_node *node, void *state)
{
    lrt *rt = config_of(node)->rt;
    if (rt->closing) return;
    lua_pushcfunction(rt->L, do_stop);
    lua_pushlightuserdata(rt->L, node);
    lrt_pcall(rt, 1, 0, LRT_CTX_SCENARIO, NULL, "stop");
}

const sim_program lnode_program = {
    .name = "lua",
    .state_bytes = sizeof(int),
    .start = lnode_start,
    .receive = lnode_receive,
    .timer = lnode_timer,
    .stop = lnode_stop,
};

lnode_config *lnode_config_new(lrt *rt, int idx, int oidx, uint32_t cluster)
{
    lua_State *L = rt->L;
    lnode_config **grown = realloc(rt->configs, (rt->nconfigs + 1) * sizeof(*grown));
    lnode_config *cfg = calloc(1, sizeof(*cfg));
    if (grown) rt->configs = grown;
    if (!grown || !cfg) {
        free(cfg);
        luaL_error(L, "out of memory");
    }
    rt->configs[rt->nconfigs++] = cfg;
    cfg->rt = rt;
    cfg->cluster = cluster;
    idx = lua_absindex(L, idx);
    lua_pushvalue(L, idx);
    cfg->program_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    static const char *const names[] = { "start", "receive", "timer" };
    for (int i = 0; i < 3; i++) {
        cfg->handler_ref[i] = LUA_NOREF;
        if (lua_getfield(L, idx, names[i]) == LUA_TFUNCTION) cfg->handler_ref[i] = luaL_ref(L, LUA_REGISTRYINDEX);
        else lua_pop(L, 1);
    }
    cfg->options_ref = LUA_NOREF;
    if (oidx) {
        lua_pushvalue(L, oidx);
        cfg->options_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    return cfg;
}
