/*
 * The consumer of kafka_client: a member of the consumer group `group`. It joins
 * through the coordinator (the controller), heartbeats every `heartbeat`, and
 * pulls each assigned partition from its leader with long polling (a fetch
 * waits up to `poll_wait` at the leader for committed data). Fetched records are
 * processed after `process` (simulated work), then the next fetch goes out.
 *
 *     UNJOINED --join_ok(gen, partitions)--> MEMBER --ghb_ok(new gen)--> MEMBER (reassigned:
 *        ^                                     |      gained partitions start at the committed
 *        +--- unknown_member (expelled) -------+      offset, or 0 when none)
 *     per partition: IDLE --fetch--> FETCHING --records--> PROCESSING --done--> IDLE
 *
 * Delivery: commit = "after" (at-least-once) commits a partition's position
 * after its records are processed, so a crash between the two re-delivers them
 * to the next owner (duplicates); commit = "before" (at-most-once) commits as
 * soon as records arrive, so a crash during processing loses them. Either way
 * the ledger counts what was processed how many times. Injected {type="leave"}
 * leaves the group (a clean shutdown); {type="join"} joins again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka_client.h"

static void group_msg(sim_node *node, kc_state *st, const char *type, cJSON *m)
{
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddStringToObject(m, "g", st->cfg->group);
    cJSON_AddNumberToObject(m, "gen", (double)st->gen);
    kafka_client_send(node, st, st->coordinator, m);
}

static void commit(sim_node *node, kc_state *st, bool only_busy)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *a = cJSON_AddArrayToObject(m, "offsets");
    for (int i = 0; i < st->nparts; i++) {
        const kc_part *p = &st->parts[i];
        if (!p->assigned || (only_busy && !p->busy)) continue;
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString(st->cfg->topic));
        cJSON_AddItemToArray(e, cJSON_CreateNumber(i));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)p->pos));
        cJSON_AddItemToArray(a, e);
    }
    group_msg(node, st, "commit", m);
}

static void fetch(sim_node *node, kc_state *st, int i)
{
    kc_part *p = &st->parts[i];
    if (!p->assigned || p->fetching || p->busy || st->left || p->leader == SIM_NODE_NONE) return;
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "fetch");
    cJSON_AddStringToObject(m, "t", st->cfg->topic);
    cJSON_AddNumberToObject(m, "p", i);
    cJSON_AddNumberToObject(m, "o", (double)p->pos);
    cJSON_AddNumberToObject(m, "w", (double)st->cfg->poll_wait_ns);
    p->fetching = true;
    p->sent_ns = sim_now_ns(sim_of(node));
    kafka_client_send(node, st, p->leader, m);
    p->corr = st->corr;
}

void kafka_consumer_tick(sim_node *node, kc_state *st)
{
    if (st->left) return;
    if (!st->meta_ok || st->coordinator == SIM_NODE_NONE) {
        kafka_client_metadata(node, st);
        return;
    }
    cJSON *m = cJSON_CreateObject();
    if (!st->joined) {
        cJSON_AddStringToObject(m, "t", st->cfg->topic);
        cJSON_AddStringToObject(m, "a", st->cfg->roundrobin ? "roundrobin" : "range");
        cJSON_AddNumberToObject(m, "s", (double)st->cfg->session_ns);
        group_msg(node, st, "join", m);
    } else {
        group_msg(node, st, "ghb", m);
    }
    int64_t now = sim_now_ns(sim_of(node)), lag = 0;
    for (int i = 0; i < st->nparts; i++) {
        kc_part *p = &st->parts[i];
        if (p->fetching && now - p->sent_ns > st->cfg->poll_wait_ns + st->cfg->request_timeout_ns) p->fetching = false;
        if (p->assigned && p->hw > p->pos) lag += p->hw - p->pos;
        fetch(node, st, i);
    }
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)lag);
    sim_annotate(node, "lag", text);                        /* for the viewer: records behind the high watermarks */
}

/* join_ok / ghb_ok {gen, parts: [[i, committed]...]} */
static void assignment(sim_node *node, kc_state *st, const cJSON *in)
{
    int64_t gen = sim_json_int(in, "gen", -1);
    st->joined = true;
    if (gen == st->gen) return;
    st->gen = gen;
    bool *now_mine = calloc((size_t)st->nparts, sizeof(bool));
    SIM_ASSERT(now_mine != NULL);
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(in, "parts");
    for (const cJSON *e = cJSON_IsArray(parts) ? parts->child : NULL; e; e = e->next) {
        const cJSON *i = cJSON_GetArrayItem(e, 0), *o = cJSON_GetArrayItem(e, 1);
        if (!cJSON_IsNumber(i) || !cJSON_IsNumber(o) || i->valuedouble < 0 || i->valuedouble >= st->nparts) continue;
        kc_part *p = &st->parts[(int)i->valuedouble];
        now_mine[(int)i->valuedouble] = true;
        int64_t committed = (int64_t)o->valuedouble < 0 ? 0 : (int64_t)o->valuedouble;
        if (!p->assigned || p->pos < committed) {
            p->pos = committed;
            p->last_off = -1;
        }
        p->assigned = true;
    }
    char text[256] = "";
    size_t len = 0;
    for (int i = 0; i < st->nparts; i++) {
        if (!now_mine[i]) st->parts[i].assigned = false;
        else if (len + 16 < sizeof(text)) len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d", len ? "," : "", i);
    }
    free(now_mine);
    sim_annotate(node, "partitions", len ? text : "-");      /* for the viewer: this member's share */
    for (int i = 0; i < st->nparts; i++) fetch(node, st, i);
}

