/*
 * The routing table: bucket b holds up to k contacts whose ids share exactly b
 * leading bits with ours (distance in [2^(159-b), 2^(160-b))), the paper's 160
 * k-buckets. Each bucket keeps its contacts least recently seen first; a message
 * from a contact moves it to the tail. A newcomer to a full bucket is not simply
 * dropped nor let in: the least recently seen contact is pinged first and evicted
 * only if it stays silent for an RPC timeout (old contacts that are still up are
 * the most likely to stay up; the paper's section 2.2).
 *
 * Memory: a contact is its 4-byte address (its id is kad_id_of(address)), and only
 * buckets up to the deepest non-empty one are allocated (about log2(N/k) + 4 of
 * them), so a node of a million-node DHT holds about 25 x k x 4 = 2 KB of table.
 * Rejected: 160 fixed buckets of (id, address, last-seen) contacts, 90 KB a node.
 *
 * closest(): the buckets are visited in XOR order without sorting the whole
 * table. With i = common_prefix(self, target): bucket i is nearest; then the
 * buckets j > i where bit j of self^target is 1 (ascending j), then those where it
 * is 0 (descending j), then j < i (descending). Only within a bucket is a sort
 * needed, of at most k contacts.
 */
#include "sim/systems/kademlia/kademlia.h"

#include <stdlib.h>
#include <string.h>

void kad_table_free(kad_state *st)
{
    free(st->slots);
    free(st->buckets);
    st->slots = NULL;
    st->buckets = NULL;
    st->nb = 0;
}

static void grow(kad_state *st, uint32_t nb, int64_t now_ns)
{
    uint32_t old = st->nb;
    uint32_t k = st->cfg->k;
    st->slots = realloc(st->slots, (size_t)nb * k * sizeof(uint32_t));
    st->buckets = realloc(st->buckets, (size_t)nb * sizeof(kad_bucket));
    SIM_ASSERT(st->slots != NULL && st->buckets != NULL);
    memset(st->buckets + st->nb, 0, (nb - st->nb) * sizeof(kad_bucket));
    for (uint32_t b = old; b < nb; b++) st->buckets[b].touched_s = (uint32_t)(now_ns / SIM_NS_PER_S);
    st->nb = nb;
}

static int bucket_of(const kad_state *st, sim_node_id addr)
{
    return kad_common_prefix(st->id, kad_id_of(addr, st->cfg->salt));
}

static int find_in(const kad_state *st, int b, sim_node_id addr)
{
    const uint32_t *s = st->slots + (size_t)b * st->cfg->k;
    for (int i = 0; i < st->buckets[b].count; i++)
        if (s[i] == addr) return i;
    return -1;
}

static void append(kad_state *st, int b, sim_node_id addr)
{
    kad_bucket *bk = &st->buckets[b];
    SIM_ASSERT(bk->count < st->cfg->k);
    st->slots[(size_t)b * st->cfg->k + bk->count++] = addr;
}

static void remove_at(kad_state *st, int b, int i)
{
    uint32_t *s = st->slots + (size_t)b * st->cfg->k;
    kad_bucket *bk = &st->buckets[b];
    memmove(s + i, s + i + 1, (size_t)(bk->count - i - 1) * sizeof(uint32_t));
    bk->count--;
}

void kad_table_seen(sim_node *node, kad_state *st, sim_node_id addr)
{
    if (addr == st->self || addr == SIM_NODE_NONE || kad_banned(st, addr)) return;
    int b = bucket_of(st, addr);
    if (b >= KAD_ID_BITS) return;
    if ((uint32_t)b >= st->nb) grow(st, (uint32_t)b + 1, sim_now_ns(sim_of(node)));
    kad_bucket *bk = &st->buckets[b];
    int i = find_in(st, b, addr);
    if (i >= 0) {                                   /* seen again: to the tail */
        remove_at(st, b, i);
        append(st, b, addr);
        return;
    }
    if (bk->count < st->cfg->k) {
        append(st, b, addr);
        return;
    }
    if (bk->pinging) return;                        /* one eviction test at a time */
    uint32_t oldest = st->slots[(size_t)b * st->cfg->k];
    bk->pinging = 1;
    bk->waiting = addr;
    kad_send(node, st, oldest, KAD_M_PING, 0, st->id, 0, 0);
    uint64_t t = sim_timer_set(node, st->cfg->rpc_timeout_ns, "kad_evict", (uint64_t)b << 32 | oldest);
    SIM_ASSERT(t != 0);
}

