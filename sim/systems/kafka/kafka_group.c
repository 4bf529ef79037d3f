/*
 * The group coordinator, run by the controller: consumer groups, their members,
 * partition assignment and committed offsets. Simpler than Kafka's two-phase
 * JoinGroup/SyncGroup: the coordinator computes the assignment itself (range or
 * round-robin over the members in node id order) and hands each member its share
 * in the answer to its join and to every heartbeat; a member that sees a new
 * generation drops the partitions it lost and starts the ones it gained at their
 * committed offsets. A rebalance happens when a member joins, leaves, or misses
 * heartbeats for its session timeout.
 *
 *     (none) --join--> MEMBER(gen g+1) --ghb within session--> MEMBER
 *                         |--leave | session expired--> gone (gen + 1 for the others)
 *
 * group_initial_rebalance_delay (Kafka's group.initial.rebalance.delay.ms): a
 * new group hands out no partitions until that long after its first join, so
 * members starting together cause one assignment, not one per member.
 *
 * Commits carry the member's generation: a commit from a stale generation (the
 * member was expelled, its partitions reassigned) is refused, as Kafka's
 * ILLEGAL_GENERATION, so a zombie cannot move another member's offsets. A
 * commit to a group without members (manual assignment, Maelstrom's workload)
 * is accepted with generation -1.
 *
 * Durability: offsets travel to every broker in the controller's metadata, each
 * publication (on change and every 10 heartbeats), so a new controller resumes
 * from them; commits acknowledged since the last publication can be lost with
 * the controller, which makes consumers re-read (duplicates, never loss, for
 * at-least-once). Kafka writes them to a replicated topic instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/kafka/kafka.h"

static kafka_group *group_find(kafka_state *st, const char *name, bool add)
{
    for (size_t i = 0; i < st->ngroups; i++)
        if (strcmp(st->groups[i].name, name) == 0) return &st->groups[i];
    if (!add || strlen(name) >= KAFKA_NAME) return NULL;
    st->groups = realloc(st->groups, (st->ngroups + 1) * sizeof(kafka_group));
    SIM_ASSERT(st->groups != NULL);
    kafka_group *g = &st->groups[st->ngroups++];
    memset(g, 0, sizeof(*g));
    snprintf(g->name, sizeof(g->name), "%s", name);
    g->topic = -1;
    g->created_ns = -1;
    return g;
}

static kafka_member *member_find(kafka_group *g, sim_node_id id)
{
    for (size_t i = 0; i < g->nmembers; i++)
        if (g->members[i].node == id) return &g->members[i];
    return NULL;
}

static void member_remove(kafka_group *g, size_t i)
{
    memmove(&g->members[i], &g->members[i + 1], (g->nmembers - i - 1) * sizeof(kafka_member));
    g->nmembers--;
    g->generation++;
}

static int64_t *offset_slot(kafka_group *g, int part)
{
    for (size_t i = 0; i < g->noffsets; i++)
        if (g->offsets[i].part == part) return &g->offsets[i].offset;
    g->offsets = realloc(g->offsets, (g->noffsets + 1) * sizeof(kafka_offset));
    SIM_ASSERT(g->offsets != NULL);
    g->offsets[g->noffsets] = (kafka_offset){ part, -1 };
    return &g->offsets[g->noffsets++].offset;
}

/* Partitions of member index m: range gives contiguous runs, round-robin every
 * nmembers-th partition. */
static bool assigned(const kafka_group *g, size_t m, int i, int count)
{
    size_t n = g->nmembers;
    if (g->roundrobin) return (size_t)i % n == m;
    size_t per = (size_t)count / n, extra = (size_t)count % n;
    size_t start = m * per + (m < extra ? m : extra), len = per + (m < extra ? 1 : 0);
    return (size_t)i >= start && (size_t)i < start + len;
}

/* A new group waiting out its initial rebalance delay. */
static bool waiting(const kafka_state *st, const kafka_group *g, int64_t now)
{
    return g->created_ns >= 0 && now < g->created_ns + st->cfg->rebalance_delay_ns;
}

