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

#define DYNAMO_KV_MAX_NODES 64

typedef struct dynamo_kv_config {
    int64_t n, r, w;               /* replicas per key; replies a read / write waits for */
    int64_t request_ns;            /* then a request answers with what it has */
    int64_t handoff_ns;            /* hinted handoff retry interval (0: off) */
    int64_t anti_entropy_ns;       /* anti-entropy round interval (0: off) */
    bool read_repair;
} dynamo_kv_config;

typedef struct dynamo_kv_entry {
    char *key, *value;             /* canonical JSON text */
    int64_t ts, origin;            /* the version: later ts wins, then higher origin */
    sim_node_id hint_for;          /* a hint: held for that replica; else SIM_NODE_NONE */
} dynamo_kv_entry;

typedef struct dynamo_kv_req dynamo_kv_req;

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
} dynamo_kv_state;

bool dynamo_kv_state_valid(const dynamo_kv_state *st);

#endif
