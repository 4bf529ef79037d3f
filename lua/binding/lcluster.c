/*
 * dsim.cluster and node handles.
 *
 *   local nodes = dsim.cluster{ program = gossip, count = 5 }        -- n1..n5
 *   local kv = dsim.cluster{ system = "broadcast", count = 3, name = "b",
 *                            gossip_interval = "50ms" }               -- b1..b3
 *
 * Fields: program (a Lua program table) or system (a C system's name); count
 * (default 1) or names (a list); name (the prefix, default "n": nodes are named
 * prefix1, prefix2 ... skipping names already taken); group (clusters with the
 * same group are one kernel cluster, so their nodes are each other's peers,
 * C and Lua alike); client (workload clients: the nemesis leaves them alone);
 * options (a table: self.options of a Lua node, or the system's options). For a
 * C system every other field is an option too, checked by the system's
 * configure; for a Lua program any other field is an error.
 *
 * A handle holds the node's id, never a pointer: h.name, h.status ("up",
 * "down", "paused"), h.clock (local clock, seconds), h.state (a Lua node: a deep
 * copy of its self table; a C node: what its system exposes, else nil), h.disk
 * (a Lua node's durable disk), and h:inject(msg), h:crash(), h:restart(),
 * h:pause(d), h:resume(), h:skew(offset, drift_ppm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lua/binding/lrt.h"
#include "sim/systems/system.h"

static const char *const reserved[] = { "program", "system", "count", "names", "name", "group",
                                        "client", "options", NULL };

void lrt_push_node(lua_State *L, sim_node_id id)
{
    lnode_handle *h = lua_newuserdatauv(L, sizeof(lnode_handle), 0);
    h->id = id;
    luaL_setmetatable(L, LNODE_HANDLE_MT);
}

/* ---- what C systems expose to the scenario ---- */

/* h.state of a C node: its system's state_json, decoded into a Lua table. */
static void push_c_state(lrt *rt, sim_node_id id)
{
    lua_State *L = rt->L;
    const sim_system *sys = sim_system_of_node(rt->s, id);
    cJSON *st = sys && sys->state_json ? sys->state_json(rt->s, id) : NULL;
    char *text = st ? cJSON_PrintUnformatted(st) : NULL;
    cJSON_Delete(st);
    if (!text || !lrt_decode(L, text, strlen(text))) lua_pushnil(L);
    free(text);
}

static void push_disk(lrt *rt, sim_node_id id)
{
    size_t len = 0;
    const void *data = sim_disk_read(sim_node_disk(rt->s, id), "lua", &len);
    if (!data || !lrt_decode(rt->L, data, len)) lua_pushnil(rt->L);
}

static int handle_index(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lnode_handle *h = luaL_checkudata(L, 1, LNODE_HANDLE_MT);
    const char *key = luaL_checkstring(L, 2);
    if (rt->ctx == LRT_CTX_NODE)      /* a node learns about others by messages only */
        return luaL_error(L, "node handles cannot be used from a node program (%s, handler %s)",
                          sim_self_name(rt->node), rt->handler);
    static const char *const status[] = { "up", "down", "paused" };
    if (strcmp(key, "name") == 0) lua_pushstring(L, sim_node_name(rt->s, h->id));
    else if (strcmp(key, "status") == 0) lua_pushstring(L, status[sim_node_get_status(rt->s, h->id)]);
    else if (strcmp(key, "clock") == 0) lrt_push_seconds(L, sim_node_clock_ns(rt->s, h->id));
    else if (strcmp(key, "disk") == 0) push_disk(rt, h->id);
    else if (strcmp(key, "state") == 0) {
        if (sim_node_program(rt->s, h->id) == &lnode_program) lnode_push_state(rt, h->id);
        else push_c_state(rt, h->id);
    } else {
        static const char *const methods[] = { "inject", "crash", "restart", "pause", "resume", "skew", NULL };
        for (int i = 0; methods[i]; i++) {
            if (strcmp(key, methods[i]) != 0) continue;
            lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_dsim);
            lua_getfield(L, -1, key);
            return 1;
        }
        return luaL_error(L, "a node has no field '%s' (name, status, clock, state, disk, inject, crash, "
                             "restart, pause, resume, skew)", key);
    }
    return 1;
}

static int handle_newindex(lua_State *L)
{
    return luaL_error(L, "node handles are read-only (change a node from its own program)");
}

static int handle_tostring(lua_State *L)
{
    lnode_handle *h = luaL_checkudata(L, 1, LNODE_HANDLE_MT);
    lua_pushfstring(L, "node %s", sim_node_name(lrt_of(L)->s, h->id));
    return 1;
}

static int handle_eq(lua_State *L)
{
    lnode_handle *a = luaL_testudata(L, 1, LNODE_HANDLE_MT), *b = luaL_testudata(L, 2, LNODE_HANDLE_MT);
    lua_pushboolean(L, a && b && a->id == b->id);
    return 1;
}

