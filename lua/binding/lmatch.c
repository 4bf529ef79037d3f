/*
 * Lua's string patterns, matched here with a step count: string.find, match,
 * gmatch and gsub as in Lua 5.4 (same syntax, results and error messages), but
 * every step of the backtracking matcher is charged to the running call's
 * instruction budget (one instruction per LRT_PATTERN_STEPS steps), so a
 * pattern that backtracks without end ("a?a?a?...aaa", ".-x.-y" on a long
 * line, or a cheap find repeated a million times) ends as "instruction budget
 * exceeded" at the same point in every process. This replaces a CPU-time
 * watchdog, whose verdict could differ between two runs of the same seed.
 *
 * Written from the reference manual's description of patterns (section 6.4.1);
 * tests/check_hostile.c compares it with the Lua library's own matcher on
 * thousands of generated patterns and subjects.
 */
#include <ctype.h>
#include <string.h>

#include "lua/binding/lrt.h"

#define LRT_PATTERN_STEPS 4           /* matcher steps per instruction charged */
#define CHARGE_EVERY 4096             /* steps between charges */
#define MAX_CAPTURES 32
#define MAX_DEPTH 200                 /* nested match calls */
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

typedef struct mstate {
    const char *src_init, *src_end, *p_end;
    lua_State *L;
    int level, depth;
    int64_t steps;
    struct { const char *init; ptrdiff_t len; } cap[MAX_CAPTURES];
} mstate;

static void step(mstate *ms)
{
    if (++ms->steps % CHARGE_EVERY == 0) lrt_charge(ms->L, CHARGE_EVERY / LRT_PATTERN_STEPS);
}

static const char *match(mstate *ms, const char *s, const char *p);

static const char *class_end(mstate *ms, const char *p)
{
    if (*p++ == ESC) {
        if (p >= ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (p[-1] == '[') {
        if (p < ms->p_end && *p == '^') p++;
        do {
            if (p >= ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*(p++) == ESC && p < ms->p_end) p++;
        } while (p >= ms->p_end || *p != ']');
        return p + 1;
    }
    return p;
}

static bool class_match(int c, int cl)
{
    bool r;
    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    default: return cl == c;
    }
    return isupper(cl) ? !r : r;
}

/* [set] from p ('[') to ec (its ']'). */
static bool set_match(int c, const char *p, const char *ec)
{
    bool yes = true;
    if (p[1] == '^') {
        yes = false;
        p++;
    }
    while (++p < ec) {
        if (*p == ESC) {
            p++;
            if (class_match(c, (unsigned char)*p)) return yes;
        } else if (p[1] == '-' && p + 2 < ec) {
            p += 2;
            if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p) return yes;
        } else if ((unsigned char)*p == c) {
            return yes;
        }
    }
    return !yes;
}

static bool single(mstate *ms, const char *s, const char *p, const char *ep)
{
    step(ms);
    if (s >= ms->src_end) return false;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return true;
    case ESC: return class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *balance(mstate *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->p_end) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p) return NULL;
    int open = *p, close = p[1], depth = 1;
    while (++s < ms->src_end) {
        step(ms);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

static const char *max_expand(mstate *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single(ms, s + i, p, ep)) i++;
    for (; i >= 0; i--) {
        const char *r = match(ms, s + i, ep + 1);
        if (r) return r;
    }
    return NULL;
}

static const char *min_expand(mstate *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = match(ms, s, ep + 1);
        if (r) return r;
        if (!single(ms, s, p, ep)) return NULL;
        s++;
    }
}

static const char *open_capture(mstate *ms, const char *s, const char *p, ptrdiff_t what)
{
    if (ms->level >= MAX_CAPTURES) luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    const char *r = match(ms, s, p);
    if (!r) ms->level--;
    return r;
}

static const char *close_capture(mstate *ms, const char *s, const char *p)
{
    int l = ms->level - 1;
    while (l >= 0 && ms->cap[l].len != CAP_UNFINISHED) l--;
    if (l < 0) luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = match(ms, s, p);
    if (!r) ms->cap[l].len = CAP_UNFINISHED;
    return r;
}

static int capture_index(mstate *ms, int c)
{
    int l = c - '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    return l;
}

