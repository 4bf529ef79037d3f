/*
 * primary_replica: the state shared by the two files of the primary-replica
 * key-value store (primary_replica.c: client requests and forwarding;
 * primary_replica_repl.c: the replication stream, lag and failover). The
 * protocol, its state machine and its invariants are drawn at the top of
 * primary_replica.c.
 */
#ifndef SIM_SYSTEMS_PRIMARY_REPLICA_H
#define SIM_SYSTEMS_PRIMARY_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "sim/sim.h"

#define PR_PEERS_MAX 16
#define PR_BATCH_MAX 64               /* log entries per replicate message */

typedef enum pr_mode { PR_ASYNC, PR_SEMI_SYNC, PR_SYNC } pr_mode;

typedef struct pr_config {
    pr_mode mode;                     /* option mode: "async" (default), "semi-sync", "sync" */
    bool auto_failover;               /* option failover: "manual" (default) or "auto" */
    bool reads_at_primary;            /* option reads: "local" (default) or "primary" */
    int64_t heartbeat_ns;             /* option heartbeat, default 50ms */
    int64_t failover_timeout_ns;      /* option failover_timeout, default 300ms */
} pr_config;

typedef struct pr_entry { int64_t seq, key, value, written_ns; } pr_entry;
typedef struct pr_kv { int64_t key, value; } pr_kv;

/* What the primary knows of one replica: synced means the replica holds this
 * epoch's snapshot, so entries after acked can be streamed to it. A replica
 * silent for failover_timeout leaves the set that sync mode waits for. */
typedef struct pr_peer {
    sim_node_id id;
    int64_t acked;
    bool synced;
    int64_t heard_ns;                 /* local clock at its last ack: live while recent */
} pr_peer;

/* A client reply held until enough replicas acknowledge seq (semi-sync, sync). */
typedef struct pr_wait {
    int64_t seq, reply_id;            /* reply_id: the client's msg_id */
    sim_node_id to;
    const char *type;                 /* "write_ok" or "cas_ok" (static) */
} pr_wait;

typedef struct pr_state {
    pr_config cfg;
    bool is_primary;
    sim_node_id primary;              /* SIM_NODE_NONE: not known yet */
    int64_t epoch;                    /* highest epoch known (persisted) */
    int64_t data_epoch;               /* epoch of the primary our data came from; -1: none */
    int64_t applied;                  /* last applied seq */
    pr_kv *kv; size_t nkv, kvcap;     /* sorted by key */
    pr_entry *log; size_t nlog, logcap;  /* primary: this epoch's entries, after base_seq */
    int64_t base_seq;
    pr_peer peers[PR_PEERS_MAX]; size_t npeers;
    pr_wait *waits; size_t nwaits, waitcap;
    int64_t last_heard_ns;            /* local clock when the primary last spoke */
    int64_t lag_ns_last, lag_ns_max;  /* replica: apply time - primary's write time */
} pr_state;

/* primary_replica.c */
void pr_kv_set(pr_state *st, int64_t key, int64_t value);
bool pr_state_valid(const pr_state *st);
void pr_reply(sim_node *node, sim_node_id to, int64_t reply_id, cJSON *out);
void pr_annotate_role(sim_node *node, const pr_state *st);

/* primary_replica_repl.c */
int64_t pr_append(sim_node *node, pr_state *st, int64_t key, int64_t value);
void pr_release_waits(sim_node *node, pr_state *st);
void pr_on_replicate(sim_node *node, pr_state *st, const sim_msg *msg, const cJSON *in);
void pr_on_replicate_ok(sim_node *node, pr_state *st, const sim_msg *msg, const cJSON *in);
void pr_heartbeat(sim_node *node, pr_state *st);
void pr_detect(sim_node *node, pr_state *st);
void pr_promote(sim_node *node, pr_state *st);

/* What a scenario reads as h.state (primary_replica_state.c). */
cJSON *primary_replica_state_json(const sim *s, sim_node_id id);

#endif
