/*
 * A MapReduce worker: one task slot, and an HDFS data node and client on the
 * same machine.
 *
 * Map task: read the block (from this node's own disk when it holds a replica,
 * else from the nearest replica over the network), call map(offset, line) for
 * each line, partition each emitted pair into R buckets, combine each bucket
 * (optional), keep the buckets in memory, which stands for the local disk of the
 * paper (lost with the machine), and report map_done with the byte size of each
 * bucket after the compute time (cpu_per_mb times the input, times `slow`).
 *
 * Reduce task r: fetch bucket r from every map's worker (the shuffle; a fetch
 * that times out asks the master where that output is now), sort by key, call
 * reduce(key, values) once per key, write "key<TAB>value" lines to HDFS as
 * OUTPUT/part-0000r (first replica on this node), report reduce_done.
 *
 * A user function's error fails the task with user=true and the function's
 * "file:line: message", which fails the job: re-running a broken reduce on
 * another machine would only break it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/mapreduce/mapreduce.h"
#include "sim/userfn.h"

#define READ_REQ_BASE (UINT64_C(1) << 40)      /* block reads; the hdfs client's reqs stay below */

void mr_send_typed(sim_node *node, sim_node_id to, cJSON *o, const char *type, uint64_t wire)
{
    cJSON_AddStringToObject(o, "type", type);
    hdfs_send(node, to, o, wire);
    cJSON_Delete(o);
}

void mr_idle(sim_node *node, mr_worker *w)
{
    w->busy = false;
    cJSON_Delete(w->spec), w->spec = NULL;
    cJSON_Delete(w->pairs), w->pairs = NULL;
    free(w->fetched), w->fetched = NULL;
    free(w->result), w->result = NULL;
    sim_annotate(node, "task", "");
}

void mr_failed(sim_node *node, mr_worker *w, const char *error, bool user)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", w->reduce ? "reduce" : "map");
    cJSON_AddNumberToObject(o, "task", w->task);
    cJSON_AddStringToObject(o, "error", error);
    cJSON_AddBoolToObject(o, "user", user);
    mr_send_typed(node, w->master, o, "task_failed", 0);
    mr_idle(node, w);
}

int64_t mr_compute_ns(const mr_config *cfg, uint64_t bytes)
{
    return (int64_t)((double)bytes * (double)cfg->cpu_per_mb_ns / 1048576.0) * cfg->slow + 1;
}

static const char *fn(const mr_worker *w, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w->spec, "fns"), name));
}

/* Calls map on every line; the emitted pairs go to their partitions. */
static bool map_lines(sim_node *node, mr_state *st, const char *data, cJSON **parts, char *err, size_t errlen)
{
    mr_worker *w = &st->w;
    mr_config c = *st->cfg;
    snprintf(c.partition, sizeof(c.partition), "%s", fn(w, "partition") ? fn(w, "partition") : "");
    c.reducers = sim_json_int(cJSON_GetObjectItemCaseSensitive(w->spec, "fns"), "R", 1);
    int64_t offset = sim_json_int(w->spec, "offset", 0);
    for (const char *p = data; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *args = cJSON_CreateArray(), *res = NULL;
        cJSON_AddItemToArray(args, cJSON_CreateNumber((double)(offset + (p - data))));
        char *line = strndup(p, n);
        cJSON_AddItemToArray(args, cJSON_CreateString(line));
        free(line);
        char e[256];
        int rc = sim_userfn_call(node, fn(w, "map"), NULL, args, 0, &res, NULL, e, sizeof(e));
        cJSON_Delete(args);
        const cJSON *out = rc == 0 ? cJSON_GetArrayItem(res, 0) : NULL, *pair;
        if (rc != 0) snprintf(err, errlen, "map: %s", e);
        else if (out && !cJSON_IsArray(out) && !(cJSON_IsObject(out) && !out->child)) {
            snprintf(err, errlen, "map: must return a list of {key, value} pairs");
            rc = -1;
        }
        const cJSON *emitted = rc == 0 ? out : NULL;
        cJSON_ArrayForEach(pair, emitted) {
            int r = cJSON_GetArraySize(pair) == 2 ? mr_partition(node, &c, cJSON_GetArrayItem(pair, 0), err, errlen) : -2;
            if (r == -2) snprintf(err, errlen, "map: each emitted pair must be {key, value}");
            if (r < 0) { rc = -1; break; }
            cJSON_AddItemToArray(parts[r], cJSON_Duplicate(pair, true));
        }
        cJSON_Delete(res);
        if (rc != 0) return false;
        p = nl ? nl + 1 : p + n;
    }
    return true;
}

static void keep_output(mr_worker *w, char **parts)
{
    for (uint32_t i = 0; i < w->nouts; i++) {
        if (w->outs[i].task != w->task) continue;
        for (int r = 0; w->outs[i].parts[r]; r++) free(w->outs[i].parts[r]);
        free(w->outs[i].parts);
        w->outs[i].parts = parts;
        return;
    }
    if (w->nouts == w->capouts) {
        w->capouts = w->capouts ? 2 * w->capouts : 16;
        w->outs = realloc(w->outs, w->capouts * sizeof(*w->outs));
        SIM_ASSERT(w->outs != NULL);
    }
    w->outs[w->nouts++] = (mr_output){ w->task, parts };
}

