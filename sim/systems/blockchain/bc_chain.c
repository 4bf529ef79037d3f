/*
 * One node's view of the chain: the tree of every block it has accepted, the
 * UTXO set of its tip, and the most-work rule. A block that arrives is decoded,
 * checked on its own (Merkle root, proof of work in real mode, the target the
 * retarget rule demands, a timestamp above the median of its last 11
 * ancestors, one coinbase first, the size limit), then stored; its transactions
 * are validated when it joins the active chain, against the UTXO set of its
 * parent. When a branch has more work than the tip, the node reorganises:
 * disconnect back to the fork (restoring the spent outputs from undo records),
 * connect the new branch block by block; if a block there is invalid, it is
 * marked so (and every block built on it is refused) and the old chain comes
 * back. The transactions of disconnected blocks return to the mempool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/blockchain/blockchain.h"

#define JSON_SAFE (INT64_C(1) << 53)

void bc_reject(bc_node *st, const char *reason)
{
    for (int i = 0; i < BC_REASONS; i++) {
        if (!st->reasons[i]) st->reasons[i] = reason;
        if (strcmp(st->reasons[i], reason) == 0) {
            st->rejected[i]++;
            return;
        }
    }
}

uint32_t bc_find(const bc_node *st, const bc_hash *h)
{
    bc_outpoint k = { *h, UINT32_MAX };
    const bc_out *v = bc_map_get(&st->index, &k);
    return v ? v->owner : BC_NONE;
}

int64_t bc_median_time(const bc_node *st, uint32_t b)
{
    int64_t t[11];
    int n = 0;
    for (; b != BC_NONE && n < 11; b = st->blocks[b].parent) t[n++] = st->blocks[b].h.time_ns;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t[j - 1] > t[j]; j--) { int64_t x = t[j]; t[j] = t[j - 1]; t[j - 1] = x; }
    return t[n / 2];
}

/* Bitcoin's rule: every `retarget` blocks, scale the target by the time the last
 * window took over the time it should have taken, at most 4x either way. */
uint64_t bc_next_target(const bc_node *st, uint32_t parent)
{
    const bc_block *p = &st->blocks[parent];
    uint64_t r = (uint64_t)st->cfg->retarget;
    if (r == 0 || (p->height + 1) % r != 0 || p->height + 1 < r) return p->h.target;
    uint32_t first = parent;
    for (uint64_t i = 0; i + 1 < r && st->blocks[first].parent != BC_NONE; i++) first = st->blocks[first].parent;
    int64_t took = p->h.time_ns - st->blocks[first].h.time_ns;
    int64_t want = st->cfg->block_interval_ns * (int64_t)(r - 1);
    if (took < want / 4) took = want / 4;
    if (took > want * 4) took = want * 4;
    unsigned __int128 t = (unsigned __int128)p->h.target * (uint64_t)took / (uint64_t)want;
    return t > UINT64_MAX ? UINT64_MAX : (t ? (uint64_t)t : 1);
}

uint8_t *bc_block_encode(const bc_header *h, const bc_tx *txs, uint32_t ntx, size_t *len)
{
    uint8_t *buf = malloc(BC_HEADER_BYTES + 4 + (size_t)ntx * BC_TX_BYTES_MAX);
    SIM_ASSERT(buf != NULL);
    bc_header_encode(h, buf);
    size_t n = BC_HEADER_BYTES;
    for (int i = 0; i < 4; i++) buf[n++] = (uint8_t)(ntx >> (8 * i));
    for (uint32_t i = 0; i < ntx; i++) n += bc_tx_encode(&txs[i], buf + n);
    *len = n;
    return buf;
}

