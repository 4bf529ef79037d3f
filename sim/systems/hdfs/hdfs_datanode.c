/*
 * The HDFS data node: blocks on the node's disk, the write pipeline, checksums,
 * reads, and the orders of the name node (copy a block elsewhere, delete).
 *
 * Disk layout: "b/ID" holds the block's bytes (for a size-only block, its
 * stand-in "synthetic:ID:LEN"), "m/ID" holds "LEN CHECKSUM" as computed by the
 * writer. A replica is good when the checksum of its bytes equals its meta
 * checksum; bit rot (the scenario's `corrupt_block` fault) changes the bytes, so
 * the next read or copy finds it out. Both keys are synced before the write is
 * acknowledged upstream or reported to the name node: an ack is a promise that
 * the replica survives a crash.
 *
 * A block in the pipeline client -> d1 -> d2 -> d3: each node verifies the
 * checksum, stores and syncs, forwards to the next and remembers the upstream;
 * the last acks at once; each ack travels up one hop at a time, so the client's
 * ack means every node of the pipeline has the block on disk.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/hdfs/hdfs.h"

static void key_of(char *out, size_t cap, char kind, uint64_t block)
{
    snprintf(out, cap, "%c/%012" PRIu64, kind, block);
}

/* An implicit block (benchmarks) this node holds: its stand-in bytes. */
static const char *implicit(sim_node *node, hdfs_dn *dn, uint64_t block, size_t *blen, uint64_t *len, uint32_t *sum)
{
    const hdfs_config *c = dn ? dn->cfg : NULL;
    if (!c || block == 0 || block > c->implicit_blocks) return NULL;
    sim_node_id locs[3];
    hdfs_implicit_locs(c, block, locs);
    if (locs[0] != sim_self(node) && locs[1] != sim_self(node) && locs[2] != sim_self(node)) return NULL;
    *blen = (size_t)hdfs_synthetic(dn->stand_in, sizeof(dn->stand_in), block, c->implicit_len);
    *len = c->implicit_len, *sum = hdfs_checksum(dn->stand_in, *blen);
    return dn->stand_in;
}

/* The block's bytes and meta; NULL when this node does not hold it. */
static const char *load(sim_node *node, hdfs_dn *dn, uint64_t block, size_t *blen, uint64_t *len, uint32_t *sum)
{
    char key[32];
    size_t mlen = 0;
    key_of(key, sizeof(key), 'm', block);
    const char *meta = sim_disk_read(sim_self_disk(node), key, &mlen);
    if (!meta) return implicit(node, dn, block, blen, len, sum);
    char text[64];
    snprintf(text, sizeof(text), "%.*s", (int)(mlen < 63 ? mlen : 63), meta);
    unsigned long long l = 0;
    unsigned long s = 0;
    if (sscanf(text, "%llu %lu", &l, &s) != 2) return NULL;
    *len = l, *sum = (uint32_t)s;
    key_of(key, sizeof(key), 'b', block);
    return sim_disk_read(sim_self_disk(node), key, blen);
}

char *hdfs_dn_read_local(sim_node *node, uint64_t block, uint64_t *len, bool *ok)
{
    size_t blen = 0;
    uint32_t sum = 0;
    const char *data = load(node, NULL, block, &blen, len, &sum);
    *ok = data && hdfs_checksum(data, blen) == sum;
    if (!*ok) return NULL;
    char *copy = malloc(blen + 1);                  /* disk values are bytes, not C strings */
    SIM_ASSERT(copy != NULL);
    memcpy(copy, data, blen), copy[blen] = 0;
    return copy;
}

static void report_bad(sim_node *node, hdfs_dn *dn, uint64_t block)
{
    dn->corrupt_seen++;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "type", "bad_block");
    cJSON_AddNumberToObject(r, "block", (double)block);
    cJSON_AddNumberToObject(r, "node", sim_self(node));
    hdfs_send(node, dn->nn, r, 0);
    cJSON_Delete(r);
}

/* A heartbeat, or a block report of the replicas that pass their checksum (the
 * report doubles as HDFS's block scanner: a bad one is reported instead). */
static void heartbeat(sim_node *node, hdfs_dn *dn, const hdfs_config *cfg, const char *type)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddStringToObject(m, "rack", cfg->rack);
    if (!strcmp(type, "heartbeat")) {
        cJSON_AddNumberToObject(m, "blocks", (double)sim_disk_count(sim_self_disk(node)) / 2);
    } else {
        cJSON *list = cJSON_AddArrayToObject(m, "blocks");
        const sim_disk *d = sim_self_disk(node);
        for (size_t i = 0; i < sim_disk_count(d); i++) {
            const char *k = sim_disk_key_at(d, i);
            if (k[0] != 'm') continue;
            size_t blen;
            uint64_t id = strtoull(k + 2, NULL, 10), len = 0;
            uint32_t sum;
            const char *data = load(node, NULL, id, &blen, &len, &sum);   /* on disk only */
            if (!data) continue;
            if (hdfs_checksum(data, blen) != sum) {      /* the block scanner's find */
                report_bad(node, dn, id);
                continue;
            }
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)id));
            cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)len));
            cJSON_AddItemToArray(list, pair);
        }
    }
    hdfs_send(node, dn->nn, m, 0);
    cJSON_Delete(m);
}

