/*
 * Mining, and the miners that cheat.
 *
 * Two modes, named in every node's state as `mode`:
 *  - "exponential" (the default): brute force tries nonces independently, each
 *    succeeding with probability target/2^64, so with hash rate h the time to a
 *    block is exponential with mean work/h, work = 2^64/target. The miner draws
 *    it from its own seeded stream when its parent changes (memorylessness makes
 *    a redraw exact), and assembles the block when the time comes. No hash is
 *    searched, so validators check everything except hash < target.
 *  - "real": the miner assembles the block and searches nonces for real from a
 *    random start until the header's hash is below the target; the k tries take
 *    k/h seconds of simulated time. Validators check the proof. For small demos
 *    (work of a few thousand hashes).
 *
 * Cheats (option `attack`):
 *  - double_spend (Nakamoto 2008, section 11): at attack_at the node pays the
 *    merchant and, in secret, signs a second transaction giving the same coins
 *    to itself; it mines a private branch holding the second, from the block
 *    that was the tip; once the merchant's chain shows the payment under
 *    `confirmations` blocks and the private branch has more work, it publishes
 *    it. It gives up `give_up` blocks behind.
 *  - selfish (Eyal and Sirer 2014, algorithm 1): keeps what it mines private,
 *    publishes just enough to override the honest chain when that catches up.
 *  - reward, signature, double_spend_block, merkle, pow: lies; the miner's
 *    blocks break one rule each, and honest nodes reject them with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/blockchain/blockchain.h"

static bool attacking(const bc_node *st)
{
    return st->phase && (strcmp(st->phase, "private") == 0 || strcmp(st->phase, "selfish") == 0);
}

static uint32_t mining_parent(const bc_node *st)
{
    return attacking(st) ? st->priv_tip : st->tip;
}

/* An output of ours at the tip (the first in outpoint order is not needed: any
 * deterministic pick will do, and the map's layout is deterministic). */
static bool own_output(const bc_node *st, bc_outpoint *op, bc_out *out)
{
    for (size_t i = 0; i < st->utxo.cap; i++) {
        const bc_map_slot *sl = &st->utxo.slots[i];
        if (sl->used && sl->val.owner == st->self && bc_map_get(&st->spent, &sl->key) == NULL) {
            *op = sl->key;
            *out = sl->val;
            return true;
        }
    }
    return false;
}

static void lie(sim_node *node, bc_node *st, bc_tx *txs, uint32_t *n)
{
    bc_outpoint op;
    bc_out o;
    switch (st->cfg->behaviour) {
    case BC_LIE_REWARD: txs[0].out[0].amount += 10 * st->cfg->reward; break;
    case BC_LIE_SIGNATURE: {       /* spend a peer's genesis coins, signed with our key */
        uint32_t victim = st->members[0] == st->self ? 1 : 0;
        bc_tx t = { .signer = st->members[victim], .nonce = st->wallet_nonce++, .nin = 1, .nout = 1 };
        t.in[0] = (bc_outpoint){ st->blocks[0].txs[victim + 1].id, 0 };
        t.out[0] = (bc_out){ st->cfg->initial, st->self, 0 };
        bc_tx_finish(&t);
        bc_sign(node, &t.id, &t.sig);
        txs[(*n)++] = t;
        break;
    }
    case BC_LIE_DOUBLE_SPEND:      /* the same coins to two payees, both signed */
        if (!own_output(st, &op, &o)) break;
        for (int k = 0; k < 2; k++) {
            bc_tx t = { .signer = st->self, .nonce = st->wallet_nonce++, .nin = 1, .nout = 1 };
            t.in[0] = op;
            t.out[0] = (bc_out){ o.amount, st->members[k], 0 };
            bc_tx_finish(&t);
            bc_sign(node, &t.id, &t.sig);
            txs[(*n)++] = t;
        }
        break;
    default: break;
    }
}

/* The block the miner would publish on parent now: coinbase, then the mempool
 * (on its tip) or the stolen payment (on a private branch). */
