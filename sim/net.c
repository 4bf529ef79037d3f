/*
 * The virtual network: sending, delivering, and the per-link faults.
 *
 * A send is decided at once, with the sender's own network stream, in a fixed
 * order: (1) a partition or one-way cut drops it; (2) loss drops it; (3)
 * corruption flips one bit of the body and marks the message; (4) the arrival
 * time is now (+ the link's queueing delay when it has a bandwidth) + a latency
 * draw, so messages reorder whenever the latency varies; (5) duplication sends an
 * independent copy with its own latency draw. A probability of 0 draws nothing.
 * At arrival the message is dropped if its destination is down, crashed since
 * the send, or now cut off by a partition; held if the destination is paused;
 * otherwise delivered.
 *
 * Memory: a message is a slot in a pool (free list); bodies up to
 * INLINE_BODY_BYTES live in the slot, larger ones come from power-of-two free
 * lists (64 B .. 8 KiB) and only bigger ones from malloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

const uint8_t *msg_body(const msg_slot *m)
{
    return m->len <= INLINE_BODY_BYTES ? m->inline_body : m->heap_body;
}

static int body_class(size_t len)
{
    int c = 0;
    for (size_t cap = 64; cap < len; cap <<= 1) c++;
    return c;
}

static uint8_t *body_alloc(sim *s, size_t len)
{
    int c = body_class(len);
    if (c >= BODY_CLASSES) return malloc(len);
    void *p = s->body_free[c];
    if (p) {
        memcpy(&s->body_free[c], p, sizeof(void *));
        return p;
    }
    return malloc((size_t)64 << c);
}

static void body_release(sim *s, uint8_t *p, size_t len)
{
    int c = body_class(len);
    if (c >= BODY_CLASSES) {
        free(p);
        return;
    }
    memcpy(p, &s->body_free[c], sizeof(void *));
    s->body_free[c] = p;
}

static uint32_t msg_new(sim *s, const void *body, size_t len)
{
    if (s->msg_free == POOL_NONE) {
        if (s->msg_cap >= (UINT32_MAX >> 2)) return POOL_NONE;
        uint32_t cap = s->msg_cap ? s->msg_cap * 2 : 1024;
        msg_slot *m = realloc(s->msgs, (size_t)cap * sizeof(msg_slot));
        if (!m) return POOL_NONE;
        for (uint32_t i = s->msg_cap; i < cap; i++) m[i].next_free = i + 1 < cap ? i + 1 : POOL_NONE;
        s->msgs = m;
        s->msg_free = s->msg_cap;
        s->msg_cap = cap;
    }
    uint32_t slot = s->msg_free;
    msg_slot *m = &s->msgs[slot];
    uint8_t *dst = m->inline_body;
    if (len > INLINE_BODY_BYTES) {
        dst = body_alloc(s, len);
        if (!dst) return POOL_NONE;
        m->heap_body = dst;
        s->msg_body_bytes += len;
    }
    s->msg_free = m->next_free;
    if (len) memcpy(dst, body, len);
    m->len = (uint32_t)len;
    m->flags = 0;
    m->next_free = POOL_NONE;
    return slot;
}

void msg_release(sim *s, uint32_t slot)
{
    msg_slot *m = &s->msgs[slot];
    if (m->len > INLINE_BODY_BYTES) {
        body_release(s, m->heap_body, m->len);
        s->msg_body_bytes -= m->len;
    }
    m->heap_body = NULL;
    m->next_free = s->msg_free;
    s->msg_free = slot;
}

size_t sim_memory_in_flight(const sim *s)
{
    return s->msg_body_bytes + (size_t)s->msg_cap * sizeof(msg_slot) + (size_t)s->timer_cap * sizeof(timer_slot) +
           sim_pending(s) * 2 * sizeof(uint64_t);
}

void net_free_all(sim *s)
{
    sim_event ev;
    while (sim_queue_pop(s->queue, &ev)) {
        if (EV_KIND(ev.payload) == EV_DELIVER) msg_release(s, (uint32_t)EV_INDEX(ev.payload));
    }
    for (size_t i = 0; i < s->node_count; i++) {
        sim_node *n = node_get(s, (sim_node_id)i);
        for (uint32_t j = 0; j < n->paused_count; j++)
            if (EV_KIND(n->paused[j]) == EV_DELIVER) msg_release(s, (uint32_t)EV_INDEX(n->paused[j]));
        n->paused_count = 0;
    }
    free(s->msgs);
    for (int c = 0; c < BODY_CLASSES; c++) {
        while (s->body_free[c]) {
            void *p = s->body_free[c];
            memcpy(&s->body_free[c], p, sizeof(void *));
            free(p);
        }
    }
    u64map_destroy(s->links);
    free(s->link_entries);
}

/* ---- links: policies, cuts, bandwidth queues ---- */

