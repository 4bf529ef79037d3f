/*
 * A partition's log on one broker: batches in offset order, in memory and in a
 * write-ahead file on the node's simulated disk. The disk holds one key per
 * record, "w/<12-digit sequence>", in the order the broker wrote them (batch
 * appends of every partition, truncations, topic creations), so an append is an
 * append of the largest key (O(1) in sim/disk.c's sorted array; a key per
 * partition and offset would move every later partition's keys on each append).
 * A restart replays the file in key order. What survives a crash is what was
 * synced: with flush = "always" every append is synced before it is
 * acknowledged or replicated; with "never" (Kafka's default, relying on
 * replication) a crash loses the unsynced tail.
 *
 * Producer state for the idempotent producer: per producer id, the last batch
 * appended (sequence, count, base offset). A batch whose sequence is the last one
 * again is a retry: it is not appended, and the first append's offset answers
 * it. Followers rebuild the same table as they append, so a new leader dedupes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka.h"

/* No implicit padding: the bytes written are exactly the fields (deterministic). */
typedef struct wal_rec {
    int64_t base, pid, seq, v0, ts_ns, epoch;
    int32_t index;
    uint32_t n, nvals;
    char topic[KAFKA_NAME];
    char kind;                 /* 'B' batch, 'T' truncate, 'C' topic created */
    char pad[3];
} wal_rec;
_Static_assert(sizeof(wal_rec) == 6 * 8 + 3 * 4 + KAFKA_NAME + 4, "wal_rec has no padding");

static void wal_write(sim_node *node, kafka_state *st, const wal_rec *r, const int64_t *vals)
{
    char key[32];
    snprintf(key, sizeof(key), "w/%012" PRId64, st->wal_seq++);
    size_t len = sizeof(*r) + r->nvals * sizeof(int64_t);
    uint8_t *buf = malloc(len);
    SIM_ASSERT(buf != NULL);
    memcpy(buf, r, sizeof(*r));
    if (r->nvals) memcpy(buf + sizeof(*r), vals, r->nvals * sizeof(int64_t));
    sim_disk *d = sim_self_disk(node);
    int rc = sim_disk_write(d, key, buf, len);
    SIM_ASSERT(rc == 0);
    free(buf);
    if (st->cfg->flush_always) sim_disk_sync(d);
}

void kafka_log_wal_topic(sim_node *node, kafka_state *st, const char *name, int count)
{
    wal_rec r = { .kind = 'C', .index = count };
    snprintf(r.topic, sizeof(r.topic), "%s", name);
    wal_write(node, st, &r, NULL);
}

static void pid_note(kafka_part *p, const kafka_batch *b)
{
    if (b->pid < 0) return;
    for (size_t i = 0; i < p->npids; i++)
        if (p->pids[i].pid == b->pid) {
            p->pids[i] = (kafka_pid){ b->pid, b->seq, b->n, b->base };
            return;
        }
    p->pids = realloc(p->pids, (p->npids + 1) * sizeof(kafka_pid));
    SIM_ASSERT(p->pids != NULL);
    p->pids[p->npids++] = (kafka_pid){ b->pid, b->seq, b->n, b->base };
}

const kafka_pid *kafka_pid_find(const kafka_part *p, int64_t pid)
{
    for (size_t i = 0; i < p->npids; i++)
        if (p->pids[i].pid == pid) return &p->pids[i];
    return NULL;
}

static void mem_append(kafka_part *p, const kafka_batch *b)
{
    if (p->nlog == p->caplog) {
        p->caplog = p->caplog ? p->caplog * 2 : 64;
        p->log = realloc(p->log, p->caplog * sizeof(kafka_batch));
        SIM_ASSERT(p->log != NULL);
    }
    kafka_batch *dst = &p->log[p->nlog++];
    *dst = *b;
    if (b->vals) {
        dst->vals = malloc(b->n * sizeof(int64_t));
        SIM_ASSERT(dst->vals != NULL);
        memcpy(dst->vals, b->vals, b->n * sizeof(int64_t));
    }
    SIM_ASSERT(b->base == p->leo);
    p->leo = b->base + b->n;
    pid_note(p, b);
}

/* Appends b at the log end (b->base must equal p->leo); returns its base. */
int64_t kafka_log_append(sim_node *node, kafka_state *st, kafka_part *p, const kafka_batch *b)
{
    wal_rec r = { .kind = 'B', .index = p->index, .epoch = b->epoch, .n = b->n, .nvals = b->vals ? b->n : 0,
                  .base = b->base, .pid = b->pid, .seq = b->seq, .v0 = b->v0, .ts_ns = b->ts_ns };
    snprintf(r.topic, sizeof(r.topic), "%s", st->topics[p->topic].name);
    wal_write(node, st, &r, b->vals);
    mem_append(p, b);
    st->appended += b->n;
    return b->base;
}

/* Index of the first batch whose end is past offset (nlog when none). */
size_t kafka_log_find(const kafka_part *p, int64_t offset)
{
    size_t lo = 0, hi = p->nlog;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->log[mid].base + p->log[mid].n <= offset) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void rebuild_pids(kafka_part *p)
{
    p->npids = 0;
    for (size_t i = 0; i < p->nlog; i++) pid_note(p, &p->log[i]);
}

static void mem_truncate(kafka_part *p, int64_t offset)
{
    size_t i = kafka_log_find(p, offset);
    if (i < p->nlog && p->log[i].base < offset) offset = p->log[i].base;   /* whole batches only */
    for (size_t j = i; j < p->nlog; j++) free(p->log[j].vals);
    p->nlog = i;
    p->leo = i ? p->log[i - 1].base + p->log[i - 1].n : 0;
    if (p->hw > p->leo) p->hw = p->leo;
    rebuild_pids(p);
}

