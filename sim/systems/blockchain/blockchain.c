/*
 * blockchain: a proof-of-work chain in the manner of Bitcoin (Nakamoto 2008),
 * every node a full node: it validates every block and transaction it adopts,
 * mines (unless mining = 0), and relays over the simulated network.
 *
 * Messages (canonical JSON; blocks and transactions as hex of their bytes, the
 * wire size the bytes' length):
 *   node -> peer  {"type":"block","block":HEX}   a block joined the sender's chain
 *                 {"type":"tx","tx":HEX}         a new valid transaction
 *                 {"type":"getblock","hash":HEX} the parent of a block we could not place
 *   scenario      {"type":"pay","to":NAME,"amount":N}  the node's wallet pays
 *                 {"type":"tx","tx":HEX}               any bytes, checked like the rest
 *
 * A block's life at one node:
 *
 *     received --decode, Merkle, PoW, target, time, coinbase--> rejected (reason counted)
 *        |                                         \--parent unknown--> orphan, getblock
 *        v
 *     STORED (header ok) --more work than the tip--> reorganise: connect validates
 *        |                                      every tx against the parent's UTXO set
 *        |                                      --ok--> ON CHAIN, relayed
 *        |                                      --bad--> INVALID (and its descendants)
 *        \--less work--> side branch (stale unless it grows)
 *
 * Invariants (checked by the scenarios through .state): (I1) the tip is the
 * stored valid block with the most work, first seen on ties; (I2) the UTXO set
 * is exactly the outputs created and not spent by the chain genesis..tip (its
 * digest is equal at nodes with equal tips); (I3) no coins are created but by
 * coinbases of at most reward + fees; (I4) every input is signed by its owner.
 * Nodes with the same tip have the same height, UTXO digest and balances.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/sha256.h"
#include "sim/systems/blockchain/blockchain.h"
#include "sim/systems/system.h"


/* ---- sending ---- */

static void send_hex(sim_node *node, bc_node *st, const char *type, const char *field,
                     const uint8_t *bytes, size_t len, sim_node_id except)
{
    char *hex = malloc(2 * len + 1);
    SIM_ASSERT(hex != NULL);
    bc_hex(bytes, len, hex);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    cJSON_AddStringToObject(m, field, hex);
    char *text = sim_json_encode(m);
    SIM_ASSERT(text != NULL);
    for (size_t i = 0; i < st->nrelay; i++)
        if (st->relay[i] != except) sim_send_sized(node, st->relay[i], type, text, strlen(text), len + 24);
    free(text);
    free(hex);
    cJSON_Delete(m);
}

void bc_send_block(sim_node *node, bc_node *st, uint32_t b, sim_node_id except)
{
    size_t len;
    uint8_t *bytes = bc_block_encode(&st->blocks[b].h, st->blocks[b].txs, st->blocks[b].ntx, &len);
    send_hex(node, st, "block", "block", bytes, len, except);
    free(bytes);
}

void bc_send_tx(sim_node *node, bc_node *st, const bc_tx *tx, sim_node_id except)
{
    uint8_t buf[BC_TX_BYTES_MAX];
    send_hex(node, st, "tx", "tx", buf, bc_tx_encode(tx, buf), except);
}

/* ---- transactions ---- */

static void remember(bc_node *st, const bc_hash *txid)
{
    if (st->known.count > 200000) bc_map_clear(&st->known);   /* a bounded relay filter */
    bc_outpoint k = { *txid, UINT32_MAX };
    bc_map_put(&st->known, &k, &(bc_out){ 0, 0, 0 });
}

/* A transaction from a peer, the scenario or our wallet: into the mempool and on
 * to the peers when valid against the tip and free of conflicts (first seen). */
static void accept_tx(sim_node *node, bc_node *st, const bc_tx *tx, sim_node_id from)
{
    bc_outpoint k = { tx->id, UINT32_MAX };
    if (bc_map_get(&st->known, &k)) return;
    remember(st, &tx->id);
    const char *why = bc_tx_check(sim_of(node), &st->utxo, tx, NULL);
    for (int i = 0; !why && i < tx->nin; i++)
        if (bc_map_get(&st->spent, &tx->in[i])) why = "conflicts with a mempool transaction";
    if (why) { bc_reject(st, why); return; }
    if (st->nmempool >= 4 * (uint32_t)st->cfg->block_txs + 64) return;   /* full: drop */
    bc_mempool_add(st, tx);
    bc_send_tx(node, st, tx, from);
}

