/*
 * The broadcast checker (see broadcast_check.h). An observer copies from the
 * trace what the verdict and the figures need: each broadcast's value, invoke
 * time and outcome; each "learned" annotation (node, value, time); and the count
 * of server-to-server sends. The final reads come from the history at report
 * time. Everything is kept in arrays in trace order and sorted at the end (no
 * hash table, so the report is the same in every process).
 */
#include "sim/systems/broadcast/broadcast_check.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "sim/systems/system.h"
#include "sim/trace.h"

extern const sim_system sim_system_broadcast;

typedef struct invoke_rec { uint64_t op_id; int64_t value, invoke_ns; sim_outcome outcome; } invoke_rec;
typedef struct learn_rec { int64_t value; sim_node_id node; int64_t time_ns; } learn_rec;
typedef struct read_set { const char *node; int64_t *values; size_t n; bool found; } read_set;

struct broadcast_check {
    sim *s;
    uint32_t broadcast_id, learned_id;   /* interned names to match records */
    invoke_rec *invokes;                 /* in op id order */
    size_t ninvokes, invokes_cap;
    learn_rec *learns;
    size_t nlearns, learns_cap;
    uint64_t server_msgs;
};

static void *reserve(void *p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return p;
    *cap = *cap ? *cap * 2 : 256;
    p = realloc(p, *cap * elem);
    SIM_ASSERT(p != NULL);
    return p;
}

static bool is_server(const sim *s, sim_node_id id)
{
    return id != SIM_NODE_NONE && sim_node_program(s, id) == sim_system_broadcast.program;
}

static void on_invoke(broadcast_check *c, const sim_record *r)
{
    cJSON *args = r->detail ? cJSON_Parse(r->detail) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, "value");
    if (cJSON_IsNumber(v)) {
        c->invokes = reserve(c->invokes, &c->invokes_cap, c->ninvokes, sizeof(invoke_rec));
        c->invokes[c->ninvokes++] =
            (invoke_rec){ r->id, (int64_t)v->valuedouble, r->time_ns, SIM_OP_PENDING };
    }
    cJSON_Delete(args);
}

static invoke_rec *invoke_find(broadcast_check *c, uint64_t op_id)
{
    size_t lo = 0, hi = c->ninvokes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->invokes[mid].op_id < op_id) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->ninvokes && c->invokes[lo].op_id == op_id ? &c->invokes[lo] : NULL;
}

static void observe(sim *s, const sim_record *r, void *ctx)
{
    broadcast_check *c = ctx;
    if (r->kind == SIM_REC_SEND && is_server(s, r->node) && is_server(s, r->peer)) {
        c->server_msgs++;
    } else if (r->kind == SIM_REC_INVOKE && r->name_id == c->broadcast_id) {
        on_invoke(c, r);
    } else if (r->kind == SIM_REC_COMPLETE && r->name_id == c->broadcast_id) {
        invoke_rec *inv = invoke_find(c, r->id);
        if (inv) inv->outcome = (sim_outcome)r->num1;
    } else if (r->kind == SIM_REC_ANNOTATE && r->name_id == c->learned_id && r->detail) {
        c->learns = reserve(c->learns, &c->learns_cap, c->nlearns, sizeof(learn_rec));
        c->learns[c->nlearns++] = (learn_rec){ strtoll(r->detail, NULL, 10), r->node, r->time_ns };
    }
}

int broadcast_check_attach(sim *s, broadcast_check **out)
{
    broadcast_check *c = calloc(1, sizeof(*c));
    if (!c) return SIM_ENOMEM;
    c->s = s;
    c->broadcast_id = sim_intern(s, "broadcast");
    c->learned_id = sim_intern(s, "learned");
    int rc = sim_observe(s, observe, c);
    if (rc) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void broadcast_check_detach(broadcast_check *c)
{
    if (!c) return;
    sim_unobserve(c->s, observe, c);
    free(c->invokes);
    free(c->learns);
    free(c);
}

/* ---- the verdicts ------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool contains(const int64_t *sorted, size_t n, int64_t v)
{
    return bsearch(&v, sorted, n, sizeof(int64_t), cmp_i64) != NULL;
}

/* The values of an ok read's result, sorted; *n receives their number. */
static int64_t *read_values(const sim_op *op, size_t *n)
{
    cJSON *res = op->result ? cJSON_Parse(op->result) : NULL;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(res, "messages");
    int64_t *v = malloc(((size_t)cJSON_GetArraySize(list) + 1) * sizeof(int64_t));
    SIM_ASSERT(v != NULL);
    *n = 0;
    for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next)
        if (cJSON_IsNumber(e)) v[(*n)++] = (int64_t)e->valuedouble;
    cJSON_Delete(res);
    qsort(v, *n, sizeof(int64_t), cmp_i64);
    return v;
}

