/*
 * The consensus invariant checker: an observer that, after every trace record,
 * looks at the nodes' decisions through sim_node_state() (a scenario's privilege,
 * never a protocol's) and stops the run at the first violation, naming the slot,
 * the nodes and the values:
 *
 *   <system>-agreement   no two nodes ever decide different values for one key
 *                        (a slot, a transaction), at any time, across crashes:
 *                        the first decision of each key is remembered
 *   <system>-validity    every decided value passes the system's validity test
 *                        (proposed by someone; a command a client issued)
 *   <system>-log-prefix  (systems with a state machine) replicas that applied the
 *                        same number of slots applied the same commands, in the
 *                        same order (a chain hash per prefix length)
 *
 * Each protocol describes its nodes' decisions with a consensus_probe. A node's
 * decisions form a list that only grows within one incarnation (it restarts from
 * zero after a crash, when the node reloads its disk); the checker remembers how
 * far it read each node's list, so each decision is checked once per incarnation
 * and the cost per record is O(1) plus the new decisions. It inspects the node a
 * record names and the node of the record before (whose handler may have just
 * changed its state), which covers every handler.
 */
#ifndef SIM_SYSTEMS_CONSENSUS_CHECK_H
#define SIM_SYSTEMS_CONSENSUS_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

typedef struct consensus_check consensus_check;

typedef struct consensus_probe {
    const char *system;      /* prefix of the check names: "paxos", "twopc" ... */
    const char *agreement;   /* the agreement check's name: "agreement", "atomicity" */
    const char *key_name;    /* "slot", "txn" */
    const char *decided;     /* the verb in messages: "learned", "decided" */
    /* The node's decisions in this incarnation, oldest first. */
    size_t (*count)(const void *state);
    void (*get)(const void *state, size_t i, int64_t *key, const char **value);
    /* Optional: how many slots the node applied, and the chain hash of them. */
    bool (*applied)(const void *state, int64_t *length, uint64_t *chain);
    /* Optional: false (with the reason in why) when value may not be decided. */
    bool (*valid)(consensus_check *c, int64_t key, const char *value, char *why, size_t n);
} consensus_probe;

/* Watches the nodes that run `program`. 0, or SIM_ENOMEM. */
int consensus_check_attach(sim *s, const sim_program *program, const consensus_probe *probe,
                           consensus_check **out);
/* Unsubscribes and frees; c may be NULL. */
void consensus_check_detach(consensus_check *c);

/* Checks every up node once more now (cheap; scenarios call it before judging). */
void consensus_check_now(consensus_check *c);
/* Reports every check that has not failed as passed (sim_check_report), prints a
 * summary to out when not NULL, and returns how many of its checks failed. */
int consensus_check_report(consensus_check *c, FILE *out);

bool consensus_check_failed(const consensus_check *c);
sim *consensus_check_sim(const consensus_check *c);
/* True when a node annotated "proposed" with exactly this value. */
bool consensus_check_proposed(const consensus_check *c, const char *value);
/* The first decided value of key (NULL when none), and how many keys have one. */
const char *consensus_check_value(const consensus_check *c, int64_t key);
size_t consensus_check_keys_decided(const consensus_check *c);

#endif
