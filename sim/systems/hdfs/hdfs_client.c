/*
 * The HDFS client library: one operation at a time per hdfs_client, driven by
 * the messages and timers its owner node passes in (the `client` role of hdfs.c,
 * or a MapReduce worker writing its output). It reads and writes blocks
 * straight from and to the data nodes; the name node only answers where.
 *
 * Write (and append): create (reopen) -> for each block of block_size bytes:
 * add_block -> write_block down the pipeline the name node chose -> write_ack
 * from the first data node (which means all have synced it). A pipeline that
 * times out or acks "not ok" is abandoned and the block asked for again, three
 * times at most. Then complete: the file is acknowledged when complete_ok comes,
 * never before. Read: get (block list, replicas nearest first) -> read_block
 * from the first replica; a checksum mismatch is reported to the name node
 * (bad_block) and the next replica tried; a timeout or a missing block also
 * moves on. A name node that does not answer within `timeout` fails the
 * operation: without a standby that is what its death means.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/hdfs/hdfs.h"

enum { P_IDLE, P_CREATE, P_ADD, P_PIPE, P_COMPLETE, P_GET, P_BLOCK, P_ONE };
static const char *const op_names[] = { "write", "append", "read", "meta", "list", "delete" };

void hdfs_client_init(sim_node *node, hdfs_client *cl, const hdfs_config *cfg, hdfs_done_fn done, void *owner)
{
    memset(cl, 0, sizeof(*cl));
    cl->cfg = cfg, cl->done = done, cl->owner = owner;
    cl->nn = hdfs_namenode_id(node, cfg);
}

static void reset(hdfs_client *cl)
{
    free(cl->path), free(cl->data), free(cl->out);
    cJSON_Delete(cl->done_blocks), cJSON_Delete(cl->res.blocks), cJSON_Delete(cl->res.entries);
    cl->path = cl->data = cl->out = NULL;
    cl->done_blocks = cl->res.blocks = cl->res.entries = NULL;
    cl->outlen = cl->outcap = 0;
}

void hdfs_client_free(hdfs_client *cl)
{
    reset(cl);
}

static void finish(sim_node *node, hdfs_client *cl, bool ok, const char *fmt, ...)
{
    hdfs_result *r = &cl->res;
    r->op = op_names[cl->op], r->path = cl->path, r->ok = ok;
    r->error[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->error, sizeof(r->error), fmt, ap);
        va_end(ap);
    }
    r->data = ok && cl->op == HDFS_OP_READ && !cl->synthetic ? (cl->out ? cl->out : "") : NULL;
    r->latency_ns = sim_now_ns(sim_of(node)) - cl->started_ns;
    cl->busy = false, cl->phase = P_IDLE, cl->req = 0;
    cl->done(node, cl->owner, r);
    if (!cl->busy) reset(cl);                 /* the callback may have started the next op */
}

/* Sends m (type set) with a fresh req and a timeout for it. */
static void request(sim_node *node, hdfs_client *cl, sim_node_id to, cJSON *m, uint64_t wire)
{
    cl->req = ++cl->next_req;
    cJSON_AddNumberToObject(m, "req", (double)cl->req);
    hdfs_send(node, to, m, wire);
    cJSON_Delete(m);
    sim_timer_set(node, cl->cfg->timeout_ns, "hdfs", cl->req);
}

static cJSON *typed(const char *type, const char *path)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    if (path) cJSON_AddStringToObject(m, "path", path);
    return m;
}

static void next_block(sim_node *node, hdfs_client *cl, uint64_t abandon)
{
    if (cl->off >= cl->len) {
        cl->phase = P_COMPLETE;
        cJSON *m = typed("complete", cl->path);
        cJSON_AddItemToObject(m, "blocks", cJSON_Duplicate(cl->done_blocks, true));
        return request(node, cl, cl->nn, m, 0);
    }
    cl->phase = P_ADD;
    cl->blen = cl->len - cl->off < (uint64_t)cl->cfg->block_size ? cl->len - cl->off : (uint64_t)cl->cfg->block_size;
    if (cl->lines && cl->data && cl->off + cl->blen < cl->len) {      /* end the block after its last newline */
        uint64_t cut = cl->blen;
        while (cut > 0 && cl->data[cl->off + cut - 1] != '\n') cut--;
        if (cut > 0) cl->blen = cut;
    }
    cJSON *m = typed("add_block", cl->path);
    if (abandon) cJSON_AddNumberToObject(m, "abandon", (double)abandon);
    request(node, cl, cl->nn, m, 0);
}

