/*
 * What a scenario reads as a Paxos node's h.state (the sim_system's state_json):
 *
 *   role       "proposer" or "acceptor"
 *   phase      "idle", "preparing", "accepting", "waiting", "done"
 *   ballot     the proposer's current (or last) ballot, "round.node" ("4.n2"), or nil
 *   rounds     rounds this proposer started (this incarnation)
 *   promised   the acceptor's promise, "round.node", or nil
 *   accepted   {ballot = "round.node", value = v} the acceptor's last accept, or nil
 *   proposed   what this proposer proposes (its own value), or nil
 *   chosen     the value this node learned, or nil
 */
#include <cJSON.h>

#include "sim/systems/paxos/paxos.h"
#include "sim/systems/system.h"

static void add_ballot(const sim *s, cJSON *obj, const char *key, cons_ballot b)
{
    if (cons_ballot_is_zero(b)) return;
    char text[80];
    cons_ballot_text(s, b, text, sizeof(text));
    cJSON_AddStringToObject(obj, key, text);
}

cJSON *paxos_state_json(const sim *s, sim_node_id id)
{
    static const char *const phases[] = { "idle", "preparing", "accepting", "waiting", "done" };
    const paxos_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", st->is_proposer ? "proposer" : "acceptor");
    cJSON_AddStringToObject(o, "phase", phases[st->phase]);
    if (st->rounds) add_ballot(s, o, "ballot", st->ballot);
    cJSON_AddNumberToObject(o, "rounds", (double)st->rounds);
    add_ballot(s, o, "promised", st->promised);
    if (!cons_ballot_is_zero(st->accepted_ballot)) {
        cJSON *acc = cJSON_AddObjectToObject(o, "accepted");
        add_ballot(s, acc, "ballot", st->accepted_ballot);
        if (st->accepted_value) cJSON_AddStringToObject(acc, "value", st->accepted_value);
    }
    if (st->my_value) cJSON_AddStringToObject(o, "proposed", st->my_value);
    if (st->chosen) cJSON_AddStringToObject(o, "chosen", st->chosen);
    return o;
}
