/*
 * The shuffle and the reduce, worker side. A reducer fetches its bucket of
 * every map task's output from the worker that ran it (the bytes on the wire
 * are the bucket's real size), asks the master where an output went when a
 * fetch times out (its worker died: the master re-runs the map and answers once
 * it is done again, or, with `reexecute = false`, answers "lost" and the bucket
 * is skipped: the wrong answer the switch exists to show). Then sort, reduce,
 * and write the result to HDFS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/mapreduce/mapreduce.h"

static const char *held(const mr_worker *w, uint32_t task, int r)
{
    for (uint32_t i = 0; i < w->nouts; i++) {
        if (w->outs[i].task != task) continue;
        for (int k = 0; w->outs[i].parts[k]; k++)
            if (k == r) return w->outs[i].parts[k];
    }
    return NULL;
}

static void ask_where(sim_node *node, mr_state *st, uint32_t i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "task", i);
    mr_send_typed(node, st->w.master, o, "where", 0);
}

/* Key order is the canonical JSON text's byte order (strings: their bytes). */
static void run_reduce(sim_node *node, mr_state *st)
{
    mr_worker *w = &st->w;
    const char *reduce = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w->spec, "fns"), "reduce"));
    char err[300] = "";
    cJSON *out = mr_group_call(node, "reduce", reduce, w->pairs, err, sizeof(err));
    if (!out) return mr_failed(node, w, err, true);
    size_t cap = 256, len = 0;
    char *text = malloc(cap);
    SIM_ASSERT(text != NULL);
    text[0] = 0;
    const cJSON *p;
    int64_t records = 0;
    cJSON_ArrayForEach(p, out) {
        const cJSON *k = cJSON_GetArrayItem(p, 0);
        char *ks = cJSON_IsString(k) ? strdup(k->valuestring) : sim_json_encode(k);
        char *vs = sim_json_encode(cJSON_GetArrayItem(p, 1));
        size_t need = strlen(ks) + strlen(vs) + 3;
        if (len + need >= cap) {
            cap = 2 * (len + need);
            text = realloc(text, cap);
            SIM_ASSERT(text != NULL);
        }
        len += (size_t)snprintf(text + len, cap - len, "%s\t%s\n", ks, vs);
        free(ks), free(vs);
        records++;
    }
    cJSON_Delete(out);
    w->result = text;
    cJSON_AddNumberToObject(w->spec, "records", (double)records);
    sim_timer_set(node, mr_compute_ns(st->cfg, (uint64_t)w->fetched_bytes_task), "task", w->task);
}

static void add_part(sim_node *node, mr_state *st, uint32_t i, const char *data)
{
    mr_worker *w = &st->w;
    if (i >= w->nsources || w->fetched[i]) return;
    cJSON *items = data ? cJSON_Parse(data) : NULL, *p;
    while ((p = cJSON_DetachItemFromArray(items, 0)) != NULL) cJSON_AddItemToArray(w->pairs, p);
    cJSON_Delete(items);
    if (data) w->fetched_bytes += (int64_t)strlen(data), w->fetched_bytes_task += (int64_t)strlen(data);
    w->fetched[i] = true;
    if (++w->nfetched == w->nsources) run_reduce(node, st);
}

void mr_fetch(sim_node *node, mr_state *st, uint32_t i, int64_t worker)
{
    mr_worker *w = &st->w;
    if (worker == -2) return run_reduce(node, st);               /* no map tasks at all */
    if (worker < 0) return ask_where(node, st, i);
    if ((sim_node_id)worker == sim_self(node)) {
        const char *part = held(w, i, (int)w->task);
        return part ? add_part(node, st, i, part) : ask_where(node, st, i);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "task", i);
    cJSON_AddNumberToObject(o, "r", w->task);
    mr_send_typed(node, (sim_node_id)worker, o, "fetch", 0);
    sim_timer_set(node, st->cfg->hdfs.timeout_ns, "fetch", i);
}

void mr_fetch_timeout(sim_node *node, mr_state *st, uint64_t i)
{
    mr_worker *w = &st->w;
    if (w->busy && w->reduce && i < w->nsources && !w->fetched[i]) ask_where(node, st, (uint32_t)i);
}

static void serve(sim_node *node, mr_state *st, const sim_msg *msg, const cJSON *m)
{
    uint32_t task = (uint32_t)sim_json_int(m, "task", 0);
    int r = (int)sim_json_int(m, "r", 0);
    const char *part = held(&st->w, task, r);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "task", task);
    cJSON_AddNumberToObject(o, "r", r);
    if (part) cJSON_AddStringToObject(o, "data", part);
    mr_send_typed(node, msg->from, o, part ? "fetch_ok" : "fetch_err", part ? strlen(part) + 32 : 0);
}

void mr_shuffle_receive(sim_node *node, mr_state *st, const sim_msg *msg, const cJSON *m, const char *type)
{
    mr_worker *w = &st->w;
    uint32_t i = (uint32_t)sim_json_int(m, "task", 0);
    if (!strcmp(type, "fetch")) return serve(node, st, msg, m);
    bool mine = w->busy && w->reduce && i < w->nsources && !w->fetched[i];
    if (!mine) return;
    if (!strcmp(type, "fetch_ok") && (uint32_t)sim_json_int(m, "r", -1) == w->task)
        add_part(node, st, i, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "data")));
    else if (!strcmp(type, "fetch_err")) ask_where(node, st, i);
    else if (!strcmp(type, "here") && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "lost"))) {
        sim_log(node, "map %u's output is lost and will not be re-run: skipped", i);
        add_part(node, st, i, NULL);
    } else if (!strcmp(type, "here")) mr_fetch(node, st, i, sim_json_int(m, "worker", -1));
}

void mr_reduce_computed(sim_node *node, mr_state *st)
{
    mr_worker *w = &st->w;
    if (!w->result) return;
    if (w->cl.busy) return mr_failed(node, w, "the HDFS client is busy", false);
    w->cl.overwrite = true, w->cl.lines = false;
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w->spec, "output"));
    hdfs_client_start(node, &w->cl, HDFS_OP_WRITE, path ? path : "/out", w->result, strlen(w->result), 0);
}
