/*
 * The controller of the kafka brokers. Every broker heartbeats every other each
 * `heartbeat`; a broker not heard for `session_timeout` is dead to the listener.
 * The controller is the lowest-ranked live broker, and only while it hears a
 * majority of the brokers (so a minority side of a partition has none). Taking
 * the role bumps the controller epoch above every epoch heard; metadata carries
 * (controller epoch, version) and a broker applies only newer metadata.
 *
 *     BROKER --lowest live rank, hears a majority--> CONTROLLER (epoch = max seen + 1)
 *        ^                                              | every tick: elect, publish on change
 *        +--- loses the majority / a lower rank lives --+   and every 10 heartbeats
 *
 * Election (each tick, per partition whose leader is dead or none): among the
 * replicas alive and in the ISR, the one with the newest log (last epoch, then
 * log end, as their heartbeats report them; placement order breaks ties); the
 * ISR becomes its live members. Taking the newest log, as Raft's vote does,
 * covers an ISR shrink the new controller never heard of. With none: unclean_leader_election = 1 takes the first live
 * replica with ISR = {it} (acknowledged records it lacks are gone); 0 leaves the
 * partition without a leader until an ISR member returns. Leader epochs are
 * (controller epoch << 20) + a counter, so two controllers never hand out the
 * same epoch.
 *
 * Known limit: a new controller starts from its own copy of the metadata; an
 * ISR change published by its predecessor in its last moments, and not received,
 * is missed (ZooKeeper or KRaft make that copy authoritative; we do not).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka.h"

static int64_t next_epoch(kafka_state *st)
{
    static const int64_t shift = INT64_C(1) << 20;
    int64_t base = st->ctrl_epoch * shift;
    int64_t e = st->meta_version + 1;       /* versions only grow within a controller epoch */
    return base + (e % shift);
}

void kafka_meta_changed(kafka_state *st)
{
    st->meta_dirty = true;
}

/* Sets a partition's leadership, notifying the replication layer. */
/* For the viewer: the partitions this broker leads, each with its ISR size
 * ("events-0/3 events-4/2"), annotated as "leads" when it changes. */
void kafka_annotate_leads(sim_node *node, const kafka_state *st)
{
    char text[256] = "";
    size_t len = 0;
    for (int i = 0; i < st->nparts && len + 64 < sizeof(text); i++) {
        const kafka_part *p = &st->parts[i];
        if (p->leader != st->rank) continue;
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s-%d/%d", len ? " " : "",
                                st->topics[p->topic].name, p->index, __builtin_popcountll(p->isr));
    }
    sim_annotate(node, "leads", len ? text : "-");
}

static void set_part(sim_node *node, kafka_state *st, kafka_part *p, int leader, int64_t epoch, uint64_t isr)
{
    int old = p->leader;
    bool changed = old != leader || p->epoch != epoch, isr_changed = p->isr != isr;
    p->leader = leader;
    p->epoch = epoch;
    if (isr_changed) p->isr_pending = false;
    p->isr = isr;
    if (changed) kafka_repl_became(node, st, p, old);
    else if (leader == st->rank) kafka_advance_hw(node, st, p);
    if ((changed && (old == st->rank || leader == st->rank)) || (isr_changed && leader == st->rank))
        kafka_annotate_leads(node, st);
}

static void elect(sim_node *node, kafka_state *st, int64_t now)
{
    uint64_t alive = 0;
    for (int r = 0; r < st->nb; r++)
        if (kafka_alive(st, r, now)) alive |= UINT64_C(1) << r;
    for (int i = 0; i < st->nparts; i++) {
        kafka_part *p = &st->parts[i];
        if (p->leader >= 0 && (alive & (UINT64_C(1) << p->leader))) continue;
        int pick = -1;
        uint64_t isr = p->isr & alive;
        for (int k = 0; k < p->nrep; k++) {
            int r = p->replicas[k];
            if (!(isr & (UINT64_C(1) << r))) continue;
            if (r == st->rank) {
                p->rep_epoch[r] = kafka_log_last_epoch(p);
                p->rep_leo[r] = p->leo;
            }
            if (pick < 0 || p->rep_epoch[r] > p->rep_epoch[pick] ||
                (p->rep_epoch[r] == p->rep_epoch[pick] && p->rep_leo[r] > p->rep_leo[pick]))
                pick = r;
        }
        if (pick < 0 && st->cfg->unclean) {
            for (int k = 0; k < p->nrep && pick < 0; k++)
                if (alive & (UINT64_C(1) << p->replicas[k])) pick = p->replicas[k];
            if (pick >= 0) {
                isr = UINT64_C(1) << pick;
                sim_log(node, "unclean election: %s-%d to broker %d, outside the ISR", st->topics[p->topic].name,
                        p->index, pick + 1);
            }
        }
        if (pick < 0) {
            if (p->leader >= 0) {
                set_part(node, st, p, -1, p->epoch, p->isr);
                kafka_meta_changed(st);
            }
            continue;
        }
        st->meta_version++;
        set_part(node, st, p, pick, next_epoch(st), isr);
        kafka_meta_changed(st);
    }
}

