/*
 * The ledger of a kafka_client application (see kafka_client.h): a byte per
 * record for "acknowledged" and a saturating count of processings, per producer,
 * grown as records are generated. 45 million records cost 90 MB; a set of ranges
 * would be smaller but slower to update out of order (retries, several consumers).
 * The summary is the check: lost = acknowledged and never processed;
 * duplicates = processings beyond the first; latencies in power-of-two buckets.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/systems/kafka/kafka_client.h"

kc_ledger *kafka_ledger_new(int64_t producers)
{
    kc_ledger *l = calloc(1, sizeof(*l));
    SIM_ASSERT(l != NULL);
    l->nprod = producers;
    l->prod = calloc((size_t)(producers ? producers : 1), sizeof(kc_stream));
    SIM_ASSERT(l->prod != NULL);
    return l;
}

void kafka_ledger_free(kc_ledger *l)
{
    if (!l) return;
    for (int64_t i = 0; i < l->nprod; i++) {
        free(l->prod[i].acked);
        free(l->prod[i].consumed);
    }
    free(l->prod);
    free(l);
}

int64_t kafka_ledger_reserve(kc_ledger *l, int64_t producer, int64_t n)
{
    SIM_ASSERT(producer >= 0 && producer < l->nprod && n >= 0);
    kc_stream *s = &l->prod[producer];
    if (s->next + n > s->cap) {
        int64_t cap = s->cap ? s->cap : 4096;
        while (cap < s->next + n) cap *= 2;
        s->acked = realloc(s->acked, (size_t)cap);
        s->consumed = realloc(s->consumed, (size_t)cap);
        SIM_ASSERT(s->acked != NULL && s->consumed != NULL);
        memset(s->acked + s->cap, 0, (size_t)(cap - s->cap));
        memset(s->consumed + s->cap, 0, (size_t)(cap - s->cap));
        s->cap = cap;
    }
    int64_t first = s->next;
    s->next += n;
    l->sent += (uint64_t)n;
    return first;
}

static kc_stream *stream_of(const kc_ledger *l, int64_t v, int64_t *seq)
{
    int64_t p = (v >> KC_SEQ_BITS) - 1;
    *seq = v & ((INT64_C(1) << KC_SEQ_BITS) - 1);
    if (p < 0 || p >= l->nprod || *seq >= l->prod[p].next) return NULL;
    return &l->prod[p];
}

static void bucket(uint64_t *h, int64_t *max, int64_t ns)
{
    int64_t us = ns / 1000;
    int b = 0;
    while (b < KC_LAT_BUCKETS - 1 && (INT64_C(1) << b) <= us) b++;
    h[b]++;
    if (ns > *max) *max = ns;
}

void kafka_ledger_acked(kc_ledger *l, int64_t v0, uint32_t n, int64_t latency_ns)
{
    int64_t seq;
    kc_stream *s = stream_of(l, v0, &seq);
    if (!s || seq + n > s->next) return;
    for (uint32_t i = 0; i < n; i++) {
        if (!s->acked[seq + i]) l->acked++;
        s->acked[seq + i] = 1;
    }
    bucket(l->lat_ack, &l->lat_ack_max_ns, latency_ns);
}

void kafka_ledger_processed(kc_ledger *l, int64_t v, int64_t latency_ns)
{
    int64_t seq;
    kc_stream *s = stream_of(l, v, &seq);
    if (!s) return;
    if (s->consumed[seq] < 255) s->consumed[seq]++;
    l->processed++;
    bucket(l->lat_e2e, &l->lat_e2e_max_ns, latency_ns);
}

/* The upper bound (ns) of the bucket holding quantile q. */
static double quantile_ns(const uint64_t *h, double q)
{
    uint64_t total = 0, seen = 0;
    for (int b = 0; b < KC_LAT_BUCKETS; b++) total += h[b];
    if (total == 0) return 0;
    for (int b = 0; b < KC_LAT_BUCKETS; b++) {
        seen += h[b];
        if ((double)seen >= q * (double)total) return (double)(INT64_C(1) << b) * 1000.0;
    }
    return 0;
}

/* {sent, acked, failed, processed, unique, duplicates, lost, acked_lost, out_of_order,
 *  first_lost (the smallest lost record, when one is), latency_e2e_p50_ms, latency_e2e_p99_ms, latency_e2e_max_ms, latency_ack_p50_ms, latency_ack_p99_ms} */
cJSON *kafka_ledger_summary(const kc_ledger *l)
{
    uint64_t unique = 0, dups = 0, lost = 0, unacked_lost = 0;
    int64_t first_lost = -1;
    for (int64_t p = 0; p < l->nprod; p++) {
        const kc_stream *s = &l->prod[p];
        for (int64_t i = 0; i < s->next; i++) {
            uint8_t c = s->consumed[i];
            if (c) unique++, dups += c - 1u;
            else if (s->acked[i] && lost++ == 0) first_lost = ((p + 1) << KC_SEQ_BITS) | i;
            else if (!s->acked[i]) unacked_lost++;
        }
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "sent", (double)l->sent);
    cJSON_AddNumberToObject(o, "acked", (double)l->acked);
    cJSON_AddNumberToObject(o, "failed", (double)l->failed);
    cJSON_AddNumberToObject(o, "processed", (double)l->processed);
    cJSON_AddNumberToObject(o, "unique", (double)unique);
    cJSON_AddNumberToObject(o, "duplicates", (double)dups);
    cJSON_AddNumberToObject(o, "lost", (double)lost);
    if (first_lost >= 0) cJSON_AddNumberToObject(o, "first_lost", (double)first_lost);
    cJSON_AddNumberToObject(o, "unacked_missing", (double)unacked_lost);
    cJSON_AddNumberToObject(o, "out_of_order", (double)l->out_of_order);
    cJSON_AddNumberToObject(o, "commits_refused", (double)l->commits_refused);
    cJSON_AddNumberToObject(o, "latency_e2e_p50_ms", quantile_ns(l->lat_e2e, 0.5) / 1e6);
    cJSON_AddNumberToObject(o, "latency_e2e_p99_ms", quantile_ns(l->lat_e2e, 0.99) / 1e6);
    cJSON_AddNumberToObject(o, "latency_e2e_max_ms", (double)l->lat_e2e_max_ns / 1e6);
    cJSON_AddNumberToObject(o, "latency_ack_p50_ms", quantile_ns(l->lat_ack, 0.5) / 1e6);
    cJSON_AddNumberToObject(o, "latency_ack_p99_ms", quantile_ns(l->lat_ack, 0.99) / 1e6);
    return o;
}
