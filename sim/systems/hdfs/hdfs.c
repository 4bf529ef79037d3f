/*
 * hdfs: an HDFS-style file system as C node programs. One program; the `role`
 * option picks what a node is:
 *
 *   namenode  the namespace (files and their block lists) with an edit log on
 *             its disk, synced before any change is acknowledged; where every
 *             replica is (learnt from block reports, never logged); heartbeats,
 *             dead-node detection and re-replication (hdfs_namenode.c)
 *   datanode  blocks on its disk, synced before acknowledged; the write
 *             pipeline; checksums; serving reads (hdfs_datanode.c)
 *   client    runs file operations a scenario injects, one after another, each
 *             recorded in the history (hdfs_client.c is the library)
 *
 * Messages (JSON; `req` pairs a reply with its request):
 *
 *   client -> nn   create, reopen, add_block, complete, get, list, delete, bad_block
 *   nn -> client   *_ok {req, ...} or error {req, text}
 *   dn -> nn       heartbeat {rack, blocks}, block_report {rack, blocks:[[id,len]]},
 *                  block_received {block, len, sum}, bad_block {block, node}
 *   nn -> dn       replicate {block, targets}, delete_blocks {blocks}, send_report
 *   client -> dn   write_block {block, len, sum, data?, pipeline, req} (dn -> next dn the same)
 *   dn -> up       write_ack {block, req, ok}        (up the pipeline, last dn first)
 *   client -> dn   read_block {block, req} -> read_ok {block, len, sum, data?} or read_err
 *
 * A write, as the client runs it:
 *
 *   CREATE --create_ok--> ADD --add_block_ok{block,targets}--> PIPE --write_ack--> ADD ...
 *                          ^                                    | timeout / not ok
 *                          +------ abandon, new targets --------+   (3 tries a block)
 *   ... last block acked --> COMPLETE --complete_ok--> done (acknowledged)
 *
 * Invariants (checked by the scenarios): (D1) a file whose write was
 * acknowledged reads back byte for byte, across name node restarts (the edit log
 * is synced before create_ok/complete_ok) and data node deaths (each block is on
 * `replication` nodes, each synced before its ack); (D2) after a data node dies,
 * every block returns to its replication factor once the name node has noticed;
 * (D3) a corrupt replica is never served as good: a checksum mismatch is reported
 * and the replica replaced from a good one.
 *
 * Data: a write with bytes stores them (a book); a size-only write stores a
 * stand-in "synthetic:ID:LEN" and sends LEN bytes' worth on the wire, so transfer
 * times follow link bandwidth either way. Simplifications, said plainly: no
 * standby name node (a dead name node means an unavailable file system), no
 * checkpoint (the edit log is replayed from the start), an append adds whole new
 * blocks, leases are not modelled (one writer per file is the caller's job).
 */
#include "sim/systems/hdfs/hdfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"

typedef struct hdfs_state {
    const hdfs_config *cfg;
    hdfs_nn nn;
    hdfs_dn dn;
    hdfs_client cl;
    cJSON *queue, *results;          /* client: injected ops waiting; finished ops */
    uint64_t op_id;                  /* client: the history op in progress */
} hdfs_state;

const char *const hdfs_option_names[] = { "role", "rack", "namenode", "replication", "block_size", "heartbeat",
                                          "dead_after", "block_report", "monitor", "timeout", "streams",
                                          "safemode_pct", NULL };

uint32_t hdfs_checksum(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

int hdfs_synthetic(char *out, size_t cap, uint64_t block, uint64_t len)
{
    return snprintf(out, cap, "synthetic:%llu:%llu", (unsigned long long)block, (unsigned long long)len);
}

sim_node_id hdfs_namenode_id(sim_node *node, const hdfs_config *cfg)
{
    sim_node_id id = SIM_NODE_NONE;
    if (sim_node_find(sim_of(node), cfg->namenode, &id) != 0) return SIM_NODE_NONE;
    return id;
}

void hdfs_send(sim_node *node, sim_node_id to, cJSON *msg, uint64_t wire_bytes)
{
    char *text = sim_json_encode(msg);
    SIM_ASSERT(text != NULL);
    size_t n = strlen(text);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "type"));
    sim_send_sized(node, to, type ? type : "msg", text, n, wire_bytes > n ? wire_bytes : n);
    free(text);
}

void hdfs_implicit_locs(const hdfs_config *c, uint64_t b, sim_node_id out[3])
{
    uint64_t h = sim_mix64(b * 0x9e3779b97f4a7c15ull + 1), R = c->implicit_racks, P = c->implicit_per_rack;
    uint64_t r1 = h % R, r2 = (r1 + 1 + (h >> 24) % (R - 1)) % R;
    uint64_t n1 = (h >> 8) % P, n2 = (h >> 32) % P, n3 = (n2 + 1 + (h >> 48) % (P - 1)) % P;
    out[0] = (sim_node_id)(c->implicit_first + r1 * P + n1);
    out[1] = (sim_node_id)(c->implicit_first + r2 * P + n2);
    out[2] = (sim_node_id)(c->implicit_first + r2 * P + n3);
}