static cJSON *meta_json(const kafka_state *st)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "meta");
    cJSON_AddNumberToObject(m, "ce", (double)st->ctrl_epoch);
    cJSON_AddNumberToObject(m, "ver", (double)st->meta_version);
    cJSON_AddNumberToObject(m, "ctrl", st->controller);
    cJSON *topics = cJSON_AddArrayToObject(m, "topics");
    for (int t = 0; t < st->ntopics; t++) {
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString(st->topics[t].name));
        cJSON *parts = cJSON_CreateArray();
        for (int i = 0; i < st->topics[t].count; i++) {
            const kafka_part *p = &st->parts[st->topics[t].first + i];
            cJSON *pe = cJSON_CreateArray();
            cJSON_AddItemToArray(pe, cJSON_CreateNumber(p->leader));
            cJSON_AddItemToArray(pe, cJSON_CreateNumber((double)p->epoch));
            cJSON *isr = cJSON_CreateArray();
            for (int r = 0; r < st->nb; r++)
                if (p->isr & (UINT64_C(1) << r)) cJSON_AddItemToArray(isr, cJSON_CreateNumber(r));
            cJSON_AddItemToArray(pe, isr);
            cJSON_AddItemToArray(parts, pe);
        }
        cJSON_AddItemToArray(e, parts);
        cJSON_AddItemToArray(topics, e);
    }
    cJSON_AddItemToObject(m, "offsets", kafka_offsets_json(st));
    return m;
}

static void publish(sim_node *node, kafka_state *st, int64_t now)
{
    st->meta_version++;
    cJSON *m = meta_json(st);
    for (int r = 0; r < st->nb; r++)
        if (r != st->rank) sim_json_send(node, st->brokers[r], m);
    cJSON_Delete(m);
    st->meta_dirty = false;
    st->meta_sent_ns = now;
}

/* Heartbeats; those to brokers that may be or become controller (the known one
 * and every lower rank) report each hosted replica's [topic, index, last epoch, leo]. */
static void send_hb(sim_node *node, kafka_state *st)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "hb");
    cJSON_AddNumberToObject(m, "ce", (double)st->ctrl_epoch);
    cJSON_AddNumberToObject(m, "ver", (double)st->meta_version);
    cJSON *full = cJSON_Duplicate(m, true);
    cJSON *a = cJSON_AddArrayToObject(full, "parts");
    for (int i = 0; i < st->nparts; i++) {
        const kafka_part *p = &st->parts[i];
        if (!p->hosted) continue;
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString(st->topics[p->topic].name));
        cJSON_AddItemToArray(e, cJSON_CreateNumber(p->index));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)kafka_log_last_epoch(p)));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)p->leo));
        cJSON_AddItemToArray(a, e);
    }
    for (int r = 0; r < st->nb; r++)
        if (r != st->rank) sim_json_send(node, st->brokers[r], r < st->rank || r == st->controller ? full : m);
    cJSON_Delete(m);
    cJSON_Delete(full);
}

/* True when this broker's metadata is the newest any heartbeat announced; else
 * asks the broker that has newer metadata for it (a controller must not start
 * from a stale ISR). */
static bool meta_current(sim_node *node, kafka_state *st)
{
    if (st->best_ce < st->ctrl_epoch || (st->best_ce == st->ctrl_epoch && st->best_ver <= st->meta_version))
        return true;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "meta_req");
    kafka_send(node, st->brokers[st->best_rank], m);
    return false;
}

void kafka_ctrl_tick(sim_node *node, kafka_state *st)
{
    int64_t now = sim_now_ns(sim_of(node));
    send_hb(node, st);
    /* A tick much later than due: this broker was paused, and what it heard is old. */
    if (st->last_tick_ns && now - st->last_tick_ns > 2 * st->cfg->heartbeat_ns) st->quiet_until_ns = now + st->cfg->session_ns;
    st->last_tick_ns = now;
    int alive = 0, lowest = -1;
    for (int r = 0; r < st->nb; r++)
        if (kafka_alive(st, r, now)) {
            alive++;
            if (lowest < 0) lowest = r;
        }
    bool should = alive * 2 > st->nb && lowest == st->rank && now >= st->quiet_until_ns;
    if (should && !st->is_controller && !meta_current(node, st)) return;
    if (should && !st->is_controller) {
        st->is_controller = true;
        st->ctrl_epoch = (st->max_ctrl_epoch_seen > st->ctrl_epoch ? st->max_ctrl_epoch_seen : st->ctrl_epoch) + 1;
        st->max_ctrl_epoch_seen = st->ctrl_epoch;
        st->meta_version = 0;
        st->controller = st->rank;
        st->meta_dirty = true;
        sim_annotate(node, "role", "controller");
        sim_log(node, "controller, epoch %" PRId64, st->ctrl_epoch);
    } else if (!should && st->is_controller) {
        st->is_controller = false;
        sim_annotate(node, "role", "broker");
    }
    if (!st->is_controller) return;
    elect(node, st, now);
    if (st->meta_dirty || now - st->meta_sent_ns >= st->cfg->meta_every_ns) publish(node, st, now);
}

