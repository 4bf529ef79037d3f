/*
 * Determinism for Lua code: pairs and next visit keys in one fixed order,
 * table.sort is a stable merge sort, math.random draws from the node's or the
 * scenario's seeded stream, math.exp and math.log use sim/detmath.h.
 *
 * Why: Lua 5.4 seeds its string hash from the time and from addresses, so the
 * raw next() visits keys in a different order in every process; table.sort
 * picks pivots at random; math.random seeds itself from the time. Any of these
 * would change a run between two processes with the same seed.
 *
 * Key order: booleans (false, true), then numbers (ascending), then strings
 * (byte order, shorter first on a common prefix). Keys of other types (tables,
 * functions, userdata) have no order that does not depend on addresses, so
 * pairs/next over a table holding one raise an error that says so.
 *
 * Cost: pairs(t) sorts the keys once per loop, O(n log n), and allocates the
 * sorted array. next(t, k) keeps that array in a weak cache keyed by t, so a
 * whole traversal with next is O(n log n) too; next(t) alone (the emptiness
 * test) is one O(n) scan, and it drops the cached order, so a traversal begun
 * after keys were added sees them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"
#include "sim/detmath.h"

typedef struct key_ent {
    int rank;                  /* 0 boolean, 1 number, 2 string */
    bool is_int;
    lua_Integer i;
    lua_Number f;
    const char *s;
    size_t len;
    lua_Integer slot;          /* where the key sits in the keys table */
} key_ent;

static void read_key(lua_State *L, int idx, key_ent *e)
{
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: e->rank = 0; e->is_int = true; e->i = lua_toboolean(L, idx); break;
    case LUA_TNUMBER:
        e->rank = 1;
        e->is_int = lua_isinteger(L, idx);
        if (e->is_int) e->i = lua_tointeger(L, idx);
        else e->f = lua_tonumber(L, idx);
        break;
    case LUA_TSTRING: e->rank = 2; e->s = lua_tolstring(L, idx, &e->len); break;
    default:
        luaL_error(L, "pairs/next: a key of type %s has no deterministic order in dsim "
                      "(use string or number keys, or keep the objects in a list)", luaL_typename(L, idx));
    }
}

static int num_cmp(const key_ent *a, const key_ent *b)
{
    if (a->is_int && b->is_int) return (a->i > b->i) - (a->i < b->i);
    double x = a->is_int ? (double)a->i : a->f, y = b->is_int ? (double)b->i : b->f;
    if (x != y) return (x > y) - (x < y);
    return a->is_int - b->is_int;   /* never equal keys; only rounding ties land here */
}

static int ent_cmp(const void *pa, const void *pb)
{
    const key_ent *a = pa, *b = pb;
    if (a->rank != b->rank) return a->rank - b->rank;
    if (a->rank == 0) return (int)(a->i - b->i);
    if (a->rank == 1) return num_cmp(a, b);
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Pushes an array of the keys of the table at t, in key order; returns its length. */
lua_Integer lrt_push_sorted_keys(lua_State *L, int t)
{
    t = lua_absindex(L, t);
    lua_Integer n = 0;
    lua_newtable(L);                                  /* keys, in raw (hash) order */
    int keys = lua_gettop(L);
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);
        lua_rawseti(L, keys, ++n);
    }
    key_ent *ents = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof(key_ent), 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_rawgeti(L, keys, i + 1);
        read_key(L, -1, &ents[i]);                    /* strings stay alive in keys */
        ents[i].slot = i + 1;
        lua_pop(L, 1);
    }
    qsort(ents, (size_t)n, sizeof(key_ent), ent_cmp);
    lua_createtable(L, (int)n, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_rawgeti(L, keys, ents[i].slot);
        lua_rawseti(L, -2, i + 1);
    }
    lua_replace(L, keys);
    lua_pop(L, 1);                                    /* the entries */
    return n;
}

