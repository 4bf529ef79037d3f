/*
 * Jepsen's etcd logs (the register histories of knossos and Porcupine), one
 * event a line, fields separated by any whitespace:
 *
 *   INFO  jepsen.util - 3	:invoke	:cas	[1 4]
 *   INFO  jepsen.util - 3	:fail	:cas	[1 4]
 *
 * PROC is an integer (a line whose PROC is a keyword, like :nemesis, is not a
 * client's and is skipped); TYPE invoke|ok|fail|info; F read|write|cas; ARG nil,
 * an integer, [from to] or :timed-out. A return pairs with the open invoke of
 * the same process. The line number is the time: the log is in real-time order.
 * One pass, O(length of the file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"

enum { MAX_TOKENS = 8 };

typedef struct tokens {
    const char *at[MAX_TOKENS];
    size_t len[MAX_TOKENS];
    int n;
} tokens;

/* Splits [p, end) at whitespace; "[a b]" is one token. Returns -1 on too many. */
static int split(const char *p, const char *end, tokens *t)
{
    t->n = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
        if (p == end) break;
        if (t->n == MAX_TOKENS) return -1;
        const char *s = p;
        if (*p == '[') {
            while (p < end && *p != ']') p++;
            if (p < end) p++;
        } else {
            while (p < end && *p != ' ' && *p != '\t' && *p != '\r') p++;
        }
        t->at[t->n] = s;
        t->len[t->n++] = (size_t)(p - s);
    }
    return 0;
}

static bool is(const tokens *t, int i, const char *word)
{
    return t->len[i] == strlen(word) && memcmp(t->at[i], word, t->len[i]) == 0;
}

/* An integer token [s, s+len) into the pool; UINT32_MAX if it is not one. */
static uint32_t int_value(lin_history *h, const char *s, size_t len)
{
    char buf[32];
    if (len == 0 || len >= sizeof(buf)) return UINT32_MAX;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end || errno || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9'))) return UINT32_MAX;
    return lin_pool_int(&h->pool, v);
}

/* ARG as a value: nil or an integer. */
static uint32_t scalar(lin_history *h, const tokens *t, int i)
{
    if (t->n <= i) return UINT32_MAX;
    if (is(t, i, "nil")) return LIN_NIL;
    return int_value(h, t->at[i], t->len[i]);
}

/* "[a b]" into two values. */
static int pair(lin_history *h, const tokens *t, int i, uint32_t *a, uint32_t *b)
{
    if (t->n <= i || t->len[i] < 2 || t->at[i][0] != '[' || t->at[i][t->len[i] - 1] != ']') return -1;
    tokens in;
    split(t->at[i] + 1, t->at[i] + t->len[i] - 1, &in);
    if (in.n != 2) return -1;
    *a = scalar(h, &in, 0);
    *b = scalar(h, &in, 1);
    return *a == UINT32_MAX || *b == UINT32_MAX ? -1 : 0;
}

static int parse_f(const tokens *t, lin_f *f)
{
    if (is(t, 5, ":read")) *f = LIN_READ;
    else if (is(t, 5, ":write")) *f = LIN_WRITE;
    else if (is(t, 5, ":cas")) *f = LIN_CAS;
    else return -1;
    return 0;
}

static int invoke(lin_history *h, lin_pairing *pr, const tokens *t, lin_op *op)
{
    if (op->f == LIN_WRITE && (op->a = scalar(h, t, 6)) == UINT32_MAX)
        return lin_fail(h, op->line, "expected nil or an integer after :write");
    if (op->f == LIN_CAS && pair(h, t, 6, &op->a, &op->b) != 0)
        return lin_fail(h, op->line, "expected [from to] after :cas");
    op->id = h->count + h->dropped + 1;
    return lin_pair_invoke(h, pr, op);
}

static int complete(lin_history *h, lin_pairing *pr, const tokens *t, lin_op *op, int type)
{
    lin_op *o = lin_pair_return(h, pr, op->process, (lin_f)op->f, op->line);
    if (!o) return SIM_EINVAL;
    o->return_line = op->line;
    o->return_t = op->invoke_t;
    o->outcome = type == 1 ? SIM_OP_OK : type == 2 ? SIM_OP_FAIL : SIM_OP_UNKNOWN;
    if (type == 1 && o->f == LIN_READ && (o->result = scalar(h, t, 6)) == UINT32_MAX)
        return lin_fail(h, op->line, "expected nil or an integer after :ok :read");
    return 0;
}

static int parse_line(lin_history *h, lin_pairing *pr, const tokens *t, uint32_t line)
{
    if (t->n == 0) return 0;
    if (t->n < 6 || !is(t, 0, "INFO") || !is(t, 1, "jepsen.util") || !is(t, 2, "-"))
        return lin_fail(h, line, "expected 'INFO jepsen.util - PROCESS :TYPE :F VALUE'");
    if (t->at[3][0] == ':') return 0;            /* :nemesis and other non-clients */
    lin_op op = { .line = line, .invoke_t = line, .return_t = LIN_T_OPEN, .outcome = SIM_OP_PENDING };
    if (int_value(h, t->at[3], t->len[3]) == UINT32_MAX)
        return lin_fail(h, line, "expected a process number, got '%.*s'", (int)t->len[3], t->at[3]);
    op.process = lin_pool_intern(&h->pool, LIN_V_INT, t->at[3], t->len[3]);
    lin_f f;
    if (parse_f(t, &f) != 0)
        return lin_fail(h, line, "expected :read, :write or :cas, got '%.*s'", (int)t->len[5], t->at[5]);
    op.f = (uint8_t)f;
    static const char *const types[] = { ":invoke", ":ok", ":fail", ":info" };
    for (int type = 0; type < 4; type++)
        if (is(t, 4, types[type])) return type == 0 ? invoke(h, pr, t, &op) : complete(h, pr, t, &op, type);
    return lin_fail(h, line, "expected :invoke, :ok, :fail or :info, got '%.*s'", (int)t->len[4], t->at[4]);
}

int lin_parse_etcd(lin_history *h, const char *text, size_t len)
{
    h->format = "jepsen-etcd";
    h->format_model = SIM_LIN_MODEL_REGISTER;
    h->times_are_lines = true;
    lin_pairing pr = { 0 };
    const char *p = text, *end = text + len;
    int rc = 0;
    for (uint32_t line = 1; p < end && rc == 0; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        tokens t;
        if (split(p, eol, &t) != 0) rc = lin_fail(h, line, "too many fields");
        else rc = parse_line(h, &pr, &t, line);
        p = nl ? nl + 1 : end;
    }
    if (rc == 0) return lin_pair_finish(h, &pr);
    free(pr.open);
    return rc;
}