/* The ping-before-evict timer: if the pinged contact is still the least recently
 * seen, it did not answer; replace it with the waiting newcomer. */
void kad_table_ping_result(sim_node *node, kad_state *st, sim_node_id addr, bool answered)
{
    int b = bucket_of(st, addr);
    if ((uint32_t)b >= st->nb) return;
    kad_bucket *bk = &st->buckets[b];
    if (!bk->pinging) return;
    bk->pinging = 0;
    uint32_t waiting = bk->waiting;
    if (answered || bk->count == 0 || st->slots[(size_t)b * st->cfg->k] != addr) return;
    remove_at(st, b, 0);
    if (st->cfg->stats) st->cfg->stats->evictions++;
    if (find_in(st, b, waiting) < 0 && !kad_banned(st, waiting)) append(st, b, waiting);
}

void kad_table_remove(kad_state *st, sim_node_id addr)
{
    int b = bucket_of(st, addr);
    if ((uint32_t)b >= st->nb) return;
    int i = find_in(st, b, addr);
    if (i < 0) return;
    remove_at(st, b, i);
    kad_bucket *bk = &st->buckets[b];
    if (bk->pinging && find_in(st, b, bk->waiting) < 0) {   /* room for the newcomer */
        append(st, b, bk->waiting);
        bk->pinging = 0;
    }
}

/* Appends bucket b's contacts to out nearest-first (insertion sort of <= k). */
static uint32_t add_bucket(const kad_state *st, int b, kad_id target, uint32_t *out, uint32_t n,
                           uint32_t max)
{
    const uint32_t *s = st->slots + (size_t)b * st->cfg->k;
    kad_id ids[256];
    uint32_t addrs[256];
    int m = st->buckets[b].count;
    for (int i = 0; i < m; i++) {
        kad_id id = kad_id_of(s[i], st->cfg->salt);
        int j = i;
        while (j > 0 && kad_closer(target, id, ids[j - 1]) < 0) {
            ids[j] = ids[j - 1];
            addrs[j] = addrs[j - 1];
            j--;
        }
        ids[j] = id;
        addrs[j] = s[i];
    }
    for (int i = 0; i < m && n < max; i++) out[n++] = addrs[i];
    return n;
}

static int bit_of(kad_id id, int bit)
{
    return (int)(id.w[bit / 32] >> (31 - bit % 32)) & 1;
}

uint32_t kad_table_closest(const kad_state *st, kad_id target, uint32_t *out, uint32_t max)
{
    int nb = (int)st->nb, i = kad_common_prefix(st->id, target);
    kad_id d = kad_xor(st->id, target);
    uint32_t n = 0;
    if (i < nb) n = add_bucket(st, i, target, out, n, max);
    for (int j = i + 1; j < nb && n < max; j++)
        if (bit_of(d, j)) n = add_bucket(st, j, target, out, n, max);
    for (int j = nb - 1; j > i && n < max; j--)
        if (!bit_of(d, j)) n = add_bucket(st, j, target, out, n, max);
    for (int j = (i < nb ? i : nb) - 1; j >= 0 && n < max; j--) n = add_bucket(st, j, target, out, n, max);
    return n;
}

uint32_t kad_table_size(const kad_state *st)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < st->nb; b++) n += st->buckets[b].count;
    return n;
}

void kad_table_touch(kad_state *st, kad_id target, int64_t now_ns)
{
    int b = kad_common_prefix(st->id, target);
    if (b < (int)st->nb) st->buckets[b].touched_s = (uint32_t)(now_ns / SIM_NS_PER_S);
}
