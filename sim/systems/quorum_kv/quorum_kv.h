/*
 * quorum_kv: a linearizable key-value store on majority quorums (CASPaxos: one
 * Paxos register per key). The CP side of the CAP chapter: a node that cannot
 * reach a majority refuses with an error instead of answering. The protocol,
 * its state machine and invariants are at the top of quorum_kv.c.
 */
#ifndef SIM_SYSTEMS_QUORUM_KV_H
#define SIM_SYSTEMS_QUORUM_KV_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "sim/sim.h"

typedef struct quorum_kv_config {
    int64_t attempt_ns;   /* one prepare/accept round waits this long for a majority */
    int64_t deadline_ns;  /* a request that found no majority by then is refused */
} quorum_kv_config;

/* The acceptor's register for one key (values are canonical JSON text). */
typedef struct quorum_kv_reg {
    char *key;
    int64_t promised, accepted;   /* ballots: round << 16 | node id */
    int64_t tag;                  /* who wrote value: rid << 16 | node id (0: nobody) */
    char *value;                  /* NULL: the key is absent */
} quorum_kv_reg;

typedef struct quorum_kv_req quorum_kv_req;

typedef struct quorum_kv_state {
    sim_node_id peers[64];
    size_t npeers;
    quorum_kv_reg *regs;
    size_t nregs, capregs;
    quorum_kv_req *reqs;
    size_t nreqs, capreqs;
    uint64_t next_rid;
    int64_t round;                /* highest ballot round seen */
} quorum_kv_state;

bool quorum_kv_state_valid(const quorum_kv_state *st);

/* The acceptor (quorum_kv_acceptor.c): prepare (accept_msg NULL) or accept of
 * ballot for key; returns the answer's ok and the register in *out. */
bool quorum_kv_accept(sim_node *node, quorum_kv_state *st, const char *key, int64_t ballot,
                      const cJSON *accept_msg, quorum_kv_reg **out);
void quorum_kv_load(quorum_kv_state *st, sim_disk *d);

/* What a scenario reads as h.state (quorum_kv_state.c). */
cJSON *quorum_kv_state_json(const sim *s, sim_node_id id);

#endif
