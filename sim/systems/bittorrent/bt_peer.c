/*
 * A BitTorrent peer: the wire protocol (BEP 3) over the simulated network.
 *
 *   handshake (torrent, bitfield) <-> handshake (torrent, bitfield)
 *   have(i) | bitfield  -> interested / not_interested
 *   choke / unchoke     (bt_choke.c decides, every 10 s)
 *   request(i, j) -> piece(i, j, data)   only while unchoked; cancel(i, j) in endgame
 *   close               the peer leaves: forget it
 *
 *   peer:  WAITING --arrive--> LEECHING --last piece verified--> SEEDING
 *          SEEDING --behaviour leave (or seed_for elapsed)--> LEFT (silent)
 *   piece: MISSING --first request--> ACTIVE --all blocks, hash ok--> HAVE
 *                                     ACTIVE --hash fails--> MISSING (senders struck)
 *
 * Invariants: (B1) a piece is HAVE only if the SHA-256 of its blocks equals the
 * metainfo's; (B2) avail[i] is the number of connections whose bitfield has i;
 * (B3) an uploader serves only peers it has unchoked. A peer that sends a malformed
 * message or two pieces that fail their hash is dropped and banned.
 */
#include "sim/systems/bittorrent/bittorrent.h"

#include <stdlib.h>
#include <string.h>