static void pipeline(sim_node *node, hdfs_client *cl, const cJSON *m)
{
    cl->block = (uint64_t)sim_json_int(m, "block", 0);
    const cJSON *targets = cJSON_GetObjectItemCaseSensitive(m, "targets");
    char stand_in[64], *payload = stand_in;
    if (cl->data) {
        payload = malloc(cl->blen + 1);
        SIM_ASSERT(payload != NULL);
        memcpy(payload, cl->data + cl->off, cl->blen), payload[cl->blen] = 0;
    } else hdfs_synthetic(stand_in, sizeof(stand_in), cl->block, cl->blen);
    cl->bsum = hdfs_checksum(payload, strlen(payload));
    cJSON *w = typed("write_block", NULL), *rest = cJSON_Duplicate(targets, true);
    sim_node_id first = (sim_node_id)cJSON_GetArrayItem(rest, 0)->valuedouble;
    cJSON_DeleteItemFromArray(rest, 0);
    cJSON_AddNumberToObject(w, "block", (double)cl->block);
    cJSON_AddNumberToObject(w, "len", (double)cl->blen);
    cJSON_AddNumberToObject(w, "sum", cl->bsum);
    cJSON_AddStringToObject(w, "data", payload);
    cJSON_AddItemToObject(w, "pipeline", rest);
    if (payload != stand_in) free(payload);
    cl->phase = P_PIPE;
    request(node, cl, first, w, cl->blen + 64);
}

static void retry_block(sim_node *node, hdfs_client *cl, const char *why)
{
    if (++cl->attempts >= 3) return finish(node, cl, false, "%s: block %llu: %s, 3 pipelines tried", cl->path, (unsigned long long)cl->block, why);
    sim_log(node, "%s: block %llu: %s; asking for another pipeline", cl->path, (unsigned long long)cl->block, why);
    next_block(node, cl, cl->block);
}

static void read_next(sim_node *node, hdfs_client *cl)
{
    const cJSON *b = cJSON_GetArrayItem(cl->done_blocks, (int)cl->bi);
    if (!b) return finish(node, cl, true, NULL);
    const cJSON *locs = cJSON_GetObjectItemCaseSensitive(b, "locs");
    if ((int)cl->ri >= cJSON_GetArraySize(locs))
        return finish(node, cl, false, "%s: block %lld: no good replica left", cl->path, (long long)sim_json_int(b, "id", 0));
    cJSON *m = typed("read_block", NULL);
    cJSON_AddNumberToObject(m, "block", (double)sim_json_int(b, "id", 0));
    cl->phase = P_BLOCK;
    request(node, cl, (sim_node_id)cJSON_GetArrayItem(locs, (int)cl->ri)->valuedouble, m, 0);
}

static void append_out(hdfs_client *cl, const char *data, size_t n)
{
    if (cl->outlen + n + 1 > cl->outcap) {
        cl->outcap = 2 * (cl->outlen + n + 1);
        cl->out = realloc(cl->out, cl->outcap);
        SIM_ASSERT(cl->out != NULL);
    }
    memcpy(cl->out + cl->outlen, data, n);
    cl->outlen += n;
    cl->out[cl->outlen] = 0;
}

static void got_block(sim_node *node, hdfs_client *cl, const sim_msg *msg, const cJSON *m)
{
    const cJSON *b = cJSON_GetArrayItem(cl->done_blocks, (int)cl->bi);
    const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "data"));
    if (data && hdfs_checksum(data, strlen(data)) == (uint32_t)sim_json_int(b, "sum", 0)) {
        if (strncmp(data, "synthetic:", 10) == 0) cl->synthetic = true;
        else append_out(cl, data, strlen(data));
        cl->bi++, cl->ri = 0;
        return read_next(node, cl);
    }
    cJSON *r = typed("bad_block", NULL);               /* tell the name node, try the next replica */
    cJSON_AddNumberToObject(r, "block", (double)sim_json_int(b, "id", 0));
    cJSON_AddNumberToObject(r, "node", msg->from);
    hdfs_send(node, cl->nn, r, 0);
    cJSON_Delete(r);
    sim_log(node, "%s: block %lld from %s fails its checksum; reported", cl->path, (long long)sim_json_int(b, "id", 0),
            sim_node_name(sim_of(node), msg->from));
    cl->ri++;
    read_next(node, cl);
}

/* read_meta: the block list with replica names, for scenarios that look at placement. */
static void meta(sim_node *node, hdfs_client *cl)
{
    cl->res.blocks = cJSON_Duplicate(cl->done_blocks, true);
    cJSON *b;
    cJSON_ArrayForEach(b, cl->res.blocks) {
        cJSON *names = cJSON_CreateArray(), *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(b, "locs"))
            cJSON_AddItemToArray(names, cJSON_CreateString(sim_node_name(sim_of(node), (sim_node_id)l->valuedouble)));
        cJSON_ReplaceItemInObjectCaseSensitive(b, "locs", names);
    }
    finish(node, cl, true, NULL);
}

