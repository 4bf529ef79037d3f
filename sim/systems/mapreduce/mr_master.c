/*
 * The MapReduce master: splits the job's input into one map task per HDFS
 * block (asking the name node where each block's replicas are), hands tasks to
 * idle workers with locality first, launches backup copies near the end,
 * notices dead workers by their silence and re-runs what they held. Its state
 * is in memory only: if the master dies the job dies with it (as in the paper's
 * implementation: "the client can check for this condition and retry").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/mapreduce/mapreduce.h"

enum { MP_IDLE, MP_META, MP_MAP, MP_REDUCE, MP_DONE, MP_FAILED };
static const char *const phase_names[] = { "idle", "reading input", "map", "reduce", "done", "failed" };

static void schedule_all(sim_node *node, mr_state *st);

static void fail_job(sim_node *node, mr_master *m, const char *fmt, const char *text)
{
    if (m->phase == MP_DONE || m->phase == MP_FAILED) return;
    snprintf(m->error, sizeof(m->error), fmt, text);
    m->phase = MP_FAILED;
    m->finished_ns = sim_now_ns(sim_of(node));
    sim_log(node, "job failed: %s", m->error);
    sim_annotate(node, "job", "failed");
}

static mr_wk *worker_of(mr_master *m, sim_node_id id)
{
    for (uint32_t i = 0; i < m->nworkers; i++)
        if (m->workers[i].id == id) return &m->workers[i];
    return NULL;
}

static mr_wk *worker_seen(sim_node *node, mr_master *m, sim_node_id id, const char *rack)
{
    mr_wk *w = worker_of(m, id);
    if (!w) {
        if (m->nworkers == m->capworkers) {
            m->capworkers = m->capworkers ? 2 * m->capworkers : 16;
            m->workers = realloc(m->workers, m->capworkers * sizeof(*m->workers));
            SIM_ASSERT(m->workers != NULL);
        }
        w = &m->workers[m->nworkers++];
        memset(w, 0, sizeof(*w));
        w->id = id;
    }
    if (rack) snprintf(w->rack, sizeof(w->rack), "%s", rack);
    w->last_ns = sim_now_ns(sim_of(node));
    w->dead = false;
    return w;
}

static cJSON *fns(const mr_config *cfg)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "map", cfg->map);
    cJSON_AddStringToObject(f, "reduce", cfg->reduce);
    cJSON_AddStringToObject(f, "combine", cfg->combine);
    cJSON_AddStringToObject(f, "partition", cfg->partition);
    cJSON_AddNumberToObject(f, "R", (double)cfg->reducers);
    return f;
}

static void send_map(sim_node *node, mr_state *st, uint32_t i, mr_wk *w)
{
    mr_task *t = &st->m.maps[i];
    cJSON *o = cJSON_CreateObject(), *locs = cJSON_AddArrayToObject(o, "locs");
    cJSON_AddStringToObject(o, "type", "map");
    cJSON_AddNumberToObject(o, "task", i);
    cJSON_AddNumberToObject(o, "block", (double)t->block);
    cJSON_AddNumberToObject(o, "len", (double)t->len);
    cJSON_AddNumberToObject(o, "offset", (double)t->offset);
    for (int k = 0; k < t->nlocs; k++) if (t->locs[k] == w->id) cJSON_AddItemToArray(locs, cJSON_CreateNumber(w->id));
    for (int k = 0; k < t->nlocs; k++) if (t->locs[k] != w->id) cJSON_AddItemToArray(locs, cJSON_CreateNumber(t->locs[k]));
    cJSON_AddItemToObject(o, "fns", fns(st->cfg));
    hdfs_send(node, w->id, o, 0);
    cJSON_Delete(o);
}

static void send_reduce(sim_node *node, mr_state *st, uint32_t r, mr_wk *w)
{
    cJSON *o = cJSON_CreateObject(), *src = cJSON_AddArrayToObject(o, "sources");
    cJSON_AddStringToObject(o, "type", "reduce");
    cJSON_AddNumberToObject(o, "task", r);
    for (uint32_t i = 0; i < st->m.nmaps; i++) {
        cJSON *p = cJSON_CreateArray();
        cJSON_AddItemToArray(p, cJSON_CreateNumber(i));
        cJSON_AddItemToArray(p, cJSON_CreateNumber(st->m.maps[i].state == T_DONE ? (double)st->m.maps[i].worker : -1));
        cJSON_AddItemToArray(src, p);
    }
    char path[260];
    snprintf(path, sizeof(path), "%s/part-%05u", st->m.output, r);
    cJSON_AddStringToObject(o, "output", path);
    cJSON_AddItemToObject(o, "fns", fns(st->cfg));
    hdfs_send(node, w->id, o, 0);
    cJSON_Delete(o);
}

/* 0 node-local, 1 rack-local, 2 remote. */
static int distance(mr_master *m, const mr_task *t, const mr_wk *w)
{
    int best = 2;
    for (int k = 0; k < t->nlocs; k++) {
        if (t->locs[k] == w->id) return 0;
        mr_wk *o = worker_of(m, t->locs[k]);
        if (o && !strcmp(o->rack, w->rack)) best = 1;
    }
    return best;
}

