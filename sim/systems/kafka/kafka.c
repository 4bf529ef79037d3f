/*
 * kafka: the broker program of a Kafka-style replicated log (see kafka.h for the
 * files). Topics are split into partitions; each partition is replicated on
 * `replication_factor` brokers, one the leader, and the in-sync replicas (ISR)
 * are those that keep up. The life of one partition replica:
 *
 *                 meta: leader = me (epoch e+1)
 *     FOLLOWER ---------------------------------> LEADER
 *        ^  | fetch(offset, last epoch) -> leader      | produce: append, epoch e+1
 *        |  | <- batches, hw  | <- truncate to X        | follower fetch(o): fol_leo = o
 *        |  v                 (diverged after an        | hw = min over ISR of leo
 *        |  append, hw = min(leader hw, leo)   election)| lagging > replica_lag_time_max:
 *        |                                              |   alter_isr(shrink) -> controller
 *        +------- meta: leader = other (or crash) ------+
 *
 * Broker liveness: every broker heartbeats every other; the controller is the
 * lowest-ranked broker that hears a majority (kafka_ctrl.c). It elects leaders
 * from the ISR when a leader dies; with unclean_leader_election = 1 it takes any
 * live replica when the ISR has none, and acknowledged records can be lost.
 *
 * Invariants (checked by kafka_client's ledger and scenarios/messaging):
 *   K1 a record acknowledged with acks=all while |ISR| >= min.insync.replicas is in
 *      every later leader's log (clean elections only);
 *   K2 the log below the high watermark is the same on every replica that has it;
 *   K3 an idempotent producer's retried batch is in the log once.
 *
 * Messages (JSON): hb, meta, alter_isr, create (broker to broker); metadata,
 * produce, fetch (clients and followers); join, ghb, leave, commit, offsets
 * (group coordinator); send, poll, commit_offsets, list_committed_offsets
 * (Maelstrom's kafka workload).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka.h"
#include "sim/systems/invariant.h"
#include "sim/systems/system.h"

static uint32_t fnv(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

int kafka_rank_of(const kafka_state *st, sim_node_id id)
{
    for (int i = 0; i < st->nb; i++)
        if (st->brokers[i] == id) return i;
    return -1;
}

bool kafka_alive(const kafka_state *st, int rank, int64_t now_ns)
{
    if (rank < 0) return false;
    if (rank == st->rank) return true;
    return st->heard_ns[rank] > 0 && now_ns - st->heard_ns[rank] <= st->cfg->session_ns;
}

int kafka_topic_find(const kafka_state *st, const char *name)
{
    for (int i = 0; i < st->ntopics; i++)
        if (strcmp(st->topics[i].name, name) == 0) return i;
    return -1;
}

kafka_part *kafka_part_of(kafka_state *st, const char *topic, int64_t index)
{
    int t = kafka_topic_find(st, topic);
    if (t < 0 || index < 0 || index >= st->topics[t].count) return NULL;
    return &st->parts[st->topics[t].first + index];
}

/* Adds a topic (placement computed, leader the first replica at epoch 0 unless
 * this broker restarted: then unknown until the controller's metadata says).
 * Returns its index, or -1 when the topic table is full. */
int kafka_topic_add(sim_node *node, kafka_state *st, const char *name, int count, bool log_it)
{
    if (st->ntopics == KAFKA_MAX_TOPICS || count <= 0) return -1;
    kafka_topic *t = &st->topics[st->ntopics];
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->first = st->nparts;
    t->count = count;
    if (st->nparts + count > st->capparts) {
        st->capparts = (st->nparts + count) * 2;
        st->parts = realloc(st->parts, (size_t)st->capparts * sizeof(kafka_part));
        SIM_ASSERT(st->parts != NULL);
    }
    int rf = (int)(st->cfg->rf < st->nb ? st->cfg->rf : st->nb);
    uint32_t h = fnv(name);
    for (int i = 0; i < count; i++) {
        kafka_part *p = &st->parts[st->nparts++];
        memset(p, 0, sizeof(*p));
        p->topic = st->ntopics;
        p->index = i;
        p->nrep = rf;
        for (int r = 0; r < rf; r++) {
            p->replicas[r] = (int)((h + (uint32_t)i + (uint32_t)r) % (uint32_t)st->nb);
            p->isr |= UINT64_C(1) << p->replicas[r];
            if (p->replicas[r] == st->rank) p->hosted = true;
        }
        p->leader = st->restarted ? -1 : p->replicas[0];
    }
    st->ntopics++;
    if (log_it) kafka_log_wal_topic(node, st, name, count);
    return st->ntopics - 1;
}

