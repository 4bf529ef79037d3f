/*
 * Maelstrom's kafka workload (lua/dsim/wkafka.lua) on the kafka brokers. A key
 * is a topic of one partition, created on first use (auto.create.topics.enable:
 * the first send of a new key fails with code 11, temporarily unavailable, and
 * the controller creates it). Any broker answers:
 *
 *   send {key, msg}          appended by the partition's leader (this broker, or
 *                            forwarded as a produce with acks=all), answered with
 *                            the offset once committed (below the high watermark)
 *   poll {offsets: {k: o}}   a committed read of each key from its leader
 *   commit_offsets, list_committed_offsets   the group "maelstrom" at the coordinator
 *
 * A request that waits on other brokers is a proxy entry (kafka_proxy) keyed by
 * a correlation id; it is answered when every part has answered, or at its
 * deadline with what it has (a poll) or not at all (the client times out:
 * unknown, as it should be when the outcome is unknown).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka.h"

#define PROXY_TIMEOUT_NS (500 * SIM_NS_PER_MS)

void kafka_mael_error(sim_node *node, sim_node_id to, int64_t msg_id, int code, const char *text)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "error");
    cJSON_AddNumberToObject(m, "in_reply_to", (double)msg_id);
    cJSON_AddNumberToObject(m, "code", code);
    cJSON_AddStringToObject(m, "text", text);
    kafka_send(node, to, m);
}

static kafka_proxy *proxy_new(kafka_state *st, sim_node *node, const sim_msg *msg, int64_t msg_id, char kind)
{
    if (st->nproxies == st->capproxies) {
        st->capproxies = st->capproxies ? st->capproxies * 2 : 16;
        st->proxies = realloc(st->proxies, st->capproxies * sizeof(kafka_proxy));
        SIM_ASSERT(st->proxies != NULL);
    }
    kafka_proxy *x = &st->proxies[st->nproxies++];
    *x = (kafka_proxy){ .corr = ++st->corr, .msg_id = msg_id, .client = msg->from, .kind = kind,
                        .deadline_ns = sim_now_ns(sim_of(node)) + PROXY_TIMEOUT_NS };
    return x;
}

static void proxy_drop(kafka_state *st, kafka_proxy *x)
{
    cJSON_Delete(x->result);
    *x = st->proxies[--st->nproxies];
}

static void reply_result(sim_node *node, kafka_proxy *x, const char *type, const char *field)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddNumberToObject(m, "in_reply_to", (double)x->msg_id);
    if (field) {
        cJSON_AddItemToObject(m, field, x->result ? x->result : cJSON_CreateObject());
        x->result = NULL;
    }
    kafka_send(node, x->client, m);
}

/* Appends a fetch answer's committed records to a poll's result for key t. */
static void add_records(cJSON *result, const char *key, const cJSON *batches, int64_t from)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(result, key);
    if (!list) list = cJSON_AddArrayToObject(result, key);
    for (const cJSON *c = cJSON_IsArray(batches) ? batches->child : NULL; c; c = c->next) {
        kafka_batch b;
        if (!kafka_batch_parse(c, &b)) continue;
        for (uint32_t i = 0; i < b.n; i++) {
            if (b.base + i < from) continue;
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)(b.base + i)));
            cJSON_AddItemToArray(pair, cJSON_CreateNumber((double)(b.vals ? b.vals[i] : b.v0 + i)));
            cJSON_AddItemToArray(list, pair);
        }
        free(b.vals);
    }
}