static void add_work(kc_state *st, int64_t part, int64_t v0, int64_t n, int64_t ts)
{
    if (st->nwork + 4 > st->capwork) {
        st->capwork = st->capwork ? st->capwork * 2 : 64;
        st->work = realloc(st->work, st->capwork * sizeof(int64_t));
        SIM_ASSERT(st->work != NULL);
    }
    int64_t *w = &st->work[st->nwork];
    w[0] = part, w[1] = v0, w[2] = n, w[3] = ts;
    st->nwork += 4;
}

/* Reads records at offsets o >= pos in order, checking each producer's order. */
static void take_record(kc_state *st, kc_part *p, int64_t o, int64_t v)
{
    kc_ledger *l = st->cfg->ledger;
    if (!p->last_seq) {
        p->last_seq = malloc((size_t)(l->nprod ? l->nprod : 1) * sizeof(int64_t));
        SIM_ASSERT(p->last_seq != NULL);
        p->last_off = -1;
    }
    if (o <= p->last_off || p->last_off < 0)
        for (int64_t k = 0; k < l->nprod; k++) p->last_seq[k] = -1;
    int64_t prod = (v >> KC_SEQ_BITS) - 1, seq = v & ((INT64_C(1) << KC_SEQ_BITS) - 1);
    if (prod >= 0 && prod < l->nprod) {
        if (seq <= p->last_seq[prod]) l->out_of_order++;
        p->last_seq[prod] = seq;
    }
    p->last_off = o;
}

static void on_records(sim_node *node, kc_state *st, int i, const cJSON *in)
{
    kc_part *p = &st->parts[i];
    p->hw = sim_json_int(in, "hw", p->hw);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "b");
    size_t before = st->nwork;
    for (const cJSON *c = cJSON_IsArray(a) ? a->child : NULL; c; c = c->next) {
        kafka_batch b;
        if (!kafka_batch_parse(c, &b)) break;
        int64_t from = b.base > p->pos ? b.base : p->pos;
        if (b.base + b.n > from) {
            for (int64_t o = from; o < b.base + b.n; o++)
                take_record(st, p, o, b.vals ? b.vals[o - b.base] : b.v0 + (o - b.base));
            if (b.vals)
                for (int64_t o = from; o < b.base + b.n; o++) add_work(st, i, b.vals[o - b.base], 1, b.ts_ns);
            else
                add_work(st, i, b.v0 + (from - b.base), b.base + b.n - from, b.ts_ns);
            p->pos = b.base + b.n;
        }
        free(b.vals);
    }
    if (st->nwork == before) {
        fetch(node, st, i);
        return;
    }
    p->busy = true;
    if (st->cfg->commit_before) commit(node, st, true);
    if (st->cfg->process_ns == 0) kafka_consumer_process(node, st);
    else if (before == 0) sim_timer_set(node, st->cfg->process_ns, "process", 0);
}

/* The processing of every fetched record is done: count it, commit (at-least-once), fetch on. */
void kafka_consumer_process(sim_node *node, kc_state *st)
{
    int64_t now = sim_now_ns(sim_of(node));
    for (size_t k = 0; k < st->nwork; k += 4)
        for (int64_t j = 0; j < st->work[k + 2]; j++)
            kafka_ledger_processed(st->cfg->ledger, st->work[k + 1] + j, now - st->work[k + 3]);
    st->nwork = 0;
    if (!st->cfg->commit_before && st->joined) commit(node, st, true);
    for (int i = 0; i < st->nparts; i++) {
        if (!st->parts[i].busy) continue;
        st->parts[i].busy = false;
        fetch(node, st, i);
    }
}

void kafka_consumer_receive(sim_node *node, kc_state *st, const cJSON *in, const char *type)
{
    int64_t corr = sim_json_int(in, "corr", -1);
    if (strcmp(type, "join_ok") == 0 || strcmp(type, "ghb_ok") == 0) {
        if (!st->left) assignment(node, st, in);
    } else if (strcmp(type, "fetch_ok") == 0 || strcmp(type, "fetch_err") == 0) {
        for (int i = 0; i < st->nparts; i++) {
            kc_part *p = &st->parts[i];
            if (!p->fetching || p->corr != corr) continue;
            p->fetching = false;
            int64_t leo = sim_json_int(in, "leo", -1);
            if (strcmp(type, "fetch_err") == 0 && leo >= 0 && leo < p->pos) p->pos = leo;   /* truncated under us */
            else if (strcmp(type, "fetch_err") == 0) st->meta_ok = false;
            else if (p->assigned && !st->left) on_records(node, st, i, in);
        }
    } else if (strcmp(type, "group_err") == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(in, "error");
        const char *why = cJSON_IsString(e) ? e->valuestring : "";
        if (strcmp(why, "unknown_member") == 0) st->joined = false;
        else if (strcmp(why, "not_coordinator") == 0) st->coordinator = SIM_NODE_NONE;
        else if (strcmp(why, "illegal_generation") == 0 || strcmp(why, "not a member of the group") == 0) {
            st->cfg->ledger->commits_refused++;
            group_msg(node, st, "ghb", cJSON_CreateObject());   /* learn the new assignment now */
        }
    } else if (strcmp(type, "leave") == 0 && !st->left) {
        group_msg(node, st, "leave", cJSON_CreateObject());
        st->left = true;
        st->joined = false;
        st->gen = -1;
        for (int i = 0; i < st->nparts; i++) st->parts[i].assigned = false;
    } else if (strcmp(type, "join") == 0 && st->left) {
        st->left = false;
    }
}
