/*
 * The list of built-in scenarios, in name order.
 */
#include <string.h>

#include "lua/builtins/builtin.h"

extern const dsim_builtin dsim_builtin_broadcast;
extern const dsim_builtin dsim_builtin_flp_backoff;
extern const dsim_builtin dsim_builtin_flp_duel;
extern const dsim_builtin dsim_builtin_multipaxos;
extern const dsim_builtin dsim_builtin_multipaxos_bug_skip_phase1;
extern const dsim_builtin dsim_builtin_paxos;
extern const dsim_builtin dsim_builtin_paxos_bug_ack_before_sync;
extern const dsim_builtin dsim_builtin_paxos_bug_volatile_ballot;
extern const dsim_builtin dsim_builtin_paxos_wide;
extern const dsim_builtin dsim_builtin_twopc;
extern const dsim_builtin dsim_builtin_twopc_blocked;
extern const dsim_builtin dsim_builtin_twopc_bug_no_durable_prepare;

static const dsim_builtin *const builtins[] = {
    &dsim_builtin_broadcast,
    &dsim_builtin_flp_backoff,
    &dsim_builtin_flp_duel,
    &dsim_builtin_multipaxos,
    &dsim_builtin_multipaxos_bug_skip_phase1,
    &dsim_builtin_paxos,
    &dsim_builtin_paxos_bug_ack_before_sync,
    &dsim_builtin_paxos_bug_volatile_ballot,
    &dsim_builtin_paxos_wide,
    &dsim_builtin_twopc,
    &dsim_builtin_twopc_blocked,
    &dsim_builtin_twopc_bug_no_durable_prepare,
};

const dsim_builtin *dsim_builtin_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strcmp(builtins[i]->name, name) == 0) return builtins[i];
    return NULL;
}

const dsim_builtin *dsim_builtin_at(size_t i)
{
    return i < sizeof(builtins) / sizeof(builtins[0]) ? builtins[i] : NULL;
}
