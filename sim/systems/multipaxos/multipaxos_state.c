/*
 * What a scenario reads as a Multi-Paxos replica's h.state (state_json):
 *
 *   role        "follower", "candidate" or "leader"
 *   ballot      the ballot it campaigns or leads with, "round.node", or nil
 *   promised    the acceptor's promise (one for every slot), or nil
 *   leader      the leader it last heard from (a name), or nil
 *   commit      every slot up to commit is decided; applied: slots applied
 *   log         the decided commands of slots 1..commit, in order
 *   undecided   slots above commit that hold an accepted (or decided) value
 *   kv          the key-value state machine, key -> value
 *   elections, terms, duplicates   campaigns, terms led, retries not re-executed
 */
#include <cJSON.h>

#include "sim/systems/multipaxos/multipaxos.h"
#include "sim/systems/system.h"

static void add_ballot(const sim *s, cJSON *obj, const char *key, cons_ballot b)
{
    if (cons_ballot_is_zero(b)) return;
    char text[80];
    cons_ballot_text(s, b, text, sizeof(text));
    cJSON_AddStringToObject(obj, key, text);
}

static void add_log(cJSON *o, const multipaxos_state *st)
{
    cJSON *log = cJSON_AddArrayToObject(o, "log");
    int64_t undecided = 0;
    for (int64_t slot = 1; slot <= st->max_slot && slot < st->log_cap; slot++) {
        const mp_slot *sl = &st->log[slot];
        if (slot <= st->commit) cJSON_AddItemToArray(log, sim_state_text(sl->decided));
        else undecided += sl->decided != NULL || sl->accepted != NULL;
    }
    cJSON_AddNumberToObject(o, "undecided", (double)undecided);
}

cJSON *multipaxos_state_json(const sim *s, sim_node_id id)
{
    static const char *const roles[] = { "follower", "candidate", "leader" };
    const multipaxos_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", roles[st->role]);
    add_ballot(s, o, "ballot", st->ballot);
    add_ballot(s, o, "promised", st->promised);
    sim_state_add_node(s, o, "leader", st->leader);
    cJSON_AddNumberToObject(o, "commit", (double)st->commit);
    cJSON_AddNumberToObject(o, "applied", (double)st->applied);
    add_log(o, st);
    cJSON *kv = cJSON_AddObjectToObject(o, "kv");
    for (size_t i = 0; i < st->nkv; i++) sim_state_add_text(kv, st->kv[i].key, st->kv[i].value);
    cJSON_AddNumberToObject(o, "elections", (double)st->elections);
    cJSON_AddNumberToObject(o, "terms", (double)st->terms);
    cJSON_AddNumberToObject(o, "duplicates", (double)st->duplicates);
    return o;
}