static int pairs_iter(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
    for (;;) {
        if (lua_rawgeti(L, lua_upvalueindex(1), ++i) == LUA_TNIL) return 0;
        lua_pushvalue(L, -1);
        if (lua_rawget(L, 1) != LUA_TNIL) {           /* skip keys removed meanwhile */
            lua_pushinteger(L, i);
            lua_replace(L, lua_upvalueindex(2));
            return 2;
        }
        lua_pop(L, 2);
    }
}

static int l_pairs(lua_State *L)
{
    luaL_checkany(L, 1);
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lrt_push_sorted_keys(L, 1);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, pairs_iter, 2);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* next(t): the smallest key with its value, by one scan. */
static int next_first(lua_State *L)
{
    key_ent best = { 0 }, cur;
    bool any = false;
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
        read_key(L, -2, &cur);
        if (!any || ent_cmp(&cur, &best) < 0) {
            best = cur;
            lua_pushvalue(L, -2);
            lua_replace(L, 3);                        /* keeps the best key (and its string) */
        }
        any = true;
    }
    if (!any) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 3);
    lua_rawget(L, 1);
    return 2;
}

static int l_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_isnil(L, 2)) {                            /* a new traversal: drop a stale order, or */
        lua_pushvalue(L, 1);                          /* keys added since would be skipped */
        lua_pushnil(L);
        lua_rawset(L, lua_upvalueindex(1));
        lua_pushnil(L);
        return next_first(L);
    }
    lua_pushvalue(L, 1);
    lua_rawget(L, lua_upvalueindex(1));               /* 3: cache[t] = { sorted, positions } */
    for (int attempt = 0;; attempt++) {
        if (lua_istable(L, 3)) {
            lua_rawgeti(L, 3, 2);
            lua_pushvalue(L, 2);
            if (lua_rawget(L, -2) == LUA_TNUMBER) break;
            lua_pop(L, 2);
        }
        if (attempt) return luaL_error(L, "invalid key to 'next'");
        lua_settop(L, 2);
        lua_createtable(L, 2, 0);
        lua_Integer n = lrt_push_sorted_keys(L, 1);
        lua_createtable(L, 0, (int)n);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -2, i);
            lua_pushinteger(L, i);
            lua_rawset(L, -3);
        }
        lua_rawseti(L, 3, 2);
        lua_rawseti(L, 3, 1);
        lua_pushvalue(L, 1);
        lua_pushvalue(L, 3);
        lua_rawset(L, lua_upvalueindex(1));
    }
    lua_Integer i = lua_tointeger(L, -1);
    lua_rawgeti(L, 3, 1);
    int sorted = lua_gettop(L);
    while (lua_rawgeti(L, sorted, ++i) != LUA_TNIL) {
        lua_pushvalue(L, -1);
        if (lua_rawget(L, 1) != LUA_TNIL) return 2;
        lua_pop(L, 2);
    }
    lua_pushnil(L);
    return 1;
}

/* ---- table.sort: stable bottom-up merge sort ---- */

static bool sort_less(lua_State *L, int a, int b, bool cmp)
{
    a = lua_absindex(L, a);
    b = lua_absindex(L, b);
    if (!cmp) return lua_compare(L, a, b, LUA_OPLT);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, a);
    lua_pushvalue(L, b);
    lua_call(L, 2, 1);
    bool r = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return r;
}

static void merge(lua_State *L, int src, int dst, lua_Integer lo, lua_Integer mid, lua_Integer hi, bool cmp)
{
    lua_Integer i = lo, j = mid, k = lo;
    while (i < mid && j < hi) {
        lua_rawgeti(L, src, i);
        lua_rawgeti(L, src, j);
        if (sort_less(L, -1, -2, cmp)) {              /* right strictly first: stable */
            lua_rawseti(L, dst, k++);
            lua_pop(L, 1);
            j++;
        } else {
            lua_pop(L, 1);
            lua_rawseti(L, dst, k++);
            i++;
        }
    }
    for (; i < mid; i++, k++) lua_rawgeti(L, src, i), lua_rawseti(L, dst, k);
    for (; j < hi; j++, k++) lua_rawgeti(L, src, j), lua_rawseti(L, dst, k);
}