static void on_tx(sim_node *node, bc_node *st, const cJSON *in, sim_node_id from)
{
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(in, "tx");
    uint8_t buf[BC_TX_BYTES_MAX];
    size_t n = cJSON_IsString(hex) ? strlen(hex->valuestring) / 2 : 0;
    bc_tx tx;
    const char *why = "malformed transaction (not hex)";
    if (n == 0 || n > sizeof(buf) || !bc_unhex(hex->valuestring, buf, n) || bc_tx_decode(buf, n, &tx, &why) != n) {
        bc_reject(st, n && n <= sizeof(buf) && why ? why : "malformed transaction (not hex)");
        return;
    }
    accept_tx(node, st, &tx, from);
}

/* The wallet: pay `amount` to `to` from our confirmed, unspent outputs. */
static const char *pay(sim_node *node, bc_node *st, sim_node_id to, int64_t amount)
{
    if (amount <= 0) return "amount not positive";
    bc_tx tx = { .signer = st->self, .nonce = st->wallet_nonce++, .nout = 1 };
    int64_t have = 0;
    for (size_t i = 0; i < st->utxo.cap && have < amount && tx.nin < BC_IN_MAX; i++) {
        const bc_map_slot *sl = &st->utxo.slots[i];
        if (!sl->used || sl->val.owner != st->self || bc_map_get(&st->spent, &sl->key)) continue;
        tx.in[tx.nin++] = sl->key;
        have += sl->val.amount;
    }
    if (have < amount) return "insufficient funds";
    tx.out[0] = (bc_out){ amount, to, 0 };
    if (have > amount) tx.out[tx.nout++] = (bc_out){ have - amount, st->self, 0 };
    bc_tx_finish(&tx);
    bc_sign(node, &tx.id, &tx.sig);
    accept_tx(node, st, &tx, SIM_NODE_NONE);
    return NULL;
}

static void on_pay(sim_node *node, bc_node *st, const cJSON *in)
{
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(in, "to");
    sim_node_id id;
    if (!cJSON_IsString(to) || sim_node_find(sim_of(node), to->valuestring, &id) != 0) {
        bc_reject(st, "pay: unknown payee");
        return;
    }
    const char *why = pay(node, st, id, sim_json_int(in, "amount", 0));
    if (why) bc_reject(st, why);
}

static void schedule_payment(sim_node *node, const bc_node *st)
{
    if (st->cfg->tx_interval_ns <= 0) return;
    double ns = sim_dist_std_exp(sim_self_rng(node)) * (double)st->cfg->tx_interval_ns;
    sim_timer_set(node, ns < 1 ? 1 : (int64_t)ns, "pay", 0);
}

static void random_payment(sim_node *node, bc_node *st)
{
    if (st->nmembers > 1) {
        sim_node_id to = st->members[sim_rng_below(sim_self_rng(node), st->nmembers)];
        if (to != st->self) pay(node, st, to, 1 + (int64_t)sim_rng_below(sim_self_rng(node), 10));
    }
    schedule_payment(node, st);
}

/* ---- handlers ---- */

static void on_getblock(sim_node *node, bc_node *st, const cJSON *in, sim_node_id from)
{
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(in, "hash");
    bc_hash h;
    if (!cJSON_IsString(hex) || !bc_unhex(hex->valuestring, h.b, 32) || from == SIM_NODE_NONE) return;
    uint32_t b = bc_find(st, &h);
    if (b == BC_NONE || b == 0 || st->blocks[b].status == BC_INVALID) return;
    size_t len;
    uint8_t *bytes = bc_block_encode(&st->blocks[b].h, st->blocks[b].txs, st->blocks[b].ntx, &len);
    char *hexs = malloc(2 * len + 1);
    SIM_ASSERT(hexs != NULL);
    bc_hex(bytes, len, hexs);
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", "block");
    cJSON_AddStringToObject(m, "block", hexs);
    sim_json_send(node, from, m);
    cJSON_Delete(m);
    free(hexs);
    free(bytes);
}