static bool decode_block(const uint8_t *bytes, size_t len, bc_block *b, uint32_t max_tx)
{
    memset(b, 0, sizeof(*b));
    if (len < BC_HEADER_BYTES + 4) return false;
    bc_header_decode(bytes, &b->h);
    bc_header_hash(&b->h, &b->hash);
    const uint8_t *p = bytes + BC_HEADER_BYTES;
    uint32_t n = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (n == 0 || n > max_tx) return false;
    size_t off = BC_HEADER_BYTES + 4;
    b->txs = malloc(n * sizeof(bc_tx));
    SIM_ASSERT(b->txs != NULL);
    for (b->ntx = 0; b->ntx < n; b->ntx++) {
        const char *why;
        size_t used = bc_tx_decode(bytes + off, len - off, &b->txs[b->ntx], &why);
        if (!used) { free(b->txs); b->txs = NULL; return false; }
        off += used;
    }
    return off == len;
}

/* Checks that need no UTXO set; NULL or the reason. */
static const char *check_alone(const bc_node *st, const bc_block *b, uint32_t parent)
{
    bc_hash root;
    bc_merkle_root(b->txs, b->ntx, &root);
    if (memcmp(root.b, b->h.merkle.b, 32) != 0) return "bad merkle root";
    if (st->cfg->real && bc_hash_top64(&b->hash) >= b->h.target) return "proof of work too weak";
    if (b->h.target != bc_next_target(st, parent)) return "wrong target";
    if (b->h.time_ns <= bc_median_time(st, parent)) return "timestamp too early";
    if (b->txs[0].nin != 0 || b->txs[0].signer != BC_NOBODY) return "no coinbase first";
    if (b->txs[0].nonce != st->blocks[parent].height + 1) return "no coinbase first";
    for (uint32_t i = 1; i < b->ntx; i++)
        if (b->txs[i].nin == 0 || b->txs[i].signer == BC_NOBODY) return "more than one coinbase";
    if (b->ntx > (uint64_t)st->cfg->block_txs + 1) return "block too big";
    return NULL;
}

const char *bc_tx_check(const sim *s, const bc_map *utxo, const bc_tx *tx, int64_t *fee_out)
{
    if (tx->nin == 0) return "no inputs";
    if (tx->signer >= sim_node_count(s)) return "unknown signer";
    int64_t in = 0, out = 0;
    for (int i = 0; i < tx->nin; i++) {
        for (int j = 0; j < i; j++)
            if (!memcmp(&tx->in[i], &tx->in[j], sizeof(bc_outpoint))) return "duplicate input";
        const bc_out *o = bc_map_get(utxo, &tx->in[i]);
        if (!o) return "input missing or already spent";
        if (o->owner != tx->signer) return "input not owned by the signer";
        in += o->amount;
    }
    for (int i = 0; i < tx->nout; i++) {
        if (tx->out[i].amount <= 0 || tx->out[i].amount > JSON_SAFE) return "amount not positive";
        out += tx->out[i].amount;
    }
    if (out > in) return "outputs exceed inputs";
    if (!bc_verify(s, tx->signer, &tx->id, &tx->sig)) return "bad signature";
    if (fee_out) *fee_out = in - out;
    return NULL;
}

static void add_outputs(bc_node *st, const bc_tx *tx, uint32_t height)
{
    for (uint32_t k = 0; k < tx->nout; k++) {
        bc_outpoint op = { tx->id, k };
        bc_out o = tx->out[k];
        o.height = height;
        bc_map_put(&st->utxo, &op, &o);
    }
}

/* Disconnects the tip block: removes what it created, restores what it spent. */
static void disconnect(bc_node *st)
{
    bc_block *b = &st->blocks[st->tip];
    for (uint32_t i = b->ntx; i-- > 0;)
        for (uint32_t k = 0; k < b->txs[i].nout; k++) {
            bc_outpoint op = { b->txs[i].id, k };
            bc_map_del(&st->utxo, &op);
        }
    for (uint32_t i = 0; i < b->nundo; i++) bc_map_put(&st->utxo, &b->undo[i].op, &b->undo[i].out);
    free(b->undo);
    b->undo = NULL;
    b->nundo = 0;
    b->on_chain = false;
    st->tip = b->parent;
}

/* Connects block bi on the tip, validating every transaction; NULL or the reason
 * (then the UTXO set is as before). */