static int l_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n < (1 << 30), 1, "array too big");
    bool cmp = !lua_isnoneornil(L, 2);
    if (cmp) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    if (n < 2) return 0;
    lua_createtable(L, (int)n, 0);
    lua_createtable(L, (int)n, 0);
    int src = 3, dst = 4;
    for (lua_Integer i = 1; i <= n; i++) lua_geti(L, 1, i), lua_rawseti(L, src, i);
    for (lua_Integer width = 1; width < n; width *= 2) {
        for (lua_Integer lo = 1; lo <= n; lo += 2 * width) {
            lua_Integer mid = lo + width < n + 1 ? lo + width : n + 1;
            lua_Integer hi = lo + 2 * width < n + 1 ? lo + 2 * width : n + 1;
            merge(L, src, dst, lo, mid, hi, cmp);
        }
        int t = src;
        src = dst;
        dst = t;
    }
    for (lua_Integer i = 1; i <= n; i++) lua_rawgeti(L, src, i), lua_seti(L, 1, i);
    return 0;
}

/* ---- math ---- */

int lrt_random(lua_State *L, sim_rng *r, int first)
{
    int n = lua_gettop(L) - first + 1;
    if (n <= 0) {
        lua_pushnumber(L, sim_rng_unit(r));
        return 1;
    }
    lua_Integer lo = 1, hi;
    if (n == 1) {
        hi = luaL_checkinteger(L, first);
        if (hi == 0) {
            lua_pushinteger(L, (lua_Integer)sim_rng_next(r));
            return 1;
        }
    } else if (n == 2) {
        lo = luaL_checkinteger(L, first);
        hi = luaL_checkinteger(L, first + 1);
    } else {
        return luaL_error(L, "wrong number of arguments to 'random'");
    }
    luaL_argcheck(L, lo <= hi, first + n - 1, "interval is empty");
    lua_pushinteger(L, sim_rng_range(r, lo, hi));
    return 1;
}

static int l_random(lua_State *L)
{
    lrt *rt = lrt_of(L);
    sim_rng *r = rt->ctx == LRT_CTX_NODE && rt->node ? sim_self_rng(rt->node)
                                                     : sim_stream(rt->s, SIM_STREAM_SCENARIO);
    return lrt_random(L, r, 1);
}

static int l_randomseed(lua_State *L) { return 0; }   /* streams are seeded by --seed */

static int l_exp(lua_State *L)
{
    lua_pushnumber(L, sim_det_exp(luaL_checknumber(L, 1)));
    return 1;
}

/* log(x, 2) of a power of two is exact, as with libm's log2. */
static int l_log(lua_State *L)
{
    double x = luaL_checknumber(L, 1);
    if (lua_isnoneornil(L, 2)) {
        lua_pushnumber(L, sim_det_log(x));
        return 1;
    }
    double base = luaL_checknumber(L, 2);
    int e;
    if (base == 2.0 && x > 0 && frexp(x, &e) == 0.5) lua_pushnumber(L, (double)(e - 1));
    else lua_pushnumber(L, sim_det_log(x) / sim_det_log(base));
    return 1;
}

void lrt_open_det(lua_State *L)
{
    lua_pushcfunction(L, l_pairs);
    lua_setglobal(L, "pairs");
    lua_newtable(L);                                  /* next's cache, weak in its keys */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushcclosure(L, l_next, 1);
    lua_setglobal(L, "next");
    lua_getglobal(L, LUA_TABLIBNAME);
    lua_pushcfunction(L, l_sort);
    lua_setfield(L, -2, "sort");
    lua_getglobal(L, LUA_MATHLIBNAME);
    static const luaL_Reg math[] = {
        { "random", l_random }, { "randomseed", l_randomseed }, { "exp", l_exp }, { "log", l_log },
        { NULL, NULL },
    };
    luaL_setfuncs(L, math, 0);
    lua_pop(L, 2);
}
