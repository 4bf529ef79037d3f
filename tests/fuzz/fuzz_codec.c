/*
 * Fuzz target: the message codec (lua/binding/lcodec.c, ldecode.c). The first
 * byte picks the mode:
 *   even: the rest is JSON text; when it decodes, its encoding must decode to a
 *         value that encodes to the same bytes (the canonical form is a fixed
 *         point);
 *   odd:  the rest is a little program that builds a Lua value (tables nested
 *         deep, float, boolean and string keys, NaN, huge strings, functions)
 *         and encodes it: an error is fine, a crash or a leak is not.
 * Built by `make fuzz` with libFuzzer (FUZZ_MAIN); tests/check_fuzz.c runs
 * fuzz_codec() on every file of tests/fuzz/codec/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/binding/lrt.h"

int fuzz_codec(const uint8_t *data, size_t size);
void fuzz_codec_done(void);

static lrt *the_rt;
static sim *the_sim;

static lrt *runtime(void)
{
    if (the_rt) return the_rt;
    sim_options so = { 1, 4, 16 };
    the_sim = sim_create(&so);
    char err[256];
    the_rt = the_sim ? lrt_create(the_sim, NULL, "(fuzz)", err, sizeof(err)) : NULL;
    if (!the_rt) abort();
    the_rt->mem_cap = (size_t)64 << 20;
    return the_rt;
}

void fuzz_codec_done(void)
{
    lrt_destroy(the_rt);
    sim_destroy(the_sim);
    the_rt = NULL;
    the_sim = NULL;
}

static int round_trip(lua_State *L)
{
    size_t len;
    const char *text = lua_tolstring(L, 1, &len);
    lrt *rt = lrt_of(L);
    if (!lrt_decode(L, text, len)) return 0;
    lrt_encode(L, -1, &rt->buf);
    lua_pushlstring(L, rt->buf.data, rt->buf.len);
    size_t n1;
    const char *once = lua_tolstring(L, -1, &n1);
    if (!lrt_decode(L, once, n1)) abort();           /* our own output must decode */
    lrt_encode(L, -1, &rt->buf);
    if (rt->buf.len != n1 || memcmp(rt->buf.data, once, n1) != 0) abort();
    return 0;
}

/* Each byte: an operation on a stack of values, then the top is encoded. */
static int build(lua_State *L)
{
    size_t len;
    const uint8_t *p = (const uint8_t *)lua_tolstring(L, 1, &len);
    lua_settop(L, 1);
    for (size_t i = 0; i < len; i++) {
        luaL_checkstack(L, 4, "fuzz");
        int top = lua_gettop(L);
        switch (p[i] & 15) {
        case 0: lua_newtable(L); break;
        case 1: lua_pushinteger(L, (lua_Integer)(int8_t)p[i]); break;
        case 2: lua_pushnumber(L, (double)p[i] / 7.0); break;
        case 3: lua_pushboolean(L, p[i] & 16); break;
        case 4: lua_pushfstring(L, "k%d", p[i] >> 4); break;
        case 5: lua_pushnumber(L, p[i] & 16 ? 0.0 / 0.0 : 1.0 / 0.0); break;
        case 6: lua_pushcfunction(L, build); break;
        case 7: lua_pushnil(L); break;
        case 8:                                /* t[k] = v for (t, k, v) on top */
            if (top >= 4 && lua_istable(L, top - 2) && !lua_isnil(L, top - 1) && lua_tonumber(L, top - 1) == lua_tonumber(L, top - 1)) {
                lua_rawset(L, top - 2);
            }
            break;
        case 9:                                /* t[#t+1] = v */
            if (top >= 3 && lua_istable(L, top - 1)) lua_rawseti(L, top - 1, (lua_Integer)lua_rawlen(L, top - 1) + 1);
            break;
        case 10:                               /* nest the top (p[i] >> 4) * 8 levels deeper */
            for (int d = 0; d < (p[i] >> 4) * 8; d++) {
                lua_createtable(L, 1, 0);
                lua_insert(L, -2);
                lua_rawseti(L, -2, 1);
            }
            break;
        case 11: if (top > 2) lua_pop(L, 1); break;
        case 12: if (top > 1) lua_pushvalue(L, -1); break;
        case 13: lua_pushstring(L, "\x01\"\\\xff"); break;
        case 14: if (top > 1 && lua_istable(L, -1)) lua_pushvalue(L, -1), lua_rawseti(L, -2, 2); break;
        default: lua_pushinteger(L, (lua_Integer)1 << 60); break;
        }
    }
    lrt_encode(L, -1, &lrt_of(L)->buf);
    return 0;
}

int fuzz_codec(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    lrt *rt = runtime();
    lua_State *L = rt->L;
    lua_pushcfunction(L, data[0] & 1 ? build : round_trip);
    lua_pushlstring(L, (const char *)data + 1, size - 1);
    lrt_pcall(rt, 1, 0, LRT_CTX_SCENARIO, NULL, "fuzz");
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_codec(data, size); }
#endif
