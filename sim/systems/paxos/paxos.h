/*
 * Single-decree Paxos: the state a node exposes to scenarios, tests and the
 * invariant checker through sim_node_state() (never to another node's program).
 * The protocol, its state machines and its invariants are described at the top
 * of paxos.c.
 */
#ifndef SIM_SYSTEMS_PAXOS_H
#define SIM_SYSTEMS_PAXOS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/systems/consensus/consensus_check.h"
#include "sim/systems/consensus/consensus_util.h"

/* The bug switches a student can flip (option bug = "..."). */
typedef enum paxos_bug {
    PAXOS_BUG_NONE,
    PAXOS_BUG_ACK_BEFORE_SYNC,    /* "ack-before-sync": sync every flush_delay, answer first */
    PAXOS_BUG_VOLATILE_BALLOT,    /* "volatile-ballot": the proposer's round is not on disk */
} paxos_bug;

typedef enum paxos_backoff {
    PAXOS_BACKOFF_RANDOM,         /* "random": retry after timeout + a random, growing wait */
    PAXOS_BACKOFF_NONE,           /* "none": retry exactly every timeout (FLP's bad schedule) */
} paxos_backoff;

typedef struct paxos_config {
    int64_t proposers;            /* the first `proposers` members propose (default: all) */
    int64_t timeout_ns;           /* option timeout: a round's deadline (default 100ms) */
    int64_t stagger_ns;           /* option stagger: proposer k starts at k * stagger */
    int64_t flush_delay_ns;       /* option flush_delay: the bug's group commit (100ms) */
    paxos_backoff backoff;
    paxos_bug bug;
} paxos_config;

typedef enum paxos_phase {
    PAXOS_IDLE,                   /* not a proposer, or not started yet */
    PAXOS_PREPARING,              /* phase 1: prepare sent, counting promises */
    PAXOS_ACCEPTING,              /* phase 2: accept sent, waiting to learn */
    PAXOS_WAITING,                /* round failed: backing off before the next */
    PAXOS_DONE,                   /* a value is chosen (this node learned it) */
} paxos_phase;

typedef struct paxos_state {
    const paxos_config *cfg;
    sim_node_id members[CONS_MEMBERS_MAX];
    size_t nmembers, self_index;

    /* acceptor: durable (synced before any answer, unless the bug is on) */
    cons_ballot promised;         /* never answers a lower ballot */
    cons_ballot accepted_ballot;  /* zero: nothing accepted */
    char *accepted_value;
    bool flush_pending;           /* bug: writes not yet synced */

    /* proposer */
    bool is_proposer;
    paxos_phase phase;
    cons_ballot ballot;           /* of the current (or last) round */
    int64_t round_seen;           /* the highest round heard of */
    uint64_t promise_mask;        /* members that promised `ballot` */
    cons_ballot best_ballot;      /* highest accepted ballot among the promises */
    char *best_value;
    char *my_value;               /* what this proposer proposes: "v-" and its name */
    int64_t rounds, failures;     /* rounds started; consecutive failed rounds */

    /* learner */
    cons_ballot count_ballot;     /* the ballot whose accepted messages are counted */
    char *count_value;
    uint64_t count_mask;          /* members that accepted (count_ballot, count_value) */
    char *chosen;                 /* the learned value (durable), or NULL */
} paxos_state;

/* The node's local invariants (see paxos.c); asserted after every handler. */
bool paxos_state_valid(const paxos_state *st);

/* What the invariant checker reads of a node: its learned value (slot 0). */
extern const consensus_probe paxos_probe;

/* What a scenario reads as h.state (paxos_state.c). */
cJSON *paxos_state_json(const sim *s, sim_node_id id);

#endif
