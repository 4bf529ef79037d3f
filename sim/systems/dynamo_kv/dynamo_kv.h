/*
 * dynamo_kv: a Dynamo/Cassandra-style key-value store, the AP side of the CAP
 * chapter: every node answers (sloppy quorums, hinted handoff), replicas
 * converge after a partition heals (read repair, anti-entropy). Last writer
 * wins on (timestamp, node). The protocol is at the top of dynamo_kv.c.
 */
#ifndef SIM_SYSTEMS_DYNAMO_KV_H
#define SIM_SYSTEMS_DYNAMO_KV_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/systems/shard_kv/shard_kv.h"

#define DYNAMO_KV_MAX_NODES 64

typedef struct dynamo_kv_config {
    int64_t n, r, w;               /* replicas per key; replies a read / write waits for */
    int64_t request_ns;            /* then a request answers with what it has */
    int64_t handoff_ns;            /* hinted handoff retry interval (0: off) */
    int64_t anti_entropy_ns;       /* anti-entropy round interval (0: off) */
    bool read_repair;
    int64_t vnodes;                /* 0: ring of nodes in id order; else consistent hashing, vnodes per node */
    int consistency;               /* the default level: DYNAMO_KV_CL_* (DEFAULT: r and w) */
    bool strict;                   /* strict quorums: no answer without r replies / w acks */
    bool lwt;                      /* cas and write by Paxos among the key's replicas (dynamo_kv_lwt.c) */
} dynamo_kv_config;

/* Consistency levels (Cassandra's): a request's "consistency" field, or the
 * store-wide option. ONE waits for 1 replica, QUORUM for floor(n/2)+1, ALL for n. */
enum { DYNAMO_KV_CL_DEFAULT, DYNAMO_KV_CL_ONE, DYNAMO_KV_CL_QUORUM, DYNAMO_KV_CL_ALL };
int dynamo_kv_level_parse(const char *name);   /* a DYNAMO_KV_CL_*, or -1 */

typedef struct dynamo_kv_entry {
    char *key, *value;             /* canonical JSON text */
    int64_t ts, origin;            /* the version: later ts wins, then higher origin */
    sim_node_id hint_for;          /* a hint: held for that replica; else SIM_NODE_NONE */
} dynamo_kv_entry;

typedef struct dynamo_kv_req dynamo_kv_req;
typedef struct dkv_promise { char *key; int64_t b, bo; } dkv_promise;   /* lwt: a key's promised ballot */

typedef struct dynamo_kv_state {
    sim_node_id members[DYNAMO_KV_MAX_NODES];   /* the cluster, self included, by id */
    size_t nmembers, self_idx;
    dynamo_kv_entry *data;         /* the keys this node is a replica of */
    size_t ndata, capdata;
    dynamo_kv_entry *hints;        /* writes held for an unreachable replica */
    size_t nhints, caphints;
    dynamo_kv_req *reqs;
    size_t nreqs, capreqs;
    uint64_t next_rid;
    struct dkv_lwt *lwts;          /* lwt: this node's Paxos rounds as proposer */
    size_t nlwts, caplwts;
    dkv_promise *proms;            /* lwt: acceptor state, on disk as p/KEY */
    size_t nproms, capproms;
    int64_t lwt_round;             /* lwt: highest ballot or version seen */
    int64_t issued_ts;             /* the highest version ts this node stamped as coordinator */
    shard_layout ring;             /* vnodes > 0: members by index on a consistent-hashing ring */
} dynamo_kv_state;

bool dynamo_kv_state_valid(const dynamo_kv_state *st);

/* What a scenario reads as h.state (dynamo_kv_state.c). */
cJSON *dynamo_kv_state_json(const sim *s, sim_node_id id);

#endif
