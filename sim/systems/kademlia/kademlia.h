/*
 * Kademlia (Maymounkov and Mazieres, 2002) as the BitTorrent Mainline DHT uses it
 * (BEP 5): the types and the embedding interface. A kademlia node is usable alone
 * (the `kademlia` system, kademlia.c) or inside another program: a BitTorrent peer
 * (trackerless torrents) and an IPFS node embed a kad_state and pass it the messages
 * and timers whose names begin with "kad_".
 *
 * Ids. 160 bits. A node's id is a public function of its address (kad_id_of: a
 * splitmix64 hash of the address and the cluster's salt), as BEP 42 ties a node id
 * to its IP so that ids cannot be chosen to attack a key. A contact that arrives
 * with an id that is not its address's id is garbage: dropped, and the sender who
 * sent it penalised (banned). Because an id is recomputable from its address, a
 * routing-table entry is only the 4-byte address: this is what makes a million
 * nodes fit in a few GB (kademlia_table.c).
 *
 * Wire format (binary, little-endian; the trace shows it as body_hex): a 56-byte
 * header {kind u8, count u8, pad u16, txid u32, sender id 20 bytes, target id 20
 * bytes, token u32, pad u32}, then `count` contacts (id 20 bytes + address u32) or
 * `count` values (u64 each).
 *
 *   ping          -> pong
 *   find_node T   -> nodes   (the K contacts closest to T that the replier knows)
 *   get_peers T   -> peers   (values stored under T; else nodes) + a token
 *   announce_peer T, value, token -> announced  (refused without a valid token)
 *
 * get_peers/announce_peer are the paper's FIND_VALUE/STORE under BEP 5's names; the
 * token (a hash of a rotating secret and the asker's address; the current and the
 * previous secret are accepted) proves the announcer asked first from that address.
 */
#ifndef SIM_SYSTEMS_KADEMLIA_H
#define SIM_SYSTEMS_KADEMLIA_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

#define KAD_ID_BITS 160
#define KAD_SHORTLIST 64      /* candidates a lookup keeps */
#define KAD_MAX_VALUES 50     /* values a peers reply carries (BEP 5 compact list) */
#define KAD_BANNED 8          /* addresses remembered as garbage senders */

typedef struct kad_id { uint32_t w[5]; } kad_id;   /* w[0] most significant */

/* Cluster-wide measurements. Nodes only add to them and never read them for a
 * decision; they live outside any node so a crash does not lose them. */
typedef struct kad_stats {
    uint64_t lookups, lookups_done, found, hops_sum, hops_max;
    uint64_t hops_hist[32];
    uint64_t rpcs_sent, rpc_timeouts, garbage_dropped, evictions, stores, joins;
    int64_t latency_ns_sum;
} kad_stats;

typedef struct kad_config {
    uint32_t k, alpha;
    int64_t rpc_timeout_ns;
    int64_t refresh_ns;        /* a bucket untouched this long is refreshed */
    int64_t ttl_ns;            /* a stored value expires */
    int64_t republish_ns;      /* its publisher announces it again */
    int64_t lookup_every_ns;   /* workload: mean interval between lookups, 0: none */
    int64_t join_spread_ns;    /* joins are spread uniformly over this */
    uint32_t publish_percent;  /* workload: which addresses publish a value */
    bool join_refresh;         /* after joining, refresh the buckets beyond the closest */
    sim_node_id bootstrap;     /* SIM_NODE_NONE: the first node of the cluster */
    uint64_t salt;             /* ids of this cluster: kad_id_of(address, salt) */
    kad_stats *stats;          /* cluster-wide counters (kademlia.c owns them) */
} kad_config;

typedef struct kad_bucket {
    uint8_t count;             /* contacts, slots[0] least recently seen */
    uint8_t pinging;           /* a ping to slots[0] is out (ping-before-evict) */
    uint32_t waiting;          /* the contact that replaces slots[0] if it is silent */
    uint32_t touched_s;        /* last lookup into this bucket's range (simulated s) */
} kad_bucket;

typedef struct kad_lookup kad_lookup;
typedef struct kad_state kad_state;
/* Called once when a lookup ends; values/nvalues are what get_peers found. */
typedef void (*kad_done_fn)(sim_node *node, kad_state *st, const kad_lookup *l);

enum { KAD_FIND_NODE = 1, KAD_GET_PEERS = 2, KAD_ANNOUNCE = 3 };

typedef struct kad_cand {
    uint32_t addr, token;
    uint8_t state;             /* KAD_C_NEW, _ASKED, _ANSWERED, _FAILED */
    uint8_t depth;             /* hops from the looker: 1 for its own contacts */
} kad_cand;

struct kad_lookup {
    kad_lookup *next;
    uint32_t serial;
    uint8_t kind, inflight, ncand;
    kad_id target;
    uint64_t announce_value;   /* KAD_ANNOUNCE: stored at the K closest */
    int64_t started_ns;
    kad_cand cand[KAD_SHORTLIST];
    uint64_t values[KAD_MAX_VALUES];
    uint32_t nvalues, hops;
    bool found, workload;
    kad_done_fn done;
    uint64_t user;             /* the embedding program's tag */
};

