/*
 * Node timers. A timer is a slot (node, incarnation, generation, name, argument,
 * and the sequence number of its queue event) plus that one queue event, which
 * names the slot and the node. Cancelling frees the slot at once; the stale event
 * is recognised by its sequence number and skipped when it comes due (lazy
 * deletion: O(1) cancel, no search of the queue). A crash needs no work at all:
 * the slot's incarnation no longer matches. The generation makes timer ids
 * unique across reuses of a slot, so a stale id never cancels a newer timer.
 *
 * A timer counts down on the node's local clock: with drift +ppm, a delay of d
 * local nanoseconds lasts ceil(d / (1 + ppm/1e6)) true nanoseconds.
 */
#include <stdlib.h>

#include "sim/hugemem.h"
#include "sim/internal.h"

static uint32_t timer_slot_new(sim *s)
{
    if (s->timer_free == POOL_NONE) {
        if (s->timer_cap >= (UINT32_MAX >> 2)) return POOL_NONE;
        uint32_t cap = s->timer_cap ? s->timer_cap * 2 : 1024;
        timer_slot *t = realloc(s->timers, (size_t)cap * sizeof(timer_slot));
        if (!t) return POOL_NONE;
        if (s->huge_tables) sim_advise_huge(t, (size_t)cap * sizeof(timer_slot));
        for (uint32_t i = s->timer_cap; i < cap; i++) {
            t[i] = (timer_slot){ 0 };
            t[i].next_free = i + 1 < cap ? i + 1 : POOL_NONE;
        }
        s->timers = t;
        s->timer_free = s->timer_cap;
        s->timer_cap = cap;
    }
    uint32_t slot = s->timer_free;
    s->timer_free = s->timers[slot].next_free;
    return slot;
}

static void timer_slot_free(sim *s, uint32_t slot)
{
    timer_slot *t = &s->timers[slot];
    t->live = false;
    t->gen = (t->gen + 1) & TIMER_GEN_MASK;
    t->next_free = s->timer_free;
    s->timer_free = slot;
}

static int64_t true_delay(int64_t local_delay_ns, int64_t drift_ppm)
{
    if (drift_ppm == 0) return local_delay_ns;
    __extension__ __int128 num = (__int128)local_delay_ns * 1000000;
    __extension__ __int128 den = 1000000 + drift_ppm;
    __extension__ __int128 q = (num + den - 1) / den;
    return q > SIM_TIME_MAX ? SIM_TIME_MAX : (int64_t)q;
}

uint64_t sim_timer_set(sim_node *node, int64_t delay_ns, const char *name, uint64_t arg)
{
    sim *s = node->s;
    if (delay_ns < 0 || delay_ns > SIM_TIME_MAX || node->status == SIM_NODE_DOWN) return 0;
    int64_t fire_ns = s->now_ns + true_delay(delay_ns, node->drift_ppm);
    if (fire_ns > SIM_TIME_MAX) fire_ns = SIM_TIME_MAX;
    uint32_t slot = timer_slot_new(s);
    if (slot == POOL_NONE) return 0;
    timer_slot *t = &s->timers[slot];
    t->arg = arg;
    t->node = node->id;
    t->incarnation = node->incarnation;
    t->name_id = sim_intern(s, name ? name : "timer");
    t->live = true;
    t->event_seq = s->next_seq;                     /* the seq kernel_push assigns */
    uint64_t index = (uint64_t)slot | ((uint64_t)node->id << 32);
    if (kernel_push(s, fire_ns, EV_MAKE(EV_TIMER, index)) != 0) {
        timer_slot_free(s, slot);
        return 0;
    }
    uint64_t id = ((uint64_t)t->gen << 32) | ((uint64_t)slot + 1);
    sim_record r = trace_record(SIM_REC_TIMER_SET);
    r.node = node->id;
    r.id = id;
    r.name_id = t->name_id;
    r.num1 = fire_ns;
    r.num2 = (int64_t)arg;
    trace_emit(s, &r);
    return id;
}

int sim_timer_cancel(sim_node *node, uint64_t timer_id)
{
    sim *s = node->s;
    uint64_t low = timer_id & 0xffffffffu;
    if (low == 0 || low > s->timer_cap) return SIM_ENOENT;
    uint32_t slot = (uint32_t)(low - 1);
    timer_slot *t = &s->timers[slot];
    if (!t->live || t->gen != (timer_id >> 32) || t->node != node->id ||
        t->incarnation != node->incarnation)
        return SIM_ENOENT;
    sim_record r = trace_record(SIM_REC_TIMER_CANCEL);
    r.node = node->id;
    r.id = timer_id;
    r.name_id = t->name_id;
    timer_slot_free(s, slot);
    trace_emit(s, &r);
    return 0;
}

/* Forgets a timer event without firing it (its node crashed while it was held).
 * A held event is always its slot's live one: a paused node runs no handler, so
 * nothing cancelled it. */
void timer_discard(sim *s, uint64_t payload)
{
    uint32_t slot = (uint32_t)(EV_INDEX(payload) & 0xffffffffu);
    if (slot < s->timer_cap && s->timers[slot].live) timer_slot_free(s, slot);
}

/* Queues a held timer event again, now, with a new sequence number. */
int timer_repush(sim *s, uint64_t payload)
{
    uint32_t slot = (uint32_t)(EV_INDEX(payload) & 0xffffffffu);
    SIM_ASSERT(slot < s->timer_cap && s->timers[slot].live);
    s->timers[slot].event_seq = s->next_seq;
    return kernel_push(s, s->now_ns, payload);
}

void node_dispatch_timer(sim *s, uint64_t payload, uint64_t seq)
{
    uint32_t slot = (uint32_t)(EV_INDEX(payload) & 0xffffffffu);
    SIM_ASSERT(slot < s->timer_cap);
    timer_slot *t = &s->timers[slot];
    if (!t->live || t->event_seq != seq) return;     /* cancelled (the slot may be reused) */
    sim_node *n = node_get(s, t->node);
    SIM_ASSERT(n != NULL && n->id == (sim_node_id)(EV_INDEX(payload) >> 32));
    if (t->incarnation != n->incarnation || n->status == SIM_NODE_DOWN) {
        timer_slot_free(s, slot);                     /* its node crashed since */
        return;
    }
    if (node_hold_if_paused(s, n, payload)) return;
    uint64_t id = ((uint64_t)t->gen << 32) | ((uint64_t)slot + 1);
    uint32_t name_id = t->name_id;
    uint64_t arg = t->arg;
    timer_slot_free(s, slot);
    sim_record r = trace_record(SIM_REC_TIMER);
    r.node = n->id;
    r.id = id;
    r.name_id = name_id;
    r.num1 = (int64_t)arg;
    trace_emit(s, &r);
    if (n->program->timer && n->state)
        n->program->timer(n, n->state, s->intern_text[name_id], arg);
}