void kafka_send(sim_node *node, sim_node_id to, cJSON *msg)
{
    if (to != SIM_NODE_NONE) sim_json_send(node, to, msg);
    cJSON_Delete(msg);
}

void kafka_error(sim_node *node, sim_node_id to, const char *type, int64_t corr, const char *code)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddNumberToObject(m, "corr", (double)corr);
    cJSON_AddStringToObject(m, "error", code);
    kafka_send(node, to, m);
}

static bool config_valid(sim_node *node, kafka_state *st)
{
    if (st->cfg->rf <= st->nb) return true;
    char text[128];
    snprintf(text, sizeof(text), "kafka: replication_factor %" PRId64 " exceeds the %d brokers", st->cfg->rf, st->nb);
    sim_check_report(sim_of(node), "kafka-config", false, text);
    sim_halt(sim_of(node));
    return false;
}

static void kafka_start(sim_node *node, void *state)
{
    kafka_state *st = state;
    st->cfg = sim_self_config(node);
    sim_node_id peers[KAFKA_MAX_BROKERS];
    size_t n = sim_cluster_peers(node, peers, KAFKA_MAX_BROKERS - 1);
    if (!sim_invariant(node, n < KAFKA_MAX_BROKERS, "kafka-config", "more brokers in one cluster than it can hold"))
        return;                                         /* refused: the run stops here */
    st->nb = 0;
    bool placed = false;
    for (size_t i = 0; i <= n; i++) {
        if (!placed && (i == n || peers[i] > sim_self(node))) {
            st->rank = st->nb;
            st->brokers[st->nb++] = sim_self(node);
            placed = true;
        }
        if (i < n) st->brokers[st->nb++] = peers[i];
    }
    st->controller = -1;
    sim_disk *d = sim_self_disk(node);
    st->restarted = sim_disk_read(d, "boot", NULL) != NULL;
    if (!st->restarted) {
        int rc = sim_disk_write(d, "boot", "1", 1);
        SIM_ASSERT(rc == 0);
        sim_disk_sync(d);
    }
    if (!config_valid(node, st)) return;
    for (size_t i = 0; i < st->cfg->ntopics; i++)
        kafka_topic_add(node, st, st->cfg->topic[i], (int)st->cfg->topic_parts[i], false);
    kafka_log_replay(node, st);
    for (int i = 0; i < st->nparts; i++) st->parts[i].hw = 0;
    sim_annotate(node, "role", "broker");
    kafka_annotate_leads(node, st);
    sim_timer_set(node, st->cfg->heartbeat_ns, "tick", 0);
}

static void dispatch(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, const char *t)
{
    int rank = kafka_rank_of(st, msg->from);
    if (rank >= 0) st->heard_ns[rank] = sim_now_ns(sim_of(node));
    if (strcmp(t, "hb") == 0 && rank >= 0) kafka_on_hb(node, st, in, rank);
    else if (strcmp(t, "meta") == 0) kafka_on_meta(node, st, in);
    else if (strcmp(t, "meta_req") == 0 && rank >= 0) kafka_on_meta_req(node, st, msg);
    else if (strcmp(t, "alter_isr") == 0) kafka_on_alter_isr(node, st, msg, in);
    else if (strcmp(t, "create") == 0) kafka_on_create(node, st, in);
    else if (strcmp(t, "metadata") == 0) kafka_on_metadata(node, st, msg, in);
    else if (strcmp(t, "produce") == 0) kafka_on_produce(node, st, msg, in);
    else if (strcmp(t, "fetch") == 0) kafka_on_fetch(node, st, msg, in);
    else if (strcmp(t, "fetch_ok") == 0 && rank >= 0 && !cJSON_GetObjectItemCaseSensitive(in, "c"))
        kafka_on_fetch_ok(node, st, in);
    else if (kafka_mael_receive(node, st, msg, in, t)) return;
    else kafka_on_group(node, st, msg, in, t);
}