static const char *connect(sim_node *node, bc_node *st, uint32_t bi)
{
    bc_block *b = &st->blocks[bi];
    SIM_ASSERT(b->parent == st->tip);
    size_t nin = 0;
    for (uint32_t i = 1; i < b->ntx; i++) nin += b->txs[i].nin;
    b->undo = malloc((nin ? nin : 1) * sizeof(bc_undo));
    SIM_ASSERT(b->undo != NULL);
    b->nundo = 0;
    b->on_chain = true;
    st->tip = bi;
    int64_t fees = 0;
    const char *why = NULL;
    for (uint32_t i = 1; i < b->ntx && !why; i++) {
        const bc_tx *tx = &b->txs[i];
        int64_t fee = 0;
        why = bc_tx_check(sim_of(node), &st->utxo, tx, &fee);
        if (why) break;
        fees += fee;
        for (int k = 0; k < tx->nin; k++) {
            b->undo[b->nundo++] = (bc_undo){ tx->in[k], *bc_map_get(&st->utxo, &tx->in[k]) };
            bc_map_del(&st->utxo, &tx->in[k]);
        }
        add_outputs(st, tx, b->height);
    }
    int64_t paid = 0;
    for (uint32_t k = 0; k < b->txs[0].nout && !why; k++) {
        if (b->txs[0].out[k].amount <= 0 || b->txs[0].out[k].amount > JSON_SAFE) why = "amount not positive";
        paid += b->txs[0].out[k].amount;
    }
    if (!why && paid > st->cfg->reward + fees) why = "coinbase pays too much";
    if (!why) { add_outputs(st, &b->txs[0], b->height); return NULL; }
    disconnect(st);   /* removes the outputs made so far, restores the inputs spent */
    return why;
}

static void mark_invalid(bc_node *st, uint32_t bi, const char *why)
{
    st->blocks[bi].status = BC_INVALID;
    bc_reject(st, why);
}

/* Moves the tip to target (which has more work). Returns the blocks newly
 * connected, in order, in out (caller frees), their number in *n. */
static void reorganise(sim_node *node, bc_node *st, uint32_t target, uint32_t **out, uint32_t *n)
{
    uint32_t old = st->tip, a = old, b = target, depth = 0;
    uint32_t *path = malloc((st->blocks[target].height + 1) * sizeof(uint32_t));
    uint32_t *joined = malloc((st->blocks[target].height + 1) * sizeof(uint32_t));
    SIM_ASSERT(path != NULL && joined != NULL);
    uint32_t np = 0;
    while (st->blocks[b].height > st->blocks[a].height) { path[np++] = b; b = st->blocks[b].parent; }
    while (st->blocks[a].height > st->blocks[b].height) a = st->blocks[a].parent;
    while (a != b) { path[np++] = b; b = st->blocks[b].parent; a = st->blocks[a].parent; }
    uint32_t fork = a;
    bc_tx *back = NULL;
    uint32_t nback = 0, capback = 0;
    while (st->tip != fork) {
        bc_block *d = &st->blocks[st->tip];
        if (nback + d->ntx > capback) { capback = (nback + d->ntx) * 2; back = realloc(back, capback * sizeof(bc_tx)); }
        for (uint32_t i = 1; i < d->ntx; i++) back[nback++] = d->txs[i];
        disconnect(st);
        depth++;
    }
    *n = 0;
    for (uint32_t i = np; i-- > 0;) {
        const char *why = connect(node, st, path[i]);
        if (!why) { joined[(*n)++] = path[i]; continue; }
        mark_invalid(st, path[i], why);
        for (uint32_t j = i; j-- > 0;) st->blocks[path[j]].status = BC_INVALID;
        while (st->tip != fork) disconnect(st);
        *n = 0;
        uint32_t *again = NULL, nagain = 0;
        if (old != fork) reorganise(node, st, old, &again, &nagain);   /* the old chain was valid */
        free(again);
        depth = 0;
        break;
    }
    if (depth > 0 && *n > 0) {
        st->reorgs++;
        if (depth > st->max_reorg) st->max_reorg = depth;
        sim_annotate(node, "reorg", "1");
    }
    for (uint32_t i = 0; i < nback; i++) bc_mempool_add(st, &back[i]);
    free(back);
    free(path);
    *out = joined;
}

