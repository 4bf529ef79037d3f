/*
 * blockchain: the shared types of the proof-of-work chain (blockchain.c has the
 * protocol notes). A transaction spends outputs (UTXO model) and is signed by
 * the one node that owns every input; a block is a header (previous hash, Merkle
 * root, timestamp, target, nonce) and its transactions, the first a coinbase.
 * Each node keeps its own tree of blocks, its own UTXO set for its tip and its
 * own mempool: nothing here is shared between nodes.
 */
#ifndef SIM_SYSTEMS_BLOCKCHAIN_H
#define SIM_SYSTEMS_BLOCKCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

#define BC_IN_MAX 4
#define BC_OUT_MAX 4
#define BC_NOBODY UINT32_MAX       /* the signer of a coinbase */
#define BC_NONE UINT32_MAX         /* no block */
#define BC_HEADER_BYTES 88

typedef struct bc_hash { uint8_t b[32]; } bc_hash;
typedef struct bc_outpoint { bc_hash txid; uint32_t index; } bc_outpoint;
typedef struct bc_out { int64_t amount; uint32_t owner; uint32_t height; } bc_out;

typedef struct bc_tx {
    bc_hash id;            /* SHA-256d of the serialised body (signature excluded) */
    uint32_t signer;       /* owner of every input; BC_NOBODY for a coinbase */
    uint32_t nonce;        /* coinbase: block height; else the wallet's counter */
    uint8_t nin, nout;
    bc_outpoint in[BC_IN_MAX];
    bc_out out[BC_OUT_MAX];   /* height is not serialised (set when confirmed) */
    bc_hash sig;
} bc_tx;

typedef struct bc_header {
    bc_hash prev, merkle;
    int64_t time_ns;       /* the miner's local clock */
    uint64_t target;       /* valid when the hash's first 8 bytes (big-endian) < target */
    uint64_t nonce;
} bc_header;

enum { BC_HEADER_OK = 0, BC_VALID = 1, BC_INVALID = 2 };

typedef struct bc_undo { bc_outpoint op; bc_out out; } bc_undo;

typedef struct bc_block {
    bc_hash hash;
    bc_header h;
    uint32_t height, parent;     /* parent: index in the node's block array */
    uint64_t chainwork;          /* the expected hashes of the chain up to here */
    uint32_t miner;              /* the coinbase's owner */
    uint8_t status;
    bool on_chain;
    uint32_t ntx;
    bc_tx *txs;
    bc_undo *undo;               /* the outputs it spent, while connected */
    uint32_t nundo;
    int64_t seen_ns;             /* true time the node first had it */
} bc_block;

/* ---- hashes, serialisation, Merkle trees (bc_codec.c) ---- */
void bc_sha256d(const void *data, size_t len, bc_hash *out);
void bc_hex(const uint8_t *bytes, size_t n, char *out);     /* 2n+1 chars */
bool bc_unhex(const char *hex, uint8_t *out, size_t n);     /* exactly 2n digits */
size_t bc_tx_body(const bc_tx *tx, uint8_t *buf);           /* bytes, no signature */
size_t bc_tx_encode(const bc_tx *tx, uint8_t *buf);         /* at most BC_TX_BYTES_MAX */
/* Parses one transaction; bytes consumed, or 0 with a reason in *why. */
size_t bc_tx_decode(const uint8_t *buf, size_t len, bc_tx *tx, const char **why);
void bc_tx_finish(bc_tx *tx);                               /* computes tx->id */
void bc_header_encode(const bc_header *h, uint8_t buf[BC_HEADER_BYTES]);
void bc_header_decode(const uint8_t buf[BC_HEADER_BYTES], bc_header *h);
void bc_header_hash(const bc_header *h, bc_hash *out);
uint64_t bc_hash_top64(const bc_hash *h);
/* The Merkle root of n txids (Bitcoin's: an odd level repeats its last hash). */
void bc_merkle_root(const bc_tx *txs, uint32_t n, bc_hash *out);
/* The branch proving txs[i] (at most 32 hashes); returns its length. */
size_t bc_merkle_branch(const bc_tx *txs, uint32_t n, uint32_t i, bc_hash *branch);
bool bc_merkle_verify(const bc_hash *leaf, uint32_t i, const bc_hash *branch, size_t len,
                      const bc_hash *root);
uint64_t bc_work(uint64_t target);
#define BC_TX_BYTES_MAX (10 + BC_IN_MAX * 36 + BC_OUT_MAX * 12 + 32)

/* ---- signatures (bc_keys.c) ---- */
/* Signs as the calling node (there is no way to sign as another). */
void bc_sign(sim_node *node, const bc_hash *msg, bc_hash *sig);
/* True when sig is signer's signature of msg. */
bool bc_verify(const sim *s, uint32_t signer, const bc_hash *msg, const bc_hash *sig);