void hdfs_client_start(sim_node *node, hdfs_client *cl, hdfs_op op, const char *path, const char *data,
                       uint64_t len, int64_t replication)
{
    SIM_ASSERT(!cl->busy);
    reset(cl);
    memset(&cl->res, 0, sizeof(cl->res));
    cl->busy = true, cl->op = op, cl->path = strdup(path), cl->data = data ? strdup(data) : NULL;
    cl->len = len, cl->off = 0, cl->attempts = 0, cl->bi = cl->ri = 0, cl->synthetic = false;
    cl->replication = replication ? replication : cl->cfg->replication;
    cl->started_ns = sim_now_ns(sim_of(node));
    cl->done_blocks = cJSON_CreateArray();
    if (cl->nn == SIM_NODE_NONE) return finish(node, cl, false, "no name node called '%s' (option 'namenode')", cl->cfg->namenode);
    static const char *const first[] = { "create", "reopen", "get", "get", "list", "delete" };
    cJSON *m = typed(first[op], path);
    if (op == HDFS_OP_WRITE) cJSON_AddNumberToObject(m, "replication", (double)cl->replication);
    if (op == HDFS_OP_WRITE && cl->overwrite) cJSON_AddBoolToObject(m, "overwrite", true);
    if (op == HDFS_OP_READ || op == HDFS_OP_META) cJSON_AddStringToObject(m, "rack", cl->cfg->rack);
    cl->phase = op <= HDFS_OP_APPEND ? P_CREATE : op <= HDFS_OP_META ? P_GET : P_ONE;
    request(node, cl, cl->nn, m, 0);
}

static void answer(sim_node *node, hdfs_client *cl, const sim_msg *msg, const cJSON *m, const char *type)
{
    if (!strcmp(type, "error")) {
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "text"));
        return finish(node, cl, false, "%s", text ? text : "error");
    }
    if (cl->phase == P_CREATE) return next_block(node, cl, 0);
    if (cl->phase == P_ADD) return pipeline(node, cl, m);
    if (cl->phase == P_PIPE) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ok"))) return retry_block(node, cl, "a data node refused it");
        cJSON *b = cJSON_CreateArray();
        cJSON_AddItemToArray(b, cJSON_CreateNumber((double)cl->block));
        cJSON_AddItemToArray(b, cJSON_CreateNumber((double)cl->blen));
        cJSON_AddItemToArray(b, cJSON_CreateNumber(cl->bsum));
        cJSON_AddItemToArray(cl->done_blocks, b);
        cl->off += cl->blen, cl->attempts = 0, cl->res.nblocks++;
        return next_block(node, cl, 0);
    }
    if (cl->phase == P_COMPLETE) return cl->res.len = (uint64_t)sim_json_int(m, "len", 0), finish(node, cl, true, NULL);
    if (cl->phase == P_GET) {
        cJSON_Delete(cl->done_blocks);
        cl->done_blocks = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "blocks"), true);
        cl->res.len = (uint64_t)sim_json_int(m, "len", 0);
        cl->res.nblocks = (uint32_t)cJSON_GetArraySize(cl->done_blocks);
        return cl->op == HDFS_OP_META ? meta(node, cl) : read_next(node, cl);
    }
    if (cl->phase == P_BLOCK) {
        if (!strcmp(type, "read_ok")) return got_block(node, cl, msg, m);
        cl->ri++;
        return read_next(node, cl);
    }
    if (cl->op == HDFS_OP_LIST) cl->res.entries = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "entries"), true);
    finish(node, cl, true, NULL);
}

bool hdfs_client_receive(sim_node *node, hdfs_client *cl, const sim_msg *msg, const cJSON *m, const char *type)
{
    static const char *const mine[] = { "error", "create_ok", "reopen_ok", "add_block_ok", "complete_ok", "get_ok",
                                        "list_ok", "delete_ok", "write_ack", "read_ok", "read_err", NULL };
    bool is_mine = false;
    for (int i = 0; mine[i]; i++) is_mine |= !strcmp(mine[i], type);
    if (!is_mine) return false;
    if (!cl->busy || msg->corrupted || (uint64_t)sim_json_int(m, "req", 0) != cl->req) return true;  /* stale */
    answer(node, cl, msg, m, type);
    return true;
}

bool hdfs_client_timer(sim_node *node, hdfs_client *cl, const char *name, uint64_t arg)
{
    if (strcmp(name, "hdfs")) return false;
    if (!cl->busy || arg != cl->req) return true;          /* answered in time */
    if (cl->phase == P_PIPE) retry_block(node, cl, "no ack from the pipeline");
    else if (cl->phase == P_BLOCK) cl->ri++, read_next(node, cl);
    else finish(node, cl, false, "name node %s unavailable: no answer within %lld ms", cl->cfg->namenode,
                (long long)(cl->cfg->timeout_ns / SIM_NS_PER_MS));
    return true;
}
