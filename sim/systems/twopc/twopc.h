/*
 * Two-phase commit: the state a node exposes to scenarios, tests and the
 * invariant checker through sim_node_state() (never to another node's program).
 * The protocol, its state machines and its invariants are described at the top
 * of twopc.c (the coordinator) and twopc_participant.c.
 */
#ifndef SIM_SYSTEMS_TWOPC_H
#define SIM_SYSTEMS_TWOPC_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/systems/consensus/consensus_check.h"
#include "sim/systems/consensus/consensus_util.h"

typedef enum twopc_bug {
    TWOPC_BUG_NONE,
    TWOPC_BUG_NO_DURABLE_PREPARE,   /* "no-durable-prepare": vote yes before the sync */
} twopc_bug;

typedef struct twopc_config {
    int64_t txns;                   /* option txns: transactions the coordinator runs (20) */
    int64_t interval_ns;            /* option interval: between transaction starts (50ms) */
    int64_t vote_timeout_ns;        /* option vote_timeout: abort when votes are missing (100ms) */
    int64_t retry_ns;               /* option retry: resend prepare, decision, status (30ms) */
    int64_t blocked_after_ns;       /* option blocked_after: prepared this long = blocked (100ms) */
    double no_prob;                 /* option no_prob: a participant votes no (0.1) */
    twopc_bug bug;
} twopc_config;

typedef enum twopc_phase {
    TX_NONE,                        /* never heard of (or forgotten in a crash) */
    TX_PREPARING,                   /* coordinator: prepare sent, collecting votes */
    TX_PREPARED,                    /* participant: voted yes (durable), awaiting the decision */
    TX_COMMITTED,
    TX_ABORTED,
} twopc_phase;

typedef struct twopc_txn {
    twopc_phase phase;
    uint64_t yes_mask, ack_mask;    /* coordinator: participants that voted yes / acked */
    bool done;                      /* coordinator: every participant acknowledged */
    bool voted_no;                  /* participant */
    bool blocked;                   /* participant: prepared for blocked_after, no decision */
    bool lost;                      /* participant: told to commit what it had forgotten */
    int64_t since_ns;               /* participant: local clock when it prepared */
} twopc_txn;

typedef struct twopc_state {
    const twopc_config *cfg;
    sim_node_id members[CONS_MEMBERS_MAX];   /* members[0] is the coordinator */
    size_t nmembers, self_index;
    bool coordinator;
    twopc_txn *txns;                /* index = transaction id, 1..cfg->txns */
    int64_t next_txn;               /* coordinator: the next id to begin (durable) */
    int64_t *decisions;             /* ids in the order this incarnation decided them */
    size_t ndecisions;
    int64_t commits, aborts;
} twopc_state;

/* The node's local invariants (see twopc.c); asserted after each handler. */
bool twopc_state_valid(const twopc_state *st);
/* Participants blocked right now (prepared, no decision for blocked_after). */
size_t twopc_blocked(const twopc_state *st, int64_t *first_txn);

/* What the invariant checker reads: each node's commit/abort per transaction. */
extern const consensus_probe twopc_probe;

/* What a scenario reads as h.state (twopc_state.c). */
cJSON *twopc_state_json(const sim *s, sim_node_id id);

#endif