/* The mempool after a tip change: drop what the chain spent or no longer funds. */
static void mempool_refresh(sim_node *node, bc_node *st)
{
    uint32_t kept = 0;
    bc_map_clear(&st->spent);
    for (uint32_t i = 0; i < st->nmempool; i++) {
        const bc_tx *tx = &st->mempool[i];
        bool ok = bc_tx_check(sim_of(node), &st->utxo, tx, NULL) == NULL;
        for (int k = 0; ok && k < tx->nin; k++) ok = bc_map_get(&st->spent, &tx->in[k]) == NULL;
        if (!ok) continue;
        for (int k = 0; k < tx->nin; k++) bc_map_put(&st->spent, &tx->in[k], &(bc_out){ 0, 0, 0 });
        st->mempool[kept++] = *tx;
    }
    st->nmempool = kept;
}

void bc_mempool_add(bc_node *st, const bc_tx *tx)
{
    if (st->nmempool == st->capmempool) {
        st->capmempool = st->capmempool ? st->capmempool * 2 : 64;
        st->mempool = realloc(st->mempool, st->capmempool * sizeof(bc_tx));
        SIM_ASSERT(st->mempool != NULL);
    }
    st->mempool[st->nmempool++] = *tx;
    for (int k = 0; k < tx->nin; k++) bc_map_put(&st->spent, &tx->in[k], &(bc_out){ 0, 0, 0 });
}

static uint32_t store(sim_node *node, bc_node *st, bc_block *b, uint32_t parent)
{
    if (st->nblocks == st->capblocks) {
        st->capblocks = st->capblocks ? st->capblocks * 2 : 256;
        st->blocks = realloc(st->blocks, st->capblocks * sizeof(bc_block));
        SIM_ASSERT(st->blocks != NULL);
    }
    uint32_t bi = st->nblocks++;
    b->parent = parent;
    b->height = parent == BC_NONE ? 0 : st->blocks[parent].height + 1;
    b->chainwork = (parent == BC_NONE ? 0 : st->blocks[parent].chainwork) + bc_work(b->h.target);
    b->miner = b->txs[0].nout ? b->txs[0].out[0].owner : BC_NOBODY;
    b->seen_ns = sim_now_ns(sim_of(node));
    st->blocks[bi] = *b;
    bc_outpoint k = { b->hash, UINT32_MAX };
    bc_map_put(&st->index, &k, &(bc_out){ 0, bi, 0 });
    return bi;
}

void bc_chain_genesis(sim_node *node, bc_node *st)
{
    bc_block g;
    memset(&g, 0, sizeof(g));
    g.ntx = (uint32_t)st->nmembers + 1;
    g.txs = calloc(g.ntx, sizeof(bc_tx));
    SIM_ASSERT(g.txs != NULL);
    g.txs[0] = (bc_tx){ .signer = BC_NOBODY, .nonce = 0, .nout = 1, .out = { { 1, BC_NOBODY, 0 } } };
    for (size_t i = 0; i < st->nmembers; i++)
        g.txs[i + 1] = (bc_tx){ .signer = BC_NOBODY, .nonce = (uint32_t)i + 1, .nout = 1,
                                .out = { { st->cfg->initial, st->members[i], 0 } } };
    for (uint32_t i = 0; i < g.ntx; i++) bc_tx_finish(&g.txs[i]);
    bc_merkle_root(g.txs, g.ntx, &g.h.merkle);
    g.h.target = st->cfg->target0;
    bc_header_hash(&g.h, &g.hash);
    g.status = BC_VALID;
    g.on_chain = true;
    uint32_t bi = store(node, st, &g, BC_NONE);
    st->blocks[bi].seen_ns = 0;
    st->tip = bi;
    for (uint32_t i = 1; i < g.ntx; i++) add_outputs(st, &g.txs[i], 0);
}

