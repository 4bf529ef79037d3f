/*
 * multi_primary: the state of the multi-primary key-value store. The protocol,
 * its state machine and its invariants are drawn at the top of multi_primary.c.
 */
#ifndef SIM_SYSTEMS_MULTI_PRIMARY_H
#define SIM_SYSTEMS_MULTI_PRIMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "sim/sim.h"

#define MP_NODES_MAX 8                /* cluster size (version vector length) */
#define MP_SIBLINGS_MAX 8             /* concurrent versions kept per key */

typedef struct mp_config {
    bool version_vectors;             /* option resolve: "lww" (default) or "vv" */
    int64_t sync_interval_ns;         /* option sync_interval, default 50ms */
} mp_config;

/* One version of a key: its value, its LWW stamp (origin's clock, origin) and
 * its version vector (counts of writes seen, per member index). */
typedef struct mp_version {
    int64_t value, ts_ns;
    uint32_t origin;                  /* member index of the node that wrote it */
    int64_t vv[MP_NODES_MAX];
} mp_version;

typedef struct mp_key {
    int64_t key;
    int64_t changed;                  /* local change counter at the last change */
    size_t nsib;                      /* 1 under LWW; 1..MP_SIBLINGS_MAX under vv */
    mp_version sib[MP_SIBLINGS_MAX];
} mp_key;

typedef struct mp_peer { sim_node_id id; int64_t acked, boot; } mp_peer;

typedef struct mp_state {
    mp_config cfg;
    int64_t boot;                     /* this incarnation: local clock at start */
    sim_node_id members[MP_NODES_MAX];   /* the cluster in id order (vv indices) */
    size_t nmembers;
    uint32_t self_index;
    mp_peer peers[MP_NODES_MAX];
    size_t npeers;
    mp_key *keys; size_t nkeys, keycap;  /* sorted by key */
    int64_t changes;                  /* local change counter */
} mp_state;

/* multi_primary.c: versions, merging, replication. */
bool mp_state_valid(const mp_state *st);
mp_key *mp_key_find(mp_state *st, int64_t key);
/* A client's write at this node; context (a vv array or NULL) is what it read. */
void mp_local_write(sim_node *node, mp_state *st, int64_t key, int64_t value, const cJSON *context);
void mp_sync_receive(sim_node *node, mp_state *st, const sim_msg *msg, const cJSON *in, const char *type);
void mp_tick(sim_node *node, mp_state *st);

/* What a scenario reads as h.state (multi_primary_state.c). */
cJSON *multi_primary_state_json(const sim *s, sim_node_id id);

#endif
