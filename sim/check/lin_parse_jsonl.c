/*
 * dsim's own histories: the kernel's client history of a live simulation, and
 * the invoke/complete records of a JSONL trace written by `dsim run --trace`
 * (sim/trace_json.c):
 *
 *   {"i":7,"t":1000000,"ev":"invoke","node":"c1","id":3,"f":"cas","args":{"key":"x","from":1,"to":2}}
 *   {"i":9,"t":4000000,"ev":"complete","node":"c1","id":3,"f":"cas","result":null,"outcome":"ok",...}
 *
 * Operations pair by op id; times are simulated nanoseconds. Arguments and
 * results follow the conventions in sim/check/lincheck.h. Only lines that
 * mention "invoke" or "complete" are parsed as JSON (a trace is mostly sends and
 * deliveries), so reading a trace costs O(its length) plus cJSON on the history.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sim/check/lin_internal.h"

/* A JSON value into the pool; UINT32_MAX when out of memory. */
static uint32_t value_of(lin_history *h, const cJSON *v)
{
    if (!v || cJSON_IsNull(v)) return LIN_NIL;
    if (cJSON_IsString(v)) return lin_pool_intern(&h->pool, LIN_V_STR, v->valuestring, strlen(v->valuestring));
    if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 9007199254740992.0)
        return lin_pool_int(&h->pool, (int64_t)v->valuedouble);
    char *text = cJSON_PrintUnformatted(v);
    if (!text) return UINT32_MAX;
    uint32_t id = lin_pool_intern(&h->pool, LIN_V_JSON, text, strlen(text));
    free(text);
    return id;
}

static const cJSON *field(const cJSON *o, const char *name)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;
}

static int parse_f(lin_op *op, const char *f)
{
    static const char *const names[] = { "read", "write", "cas", "append", "get", "put" };
    static const lin_f fs[] = { LIN_READ, LIN_WRITE, LIN_CAS, LIN_APPEND, LIN_READ, LIN_WRITE };
    for (int i = 0; f && i < 6; i++)
        if (strcmp(f, names[i]) == 0) {
            op->f = (uint8_t)fs[i];
            op->f_name = i >= 4;
            return 0;
        }
    return -1;
}

static int args_of(lin_history *h, lin_op *op, const cJSON *args, uint32_t line)
{
    bool obj = cJSON_IsObject(args);
    op->key = obj ? value_of(h, field(args, "key")) : LIN_NIL;
    if (op->f == LIN_CAS) {
        const cJSON *from = obj ? field(args, "from") : cJSON_GetArrayItem(args, 0);
        const cJSON *to = obj ? field(args, "to") : cJSON_GetArrayItem(args, 1);
        if (!from || !to || (!obj && cJSON_GetArraySize(args) != 2))
            return lin_fail(h, line, "op %" PRIu64 ": cas needs args {\"from\":A,\"to\":B} or [A,B]", op->id);
        op->a = value_of(h, from);
        op->b = value_of(h, to);
    } else if (op->f != LIN_READ) {
        op->a = value_of(h, obj ? field(args, "value") : args);
    }
    if (op->f == LIN_APPEND && h->pool.v[op->a].type != LIN_V_STR)
        return lin_fail(h, line, "op %" PRIu64 ": append needs a string value", op->id);
    bool oom = op->key == UINT32_MAX || op->a == UINT32_MAX || op->b == UINT32_MAX;
    return oom ? SIM_ENOMEM : 0;
}

static int invoke_json(lin_history *h, lin_op *op, const char *f, const cJSON *args, uint32_t line)
{
    if (parse_f(op, f) != 0)
        return lin_fail(h, line, "op %" PRIu64 ": '%s' is not read, write, cas, get, put or append", op->id,
                        f ? f : "(no f)");
    return args_of(h, op, args, line);
}

static int result_json(lin_history *h, lin_op *op, const cJSON *result)
{
    if (op->outcome != SIM_OP_OK || op->f != LIN_READ) return 0;
    /* An empty table is {value = nil} as Lua encodes it: [] */
    bool empty = cJSON_IsArray(result) && cJSON_GetArraySize(result) == 0;
    op->result = value_of(h, cJSON_IsObject(result) ? field(result, "value") : empty ? NULL : result);
    return op->result == UINT32_MAX ? SIM_ENOMEM : 0;
}

int lin_op_from_json(lin_history *h, lin_op *op, const char *f, const char *args, const char *result,
                     uint32_t line)
{
    cJSON *a = args ? cJSON_Parse(args) : NULL, *r = result ? cJSON_Parse(result) : NULL;
    int rc = 0;
    if (args && !a) rc = lin_fail(h, line, "op %" PRIu64 ": args are not JSON: %.60s", op->id, args);
    else if (result && !r) rc = lin_fail(h, line, "op %" PRIu64 ": result is not JSON: %.60s", op->id, result);
    if (rc == 0) rc = invoke_json(h, op, f, a, line);
    if (rc == 0) rc = result_json(h, op, r);
    cJSON_Delete(a);
    cJSON_Delete(r);
    return rc;
}