/* After a new block: maybe reorganise, then relay what joined the chain. */
static void adopt(sim_node *node, bc_node *st, uint32_t bi, sim_node_id from)
{
    if (st->blocks[bi].chainwork <= st->blocks[st->tip].chainwork) return;
    uint32_t *joined = NULL, n = 0;
    reorganise(node, st, bi, &joined, &n);
    for (uint32_t i = 0; i < n; i++) {
        st->blocks[joined[i]].status = BC_VALID;
        bc_send_block(node, st, joined[i], from);
    }
    free(joined);
    if (n == 0) return;
    mempool_refresh(node, st);
    char text[32];
    snprintf(text, sizeof(text), "%u", st->blocks[st->tip].height);
    sim_annotate(node, "height", text);
    bc_merchant_on_tip(st);
    bc_mine_restart(node, st);
}

static void attach_orphans(sim_node *node, bc_node *st, const bc_hash *parent)
{
    for (uint32_t i = 0; i < st->norphans; i++) {
        if (memcmp(st->orphans[i].prev.b, parent->b, 32) != 0) continue;
        bc_orphan o = st->orphans[i];
        st->orphans[i] = st->orphans[--st->norphans];
        bc_chain_receive(node, st, o.bytes, o.len, SIM_NODE_NONE);
        free(o.bytes);
        i = (uint32_t)-1;   /* the list changed: start over */
    }
}

static void keep_orphan(bc_node *st, const uint8_t *bytes, size_t len, const bc_hash *prev)
{
    if (st->norphans == 16) { free(st->orphans[0].bytes); st->orphans[0] = st->orphans[--st->norphans]; }
    bc_orphan *o = &st->orphans[st->norphans++];
    o->bytes = malloc(len);
    SIM_ASSERT(o->bytes != NULL);
    memcpy(o->bytes, bytes, len);
    o->len = len;
    o->prev = *prev;
}

void bc_chain_receive(sim_node *node, bc_node *st, const uint8_t *bytes, size_t len, sim_node_id from)
{
    bc_block b;
    if (!decode_block(bytes, len, &b, (uint32_t)st->cfg->block_txs + 1)) { bc_reject(st, "malformed block"); return; }
    if (bc_find(st, &b.hash) != BC_NONE) { free(b.txs); return; }
    uint32_t parent = bc_find(st, &b.h.prev);
    if (parent == BC_NONE) {
        keep_orphan(st, bytes, len, &b.h.prev);
        free(b.txs);
        if (from != SIM_NODE_NONE) {
            char hex[65];
            bc_hex(b.h.prev.b, 32, hex);
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "type", "getblock");
            cJSON_AddStringToObject(m, "hash", hex);
            sim_json_send(node, from, m);
            cJSON_Delete(m);
        }
        return;
    }
    const char *why = st->blocks[parent].status == BC_INVALID ? "descends from an invalid block"
                                                               : check_alone(st, &b, parent);
    if (why) { bc_reject(st, why); free(b.txs); return; }
    uint32_t bi = store(node, st, &b, parent);
    if (st->cfg->behaviour == BC_DOUBLE_SPEND || st->cfg->behaviour == BC_SELFISH)
        bc_attack_on_block(node, st, bi, from);
    else
        adopt(node, st, bi, from);
    attach_orphans(node, st, &st->blocks[bi].hash);
}

void bc_chain_adopt(sim_node *node, bc_node *st, uint32_t bi, sim_node_id from)
{
    adopt(node, st, bi, from);
}

void bc_chain_free(bc_node *st)
{
    for (uint32_t i = 0; i < st->nblocks; i++) { free(st->blocks[i].txs); free(st->blocks[i].undo); }
    for (uint32_t i = 0; i < st->norphans; i++) free(st->orphans[i].bytes);
    free(st->blocks);
    free(st->mempool);
    free(st->tmpl);
    free(st->members);
    free(st->relay);
    bc_map_free(&st->index);
    bc_map_free(&st->utxo);
    bc_map_free(&st->spent);
    bc_map_free(&st->known);
}