hdfs_nn *hdfs_namenode_of(const sim *s, sim_node_id id)
{
    hdfs_state *st = sim_node_state(s, id);
    return st && st->cfg && st->cfg->role == HDFS_NAMENODE ? &st->nn : NULL;
}

/* ---- configuration ---- */

void hdfs_config_default(hdfs_config *c)
{
    memset(c, 0, sizeof(*c));
    c->role = HDFS_DATANODE;
    snprintf(c->rack, sizeof(c->rack), "/r1");
    snprintf(c->namenode, sizeof(c->namenode), "nn");
    c->replication = 3;
    c->block_size = 64 * 1024;
    c->heartbeat_ns = 3 * SIM_NS_PER_S;
    c->dead_after_ns = 30 * SIM_NS_PER_S;
    c->block_report_ns = 600 * SIM_NS_PER_S;
    c->monitor_ns = 3 * SIM_NS_PER_S;
    c->timeout_ns = 2 * SIM_NS_PER_S;
    c->streams = 4;
    c->safemode_pct = 99;
}

static int string_option(const cJSON *options, const char *key, char *out, size_t cap, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= cap) {
        snprintf(err, errlen, "option '%s' must be a non-empty string of at most %zu characters", key, cap - 1);
        return SIM_EINVAL;
    }
    snprintf(out, cap, "%s", v->valuestring);
    return 0;
}

int hdfs_config_parse(const cJSON *options, hdfs_config *c, char *err, size_t errlen)
{
    const cJSON *role = options ? cJSON_GetObjectItemCaseSensitive(options, "role") : NULL;
    if (role) {
        const char *r = cJSON_GetStringValue(role);
        if (r && !strcmp(r, "namenode")) c->role = HDFS_NAMENODE;
        else if (r && !strcmp(r, "datanode")) c->role = HDFS_DATANODE;
        else if (r && !strcmp(r, "client")) c->role = HDFS_CLIENT;
        else {
            snprintf(err, errlen, "option 'role' must be \"namenode\", \"datanode\" or \"client\"");
            return SIM_EINVAL;
        }
    }
    int rc = string_option(options, "rack", c->rack, sizeof(c->rack), err, errlen);
    if (!rc) rc = string_option(options, "namenode", c->namenode, sizeof(c->namenode), err, errlen);
    if (!rc) rc = sim_option_int(options, "replication", 1, HDFS_MAX_REPLICATION, &c->replication, err, errlen);
    if (!rc) rc = sim_option_int(options, "block_size", 1, INT64_C(1) << 40, &c->block_size, err, errlen);
    if (!rc) rc = sim_option_duration(options, "heartbeat", &c->heartbeat_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "dead_after", &c->dead_after_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "block_report", &c->block_report_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "monitor", &c->monitor_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "timeout", &c->timeout_ns, err, errlen);
    if (!rc) rc = sim_option_int(options, "streams", 1, 1000, &c->streams, err, errlen);
    if (!rc) rc = sim_option_int(options, "safemode_pct", 0, 100, &c->safemode_pct, err, errlen);
    if (!rc && (c->heartbeat_ns <= 0 || c->monitor_ns <= 0 || c->timeout_ns <= 0 ||
                c->dead_after_ns <= c->heartbeat_ns || c->block_report_ns <= 0)) {
        snprintf(err, errlen, "option 'dead_after' must exceed 'heartbeat', and every interval must be > 0");
        rc = SIM_EINVAL;
    }
    return rc;
}

static int configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    hdfs_config c;
    hdfs_config_default(&c);
    int rc = sim_option_check_known(options, hdfs_option_names, err, errlen);
    if (!rc) rc = hdfs_config_parse(options, &c, err, errlen);
    if (rc) return rc;
    return sim_config_copy(&c, sizeof(c), config);
}

/* ---- the client role: injected operations, one at a time ---- */

static void client_next(sim_node *node, hdfs_state *st);

static void client_done(sim_node *node, void *owner, const hdfs_result *r)
{
    hdfs_state *st = owner;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", r->op);
    cJSON_AddStringToObject(o, "path", r->path);
    cJSON_AddBoolToObject(o, "ok", r->ok);
    if (!r->ok) cJSON_AddStringToObject(o, "error", r->error);
    cJSON_AddNumberToObject(o, "len", (double)r->len);
    cJSON_AddNumberToObject(o, "blocks", r->nblocks);
    cJSON_AddNumberToObject(o, "latency_ms", (double)r->latency_ns / 1e6);
    if (r->data) cJSON_AddStringToObject(o, "data", r->data);
    if (r->entries) cJSON_AddItemToObject(o, "entries", cJSON_Duplicate(r->entries, true));
    if (r->blocks) cJSON_AddItemToObject(o, "block_list", cJSON_Duplicate(r->blocks, true));
    char result[300];
    snprintf(result, sizeof(result), "{\"len\":%llu}", (unsigned long long)r->len);
    sim_history_complete(sim_of(node), st->op_id, r->ok ? SIM_OP_OK : SIM_OP_FAIL, r->ok ? result : NULL);
    cJSON_AddItemToArray(st->results, o);
    client_next(node, st);
}

