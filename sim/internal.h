/*
 * The kernel's private structures, shared by the files of sim/ that implement
 * sim.h (kernel.c: run loop and events; node.c: nodes, timers, node faults;
 * net.c: the network; trace.c: records and hash; history.c; intern.c).
 * Nothing outside sim/ includes this file.
 *
 * Memory: the hot path allocates nothing per event. Messages and timers live in
 * slot pools with free lists; small message bodies sit inside their slot and
 * larger ones come from per-size-class free lists; nodes live in fixed chunks so
 * that a sim_node pointer stays valid while more nodes are added.
 */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include "sim/queue.h"
#include "sim/sim.h"
#include "sim/strmap.h"
#include "sim/trace.h"
#include "sim/userfn.h"

/* Event payload: kind in the top 3 bits, the rest an index: a message slot; a
 * timer slot in the low 32 bits and its node below bit 61 (so the node can be
 * prefetched before the slot is read); a call slot; a node and incarnation. */
enum event_kind { EV_DELIVER = 1, EV_TIMER = 2, EV_CALL = 3, EV_START = 4 };
#define EV_KIND_SHIFT 61
#define EV_INDEX_MASK ((UINT64_C(1) << EV_KIND_SHIFT) - 1)
#define EV_MAKE(kind, index) (((uint64_t)(kind) << EV_KIND_SHIFT) | (uint64_t)(index))
#define EV_KIND(payload) ((enum event_kind)((payload) >> EV_KIND_SHIFT))
#define EV_INDEX(payload) ((payload) & EV_INDEX_MASK)

#define NODE_CHUNK_BITS 14
#define NODE_CHUNK (1u << NODE_CHUNK_BITS)
#define INLINE_BODY_BYTES 40
#define TIMER_GEN_MASK ((1u << 28) - 1)
#define MAX_NODES (1u << 29)          /* a node id fits a timer event's payload */
#define POOL_NONE UINT32_MAX
#define INTERN_RECENT 4

struct sim_node {
    /* first cache line: what every event for this node touches */
    _Alignas(64) sim *s;
    sim_node_id id;
    uint32_t incarnation;       /* +1 at every crash: stale timers and starts notice */
    sim_node_status status;
    uint32_t group;             /* partition group; 0 = not partitioned */
    const sim_program *program;
    void *config;
    void *state;                /* NULL while down */
    int64_t drift_ppm;
    uint64_t crash_seq;         /* the event counter at the last crash (0: never) */
    /* second: the dice */
    sim_rng rng;                /* the program's own stream */
    sim_rng net_rng;            /* the network's dice for this node's sends */
    /* third: rarely touched */
    uint32_t cluster;
    uint32_t name_id;
    int64_t clock_true_base_ns; /* local = local_base + (true - true_base) * (1 + ppm/1e6) */
    int64_t clock_local_base_ns;
    sim_disk *disk;             /* created on first use */
    uint8_t disk_crash;         /* 0: the run's mode; else 1 + a sim_disk_crash_kind */
    uint64_t *paused;           /* event payloads held while paused, in arrival order */
    uint32_t paused_count, paused_cap;
};

typedef struct msg_slot {
    uint64_t id;
    uint64_t sent_seq;          /* the event counter at the send: a crash after it loses the message */
    int64_t sent_ns;
    uint64_t size_bytes;
    sim_node_id from, to;
    uint32_t type_id;
    uint32_t len;
    uint32_t flags;
    uint32_t next_free;
    uint8_t *heap_body;         /* when len > INLINE_BODY_BYTES */
    uint8_t inline_body[INLINE_BODY_BYTES];
} msg_slot;

typedef struct timer_slot {
    uint64_t arg;
    uint64_t event_seq;         /* the sequence number of its queue event */
    sim_node_id node;
    uint32_t incarnation;
    uint32_t gen;               /* +1 each time the slot is reused or cancelled */
    uint32_t name_id;
    uint32_t next_free;
    bool live;
} timer_slot;

typedef struct call_slot {
    sim_call_fn fn;
    void *ctx;
    uint32_t next_free;
} call_slot;

typedef struct link_entry {      /* a directed link with its own policy or queue */
    sim_link_policy policy;
    int64_t busy_until_ns;      /* bandwidth: when the link's queue drains */
    bool has_policy;
    bool cut;
} link_entry;

typedef struct observer {
    sim_observer_fn fn;
    void *ctx;
} observer;

#define BODY_CLASSES 8          /* free lists for 64 B .. 8 KiB bodies */

struct sim {
    uint64_t seed;
    sim_userfn_host userfn;     /* the host that runs user code (sim/userfn.h) */
    int64_t now_ns;
    uint64_t next_seq;
    uint64_t events_run;
    bool stop;
    bool halted;
    sim_queue *queue;

    bool huge_tables;           /* expected_nodes is large: ask for huge pages */
    sim_node **node_chunks;
    size_t node_count, node_chunk_cap;
    strmap node_names;          /* name -> node id */

    msg_slot *msgs;
    uint32_t msg_cap, msg_free;
    uint64_t next_msg_id;
    void *body_free[BODY_CLASSES];
    size_t msg_body_bytes;      /* bodies of messages in flight outside the slots */

    timer_slot *timers;
    uint32_t timer_cap, timer_free;

    call_slot *calls;
    uint32_t call_cap, call_free;

    sim_link_policy net_default;
    u64map *links;             /* (from << 32 | to) -> link_entry index */
    link_entry *link_entries;
    size_t link_count, link_cap;
    bool partitioned;

    sim_rng streams[8];         /* subsystem streams by domain */
    sim_disk_crash_kind disk_crash;   /* what a crash does to unsynced writes (sim/disk.h) */

    strmap interned;            /* text -> intern id */
    char **intern_text;
    uint64_t *intern_hash;
    size_t intern_count, intern_cap;
    uint32_t intern_recent[INTERN_RECENT];   /* ids of the last names interned */
    int intern_recent_next;

    observer *observers;
    size_t observer_count, observer_cap;
    uint64_t trace_hash;
    uint64_t record_count;

    sim_op *ops;
    size_t op_count, op_cap;
    size_t checks_run, checks_failed;
};

/* node.c */
sim_node *node_get(const sim *s, sim_node_id id);
void node_dispatch_timer(sim *s, uint64_t payload, uint64_t seq);
void node_dispatch_start(sim *s, uint64_t payload);
bool node_hold_if_paused(sim *s, sim_node *n, uint64_t payload);
void node_free_all(sim *s);

/* timer.c */
void timer_discard(sim *s, uint64_t payload);
int timer_repush(sim *s, uint64_t payload);

/* net.c */
void net_dispatch_deliver(sim *s, uint64_t payload);
void net_free_all(sim *s);
void msg_release(sim *s, uint32_t slot);
const uint8_t *msg_body(const msg_slot *m);
link_entry *link_find(const sim *s, sim_node_id from, sim_node_id to);
link_entry *link_get(sim *s, sim_node_id from, sim_node_id to);

/* kernel.c */
int kernel_push(sim *s, int64_t time_ns, uint64_t payload);

/* trace.c */
void trace_emit(sim *s, sim_record *r);

/* A record of this kind with every field empty (inline: it is on every path). */
static inline sim_record trace_record(sim_record_kind kind)
{
    sim_record r = { .kind = kind, .node = SIM_NODE_NONE, .peer = SIM_NODE_NONE, .name_id = UINT32_MAX };
    return r;
}

/* intern.c */
uint64_t intern_hash_of(const sim *s, uint32_t id);
void intern_free_all(sim *s);

#endif
