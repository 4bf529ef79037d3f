/*
 * The withholding attackers (double spend, selfish mining) and the merchant
 * who waits for confirmations. An attacker's node keeps every block it hears
 * of, but while it attacks it follows two tips of its own: priv_tip (the
 * branch it mines, kept secret) and pub_tip (the most-work chain the others
 * have shown). It neither adopts nor relays while attacking; publishing is
 * adopting its private tip, which relays the branch like any new best chain.
 *
 * Selfish mining, with lead = height(priv) - height(pub) before the event:
 *     own block:   lead 0 during a 1-1 race -> publish (win the race)
 *                  otherwise keep it private
 *     their block: lead 0 -> adopt theirs     lead 1 -> publish (a race)
 *                  lead 2 -> publish all (win) lead > 2 -> publish up to their height
 * Heights stand for work: the selfish scenario keeps the target fixed.
 */
#include <stdio.h>
#include <string.h>

#include "sim/systems/blockchain/blockchain.h"

static bool find_own_output(const bc_node *st, bc_outpoint *op, bc_out *out)
{
    for (size_t i = 0; i < st->nmembers; i++)
        if (st->members[i] == st->self) {
            *op = (bc_outpoint){ st->blocks[0].txs[i + 1].id, 0 };
            const bc_out *o = bc_map_get(&st->utxo, op);
            if (!o) return false;
            *out = *o;
            return true;
        }
    return false;
}

static bool find_member(const bc_node *st, const char *name, sim_node_id *id, const sim *s)
{
    for (size_t i = 0; i < st->nmembers; i++)
        if (strcmp(sim_node_name(s, st->members[i]), name) == 0) { *id = st->members[i]; return true; }
    return false;
}

void bc_attack_start(sim_node *node, bc_node *st)
{
    st->priv_tip = st->pub_tip = st->fork = st->tip;
    st->sent_height = st->blocks[st->tip].height;
    if (st->cfg->behaviour == BC_SELFISH) {
        st->phase = "selfish";
        bc_mine_restart(node, st);
        return;
    }
    bc_outpoint op;
    bc_out o;
    sim_node_id merchant;
    if (!find_own_output(st, &op, &o) || !find_member(st, st->cfg->merchant, &merchant, sim_of(node)) ||
        o.amount < st->cfg->amount) {
        st->phase = "no coins or no merchant";
        return;
    }
    bc_tx pay = { .signer = st->self, .nonce = st->wallet_nonce++, .nin = 1, .nout = 1 };
    pay.in[0] = op;
    pay.out[0] = (bc_out){ st->cfg->amount, merchant, 0 };
    if (o.amount > st->cfg->amount) pay.out[pay.nout++] = (bc_out){ o.amount - st->cfg->amount, st->self, 0 };
    bc_tx steal = { .signer = st->self, .nonce = st->wallet_nonce++, .nin = 1, .nout = 1 };
    steal.in[0] = op;
    steal.out[0] = (bc_out){ o.amount, st->self, 0 };
    bc_tx_finish(&pay);
    bc_tx_finish(&steal);
    bc_sign(node, &pay.id, &pay.sig);
    bc_sign(node, &steal.id, &steal.sig);
    st->pay = pay;
    st->steal = steal;
    st->phase = "private";
    sim_annotate(node, "attack", "pays the merchant, mines a private branch");
    bc_send_tx(node, st, &pay, SIM_NODE_NONE);
    bc_mine_restart(node, st);
}

/* Confirmations of the payment on the public chain (0: not in it). */
static uint32_t pay_confirmations(const bc_node *st)
{
    for (uint32_t b = st->pub_tip; b != BC_NONE && b != st->fork; b = st->blocks[b].parent)
        for (uint32_t i = 1; i < st->blocks[b].ntx; i++)
            if (!memcmp(st->blocks[b].txs[i].id.b, st->pay.id.b, 32))
                return st->blocks[st->pub_tip].height - st->blocks[b].height + 1;
    return 0;
}

static void stop_attack(sim_node *node, bc_node *st, const char *phase)
{
    st->phase = phase;
    sim_annotate(node, "attack", phase);
    if (strcmp(phase, "published") == 0) bc_chain_adopt(node, st, st->priv_tip, SIM_NODE_NONE);
    bc_chain_adopt(node, st, st->pub_tip, SIM_NODE_NONE);
    bc_mine_restart(node, st);
}