static void run_map(sim_node *node, mr_state *st, const char *data, uint64_t len)
{
    mr_worker *w = &st->w;
    int R = (int)sim_json_int(cJSON_GetObjectItemCaseSensitive(w->spec, "fns"), "R", 1);
    cJSON **parts = calloc((size_t)R, sizeof(*parts));
    SIM_ASSERT(parts != NULL);
    for (int r = 0; r < R; r++) parts[r] = cJSON_CreateArray();
    char err[300] = "";
    bool ok = strncmp(data, "synthetic:", 10) == 0 || map_lines(node, st, data, parts, err, sizeof(err));
    const char *combine = fn(w, "combine");
    for (int r = 0; r < R && ok && combine && combine[0]; r++) {
        cJSON *c = mr_group_call(node, "combine", combine, parts[r], err, sizeof(err));
        ok = c != NULL;
        cJSON_Delete(parts[r]);
        parts[r] = c ? c : cJSON_CreateArray();
    }
    char **texts = calloc((size_t)R + 1, sizeof(*texts));
    SIM_ASSERT(texts != NULL);
    for (int r = 0; r < R; r++) texts[r] = sim_json_encode(parts[r]), cJSON_Delete(parts[r]);
    free(parts);
    if (!ok) {
        for (int r = 0; r < R; r++) free(texts[r]);
        free(texts);
        return mr_failed(node, w, err, true);
    }
    w->parts = texts;
    sim_timer_set(node, mr_compute_ns(st->cfg, len), "task", w->task);
}

static void read_next(sim_node *node, mr_state *st)
{
    mr_worker *w = &st->w;
    const cJSON *locs = cJSON_GetObjectItemCaseSensitive(w->spec, "locs");
    uint64_t block = (uint64_t)sim_json_int(w->spec, "block", 0), len = 0;
    if ((int)w->ri >= cJSON_GetArraySize(locs)) return mr_failed(node, w, "no replica of the block could be read", false);
    sim_node_id at = (sim_node_id)cJSON_GetArrayItem(locs, (int)w->ri)->valuedouble;
    if (at == sim_self(node)) {
        bool ok;
        char *data = hdfs_dn_read_local(node, block, &len, &ok);
        if (!ok) return w->ri++, read_next(node, st);
        w->local_bytes += (int64_t)len;
        run_map(node, st, data, len);
        free(data);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "block", (double)block);
    w->read_req = (w->read_req < READ_REQ_BASE ? READ_REQ_BASE : w->read_req) + 1;
    cJSON_AddNumberToObject(o, "req", (double)w->read_req);
    mr_send_typed(node, at, o, "read_block", 0);
    sim_timer_set(node, st->cfg->hdfs.timeout_ns, "read", w->read_req);
}

static void got_block(sim_node *node, mr_state *st, const cJSON *m, const char *type)
{
    mr_worker *w = &st->w;
    const char *data = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "data"));
    w->read_req++;                                  /* later answers to this read are stale */
    if (strcmp(type, "read_ok") || !data || hdfs_checksum(data, strlen(data)) != (uint32_t)sim_json_int(m, "sum", 0))
        return w->ri++, read_next(node, st);
    uint64_t len = (uint64_t)sim_json_int(m, "len", 0);
    w->remote_bytes += (int64_t)len;
    run_map(node, st, data, len);
}

static void start_task(sim_node *node, mr_state *st, const cJSON *m, bool reduce)
{
    mr_worker *w = &st->w;
    if (w->busy) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", reduce ? "reduce" : "map");
        cJSON_AddNumberToObject(o, "task", (double)sim_json_int(m, "task", 0));
        cJSON_AddStringToObject(o, "error", "worker busy");
        return mr_send_typed(node, w->master, o, "task_failed", 0);
    }
    w->busy = true, w->reduce = reduce, w->task = (uint32_t)sim_json_int(m, "task", 0);
    w->spec = cJSON_Duplicate(m, true);
    w->ri = 0;
    char text[40];
    snprintf(text, sizeof(text), "%s %u", reduce ? "reduce" : "map", w->task);
    sim_annotate(node, "task", text);
    if (!reduce) return read_next(node, st);
    w->pairs = cJSON_CreateArray();
    w->fetched_bytes_task = 0;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(m, "sources"), *p;
    w->nsources = (uint32_t)cJSON_GetArraySize(src), w->nfetched = 0;
    w->fetched = calloc(w->nsources + 1, sizeof(bool));
    SIM_ASSERT(w->fetched != NULL);
    cJSON_ArrayForEach(p, src)
        mr_fetch(node, st, (uint32_t)cJSON_GetArrayItem(p, 0)->valuedouble, (int64_t)cJSON_GetArrayItem(p, 1)->valuedouble);
    if (w->nsources == 0) mr_fetch(node, st, 0, -2);
}