static void kafka_receive(sim_node *node, void *state, const sim_msg *msg)
{
    kafka_state *st = state;
    if (msg->corrupted || !st->cfg || st->cfg->rf > st->nb) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    if (cJSON_IsString(type)) dispatch(node, st, msg, in, type->valuestring);
    cJSON_Delete(in);
}

static void kafka_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    kafka_state *st = state;
    (void)arg;
    if (strcmp(name, "tick") != 0) return;
    kafka_ctrl_tick(node, st);
    kafka_repl_tick(node, st);
    kafka_group_tick(node, st);
    kafka_mael_tick(node, st);
    sim_timer_set(node, st->cfg->heartbeat_ns, "tick", 0);
}

static void kafka_stop(sim_node *node, void *state)
{
    kafka_state *st = state;
    (void)node;
    for (int i = 0; i < st->nparts; i++) kafka_part_free(&st->parts[i]);
    free(st->parts);
    kafka_groups_free(st);
    for (size_t i = 0; i < st->nproxies; i++) cJSON_Delete(st->proxies[i].result);
    free(st->proxies);
}

/* ---- options ---------------------------------------------------------------------- */

static int topics_option(const cJSON *options, kafka_config *c, char *err, size_t errlen)
{
    const cJSON *t = options ? cJSON_GetObjectItemCaseSensitive(options, "topics") : NULL;
    if (!t) {
        snprintf(c->topic[0], KAFKA_NAME, "events");
        c->topic_parts[0] = c->partitions_default;
        c->ntopics = 1;
        return 0;
    }
    if (!cJSON_IsObject(t)) goto bad;
    for (const cJSON *e = t->child; e; e = e->next) {
        size_t len = strlen(e->string);
        if (c->ntopics == KAFKA_MAX_TOPICS / 2 || len == 0 || len >= KAFKA_NAME || !cJSON_IsNumber(e) ||
            e->valuedouble < 1 || e->valuedouble > 4096 || e->valuedouble != (double)(int)e->valuedouble)
            goto bad;
        snprintf(c->topic[c->ntopics], KAFKA_NAME, "%s", e->string);
        c->topic_parts[c->ntopics++] = (int64_t)e->valuedouble;
    }
    return 0;
bad:
    snprintf(err, errlen, "option 'topics' must be a table of name = partitions (1..4096), names of 1..47 chars");
    return SIM_EINVAL;
}

static int flush_option(const cJSON *options, kafka_config *c, char *err, size_t errlen)
{
    const cJSON *f = options ? cJSON_GetObjectItemCaseSensitive(options, "flush") : NULL;
    if (!f) return 0;
    if (cJSON_IsString(f) && strcmp(f->valuestring, "always") == 0) return c->flush_always = 1, 0;
    if (cJSON_IsString(f) && strcmp(f->valuestring, "never") == 0) return c->flush_always = 0, 0;
    snprintf(err, errlen, "option 'flush' must be \"always\" (sync every append) or \"never\" (Kafka's default)");
    return SIM_EINVAL;
}