void hdfs_dn_start(sim_node *node, hdfs_dn *dn, const hdfs_config *cfg)
{
    dn->cfg = cfg;
    dn->nn = hdfs_namenode_id(node, cfg);
    if (dn->nn == SIM_NODE_NONE) {
        sim_log(node, "no name node called '%s' (option 'namenode')", cfg->namenode);
        return;
    }
    heartbeat(node, dn, cfg, "block_report");
    /* Spread over one interval, so 42,000 data nodes do not beat in step. */
    sim_timer_set(node, (int64_t)sim_rng_below(sim_self_rng(node), (uint64_t)cfg->heartbeat_ns) + 1, "hb", 0);
    sim_timer_set(node, cfg->block_report_ns, "br", 0);
}

bool hdfs_dn_timer(sim_node *node, hdfs_dn *dn, const hdfs_config *cfg, const char *name)
{
    if (!strcmp(name, "hb")) {
        heartbeat(node, dn, cfg, "heartbeat");
        sim_timer_set(node, cfg->heartbeat_ns, "hb", 0);
    } else if (!strcmp(name, "br")) {
        heartbeat(node, dn, cfg, "block_report");
        sim_timer_set(node, cfg->block_report_ns, "br", 0);
    } else return false;
    return true;
}

static void ack(sim_node *node, sim_node_id to, uint64_t block, uint64_t req, bool ok)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "write_ack");
    cJSON_AddNumberToObject(m, "block", (double)block);
    cJSON_AddNumberToObject(m, "req", (double)req);
    cJSON_AddBoolToObject(m, "ok", ok);
    hdfs_send(node, to, m, 0);
    cJSON_Delete(m);
}

/* Sends a block (bytes from data, blen of them; wire size len) down a pipeline. */
static void send_block(sim_node *node, sim_node_id to, uint64_t block, uint64_t len, uint32_t sum, const char *data,
                       size_t blen, const cJSON *rest, uint64_t req, bool replica)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "write_block");
    cJSON_AddNumberToObject(m, "block", (double)block);
    cJSON_AddNumberToObject(m, "len", (double)len);
    cJSON_AddNumberToObject(m, "sum", sum);
    char *copy = malloc(blen + 1);
    SIM_ASSERT(copy != NULL);
    memcpy(copy, data, blen), copy[blen] = 0;
    cJSON_AddStringToObject(m, "data", copy);
    free(copy);
    cJSON_AddItemToObject(m, "pipeline", rest ? cJSON_Duplicate(rest, true) : cJSON_CreateArray());
    cJSON_AddNumberToObject(m, "req", (double)req);
    if (replica) cJSON_AddBoolToObject(m, "replica", true);
    hdfs_send(node, to, m, len + 64);
    cJSON_Delete(m);
}

static void write_block(sim_node *node, hdfs_dn *dn, const sim_msg *msg, const cJSON *m)
{
    uint64_t block = (uint64_t)sim_json_int(m, "block", 0), len = (uint64_t)sim_json_int(m, "len", 0);
    uint64_t req = (uint64_t)sim_json_int(m, "req", 0);
    uint32_t sum = (uint32_t)sim_json_int(m, "sum", 0);
    const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "data"));
    bool replica = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "replica"));
    if (!data || msg->corrupted || hdfs_checksum(data, strlen(data)) != sum) {
        dn->corrupt_seen++;
        if (!replica) ack(node, msg->from, block, req, false);
        return;
    }
    char key[32], meta[64];
    sim_disk *d = sim_self_disk(node);
    key_of(key, sizeof(key), 'b', block);
    sim_disk_write(d, key, data, strlen(data));
    key_of(key, sizeof(key), 'm', block);
    snprintf(meta, sizeof(meta), "%" PRIu64 " %" PRIu32, len, sum);
    sim_disk_write(d, key, meta, strlen(meta));
    sim_disk_sync(d);                              /* durable before anyone hears of it */
    replica ? dn->replicated++ : dn->written++;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "type", "block_received");
    cJSON_AddNumberToObject(r, "block", (double)block);
    cJSON_AddNumberToObject(r, "len", (double)len);
    cJSON_AddNumberToObject(r, "sum", sum);
    hdfs_send(node, dn->nn, r, 0);
    cJSON_Delete(r);
    const cJSON *pipe = cJSON_GetObjectItemCaseSensitive(m, "pipeline");
    int n = cJSON_GetArraySize(pipe);
    if (replica || n == 0) {
        if (!replica) ack(node, msg->from, block, req, true);
        return;
    }
    cJSON *rest = cJSON_Duplicate(pipe, true);
    sim_node_id next = (sim_node_id)cJSON_GetArrayItem(rest, 0)->valuedouble;
    cJSON_DeleteItemFromArray(rest, 0);
    if (dn->npipes == sizeof(dn->pipes) / sizeof(dn->pipes[0])) dn->npipes--;   /* oldest kept; newest replaced */
    dn->pipes[dn->npipes++] = (dn_pipe){ block, req, msg->from, SIM_NODE_NONE };
    send_block(node, next, block, len, sum, data, strlen(data), rest, req, false);
    cJSON_Delete(rest);
}

