/*
 * The checker's entry points (sim/check/lincheck.h): read a history (a file in
 * one of three formats, detected from its first line, or the simulation's own),
 * choose the model, split the operations by key, search each key in sorted key
 * order (lin_search.c) and explain the first key that fails (lin_explain.c).
 *
 * Splitting by key is what makes a map cheap to check: the search is
 * exponential in the concurrency of one key's operations, not of the whole map.
 * Keys run one after another under one step budget; a violation on any key
 * decides the verdict, and an unknown key makes the verdict unknown only when
 * no other key fails.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_internal.h"

const char *sim_lin_model_name(sim_lin_model model)
{
    return model == SIM_LIN_MODEL_REGISTER ? "register" : model == SIM_LIN_MODEL_KV ? "kv" : "auto";
}

int sim_lin_model_parse(const char *name, sim_lin_model *out)
{
    if (strcmp(name, "register") == 0) *out = SIM_LIN_MODEL_REGISTER;
    else if (strcmp(name, "kv") == 0) *out = SIM_LIN_MODEL_KV;
    else if (strcmp(name, "auto") == 0) *out = SIM_LIN_MODEL_AUTO;
    else return SIM_EINVAL;
    return 0;
}

const char *sim_lin_verdict_name(sim_lin_verdict v)
{
    return v == SIM_LIN_OK ? "linearizable" : v == SIM_LIN_VIOLATION ? "not linearizable" : "unknown";
}

void sim_lin_result_free(sim_lin_result *r)
{
    free(r->explanation);
    free(r->op_ids);
    r->explanation = NULL;
    r->op_ids = NULL;
    r->op_id_count = 0;
}

/* Sorted key order: nil, integers by value, then strings and JSON by bytes. */
typedef struct keyed {
    const lin_value *key;
    long long num;             /* the key's value when it is an integer */
    uint32_t op;
} keyed;

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key) {
        if (x->key->type != y->key->type) return x->key->type < y->key->type ? -1 : 1;
        if (x->num != y->num) return x->num < y->num ? -1 : 1;
        int c = strcmp(x->key->bytes, y->key->bytes);
        if (c) return c;
    }
    return x->op < y->op ? -1 : x->op > y->op;
}

/* The op indices grouped by key, keys in sorted order, ops in history order. */
static uint32_t *order_by_key(const lin_history *h)
{
    keyed *k = malloc((h->count + 1) * sizeof(keyed));
    uint32_t *order = malloc((h->count + 1) * sizeof(uint32_t));
    if (!k || !order) return free(k), free(order), NULL;
    for (size_t i = 0; i < h->count; i++) {
        const lin_value *v = &h->pool.v[h->ops[i].key];
        k[i] = (keyed){ v, v->type == LIN_V_INT ? strtoll(v->bytes, NULL, 10) : 0, (uint32_t)i };
    }
    qsort(k, h->count, sizeof(keyed), by_key);
    for (size_t i = 0; i < h->count; i++) order[i] = k[i].op;
    free(k);
    return order;
}

static sim_lin_model choose_model(const lin_history *h, const sim_lin_options *o)
{
    if (o->model != SIM_LIN_MODEL_AUTO) return o->model;
    if (h->format_model != SIM_LIN_MODEL_AUTO) return h->format_model;
    return h->saw_kv_op ? SIM_LIN_MODEL_KV : SIM_LIN_MODEL_REGISTER;
}

typedef struct run_state {
    uint64_t steps_left;       /* of the whole check */
    sim_lin_verdict verdict;
    const char *why;           /* the first key that stayed unknown, and why */
    uint32_t why_key;
} run_state;

typedef struct key_range { size_t from, n; } key_range;

/* Searches one key's ops with at most `round` steps. Returns 1 when the key is
 * still undecided and more steps could decide it, else 0 (or an error); a
 * violation is explained into r. */
static int check_key(const lin_history *h, lin_model *m, const uint32_t *ops, size_t n,
                     const sim_lin_options *o, uint64_t round, run_state *st, sim_lin_result *r)
{
    lin_search_out s;
    uint64_t allowed = round < st->steps_left ? round : st->steps_left;
    int rc = lin_search(h, m, ops, n, o, allowed, &s);
    if (rc) return rc;
    st->steps_left -= s.steps < st->steps_left ? s.steps : st->steps_left;
    r->steps += s.steps;
    uint64_t mem = s.memory_bytes_peak + h->pool.bytes;
    if (mem > r->memory_bytes_peak) r->memory_bytes_peak = mem;
    bool retry = s.verdict == SIM_LIN_UNKNOWN && s.step_limit && allowed == round && st->steps_left > 0;
    if (s.verdict == SIM_LIN_VIOLATION) {
        st->verdict = SIM_LIN_VIOLATION;
        rc = lin_explain(h, m, ops, n, &s, h->ops[ops[0]].key, r);
    } else if (s.verdict == SIM_LIN_UNKNOWN && !retry && !st->why) {
        st->why = s.why;
        st->why_key = h->ops[ops[0]].key;
    }
    lin_search_out_free(&s);
    return rc ? rc : retry;
}