/* ---- dsim.cluster ---- */

static uint32_t cluster_id(lua_State *L, lrt *rt)
{
    if (lua_getfield(L, 1, "group") == LUA_TNIL) return lua_pop(L, 1), rt->next_cluster++;
    if (lua_type(L, -1) != LUA_TSTRING && !lua_isinteger(L, -1))
        luaL_argerror(L, 1, "field 'group': a name (string) or a number expected");
    lua_getfield(L, LUA_REGISTRYINDEX, "dsim.groups");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "dsim.groups");
    }
    lua_pushvalue(L, -2);
    if (lua_rawget(L, -2) == LUA_TNUMBER) {
        uint32_t id = (uint32_t)lua_tointeger(L, -1);
        lua_pop(L, 3);
        return id;
    }
    lua_pop(L, 1);
    uint32_t id = rt->next_cluster++;
    lua_pushvalue(L, -2);
    lua_pushinteger(L, id);
    lua_rawset(L, -3);
    lua_pop(L, 2);
    return id;
}

/* The names of the new nodes, as a list at the top of the stack. */
static void push_names(lua_State *L, lrt *rt)
{
    if (lua_getfield(L, 1, "names") != LUA_TNIL) {
        luaL_argcheck(L, lua_istable(L, -1) && lua_rawlen(L, -1) > 0, 1, "field 'names': a list of names expected");
        return;
    }
    lua_pop(L, 1);
    lua_Integer count = 1;
    if (lua_getfield(L, 1, "count") != LUA_TNIL) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > 10000000)
            luaL_argerror(L, 1, "field 'count': an integer from 1 to 10000000 expected");
        count = lua_tointeger(L, -1);
    }
    lua_getfield(L, 1, "name");
    size_t plen = 1;
    const char *prefix = luaL_optlstring(L, -1, "n", &plen);
    luaL_argcheck(L, strlen(prefix) == plen && plen < 48, 1, "field 'name': a prefix of 1 to 47 of A-Z a-z 0-9 _ . : -");
    lua_newtable(L);
    lua_Integer next = 1;
    for (lua_Integer i = 1; i <= count; i++) {
        char name[80];
        do snprintf(name, sizeof(name), "%s%lld", prefix, (long long)next++);
        while (sim_node_find(rt->s, name, NULL) == 0);
        lua_pushstring(L, name);
        lua_rawseti(L, -2, i);
    }
    lua_replace(L, -3);
    lua_pop(L, 1);
}

static void check_program(lua_State *L, int p)
{
    static const char *const handlers[] = { "start", "receive", "timer", NULL };
    for (int i = 0; handlers[i]; i++) {
        int t = lua_getfield(L, p, handlers[i]);
        if (t != LUA_TNIL && t != LUA_TFUNCTION)
            luaL_argerror(L, 1, lua_pushfstring(L, "field 'program': its '%s' must be a function, not a %s",
                                                handlers[i], lua_typename(L, t)));
        lua_pop(L, 1);
    }
}

/* The options of a C system: t.options merged with every non-reserved field. */
static cJSON *system_options(lua_State *L)
{
    lua_newtable(L);
    int opts = lua_gettop(L);
    if (lua_getfield(L, 1, "options") != LUA_TNIL) {
        int src = lua_gettop(L);
        luaL_argcheck(L, lua_istable(L, src), 1, "field 'options': a table expected");
        for (lua_pushnil(L); lua_next(L, src); lua_pop(L, 1)) {
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, opts);
        }
    }
    lua_settop(L, opts);
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
        bool skip = lua_type(L, -2) != LUA_TSTRING;
        for (int i = 0; reserved[i] && !skip; i++) skip = strcmp(reserved[i], lua_tostring(L, -2)) == 0;
        if (skip) continue;
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_rawset(L, opts);
    }
    lua_pushnil(L);
    bool empty = lua_next(L, opts) == 0;
    lua_settop(L, opts);
    if (empty) return lua_pop(L, 1), NULL;
    lrt *rt = lrt_of(L);
    lrt_userfn_strip(L, opts);               /* functions become "lua-function:N" */
    lua_rawgeti(L, LUA_REGISTRYINDEX, rt->ref_object_mt);
    lua_setmetatable(L, -2);
    lrt_encode(L, -1, &rt->buf);
    lua_pop(L, 2);
    return cJSON_ParseWithLength(rt->buf.data, rt->buf.len);
}