static void reply_assignment(sim_node *node, kafka_state *st, kafka_group *g, const char *type, sim_node_id to,
                             int64_t corr)
{
    size_t m = 0;
    while (m < g->nmembers && g->members[m].node != to) m++;
    const kafka_topic *t = &st->topics[g->topic];
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", type);
    cJSON_AddNumberToObject(out, "corr", (double)corr);
    cJSON_AddNumberToObject(out, "gen", (double)g->generation);
    cJSON *parts = cJSON_AddArrayToObject(out, "parts");
    for (int i = 0; i < t->count && !waiting(st, g, sim_now_ns(sim_of(node))); i++) {
        if (!assigned(g, m, i, t->count)) continue;
        cJSON *pe = cJSON_CreateArray();
        cJSON_AddItemToArray(pe, cJSON_CreateNumber(i));
        cJSON_AddItemToArray(pe, cJSON_CreateNumber((double)*offset_slot(g, t->first + i)));
        cJSON_AddItemToArray(parts, pe);
    }
    kafka_send(node, to, out);
}

static void on_join(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, kafka_group *g, int64_t corr)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "t");
    int ti = cJSON_IsString(t) ? kafka_topic_find(st, t->valuestring) : -1;
    if (ti < 0 || (g->topic >= 0 && g->topic != ti)) {
        kafka_error(node, msg->from, "group_err", corr, KAFKA_UNKNOWN_TOPIC);
        return;
    }
    g->topic = ti;
    if (g->created_ns < 0) g->created_ns = sim_now_ns(sim_of(node));
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(in, "a");
    g->roundrobin = cJSON_IsString(a) && strcmp(a->valuestring, "roundrobin") == 0;
    kafka_member *mb = member_find(g, msg->from);
    if (!mb) {
        size_t i = 0;
        while (i < g->nmembers && g->members[i].node < msg->from) i++;
        g->members = realloc(g->members, (g->nmembers + 1) * sizeof(kafka_member));
        SIM_ASSERT(g->members != NULL);
        memmove(&g->members[i + 1], &g->members[i], (g->nmembers - i) * sizeof(kafka_member));
        g->nmembers++;
        mb = &g->members[i];
        mb->node = msg->from;
        if (!waiting(st, g, sim_now_ns(sim_of(node)))) g->generation++;
        sim_log(node, "group %s: %s joins, generation %lld", g->name, sim_node_name(sim_of(node), msg->from),
                (long long)g->generation);
    }
    mb->last_hb_ns = sim_now_ns(sim_of(node));
    mb->session_ns = sim_json_int(in, "s", 100 * SIM_NS_PER_MS);
    reply_assignment(node, st, g, "join_ok", msg->from, corr);
}

/* The partition an entry [topic, index, ...] names, or NULL. */
static kafka_part *entry_part(kafka_state *st, const cJSON *e)
{
    const cJSON *t = cJSON_GetArrayItem(e, 0), *i = cJSON_GetArrayItem(e, 1);
    return cJSON_IsString(t) && cJSON_IsNumber(i) ? kafka_part_of(st, t->valuestring, (int64_t)i->valuedouble) : NULL;
}

static void on_commit(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, kafka_group *g,
                      int64_t corr)
{
    int64_t gen = sim_json_int(in, "gen", -1);
    const char *refuse = NULL;
    if (g->nmembers > 0 && !member_find(g, msg->from)) refuse = "not a member of the group";
    else if (g->nmembers > 0 && gen != g->generation) refuse = "illegal_generation";
    if (refuse) {
        kafka_error(node, msg->from, "group_err", corr, refuse);
        return;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "offsets");
    for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next) {
        kafka_part *p = entry_part(st, e);
        const cJSON *o = cJSON_GetArrayItem(e, 2);
        if (p && cJSON_IsNumber(o)) *offset_slot(g, (int)(p - st->parts)) = (int64_t)o->valuedouble;
    }
    kafka_meta_changed(st);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "commit_ok");
    cJSON_AddNumberToObject(out, "corr", (double)corr);
    kafka_send(node, msg->from, out);
}

/* offsets {corr, g, offsets: [[t, i, _]...]} -> offsets_ok {corr, offsets: [[t, i, o]...]} (o = -1: none) */
static void on_offsets(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, kafka_group *g,
                       int64_t corr)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "offsets");
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "offsets_ok");
    cJSON_AddNumberToObject(out, "corr", (double)corr);
    cJSON *a = cJSON_AddArrayToObject(out, "offsets");
    for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next) {
        kafka_part *p = entry_part(st, e);
        if (!p) continue;
        cJSON *pe = cJSON_CreateArray();
        cJSON_AddItemToArray(pe, cJSON_CreateString(st->topics[p->topic].name));
        cJSON_AddItemToArray(pe, cJSON_CreateNumber(p->index));
        cJSON_AddItemToArray(pe, cJSON_CreateNumber((double)*offset_slot(g, (int)(p - st->parts))));
        cJSON_AddItemToArray(a, pe);
    }
    kafka_send(node, msg->from, out);
}