static void double_spend_step(sim_node *node, bc_node *st)
{
    const bc_block *priv = &st->blocks[st->priv_tip], *pub = &st->blocks[st->pub_tip];
    if (priv->chainwork > pub->chainwork && pay_confirmations(st) >= (uint32_t)st->cfg->confirmations) {
        st->published_ns = sim_now_ns(sim_of(node));
        stop_attack(node, st, "published");
    } else if (pub->height >= priv->height + (uint32_t)st->cfg->give_up) {
        stop_attack(node, st, "gave up");
    }
}

/* Sends the private blocks up to height h (in order). */
static void publish_to(sim_node *node, bc_node *st, uint32_t h)
{
    uint32_t path[64], n = 0;
    for (uint32_t b = st->priv_tip; b != BC_NONE && st->blocks[b].height > st->sent_height; b = st->blocks[b].parent)
        if (st->blocks[b].height <= h && n < 64) path[n++] = b;
    while (n-- > 0) bc_send_block(node, st, path[n], SIM_NODE_NONE);
    if (h > st->sent_height) st->sent_height = h;
}

static void selfish_step(sim_node *node, bc_node *st, uint32_t bi, bool own)
{
    uint32_t hp = st->blocks[st->priv_tip].height, hpub = st->blocks[st->pub_tip].height;
    if (own) {
        int64_t lead = (int64_t)hp - hpub;
        st->priv_tip = bi;
        if (lead == 0 && st->race) { publish_to(node, st, hp + 1); st->race = false; }
        bc_mine_restart(node, st);
        return;
    }
    if (st->blocks[bi].chainwork <= st->blocks[st->pub_tip].chainwork) return;
    int64_t lead = (int64_t)hp - hpub;
    st->pub_tip = bi;
    hpub = st->blocks[bi].height;
    if (lead <= 0) {
        st->priv_tip = bi;
        st->sent_height = hpub;
        st->race = false;
        bc_chain_adopt(node, st, bi, SIM_NODE_NONE);
        bc_mine_restart(node, st);
    } else if (lead == 1) {
        publish_to(node, st, hp);
        st->race = true;
    } else if (lead == 2) {
        publish_to(node, st, hp);
        st->race = false;
    } else {
        publish_to(node, st, hpub);
    }
}

void bc_attack_on_block(sim_node *node, bc_node *st, uint32_t bi, sim_node_id from)
{
    bool own = from == SIM_NODE_NONE && st->blocks[bi].miner == st->self;
    if (!st->phase || (strcmp(st->phase, "private") != 0 && strcmp(st->phase, "selfish") != 0)) {
        bc_chain_adopt(node, st, bi, from);
        return;
    }
    if (st->cfg->behaviour == BC_SELFISH) { selfish_step(node, st, bi, own); return; }
    if (own) {
        st->priv_tip = bi;
        bc_mine_restart(node, st);
    } else if (st->blocks[bi].chainwork > st->blocks[st->pub_tip].chainwork) {
        st->pub_tip = bi;
    }
    double_spend_step(node, st);
}

/* The merchant ships once a payment to it is `confirmations` deep. */
void bc_merchant_on_tip(bc_node *st)
{
    uint32_t z = (uint32_t)st->cfg->confirmations;
    if (z == 0 || st->cfg->behaviour != BC_HONEST) return;
    uint32_t b = st->tip;
    for (uint32_t d = 1; d < z && b != BC_NONE; d++) b = st->blocks[b].parent;
    for (uint32_t k = 0; k < 8 && b != BC_NONE && b != 0; k++, b = st->blocks[b].parent)
        for (uint32_t i = 1; i < st->blocks[b].ntx; i++) {
            const bc_tx *tx = &st->blocks[b].txs[i];
            for (uint32_t o = 0; o < tx->nout; o++) {
                if (tx->out[o].owner != st->self || tx->signer == st->self) continue;
                bc_outpoint op = { tx->id, o };
                bool seen = false;
                for (uint32_t s = 0; s < st->nshipped; s++) seen |= !memcmp(&st->shipped[s], &op, sizeof(op));
                if (!seen && st->nshipped < 8) st->shipped[st->nshipped++] = op;
            }
        }
}