/* Runs the keys in rounds of growing step budgets (64K, then x8), each round in
 * key order, until a key fails or every key is decided. A cheap violation on a
 * late key is found before an expensive early key is finished (the order
 * Porcupine gets by racing keys on threads, here deterministic); the rounds
 * that are thrown away cost at most 1/7 more steps than the last one. */
static int check_keys(const lin_history *h, lin_model *m, const uint32_t *order, key_range *keys, size_t nkeys,
                      const sim_lin_options *o, run_state *st, sim_lin_result *r)
{
    for (uint64_t round = 1 << 16; nkeys > 0 && st->verdict != SIM_LIN_VIOLATION; round *= 8) {
        size_t left = 0;
        for (size_t k = 0; k < nkeys && st->verdict != SIM_LIN_VIOLATION; k++) {
            int rc = check_key(h, m, order + keys[k].from, keys[k].n, o, round, st, r);
            if (rc < 0) return rc;
            if (rc == 1) keys[left++] = keys[k];
        }
        nkeys = left;
        if (nkeys && round > UINT64_MAX / 8) {
            if (!st->why) st->why = "the step budget ran out", st->why_key = h->ops[order[keys[0].from]].key;
            break;
        }
    }
    if (st->verdict != SIM_LIN_VIOLATION && st->why) st->verdict = SIM_LIN_UNKNOWN;
    return 0;
}

static void summarize(const lin_history *h, const run_state *st, const sim_lin_options *o, sim_lin_result *r)
{
    r->verdict = st->verdict;
    if (st->verdict == SIM_LIN_OK) {
        snprintf(r->summary, sizeof(r->summary), "%zu operation%s on %zu key%s %s linearizable", r->ops,
                 r->ops == 1 ? "" : "s", r->keys, r->keys == 1 ? "" : "s", r->ops == 1 ? "is" : "are");
    } else if (st->verdict == SIM_LIN_UNKNOWN) {
        char k[64];
        lin_pool_show(&h->pool, st->why_key, k, sizeof(k));
        uint64_t max = o->max_steps ? o->max_steps : SIM_LIN_DEFAULT_MAX_STEPS;
        uint64_t cap = o->max_memory_bytes ? o->max_memory_bytes : SIM_LIN_DEFAULT_MAX_MEMORY_BYTES;
        snprintf(r->summary, sizeof(r->summary), "%s%s%s, after %" PRIu64 " steps (limits: %" PRIu64
                 " steps, %" PRIu64 " MiB)", st->why, st->why_key ? " on key " : "", st->why_key ? k : "",
                 r->steps, max, cap >> 20);
    }
}

static int check_history(lin_history *h, const sim_lin_options *o, sim_lin_result *r)
{
    r->model = choose_model(h, o);
    r->format = h->format;
    r->ops = h->count;
    r->ops_dropped = h->dropped;
    for (size_t i = 0; i < h->count; i++)
        if (r->model == SIM_LIN_MODEL_REGISTER && h->ops[i].f == LIN_APPEND)
            return lin_fail(h, h->ops[i].line, "op %" PRIu64 ": append is not a register operation (use the kv model)",
                            h->ops[i].id);
    lin_model m;
    uint32_t *order = order_by_key(h);
    if (!order || lin_model_init(&m, r->model, &h->pool) != 0) return free(order), SIM_ENOMEM;
    run_state st = { o->max_steps ? o->max_steps : SIM_LIN_DEFAULT_MAX_STEPS, SIM_LIN_OK, NULL, 0 };
    key_range *keys = malloc((h->count + 1) * sizeof(key_range));
    int rc = keys ? 0 : SIM_ENOMEM;
    for (size_t i = 0, j; rc == 0 && i < h->count; i = j) {
        for (j = i + 1; j < h->count && h->ops[order[j]].key == h->ops[order[i]].key;) j++;
        keys[r->keys++] = (key_range){ i, j - i };
    }
    if (rc == 0) rc = check_keys(h, &m, order, keys, r->keys, o, &st, r);
    free(keys);
    if (rc == 0) summarize(h, &st, o, r);
    lin_model_free(&m);
    free(order);
    return rc;
}