static void on_block(sim_node *node, bc_node *st, const cJSON *in, sim_node_id from)
{
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(in, "block");
    size_t n = cJSON_IsString(hex) ? strlen(hex->valuestring) / 2 : 0;
    uint8_t *bytes = n ? malloc(n) : NULL;
    if (!bytes || !bc_unhex(hex->valuestring, bytes, n)) bc_reject(st, "malformed block");
    else bc_chain_receive(node, st, bytes, n, from);
    free(bytes);
}

static void bc_receive(sim_node *node, void *state, const sim_msg *msg)
{
    bc_node *st = state;
    if (msg->corrupted) return;                /* a checksum would reject it */
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    if (strcmp(t, "block") == 0) on_block(node, st, in, msg->from);
    else if (strcmp(t, "tx") == 0) on_tx(node, st, in, msg->from);
    else if (strcmp(t, "getblock") == 0) on_getblock(node, st, in, msg->from);
    else if (strcmp(t, "pay") == 0 && msg->from == SIM_NODE_NONE) on_pay(node, st, in);
    cJSON_Delete(in);
}

/* Relay peers: all others, or with fanout k, the k/2 on each side around the
 * ring of members (connected, and the same picture at every node). */
static void choose_relay(bc_node *st)
{
    size_t n = st->nmembers, me = 0, k = (size_t)st->cfg->fanout;
    for (size_t i = 0; i < n; i++) if (st->members[i] == st->self) me = i;
    st->relay = malloc((n ? n : 1) * sizeof(sim_node_id));
    SIM_ASSERT(st->relay != NULL);
    st->nrelay = 0;
    if (k == 0 || k + 1 >= n) {
        for (size_t i = 0; i < n; i++) if (i != me) st->relay[st->nrelay++] = st->members[i];
        return;
    }
    for (size_t d = 1; d <= (k + 1) / 2; d++) {
        st->relay[st->nrelay++] = st->members[(me + d) % n];
        if (st->nrelay < k) st->relay[st->nrelay++] = st->members[(me + n - d) % n];
    }
}

static void bc_start(sim_node *node, void *state)
{
    bc_node *st = state;
    st->cfg = sim_self_config(node);
    st->self = sim_self(node);
    size_t n = sim_cluster_peers(node, NULL, 0);
    st->members = malloc((n + 1) * sizeof(sim_node_id));
    SIM_ASSERT(st->members != NULL);
    sim_cluster_peers(node, st->members, n);
    size_t pos = 0;
    while (pos < n && st->members[pos] < st->self) pos++;
    memmove(st->members + pos + 1, st->members + pos, (n - pos) * sizeof(sim_node_id));
    st->members[pos] = st->self;
    st->nmembers = n + 1;
    choose_relay(st);
    bc_chain_genesis(node, st);
    sim_annotate(node, "height", "0");
    if (st->cfg->behaviour == BC_DOUBLE_SPEND || st->cfg->behaviour == BC_SELFISH)
        sim_timer_set(node, st->cfg->attack_at_ns > 0 ? st->cfg->attack_at_ns : 1, "attack", 0);
    bc_mine_restart(node, st);
    schedule_payment(node, st);
}

static void bc_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    bc_node *st = state;
    if (strcmp(name, "mine") == 0) bc_mine_found(node, st);
    else if (strcmp(name, "pay") == 0) random_payment(node, st);
    else if (strcmp(name, "attack") == 0) bc_attack_start(node, st);
}

static void bc_stop(sim_node *node, void *state)
{
    bc_chain_free(state);
}

static const sim_program blockchain_program = {
    .name = "blockchain",
    .state_bytes = sizeof(bc_node),
    .start = bc_start,
    .receive = bc_receive,
    .timer = bc_timer,
    .stop = bc_stop,
};

int bc_configure(const cJSON *options, void **config, char *err, size_t errlen);
cJSON *bc_state_json(const sim *s, sim_node_id id);

const sim_system sim_system_blockchain = {
    .name = "blockchain",
    .summary = "proof-of-work chain: UTXO, mining, most-work rule, double spend, selfish mining",
    .program = &blockchain_program,
    .configure = bc_configure,
    .release = free,
    .state_json = bc_state_json,
};