link_entry *link_find(const sim *s, sim_node_id from, sim_node_id to)
{
    uint32_t idx;
    if (s->link_count == 0) return NULL;
    if (!u64map_get(s->links, ((uint64_t)from << 32) | to, &idx)) return NULL;
    return &s->link_entries[idx];
}

link_entry *link_get(sim *s, sim_node_id from, sim_node_id to)
{
    link_entry *e = link_find(s, from, to);
    if (e) return e;
    if (s->link_count == s->link_cap) {
        size_t cap = s->link_cap ? s->link_cap * 2 : 64;
        link_entry *l = realloc(s->link_entries, cap * sizeof(link_entry));
        if (!l) return NULL;
        s->link_entries = l;
        s->link_cap = cap;
    }
    if (u64map_put(s->links, ((uint64_t)from << 32) | to, (uint32_t)s->link_count) != 0) return NULL;
    e = &s->link_entries[s->link_count++];
    memset(e, 0, sizeof(*e));
    return e;
}

/* NULL when connected, else the drop reason. */
static const char *blocked(const sim *s, sim_node_id from, sim_node_id to)
{
    if (from == SIM_NODE_NONE || to == SIM_NODE_NONE) return NULL;
    if (s->partitioned) {
        uint32_t gf = node_get(s, from)->group, gt = node_get(s, to)->group;
        if (gf && gt && gf != gt) return "partition";
    }
    const link_entry *e = link_find(s, from, to);
    if (e && e->cut) return "cut";
    return NULL;
}

bool sim_net_connected(const sim *s, sim_node_id from, sim_node_id to)
{
    return blocked(s, from, to) == NULL;
}

/* ---- send ---- */

static void emit_msg_record(sim *s, sim_record_kind kind, const msg_slot *m, const char *reason,
                            int64_t num1)
{
    sim_record r = trace_record(kind);
    bool at_receiver = kind == SIM_REC_DELIVER || kind == SIM_REC_DROP;
    r.node = at_receiver ? m->to : m->from;
    r.peer = at_receiver ? m->from : m->to;
    r.id = m->id;
    r.name_id = m->type_id;
    r.detail = reason;
    r.body = msg_body(m);
    r.body_len = m->len;
    r.num1 = num1;
    r.num2 = (int64_t)m->size_bytes;
    r.flags = m->flags;
    trace_emit(s, &r);
}

static int64_t departure(sim *s, link_entry *queue, const sim_link_policy *p, uint64_t size)
{
    if (!p->bandwidth_bytes_per_s || !queue) return s->now_ns;
    __extension__ unsigned __int128 tx = (unsigned __int128)size * SIM_NS_PER_S;
    __extension__ unsigned __int128 q = (tx + p->bandwidth_bytes_per_s - 1) / p->bandwidth_bytes_per_s;
    int64_t tx_ns = q > SIM_TIME_MAX ? SIM_TIME_MAX : (int64_t)q;
    int64_t start = queue->busy_until_ns > s->now_ns ? queue->busy_until_ns : s->now_ns;
    queue->busy_until_ns = tx_ns >= SIM_TIME_MAX - start ? SIM_TIME_MAX : start + tx_ns;
    return queue->busy_until_ns;
}