uint64_t bt_tag(const bt_config *cfg, uint32_t piece, uint32_t block)
{
    uint64_t z = cfg->torrent ^ ((uint64_t)piece << 20 | block);
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint32_t bt_piece_blocks(const bt_config *cfg, uint32_t piece)
{
    uint64_t start = (uint64_t)piece * cfg->piece_bytes;
    uint64_t len = cfg->file_bytes - start < cfg->piece_bytes ? cfg->file_bytes - start : cfg->piece_bytes;
    return (uint32_t)((len + cfg->block_bytes - 1) / cfg->block_bytes);
}

void bt_piece_hash(const bt_config *cfg, const uint64_t *tags, uint32_t piece, uint8_t out[32])
{
    uint8_t buf[BT_MAX_BLOCKS * 8];
    uint32_t n = bt_piece_blocks(cfg, piece);
    for (uint32_t j = 0; j < n; j++)
        for (int b = 0; b < 8; b++) buf[8 * j + b] = (uint8_t)(tags[j] >> (8 * b));
    sim_sha256(buf, 8 * (size_t)n, out);
}

bool bt_has(const uint8_t *bits, uint32_t piece)
{
    return bits[piece / 8] >> (piece % 8) & 1;
}

void bt_send(sim_node *node, sim_node_id to, const char *type, const uint32_t *w, int n, uint64_t wire_bytes)
{
    sim_send_sized(node, to, type, w, (size_t)n * 4, wire_bytes > (uint64_t)n * 4 ? wire_bytes : (uint64_t)n * 4);
}

bt_conn *bt_conn_find(bt_peer *p, sim_node_id addr)
{
    for (uint32_t i = 0; i < p->nconns; i++)
        if (p->conns[i].addr == addr) return &p->conns[i];
    return NULL;
}

static bool banned(const bt_peer *p, sim_node_id a)
{
    for (uint32_t i = 0; i < p->nbanned && i < 8; i++)
        if (p->banned[i] == a) return true;
    return false;
}

/* Requests to addr will not be answered: back to the pool; a suspect piece that
 * was all addr's starts again from nothing. */
static void release_requests(bt_peer *p, sim_node_id addr)
{
    for (uint32_t a = 0; a < p->nactive; a++) {
        bt_active *act = &p->active[a];
        if (act->single == addr) {
            act->single = SIM_NODE_NONE;
            act->requested = act->received = 0;
            continue;
        }
        for (uint32_t j = 0; j < BT_MAX_BLOCKS; j++)
            if (act->from[j] == addr && !(act->received >> j & 1)) act->requested &= ~(1ull << j);
    }
}

static void close_conn(sim_node *node, bt_peer *p, bt_conn *c, bool tell)
{
    if (tell) bt_send(node, c->addr, "close", NULL, 0, 0);
    for (uint32_t i = 0; i < p->cfg->npieces; i++)
        if (bt_has(c->bits, i)) p->avail[i]--;
    release_requests(p, c->addr);
    free(c->bits);
    *c = p->conns[--p->nconns];
}

/* Drops and bans a peer that sent garbage or bad data (a real client's answer). */
static void penalise(sim_node *node, bt_peer *p, sim_node_id from)
{
    p->garbage++;
    bt_conn *c = bt_conn_find(p, from);
    if (c) close_conn(node, p, c, true);
    if (!banned(p, from)) p->banned[p->nbanned++ % 8] = from;
    sim_log(node, "dropped peer %u: garbage or bad data", (unsigned)from);
}

/* handshake{torrent, reply} followed by our bitfield in the same message: on TCP
 * the bitfield follows the handshake on the same stream, and the simulated network
 * may reorder two separate messages. */
static void send_handshake(sim_node *node, bt_peer *p, sim_node_id to, uint32_t reply)
{
    size_t nb = (p->cfg->npieces + 7) / 8;
    uint8_t *b = malloc(8 + nb);
    SIM_ASSERT(b != NULL);
    uint32_t w[2] = { (uint32_t)p->cfg->torrent, reply };
    memcpy(b, w, 8);
    memcpy(b + 8, p->have, nb);
    sim_send_sized(node, to, "handshake", b, 8 + nb, 68 + 5 + nb);
    free(b);
}

static bt_conn *add_conn(bt_peer *p, sim_node_id addr)
{
    if (p->nconns >= p->cfg->max_conns || addr == p->self || banned(p, addr)) return NULL;
    bt_conn *c = &p->conns[p->nconns++];
    *c = (bt_conn){ .addr = addr, .am_choking = true, .peer_choking = true };
    c->bits = calloc((p->cfg->npieces + 7) / 8, 1);
    SIM_ASSERT(c->bits != NULL);
    return c;
}

static void on_bitfield(sim_node *node, bt_peer *p, bt_conn *c, const uint8_t *bits);

static void on_handshake(sim_node *node, bt_peer *p, const sim_msg *m, const uint32_t *w)
{
    if (m->body_len != 8 + (p->cfg->npieces + 7) / 8 || w[0] != (uint32_t)p->cfg->torrent)
        return penalise(node, p, m->from);
    if (bt_conn_find(p, m->from)) return;
    bt_conn *c = add_conn(p, m->from);
    if (!c) return;                                 /* full: no answer, as a refused connection */
    if (w[1] == 0) send_handshake(node, p, m->from, 1);
    on_bitfield(node, p, c, m->body + 8);
}

static void on_peers(sim_node *node, bt_peer *p, const sim_msg *m)
{
    size_t n = m->body_len / 4;
    for (size_t i = 0; i < n && p->nconns < p->cfg->max_conns; i++) {
        uint32_t a;
        memcpy(&a, m->body + 4 * i, 4);
        if (a == p->self || bt_conn_find(p, a) || banned(p, a)) continue;
        send_handshake(node, p, a, 0);
    }
}

static void learn_piece(sim_node *node, bt_peer *p, bt_conn *c, uint32_t piece)
{
    if (bt_has(c->bits, piece)) return;
    c->bits[piece / 8] |= (uint8_t)(1u << (piece % 8));
    c->pieces++;
    p->avail[piece]++;
}

static void on_bitfield(sim_node *node, bt_peer *p, bt_conn *c, const uint8_t *bits)
{
    for (uint32_t i = 0; i < p->cfg->npieces; i++)
        if (bits[i / 8] >> (i % 8) & 1) learn_piece(node, p, c, i);
    bt_update_interest(node, p, c);
}

/* ---- the uplink: one block at a time at upload bytes/s ---- */

static void uplink_next(sim_node *node, bt_peer *p)
{
    while (p->qlen > 0) {
        bt_upload u = p->queue[p->qhead];
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
        bt_conn *c = bt_conn_find(p, u.to);
        if (!c || c->am_choking) continue;          /* choked since: the request is void */
        uint64_t tag = bt_tag(p->cfg, u.piece, u.block);
        if (p->cfg->behaviour == BT_CORRUPT) tag = ~tag;
        uint32_t w[4] = { u.piece, u.block, (uint32_t)tag, (uint32_t)(tag >> 32) };
        bt_send(node, u.to, "piece", w, 4, p->cfg->block_bytes + 13);
        c->up_window += p->cfg->block_bytes;
        p->uploaded += p->cfg->block_bytes;
        p->uploading = true;
        int64_t ns = (int64_t)(p->cfg->block_bytes * (uint64_t)SIM_NS_PER_S / p->cfg->upload_bps);
        uint64_t t = sim_timer_set(node, ns > 0 ? ns : 1, "upload", 0);
        SIM_ASSERT(t != 0);
        return;
    }
    p->uploading = false;
}

static void on_request(sim_node *node, bt_peer *p, bt_conn *c, const uint32_t *w)
{
    if (w[0] >= p->cfg->npieces || w[1] >= bt_piece_blocks(p->cfg, w[0])) return penalise(node, p, c->addr);
    if (c->am_choking || !bt_has(p->have, w[0]) || p->cfg->behaviour == BT_FREE_RIDER) return;
    if (p->qlen == p->qcap) {
        uint32_t cap = p->qcap ? p->qcap * 2 : 16;
        bt_upload *q = malloc(cap * sizeof(bt_upload));
        SIM_ASSERT(q != NULL);
        for (uint32_t i = 0; i < p->qlen; i++) q[i] = p->queue[(p->qhead + i) % p->qcap];
        free(p->queue);
        p->queue = q;
        p->qhead = 0;
        p->qcap = cap;
    }
    p->queue[(p->qhead + p->qlen++) % p->qcap] = (bt_upload){ c->addr, w[0], w[1] };
    if (!p->uploading) uplink_next(node, p);
}

static void on_cancel(bt_peer *p, bt_conn *c, const uint32_t *w)
{
    for (uint32_t i = 0; i < p->qlen; i++) {
        bt_upload *u = &p->queue[(p->qhead + i) % p->qcap];
        if (u->to == c->addr && u->piece == w[0] && u->block == w[1]) u->to = SIM_NODE_NONE;
    }
}

/* ---- downloading ---- */

static void leave(sim_node *node, bt_peer *p)
{
    uint32_t ev = 2;
    if (p->tracker != SIM_NODE_NONE) sim_send(node, p->tracker, "announce", &ev, 4);
    while (p->nconns > 0) close_conn(node, p, &p->conns[0], true);
    p->left = true;
    sim_annotate(node, "bt", "left");
}

static void completed(sim_node *node, bt_peer *p)
{
    p->done = true;
    p->done_ns = sim_now_ns(sim_of(node));
    sim_annotate(node, "bt", "seeding");
    uint32_t ev = 1;
    if (p->tracker != SIM_NODE_NONE) sim_send(node, p->tracker, "announce", &ev, 4);
    if (p->cfg->behaviour == BT_LEAVE) leave(node, p);
    else if (p->cfg->seed_for_ns > 0) sim_timer_set(node, p->cfg->seed_for_ns, "leave", 0);
}

/* A piece's last block arrived: verify it (B1), then have, or discard and strike. */
static void verify(sim_node *node, bt_peer *p, uint32_t a)
{
    bt_active act = p->active[a];
    p->active[a] = p->active[--p->nactive];
    uint8_t h[32];
    bt_piece_hash(p->cfg, act.tags, act.piece, h);
    if (memcmp(h, p->cfg->hashes + 32 * (size_t)act.piece, 32) != 0) {
        p->hash_failures++;
        bool one = true;                            /* who sent the bad block? */
        for (uint32_t j = 1; j < bt_piece_blocks(p->cfg, act.piece); j++) one &= act.from[j] == act.from[0];
        bt_conn *c = one ? bt_conn_find(p, act.from[0]) : NULL;
        if (!one) p->suspect[act.piece / 8] |= (uint8_t)(1u << (act.piece % 8));   /* refetch from one */
        else if (c && ++c->strikes >= 2) penalise(node, p, act.from[0]);
        return;                                     /* MISSING again: refetched */
    }
    p->have[act.piece / 8] |= (uint8_t)(1u << (act.piece % 8));
    p->nhave++;
    for (uint32_t i = 0; i < p->nconns; i++) {
        uint32_t w = act.piece;
        bt_send(node, p->conns[i].addr, "have", &w, 1, 9);
    }
    if (p->nhave == p->cfg->npieces) completed(node, p);
}

static void on_piece(sim_node *node, bt_peer *p, bt_conn *c, const sim_msg *m, const uint32_t *w)
{
    uint64_t tag = (uint64_t)w[2] | (uint64_t)w[3] << 32;
    if (m->corrupted) tag ^= 1;                     /* damaged in flight: the hash will tell */
    if (c->inflight) c->inflight--;
    c->down_window += p->cfg->block_bytes;
    p->downloaded += p->cfg->block_bytes;
    for (uint32_t a = 0; a < p->nactive; a++) {
        bt_active *act = &p->active[a];
        if (act->piece != w[0] || w[1] >= BT_MAX_BLOCKS || (act->received >> w[1] & 1)) continue;
        act->received |= 1ull << w[1];
        act->tags[w[1]] = tag;
        act->from[w[1]] = c->addr;
        if (p->endgame)                             /* others asked for it too: cancel */
            for (uint32_t i = 0; i < p->nconns; i++)
                if (p->conns[i].addr != c->addr && bt_has(p->conns[i].bits, w[0]) && p->conns[i].inflight) {
                    bt_send(node, p->conns[i].addr, "cancel", w, 2, 17);
                    p->conns[i].inflight--;         /* it will not come */
                }
        uint32_t nb = bt_piece_blocks(p->cfg, w[0]);
        if (act->received == (nb == 64 ? ~0ull : (1ull << nb) - 1)) verify(node, p, a);
        break;
    }
    if (p->left) return;
    for (uint32_t i = 0; i < p->nconns; i++) bt_update_interest(node, p, &p->conns[i]);
    c = bt_conn_find(p, m->from);
    if (c) bt_request_more(node, p, c);
}

/* ---- dispatch ---- */

static bool sized(const sim_msg *m, size_t words)
{
    return m->body_len == words * 4;
}

static void dispatch(sim_node *node, bt_peer *p, bt_conn *c, const sim_msg *m, const uint32_t *w)
{
    const char *t = m->type;
    if (strcmp(t, "have") == 0 && sized(m, 1) && w[0] < p->cfg->npieces) {
        learn_piece(node, p, c, w[0]);
        bt_update_interest(node, p, c);
    } else if (strcmp(t, "interested") == 0 && sized(m, 0)) c->peer_interested = true;
    else if (strcmp(t, "not_interested") == 0 && sized(m, 0)) c->peer_interested = false;
    else if (strcmp(t, "choke") == 0 && sized(m, 0)) {
        c->peer_choking = true;
        c->inflight = 0;
        release_requests(p, c->addr);              /* requests to it are void */
    } else if (strcmp(t, "unchoke") == 0 && sized(m, 0)) {
        c->peer_choking = false;
        bt_request_more(node, p, c);
    } else if (strcmp(t, "request") == 0 && sized(m, 2)) on_request(node, p, c, w);
    else if (strcmp(t, "cancel") == 0 && sized(m, 2)) on_cancel(p, c, w);
    else if (strcmp(t, "piece") == 0 && sized(m, 4) && w[0] < p->cfg->npieces) on_piece(node, p, c, m, w);
    else if (strcmp(t, "close") == 0) close_conn(node, p, c, false);
    else penalise(node, p, m->from);                /* unknown or malformed */
}

static void on_receive(sim_node *node, void *state, const sim_msg *m)
{
    bt_peer *p = state;
    if (p->left || m->from == SIM_NODE_NONE || banned(p, m->from)) return;
    if (p->kad.cfg && kad_receive(node, &p->kad, m)) return;   /* the DHT's messages */
    if (!p->arrived) return;
    uint32_t w[8] = { 0 };
    memcpy(w, m->body, m->body_len < sizeof w ? m->body_len : sizeof w);
    if (strcmp(m->type, "peers") == 0 && m->from == p->tracker) return on_peers(node, p, m);
    if (m->corrupted && strcmp(m->type, "piece") != 0) return;   /* a checksum would reject it */
    if (strcmp(m->type, "handshake") == 0) {
        on_handshake(node, p, m, w);
        return;
    }
    bt_conn *c = bt_conn_find(p, m->from);
    if (!c) return;                                 /* no connection: ignore */
    dispatch(node, p, c, m, w);
}

/* Trackerless (BEP 5): get_peers(infohash) finds the swarm, announce_peer joins it. */
static kad_id infohash(const bt_config *cfg)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(cfg->torrent >> (8 * i));
    return kad_id_hash(b, sizeof b);
}