/* ---- a map from outpoints to outputs (bc_map.c): the UTXO set, the block index ---- */
typedef struct bc_map_slot { bc_outpoint key; bc_out val; uint8_t used; } bc_map_slot;
typedef struct bc_map { bc_map_slot *slots; size_t cap, count; } bc_map;
void bc_map_free(bc_map *m);
bc_out *bc_map_get(const bc_map *m, const bc_outpoint *key);
void bc_map_put(bc_map *m, const bc_outpoint *key, const bc_out *val);
bool bc_map_del(bc_map *m, const bc_outpoint *key);
void bc_map_clear(bc_map *m);

/* ---- the node (blockchain.c, bc_chain.c, bc_mine.c) ---- */
enum { BC_HONEST, BC_DOUBLE_SPEND, BC_SELFISH, BC_LIE_REWARD, BC_LIE_SIGNATURE,
       BC_LIE_DOUBLE_SPEND, BC_LIE_MERKLE, BC_LIE_POW };

typedef struct blockchain_config {
    double hash_rate;            /* hashes per second (> 0) */
    uint64_t target0;            /* the genesis target (from 'difficulty') */
    int64_t block_interval_ns;   /* what retargeting aims at */
    int64_t retarget;            /* blocks between retargets; 0: never */
    int64_t reward, initial, block_txs, fanout, amount, confirmations, give_up;
    int64_t tx_interval_ns;      /* mean time between a node's own payments; 0: none */
    int64_t attack_at_ns;
    bool real, mining;
    int behaviour;               /* BC_HONEST ... */
    char merchant[64];
} blockchain_config;

typedef struct bc_orphan { uint8_t *bytes; size_t len; bc_hash prev; } bc_orphan;

#define BC_REASONS 24
typedef struct bc_node {
    const blockchain_config *cfg;
    sim_node_id self;
    sim_node_id *members;        /* the whole cluster (self included), id order */
    size_t nmembers;
    sim_node_id *relay;
    size_t nrelay;
    bc_block *blocks;
    uint32_t nblocks, capblocks, tip;
    bc_map index;                /* block hash -> index (in val.owner) */
    bc_map utxo;
    bc_tx *mempool;
    uint32_t nmempool, capmempool;
    bc_map spent;                /* outpoints the mempool spends */
    bc_map known;                /* txids seen lately (relay dedup) */
    bc_orphan orphans[16];
    uint32_t norphans;
    uint64_t mine_timer;
    bc_tx *tmpl;                 /* real mode: the block being searched */
    uint32_t ntmpl;
    bc_header tmpl_h;
    uint32_t tmpl_parent;
    uint64_t hashes;             /* real mode: nonces tried */
    uint32_t wallet_nonce, mined, reorgs, max_reorg;
    const char *reasons[BC_REASONS];
    uint64_t rejected[BC_REASONS];
    /* attacks */
    uint32_t priv_tip, pub_tip, fork, sent_height;
    bool race, steal_mined;
    bc_tx pay, steal;
    const char *phase;
    int64_t published_ns;
    /* merchant: payments seen with z confirmations */
    bc_outpoint shipped[8];
    uint32_t nshipped;
} bc_node;

/* bc_chain.c */
void bc_chain_genesis(sim_node *node, bc_node *st);
/* Takes a block as received (bytes); from is the sender or SIM_NODE_NONE. */
void bc_chain_receive(sim_node *node, bc_node *st, const uint8_t *bytes, size_t len, sim_node_id from);
void bc_chain_free(bc_node *st);
/* Follows bi if it has more work (reorganising), relays what joins the chain. */
void bc_chain_adopt(sim_node *node, bc_node *st, uint32_t bi, sim_node_id from);
void bc_reject(bc_node *st, const char *reason);
uint64_t bc_next_target(const bc_node *st, uint32_t parent);
int64_t bc_median_time(const bc_node *st, uint32_t b);
uint32_t bc_find(const bc_node *st, const bc_hash *h);
/* Block bytes: header then the transactions; malloc'ed, length in *len. */
uint8_t *bc_block_encode(const bc_header *h, const bc_tx *txs, uint32_t ntx, size_t *len);
/* Validates tx against the node's UTXO set; NULL or the reason. fee_out may be NULL. */
const char *bc_tx_check(const sim *s, const bc_map *utxo, const bc_tx *tx, int64_t *fee_out);
void bc_mempool_add(bc_node *st, const bc_tx *tx);

/* blockchain.c */
void bc_send_block(sim_node *node, bc_node *st, uint32_t b, sim_node_id except);
void bc_send_tx(sim_node *node, bc_node *st, const bc_tx *tx, sim_node_id except);

/* bc_mine.c */
void bc_mine_restart(sim_node *node, bc_node *st);
void bc_mine_found(sim_node *node, bc_node *st);
void bc_attack_start(sim_node *node, bc_node *st);
void bc_attack_on_block(sim_node *node, bc_node *st, uint32_t b, sim_node_id from);
void bc_merchant_on_tip(bc_node *st);

#endif