void mr_worker_receive(sim_node *node, mr_state *st, const sim_msg *msg, const cJSON *m, const char *type)
{
    mr_worker *w = &st->w;
    if (hdfs_dn_receive(node, &w->dn, &st->cfg->hdfs, msg, m, type)) return;
    bool block_answer = !strcmp(type, "read_ok") || !strcmp(type, "read_err");
    if (block_answer && w->busy && !w->reduce && w->read_req && (uint64_t)sim_json_int(m, "req", 0) == w->read_req)
        return got_block(node, st, m, type);
    if (hdfs_client_receive(node, &w->cl, msg, m, type)) return;
    if (!strcmp(type, "map")) start_task(node, st, m, false);
    else if (!strcmp(type, "reduce")) start_task(node, st, m, true);
    else mr_shuffle_receive(node, st, msg, m, type);
}

static void heartbeat(sim_node *node, mr_state *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "rack", st->cfg->hdfs.rack);
    cJSON_AddBoolToObject(o, "busy", st->w.busy);
    mr_send_typed(node, st->w.master, o, "hb", 0);
}

void mr_worker_timer(sim_node *node, mr_state *st, const char *name, uint64_t arg)
{
    mr_worker *w = &st->w;
    if (hdfs_dn_timer(node, &w->dn, &st->cfg->hdfs, name) || hdfs_client_timer(node, &w->cl, name, arg)) return;
    if (!strcmp(name, "mrhb")) {
        heartbeat(node, st);
        sim_timer_set(node, st->cfg->worker_heartbeat_ns, "mrhb", 0);
    } else if (!strcmp(name, "read") && w->busy && !w->reduce && arg == w->read_req) {
        w->read_req++, w->ri++;
        read_next(node, st);
    } else if (!strcmp(name, "fetch")) mr_fetch_timeout(node, st, arg);
    else if (!strcmp(name, "task") && w->busy && arg == w->task && w->reduce) mr_reduce_computed(node, st);
    else if (!strcmp(name, "task") && w->busy && arg == w->task && w->parts) {
        cJSON *o = cJSON_CreateObject(), *sizes = cJSON_AddArrayToObject(o, "sizes");
        for (int r = 0; w->parts[r]; r++) cJSON_AddItemToArray(sizes, cJSON_CreateNumber((double)strlen(w->parts[r])));
        cJSON_AddNumberToObject(o, "task", w->task);
        keep_output(w, w->parts);
        w->parts = NULL;
        w->maps_run++;
        mr_send_typed(node, w->master, o, "map_done", 0);
        mr_idle(node, w);
    }
}

static void write_done(sim_node *node, void *owner, const hdfs_result *r)
{
    mr_state *st = owner;
    mr_worker *w = &st->w;
    if (!w->busy || !w->reduce) return;
    if (!r->ok) return mr_failed(node, w, r->error, false);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "task", w->task);
    cJSON_AddNumberToObject(o, "records", (double)sim_json_int(w->spec, "records", 0));
    w->reduces_run++;
    mr_send_typed(node, w->master, o, "reduce_done", 0);
    mr_idle(node, w);
}

void mr_worker_start(sim_node *node, mr_state *st)
{
    mr_worker *w = &st->w;
    hdfs_dn_start(node, &w->dn, &st->cfg->hdfs);
    hdfs_client_init(node, &w->cl, &st->cfg->hdfs, write_done, st);
    if (sim_node_find(sim_of(node), st->cfg->master, &w->master) != 0) {
        sim_log(node, "no master called '%s' (option 'master')", st->cfg->master);
        w->master = SIM_NODE_NONE;
        return;
    }
    heartbeat(node, st);
    sim_timer_set(node, st->cfg->worker_heartbeat_ns, "mrhb", 0);
}

void mr_worker_stop(mr_state *st)
{
    mr_worker *w = &st->w;
    for (uint32_t i = 0; i < w->nouts; i++) {
        for (int r = 0; w->outs[i].parts[r]; r++) free(w->outs[i].parts[r]);
        free(w->outs[i].parts);
    }
    free(w->outs);
    if (w->parts) {
        for (int r = 0; w->parts[r]; r++) free(w->parts[r]);
        free(w->parts);
    }
    cJSON_Delete(w->spec), cJSON_Delete(w->pairs);
    free(w->fetched), free(w->result);
    hdfs_client_free(&w->cl);
}

cJSON *mr_worker_state(const mr_state *st)
{
    const mr_worker *w = &st->w;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "busy", w->busy);
    cJSON_AddNumberToObject(o, "maps_run", (double)w->maps_run);
    cJSON_AddNumberToObject(o, "reduces_run", (double)w->reduces_run);
    cJSON_AddNumberToObject(o, "local_bytes", (double)w->local_bytes);
    cJSON_AddNumberToObject(o, "remote_bytes", (double)w->remote_bytes);
    cJSON_AddNumberToObject(o, "fetched_bytes", (double)w->fetched_bytes);
    cJSON_AddNumberToObject(o, "outputs_held", w->nouts);
    return o;
}