int lin_load_sim(lin_history *h, const sim *s)
{
    h->format = "sim";
    for (size_t i = 0; i < sim_history_count(s); i++) {
        const sim_op *so = sim_history_get(s, i);
        const char *who = so->process == SIM_NODE_NONE ? "-" : sim_node_name(s, so->process);
        lin_op op = { .id = so->id, .outcome = so->outcome, .invoke_t = so->invoke_ns,
                      .return_t = so->outcome == SIM_OP_OK ? so->complete_ns : LIN_T_OPEN };
        op.process = lin_pool_intern(&h->pool, LIN_V_STR, who, strlen(who));
        int rc = lin_op_from_json(h, &op, so->f, so->args, so->result, 0);
        if (rc == 0) rc = lin_history_add(h, &op);
        if (rc) return rc;
    }
    return lin_pair_finish(h, NULL);
}

/* ---- JSONL traces ----------------------------------------------------------- */

typedef struct by_id {
    uint32_t *at;              /* op id -> index in h->ops + 1 */
    size_t cap;
} by_id;

static int64_t int_field(const cJSON *o, const char *name, bool *ok)
{
    const cJSON *v = field(o, name);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15) return *ok = false, 0;
    return (int64_t)v->valuedouble;
}

static int on_invoke(lin_history *h, by_id *b, const cJSON *o, uint32_t line)
{
    bool ok = true;
    lin_op op = { .line = line, .return_t = LIN_T_OPEN, .outcome = SIM_OP_PENDING };
    op.id = (uint64_t)int_field(o, "id", &ok);
    op.invoke_t = int_field(o, "t", &ok);
    if (!ok || op.id == 0 || op.id > (1u << 28)) return lin_fail(h, line, "an invoke needs \"id\" >= 1 and \"t\"");
    if (op.id >= b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap <= op.id) cap *= 2;
        uint32_t *at = realloc(b->at, cap * sizeof(uint32_t));
        if (!at) return SIM_ENOMEM;
        memset(at + b->cap, 0, (cap - b->cap) * sizeof(uint32_t));
        b->at = at;
        b->cap = cap;
    }
    if (b->at[op.id]) return lin_fail(h, line, "op %" PRIu64 " is invoked twice", op.id);
    const cJSON *node = field(o, "node");
    const char *who = cJSON_IsString(node) ? node->valuestring : "-";
    op.process = lin_pool_intern(&h->pool, LIN_V_STR, who, strlen(who));
    const cJSON *f = field(o, "f");
    int rc = invoke_json(h, &op, cJSON_IsString(f) ? f->valuestring : NULL, field(o, "args"), line);
    if (rc == 0) rc = lin_history_add(h, &op);
    if (rc == 0) b->at[op.id] = (uint32_t)h->count;
    return rc;
}

static int on_complete(lin_history *h, by_id *b, const cJSON *o, uint32_t line)
{
    bool ok = true;
    uint64_t id = (uint64_t)int_field(o, "id", &ok);
    int64_t t = int_field(o, "t", &ok);
    if (!ok || id >= b->cap || !b->at[id]) return lin_fail(h, line, "a complete for an op that was never invoked");
    lin_op *op = &h->ops[b->at[id] - 1];
    if (op->outcome != SIM_OP_PENDING) return lin_fail(h, line, "op %" PRIu64 " completes twice", id);
    if (t < op->invoke_t) return lin_fail(h, line, "op %" PRIu64 " completes before it was invoked", id);
    const cJSON *out = field(o, "outcome");
    const char *name = cJSON_IsString(out) ? out->valuestring : "";
    op->outcome = strcmp(name, "ok") == 0 ? SIM_OP_OK : strcmp(name, "fail") == 0 ? SIM_OP_FAIL
                : strcmp(name, "unknown") == 0 ? SIM_OP_UNKNOWN : SIM_OP_PENDING;
    if (op->outcome == SIM_OP_PENDING) return lin_fail(h, line, "\"outcome\" must be ok, fail or unknown");
    op->return_t = t;
    op->return_line = line;
    return result_json(h, op, field(o, "result"));
}

static int parse_record(lin_history *h, by_id *b, const char *p, size_t n, uint32_t line)
{
    cJSON *o = cJSON_ParseWithLength(p, n);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return lin_fail(h, line, "not a JSON object");
    }
    const cJSON *ev = field(o, "ev");
    int rc = 0;
    if (!cJSON_IsString(ev)) rc = lin_fail(h, line, "a trace record needs \"ev\"");
    else if (strcmp(ev->valuestring, "invoke") == 0) rc = on_invoke(h, b, o, line);
    else if (strcmp(ev->valuestring, "complete") == 0) rc = on_complete(h, b, o, line);
    cJSON_Delete(o);
    return rc;
}

static bool mentions(const char *p, size_t n, const char *word)
{
    size_t w = strlen(word);
    for (const char *q = p; (q = memchr(q, word[0], n - (size_t)(q - p))) != NULL; q++)
        if ((size_t)(p + n - q) >= w && memcmp(q, word, w) == 0) return true;
    return false;
}

int lin_parse_jsonl(lin_history *h, const char *text, size_t len)
{
    h->format = "dsim-trace";
    by_id b = { 0 };
    const char *p = text, *end = text + len;
    int rc = 0;
    for (uint32_t line = 1; p < end && rc == 0; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
        if (n && (p[0] != '{' || p[n - 1] != '}')) rc = lin_fail(h, line, "not a JSON object");
        else if (n && (mentions(p, n, "invoke") || mentions(p, n, "complete")))
            rc = parse_record(h, &b, p, n, line);
        p = nl ? nl + 1 : end;
    }
    free(b.at);
    return rc ? rc : lin_pair_finish(h, NULL);
}
