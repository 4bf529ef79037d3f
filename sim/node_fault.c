/*
 * Starting nodes and the node faults: crash, restart, pause and resume.
 * (The state machine and its invariants are drawn at the top of node.c.)
 */
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

void node_dispatch_start(sim *s, uint64_t payload)
{
    sim_node *n = node_get(s, (sim_node_id)(EV_INDEX(payload) & 0xffffffffu));
    uint32_t incarnation = (uint32_t)(EV_INDEX(payload) >> 32);
    SIM_ASSERT(n != NULL);
    if (n->status == SIM_NODE_DOWN || (n->incarnation & TIMER_GEN_MASK) != incarnation) return;
    if (node_hold_if_paused(s, n, payload)) return;
    SIM_ASSERT(n->state == NULL);
    size_t bytes = n->program->state_bytes ? n->program->state_bytes : 1;
    n->state = calloc(1, bytes);
    SIM_ASSERT(n->state != NULL);
    sim_record r = trace_record(SIM_REC_START);
    r.node = n->id;
    r.name_id = sim_intern(s, n->program->name ? n->program->name : "?");
    r.num1 = n->incarnation > 0;
    trace_emit(s, &r);
    if (n->program->start) n->program->start(n, n->state);
}

bool node_hold_if_paused(sim *s, sim_node *n, uint64_t payload)
{
    if (n->status != SIM_NODE_PAUSED) return false;
    if (n->paused_count == n->paused_cap) {
        uint32_t cap = n->paused_cap ? n->paused_cap * 2 : 8;
        uint64_t *p = realloc(n->paused, cap * sizeof(uint64_t));
        SIM_ASSERT(p != NULL);
        n->paused = p;
        n->paused_cap = cap;
    }
    n->paused[n->paused_count++] = payload;
    return true;
}

static void free_state(sim_node *n)
{
    if (n->state && n->program->stop) n->program->stop(n, n->state);
    free(n->state);
    n->state = NULL;
}

/* Events held during a pause of a node that has now crashed: messages are lost
 * (and say so in the trace), timers and starts are forgotten. */
static void discard_held(sim *s, sim_node *n)
{
    for (uint32_t i = 0; i < n->paused_count; i++) {
        uint64_t p = n->paused[i];
        if (EV_KIND(p) == EV_DELIVER) {
            /* deliver sees the crash and records the drop as "crashed" */
            net_dispatch_deliver(s, p);
        } else if (EV_KIND(p) == EV_TIMER) {
            timer_discard(s, p);
        }
    }
    n->paused_count = 0;
}

int sim_node_crash(sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    if (!n) return SIM_ENOENT;
    if (n->status == SIM_NODE_DOWN) return SIM_ESTATE;
    free_state(n);
    n->status = SIM_NODE_DOWN;
    n->incarnation++;
    /* Strictly above the counter any earlier send recorded (a send's delivery push
     * advanced it), and equal to a later send's: only earlier sends are lost. */
    n->crash_seq = s->next_seq;
    if (n->disk) {
        sim_disk_crash_kind mode = n->disk_crash ? (sim_disk_crash_kind)(n->disk_crash - 1) : s->disk_crash;
        sim_disk_crash(n->disk, mode, sim_stream(s, SIM_STREAM_DISK));
    }
    sim_record r = trace_record(SIM_REC_CRASH);
    r.node = id;
    trace_emit(s, &r);
    discard_held(s, n);
    return 0;
}

int sim_node_restart(sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    if (!n) return SIM_ENOENT;
    if (n->status != SIM_NODE_DOWN) return SIM_ESTATE;
    n->status = SIM_NODE_UP;
    sim_record r = trace_record(SIM_REC_RESTART);
    r.node = id;
    trace_emit(s, &r);
    uint64_t index = (uint64_t)n->id | ((uint64_t)(n->incarnation & TIMER_GEN_MASK) << 32);
    return kernel_push(s, s->now_ns, EV_MAKE(EV_START, index));
}

int sim_node_pause(sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    if (!n) return SIM_ENOENT;
    if (n->status != SIM_NODE_UP) return SIM_ESTATE;
    n->status = SIM_NODE_PAUSED;
    sim_record r = trace_record(SIM_REC_PAUSE);
    r.node = id;
    trace_emit(s, &r);
    return 0;
}

int sim_node_resume(sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    if (!n) return SIM_ENOENT;
    if (n->status != SIM_NODE_PAUSED) return SIM_ESTATE;
    n->status = SIM_NODE_UP;
    sim_record r = trace_record(SIM_REC_RESUME);
    r.node = id;
    r.num1 = n->paused_count;
    trace_emit(s, &r);
    /* Held events run now, in the order they came due. */
    for (uint32_t i = 0; i < n->paused_count; i++) {
        uint64_t p = n->paused[i];
        int rc = EV_KIND(p) == EV_TIMER ? timer_repush(s, p) : kernel_push(s, s->now_ns, p);
        if (rc) return rc;
    }
    n->paused_count = 0;
    return 0;
}

void node_free_all(sim *s)
{
    for (size_t i = 0; i < s->node_count; i++) {
        sim_node *n = node_get(s, (sim_node_id)i);
        free_state(n);
        sim_disk_destroy(n->disk);
        free(n->paused);
    }
    for (size_t c = 0; c < s->node_chunk_cap; c++) free(s->node_chunks[c]);
    free(s->node_chunks);
    strmap_free(&s->node_names);
}

int sim_disk_crash_mode(sim *s, sim_node_id id, sim_disk_crash_kind mode)
{
    if (mode != SIM_DISK_LOSE_UNSYNCED && mode != SIM_DISK_TORN) return SIM_EINVAL;
    if (id == SIM_NODE_NONE) {
        s->disk_crash = mode;
        return 0;
    }
    sim_node *n = node_get(s, id);
    if (!n) return SIM_ENOENT;
    n->disk_crash = (uint8_t)(1 + mode);
    return 0;
}