static void dht_found(sim_node *node, kad_state *k, const kad_lookup *l)
{
    bt_peer *p = (bt_peer *)k;                      /* kad is bt_peer's first member */
    for (uint32_t i = 0; i < l->nvalues && p->nconns < p->cfg->max_conns && !p->left; i++) {
        sim_node_id a = (sim_node_id)l->values[i];
        if (a != p->self && !bt_conn_find(p, a) && !banned(p, a)) send_handshake(node, p, a, 0);
    }
}

static void announce(sim_node *node, bt_peer *p, uint32_t event)
{
    if (p->tracker != SIM_NODE_NONE) {
        sim_send(node, p->tracker, "announce", &event, 4);
        return;
    }
    if (!p->cfg->dht[0] || !p->kad.joined) return;
    kad_lookup *l = kad_lookup_start(node, &p->kad, KAD_GET_PEERS, infohash(p->cfg), dht_found, 0);
    kad_lookup_go(node, &p->kad, l);
    kad_publish(node, &p->kad, infohash(p->cfg), p->self);
}

static void dht_start(sim_node *node, bt_peer *p)
{
    sim_node_id boot;
    if (sim_node_find(sim_of(node), p->cfg->dht, &boot) != 0) {
        sim_log(node, "no DHT bootstrap node named '%s'", p->cfg->dht);
        return;
    }
    p->kad_cfg = (kad_config){ .k = 8, .alpha = 3, .rpc_timeout_ns = SIM_NS_PER_S, .refresh_ns = 3600 * SIM_NS_PER_S,
                               .ttl_ns = 1800 * SIM_NS_PER_S, .republish_ns = 1800 * SIM_NS_PER_S,
                               .bootstrap = boot, .salt = p->cfg->torrent ^ 0x62740000u };
    kad_start(node, &p->kad, &p->kad_cfg);
}

