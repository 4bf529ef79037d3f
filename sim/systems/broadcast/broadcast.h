/*
 * The broadcast system's state, for scenarios, tests and checkers to inspect
 * through sim_node_state() (never for another node's program). The protocol,
 * its state machine and its invariants are described at the top of broadcast.c;
 * the simulated client is broadcast_client.c and the checker broadcast_check.h.
 */
#ifndef SIM_SYSTEMS_BROADCAST_H
#define SIM_SYSTEMS_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* The config every node of a broadcast cluster receives (from configure). */
typedef struct broadcast_config {
    int64_t gossip_interval_ns;   /* option gossip_interval, default 100ms */
} broadcast_config;

/* What this node knows of one peer. acked[i] means: the peer, in its incarnation
 * boot_seen, holds values[i] (it acknowledged it, or sent it to us). */
typedef struct broadcast_peer {
    sim_node_id id;
    bool heard;                   /* boot_seen is valid */
    bool introduced;              /* the peer has acknowledged a gossip carrying our boot */
    int64_t boot_seen;            /* the peer's newest boot generation heard of */
    size_t low;                   /* every index below low is acked (scan start) */
    uint8_t *acked;               /* one byte per value, capacity broadcast_state.cap */
} broadcast_peer;

typedef struct broadcast_entry {
    int64_t value;
    uint32_t index;               /* position in values[] (learning order) */
} broadcast_entry;

/* A broadcast_ok held back until a peer also holds the value. */
typedef struct broadcast_waiting {
    int64_t value;
    sim_node_id client;
    int64_t msg_id;               /* -1: the request had none */
} broadcast_waiting;

typedef struct broadcast_state {
    int64_t boot;                 /* this incarnation's generation: local clock at start */
    int64_t gossip_interval_ns;
    int64_t *values;              /* in learning order */
    broadcast_entry *sorted;      /* the same values, ascending */
    size_t count, cap;
    broadcast_peer *peers;        /* in node id order */
    size_t npeers;
    size_t nodes_seen;            /* sim_node_count() when peers were last listed */
    broadcast_waiting *waiting;   /* in arrival order */
    size_t nwaiting, waiting_cap;
} broadcast_state;

/* The node's invariants (see broadcast.c); asserted after every handler. */
bool broadcast_state_valid(const broadcast_state *st);
/* True when the node holds value. O(log count). */
bool broadcast_has(const broadcast_state *st, int64_t value);

#endif
