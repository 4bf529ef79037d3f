/*
 * BitTorrent (BEP 3) in its essentials: the shared types of the tracker
 * (bt_tracker.c), the peer (bt_peer.c: wire protocol, pieces; bt_choke.c: choking
 * and piece selection) and the systems (bittorrent.c).
 *
 * Content. A piece's bytes are virtual (a 700 MB file is not allocated 193,000
 * times): block j of piece i *is* the 64-bit tag mix(torrent, i, j), and the
 * metainfo holds, per piece, the SHA-256 of its blocks' tags in order. A peer
 * verifies every completed piece against the metainfo with a real SHA-256, so a
 * block damaged in flight or sent wrong by a bad peer fails the piece, which is
 * discarded and fetched again. Bulk bytes travel as the message's size on the wire
 * (sim_send_sized), so the network's latency and the uplinks' rates are real.
 *
 * Uplinks. Every peer serves requests from one FIFO uplink at `upload` bytes/s
 * (a block leaves when the previous one has been pushed out), the asymmetric
 * bottleneck of home links; downloads are not limited.
 */
#ifndef SIM_SYSTEMS_BITTORRENT_H
#define SIM_SYSTEMS_BITTORRENT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/sha256.h"
#include "sim/systems/kademlia/kademlia.h"

#define BT_MAX_BLOCKS 64          /* blocks a piece (piece_size / block_size) */
#define BT_ACTIVE 16              /* pieces in progress at once */
#define BT_PIPELINE 5             /* requests outstanding a connection */
#define BT_UNCHOKE 4              /* regular unchoke slots (tit-for-tat) */

enum { BT_LEAVE, BT_STAY, BT_FREE_RIDER, BT_CORRUPT };

typedef struct bt_config {
    uint64_t file_bytes, piece_bytes, block_bytes;
    uint32_t npieces, blocks_per_piece;
    uint64_t torrent;                /* names the content (tags and hashes) */
    const uint8_t *hashes;           /* npieces x 32: the metainfo */
    bool seed;                       /* starts with every piece */
    int behaviour;                   /* BT_LEAVE ... */
    int64_t seed_for_ns;             /* BT_STAY: leave this long after completion (0: never) */
    uint64_t upload_bps;
    int64_t arrive_over_ns;          /* peers arrive uniformly over this */
    int64_t rechoke_ns, optimistic_ns;
    uint32_t max_conns, tracker_peers;
    char tracker[64];                /* the tracker's name; empty: trackerless */
    char dht[64];                    /* trackerless: the DHT's bootstrap node */
    int64_t dht_every_ns;            /* get_peers and announce_peer this often */
} bt_config;

typedef struct bt_conn {
    sim_node_id addr;
    uint8_t *bits;                   /* the pieces it has */
    uint32_t pieces;                 /* how many */
    bool am_choking, am_interested, peer_choking, peer_interested, optimistic;
    uint8_t inflight, strikes;
    uint64_t down_window, up_window; /* bytes in the current rechoke window (decayed) */
} bt_conn;

typedef struct bt_active {
    uint32_t piece;
    sim_node_id single;              /* a suspect piece is fetched from one peer only */
    uint64_t requested, received;    /* block bitmaps */
    uint64_t tags[BT_MAX_BLOCKS];
    sim_node_id from[BT_MAX_BLOCKS];
} bt_active;

typedef struct bt_upload { sim_node_id to; uint32_t piece, block; } bt_upload;

typedef struct bt_peer {
    kad_state kad;                   /* first: the DHT's callbacks get back to the peer */
    kad_config kad_cfg;
    const bt_config *cfg;
    sim_node_id self, tracker;
    uint8_t *have;                   /* bitfield */
    uint8_t *suspect;                /* pieces that failed with blocks from several peers */
    uint32_t nhave;
    uint16_t *avail;                 /* connected peers that have each piece */
    bt_conn *conns;
    uint32_t nconns;
    bt_active active[BT_ACTIVE];
    uint32_t nactive;
    bt_upload *queue;                /* the uplink's FIFO */
    uint32_t qhead, qlen, qcap;
    bool uploading, arrived, done, left, endgame;
    uint32_t rechokes;
    int64_t arrived_ns, done_ns;
    uint64_t uploaded, downloaded, hash_failures, garbage;
    sim_node_id banned[8];
    uint32_t nbanned;
} bt_peer;

/* ---- bt_peer.c ---- */
extern const sim_program bt_peer_program;
uint64_t bt_tag(const bt_config *cfg, uint32_t piece, uint32_t block);
void bt_piece_hash(const bt_config *cfg, const uint64_t *tags, uint32_t piece, uint8_t out[32]);
uint32_t bt_piece_blocks(const bt_config *cfg, uint32_t piece);
bt_conn *bt_conn_find(bt_peer *p, sim_node_id addr);
bool bt_has(const uint8_t *bits, uint32_t piece);
void bt_send(sim_node *node, sim_node_id to, const char *type, const uint32_t *w, int n, uint64_t wire_bytes);

/* ---- bt_choke.c ---- */
void bt_rechoke(sim_node *node, bt_peer *p);
/* Fills the connection's request pipeline (rarest first, endgame at the end). */
void bt_request_more(sim_node *node, bt_peer *p, bt_conn *c);
void bt_update_interest(sim_node *node, bt_peer *p, bt_conn *c);

/* ---- bt_tracker.c ---- */
extern const sim_program bt_tracker_program;

#endif
