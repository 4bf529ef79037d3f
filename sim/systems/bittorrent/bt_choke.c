/*
 * Choking and piece selection, the two policies that make BitTorrent work.
 *
 * Choking (every rechoke = 10 s): a leecher unchokes the 4 interested peers that
 * uploaded to it fastest in the last windows (tit-for-tat), a seeder the 4 it
 * uploads to fastest; one more, the optimistic unchoke, is drawn at random among
 * the other interested peers every 30 s, so that newcomers with nothing to offer
 * yet get a first piece and may be discovered as good partners. Rates are bytes in
 * a window that halves at each rechoke (an exponential moving average). A
 * free-rider never unchokes anyone; it only gets pieces through others'
 * optimistic unchokes and through seeders, which is why it is slower.
 *
 * Piece selection: finish the pieces in progress first (strict priority), then
 * the rarest piece among the connection's (fewest connected peers have it; ties
 * broken by a hash of piece and peer so that peers spread out), up to 16 pieces
 * in progress. Endgame: when every missing block is requested, ask every unchoked
 * peer that has them, and cancel the duplicates as blocks arrive.
 */
#include "sim/systems/bittorrent/bittorrent.h"

#include <string.h>

void bt_update_interest(sim_node *node, bt_peer *p, bt_conn *c)
{
    bool want = false;
    for (uint32_t i = 0; !p->done && i < p->cfg->npieces && !want; i++)
        want = bt_has(c->bits, i) && !bt_has(p->have, i);
    if (want == c->am_interested) return;
    c->am_interested = want;
    bt_send(node, c->addr, want ? "interested" : "not_interested", NULL, 0, 5);
}

static bool is_active(const bt_peer *p, uint32_t piece)
{
    for (uint32_t a = 0; a < p->nactive; a++)
        if (p->active[a].piece == piece) return true;
    return false;
}

static uint32_t spread(uint32_t piece, sim_node_id self)
{
    uint32_t h = piece * 2654435761u ^ self * 40503u;
    return h ^ (h >> 15);
}

/* The rarest piece c has that we neither have nor fetch; UINT32_MAX if none. */
static uint32_t rarest(const bt_peer *p, const bt_conn *c)
{
    uint32_t best = UINT32_MAX, best_avail = UINT32_MAX, best_tie = 0;
    for (uint32_t i = 0; i < p->cfg->npieces; i++) {
        if (!bt_has(c->bits, i) || bt_has(p->have, i) || is_active(p, i)) continue;
        uint32_t tie = spread(i, p->self);
        if (p->avail[i] < best_avail || (p->avail[i] == best_avail && tie < best_tie)) {
            best = i;
            best_avail = p->avail[i];
            best_tie = tie;
        }
    }
    return best;
}

static void request(sim_node *node, bt_peer *p, bt_conn *c, bt_active *a, uint32_t block)
{
    a->requested |= 1ull << block;
    a->from[block] = c->addr;
    c->inflight++;
    uint32_t w[2] = { a->piece, block };
    bt_send(node, c->addr, "request", w, 2, 17);
}

/* A block of a piece in progress that c has and nobody (endgame: not c) was asked for. */
static bool next_block(sim_node *node, bt_peer *p, bt_conn *c, bool endgame)
{
    for (uint32_t a = 0; a < p->nactive; a++) {
        bt_active *act = &p->active[a];
        if (!bt_has(c->bits, act->piece)) continue;
        if (bt_has(p->suspect, act->piece) && act->single == SIM_NODE_NONE && act->requested == 0)
            act->single = c->addr;                  /* a suspect piece: all from one peer */
        if (act->single != SIM_NODE_NONE && act->single != c->addr) continue;
        uint32_t nb = bt_piece_blocks(p->cfg, act->piece);
        for (uint32_t j = 0; j < nb; j++) {
            if (act->received >> j & 1) continue;
            if (!endgame && (act->requested >> j & 1)) continue;
            if (endgame && act->from[j] == c->addr) continue;
            request(node, p, c, act, j);
            return true;
        }
    }
    return false;
}

static bool all_requested(const bt_peer *p)
{
    if (p->nhave + p->nactive < p->cfg->npieces) return false;
    for (uint32_t a = 0; a < p->nactive; a++) {
        uint32_t nb = bt_piece_blocks(p->cfg, p->active[a].piece);
        if (p->active[a].requested != (nb == 64 ? ~0ull : (1ull << nb) - 1)) return false;
    }
    return true;
}

void bt_request_more(sim_node *node, bt_peer *p, bt_conn *c)
{
    if (c->peer_choking || p->done || p->left) return;
    while (c->inflight < BT_PIPELINE) {
        if (next_block(node, p, c, false)) continue;
        uint32_t piece = p->nactive < BT_ACTIVE ? rarest(p, c) : UINT32_MAX;
        if (piece != UINT32_MAX) {
            bt_active *a = &p->active[p->nactive++];
            memset(a, 0, sizeof(*a));
            a->piece = piece;
            a->single = SIM_NODE_NONE;
            continue;
        }
        p->endgame = all_requested(p);
        if (!p->endgame || !next_block(node, p, c, true)) return;
    }
}

static void set_choke(sim_node *node, bt_conn *c, bool choke)
{
    if (c->am_choking == choke) return;
    c->am_choking = choke;
    bt_send(node, c->addr, choke ? "choke" : "unchoke", NULL, 0, 5);
}

void bt_rechoke(sim_node *node, bt_peer *p)
{
    bool rotate = p->rechokes++ % (uint32_t)(p->cfg->optimistic_ns / p->cfg->rechoke_ns) == 0;
    bt_conn *top[BT_UNCHOKE] = { 0 };
    for (uint32_t i = 0; i < p->nconns; i++) {
        bt_conn *c = &p->conns[i];
        if (!c->peer_interested) continue;
        uint64_t rate = p->done ? c->up_window : c->down_window;
        for (int k = 0; k < BT_UNCHOKE; k++) {
            uint64_t r = top[k] ? (p->done ? top[k]->up_window : top[k]->down_window) : 0;
            if (!top[k] || rate > r) {
                memmove(&top[k + 1], &top[k], (size_t)(BT_UNCHOKE - k - 1) * sizeof(top[0]));
                top[k] = c;
                break;
            }
        }
    }
    bt_conn *opt = NULL;
    uint32_t choices = 0;
    for (uint32_t i = 0; i < p->nconns; i++) {
        bt_conn *c = &p->conns[i];
        bool in_top = false;
        for (int k = 0; k < BT_UNCHOKE; k++) in_top |= top[k] == c;
        if (!rotate && c->optimistic && c->peer_interested && !in_top) opt = c;
        c->optimistic = false;
        if (rotate && c->peer_interested && !in_top && sim_rng_below(sim_self_rng(node), ++choices) == 0) opt = c;
    }
    if (opt) opt->optimistic = true;
    for (uint32_t i = 0; i < p->nconns; i++) {
        bt_conn *c = &p->conns[i];
        bool in_top = false;
        for (int k = 0; k < BT_UNCHOKE; k++) in_top |= top[k] == c;
        set_choke(node, c, p->cfg->behaviour == BT_FREE_RIDER || !(in_top || c->optimistic));
        c->down_window /= 2;
        c->up_window /= 2;
    }
}
