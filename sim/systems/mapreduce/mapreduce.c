/*
 * mapreduce: MapReduce as in Dean and Ghemawat (OSDI 2004), over the hdfs
 * system, with the user's map, combine, reduce and partition functions in Lua
 * (sim/userfn.h: they run in the node sandbox with its budget, and an error in
 * one fails the job with its file and line, never the simulator).
 *
 *   role = "master"  one per job chain: splits the input (one map task per HDFS
 *                    block), schedules, detects dead workers (mr_master.c)
 *   role = "worker"  runs one task at a time; it is also an HDFS data node and
 *                    client, so it stores blocks, reads its split and writes
 *                    its reduce output to HDFS (mr_worker.c)
 *
 * A job is a message injected into the master:
 *   {type = "job", input = {"/in/a.txt", ...}, output = "/out/wc"}
 * and the functions are the master's options (map, reduce, combine, partition):
 * the master ships their handles with every task, as Hadoop ships the job jar.
 *
 * Messages: worker -> master  hb {rack, busy}, map_done {task, sizes},
 * reduce_done {task, records}, task_failed {kind, task, error, user}, where {task};
 * master -> worker  map {task, block, len, offset, locs, R, fns},
 * reduce {task, sources:[[map, worker]], output, fns}, here {task, worker | lost};
 * worker -> worker  fetch {task, r} -> fetch_ok {task, r, data}.
 *
 * A task at the master:
 *
 *   PENDING --assigned to an idle worker--> RUNNING --done--> DONE
 *      ^  ^                                  |  |               |
 *      |  +------- its worker died ----------+  | near the end: | its worker died
 *      |                                        v backup copy   | (a map, while
 *      +--------------------------------- (first to finish wins) reduces still need it)
 *
 * Scheduling a map on an idle worker w: a pending task with a replica on w
 * (node-local), else one on w's rack (rack-local), else any (remote); with
 * `locality = false`, simply the next pending task. Reduces start when every
 * map is done. With `reexecute = false` (the switch that shows why the paper
 * re-executes) a dead worker's finished maps are not run again and reducers
 * skip their lost output: the job then finishes with a wrong answer.
 *
 * Invariants: (M1) the job's output equals a sequential run of map and reduce
 * over the input, whatever workers die (checked by the scenarios against a
 * count computed apart); (M2) each map task's output is counted once: a backup
 * or re-execution that finishes second is ignored.
 */
#include "sim/systems/mapreduce/mapreduce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"
#include "sim/userfn.h"

static int handle_option(const cJSON *options, const char *key, char *out, size_t cap, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    if (!sim_userfn_is_handle(cJSON_GetStringValue(v)) || strlen(v->valuestring) >= cap) {
        snprintf(err, errlen, "option '%s' must be a Lua function", key);
        return SIM_EINVAL;
    }
    snprintf(out, cap, "%s", v->valuestring);
    return 0;
}

static int bool_option(const cJSON *options, const char *key, bool *out, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    if (!cJSON_IsBool(v)) {
        snprintf(err, errlen, "option '%s' must be true or false", key);
        return SIM_EINVAL;
    }
    *out = cJSON_IsTrue(v);
    return 0;
}