typedef struct kad_entry { kad_id key; uint64_t value; int64_t expires_ns; } kad_entry;
typedef struct kad_pub { kad_id key; uint64_t value; } kad_pub;

struct kad_state {
    kad_id id;
    sim_node_id self;
    const kad_config *cfg;
    uint32_t *slots;           /* nb buckets of cfg->k addresses each */
    kad_bucket *buckets;
    uint32_t nb;
    kad_lookup *lookups;
    uint32_t next_serial;
    kad_entry *store;
    uint32_t nstore, store_cap;
    kad_pub *pubs;
    uint32_t npubs;
    uint64_t secret, old_secret;
    uint32_t banned[KAD_BANNED];
    uint32_t nbanned;
    uint32_t ticks;
    int64_t republish_due_ns;
    bool joined;
};

/* ---- ids (kademlia_id.c) ---- */
kad_id kad_id_of(sim_node_id addr, uint64_t salt);
kad_id kad_id_hash(const void *data, size_t len);       /* SHA-256, first 160 bits */
kad_id kad_xor(kad_id a, kad_id b);
int kad_cmp(kad_id a, kad_id b);                          /* as unsigned 160-bit */
/* Bits shared from the top (160 when equal). */
int kad_common_prefix(kad_id a, kad_id b);
/* -1, 0, 1: is a closer to target than b? */
int kad_closer(kad_id target, kad_id a, kad_id b);
kad_id kad_random_in_bucket(kad_id self, int bucket, sim_rng *r);
void kad_id_hex(kad_id id, char out[41]);

/* ---- the routing table (kademlia_table.c) ---- */
void kad_table_free(kad_state *st);
/* A message came from addr (alive): insert it or move it to the tail; a full bucket
 * pings its least recently seen contact first. */
void kad_table_seen(sim_node *node, kad_state *st, sim_node_id addr);
void kad_table_remove(kad_state *st, sim_node_id addr);
/* The pong of a ping-before-evict, or its timeout. */
void kad_table_ping_result(sim_node *node, kad_state *st, sim_node_id addr, bool answered);
/* Up to max addresses closest to target, nearest first. */
uint32_t kad_table_closest(const kad_state *st, kad_id target, uint32_t *out, uint32_t max);
uint32_t kad_table_size(const kad_state *st);
void kad_table_touch(kad_state *st, kad_id target, int64_t now_ns);

/* ---- lookups (kademlia_lookup.c) ---- */
kad_lookup *kad_lookup_start(sim_node *node, kad_state *st, int kind, kad_id target,
                             kad_done_fn done, uint64_t user);
void kad_lookup_reply(sim_node *node, kad_state *st, const sim_msg *msg, uint32_t txid,
                      const uint8_t *body, size_t len);
void kad_lookup_timeout(sim_node *node, kad_state *st, uint64_t arg);
void kad_lookups_free(kad_state *st);

/* ---- the node (kademlia_rpc.c) ---- */
void kad_start(sim_node *node, kad_state *st, const kad_config *cfg);
void kad_stop(kad_state *st);
/* True when msg was a DHT message (handled or dropped as garbage). */
bool kad_receive(sim_node *node, kad_state *st, const sim_msg *msg);
/* True when the timer was the DHT's. */
bool kad_timer(sim_node *node, kad_state *st, const char *name, uint64_t arg);
/* Sends a request; txid is echoed by the reply. */
void kad_send(sim_node *node, kad_state *st, sim_node_id to, int kind, uint32_t txid,
              kad_id target, uint32_t token, uint64_t value);
/* announce_peer: store value under key at the K closest, and again every republish. */
void kad_publish(sim_node *node, kad_state *st, kad_id key, uint64_t value);
bool kad_garbage(sim_node *node, kad_state *st, sim_node_id from);
bool kad_banned(const kad_state *st, sim_node_id addr);
/* Is addr one of the workload's publishers, and the key it publishes under. */
bool kad_is_publisher(const kad_config *cfg, sim_node_id addr);
kad_id kad_key_of(const kad_config *cfg, sim_node_id addr);
/* Run a lookup made by kad_lookup_start after setting its fields. */
void kad_lookup_go(sim_node *node, kad_state *st, kad_lookup *l);
/* Values stored here under key (at most max). */
uint32_t kad_store_get(kad_state *st, kad_id key, int64_t now_ns, uint64_t *out, uint32_t max);

/* Wire kinds. */
enum { KAD_M_PING = 1, KAD_M_PONG, KAD_M_FIND_NODE, KAD_M_NODES, KAD_M_GET_PEERS, KAD_M_PEERS,
       KAD_M_ANNOUNCE, KAD_M_ANNOUNCED };
#define KAD_HDR 56
#define KAD_CONTACT 24

#endif