static void on_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    bt_peer *p = state;
    if (p->left) return;
    if (p->kad.cfg && kad_timer(node, &p->kad, name, arg)) return;
    if (strcmp(name, "arrive") == 0) {
        if (p->cfg->dht[0]) dht_start(node, p);
        p->arrived = true;
        p->arrived_ns = sim_now_ns(sim_of(node));
        sim_annotate(node, "bt", p->done ? "seeding" : "leeching");
        announce(node, p, 0);
        sim_timer_set(node, p->cfg->rechoke_ns, "rechoke", 0);
        sim_timer_set(node, p->tracker == SIM_NODE_NONE ? 2 * SIM_NS_PER_S : 60 * SIM_NS_PER_S, "announce", 0);
        if (p->cfg->seed && p->cfg->seed_for_ns > 0) sim_timer_set(node, p->cfg->seed_for_ns, "leave", 0);
    } else if (strcmp(name, "rechoke") == 0) {
        bt_rechoke(node, p);
        sim_timer_set(node, p->cfg->rechoke_ns, "rechoke", 0);
    } else if (strcmp(name, "upload") == 0) uplink_next(node, p);
    else if (strcmp(name, "announce") == 0) {
        if (p->nconns < p->cfg->max_conns / 2 || p->tracker == SIM_NODE_NONE) announce(node, p, 0);
        sim_timer_set(node, p->tracker == SIM_NODE_NONE ? p->cfg->dht_every_ns : 60 * SIM_NS_PER_S, "announce", 0);
    } else if (strcmp(name, "leave") == 0) leave(node, p);
}