static int64_t arrival(sim *s, sim_node *sender, sim_node_id to, const sim_link_policy *p,
                       uint64_t size)
{
    link_entry *queue = p->bandwidth_bytes_per_s ? link_get(s, sender->id, to) : NULL;
    int64_t t = departure(s, queue, p, size);
    int64_t latency = p->latency.kind == SIM_DIST_CONSTANT ? p->latency.a_ns
                                                         : sim_dist_draw(&p->latency, &sender->net_rng);
    /* Clamped before the sum: any distribution may draw up to INT64_MAX (an
     * uncapped Pareto does), and now + that would overflow. */
    return latency >= SIM_TIME_MAX - t ? SIM_TIME_MAX : t + latency;
}

static void corrupt_body(sim *s, uint32_t slot, sim_rng *rng)
{
    msg_slot *m = &s->msgs[slot];
    m->flags |= SIM_FLAG_CORRUPTED;
    int64_t byte = -1;
    if (m->len) {
        byte = (int64_t)sim_rng_below(rng, m->len);
        uint8_t *b = (uint8_t *)msg_body(m);
        b[byte] ^= (uint8_t)(1u << sim_rng_below(rng, 8));
    }
    emit_msg_record(s, SIM_REC_CORRUPT, m, NULL, byte);
}

static void duplicate(sim *s, sim_node *sender, uint32_t slot, const sim_link_policy *p)
{
    msg_slot *orig = &s->msgs[slot];
    uint32_t copy = msg_new(s, msg_body(orig), orig->len);
    if (copy == POOL_NONE) return;
    orig = &s->msgs[slot];                  /* the pool may have moved */
    msg_slot *m = &s->msgs[copy];
    uint32_t len = m->len;
    uint8_t *heap = m->heap_body;
    *m = *orig;
    m->len = len;
    m->heap_body = heap;
    if (len <= INLINE_BODY_BYTES) memcpy(m->inline_body, orig->inline_body, len);
    m->flags |= SIM_FLAG_DUPLICATE;
    m->next_free = POOL_NONE;
    int64_t at = arrival(s, sender, m->to, p, m->size_bytes);
    emit_msg_record(s, SIM_REC_DUPLICATE, m, NULL, at);
    if (kernel_push(s, at, EV_MAKE(EV_DELIVER, copy)) != 0) msg_release(s, copy);
}

static const sim_link_policy *policy_for(const sim *s, sim_node_id from, sim_node_id to)
{
    const link_entry *e = link_find(s, from, to);
    return (e && e->has_policy) ? &e->policy : &s->net_default;
}

int sim_send_sized(sim_node *node, sim_node_id to, const char *type, const void *body,
                   size_t len, uint64_t size_bytes)
{
    sim *s = node->s;
    if (to >= s->node_count || (len && !body) || len > UINT32_MAX / 2) return SIM_EINVAL;
    if (node->status != SIM_NODE_UP) return SIM_ESTATE;
    if (size_bytes < len) size_bytes = len;
    uint32_t slot = msg_new(s, body, len);
    if (slot == POOL_NONE) return SIM_ENOMEM;
    msg_slot *m = &s->msgs[slot];
    m->id = ++s->next_msg_id;
    m->sent_ns = s->now_ns;
    m->size_bytes = size_bytes;
    m->from = node->id;
    m->to = to;
    m->type_id = sim_intern(s, type ? type : "msg");
    m->sent_seq = s->next_seq;         /* not the destination's state: no cache miss */
    const sim_link_policy *p = policy_for(s, node->id, to);
    const char *reason = blocked(s, node->id, to);
    if (!reason && p->loss && sim_rng_chance(&node->net_rng, p->loss)) reason = "loss";
    if (reason) {
        emit_msg_record(s, SIM_REC_SEND, m, NULL, -1);
        emit_msg_record(s, SIM_REC_DROP, m, reason, m->sent_ns);
        msg_release(s, slot);
        return 0;
    }
    int64_t at = arrival(s, node, to, p, size_bytes);
    emit_msg_record(s, SIM_REC_SEND, m, NULL, at);
    if (p->corrupt && sim_rng_chance(&node->net_rng, p->corrupt)) corrupt_body(s, slot, &node->net_rng);
    int rc = kernel_push(s, at, EV_MAKE(EV_DELIVER, slot));
    if (rc) {
        msg_release(s, slot);
        return rc;
    }
    if (p->duplicate && sim_rng_chance(&node->net_rng, p->duplicate)) duplicate(s, node, slot, p);
    return 0;
}