static void on_send(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, int64_t msg_id)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(in, "key"), *v = cJSON_GetObjectItemCaseSensitive(in, "msg");
    if (!cJSON_IsString(key) || !cJSON_IsNumber(v) || strlen(key->valuestring) >= KAFKA_NAME)
        return kafka_mael_error(node, msg->from, msg_id, 12, "send needs a key (string) and a msg (number)");
    kafka_part *p = kafka_part_of(st, key->valuestring, 0);
    if (!p) {
        if (st->controller >= 0) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "type", "create");
            cJSON_AddStringToObject(c, "t", key->valuestring);
            cJSON_AddNumberToObject(c, "n", 1);
            if (st->controller == st->rank) kafka_on_create(node, st, c);
            else sim_json_send(node, st->brokers[st->controller], c);
            cJSON_Delete(c);
        }
        return kafka_mael_error(node, msg->from, msg_id, 11, "new key: its topic is being created");
    }
    if (p->leader < 0) return kafka_mael_error(node, msg->from, msg_id, 11, "the partition has no leader");
    if (p->leader == st->rank) {
        if (__builtin_popcountll(p->isr) < st->cfg->min_insync)
            return kafka_mael_error(node, msg->from, msg_id, 11, "not enough in-sync replicas");
        return kafka_mael_append(node, st, p, msg->from, msg_id, (int64_t)v->valuedouble);
    }
    kafka_proxy *x = proxy_new(st, node, msg, msg_id, 's');
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "produce");
    cJSON_AddNumberToObject(m, "corr", (double)x->corr);
    cJSON_AddStringToObject(m, "t", key->valuestring);
    cJSON_AddNumberToObject(m, "p", 0);
    cJSON_AddNumberToObject(m, "acks", -1);
    kafka_batch b = { .pid = -1, .v0 = (int64_t)v->valuedouble, .ts_ns = sim_now_ns(sim_of(node)), .n = 1 };
    cJSON *list = cJSON_AddArrayToObject(m, "b");
    cJSON_AddItemToArray(list, kafka_batch_json(&b));
    kafka_send(node, st->brokers[p->leader], m);
}

static void on_poll(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, int64_t msg_id)
{
    kafka_proxy *x = proxy_new(st, node, msg, msg_id, 'p');
    x->result = cJSON_CreateObject();
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(in, "offsets");
    for (const cJSON *e = cJSON_IsObject(offsets) ? offsets->child : NULL; e; e = e->next) {
        kafka_part *p = kafka_part_of(st, e->string, 0);
        int64_t from = cJSON_IsNumber(e) ? (int64_t)e->valuedouble : 0;
        if (!p || p->leader < 0) continue;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "fetch");
        cJSON_AddNumberToObject(m, "corr", (double)x->corr);
        cJSON_AddStringToObject(m, "t", e->string);
        cJSON_AddNumberToObject(m, "p", 0);
        cJSON_AddNumberToObject(m, "o", (double)(from < 0 ? 0 : from));
        cJSON_AddNumberToObject(m, "c", 1);
        x->outstanding++;
        kafka_send(node, st->brokers[p->leader], m);
    }
    if (x->outstanding == 0) {
        reply_result(node, x, "poll_ok", "msgs");
        proxy_drop(st, x);
    }
}

/* commit_offsets and list_committed_offsets go to the coordinator as the group "maelstrom". */
static void on_offsets(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, int64_t msg_id, bool list)
{
    if (st->controller < 0) return kafka_mael_error(node, msg->from, msg_id, 11, "no coordinator");
    kafka_proxy *x = proxy_new(st, node, msg, msg_id, list ? 'l' : 'c');
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", list ? "offsets" : "commit");
    cJSON_AddNumberToObject(m, "corr", (double)x->corr);
    cJSON_AddStringToObject(m, "g", "maelstrom");
    cJSON_AddNumberToObject(m, "gen", -1);
    cJSON *a = cJSON_AddArrayToObject(m, "offsets");
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(in, list ? "keys" : "offsets");
    for (const cJSON *e = src ? src->child : NULL; e; e = e->next) {
        cJSON *pe = cJSON_CreateArray();
        cJSON_AddItemToArray(pe, cJSON_CreateString(list ? (cJSON_IsString(e) ? e->valuestring : "") : e->string));
        cJSON_AddItemToArray(pe, cJSON_CreateNumber(0));
        cJSON_AddItemToArray(pe, cJSON_CreateNumber(cJSON_IsNumber(e) ? e->valuedouble : -1));
        cJSON_AddItemToArray(a, pe);
    }
    kafka_send(node, st->brokers[st->controller], m);
}

