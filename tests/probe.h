/*
 * A probe node program for the kernel tests: it records what happens to it
 * (starts, messages, timers) in a log the test owns (the node's config), and can
 * be told to send or set timers from a scenario call. Header-only so every suite
 * can include it.
 */
#ifndef TESTS_PROBE_H
#define TESTS_PROBE_H

#include <string.h>

#include "sim/sim.h"

#define PROBE_MAX 4096

typedef struct probe_event {
    char what;                 /* 's' start, 'r' receive, 't' timer */
    sim_node_id node, from;
    int64_t time_ns, local_ns;
    char text[48];             /* message body (NUL-terminated) or timer name */
    uint64_t arg, msg_id;
    bool corrupted, duplicate;
} probe_event;

typedef void (*probe_action)(sim_node *node, void *arg);

typedef struct probe_log {
    probe_event ev[PROBE_MAX];
    int count;
    int starts;
    probe_action action;       /* run by the node on an injected "do" message */
    void *action_arg;
} probe_log;

typedef struct probe_state {
    int volatile_counter;
} probe_state;

static inline probe_event *probe_add(sim_node *node, char what)
{
    probe_log *log = sim_self_config(node);
    if (log->count >= PROBE_MAX) return NULL;
    probe_event *e = &log->ev[log->count++];
    memset(e, 0, sizeof(*e));
    e->what = what;
    e->node = sim_self(node);
    e->time_ns = sim_now_ns(sim_of(node));
    e->local_ns = sim_clock_ns(node);
    return e;
}

static inline void probe_start(sim_node *node, void *state)
{
    probe_log *log = sim_self_config(node);
    log->starts++;
    probe_add(node, 's');
}

static inline void probe_receive(sim_node *node, void *state, const sim_msg *msg)
{
    probe_log *log = sim_self_config(node);
    if (msg->from == SIM_NODE_NONE && strcmp(msg->type, "do") == 0) {
        log->action(node, log->action_arg);
        return;
    }
    ((probe_state *)state)->volatile_counter++;
    probe_event *e = probe_add(node, 'r');
    if (!e) return;
    e->from = msg->from;
    size_t n = msg->body_len < sizeof(e->text) - 1 ? msg->body_len : sizeof(e->text) - 1;
    memcpy(e->text, msg->body, n);
    e->text[n] = 0;
    e->msg_id = msg->id;
    e->corrupted = msg->corrupted;
    e->duplicate = msg->duplicate;
}

static inline void probe_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    probe_event *e = probe_add(node, 't');
    if (!e) return;
    strncpy(e->text, name, sizeof(e->text) - 1);
    e->arg = arg;
}

static const sim_program probe_program = {
    "probe", sizeof(probe_state), probe_start, probe_receive, probe_timer, NULL,
};

/* Adds nodes p1..pN sharing one log; returns the simulation. */
static inline sim *probe_sim(uint64_t seed, int nodes, probe_log *log)
{
    memset(log, 0, sizeof(*log));
    sim_options o = { seed, 0, 0 };
    sim *s = sim_create(&o);
    for (int i = 1; i <= nodes; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p%d", i);
        sim_node_add(s, name, &probe_program, log, 0, NULL);
    }
    sim_run_until(s, 0);
    return s;
}

/* Makes node `id` run fn(node, arg) now, inside a handler (the kernel hands a
 * node's context only to its handlers): an injected "do" message carries it. */
static inline void probe_do(sim *s, probe_log *log, sim_node_id id, probe_action fn, void *arg)
{
    log->action = fn;
    log->action_arg = arg;
    sim_inject(s, id, "do", NULL, 0);
    sim_run_until(s, sim_now_ns(s));
}

static inline int probe_count(const probe_log *log, char what, sim_node_id node)
{
    int n = 0;
    for (int i = 0; i < log->count; i++)
        if (log->ev[i].what == what && log->ev[i].node == node) n++;
    return n;
}

#endif
