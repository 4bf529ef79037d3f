/*
 * Protocol invariants reported as failed checks (see invariant.h).
 */
#include "sim/systems/invariant.h"

#include <stdio.h>

bool sim_invariant(sim_node *node, bool ok, const char *check, const char *what)
{
    sim *s = sim_of(node);
    if (ok || sim_halted(s)) return ok;
    char detail[256];
    snprintf(detail, sizeof(detail), "%s: invariant broken (%s)", sim_self_name(node), what);
    sim_check_report(s, check, false, detail);
    sim_halt(s);
    return ok;
}