static kafka_proxy *proxy_find(kafka_state *st, const cJSON *in)
{
    int64_t corr = sim_json_int(in, "corr", -1);
    for (size_t i = 0; i < st->nproxies; i++)
        if (st->proxies[i].corr == corr) return &st->proxies[i];
    return NULL;
}

static void on_answer(sim_node *node, kafka_state *st, const cJSON *in, const char *type)
{
    kafka_proxy *x = proxy_find(st, in);
    if (!x) return;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(in, "error");
    if (x->kind == 's' && cJSON_IsString(err)) {
        bool definite = strcmp(err->valuestring, KAFKA_NOT_LEADER) == 0 || strcmp(err->valuestring, KAFKA_UNKNOWN_TOPIC) == 0;
        kafka_mael_error(node, x->client, x->msg_id, definite ? 11 : 13, err->valuestring);
    } else if (x->kind == 's') {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "send_ok");
        cJSON_AddNumberToObject(m, "in_reply_to", (double)x->msg_id);
        cJSON_AddNumberToObject(m, "offset", (double)sim_json_int(in, "o", -1));
        kafka_send(node, x->client, m);
    } else if (x->kind == 'p') {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
        if (strcmp(type, "fetch_ok") == 0 && cJSON_IsString(t))
            add_records(x->result, t->valuestring, cJSON_GetObjectItemCaseSensitive(in, "b"), 0);
        if (--x->outstanding > 0) return;
        reply_result(node, x, "poll_ok", "msgs");
    } else if (cJSON_IsString(err)) {
        kafka_mael_error(node, x->client, x->msg_id, 11, err->valuestring);
    } else if (x->kind == 'c') {
        reply_result(node, x, "commit_offsets_ok", NULL);
    } else {
        x->result = cJSON_CreateObject();
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "offsets");
        for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next) {
            const cJSON *k = cJSON_GetArrayItem(e, 0), *o = cJSON_GetArrayItem(e, 2);
            if (cJSON_IsString(k) && cJSON_IsNumber(o) && o->valuedouble >= 0)
                cJSON_AddNumberToObject(x->result, k->valuestring, o->valuedouble);
        }
        reply_result(node, x, "list_committed_offsets_ok", "offsets");
    }
    proxy_drop(st, x);
}

bool kafka_mael_receive(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, const char *type)
{
    int64_t msg_id = sim_json_int(in, "msg_id", -1);
    if (strcmp(type, "send") == 0) on_send(node, st, msg, in, msg_id);
    else if (strcmp(type, "poll") == 0) on_poll(node, st, msg, in, msg_id);
    else if (strcmp(type, "commit_offsets") == 0) on_offsets(node, st, msg, in, msg_id, false);
    else if (strcmp(type, "list_committed_offsets") == 0) on_offsets(node, st, msg, in, msg_id, true);
    else if (kafka_rank_of(st, msg->from) >= 0 &&
             (strcmp(type, "produce_ok") == 0 || strcmp(type, "produce_err") == 0 || strcmp(type, "fetch_ok") == 0 ||
              strcmp(type, "fetch_err") == 0 || strcmp(type, "commit_ok") == 0 || strcmp(type, "offsets_ok") == 0 ||
              strcmp(type, "group_err") == 0))
        on_answer(node, st, in, type);
    else return false;
    return true;
}

/* Expires proxies: a poll answers with what it has, the rest are left to time out. */
void kafka_mael_tick(sim_node *node, kafka_state *st)
{
    int64_t now = sim_now_ns(sim_of(node));
    for (size_t i = 0; i < st->nproxies;) {
        kafka_proxy *x = &st->proxies[i];
        if (x->deadline_ns > now) {
            i++;
            continue;
        }
        if (x->kind == 'p') reply_result(node, x, "poll_ok", "msgs");
        proxy_drop(st, x);
    }
}
