/*
 * The tracker (BEP 3): peers announce started, completed or stopped; the reply to
 * every announce but stopped is a random sample of up to `peers` other peers of the
 * swarm. It knows addresses only, never pieces. O(1) per announce: an array of
 * peers and an index from address to slot (removal swaps the last one in).
 *
 *   announce{event: 0 started | 1 completed | 2 stopped}  ->  peers{addr...}
 */
#include "sim/systems/bittorrent/bittorrent_system.h"

#include <stdlib.h>
#include <string.h>

typedef struct tracker {
    sim_node_id *peers;
    uint32_t npeers, cap;
    uint32_t *slot;                  /* addr -> index + 1 (0: absent) */
    uint32_t nslot;
    uint64_t announces;
} tracker;

static void ensure_slot(tracker *t, sim_node_id addr)
{
    if (addr < t->nslot) return;
    uint32_t n = (addr + 1) * 2;
    t->slot = realloc(t->slot, n * sizeof(uint32_t));
    SIM_ASSERT(t->slot != NULL);
    memset(t->slot + t->nslot, 0, (n - t->nslot) * sizeof(uint32_t));
    t->nslot = n;
}

static void add(tracker *t, sim_node_id addr)
{
    ensure_slot(t, addr);
    if (t->slot[addr]) return;
    if (t->npeers == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->peers = realloc(t->peers, t->cap * sizeof(sim_node_id));
        SIM_ASSERT(t->peers != NULL);
    }
    t->peers[t->npeers++] = addr;
    t->slot[addr] = t->npeers;
}

static void drop(tracker *t, sim_node_id addr)
{
    if (addr >= t->nslot || !t->slot[addr]) return;
    uint32_t i = t->slot[addr] - 1;
    sim_node_id last = t->peers[--t->npeers];
    t->peers[i] = last;
    t->slot[last] = i + 1;
    t->slot[addr] = 0;
}

static void on_receive(sim_node *node, void *state, const sim_msg *msg)
{
    tracker *t = state;
    if (msg->corrupted || msg->from == SIM_NODE_NONE || strcmp(msg->type, "announce") != 0 || msg->body_len != 4)
        return;                                   /* not an announce: dropped */
    uint32_t event;
    memcpy(&event, msg->body, 4);
    t->announces++;
    if (event == 2) {
        drop(t, msg->from);
        return;
    }
    uint32_t want = sim_self_config(node) ? *(const uint32_t *)sim_self_config(node) : 50;
    uint32_t out[256], n = 0;
    uint32_t tries = want * 2;
    for (uint32_t i = 0; t->npeers > 0 && n < want && n + 1 < t->npeers + 1 && i < tries; i++) {
        sim_node_id a = t->peers[sim_rng_below(sim_self_rng(node), t->npeers)];
        bool dup = a == msg->from;
        for (uint32_t j = 0; j < n && !dup; j++) dup = out[j] == a;
        if (!dup) out[n++] = a;
    }
    add(t, msg->from);
    sim_send(node, msg->from, "peers", out, n * sizeof(uint32_t));
}

static void on_stop(sim_node *node, void *state)
{
    tracker *t = state;
    free(t->peers);
    free(t->slot);
}

const sim_program bt_tracker_program = {
    .name = "bittorrent_tracker",
    .state_bytes = sizeof(tracker),
    .receive = on_receive,
    .stop = on_stop,
};


uint32_t bt_tracker_size(const sim *s, sim_node_id id)
{
    const tracker *t = sim_node_state(s, id);
    return t ? t->npeers : 0;
}