/* The task for idle worker w among n of tasks: pending (nearest first) or a backup. */
static int64_t choose(sim_node *node, mr_state *st, mr_task *tasks, uint32_t n, mr_wk *w, bool maps, bool *backup)
{
    int64_t pick = -1;
    int best = 3;
    for (uint32_t i = 0; i < n && best > 0; i++) {
        if (tasks[i].state != T_PENDING) continue;
        int d = maps && st->cfg->locality ? distance(&st->m, &tasks[i], w) : 0;
        if (d < best) best = d, pick = i;
    }
    *backup = false;
    if (pick >= 0 || !st->cfg->backups) return pick;
    /* Near the end: a second copy of a task running 1.5 times longer than the
     * finished ones took on average (a straggler, not merely the last task). */
    int k = maps ? 0 : 1;
    if (st->m.tasks_timed[k] == 0) return -1;
    int64_t late = st->m.task_ns[k] / st->m.tasks_timed[k] * 3 / 2, now = sim_now_ns(sim_of(node));
    for (uint32_t i = 0; i < n; i++) {
        mr_task *t = &tasks[i];
        if (t->state == T_RUNNING && !t->backed_up && t->copies == 1 && t->worker != w->id && now - t->started_ns > late) {
            *backup = true;
            return i;
        }
    }
    return -1;
}

static void schedule(sim_node *node, mr_state *st, mr_wk *w)
{
    mr_master *m = &st->m;
    if (w->dead || w->busy || (m->phase != MP_MAP && m->phase != MP_REDUCE)) return;
    bool backup, maps = m->maps_done < m->nmaps;
    mr_task *tasks = maps ? m->maps : m->reduces;
    int64_t i = choose(node, st, tasks, maps ? m->nmaps : (uint32_t)st->cfg->reducers, w, maps, &backup);
    if (i < 0) return;
    mr_task *t = &tasks[i];
    if (backup) t->backed_up = true, t->worker2 = w->id, m->backups++;
    else t->worker = w->id, t->started_ns = sim_now_ns(sim_of(node));
    t->state = T_RUNNING, t->copies++, t->attempts++;
    w->busy = true;
    if (maps) {
        int d = distance(m, t, w);
        d == 0 ? m->node_local++ : d == 1 ? m->rack_local++ : m->remote++;
        m->map_attempts++;
        send_map(node, st, (uint32_t)i, w);
    } else {
        m->reduce_attempts++;
        send_reduce(node, st, (uint32_t)i, w);
    }
}

static void schedule_all(sim_node *node, mr_state *st)
{
    for (uint32_t i = 0; i < st->m.nworkers; i++) schedule(node, st, &st->m.workers[i]);
}