/* The format of a history file, from its first line that is not blank. */
static int detect(lin_history *h, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    uint32_t line = 1;
    for (; p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'); p++) line += *p == '\n';
    if (p == end) return lin_fail(h, 0, "empty: no operations to check");
    if (end - p >= 4 && memcmp(p, "INFO", 4) == 0) return lin_parse_etcd(h, text, len);
    if (*p == ';' || (end - p >= 2 && memcmp(p, "{:", 2) == 0)) return lin_parse_edn(h, text, len);
    if (*p == '{') return lin_parse_jsonl(h, text, len);
    return lin_fail(h, line, "not a history this checker reads: expected a Jepsen etcd log (INFO jepsen.util - ...), "
                    "Jepsen EDN maps ({:process ...}) or a dsim JSONL trace ({\"ev\":...})");
}

static int check_loaded(lin_history *h, int rc, const sim_lin_options *o, sim_lin_result *r)
{
    static const sim_lin_options defaults = { 0 };
    if (!o) o = &defaults;
    if (rc == 0 && h->count + h->dropped == 0) rc = lin_fail(h, 0, "no client operations to check");
    if (rc == 0) rc = check_history(h, o, r);
    if (rc == SIM_EINVAL) snprintf(r->error, sizeof(r->error), "%s", h->error);
    else if (rc < 0) snprintf(r->error, sizeof(r->error), "%s: %s", h->name, sim_strerror(rc));
    if (rc < 0) sim_lin_result_free(r);
    lin_history_free(h);
    return rc;
}

int sim_lin_check_text(const char *text, size_t len, const char *name, const sim_lin_options *o,
                       sim_lin_result *out)
{
    memset(out, 0, sizeof(*out));
    lin_history h;
    int rc = lin_history_init(&h, name);
    if (rc == 0) rc = detect(&h, text, len);
    return check_loaded(&h, rc, o, out);
}

int lin_read_file(const char *path, char **text_out, size_t *len_out, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errbuf, errlen, "%s: cannot open", path);
        return SIM_ENOENT;
    }
    size_t cap = 1 << 16, len = 0, n;
    char *text = malloc(cap);
    while (text && (n = fread(text + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *t = realloc(text, cap *= 2);
            if (!t) free(text);
            text = t;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!text || err) {
        free(text);
        snprintf(errbuf, errlen, "%s: %s", path, text ? "read error" : "out of memory");
        return text ? SIM_EIO : SIM_ENOMEM;
    }
    *text_out = text;
    *len_out = len;
    return 0;
}

int sim_lin_check_file(const char *path, const sim_lin_options *o, sim_lin_result *out)
{
    memset(out, 0, sizeof(*out));
    char *text;
    size_t len;
    int rc = lin_read_file(path, &text, &len, out->error, sizeof(out->error));
    if (rc) return rc;
    rc = sim_lin_check_text(text, len, path, o, out);
    free(text);
    return rc;
}

int sim_lin_check_history(const sim *s, const sim_lin_options *o, sim_lin_result *out)
{
    memset(out, 0, sizeof(*out));
    lin_history h;
    int rc = lin_history_init(&h, "history");
    if (rc == 0) rc = lin_load_sim(&h, s);
    return check_loaded(&h, rc, o, out);
}

size_t sim_lin_ops_format(const uint64_t *ids, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap) buf[0] = 0;
    for (size_t i = 0; n > 0 && i <= n + 1; i++) {
        size_t at = len < cap ? len : cap ? cap - 1 : 0;
        char *to = cap ? buf + at : NULL;
        int w = i == 0 ? snprintf(to, cap - at, " [ops") : i <= n ? snprintf(to, cap - at, " %" PRIu64, ids[i - 1])
                                                                  : snprintf(to, cap - at, "]");
        len += w > 0 ? (size_t)w : 0;
    }
    return len;
}

int sim_lin_check_sim(sim *s, const sim_lin_options *o, sim_lin_result *out)
{
    int rc = sim_lin_check_history(s, o, out);
    if (rc < 0) {
        sim_check_report(s, "linearizable", false, out->error);
        return rc;
    }
    char ops[SIM_LIN_OPS_MAX];
    sim_lin_ops_format(out->op_ids, out->op_id_count, ops, sizeof(ops));
    size_t n = strlen(out->summary) + strlen(ops) + (out->explanation ? strlen(out->explanation) : 0) + 32;
    char *detail = malloc(n);
    if (!detail) return SIM_ENOMEM;
    snprintf(detail, n, "%s%s%s%s%s", out->verdict == SIM_LIN_UNKNOWN ? "unknown: " : "", out->summary, ops,
             out->explanation ? "\n" : "", out->explanation ? out->explanation : "");
    sim_check_report(s, "linearizable", out->verdict == SIM_LIN_OK, detail);
    free(detail);
    return 0;
}
