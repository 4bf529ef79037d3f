/*
 * Lua values as canonical JSON (the encoding of sim/msg.h), so that Lua and C
 * nodes exchange the same bytes and the trace shows every field.
 *
 * Lua -> JSON (byte for byte what sim_json_encode prints for the same value):
 *   nil -> null; booleans; integers |v| < 2^53 and integral floats in that range
 *   print as integers, other numbers with %.17g (NaN and infinities are errors);
 *   strings with '"', '\\' and control bytes escaped (\u00XX), other bytes raw;
 *   a table whose keys are exactly 1..n (n >= 1) is an array, a table whose
 *   keys are strings or integers is an object with keys in byte order (integer
 *   keys become their decimal text). An empty table is an array ([]) unless
 *   marked with dsim.object(); dsim.array(t) forces an array of t[1..#t].
 *   Other key types, functions, userdata, threads and cycles are errors that
 *   name the field.
 *   The error names the field: "field .peers[2]: cannot encode a function ...".
 *   An encoding longer than dsim.limits{ message } (default 4 MiB) is an error:
 *   message bodies live outside the Lua heap, so their size is capped here.
 * The encoder never calls user code (no __tostring, no __index: raw access
 * only), so it cannot be re-entered, and it writes into the run's scratch
 * buffer (rt->buf), so an error leaks nothing.
 * JSON -> Lua: the inverse, in lua/binding/ldecode.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"

#define MAX_DEPTH 100
#define SMALL_OBJECT 32

typedef struct enc {
    lua_State *L;
    lrt *rt;
    lrt_buf *b;
    int depth;
    struct { const char *key; size_t len; lua_Integer index; } at[MAX_DEPTH + 1];   /* the field being written */
} enc;

/* Raises "field .a[2].b: <what>" (just <what> at the top level). */
static void fail(enc *e, const char *what)
{
    luaL_Buffer b;
    lua_State *L = e->L;
    if (!lua_checkstack(L, 6)) luaL_error(L, "%s", what);
    while (e->depth > 0 && !e->at[e->depth].key && e->at[e->depth].index <= 0) e->depth--;
    luaL_buffinit(e->L, &b);
    if (e->depth > 0) luaL_addstring(&b, "field ");
    for (int i = 1; i <= e->depth && i <= MAX_DEPTH; i++) {
        if (i == 9 && e->depth > 12) {       /* a long path: its start and its end */
            luaL_addstring(&b, "...");
            i = e->depth - 3;
        }
        if (e->at[i].key) {
            luaL_addchar(&b, '.');
            luaL_addlstring(&b, e->at[i].key, e->at[i].len < 40 ? e->at[i].len : 40);
        } else if (e->at[i].index > 0) {
            lua_pushfstring(e->L, "[%I]", e->at[i].index);
            luaL_addvalue(&b);
        }
    }
    if (e->depth > 0) luaL_addstring(&b, ": ");
    luaL_addstring(&b, what);
    luaL_pushresult(&b);
    lua_error(e->L);
}