static void add_tasks(sim_node *node, mr_master *m, const hdfs_result *r)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, r->blocks) {
        if (m->nmaps == m->capmaps) {
            m->capmaps = m->capmaps ? 2 * m->capmaps : 64;
            m->maps = realloc(m->maps, m->capmaps * sizeof(*m->maps));
            SIM_ASSERT(m->maps != NULL);
        }
        mr_task *t = &m->maps[m->nmaps++];
        memset(t, 0, sizeof(*t));
        t->worker = t->worker2 = SIM_NODE_NONE;
        t->block = (uint64_t)sim_json_int(b, "id", 0), t->len = (uint64_t)sim_json_int(b, "len", 0);
        t->offset = m->input_offset;
        m->input_offset += t->len, m->input_bytes += (int64_t)t->len;
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(b, "locs")) {
            sim_node_id id;
            if (t->nlocs < HDFS_MAX_LOCS && sim_node_find(sim_of(node), l->valuestring, &id) == 0) t->locs[t->nlocs++] = id;
        }
    }
}

/* The hdfs client's answer about one input file. */
static void meta_done(sim_node *node, void *owner, const hdfs_result *r)
{
    mr_state *st = owner;
    mr_master *m = &st->m;
    if (m->phase != MP_META) return;
    if (!r->ok) return fail_job(node, m, "input %s", r->error);
    add_tasks(node, m, r);
    const cJSON *next = cJSON_GetArrayItem(m->inputs, ++m->next_input);
    if (next) return hdfs_client_start(node, &m->cl, HDFS_OP_META, next->valuestring, NULL, 0, 0);
    if (m->nmaps == 0) return fail_job(node, m, "input: %s", "the input files hold no data");
    m->phase = MP_MAP;
    sim_annotate(node, "job", "map");
    schedule_all(node, st);
}

static void begin(sim_node *node, mr_state *st, const cJSON *job)
{
    mr_master *m = &st->m;
    if (m->phase != MP_IDLE) return sim_log(node, "a job is already running; ignored");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(job, "input");
    const char *out = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(job, "output"));
    m->started_ns = sim_now_ns(sim_of(node));
    m->inputs = cJSON_IsString(in) ? cJSON_CreateStringArray((const char *const[]){ in->valuestring }, 1)
                                   : cJSON_Duplicate(in, true);
    const cJSON *p;
    bool ok = cJSON_IsArray(m->inputs) && cJSON_GetArraySize(m->inputs) > 0;
    cJSON_ArrayForEach(p, m->inputs) ok &= cJSON_IsString(p) && p->valuestring[0] == '/';
    if (!ok) return fail_job(node, m, "job field 'input' must be a path or a list of paths starting with '/'%s", "");
    if (!out || out[0] != '/') return fail_job(node, m, "job field 'output' must be a path starting with '/'%s", "");
    snprintf(m->output, sizeof(m->output), "%s", out);
    m->phase = MP_META;
    hdfs_client_start(node, &m->cl, HDFS_OP_META, cJSON_GetArrayItem(m->inputs, 0)->valuestring, NULL, 0, 0);
}

/* A reducer waiting for map task `task`: tell it where the output is (or that it is lost). */
static void answer_where(sim_node *node, mr_state *st, uint32_t task, sim_node_id reducer)
{
    mr_task *t = &st->m.maps[task];
    mr_wk *w = t->state == T_DONE ? worker_of(&st->m, t->worker) : NULL;
    bool lost = !st->cfg->reexecute && t->state == T_DONE && w && w->dead;
    if (!lost && (t->state != T_DONE || !w || w->dead)) {
        cJSON *p = cJSON_CreateArray();
        cJSON_AddItemToArray(p, cJSON_CreateNumber(task));
        cJSON_AddItemToArray(p, cJSON_CreateNumber(reducer));
        cJSON_AddItemToArray(st->m.waiting, p);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "here");
    cJSON_AddNumberToObject(o, "task", task);
    if (lost) cJSON_AddBoolToObject(o, "lost", true);
    else cJSON_AddNumberToObject(o, "worker", t->worker);
    hdfs_send(node, reducer, o, 0);
    cJSON_Delete(o);
}

