/*
 * Statistics observer. Per-type counters live in an array indexed by the type's
 * intern id; latencies go into log-linear buckets (64 per power of two, so any
 * percentile is within 1/64 of the truth) instead of being stored one by one.
 */
#include "sim/stats.h"

#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"

#define SUB_BITS 6
#define SUB (1 << SUB_BITS)
#define LAT_BUCKETS (64 * SUB)

struct sim_stats {
    sim_type_stats *by_id;      /* indexed by intern id */
    size_t cap;
    sim_type_stats *sorted;
    uint64_t records[SIM_REC_KIND_COUNT];
    uint64_t latency[LAT_BUCKETS];
    uint64_t latency_count;
};

static const char *const reason_names[SIM_DROP_REASONS] = {
    "loss", "partition", "cut", "node-down", "crashed", "other"
};

const char *sim_drop_reason_name(int reason)
{
    return reason >= 0 && reason < SIM_DROP_REASONS ? reason_names[reason] : "?";
}

static int reason_index(const char *reason)
{
    for (int i = 0; i < SIM_DROP_OTHER; i++)
        if (reason && strcmp(reason, reason_names[i]) == 0) return i;
    return SIM_DROP_OTHER;
}

static int latency_bucket(uint64_t v)
{
    if (v < SUB) return (int)v;
    int e = 63 - __builtin_clzll(v);            /* v in [2^e, 2^(e+1)) */
    int shift = e - SUB_BITS;
    return (e - SUB_BITS + 1) * SUB + (int)((v >> shift) - SUB);
}

static uint64_t bucket_low(int b)
{
    if (b < SUB) return (uint64_t)b;
    int e = b / SUB + SUB_BITS - 1;
    uint64_t sub = (uint64_t)(b % SUB) + SUB;
    return sub << (e - SUB_BITS);
}

static sim_type_stats *row(sim_stats *st, const sim_record *r)
{
    if (r->name_id == UINT32_MAX) return NULL;
    if (r->name_id >= st->cap) {
        size_t cap = st->cap ? st->cap : 16;
        while (cap <= r->name_id) cap *= 2;
        sim_type_stats *t = realloc(st->by_id, cap * sizeof(*t));
        if (!t) return NULL;
        memset(t + st->cap, 0, (cap - st->cap) * sizeof(*t));
        st->by_id = t;
        st->cap = cap;
    }
    sim_type_stats *t = &st->by_id[r->name_id];
    t->type = r->name;
    return t;
}

static void observe(sim *s, const sim_record *r, void *ctx)
{
    sim_stats *st = ctx;
    st->records[r->kind]++;
    if (r->kind < SIM_REC_SEND || r->kind > SIM_REC_CORRUPT) return;
    sim_type_stats *t = row(st, r);
    if (!t) return;
    switch (r->kind) {
    case SIM_REC_SEND: t->sent++; break;
    case SIM_REC_DUPLICATE: t->duplicated++; break;
    case SIM_REC_CORRUPT: t->corrupted++; break;
    case SIM_REC_DROP:
        t->dropped++;
        t->dropped_by[reason_index(r->detail)]++;
        break;
    case SIM_REC_DELIVER:
        t->delivered++;
        if (r->peer != SIM_NODE_NONE) {
            st->latency[latency_bucket((uint64_t)(r->time_ns - r->num1))]++;
            st->latency_count++;
        }
        break;
    default: break;
    }
}

sim_stats *sim_stats_attach(sim *s)
{
    sim_stats *st = calloc(1, sizeof(*st));
    if (st && sim_observe(s, observe, st) != 0) {
        free(st);
        return NULL;
    }
    return st;
}

void sim_stats_detach(sim *s, sim_stats *st)
{
    if (!st) return;
    sim_unobserve(s, observe, st);
    free(st->by_id);
    free(st->sorted);
    free(st);
}

sim_type_stats sim_stats_total(const sim_stats *st)
{
    sim_type_stats sum;
    memset(&sum, 0, sizeof(sum));
    for (size_t i = 0; i < st->cap; i++) {
        const sim_type_stats *t = &st->by_id[i];
        sum.sent += t->sent;
        sum.delivered += t->delivered;
        sum.dropped += t->dropped;
        sum.duplicated += t->duplicated;
        sum.corrupted += t->corrupted;
        for (int k = 0; k < SIM_DROP_REASONS; k++) sum.dropped_by[k] += t->dropped_by[k];
    }
    return sum;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const sim_type_stats *)a)->type, ((const sim_type_stats *)b)->type);
}

const sim_type_stats *sim_stats_types(sim_stats *st, size_t *count)
{
    free(st->sorted);
    st->sorted = malloc((st->cap ? st->cap : 1) * sizeof(sim_type_stats));
    size_t n = 0;
    for (size_t i = 0; st->sorted && i < st->cap; i++)
        if (st->by_id[i].type) st->sorted[n++] = st->by_id[i];
    if (n) qsort(st->sorted, n, sizeof(sim_type_stats), by_name);   /* names are unique */
    *count = n;
    return st->sorted;
}

uint64_t sim_stats_records(const sim_stats *st, int kind)
{
    return kind >= 0 && kind < SIM_REC_KIND_COUNT ? st->records[kind] : 0;
}

uint64_t sim_stats_latency_count(const sim_stats *st) { return st->latency_count; }

int64_t sim_stats_latency_ns(const sim_stats *st, double pct)
{
    if (st->latency_count == 0) return -1;
    if (pct < 0) pct = 0;
    if (pct > 100) pct = 100;
    uint64_t rank = (uint64_t)(pct / 100.0 * (double)(st->latency_count - 1));
    uint64_t seen = 0;
    for (int b = 0; b < LAT_BUCKETS; b++) {
        seen += st->latency[b];
        if (seen > rank) return (int64_t)bucket_low(b);
    }
    return -1;
}