static void put(enc *e, const char *s, size_t n)
{
    lrt_buf *b = e->b;
    if (b->len + n > e->rt->msg_max) {
        fail(e, lua_pushfstring(e->L, "message too large: its encoding passes %s (dsim.limits{ message = ... })",
                                lrt_bytes_text(e->L, e->rt->msg_max)));
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) luaL_error(e->L, "out of memory encoding a message");
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void put_string(enc *e, const char *s, size_t len)
{
    put(e, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(e, s + run, i - run);
        char esc[8];
        if (c == '"' || c == '\\') snprintf(esc, sizeof(esc), "\\%c", c);
        else snprintf(esc, sizeof(esc), "\\u%04x", c);
        put(e, esc, strlen(esc));
        run = i + 1;
    }
    put(e, s + run, len - run);
    put(e, "\"", 1);
}

static void put_number(enc *e, int idx)
{
    char text[40];
    if (lua_isinteger(e->L, idx)) {
        lua_Integer v = lua_tointeger(e->L, idx);
        if (v > -9007199254740992LL && v < 9007199254740992LL) snprintf(text, sizeof(text), "%lld", (long long)v);
        else snprintf(text, sizeof(text), "%.17g", (double)v);
    } else {
        double d = lua_tonumber(e->L, idx);
        if (!isfinite(d)) fail(e, d != d ? "cannot encode NaN in a message" : "cannot encode infinity in a message");
        if (d == floor(d) && fabs(d) < 9007199254740992.0) snprintf(text, sizeof(text), "%lld", (long long)d);
        else snprintf(text, sizeof(text), "%.17g", d);
    }
    put(e, text, strlen(text));
}

static void put_value(enc *e, int idx);

typedef struct key_ent {
    const char *text;          /* a string key (NULL for an integer key) */
    size_t len;
    int slot;                  /* stack index of the key */
    char num[24];              /* the text of an integer key */
} key_ent;

static const char *key_text(const key_ent *k) { return k->text ? k->text : k->num; }

static int key_cmp(const void *pa, const void *pb)
{
    const key_ent *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(key_text(a), key_text(b), n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void read_key(enc *e, int slot, key_ent *k)
{
    lua_State *L = e->L;
    k->slot = slot;
    if (lua_type(L, slot) == LUA_TSTRING) {
        k->text = lua_tolstring(L, slot, &k->len);
    } else if (lua_isinteger(L, slot)) {
        k->text = NULL;
        snprintf(k->num, sizeof(k->num), "%lld", (long long)lua_tointeger(L, slot));
        k->len = strlen(k->num);
    } else {
        /* Described without calling anything of the key's (no __tostring): the
         * encoder runs no user code, so it cannot be re-entered. */
        const char *what = lua_type(L, slot) == LUA_TNUMBER ? lua_pushfstring(L, "%f", lua_tonumber(L, slot))
                           : lua_type(L, slot) == LUA_TBOOLEAN ? (lua_toboolean(L, slot) ? "true" : "false")
                                                               : luaL_typename(L, slot);
        fail(e, lua_pushfstring(L, "cannot encode a table with a %s key (%s) in a message: keys must be "
                                   "strings or integers", luaL_typename(L, slot), what));
    }
}

/* Keys sorted in byte order; each kept on the stack while its value is written. */
static void put_object(enc *e, int t, int n)
{
    lua_State *L = e->L;
    int top = lua_gettop(L);
    key_ent small[SMALL_OBJECT];
    key_ent *keys = n <= SMALL_OBJECT ? small : lua_newuserdatauv(L, (size_t)n * sizeof(key_ent), 0);
    if (!lua_checkstack(L, n + 8)) luaL_error(L, "message too large to encode");
    int base = lua_gettop(L), i = 0;
    for (lua_pushnil(L); i < n && lua_next(L, t);) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);             /* the lower copy stays as the key's slot */
        read_key(e, base + i + 1, &keys[i]);
        i++;
    }
    if (i > 8) {
        qsort(keys, (size_t)i, sizeof(key_ent), key_cmp);
    } else {                                  /* insertion sort: most messages have few keys */
        for (int a = 1; a < i; a++)
            for (int b = a; b > 0 && key_cmp(&keys[b - 1], &keys[b]) > 0; b--) {
                key_ent tmp = keys[b];
                keys[b] = keys[b - 1];
                keys[b - 1] = tmp;
            }
    }
    put(e, "{", 1);
    for (int j = 0; j < i; j++) {
        if (j && key_cmp(&keys[j - 1], &keys[j]) == 0)
            fail(e, lua_pushfstring(L, "cannot encode a table with both %s and \"%s\" as keys in a message",
                                    key_text(&keys[j]), key_text(&keys[j])));
        if (j) put(e, ",", 1);
        put_string(e, key_text(&keys[j]), keys[j].len);
        e->at[e->depth].key = key_text(&keys[j]);
        e->at[e->depth].len = keys[j].len;
        put(e, ":", 1);
        lua_pushvalue(L, keys[j].slot);
        lua_rawget(L, t);
        put_value(e, lua_gettop(L));
        lua_pop(L, 1);
    }
    put(e, "}", 1);
    lua_settop(L, top);
}

/* 1 array, 0 object, by the marker or the keys; *n receives the key count. */
static int array_or_object(enc *e, int t, int *n)
{
    lua_State *L = e->L;
    int marker = -1;
    if (lua_getmetatable(L, t)) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, e->rt->ref_array_mt);
        if (lua_rawequal(L, -1, -2)) marker = 1;
        lua_pop(L, 1);
        lua_rawgeti(L, LUA_REGISTRYINDEX, e->rt->ref_object_mt);
        if (lua_rawequal(L, -1, -2)) marker = 0;
        lua_pop(L, 2);
    }
    lua_Integer count = 0;
    bool seq = true;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        count++;
        if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1) seq = false;
    }
    if (count > (1 << 24)) luaL_error(L, "message too large to encode");
    *n = (int)count;
    if (marker >= 0) return marker;
    /* integer keys >= 1, as many as the length: exactly 1..n */
    return seq && (count == 0 || (lua_Integer)lua_rawlen(L, t) == count);
}

