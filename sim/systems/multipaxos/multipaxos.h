/*
 * Multi-Paxos: the state a replica exposes to scenarios, tests and the invariant
 * checker through sim_node_state() (never to another node's program). The
 * protocol, its state machines and its invariants are described at the top of
 * multipaxos.c; the client is multipaxos_client.c.
 */
#ifndef SIM_SYSTEMS_MULTIPAXOS_H
#define SIM_SYSTEMS_MULTIPAXOS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/systems/consensus/consensus_check.h"
#include "sim/systems/consensus/consensus_util.h"

typedef enum multipaxos_bug {
    MULTIPAXOS_BUG_NONE,
    MULTIPAXOS_BUG_SKIP_PHASE1,   /* "skip-phase1-after-restart" */
    MULTIPAXOS_BUG_VOLATILE_BALLOT, /* "volatile-ballot": a campaign's ballot is not on disk */
} multipaxos_bug;

typedef struct multipaxos_config {
    int64_t heartbeat_ns;         /* option heartbeat (default 20ms) */
    int64_t election_timeout_ns;  /* option election_timeout: silence before an election,
                                     drawn in [t, 2t) (default 150ms) */
    int64_t retransmit_ns;        /* option retransmit: accepts resent (default 50ms) */
    multipaxos_bug bug;
} multipaxos_config;

typedef enum multipaxos_role { MP_FOLLOWER, MP_CANDIDATE, MP_LEADER } multipaxos_role;

/* One slot of the replicated log. */
typedef struct mp_slot {
    cons_ballot accepted_ballot;  /* acceptor (durable); zero: nothing accepted */
    char *accepted;
    cons_ballot count_ballot;     /* learner: accepted messages counted for this ballot */
    char *count_value;
    uint64_t count_mask;
    char *decided;                /* the chosen command (durable), or NULL */
    char *proposed;               /* leader: its value for the slot (phase 1: the best seen) */
    cons_ballot proposed_ballot;  /* phase 1: the accepted ballot of `proposed` */
    int64_t client, seq;          /* of `proposed`, for de-duplication; -1 when none */
} mp_slot;

typedef struct mp_kv {            /* the key-value state machine, sorted by key */
    char *key;
    char *value;                  /* JSON text of the value */
} mp_kv;

typedef struct mp_session {       /* at-most-once: the last request of each client */
    int64_t client, seq;
    char *result;                 /* JSON text of its result */
} mp_session;

typedef struct multipaxos_state {
    const multipaxos_config *cfg;
    sim_node_id members[CONS_MEMBERS_MAX];
    size_t nmembers, self_index;

    cons_ballot promised;         /* acceptor (durable), one promise for every slot */
    mp_slot *log;                 /* index = slot number; slot 0 is unused */
    int64_t log_cap, max_slot;    /* max_slot: the highest slot holding anything */

    int64_t commit;               /* every slot <= commit is decided */
    int64_t applied;              /* slots applied to the key-value map */
    uint64_t chain;               /* hash of the applied commands, in slot order */
    mp_kv *kv;
    size_t nkv, kv_cap;
    mp_session *sessions;         /* sorted by client */
    size_t nsessions, sessions_cap;
    int64_t duplicates;           /* retries of an executed request: answered, not re-executed */
    int64_t *decisions;           /* slots in the order this incarnation decided them */
    size_t ndecisions, decisions_cap;

    multipaxos_role role;
    cons_ballot ballot;           /* the ballot this node campaigns or leads with */
    int64_t round_seen;           /* the highest round heard of */
    uint64_t promise_mask;
    int64_t phase1_from;          /* the first slot the campaign asked about */
    int64_t next_slot;            /* leader: where the next command goes */
    sim_node_id leader;           /* the leader last heard from, or SIM_NODE_NONE */
    bool heard_leader;            /* a heartbeat arrived since the last election check */
    int64_t elections, terms;     /* campaigns started, leaderships won */
} multipaxos_state;

/* The replica's local invariants (see multipaxos.c); asserted after each handler. */
bool multipaxos_state_valid(const multipaxos_state *st);
/* The decided command of slot (NULL when none). */
const char *multipaxos_decided(const multipaxos_state *st, int64_t slot);

/* What the invariant checker reads: decided slots, the applied prefix's chain hash,
 * and validity against the client history. */
extern const consensus_probe multipaxos_probe;

/* What a scenario reads as h.state (multipaxos_state.c). */
cJSON *multipaxos_state_json(const sim *s, sim_node_id id);

#endif