static void wake_waiting(sim_node *node, mr_state *st)
{
    cJSON *old = st->m.waiting, *p;
    st->m.waiting = cJSON_CreateArray();
    cJSON_ArrayForEach(p, old)
        answer_where(node, st, (uint32_t)cJSON_GetArrayItem(p, 0)->valuedouble, (sim_node_id)cJSON_GetArrayItem(p, 1)->valuedouble);
    cJSON_Delete(old);
}

static void task_done(sim_node *node, mr_state *st, sim_node_id from, const cJSON *msg, bool map)
{
    mr_master *m = &st->m;
    uint32_t i = (uint32_t)sim_json_int(msg, "task", 0);
    if (i >= (map ? m->nmaps : (uint32_t)st->cfg->reducers)) return;
    mr_task *t = map ? &m->maps[i] : &m->reduces[i];
    if (t->state == T_DONE) return;                         /* the slower copy: ignored (M2) */
    if (t->backed_up && from == t->worker2) m->backup_wins++;
    else m->task_ns[map ? 0 : 1] += sim_now_ns(sim_of(node)) - t->started_ns, m->tasks_timed[map ? 0 : 1]++;
    t->state = T_DONE, t->worker = from, t->copies = 0;
    if (map) {
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(msg, "sizes")) m->shuffle_bytes += (int64_t)s->valuedouble;
        m->maps_done++;
        wake_waiting(node, st);
        if (m->maps_done == m->nmaps && m->phase == MP_MAP) m->phase = MP_REDUCE, sim_annotate(node, "job", "reduce");
    } else {
        m->output_records += sim_json_int(msg, "records", 0);
        if (++m->reduces_done == (uint32_t)st->cfg->reducers) {
            m->phase = MP_DONE, m->finished_ns = sim_now_ns(sim_of(node));
            sim_annotate(node, "job", "done");
        }
    }
}

/* Puts a worker's share of tasks back: running ones always, finished maps when
 * reduces still need their output (it was on the dead machine's disk). */
static void worker_died(sim_node *node, mr_state *st, mr_wk *w)
{
    mr_master *m = &st->m;
    w->dead = true, w->busy = false;
    sim_log(node, "worker %s is dead", sim_node_name(sim_of(node), w->id));
    for (uint32_t i = 0; i < m->nmaps + (uint32_t)st->cfg->reducers; i++) {
        bool map = i < m->nmaps;
        mr_task *t = map ? &m->maps[i] : &m->reduces[i - m->nmaps];
        if (t->state == T_RUNNING && (t->worker == w->id || t->worker2 == w->id)) {
            if (t->worker == w->id) t->worker = t->worker2;
            t->worker2 = SIM_NODE_NONE;
            if (--t->copies == 0) t->state = T_PENDING;
        } else if (map && t->state == T_DONE && t->worker == w->id && st->cfg->reexecute &&
                   m->reduces_done < (uint32_t)st->cfg->reducers) {
            t->state = T_PENDING, t->backed_up = false;
            m->maps_done--, m->reexecuted++;
        }
    }
    wake_waiting(node, st);
}

static void task_failed(sim_node *node, mr_state *st, sim_node_id from, const cJSON *msg)
{
    const char *error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "error"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "user"))) return fail_job(node, &st->m, "%s", error ? error : "?");
    bool map = !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "kind")), "map");
    uint32_t i = (uint32_t)sim_json_int(msg, "task", 0);
    if (i >= (map ? st->m.nmaps : (uint32_t)st->cfg->reducers)) return;
    mr_task *t = map ? &st->m.maps[i] : &st->m.reduces[i];
    sim_log(node, "%s task %u failed on %s: %s", map ? "map" : "reduce", i, sim_node_name(sim_of(node), from), error ? error : "?");
    if (t->state != T_RUNNING) return;
    if (t->worker == from) t->worker = t->worker2;
    t->worker2 = SIM_NODE_NONE;
    if (--t->copies == 0) t->state = T_PENDING;
    if (t->attempts >= 8) fail_job(node, &st->m, "a task failed 8 times: %s", error ? error : "?");
}