void kafka_on_group(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, const char *type)
{
    static const char *const types[] = { "join", "ghb", "leave", "commit", "offsets", NULL };
    size_t k = 0;
    while (types[k] && strcmp(types[k], type) != 0) k++;
    if (!types[k]) return;
    int64_t corr = sim_json_int(in, "corr", -1);
    const cJSON *gn = cJSON_GetObjectItemCaseSensitive(in, "g");
    if (!st->is_controller || !cJSON_IsString(gn)) {
        kafka_error(node, msg->from, "group_err", corr, "not_coordinator");
        return;
    }
    kafka_group *g = group_find(st, gn->valuestring, true);
    if (!g) return;
    kafka_member *mb = member_find(g, msg->from);
    if (k == 0) on_join(node, st, msg, in, g, corr);
    else if (k == 1 && !mb) kafka_error(node, msg->from, "group_err", corr, "unknown_member");
    else if (k == 1) {
        mb->last_hb_ns = sim_now_ns(sim_of(node));
        reply_assignment(node, st, g, "ghb_ok", msg->from, corr);
    } else if (k == 2 && mb) member_remove(g, (size_t)(mb - g->members));
    else if (k == 3) on_commit(node, st, msg, in, g, corr);
    else if (k == 4) on_offsets(node, st, msg, in, g, corr);
}

void kafka_group_tick(sim_node *node, kafka_state *st)
{
    if (!st->is_controller) return;
    int64_t now = sim_now_ns(sim_of(node));
    for (size_t i = 0; i < st->ngroups; i++) {
        kafka_group *g = &st->groups[i];
        if (g->created_ns >= 0 && g->generation == 0 && !waiting(st, g, now) && g->nmembers > 0) g->generation = 1;
        for (size_t m = 0; m < g->nmembers;) {
            if (now - g->members[m].last_hb_ns <= g->members[m].session_ns) {
                m++;
                continue;
            }
            sim_log(node, "group %s: %s missed its session, generation %lld", g->name,
                    sim_node_name(sim_of(node), g->members[m].node), (long long)g->generation + 1);
            member_remove(g, m);
        }
    }
}

cJSON *kafka_offsets_json(const kafka_state *st)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < st->ngroups; i++) {
        const kafka_group *g = &st->groups[i];
        for (size_t k = 0; k < g->noffsets; k++) {
            const kafka_part *p = &st->parts[g->offsets[k].part];
            cJSON *e = cJSON_CreateArray();
            cJSON_AddItemToArray(e, cJSON_CreateString(g->name));
            cJSON_AddItemToArray(e, cJSON_CreateString(st->topics[p->topic].name));
            cJSON_AddItemToArray(e, cJSON_CreateNumber(p->index));
            cJSON_AddItemToArray(e, cJSON_CreateNumber((double)g->offsets[k].offset));
            cJSON_AddItemToArray(a, e);
        }
    }
    return a;
}

void kafka_offsets_apply(kafka_state *st, const cJSON *list)
{
    for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next) {
        const cJSON *g = cJSON_GetArrayItem(e, 0), *t = cJSON_GetArrayItem(e, 1);
        const cJSON *i = cJSON_GetArrayItem(e, 2), *o = cJSON_GetArrayItem(e, 3);
        if (!cJSON_IsString(g) || !cJSON_IsString(t) || !cJSON_IsNumber(i) || !cJSON_IsNumber(o)) continue;
        kafka_part *p = kafka_part_of(st, t->valuestring, (int64_t)i->valuedouble);
        kafka_group *grp = group_find(st, g->valuestring, true);
        if (p && grp) *offset_slot(grp, (int)(p - st->parts)) = (int64_t)o->valuedouble;
    }
}

void kafka_groups_free(kafka_state *st)
{
    for (size_t i = 0; i < st->ngroups; i++) {
        free(st->groups[i].members);
        free(st->groups[i].offsets);
    }
    free(st->groups);
    st->groups = NULL;
    st->ngroups = 0;
}