void kafka_on_hb(sim_node *node, kafka_state *st, const cJSON *in, int rank)
{
    int64_t ce = sim_json_int(in, "ce", 0), ver = sim_json_int(in, "ver", 0);
    if (ce > st->max_ctrl_epoch_seen) st->max_ctrl_epoch_seen = ce;
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(in, "parts");
    for (const cJSON *e = cJSON_IsArray(parts) ? parts->child : NULL; e; e = e->next) {
        const cJSON *t = cJSON_GetArrayItem(e, 0), *i = cJSON_GetArrayItem(e, 1);
        const cJSON *ep = cJSON_GetArrayItem(e, 2), *leo = cJSON_GetArrayItem(e, 3);
        kafka_part *p = cJSON_IsString(t) && cJSON_IsNumber(i) ? kafka_part_of(st, t->valuestring, (int64_t)i->valuedouble)
                                                               : NULL;
        if (!p || !cJSON_IsNumber(ep) || !cJSON_IsNumber(leo)) continue;
        p->rep_epoch[rank] = (int64_t)ep->valuedouble;
        p->rep_leo[rank] = (int64_t)leo->valuedouble;
    }
    if (ce > st->best_ce || (ce == st->best_ce && ver > st->best_ver)) {
        st->best_ce = ce;
        st->best_ver = ver;
        st->best_rank = rank;
    }
    /* A broker behind (just restarted): bring it up to date now, not at the next period. */
    if (st->is_controller && (ce < st->ctrl_epoch || (ce == st->ctrl_epoch && ver < st->meta_version))) {
        cJSON *m = meta_json(st);
        sim_json_send(node, st->brokers[rank], m);
        cJSON_Delete(m);
    }
}

static void apply_topic(sim_node *node, kafka_state *st, const cJSON *e)
{
    const cJSON *name = cJSON_GetArrayItem(e, 0), *parts = cJSON_GetArrayItem(e, 1);
    if (!cJSON_IsString(name) || !cJSON_IsArray(parts)) return;
    int t = kafka_topic_find(st, name->valuestring);
    if (t < 0) t = kafka_topic_add(node, st, name->valuestring, cJSON_GetArraySize(parts), true);
    if (t < 0) return;
    int i = 0;
    for (const cJSON *pe = parts->child; pe && i < st->topics[t].count; pe = pe->next, i++) {
        kafka_part *p = &st->parts[st->topics[t].first + i];
        const cJSON *isr = cJSON_GetArrayItem(pe, 2);
        uint64_t mask = 0;
        for (const cJSON *r = cJSON_IsArray(isr) ? isr->child : NULL; r; r = r->next)
            if (cJSON_IsNumber(r) && r->valuedouble >= 0 && r->valuedouble < st->nb) mask |= UINT64_C(1) << (int)r->valuedouble;
        const cJSON *l = cJSON_GetArrayItem(pe, 0), *ep = cJSON_GetArrayItem(pe, 1);
        if (!cJSON_IsNumber(l) || !cJSON_IsNumber(ep)) continue;
        int leader = (int)l->valuedouble;
        set_part(node, st, p, leader >= 0 && leader < st->nb ? leader : -1, (int64_t)ep->valuedouble, mask);
    }
}

/* meta_req: a broker about to become controller wants our (newer) metadata. */
void kafka_on_meta_req(sim_node *node, kafka_state *st, const sim_msg *msg)
{
    cJSON *m = meta_json(st);
    kafka_send(node, msg->from, m);
}

void kafka_on_meta(sim_node *node, kafka_state *st, const cJSON *in)
{
    int64_t ce = sim_json_int(in, "ce", 0), ver = sim_json_int(in, "ver", 0);
    if (ce < st->ctrl_epoch || (ce == st->ctrl_epoch && ver <= st->meta_version)) return;
    if (ce > st->max_ctrl_epoch_seen) st->max_ctrl_epoch_seen = ce;
    if (st->is_controller) {
        st->is_controller = false;
        sim_annotate(node, "role", "broker");
    }
    st->ctrl_epoch = ce;
    st->meta_version = ver;
    st->controller = (int)sim_json_int(in, "ctrl", -1);
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(in, "topics");
    for (const cJSON *e = cJSON_IsArray(topics) ? topics->child : NULL; e; e = e->next) apply_topic(node, st, e);
    kafka_offsets_apply(st, cJSON_GetObjectItemCaseSensitive(in, "offsets"));
}