static uint32_t assemble(sim_node *node, bc_node *st, uint32_t parent, bc_tx **out, bc_header *h)
{
    uint32_t cap = (uint32_t)st->cfg->block_txs + 4, n = 1;
    bc_tx *txs = calloc(cap, sizeof(bc_tx));
    SIM_ASSERT(txs != NULL);
    int64_t fees = 0;
    if (!attacking(st)) {
        for (uint32_t i = 0; i < st->nmempool && n <= (uint32_t)st->cfg->block_txs; i++) {
            int64_t fee = 0;
            if (bc_tx_check(sim_of(node), &st->utxo, &st->mempool[i], &fee)) continue;
            txs[n++] = st->mempool[i];
            fees += fee;
        }
    } else if (st->cfg->behaviour == BC_DOUBLE_SPEND && !st->steal_mined) {
        txs[n++] = st->steal;
        st->steal_mined = true;
    }
    uint32_t height = st->blocks[parent].height + 1;
    txs[0] = (bc_tx){ .signer = BC_NOBODY, .nonce = height, .nout = 1,
                      .out = { { st->cfg->reward + fees, st->self, 0 } } };
    lie(node, st, txs, &n);
    bc_tx_finish(&txs[0]);
    memset(h, 0, sizeof(*h));
    h->prev = st->blocks[parent].hash;
    bc_merkle_root(txs, n, &h->merkle);
    if (st->cfg->behaviour == BC_LIE_MERKLE) h->merkle.b[0] ^= 1;
    int64_t floor_ns = bc_median_time(st, parent) + 1;
    h->time_ns = sim_clock_ns(node) > floor_ns ? sim_clock_ns(node) : floor_ns;
    h->target = bc_next_target(st, parent);
    h->nonce = sim_rng_next(sim_self_rng(node));
    *out = txs;
    return n;
}

/* Real mode: try nonces until the hash is below target; the number of tries. */
static uint64_t search(sim_node *node, bc_node *st, bc_header *h)
{
    uint64_t tries = 1;
    bc_hash hash;
    if (st->cfg->behaviour == BC_LIE_POW)      /* as long as a search would take, but none made */
        return 1 + (uint64_t)(sim_dist_std_exp(sim_self_rng(node)) * (double)bc_work(h->target));
    for (;; tries++, h->nonce++) {
        bc_header_hash(h, &hash);
        if (bc_hash_top64(&hash) < h->target) break;
    }
    st->hashes += tries;
    return tries;
}

void bc_mine_restart(sim_node *node, bc_node *st)
{
    if (st->mine_timer) sim_timer_cancel(node, st->mine_timer);
    st->mine_timer = 0;
    if (!st->cfg->mining) return;
    uint32_t parent = mining_parent(st);
    double seconds;
    if (st->cfg->real) {
        free(st->tmpl);
        st->ntmpl = assemble(node, st, parent, &st->tmpl, &st->tmpl_h);
        st->tmpl_parent = parent;
        seconds = (double)search(node, st, &st->tmpl_h) / st->cfg->hash_rate;
    } else {
        double work = (double)bc_work(bc_next_target(st, parent));
        seconds = sim_dist_std_exp(sim_self_rng(node)) * work / st->cfg->hash_rate;
    }
    double ns = seconds * 1e9;
    int64_t delay = ns < 1 ? 1 : ns > 1e17 ? INT64_C(100000000000000000) : (int64_t)ns;
    st->mine_timer = sim_timer_set(node, delay, "mine", 0);
    SIM_ASSERT(st->mine_timer != 0);
}

static void send_raw(sim_node *node, bc_node *st, const uint8_t *bytes, size_t len)
{
    char *hex = malloc(2 * len + 1);
    SIM_ASSERT(hex != NULL);
    bc_hex(bytes, len, hex);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "block");
    cJSON_AddStringToObject(m, "block", hex);
    char *text = sim_json_encode(m);
    for (size_t i = 0; i < st->nrelay; i++)
        sim_send_sized(node, st->relay[i], "block", text, strlen(text), len + 24);
    free(text);
    free(hex);
    cJSON_Delete(m);
}

void bc_mine_found(sim_node *node, bc_node *st)
{
    st->mine_timer = 0;
    bc_tx *txs = st->tmpl;
    bc_header h = st->tmpl_h;
    uint32_t n = st->ntmpl;
    if (!st->cfg->real) n = assemble(node, st, mining_parent(st), &txs, &h);
    st->tmpl = NULL;
    size_t len;
    uint8_t *bytes = bc_block_encode(&h, txs, n, &len);
    free(txs);
    st->mined++;
    sim_annotate(node, "mined", "1");
    if (st->cfg->behaviour >= BC_LIE_REWARD) {
        send_raw(node, st, bytes, len);   /* liars never check their own blocks */
        bc_mine_restart(node, st);
    } else {
        bc_chain_receive(node, st, bytes, len, SIM_NODE_NONE);
        if (!st->mine_timer) bc_mine_restart(node, st);
    }
    free(bytes);
}