static const char *back_reference(mstate *ms, const char *s, int c)
{
    int l = capture_index(ms, c);
    size_t len = (size_t)ms->cap[l].len;
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[l].init, s, len) == 0) return s + len;
    return NULL;
}

/* A single item with its optional quantifier (p: the item, ep: after it). */
static const char *match_item(mstate *ms, const char *s, const char *p, const char **next)
{
    const char *ep = class_end(ms, p);
    int q = ep < ms->p_end ? *ep : 0;
    *next = NULL;
    if (!single(ms, s, p, ep)) {
        if (q == '*' || q == '?' || q == '-') *next = ep + 1;
        return q == '*' || q == '?' || q == '-' ? s : NULL;
    }
    const char *r;
    switch (q) {
    case '?':
        if ((r = match(ms, s + 1, ep + 1)) != NULL) return r;
        *next = ep + 1;
        return s;
    case '+': return max_expand(ms, s + 1, p, ep);
    case '*': return max_expand(ms, s, p, ep);
    case '-': return min_expand(ms, s, p, ep);
    default: *next = ep; return s + 1;
    }
}

static const char *match(mstate *ms, const char *s, const char *p)
{
    if (ms->depth-- == 0) luaL_error(ms->L, "pattern too complex");
    step(ms);
    while (s && p < ms->p_end) {
        const char *next = NULL;
        if (*p == '(') {
            s = p + 1 < ms->p_end && p[1] == ')' ? open_capture(ms, s, p + 2, CAP_POSITION)
                                                  : open_capture(ms, s, p + 1, CAP_UNFINISHED);
        } else if (*p == ')') {
            s = close_capture(ms, s, p + 1);
        } else if (*p == '$' && p + 1 == ms->p_end) {
            s = s == ms->src_end ? s : NULL;
        } else if (*p == ESC && p + 1 < ms->p_end && p[1] == 'b') {
            if ((s = balance(ms, s, p + 2)) != NULL) next = p + 4;
        } else if (*p == ESC && p + 1 < ms->p_end && p[1] == 'f') {
            p += 2;
            if (p >= ms->p_end || *p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            const char *ep = class_end(ms, p);
            int prev = s == ms->src_init ? 0 : (unsigned char)s[-1];
            int cur = s < ms->src_end ? (unsigned char)*s : 0;
            if (!set_match(prev, p, ep - 1) && set_match(cur, p, ep - 1)) next = ep;
            else s = NULL;
        } else if (*p == ESC && p + 1 < ms->p_end && isdigit((unsigned char)p[1])) {
            if ((s = back_reference(ms, s, (unsigned char)p[1])) != NULL) next = p + 2;
        } else {
            s = match_item(ms, s, p, &next);
        }
        if (!next) break;
        p = next;
    }
    ms->depth++;
    return s;
}

/* ---- captures and the library functions ---- */

static void prepare(mstate *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->src_init = s;
    ms->src_end = s + ls;
    ms->p_end = p + lp;
    ms->steps = 0;
}

static void reset(mstate *ms)
{
    ms->level = 0;
    ms->depth = MAX_DEPTH;
}

/* Capture i (or the whole match s..e when there are none); its length, or
 * CAP_POSITION with the position pushed. */
static ptrdiff_t get_capture(mstate *ms, int i, const char *s, const char *e, const char **out)
{
    if (i >= ms->level) {
        if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        *out = s;
        return e - s;
    }
    ptrdiff_t len = ms->cap[i].len;
    *out = ms->cap[i].init;
    if (len == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
    if (len == CAP_POSITION) lua_pushinteger(ms->L, (ms->cap[i].init - ms->src_init) + 1);
    return len;
}

static void push_capture(mstate *ms, int i, const char *s, const char *e)
{
    const char *c;
    ptrdiff_t len = get_capture(ms, i, s, e, &c);
    if (len != CAP_POSITION) lua_pushlstring(ms->L, c, (size_t)len);
}

static int push_captures(mstate *ms, const char *s, const char *e)
{
    int n = ms->level == 0 && s ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(ms, i, s, e);
    return n;
}

static size_t start_index(lua_Integer pos, size_t len)
{
    if (pos > 0) return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static bool no_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] && strchr(SPECIALS, p[i])) return false;
    return true;
}