static void *configure_system(lua_State *L, const sim_system **out)
{
    lrt *rt = lrt_of(L);
    const char *name = lua_tostring(L, -1);
    const sim_system *sys = sim_system_find(name);
    if (!sys) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (size_t i = 0; sim_system_at(i); i++) {
            if (i) luaL_addstring(&b, ", ");
            luaL_addstring(&b, sim_system_at(i)->name);
        }
        luaL_pushresult(&b);
        luaL_argerror(L, 1, lua_pushfstring(L, "unknown system '%s' (systems: %s)", name, lua_tostring(L, -1)));
    }
    cJSON *options = system_options(L);
    void *config = NULL;
    char err[256] = "";
    int rc = sys->configure(options, &config, err, sizeof(err));
    cJSON_Delete(options);
    if (rc) luaL_argerror(L, 1, lua_pushfstring(L, "system '%s': %s", name, err[0] ? err : sim_strerror(rc)));
    lrt_keep_system_config(rt, sys, config);
    *out = sys;
    return config;
}

static void mark_client(lrt *rt, sim_node_id id)
{
    if (id >= rt->nclients) {
        size_t n = (id + 1) * 2;
        bool *c = realloc(rt->clients, n * sizeof(bool));
        if (!c) luaL_error(rt->L, "out of memory");
        memset(c + rt->nclients, 0, (n - rt->nclients) * sizeof(bool));
        rt->clients = c;
        rt->nclients = n;
    }
    rt->clients[id] = true;
}

static void add_nodes(lua_State *L, lrt *rt, const sim_program *program, void *config, uint32_t cluster,
                      bool client)
{
    int names = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, names);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, names, i);
        size_t len = 0;
        const char *name = lua_tolstring(L, -1, &len);
        sim_node_id id;
        int rc = name && strlen(name) == len ? sim_node_add(rt->s, name, program, config, cluster, &id) : SIM_EINVAL;
        if (rc == SIM_EEXIST) luaL_argerror(L, 1, lua_pushfstring(L, "node '%s' already exists", name));
        if (rc) luaL_argerror(L, 1, lua_pushfstring(L, "bad node name '%s' (1 to 63 of A-Z a-z 0-9 _ . : -)",
                                                    name ? name : "?"));
        if (client) mark_client(rt, id);
        lua_pop(L, 1);
        lrt_push_node(L, id);
        lua_rawseti(L, -2, i);
    }
}

static int l_cluster(lua_State *L)
{
    lrt_scenario_only(L, "cluster");
    lrt *rt = lrt_of(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    int has_program = lua_getfield(L, 1, "program") != LUA_TNIL;
    int has_system = lua_getfield(L, 1, "system") != LUA_TNIL;
    if (has_program == has_system) luaL_argerror(L, 1, "give either 'program' (a Lua table) or 'system' (a name)");
    lua_getfield(L, 1, "client");
    bool client = lua_toboolean(L, -1);
    lua_pop(L, 1);
    uint32_t cluster = cluster_id(L, rt);
    const sim_program *program = &lnode_program;
    void *config;
    if (has_program) {
        lrt_check_fields(L, 1, reserved, "cluster");
        luaL_argcheck(L, lua_istable(L, 2), 1, "field 'program': a table of handlers expected");
        check_program(L, 2);
        int options = lua_getfield(L, 1, "options") != LUA_TNIL ? lua_gettop(L) : 0;
        luaL_argcheck(L, !options || lua_istable(L, options), 1, "field 'options': a table expected");
        config = lnode_config_new(rt, 2, options, cluster);
    } else {
        luaL_argcheck(L, lua_type(L, 3) == LUA_TSTRING, 1, "field 'system': a system name expected");
        lua_pushvalue(L, 3);
        const sim_system *sys;
        config = configure_system(L, &sys);
        program = sys->program;
    }
    push_names(L, rt);
    add_nodes(L, rt, program, config, cluster, client);
    return 1;
}

static int l_node(lua_State *L)
{
    lrt_scenario_only(L, "node");
    lrt_push_node(L, lrt_check_node(L, 1));
    return 1;
}

static int l_nodes(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lrt_scenario_only(L, "nodes");
    lua_createtable(L, (int)sim_node_count(rt->s), 0);
    for (sim_node_id id = 0; id < sim_node_count(rt->s); id++) {
        lrt_push_node(L, id);
        lua_rawseti(L, -2, (lua_Integer)id + 1);
    }
    return 1;
}

int luaopen_dsim_cluster(lua_State *L)
{
    luaL_newmetatable(L, LNODE_HANDLE_MT);
    static const luaL_Reg meta[] = {
        { "__index", handle_index }, { "__newindex", handle_newindex }, { "__tostring", handle_tostring },
        { "__eq", handle_eq }, { NULL, NULL },
    };
    luaL_setfuncs(L, meta, 0);
    lua_pushliteral(L, LNODE_HANDLE_MT);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    static const luaL_Reg fns[] = { { "cluster", l_cluster }, { "node", l_node }, { "nodes", l_nodes }, { NULL, NULL } };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
