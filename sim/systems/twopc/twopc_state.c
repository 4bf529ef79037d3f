/*
 * What a scenario reads as a two-phase commit node's h.state (state_json):
 *
 *   role       "coordinator" or "participant"
 *   txns       txns[T] is transaction T's phase here: "none", "preparing",
 *              "prepared", "committed" or "aborted" (T = 1 .. the option txns)
 *   blocked    the transactions this participant is blocked on (prepared for
 *              blocked_after with no decision), in id order
 *   next_txn   coordinator: the next transaction it begins
 *   commits, aborts   decisions reached in this incarnation
 */
#include <cJSON.h>

#include "sim/systems/system.h"
#include "sim/systems/twopc/twopc.h"

cJSON *twopc_state_json(const sim *s, sim_node_id id)
{
    static const char *const phases[] = { "none", "preparing", "prepared", "committed", "aborted" };
    const twopc_state *st = sim_node_state(s, id);
    if (!st) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", st->coordinator ? "coordinator" : "participant");
    cJSON *txns = cJSON_AddArrayToObject(o, "txns");
    cJSON *blocked = cJSON_AddArrayToObject(o, "blocked");
    for (int64_t t = 1; t <= st->cfg->txns; t++) {
        cJSON_AddItemToArray(txns, cJSON_CreateString(phases[st->txns[t].phase]));
        if (st->txns[t].phase == TX_PREPARED && st->txns[t].blocked)
            cJSON_AddItemToArray(blocked, cJSON_CreateNumber((double)t));
    }
    if (st->coordinator) cJSON_AddNumberToObject(o, "next_txn", (double)st->next_txn);
    cJSON_AddNumberToObject(o, "commits", (double)st->commits);
    cJSON_AddNumberToObject(o, "aborts", (double)st->aborts);
    return o;
}