/* Drops every batch at or past offset (a follower whose log diverged). */
void kafka_log_truncate(sim_node *node, kafka_state *st, kafka_part *p, int64_t offset)
{
    if (offset >= p->leo) return;
    wal_rec r = { .kind = 'T', .index = p->index, .base = offset };
    snprintf(r.topic, sizeof(r.topic), "%s", st->topics[p->topic].name);
    wal_write(node, st, &r, NULL);
    mem_truncate(p, offset);
    sim_log(node, "truncated %s-%d to %" PRId64, st->topics[p->topic].name, p->index, p->leo);
}

int64_t kafka_log_last_epoch(const kafka_part *p)
{
    return p->nlog ? p->log[p->nlog - 1].epoch : -1;
}

/* The end offset of `epoch` in this log: the base of the first batch of a later
 * epoch, or the log end (KIP-101's OffsetsForLeaderEpoch). */
int64_t kafka_log_epoch_end(const kafka_part *p, int64_t epoch)
{
    for (size_t i = 0; i < p->nlog; i++)
        if (p->log[i].epoch > epoch) return p->log[i].base;
    return p->leo;
}

static void replay_one(sim_node *node, kafka_state *st, const wal_rec *r, const int64_t *vals)
{
    if (r->kind == 'C') {
        if (kafka_topic_find(st, r->topic) < 0) kafka_topic_add(node, st, r->topic, r->index, false);
        return;
    }
    kafka_part *p = kafka_part_of(st, r->topic, r->index);
    if (!p) return;
    if (r->kind == 'T') {
        mem_truncate(p, r->base);
        return;
    }
    if (r->base != p->leo) return;     /* cannot happen with a replayed prefix; keep the log dense */
    kafka_batch b = { .base = r->base, .pid = r->pid, .seq = r->seq, .v0 = r->v0, .ts_ns = r->ts_ns,
                      .vals = r->nvals ? (int64_t *)vals : NULL, .n = r->n, .epoch = r->epoch };
    mem_append(p, &b);
}

void kafka_log_replay(sim_node *node, kafka_state *st)
{
    sim_disk *d = sim_self_disk(node);
    size_t n = sim_disk_count(d);
    for (size_t i = 0; i < n; i++) {
        const char *key = sim_disk_key_at(d, i);
        if (strncmp(key, "w/", 2) != 0) continue;
        size_t len;
        const uint8_t *v = sim_disk_read(d, key, &len);
        wal_rec r;
        if (!v || len < sizeof(r)) continue;
        memcpy(&r, v, sizeof(r));
        if (len != sizeof(r) + r.nvals * sizeof(int64_t)) continue;
        int64_t *vals = NULL;
        if (r.nvals) {
            vals = malloc(r.nvals * sizeof(int64_t));
            SIM_ASSERT(vals != NULL);
            memcpy(vals, v + sizeof(r), r.nvals * sizeof(int64_t));
        }
        replay_one(node, st, &r, vals);
        free(vals);
        st->wal_seq = strtoll(key + 2, NULL, 10) + 1;
    }
}

cJSON *kafka_batch_json(const kafka_batch *b)
{
    cJSON *j = cJSON_CreateObject();
    SIM_ASSERT(j != NULL);
    cJSON_AddNumberToObject(j, "o", (double)b->base);
    cJSON_AddNumberToObject(j, "n", (double)b->n);
    cJSON_AddNumberToObject(j, "e", (double)b->epoch);
    cJSON_AddNumberToObject(j, "pid", (double)b->pid);
    cJSON_AddNumberToObject(j, "s", (double)b->seq);
    cJSON_AddNumberToObject(j, "t", (double)b->ts_ns);
    if (b->vals) {
        cJSON *a = cJSON_AddArrayToObject(j, "vals");
        for (uint32_t i = 0; i < b->n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)b->vals[i]));
    } else {
        cJSON_AddNumberToObject(j, "v", (double)b->v0);
    }
    return j;
}

bool kafka_batch_parse(const cJSON *j, kafka_batch *b)
{
    memset(b, 0, sizeof(*b));
    int64_t n = sim_json_int(j, "n", -1);
    if (n <= 0 || n > 1000000) return false;
    b->n = (uint32_t)n;
    b->base = sim_json_int(j, "o", 0);
    b->epoch = sim_json_int(j, "e", 0);
    b->pid = sim_json_int(j, "pid", -1);
    b->seq = sim_json_int(j, "s", 0);
    b->ts_ns = sim_json_int(j, "t", 0);
    b->v0 = sim_json_int(j, "v", 0);
    const cJSON *vals = cJSON_GetObjectItemCaseSensitive(j, "vals");
    if (!vals) return true;
    if (!cJSON_IsArray(vals) || cJSON_GetArraySize(vals) != (int)n) return false;
    b->vals = malloc((size_t)n * sizeof(int64_t));
    SIM_ASSERT(b->vals != NULL);
    size_t i = 0;
    for (const cJSON *c = vals->child; c; c = c->next) b->vals[i++] = cJSON_IsNumber(c) ? (int64_t)c->valuedouble : 0;
    return true;
}

void kafka_part_free(kafka_part *p)
{
    for (size_t i = 0; i < p->nlog; i++) free(p->log[i].vals);
    free(p->log);
    free(p->waiters);
    free(p->pids);
    p->log = NULL;
    p->waiters = NULL;
    p->pids = NULL;
}