/* The server an ok read op was addressed to, or SIM_NODE_NONE. */
static sim_node_id read_target(const sim *s, const sim_op *op)
{
    sim_node_id id = SIM_NODE_NONE;
    if (strcmp(op->f, "read") != 0 || op->outcome != SIM_OP_OK || !op->args) return id;
    cJSON *args = cJSON_Parse(op->args);
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(args, "node");
    if (!cJSON_IsString(node) || sim_node_find(s, node->valuestring, &id) != 0) id = SIM_NODE_NONE;
    cJSON_Delete(args);
    return id;
}

/* No phantoms: every ok read (final or not) holds only invoked values. */
static void check_phantoms(broadcast_check *c, const int64_t *invoked, size_t ninvoked)
{
    char detail[256] = "every value read was broadcast";
    bool ok = true;
    for (size_t i = 0; ok && i < sim_history_count(c->s); i++) {
        const sim_op *op = sim_history_get(c->s, i);
        sim_node_id id = read_target(c->s, op);
        if (id == SIM_NODE_NONE) continue;
        size_t n;
        int64_t *v = read_values(op, &n);
        for (size_t j = 0; ok && j < n; j++) {
            if (contains(invoked, ninvoked, v[j])) continue;
            ok = false;
            snprintf(detail, sizeof(detail), "%s's read (op %llu) returned %lld, never broadcast",
                     sim_node_name(c->s, id), (unsigned long long)op->id, (long long)v[j]);
        }
        free(v);
    }
    sim_check_report(c->s, "broadcast-no-phantoms", ok, detail);
}

/* The latest ok read of server id (NULL when none). */
static const sim_op *final_read(const sim *s, sim_node_id server)
{
    const sim_op *best = NULL;
    for (size_t i = 0; i < sim_history_count(s); i++) {
        const sim_op *op = sim_history_get(s, i);
        if (read_target(s, op) == server && (!best || op->complete_ns >= best->complete_ns)) best = op;
    }
    return best;
}

/* Converged: every ok broadcast is in every server's final read. */
static void check_converged(broadcast_check *c)
{
    char detail[256] = "";
    size_t missing = 0, servers = 0;
    for (sim_node_id id = 0; id < sim_node_count(c->s); id++) {
        if (!is_server(c->s, id)) continue;
        servers++;
        const sim_op *op = final_read(c->s, id);
        if (!op) {
            if (!missing++) snprintf(detail, sizeof(detail), "%s has no ok read", sim_node_name(c->s, id));
            continue;
        }
        size_t n;
        int64_t *v = read_values(op, &n);
        for (size_t i = 0; i < c->ninvokes; i++) {
            if (c->invokes[i].outcome != SIM_OP_OK || contains(v, n, c->invokes[i].value)) continue;
            if (!missing++)
                snprintf(detail, sizeof(detail), "value %lld missing from %s's final read",
                         (long long)c->invokes[i].value, sim_node_name(c->s, id));
        }
        free(v);
    }
    size_t len = strlen(detail);
    if (missing)
        snprintf(detail + len, sizeof(detail) - len, " (%zu gaps in all)", missing);
    else snprintf(detail, sizeof(detail), "%zu servers hold every ok broadcast", servers);
    sim_check_report(c->s, "broadcast-converged", missing == 0 && servers > 0, detail);
}

/* "72.389ms" (integer arithmetic, so the text is the same everywhere); "-" for -1. */
static void format_ms(int64_t ns, char *buf, size_t n)
{
    if (ns < 0) snprintf(buf, n, "-");
    else snprintf(buf, n, "%lld.%03lldms", (long long)(ns / SIM_NS_PER_MS),
                  (long long)(ns % SIM_NS_PER_MS / 1000));
}