/* alter_isr {t, p, e, isr} from the partition's leader: applied when the epoch is current. */
/* True when a majority of the brokers was heard in the last two heartbeats. An
 * isolated controller notices its isolation (2 heartbeats) before any follower
 * can be lagging long enough (replica_lag_time_max) to be dropped from an ISR,
 * so it never shrinks an ISR to a leader cut off with it; KRaft gets the same
 * by committing the change through its quorum. */
static bool hears_majority(const kafka_state *st, int64_t now)
{
    int n = 0;
    for (int r = 0; r < st->nb; r++)
        n += r == st->rank || (st->heard_ns[r] > 0 && now - st->heard_ns[r] <= 2 * st->cfg->heartbeat_ns);
    return n * 2 > st->nb;
}

void kafka_on_alter_isr(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in)
{
    if (!st->is_controller || !hears_majority(st, sim_now_ns(sim_of(node)))) return;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
    kafka_part *p = cJSON_IsString(t) ? kafka_part_of(st, t->valuestring, sim_json_int(in, "p", -1)) : NULL;
    int rank = kafka_rank_of(st, msg->from);
    if (!p || rank < 0 || p->leader != rank || p->epoch != sim_json_int(in, "e", -1)) return;
    uint64_t mask = UINT64_C(1) << rank;
    const cJSON *isr = cJSON_GetObjectItemCaseSensitive(in, "isr");
    for (const cJSON *r = cJSON_IsArray(isr) ? isr->child : NULL; r; r = r->next)
        if (cJSON_IsNumber(r) && r->valuedouble >= 0 && r->valuedouble < st->nb) mask |= UINT64_C(1) << (int)r->valuedouble;
    if (mask == p->isr) return;
    sim_log(node, "ISR of %s-%d: %d -> %d replicas", st->topics[p->topic].name, p->index,
            __builtin_popcountll(p->isr), __builtin_popcountll(mask));
    set_part(node, st, p, p->leader, p->epoch, mask);
    kafka_meta_changed(st);
}

/* create {t, n}: the controller creates a topic (auto.create.topics.enable). */
void kafka_on_create(sim_node *node, kafka_state *st, const cJSON *in)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
    int64_t n = sim_json_int(in, "n", 1);
    if (!st->is_controller || !cJSON_IsString(t) || strlen(t->valuestring) >= KAFKA_NAME || n < 1 || n > 4096) return;
    if (kafka_topic_find(st, t->valuestring) >= 0) return;
    int ti = kafka_topic_add(node, st, t->valuestring, (int)n, true);
    if (ti < 0) return;
    st->meta_version++;
    for (int i = 0; i < st->topics[ti].count; i++) {
        kafka_part *p = &st->parts[st->topics[ti].first + i];
        set_part(node, st, p, p->replicas[0], next_epoch(st), p->isr);
    }
    kafka_meta_changed(st);
}

/* metadata {corr, t, create: n} -> metadata_ok {corr, t, leaders: [node id | -1 ...], ctrl: node id | -1}.
 * An unknown topic is created when `create` asks (then: unknown_topic, retry). */
void kafka_on_metadata(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t corr = sim_json_int(in, "corr", -1);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
    int ti = cJSON_IsString(t) ? kafka_topic_find(st, t->valuestring) : -1;
    if (ti < 0) {
        int64_t n = sim_json_int(in, "create", 0);
        if (n > 0 && cJSON_IsString(t) && st->controller >= 0) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "type", "create");
            cJSON_AddStringToObject(c, "t", t->valuestring);
            cJSON_AddNumberToObject(c, "n", (double)n);
            if (st->controller == st->rank) kafka_on_create(node, st, c);
            else sim_json_send(node, st->brokers[st->controller], c);
            cJSON_Delete(c);
        }
        kafka_error(node, msg->from, "metadata_err", corr, KAFKA_UNKNOWN_TOPIC);
        return;
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "metadata_ok");
    cJSON_AddNumberToObject(m, "corr", (double)corr);
    cJSON_AddStringToObject(m, "t", st->topics[ti].name);
    cJSON *a = cJSON_AddArrayToObject(m, "leaders");
    for (int i = 0; i < st->topics[ti].count; i++) {
        int l = st->parts[st->topics[ti].first + i].leader;
        cJSON_AddItemToArray(a, cJSON_CreateNumber(l >= 0 ? (double)st->brokers[l] : -1));
    }
    cJSON_AddNumberToObject(m, "ctrl", st->controller >= 0 ? (double)st->brokers[st->controller] : -1);
    kafka_send(node, msg->from, m);
}