/* False when no pipeline of this node waits for it: then it is an ack for the
 * HDFS client embedded on this node (a MapReduce worker writing its output). */
static bool write_ack(sim_node *node, hdfs_dn *dn, const cJSON *m)
{
    uint64_t block = (uint64_t)sim_json_int(m, "block", 0), req = (uint64_t)sim_json_int(m, "req", 0);
    for (uint32_t i = 0; i < dn->npipes; i++) {
        if (dn->pipes[i].block != block || dn->pipes[i].req != req) continue;
        ack(node, dn->pipes[i].upstream, block, req, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok")));
        dn->pipes[i] = dn->pipes[--dn->npipes];
        return true;
    }
    return false;
}

static void read_block(sim_node *node, hdfs_dn *dn, const sim_msg *msg, const cJSON *m)
{
    uint64_t block = (uint64_t)sim_json_int(m, "block", 0), len = 0;
    size_t blen = 0;
    uint32_t sum = 0;
    const char *data = load(node, dn, block, &blen, &len, &sum);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "type", data ? "read_ok" : "read_err");
    cJSON_AddNumberToObject(r, "block", (double)block);
    cJSON_AddNumberToObject(r, "req", (double)sim_json_int(m, "req", 0));
    if (data) {
        char *copy = malloc(blen + 1);
        SIM_ASSERT(copy != NULL);
        memcpy(copy, data, blen), copy[blen] = 0;
        cJSON_AddStringToObject(r, "data", copy);
        free(copy);
        cJSON_AddNumberToObject(r, "len", (double)len);
        cJSON_AddNumberToObject(r, "sum", sum);
        dn->served++;
    }
    hdfs_send(node, msg->from, r, data ? len + 64 : 0);
    cJSON_Delete(r);
}

/* The name node's order: copy a block to targets. A replica that fails its own
 * checksum is reported instead (the name node then picks another source). */
static void replicate(sim_node *node, hdfs_dn *dn, const cJSON *m)
{
    uint64_t block = (uint64_t)sim_json_int(m, "block", 0), len = 0;
    size_t blen = 0;
    uint32_t sum = 0;
    const char *data = load(node, dn, block, &blen, &len, &sum);
    if (!data) return;
    if (hdfs_checksum(data, blen) != sum) return report_bad(node, dn, block);
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(m, "targets"))
        send_block(node, (sim_node_id)t->valuedouble, block, len, sum, data, blen, NULL, 0, true);
}

static void delete_blocks(sim_node *node, const cJSON *m)
{
    const cJSON *b;
    char key[32];
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(m, "blocks")) {
        key_of(key, sizeof(key), 'b', (uint64_t)b->valuedouble);
        sim_disk_remove(sim_self_disk(node), key);
        key_of(key, sizeof(key), 'm', (uint64_t)b->valuedouble);
        sim_disk_remove(sim_self_disk(node), key);
    }
    sim_disk_sync(sim_self_disk(node));
}

/* The scenario's fault: bit rot in one replica (the bytes change, the meta not). */
static void corrupt(sim_node *node, const cJSON *m)
{
    uint64_t block = (uint64_t)sim_json_int(m, "block", 0), len;
    size_t blen = 0;
    uint32_t sum;
    const char *data = load(node, NULL, block, &blen, &len, &sum);
    if (!data || blen == 0) return;
    char *copy = malloc(blen);
    SIM_ASSERT(copy != NULL);
    memcpy(copy, data, blen);
    copy[0] = copy[0] == '#' ? '%' : '#';
    char key[32];
    key_of(key, sizeof(key), 'b', block);
    sim_disk_write(sim_self_disk(node), key, copy, blen);
    sim_disk_sync(sim_self_disk(node));
    free(copy);
}

bool hdfs_dn_receive(sim_node *node, hdfs_dn *dn, const hdfs_config *cfg, const sim_msg *msg, const cJSON *m,
                     const char *type)
{
    if (!strcmp(type, "write_block")) write_block(node, dn, msg, m);
    else if (!strcmp(type, "write_ack")) return write_ack(node, dn, m);
    else if (!strcmp(type, "read_block")) read_block(node, dn, msg, m);
    else if (!strcmp(type, "replicate")) replicate(node, dn, m);
    else if (!strcmp(type, "delete_blocks")) delete_blocks(node, m);
    else if (!strcmp(type, "send_report")) heartbeat(node, dn, cfg, "block_report");
    else if (!strcmp(type, "corrupt_block") && msg->from == SIM_NODE_NONE) corrupt(node, m);
    else return false;
    return true;
}