int broadcast_check_report(broadcast_check *c, FILE *out)
{
    size_t failed_before = sim_checks_failed(c->s);
    int64_t *invoked = malloc((c->ninvokes + 1) * sizeof(int64_t));
    SIM_ASSERT(invoked != NULL);
    for (size_t i = 0; i < c->ninvokes; i++) invoked[i] = c->invokes[i].value;
    qsort(invoked, c->ninvokes, sizeof(int64_t), cmp_i64);
    check_converged(c);
    check_phantoms(c, invoked, c->ninvokes);
    free(invoked);
    if (out) {
        broadcast_figures f;
        broadcast_check_figures(c, &f);
        char p50[32], max[32];
        format_ms(f.latency_ns_p50, p50, sizeof(p50));
        format_ms(f.latency_ns_max, max, sizeof(max));
        fprintf(out, "broadcast: %llu broadcasts, %llu ok; %llu server messages, %.1f per ok broadcast\n",
                (unsigned long long)f.broadcasts, (unsigned long long)f.broadcasts_ok,
                (unsigned long long)f.server_msgs, f.msgs_per_broadcast);
        fprintf(out, "broadcast: propagation latency p50 %s, max %s (over %llu values every server learned)\n",
                p50, max, (unsigned long long)f.values_everywhere);
    }
    return (int)(sim_checks_failed(c->s) - failed_before);
}

/* ---- the figures -------------------------------------------------------------------- */

static int cmp_learn(const void *a, const void *b)
{
    const learn_rec *x = a, *y = b;
    if (x->value != y->value) return (x->value > y->value) - (x->value < y->value);
    if (x->node != y->node) return (x->node > y->node) - (x->node < y->node);
    return (x->time_ns > y->time_ns) - (x->time_ns < y->time_ns);
}

static int cmp_value(const void *a, const void *b)
{
    const invoke_rec *x = a, *y = b;
    return (x->value > y->value) - (x->value < y->value);
}

/* By value, then by invoke time; a value broadcast twice counts from its first. */
static int cmp_invoke(const void *a, const void *b)
{
    const invoke_rec *x = a, *y = b;
    int by_value = cmp_value(a, b);
    return by_value ? by_value : (x->invoke_ns > y->invoke_ns) - (x->invoke_ns < y->invoke_ns);
}

/* From invoke to the last server's first learning, for values every server learned;
 * returns their number, latencies (sorted) in lat. */
static size_t latencies(broadcast_check *c, size_t servers, int64_t *lat)
{
    if (c->nlearns) qsort(c->learns, c->nlearns, sizeof(learn_rec), cmp_learn);
    invoke_rec *by_value = malloc((c->ninvokes + 1) * sizeof(invoke_rec));
    SIM_ASSERT(by_value != NULL);
    if (c->ninvokes) memcpy(by_value, c->invokes, c->ninvokes * sizeof(invoke_rec));
    qsort(by_value, c->ninvokes, sizeof(invoke_rec), cmp_invoke);
    size_t n = 0, i = 0;
    while (i < c->nlearns) {
        size_t j = i, nodes = 0;
        int64_t last = INT64_MIN, value = c->learns[i].value;
        for (; j < c->nlearns && c->learns[j].value == value; j++) {
            bool first = j == i || c->learns[j].node != c->learns[j - 1].node;
            if (first && is_server(c->s, c->learns[j].node)) {
                nodes++;
                if (c->learns[j].time_ns > last) last = c->learns[j].time_ns;
            }
        }
        invoke_rec key = { .value = value };
        const invoke_rec *inv = bsearch(&key, by_value, c->ninvokes, sizeof(invoke_rec), cmp_value);
        while (inv && inv > by_value && inv[-1].value == value) inv--;
        if (nodes == servers && inv) lat[n++] = last - inv->invoke_ns;
        i = j;
    }
    free(by_value);
    qsort(lat, n, sizeof(int64_t), cmp_i64);
    return n;
}

void broadcast_check_figures(broadcast_check *c, broadcast_figures *out)
{
    memset(out, 0, sizeof(*out));
    size_t servers = 0;
    for (sim_node_id id = 0; id < sim_node_count(c->s); id++) servers += is_server(c->s, id);
    for (size_t i = 0; i < c->ninvokes; i++) out->broadcasts_ok += c->invokes[i].outcome == SIM_OP_OK;
    out->broadcasts = c->ninvokes;
    out->server_msgs = c->server_msgs;
    out->msgs_per_broadcast = out->broadcasts_ok ? (double)c->server_msgs / (double)out->broadcasts_ok : 0;
    int64_t *lat = malloc((c->nlearns + 1) * sizeof(int64_t));
    SIM_ASSERT(lat != NULL);
    size_t n = servers ? latencies(c, servers, lat) : 0;
    out->values_everywhere = n;
    out->latency_ns_p50 = n ? lat[(n - 1) / 2] : -1;
    out->latency_ns_max = n ? lat[n - 1] : -1;
    free(lat);
}