void mr_master_receive(sim_node *node, mr_state *st, const sim_msg *msg, const cJSON *m, const char *type)
{
    if (hdfs_client_receive(node, &st->m.cl, msg, m, type)) return;
    if (!strcmp(type, "job") && msg->from == SIM_NODE_NONE) return begin(node, st, m);
    const char *rack = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "rack"));
    mr_wk *w = worker_seen(node, &st->m, msg->from, rack);
    if (!strcmp(type, "hb")) w->busy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "busy"));
    else if (!strcmp(type, "map_done")) task_done(node, st, msg->from, m, true), w->busy = false;
    else if (!strcmp(type, "reduce_done")) task_done(node, st, msg->from, m, false), w->busy = false;
    else if (!strcmp(type, "task_failed")) task_failed(node, st, msg->from, m), w->busy = false;
    else if (!strcmp(type, "where")) return answer_where(node, st, (uint32_t)sim_json_int(m, "task", 0), msg->from);
    schedule_all(node, st);
}

void mr_master_timer(sim_node *node, mr_state *st, const char *name, uint64_t arg)
{
    if (hdfs_client_timer(node, &st->m.cl, name, arg) || strcmp(name, "check")) return;
    int64_t now = sim_now_ns(sim_of(node));
    for (uint32_t i = 0; i < st->m.nworkers; i++) {
        mr_wk *w = &st->m.workers[i];
        if (!w->dead && now - w->last_ns > st->cfg->worker_timeout_ns) worker_died(node, st, w);
    }
    schedule_all(node, st);
    sim_timer_set(node, st->cfg->worker_heartbeat_ns, "check", 0);
}

void mr_master_start(sim_node *node, mr_state *st)
{
    hdfs_client_init(node, &st->m.cl, &st->cfg->hdfs, meta_done, st);
    st->m.waiting = cJSON_CreateArray();
    for (int i = 0; i < MR_MAX_REDUCERS; i++) st->m.reduces[i].worker = st->m.reduces[i].worker2 = SIM_NODE_NONE;
    sim_timer_set(node, st->cfg->worker_heartbeat_ns, "check", 0);
}

void mr_master_stop(mr_state *st)
{
    hdfs_client_free(&st->m.cl);
    cJSON_Delete(st->m.inputs), cJSON_Delete(st->m.waiting);
    free(st->m.maps), free(st->m.workers);
}

cJSON *mr_master_state(const mr_state *st)
{
    const mr_master *m = &st->m;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "phase", phase_names[m->phase]);
    if (m->error[0]) cJSON_AddStringToObject(o, "error", m->error);
    cJSON_AddNumberToObject(o, "maps", m->nmaps);
    cJSON_AddNumberToObject(o, "maps_done", m->maps_done);
    cJSON_AddNumberToObject(o, "reduces_done", m->reduces_done);
    cJSON_AddNumberToObject(o, "job_s", (double)(m->finished_ns - m->started_ns) / 1e9);
    cJSON_AddNumberToObject(o, "node_local", (double)m->node_local);
    cJSON_AddNumberToObject(o, "rack_local", (double)m->rack_local);
    cJSON_AddNumberToObject(o, "remote", (double)m->remote);
    cJSON_AddNumberToObject(o, "map_attempts", (double)m->map_attempts);
    cJSON_AddNumberToObject(o, "reduce_attempts", (double)m->reduce_attempts);
    cJSON_AddNumberToObject(o, "reexecuted", (double)m->reexecuted);
    cJSON_AddNumberToObject(o, "backups", (double)m->backups);
    cJSON_AddNumberToObject(o, "backup_wins", (double)m->backup_wins);
    cJSON_AddNumberToObject(o, "shuffle_bytes", (double)m->shuffle_bytes);
    cJSON_AddNumberToObject(o, "input_bytes", (double)m->input_bytes);
    cJSON_AddNumberToObject(o, "output_records", (double)m->output_records);
    uint32_t dead = 0;
    for (uint32_t i = 0; i < m->nworkers; i++) dead += m->workers[i].dead;
    cJSON_AddNumberToObject(o, "workers", m->nworkers);
    cJSON_AddNumberToObject(o, "dead_workers", dead);
    return o;
}