static void on_start(sim_node *node, void *state)
{
    bt_peer *p = state;
    const bt_config *cfg = sim_self_config(node);
    p->cfg = cfg;
    p->self = sim_self(node);
    p->tracker = SIM_NODE_NONE;
    if (cfg->tracker[0] && sim_node_find(sim_of(node), cfg->tracker, &p->tracker) != 0) {
        p->tracker = SIM_NODE_NONE;
        sim_log(node, "no tracker node named '%s'", cfg->tracker);
    }
    p->have = calloc((cfg->npieces + 7) / 8, 1);
    p->suspect = calloc((cfg->npieces + 7) / 8, 1);
    p->avail = calloc(cfg->npieces, sizeof(uint16_t));
    p->conns = calloc(cfg->max_conns, sizeof(bt_conn));
    SIM_ASSERT(p->have && p->suspect && p->avail && p->conns);
    if (cfg->seed) {
        for (uint32_t i = 0; i < cfg->npieces; i++) p->have[i / 8] |= (uint8_t)(1u << (i % 8));
        p->nhave = cfg->npieces;
        p->done = true;
    }
    int64_t at = cfg->arrive_over_ns > 0 && !cfg->seed ? sim_rng_range(sim_self_rng(node), 0, cfg->arrive_over_ns) : 0;
    sim_timer_set(node, at, "arrive", 0);
}

static void on_stop(sim_node *node, void *state)
{
    bt_peer *p = state;
    if (p->kad.cfg) kad_stop(&p->kad);
    for (uint32_t i = 0; p->conns && i < p->nconns; i++) free(p->conns[i].bits);
    free(p->conns);
    free(p->have);
    free(p->suspect);
    free(p->avail);
    free(p->queue);
}

const sim_program bt_peer_program = {
    .name = "bittorrent",
    .state_bytes = sizeof(bt_peer),
    .start = on_start,
    .receive = on_receive,
    .timer = on_timer,
    .stop = on_stop,
};