static int parse(const cJSON *o, mr_config *c, char *err, size_t errlen)
{
    const cJSON *role = o ? cJSON_GetObjectItemCaseSensitive(o, "role") : NULL;
    const char *r = role ? cJSON_GetStringValue(role) : "worker";
    if (!r || (strcmp(r, "master") && strcmp(r, "worker"))) {
        snprintf(err, errlen, "option 'role' must be \"master\" or \"worker\"");
        return SIM_EINVAL;
    }
    c->role = !strcmp(r, "master") ? MR_MASTER : MR_WORKER;
    cJSON *h = cJSON_Duplicate(o, true);
    cJSON_DeleteItemFromObjectCaseSensitive(h, "role");           /* hdfs has its own roles */
    int rc = hdfs_config_parse(h, &c->hdfs, err, errlen);
    cJSON_Delete(h);
    const cJSON *m = o ? cJSON_GetObjectItemCaseSensitive(o, "master") : NULL;
    if (!rc && m) {
        if (!cJSON_IsString(m) || strlen(m->valuestring) >= sizeof(c->master)) rc = SIM_EINVAL;
        else snprintf(c->master, sizeof(c->master), "%s", m->valuestring);
        if (rc) snprintf(err, errlen, "option 'master' must be a node name");
    }
    if (!rc) rc = handle_option(o, "map", c->map, sizeof(c->map), err, errlen);
    if (!rc) rc = handle_option(o, "reduce", c->reduce, sizeof(c->reduce), err, errlen);
    if (!rc) rc = handle_option(o, "combine", c->combine, sizeof(c->combine), err, errlen);
    if (!rc) rc = handle_option(o, "partition", c->partition, sizeof(c->partition), err, errlen);
    if (!rc) rc = sim_option_int(o, "reducers", 1, MR_MAX_REDUCERS, &c->reducers, err, errlen);
    if (!rc) rc = bool_option(o, "locality", &c->locality, err, errlen);
    if (!rc) rc = bool_option(o, "backups", &c->backups, err, errlen);
    if (!rc) rc = bool_option(o, "reexecute", &c->reexecute, err, errlen);
    if (!rc) rc = sim_option_duration(o, "cpu_per_mb", &c->cpu_per_mb_ns, err, errlen);
    if (!rc) rc = sim_option_int(o, "slow", 1, 1000, &c->slow, err, errlen);
    if (!rc) rc = sim_option_duration(o, "worker_heartbeat", &c->worker_heartbeat_ns, err, errlen);
    if (!rc) rc = sim_option_duration(o, "worker_timeout", &c->worker_timeout_ns, err, errlen);
    if (!rc && c->role == MR_MASTER && (!c->map[0] || !c->reduce[0])) {
        snprintf(err, errlen, "option '%s' (a Lua function) is required by the master", c->map[0] ? "reduce" : "map");
        rc = SIM_EINVAL;
    }
    return rc;
}

static int configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const mine[] = { "master", "map", "reduce", "combine", "partition", "reducers", "locality",
                                        "backups", "reexecute", "cpu_per_mb", "slow", "worker_heartbeat",
                                        "worker_timeout" };
    const char *known[64];
    size_t n = 0;
    for (size_t i = 0; hdfs_option_names[i]; i++) known[n++] = hdfs_option_names[i];
    for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) known[n++] = mine[i];
    known[n] = NULL;
    mr_config c;
    memset(&c, 0, sizeof(c));
    hdfs_config_default(&c.hdfs);
    snprintf(c.master, sizeof(c.master), "master");
    c.reducers = 4, c.locality = true, c.backups = true, c.reexecute = true;
    c.cpu_per_mb_ns = 200 * SIM_NS_PER_MS, c.slow = 1;
    c.worker_heartbeat_ns = SIM_NS_PER_S, c.worker_timeout_ns = 3 * SIM_NS_PER_S;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = parse(options, &c, err, errlen);
    if (rc) return rc;
    c.hdfs.role = c.role == MR_WORKER ? HDFS_DATANODE : HDFS_CLIENT;
    return sim_config_copy(&c, sizeof(c), config);
}

/* ---- user code ---- */

typedef struct keyed { char *key; const cJSON *pair; size_t index; } keyed;

static int by_key(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);   /* stable: values keep map order */
}