static void put_table(enc *e, int t)
{
    lua_State *L = e->L;
    if (e->depth + 1 > MAX_DEPTH) fail(e, "cannot encode a message nested deeper than 100 levels (a cycle?)");
    if (!lua_checkstack(L, 8)) luaL_error(L, "message nested too deep to encode");
    e->depth++;
    e->at[e->depth].key = NULL;           /* no field of this table yet: an error names the table */
    e->at[e->depth].index = 0;
    int n;
    if (array_or_object(e, t, &n)) {
        lua_Integer len = (lua_Integer)lua_rawlen(L, t);
        put(e, "[", 1);
        for (lua_Integer i = 1; i <= len; i++) {
            if (i > 1) put(e, ",", 1);
            e->at[e->depth].key = NULL;
            e->at[e->depth].index = i;
            lua_rawgeti(L, t, i);
            put_value(e, lua_gettop(L));
            lua_pop(L, 1);
        }
        put(e, "]", 1);
    } else {
        put_object(e, t, n);
    }
    e->depth--;
}

static void put_value(enc *e, int idx)
{
    lua_State *L = e->L;
    size_t len;
    const char *s;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: put(e, "null", 4); break;
    case LUA_TBOOLEAN: lua_toboolean(L, idx) ? put(e, "true", 4) : put(e, "false", 5); break;
    case LUA_TNUMBER: put_number(e, idx); break;
    case LUA_TSTRING: s = lua_tolstring(L, idx, &len); put_string(e, s, len); break;
    case LUA_TTABLE: put_table(e, idx); break;
    default:
        fail(e, lua_pushfstring(L, "cannot encode a %s in a message (only nil, booleans, numbers, strings and "
                                   "tables)", luaL_typename(L, idx)));
    }
}

void lrt_encode(lua_State *L, int idx, lrt_buf *b)
{
    enc e;
    e.L = L;
    e.rt = lrt_of(L);
    e.b = b;
    e.depth = 0;
    b->len = 0;
    put(&e, "", 0);
    put_value(&e, lua_absindex(L, idx));
    lrt_charge(L, (int64_t)(b->len / LRT_BYTES_PER_INSTRUCTION));   /* the copying no hook sees */
}

/* ---- dsim.encode, dsim.decode, dsim.array, dsim.object ---- */

static int l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    lrt *rt = lrt_of(L);
    lrt_encode(L, 1, &rt->buf);     /* the run's scratch: nothing to free when it raises */
    lua_pushlstring(L, rt->buf.data, rt->buf.len);
    return 1;
}

static int l_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    if (lrt_decode(L, text, len)) return 1;
    return luaL_argerror(L, 1, "not valid JSON");
}

static int set_marker(lua_State *L, int ref)
{
    if (lua_isnoneornil(L, 1)) lua_newtable(L);
    else luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_setmetatable(L, 1);
    return 1;
}

static int l_array(lua_State *L) { return set_marker(L, lrt_of(L)->ref_array_mt); }
static int l_object(lua_State *L) { return set_marker(L, lrt_of(L)->ref_object_mt); }

int luaopen_dsim_codec(lua_State *L)
{
    lrt *rt = lrt_of(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "dsim.array");
    lua_setfield(L, -2, "__name");
    rt->ref_array_mt = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "dsim.object");
    lua_setfield(L, -2, "__name");
    rt->ref_object_mt = luaL_ref(L, LUA_REGISTRYINDEX);
    static const luaL_Reg fns[] = {
        { "encode", l_encode }, { "decode", l_decode }, { "array", l_array }, { "object", l_object },
        { NULL, NULL },
    };
    luaL_setfuncs(L, fns, 0);
    return 1;
}