static void client_next(sim_node *node, hdfs_state *st)
{
    cJSON *m = cJSON_DetachItemFromArray(st->queue, 0);
    if (!m) return;
    static const char *const ops[] = { "write", "append", "read", "meta", "list", "delete", NULL };
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "path"));
    const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "data"));
    int op = 0;
    while (ops[op] && strcmp(ops[op], type)) op++;
    uint64_t len = data ? strlen(data) : (uint64_t)sim_json_int(m, "size", 0);
    char args[400];
    snprintf(args, sizeof(args), "{\"path\":\"%.300s\",\"len\":%llu}", path ? path : "", (unsigned long long)len);
    st->op_id = sim_history_invoke(sim_of(node), sim_self(node), type, args);
    st->cl.lines = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "lines"));
    st->cl.overwrite = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "overwrite"));
    hdfs_client_start(node, &st->cl, (hdfs_op)op, path ? path : "", data, len, sim_json_int(m, "replication", 0));
    cJSON_Delete(m);
}

static void client_inject(sim_node *node, hdfs_state *st, const cJSON *m, const char *type)
{
    static const char *const ops[] = { "write", "append", "read", "meta", "list", "delete", NULL };
    bool known = false;
    for (int i = 0; ops[i]; i++) known |= !strcmp(ops[i], type);
    if (!known || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "path"))) {
        sim_log(node, "ignored '%s': a client takes write, append, read, meta, list, delete with a path", type);
        return;
    }
    cJSON_AddItemToArray(st->queue, cJSON_Duplicate(m, true));
    if (!st->cl.busy) client_next(node, st);
}

/* ---- the program ---- */

static void start(sim_node *node, void *state)
{
    hdfs_state *st = state;
    st->cfg = sim_self_config(node);
    if (st->cfg->role == HDFS_NAMENODE) hdfs_nn_start(node, &st->nn, st->cfg);
    else if (st->cfg->role == HDFS_DATANODE) hdfs_dn_start(node, &st->dn, st->cfg);
    else {
        st->queue = cJSON_CreateArray(), st->results = cJSON_CreateArray();
        hdfs_client_init(node, &st->cl, st->cfg, client_done, st);
    }
}

static void receive(sim_node *node, void *state, const sim_msg *msg)
{
    hdfs_state *st = state;
    cJSON *m = sim_json_parse(msg);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
    if (!m || !type) {                       /* damaged in flight: the sender's timeout copes */
        cJSON_Delete(m);
        return;
    }
    if (st->cfg->role == HDFS_NAMENODE) hdfs_nn_receive(node, &st->nn, msg, m, type);
    else if (st->cfg->role == HDFS_DATANODE) hdfs_dn_receive(node, &st->dn, st->cfg, msg, m, type);
    else if (msg->from == SIM_NODE_NONE) client_inject(node, st, m, type);
    else hdfs_client_receive(node, &st->cl, msg, m, type);
    cJSON_Delete(m);
}

static void timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    hdfs_state *st = state;
    if (st->cfg->role == HDFS_NAMENODE) hdfs_nn_timer(node, &st->nn, name);
    else if (st->cfg->role == HDFS_DATANODE) hdfs_dn_timer(node, &st->dn, st->cfg, name);
    else hdfs_client_timer(node, &st->cl, name, arg);
}

static void stop(sim_node *node, void *state)
{
    (void)node;
    hdfs_state *st = state;
    if (st->cfg->role == HDFS_NAMENODE) hdfs_nn_stop(&st->nn);
    hdfs_client_free(&st->cl);
    cJSON_Delete(st->queue), cJSON_Delete(st->results);
}

static const sim_program program = { "hdfs", sizeof(hdfs_state), start, receive, timer, stop };

static cJSON *state_json(const sim *s, sim_node_id id)
{
    hdfs_state *st = sim_node_state(s, id);
    if (!st || !st->cfg) return NULL;
    if (st->cfg->role == HDFS_NAMENODE) return hdfs_nn_state(&st->nn);
    if (st->cfg->role == HDFS_DATANODE) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "written", (double)st->dn.written);
        cJSON_AddNumberToObject(o, "served", (double)st->dn.served);
        cJSON_AddNumberToObject(o, "replicated", (double)st->dn.replicated);
        cJSON_AddNumberToObject(o, "corrupt_seen", (double)st->dn.corrupt_seen);
        cJSON_AddNumberToObject(o, "blocks", (double)sim_disk_count(sim_node_disk(s, id)) / 2);
        return o;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "done", cJSON_Duplicate(st->results, true));
    cJSON_AddBoolToObject(o, "busy", st->cl.busy);
    cJSON_AddNumberToObject(o, "queued", cJSON_GetArraySize(st->queue));
    return o;
}

const sim_system sim_system_hdfs = {
    .name = "hdfs",
    .summary = "an HDFS-style file system: name node with edit log, data nodes, write pipeline, re-replication",
    .program = &program,
    .configure = configure,
    .release = free,
    .state_json = state_json,
};
