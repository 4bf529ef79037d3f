/*
 * The kademlia system's config and the helpers that other code shares: the
 * benchmark (lua/bench) builds clusters with it, and the BitTorrent and IPFS
 * systems show their embedded DHT with kad_node_json.
 */
#ifndef SIM_SYSTEMS_KADEMLIA_SYSTEM_H
#define SIM_SYSTEMS_KADEMLIA_SYSTEM_H

#include <cJSON.h>

#include "sim/systems/kademlia/kademlia.h"

typedef struct kademlia_config {
    kad_config kad;
    kad_stats stats;
    char bootstrap[64];        /* a node name, resolved when the first node starts */
} kademlia_config;

/* Options -> config (stats pointer not set); 0 or SIM_EINVAL with err. */
int kademlia_parse(const cJSON *options, kademlia_config *c, char *err, size_t errlen);
const sim_program *kademlia_program_get(void);
/* Invariant K1 (kademlia_rpc.c) for one node. */
bool kad_state_valid(const kad_state *st);
cJSON *kad_stats_json(const kad_stats *s);
cJSON *kad_node_json(const sim *s, const kad_state *st);

#endif