static int kafka_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "topics", "partitions", "replication_factor", "min_insync_replicas",
                                         "unclean_leader_election", "heartbeat", "session_timeout",
                                         "replica_lag_time_max", "flush", "group_initial_rebalance_delay", NULL };
    kafka_config c = { .rf = 3, .min_insync = 1, .partitions_default = 3, .heartbeat_ns = 20 * SIM_NS_PER_MS,
                       .session_ns = 100 * SIM_NS_PER_MS, .lag_max_ns = 100 * SIM_NS_PER_MS };
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_int(options, "partitions", 1, 4096, &c.partitions_default, err, errlen);
    if (!rc) rc = sim_option_int(options, "replication_factor", 1, KAFKA_MAX_RF, &c.rf, err, errlen);
    if (!rc) rc = sim_option_int(options, "min_insync_replicas", 1, KAFKA_MAX_RF, &c.min_insync, err, errlen);
    if (!rc) rc = sim_option_int(options, "unclean_leader_election", 0, 1, &c.unclean, err, errlen);
    if (!rc) rc = sim_option_duration(options, "heartbeat", &c.heartbeat_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "session_timeout", &c.session_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "replica_lag_time_max", &c.lag_max_ns, err, errlen);
    if (!rc) rc = flush_option(options, &c, err, errlen);
    if (!rc) rc = sim_option_duration(options, "group_initial_rebalance_delay", &c.rebalance_delay_ns, err, errlen);
    if (!rc) rc = topics_option(options, &c, err, errlen);
    if (!rc && c.min_insync > c.rf) {
        snprintf(err, errlen, "option 'min_insync_replicas' (%" PRId64 ") exceeds 'replication_factor' (%" PRId64 ")",
                 c.min_insync, c.rf);
        rc = SIM_EINVAL;
    }
    if (!rc && (c.heartbeat_ns <= 0 || c.session_ns <= c.heartbeat_ns || c.lag_max_ns <= 0)) {
        snprintf(err, errlen, "option 'session_timeout' must exceed 'heartbeat' (> 0), 'replica_lag_time_max' > 0");
        rc = SIM_EINVAL;
    }
    c.meta_every_ns = 10 * c.heartbeat_ns;
    if (rc) return rc;
    return sim_config_copy(&c, sizeof(c), config);
}

/* ---- .state ------------------------------------------------------------------------- */

static cJSON *part_json(const kafka_state *st, const kafka_part *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "topic", st->topics[p->topic].name);
    cJSON_AddNumberToObject(j, "partition", p->index);
    cJSON_AddNumberToObject(j, "leader", p->leader >= 0 ? p->leader + 1 : 0);
    cJSON_AddNumberToObject(j, "epoch", (double)p->epoch);
    cJSON *isr = cJSON_AddArrayToObject(j, "isr");
    for (int r = 0; r < st->nb; r++)
        if (p->isr & (UINT64_C(1) << r)) cJSON_AddItemToArray(isr, cJSON_CreateNumber(r + 1));
    cJSON_AddNumberToObject(j, "leo", (double)p->leo);
    cJSON_AddNumberToObject(j, "hw", (double)p->hw);
    return j;
}

/* `.state`: {rank, controller (rank, 1-based; 0 unknown), is_controller, appended,
 * partitions = [{topic, partition, leader (rank 1-based, 0 none), epoch, isr, leo, hw}]}
 * for the partitions this broker hosts. */
static cJSON *kafka_state_json(const sim *s, sim_node_id id)
{
    const kafka_state *st = sim_node_state(s, id);
    if (!st || !st->cfg) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "rank", st->rank + 1);
    cJSON_AddNumberToObject(o, "controller", st->controller + 1);
    cJSON_AddBoolToObject(o, "is_controller", st->is_controller);
    cJSON_AddNumberToObject(o, "appended", (double)st->appended);
    cJSON *a = cJSON_AddArrayToObject(o, "partitions");
    for (int i = 0; i < st->nparts; i++)
        if (st->parts[i].hosted) cJSON_AddItemToArray(a, part_json(st, &st->parts[i]));
    return o;
}

static const sim_program kafka_program = {
    .name = "kafka",
    .state_bytes = sizeof(kafka_state),
    .start = kafka_start,
    .receive = kafka_receive,
    .timer = kafka_timer,
    .stop = kafka_stop,
};

const sim_system sim_system_kafka = {
    .name = "kafka",
    .summary = "a Kafka-style replicated log: partitions, leaders and ISR, a controller, consumer groups",
    .program = &kafka_program,
    .configure = kafka_configure,
    .release = free,
    .state_json = kafka_state_json,
};
