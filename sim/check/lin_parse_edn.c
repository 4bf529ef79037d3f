/*
 * Jepsen histories as EDN maps, one a line (Porcupine's kv test data, and
 * Jepsen's history.edn for single-value workloads):
 *
 *   {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
 *   {:process 9, :type :ok, :f :get, :key "0", :value "x 9 0 y"}
 *
 * Fields in any order, commas are whitespace, other fields (:time, :index) are
 * ignored, a line starting with ';' is a comment. :f is get|put|append (kv) or
 * read|write|cas (register; cas :value is [from to]); :key is optional (no key:
 * one register); values are nil, integers or strings. Pairing, outcomes and time
 * (the line number serves as the clock) are as in the etcd logs. A small hand-written reader, O(length of the line), no EDN library.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"

typedef struct edn {
    const char *p, *end;
    char *buf;                 /* decoded strings, sized to the line */
    size_t used;
} edn;

typedef struct field {         /* one parsed value */
    enum { F_NONE, F_NIL, F_INT, F_STR, F_KW, F_VEC } kind;
    const char *s;             /* text (F_STR: decoded; F_KW: without ':') */
    size_t len;
    struct field *items;       /* F_VEC: two scalars */
} field;

static void skip(edn *e)
{
    while (e->p < e->end && (*e->p == ' ' || *e->p == ',' || *e->p == '\t' || *e->p == '\r')) e->p++;
}

static bool is_delim(char c)
{
    return c == ' ' || c == ',' || c == '\t' || c == '\r' || c == '}' || c == ']';
}

