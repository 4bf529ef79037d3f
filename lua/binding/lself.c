/*
 * The methods of `self` in a Lua node program (see lnode.c for the handlers).
 * A method works only inside a handler of its own node: the kernel hands a node
 * its context (sim_node) only while one of its handlers runs, and a node must
 * never act as another (self:send on a stashed self of a peer is an error).
 *
 *   self:send(to, msg)            to: a name (self:peers(), from) or a node
 *   self:set_timer(name, delay)   re-arms the pending timer of that name
 *   self:cancel_timer(name)       true when one was pending
 *   self:now()                    the node's local clock in seconds (skewed)
 *   self:random([m [, n]])        math.random's contract, the node's own stream
 *   self:peers()                  the other nodes of its cluster, by name
 *   self:sync()                   makes self.disk durable
 *   self:annotate(key, value)     shown by the viewer (role, term ...)
 *   self:log(...)                 a log line in the trace
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding/lrt.h"

#define SELF_MT "dsim.self"
#define DISK_KEY "lua"

static sim_node *check_self(lua_State *L, const char *method)
{
    lrt *rt = lrt_of(L);
    if (!lua_istable(L, 1))
        luaL_error(L, "bad self in '%s' (call it with a colon: self:%s(...))", method, method);
    if (rt->ctx != LRT_CTX_NODE || !rt->node)
        luaL_error(L, "self:%s can only be called from the node's own handlers", method);
    if (lua_topointer(L, 1) != rt->self)   /* identity of two live tables, never an order */
        luaL_error(L, "self:%s called on the self of another node (%s is running)", method,
                   sim_self_name(rt->node));
    return rt->node;
}

static int m_send(lua_State *L)
{
    sim_node *node = check_self(L, "send");
    sim_node_id to = lrt_check_node(L, 2);
    luaL_checkany(L, 3);
    lrt *rt = lrt_of(L);
    lrt_encode(L, 3, &rt->buf);
    const char *type = "msg";
    if (lua_type(L, 3) == LUA_TTABLE) {
        lua_pushliteral(L, "type");
        if (lua_rawget(L, 3) == LUA_TSTRING) type = lua_tostring(L, -1);
    }
    lrt_check_memory(L, rt->buf.len);
    int rc = sim_send(node, to, type, rt->buf.data, rt->buf.len);
    if (rc) return luaL_error(L, "self:send: %s", sim_strerror(rc));
    return 0;
}

static void push_timers(lua_State *L, sim_node *node)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, lrt_of(L)->ref_timers);
    lua_rawgeti(L, -1, (lua_Integer)sim_self(node) + 1);
    lua_remove(L, -2);
}

/* Cancels the pending timer `name` (timers table on top); true if there was one. */
static bool cancel(lua_State *L, sim_node *node, const char *name)
{
    if (lua_getfield(L, -1, name) != LUA_TNUMBER) return lua_pop(L, 1), false;
    sim_timer_cancel(node, (uint64_t)lua_tointeger(L, -1));
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setfield(L, -2, name);
    return true;
}

static int m_set_timer(lua_State *L)
{
    sim_node *node = check_self(L, "set_timer");
    const char *name = luaL_checkstring(L, 2);
    int64_t delay = lrt_check_duration(L, 3);
    lrt_check_memory(L, 64);
    push_timers(L, node);
    cancel(L, node, name);
    uint64_t id = sim_timer_set(node, delay, name, 0);
    if (!id) return luaL_error(L, "self:set_timer: the timer could not be set");
    lua_pushinteger(L, (lua_Integer)id);
    lua_setfield(L, -2, name);
    return 0;
}

static int m_cancel_timer(lua_State *L)
{
    sim_node *node = check_self(L, "cancel_timer");
    const char *name = luaL_checkstring(L, 2);
    push_timers(L, node);
    lua_pushboolean(L, cancel(L, node, name));
    return 1;
}

static int m_now(lua_State *L)
{
    lrt_push_seconds(L, sim_clock_ns(check_self(L, "now")));
    return 1;
}

static int m_random(lua_State *L)
{
    return lrt_random(L, sim_self_rng(check_self(L, "random")), 2);
}

static int m_peers(lua_State *L)
{
    sim_node *node = check_self(L, "peers");
    sim *s = sim_of(node);
    lua_newtable(L);
    lua_Integer n = 0;
    for (sim_node_id id = 0; id < sim_node_count(s); id++) {
        if (id == sim_self(node) || sim_node_cluster(s, id) != sim_self_cluster(node)) continue;
        lua_pushstring(L, sim_node_name(s, id));
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

static int m_sync(lua_State *L)
{
    sim_node *node = check_self(L, "sync");
    lrt *rt = lrt_of(L);
    sim_disk *d = sim_self_disk(node);
    lua_pushliteral(L, "disk");
    if (lua_rawget(L, 1) == LUA_TNIL) {
        sim_disk_remove(d, DISK_KEY);
    } else {
        luaL_argcheck(L, lua_istable(L, -1), 1, "self.disk must be a table");
        lrt_encode(L, -1, &rt->buf);
        if (sim_disk_write(d, DISK_KEY, rt->buf.data, rt->buf.len) != 0)
            return luaL_error(L, "self:sync: the disk write failed");
    }
    sim_disk_sync(d);
    return 0;
}

static int m_annotate(lua_State *L)
{
    sim_node *node = check_self(L, "annotate");
    const char *key = luaL_checkstring(L, 2);
    luaL_checkany(L, 3);
    if (lua_type(L, 3) == LUA_TSTRING) {
        sim_annotate(node, key, lua_tostring(L, 3));
        return 0;
    }
    lrt *rt = lrt_of(L);
    lrt_encode(L, 3, &rt->buf);
    sim_annotate(node, key, rt->buf.data);
    return 0;
}

static int m_log(lua_State *L)
{
    sim_node *node = check_self(L, "log");
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 2; i <= n; i++) {
        if (i > 2) luaL_addchar(&b, ' ');
        lrt_tostring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    sim_log(node, "%s", lua_tostring(L, -1));
    return 0;
}

static int self_tostring(lua_State *L)
{
    lua_pushliteral(L, "name");
    if (lua_rawget(L, 1) == LUA_TSTRING) lua_pushfstring(L, "self %s", lua_tostring(L, -1));
    else lua_pushliteral(L, "self");
    return 1;
}

void lnode_open_methods(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "send", m_send }, { "set_timer", m_set_timer }, { "cancel_timer", m_cancel_timer },
        { "now", m_now }, { "random", m_random }, { "peers", m_peers }, { "sync", m_sync },
        { "annotate", m_annotate }, { "log", m_log }, { NULL, NULL },
    };
    luaL_newmetatable(L, SELF_MT);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, self_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, SELF_MT);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}