static const char *mem_find(const char *s, size_t ls, const char *p, size_t lp)
{
    if (lp == 0) return s;
    for (size_t i = 0; lp <= ls && i <= ls - lp; i++)
        if (s[i] == p[0] && memcmp(s + i, p, lp) == 0) return s + i;
    return NULL;
}

static int find_aux(lua_State *L, bool find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        lrt_charge(L, (int64_t)((ls - init) / (LRT_PATTERN_STEPS * 4)));
        const char *at = mem_find(s + init, ls - init, p, lp);
        if (!at) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (at - s) + 1);
        lua_pushinteger(L, (lua_Integer)((at - s) + (ptrdiff_t)lp));
        return 2;
    }
    mstate ms;
    const char *s1 = s + init;
    bool anchor = lp > 0 && *p == '^';
    if (anchor) p++, lp--;
    prepare(&ms, L, s, ls, p, lp);
    do {
        reset(&ms);
        const char *e = match(&ms, s1, p);
        if (e) {
            if (!find) return push_captures(&ms, s1, e);
            lua_pushinteger(L, (s1 - s) + 1);
            lua_pushinteger(L, e - s);
            return push_captures(&ms, NULL, NULL) + 2;
        }
    } while (s1++ < ms.src_end && !anchor);
    luaL_pushfail(L);
    return 1;
}

static int l_find(lua_State *L) { return find_aux(L, true); }
static int l_match(lua_State *L) { return find_aux(L, false); }

typedef struct gmatch_state {
    const char *src, *p, *last;
    mstate ms;
} gmatch_state;

static int gmatch_next(lua_State *L)
{
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    g->ms.L = L;
    for (const char *src = g->src; src <= g->ms.src_end; src++) {
        reset(&g->ms);
        const char *e = match(&g->ms, src, g->p);
        if (e && e != g->last) {
            g->src = g->last = e;
            return push_captures(&g->ms, src, e);
        }
    }
    return 0;
}

static int l_gmatch(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls), *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) init = ls + 1;
    lua_settop(L, 2);
    gmatch_state *g = lua_newuserdatauv(L, sizeof(*g), 0);
    prepare(&g->ms, L, s, ls, p, lp);
    g->src = s + init;
    g->p = p;
    g->last = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

static void add_replacement(mstate *ms, luaL_Buffer *b, const char *s, const char *e)
{
    size_t l;
    lua_State *L = ms->L;
    const char *r = lua_tolstring(L, 3, &l), *end = r + l, *p;
    while ((p = memchr(r, ESC, (size_t)(end - r))) != NULL) {
        luaL_addlstring(b, r, (size_t)(p - r));
        p++;
        int c = p < end ? (unsigned char)*p : 0;
        if (c == ESC) {
            luaL_addchar(b, ESC);
        } else if (c == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit(c)) {
            const char *cap;
            ptrdiff_t len = get_capture(ms, c - '1', s, e, &cap);
            if (len == CAP_POSITION) luaL_addvalue(b);
            else luaL_addlstring(b, cap, (size_t)len);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESC);
        }
        r = p + 1;
    }
    luaL_addlstring(b, r, (size_t)(end - r));
}

/* Appends the replacement of s..e; false when it kept the original text. */
static bool add_value(mstate *ms, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = ms->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_replacement(ms, b, s, e);
        return true;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return false;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return true;
}

static int l_gsub(lua_State *L)
{
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl), *p = luaL_checklstring(L, 2, &lp);
    const char *last = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1), n = 0;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    bool anchor = lp > 0 && *p == '^', changed = false;
    if (anchor) p++, lp--;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    mstate ms;
    prepare(&ms, L, src, srcl, p, lp);
    while (n < max_s) {
        reset(&ms);
        const char *e = match(&ms, src, p);
        if (e && e != last) {
            n++;
            changed = add_value(&ms, &b, src, e, tr) || changed;
            src = last = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void lrt_open_patterns(lua_State *L)
{
    static const luaL_Reg fns[] = { { "find", l_find }, { "match", l_match }, { "gmatch", l_gmatch },
                                    { "gsub", l_gsub }, { NULL, NULL } };
    lua_getglobal(L, LUA_STRLIBNAME);
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
}