static int read_string(edn *e, field *f)
{
    char *out = e->buf + e->used;
    size_t n = 0;
    for (e->p++; e->p < e->end && *e->p != '"'; e->p++) {
        char c = *e->p;
        if (c == '\\' && e->p + 1 < e->end) {
            c = *++e->p;
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
        out[n++] = c;
    }
    if (e->p == e->end) return -1;
    e->p++;
    out[n] = 0;
    e->used += n + 1;
    *f = (field){ .kind = F_STR, .s = out, .len = n };
    return 0;
}

static int read_atom(edn *e, field *f)
{
    const char *s = e->p;
    while (e->p < e->end && !is_delim(*e->p)) e->p++;
    size_t len = (size_t)(e->p - s);
    if (len == 0) return -1;
    if (s[0] == ':') *f = (field){ .kind = F_KW, .s = s + 1, .len = len - 1 };
    else if (len == 3 && memcmp(s, "nil", 3) == 0) *f = (field){ .kind = F_NIL };
    else *f = (field){ .kind = F_INT, .s = s, .len = len };
    return 0;
}

static int read_value(edn *e, field *f, field items[2])
{
    skip(e);
    if (e->p == e->end) return -1;
    if (*e->p == '"') return read_string(e, f);
    if (*e->p != '[') return read_atom(e, f);
    if (!items) return -1;                              /* a vector where none may be */
    e->p++;
    int n = 0;
    for (skip(e); e->p < e->end && *e->p != ']'; skip(e)) {
        if (n == 2 || read_value(e, &items[n], NULL) != 0 || items[n].kind == F_VEC) return -1;
        n++;
    }
    if (e->p == e->end || n != 2) return -1;
    e->p++;
    *f = (field){ .kind = F_VEC, .items = items };
    return 0;
}

static bool kw(const field *f, const char *word)
{
    return f->kind == F_KW && f->len == strlen(word) && memcmp(f->s, word, f->len) == 0;
}

/* A scalar field into the pool: nil, integer or string. */
static uint32_t value_of(lin_history *h, const field *f)
{
    if (f->kind == F_NIL || f->kind == F_NONE) return LIN_NIL;
    if (f->kind == F_STR) return lin_pool_intern(&h->pool, LIN_V_STR, f->s, f->len);
    if (f->kind != F_INT || f->len >= 32) return UINT32_MAX;
    char buf[32], *end;
    memcpy(buf, f->s, f->len);
    buf[f->len] = 0;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end || errno || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9'))) return UINT32_MAX;
    return lin_pool_int(&h->pool, v);
}

typedef struct map {
    field process, type, f, key, value;
    field items[2];
} map;

static int read_map(lin_history *h, edn *e, map *m, uint32_t line)
{
    memset(m, 0, sizeof(*m));
    skip(e);
    if (e->p == e->end || *e->p != '{') return lin_fail(h, line, "expected an EDN map '{:process P, :type ...}'");
    e->p++;
    for (skip(e); e->p < e->end && *e->p != '}'; skip(e)) {
        field k, v, spare[2];
        if (read_value(e, &k, NULL) != 0 || k.kind != F_KW) return lin_fail(h, line, "expected a :keyword");
        bool val = kw(&k, "value");
        if (read_value(e, &v, val ? m->items : spare) != 0)
            return lin_fail(h, line, "bad value for :%.*s", (int)k.len, k.s);
        if (kw(&k, "process")) m->process = v;
        else if (kw(&k, "type")) m->type = v;
        else if (kw(&k, "f")) m->f = v;
        else if (kw(&k, "key")) m->key = v;
        else if (val) m->value = v;
    }
    if (e->p == e->end) return lin_fail(h, line, "the map has no closing '}'");
    return 0;
}

static int parse_f(const field *f, lin_op *op)
{
    static const char *const names[] = { "read", "write", "cas", "append", "get", "put" };
    static const lin_f fs[] = { LIN_READ, LIN_WRITE, LIN_CAS, LIN_APPEND, LIN_READ, LIN_WRITE };
    for (int i = 0; i < 6; i++)
        if (kw(f, names[i])) {
            op->f = (uint8_t)fs[i];
            op->f_name = i >= 4;
            return 0;
        }
    return -1;
}

static int invoke(lin_history *h, lin_pairing *pr, const map *m, lin_op *op)
{
    if (op->f == LIN_CAS) {
        if (m->value.kind != F_VEC || (op->a = value_of(h, &m->items[0])) == UINT32_MAX ||
            (op->b = value_of(h, &m->items[1])) == UINT32_MAX)
            return lin_fail(h, op->line, "expected :value [from to] for :cas");
    } else if (op->f != LIN_READ && (op->a = value_of(h, &m->value)) == UINT32_MAX) {
        return lin_fail(h, op->line, "expected :value nil, an integer or a string");
    }
    op->id = h->count + h->dropped + 1;
    return lin_pair_invoke(h, pr, op);
}

static int parse_line(lin_history *h, lin_pairing *pr, edn *e, uint32_t line)
{
    map m;
    int rc = read_map(h, e, &m, line);
    if (rc) return rc;
    if (m.process.kind == F_KW) return 0;                 /* :nemesis */
    lin_op op = { .line = line, .invoke_t = line, .return_t = LIN_T_OPEN, .outcome = SIM_OP_PENDING };
    if (m.process.kind != F_INT || value_of(h, &m.process) == UINT32_MAX)
        return lin_fail(h, line, "expected :process and an integer");
    op.process = value_of(h, &m.process);
    if (parse_f(&m.f, &op) != 0) return lin_fail(h, line, "expected :f :get, :put, :append, :read, :write or :cas");
    if ((op.key = value_of(h, &m.key)) == UINT32_MAX) return lin_fail(h, line, "expected :key nil, an integer or a string");
    if (kw(&m.type, "invoke")) return invoke(h, pr, &m, &op);
    int type = kw(&m.type, "ok") ? 1 : kw(&m.type, "fail") ? 2 : kw(&m.type, "info") ? 3 : 0;
    if (!type) return lin_fail(h, line, "expected :type :invoke, :ok, :fail or :info");
    lin_op *o = lin_pair_return(h, pr, op.process, (lin_f)op.f, line);
    if (!o) return SIM_EINVAL;
    o->return_line = line;
    o->return_t = line;
    o->outcome = type == 1 ? SIM_OP_OK : type == 2 ? SIM_OP_FAIL : SIM_OP_UNKNOWN;
    if (type == 1 && o->f == LIN_READ && (o->result = value_of(h, &m.value)) == UINT32_MAX)
        return lin_fail(h, line, "expected the :value read: nil, an integer or a string");
    return 0;
}

int lin_parse_edn(lin_history *h, const char *text, size_t len)
{
    h->format = "jepsen-edn";
    h->times_are_lines = true;
    lin_pairing pr = { 0 };
    edn e = { .buf = malloc(len + 1) };
    if (!e.buf) return SIM_ENOMEM;
    const char *p = text, *end = text + len;
    int rc = 0;
    for (uint32_t line = 1; p < end && rc == 0; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        e.p = p;
        e.end = nl ? nl : end;
        e.used = 0;
        skip(&e);
        if (e.p < e.end && *e.p != ';') rc = parse_line(h, &pr, &e, line);
        p = nl ? nl + 1 : end;
    }
    free(e.buf);
    if (rc == 0) return lin_pair_finish(h, &pr);
    free(pr.open);
    return rc;
}
