/*
 * Canonical JSON -> Lua values, for received messages, disks and the history
 * (the encoder and its rules are in lua/binding/lcodec.c). The inverse of the encoder,
 * except that null becomes nil, so a member whose value is null disappears
 * (Lua tables cannot hold nil). An object key that is a decimal integer ("42")
 * becomes an integer key again, so a table keyed by numbers survives the round
 * trip; an empty [] or {} (or one that held only nulls) comes back marked as
 * an array or an object, so it re-encodes the same way.
 *
 * The parser is a small recursive descent straight into Lua values (no cJSON
 * tree in between: this is the receive path of every Lua node). Nesting is
 * limited to 200 levels; anything malformed makes lrt_decode push nothing and
 * return false.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"

typedef struct dec {
    lua_State *L;
    lrt *rt;
    const char *p, *end;
    int depth;
} dec;

static void skip_ws(dec *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r')) d->p++;
}

static bool literal(dec *d, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0) return false;
    d->p += n;
    return true;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

static bool escape(dec *d, luaL_Buffer *b)
{
    char c = *d->p++;
    const char *plain = strchr("\"\\/bfnrt", c);
    if (c && plain) {
        static const char out[] = "\"\\/\b\f\n\r\t";
        luaL_addchar(b, out[plain - "\"\\/bfnrt"]);
        return true;
    }
    if (c != 'u' || d->end - d->p < 4) return false;
    int u = hex4(d->p);
    d->p += 4;
    if (u >= 0xD800 && u < 0xDC00 && d->end - d->p >= 6 && d->p[0] == '\\' && d->p[1] == 'u') {
        int lo = hex4(d->p + 2);
        if (lo >= 0xDC00 && lo < 0xE000) {
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            d->p += 6;
        }
    }
    if (u < 0) return false;
    char utf[8];
    int n = 0;
    if (u < 0x80) utf[n++] = (char)u;
    else if (u < 0x800) utf[n++] = (char)(0xC0 | (u >> 6)), utf[n++] = (char)(0x80 | (u & 0x3F));
    else if (u < 0x10000)
        utf[n++] = (char)(0xE0 | (u >> 12)), utf[n++] = (char)(0x80 | ((u >> 6) & 0x3F)), utf[n++] = (char)(0x80 | (u & 0x3F));
    else
        utf[n++] = (char)(0xF0 | (u >> 18)), utf[n++] = (char)(0x80 | ((u >> 12) & 0x3F)),
        utf[n++] = (char)(0x80 | ((u >> 6) & 0x3F)), utf[n++] = (char)(0x80 | (u & 0x3F));
    luaL_addlstring(b, utf, (size_t)n);
    return true;
}

static bool dec_string(dec *d)
{
    const char *start = ++d->p, *q = start;
    while (q < d->end && *q != '"' && *q != '\\') q++;
    if (q < d->end && *q == '"') {                 /* the common case: no escapes */
        lua_pushlstring(d->L, start, (size_t)(q - start));
        d->p = q + 1;
        return true;
    }
    luaL_Buffer b;
    luaL_buffinit(d->L, &b);
    while (d->p < d->end && *d->p != '"') {
        if (*d->p == '\\') {
            d->p++;
            if (d->p >= d->end || !escape(d, &b)) return false;
        } else {
            luaL_addchar(&b, *d->p++);
        }
    }
    if (d->p >= d->end) return false;
    d->p++;
    luaL_pushresult(&b);
    return true;
}

static bool dec_number(dec *d)
{
    char text[64];
    size_t n = 0;
    bool integral = true;
    while (d->p < d->end && strchr("+-0123456789.eE", *d->p) && *d->p) {
        if (*d->p == '.' || *d->p == 'e' || *d->p == 'E') integral = false;
        if (n + 1 >= sizeof(text)) return false;
        text[n++] = *d->p++;
    }
    text[n] = 0;
    char *endp;
    if (integral && n > 0 && n < 19) {
        long long v = strtoll(text, &endp, 10);
        if (*endp) return false;
        lua_pushinteger(d->L, (lua_Integer)v);
        return true;
    }
    double v = strtod(text, &endp);
    if (n == 0 || *endp) return false;
    lua_pushnumber(d->L, v);
    return true;
}

static bool dec_value(dec *d);

static void mark(dec *d, int ref)
{
    lua_rawgeti(d->L, LUA_REGISTRYINDEX, ref);
    lua_setmetatable(d->L, -2);
}

/* "42" -> 42 for decimal integer keys (canonical form only: no sign +, no 0 lead). */
static void int_key(lua_State *L)
{
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    size_t i = s[0] == '-';
    if (n == i || n - i > 18 || (s[i] == '0' && n - i > 1) || (i && s[i] == '0')) return;
    for (size_t j = i; j < n; j++)
        if (s[j] < '0' || s[j] > '9') return;
    lua_Integer v = (lua_Integer)strtoll(s, NULL, 10);
    lua_pop(L, 1);
    lua_pushinteger(L, v);
}

static bool dec_container(dec *d, bool object)
{
    lua_State *L = d->L;
    if (++d->depth > 200 || !lua_checkstack(L, 8)) return false;
    d->p++;
    lua_createtable(L, object ? 0 : 4, object ? 4 : 0);   /* most messages are small */
    lua_Integer i = 0;
    skip_ws(d);
    if (d->p < d->end && *d->p == (object ? '}' : ']')) {
        d->p++;
        mark(d, object ? d->rt->ref_object_mt : d->rt->ref_array_mt);
        d->depth--;
        return true;
    }
    for (;;) {
        skip_ws(d);
        if (object) {
            if (d->p >= d->end || *d->p != '"' || !dec_string(d)) return false;
            int_key(L);
            skip_ws(d);
            if (d->p >= d->end || *d->p++ != ':') return false;
        }
        if (!dec_value(d)) return false;
        if (object) lua_rawset(L, -3);
        else lua_rawseti(L, -2, ++i);
        skip_ws(d);
        if (d->p >= d->end) return false;
        char c = *d->p++;
        if (c == (object ? '}' : ']')) break;
        if (c != ',') return false;
    }
    lua_pushnil(L);
    if (lua_next(L, -2)) lua_pop(L, 2);           /* not empty */
    else mark(d, object ? d->rt->ref_object_mt : d->rt->ref_array_mt);   /* only nulls */
    d->depth--;
    return true;
}

static bool dec_value(dec *d)
{
    skip_ws(d);
    if (d->p >= d->end) return false;
    switch (*d->p) {
    case '{': return dec_container(d, true);
    case '[': return dec_container(d, false);
    case '"': return dec_string(d);
    case 't': return literal(d, "true") ? (lua_pushboolean(d->L, 1), true) : false;
    case 'f': return literal(d, "false") ? (lua_pushboolean(d->L, 0), true) : false;
    case 'n': return literal(d, "null") ? (lua_pushnil(d->L), true) : false;
    default: return dec_number(d);
    }
}

bool lrt_decode(lua_State *L, const char *text, size_t len)
{
    int top = lua_gettop(L);
    dec d = { L, lrt_of(L), text, text + len, 0 };
    if (dec_value(&d)) {
        skip_ws(&d);
        if (d.p == d.end) return true;
    }
    lua_settop(L, top);
    return false;
}