cJSON *mr_group_call(sim_node *node, const char *what, const char *handle, const cJSON *pairs, char *err,
                     size_t errlen)
{
    size_t n = (size_t)cJSON_GetArraySize(pairs), k = 0;
    keyed *ks = malloc((n ? n : 1) * sizeof(*ks));
    SIM_ASSERT(ks != NULL);
    const cJSON *p;
    cJSON_ArrayForEach(p, pairs) ks[k] = (keyed){ sim_json_encode(cJSON_GetArrayItem(p, 0)), p, k }, k++;
    qsort(ks, n, sizeof(*ks), by_key);
    cJSON *out = cJSON_CreateArray();
    char e[256] = "";
    for (size_t i = 0; i < n && out;) {
        size_t j = i;
        cJSON *args = cJSON_CreateArray(), *values = cJSON_CreateArray();
        cJSON_AddItemToArray(args, cJSON_Duplicate(cJSON_GetArrayItem(ks[i].pair, 0), true));
        for (; j < n && !strcmp(ks[j].key, ks[i].key); j++)
            cJSON_AddItemToArray(values, cJSON_Duplicate(cJSON_GetArrayItem(ks[j].pair, 1), true));
        cJSON_AddItemToArray(args, values);
        cJSON *res = NULL;
        if (sim_userfn_call(node, handle, NULL, args, 0, &res, NULL, e, sizeof(e)) != 0) {
            snprintf(err, errlen, "%s: %s", what, e);
            cJSON_Delete(out), out = NULL;
        } else {
            cJSON *pair = cJSON_CreateArray(), *v = cJSON_GetArrayItem(res, 0);
            cJSON_AddItemToArray(pair, cJSON_Duplicate(cJSON_GetArrayItem(ks[i].pair, 0), true));
            cJSON_AddItemToArray(pair, v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
            cJSON_AddItemToArray(out, pair);
        }
        cJSON_Delete(res), cJSON_Delete(args);
        i = j;
    }
    for (size_t i = 0; i < n; i++) free(ks[i].key);
    free(ks);
    return out;
}

int mr_partition(sim_node *node, const mr_config *cfg, const cJSON *key, char *err, size_t errlen)
{
    if (!cfg->partition[0]) {
        char *text = sim_json_encode(key);
        uint32_t h = hdfs_checksum(text, strlen(text));
        free(text);
        return (int)(h % (uint32_t)cfg->reducers);
    }
    cJSON *args = cJSON_CreateArray(), *res = NULL;
    cJSON_AddItemToArray(args, cJSON_Duplicate(key, true));
    cJSON_AddItemToArray(args, cJSON_CreateNumber((double)cfg->reducers));
    char e[256];
    int rc = sim_userfn_call(node, cfg->partition, NULL, args, 0, &res, NULL, e, sizeof(e));
    cJSON_Delete(args);
    int64_t r = rc == 0 ? (int64_t)cJSON_GetNumberValue(cJSON_GetArrayItem(res, 0)) : 0;
    cJSON_Delete(res);
    if (rc != 0) return snprintf(err, errlen, "partition: %s", e), -1;
    if (r < 1 || r > cfg->reducers) {
        snprintf(err, errlen, "partition: returned %lld, not a reducer number in 1..%lld", (long long)r,
                 (long long)cfg->reducers);
        return -1;
    }
    return (int)(r - 1);
}

/* ---- the program ---- */

static void start(sim_node *node, void *state)
{
    mr_state *st = state;
    st->cfg = sim_self_config(node);
    if (st->cfg->role == MR_MASTER) mr_master_start(node, st);
    else mr_worker_start(node, st);
}

static void receive(sim_node *node, void *state, const sim_msg *msg)
{
    mr_state *st = state;
    cJSON *m = sim_json_parse(msg);
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "type"));
    if (m && type && !msg->corrupted) {
        if (st->cfg->role == MR_MASTER) mr_master_receive(node, st, msg, m, type);
        else mr_worker_receive(node, st, msg, m, type);
    }
    cJSON_Delete(m);
}

static void timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    mr_state *st = state;
    if (st->cfg->role == MR_MASTER) mr_master_timer(node, st, name, arg);
    else mr_worker_timer(node, st, name, arg);
}

static void stop(sim_node *node, void *state)
{
    (void)node;
    mr_state *st = state;
    if (st->cfg->role == MR_MASTER) mr_master_stop(st);
    else mr_worker_stop(st);
}

static const sim_program program = { "mapreduce", sizeof(mr_state), start, receive, timer, stop };

static cJSON *state_json(const sim *s, sim_node_id id)
{
    mr_state *st = sim_node_state(s, id);
    if (!st || !st->cfg) return NULL;
    return st->cfg->role == MR_MASTER ? mr_master_state(st) : mr_worker_state(st);
}

const sim_system sim_system_mapreduce = {
    .name = "mapreduce",
    .summary = "MapReduce over hdfs: locality-aware master, workers that are data nodes, Lua map/reduce, backups",
    .program = &program,
    .configure = configure,
    .release = free,
    .state_json = state_json,
};
