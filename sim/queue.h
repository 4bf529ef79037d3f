/*
 * The kernel's pending-event queue: a priority queue of events ordered by
 * (time_ns, seq) ascending. The kernel assigns seq from a global counter, so
 * events at the same simulated time come out in the order they were scheduled.
 *
 * Contract: a pushed time_ns is never below the time_ns of the last popped event
 * (discrete-event monotonicity; checked with SIM_ASSERT), times lie in
 * [0, INT64_MAX / 2], and seq values are unique. sim_queue_clear() forgets the
 * last popped time. Everything is deterministic: the order depends only on the
 * (time_ns, seq) keys, never on addresses. After the queue has grown to its peak
 * size, push and pop do not allocate; pop never allocates at all.
 */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_event {
    int64_t time_ns;
    uint64_t seq;
    uint64_t payload;   /* opaque to the queue */
} sim_event;

typedef struct sim_queue sim_queue;

/* A queue with room for capacity_hint events before it first grows; NULL on
 * out of memory. */
sim_queue *sim_queue_create(size_t capacity_hint);
void sim_queue_destroy(sim_queue *q);

/* 0, or SIM_ENOMEM (the queue is then unchanged). */
int sim_queue_push(sim_queue *q, int64_t time_ns, uint64_t seq, uint64_t payload);

/* Remove the earliest event into *out; false when the queue is empty. */
bool sim_queue_pop(sim_queue *q, sim_event *out);

/* Copy the earliest event into *out without removing it; false when empty. */
bool sim_queue_peek(const sim_queue *q, sim_event *out);

size_t sim_queue_size(const sim_queue *q);

/* Drop every event and forget the last popped time; keeps the memory. */
void sim_queue_clear(sim_queue *q);

#endif
