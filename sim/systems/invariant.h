/*
 * Protocol invariants as checks, not aborts. A node program's broken invariant
 * (a local state check after a handler, two values decided for one slot) is a
 * lesson about the protocol, not a simulator bug: it is reported as a failed check
 * named after the system (the run stops; the command line prints the time, the
 * seed and the command that reproduces it, and exits 1). SIM_ASSERT stays for the
 * simulator's own invariants (memory, the kernel's contracts).
 *
 *   sim_invariant(node, paxos_state_valid(st), "paxos-local", "after receive");
 */
#ifndef SIM_SYSTEMS_INVARIANT_H
#define SIM_SYSTEMS_INVARIANT_H

#include <stdbool.h>

#include "sim/sim.h"

/* Returns ok. When !ok: a failed check `check` whose detail names the node and
 * says `what`, then the run halts (once per run: later failures are not reported). */
bool sim_invariant(sim_node *node, bool ok, const char *check, const char *what);

#endif