int sim_send(sim_node *node, sim_node_id to, const char *type, const void *body, size_t len)
{
    return sim_send_sized(node, to, type, body, len, len);
}

int sim_inject(sim *s, sim_node_id to, const char *type, const void *body, size_t len)
{
    if (to >= s->node_count || (len && !body) || len > UINT32_MAX / 2) return SIM_EINVAL;
    uint32_t slot = msg_new(s, body, len);
    if (slot == POOL_NONE) return SIM_ENOMEM;
    msg_slot *m = &s->msgs[slot];
    m->id = ++s->next_msg_id;
    m->sent_ns = s->now_ns;
    m->size_bytes = len;
    m->from = SIM_NODE_NONE;
    m->to = to;
    m->type_id = sim_intern(s, type ? type : "msg");
    m->sent_seq = s->next_seq;
    emit_msg_record(s, SIM_REC_SEND, m, NULL, s->now_ns);
    int rc = kernel_push(s, s->now_ns, EV_MAKE(EV_DELIVER, slot));
    if (rc) msg_release(s, slot);
    return rc;
}

/* ---- delivery ---- */

void net_dispatch_deliver(sim *s, uint64_t payload)
{
    uint32_t slot = (uint32_t)EV_INDEX(payload);
    SIM_ASSERT(slot < s->msg_cap);
    msg_slot *m = &s->msgs[slot];
    sim_node *n = node_get(s, m->to);
    SIM_ASSERT(n != NULL);
    const char *reason = NULL;
    if (n->crash_seq > m->sent_seq) reason = "crashed";             /* sent before a crash */
    else if (n->status == SIM_NODE_DOWN) reason = "node-down";      /* sent while it was down */
    else reason = blocked(s, m->from, m->to);
    if (reason) {
        emit_msg_record(s, SIM_REC_DROP, m, reason, m->sent_ns);
        msg_release(s, slot);
        return;
    }
    if (node_hold_if_paused(s, n, payload)) return;
    emit_msg_record(s, SIM_REC_DELIVER, m, NULL, m->sent_ns);
    if (n->program->receive && n->state) {
        /* The handler may send, which may move the pool: an inline body is copied
         * out first; a heap body stays where it is until msg_release. */
        uint8_t inline_copy[INLINE_BODY_BYTES];
        const uint8_t *body = msg_body(m);
        if (m->len <= INLINE_BODY_BYTES) body = memcpy(inline_copy, m->inline_body, m->len);
        sim_msg msg = {
            .id = m->id, .from = m->from, .to = m->to, .type = s->intern_text[m->type_id],
            .body = body, .body_len = m->len, .size_bytes = m->size_bytes,
            .sent_ns = m->sent_ns, .corrupted = (m->flags & SIM_FLAG_CORRUPTED) != 0,
            .duplicate = (m->flags & SIM_FLAG_DUPLICATE) != 0,
        };
        n->program->receive(n, n->state, &msg);
    }
    msg_release(s, slot);
}
