/*
 * The dsim kernel: one deterministic discrete-event simulation of a distributed
 * system. This header is the whole public interface that node programs, the Lua
 * layer, the checkers and the viewer build on.
 *
 * Contract (see ../shared/DESIGN.md):
 *  - Time is int64_t virtual nanoseconds. Events run in (time, sequence) order; the
 *    sequence is a global counter, so ties break the same way in every run.
 *  - All randomness comes from seeded streams (sim/rng.h): one root seed, one stream
 *    per node program, one network stream per sending node, and one per subsystem
 *    (faults, workload, scenario). Adding a node or changing one node's program does
 *    not change the draws of any other stream.
 *  - Every kernel action emits exactly one trace record (sim/trace.h) to the
 *    observers, and folds it into a stable 64-bit trace hash.
 *  - A node has volatile state (lost on crash) and a disk (sim/disk.h) whose synced
 *    contents survive a crash; crash cancels its timers and loses messages in flight
 *    to it; restart runs its start handler again with the disk.
 *
 * Handles: `sim` is one simulation; `sim_node` is the context a node program
 * receives in its handlers (valid only during the call). Nodes are named by a
 * dense `sim_node_id` (0, 1, ...) in the order they were added.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/disk.h"
#include "sim/dist.h"
#include "sim/errors.h"
#include "sim/rng.h"

typedef struct sim sim;
typedef struct sim_node sim_node;
typedef uint32_t sim_node_id;
#define SIM_NODE_NONE UINT32_MAX

#define SIM_NS_PER_US INT64_C(1000)
#define SIM_NS_PER_MS INT64_C(1000000)
#define SIM_NS_PER_S INT64_C(1000000000)
#define SIM_TIME_MAX (INT64_MAX / 4)

/* ---- Messages -------------------------------------------------------------- */

/* A message as a node receives it. The body is opaque bytes to the kernel; the
 * systems and the Lua layer put canonical JSON in it (sim/msg.h), which the trace
 * then shows field by field. */
typedef struct sim_msg {
    uint64_t id;            /* unique per send; a duplicate keeps its original's id */
    sim_node_id from, to;
    const char *type;       /* short type name ("gossip", "read"): stats, colours */
    const uint8_t *body;
    size_t body_len;
    uint64_t size_bytes;    /* size on the wire (>= body_len; bulk data may be virtual) */
    int64_t sent_ns;        /* true simulated time of the send */
    bool corrupted;         /* damaged in flight: what a checksum would detect */
    bool duplicate;         /* a copy the network made */
} sim_msg;

/* ---- Node programs ----------------------------------------------------------- */

/* One C interface for every node program (C systems and the Lua runtime alike).
 * Every handler is optional. `state` is state_bytes of volatile memory that the
 * kernel zeroes before each start and throws away on crash; `stop` runs first so a
 * program can free what it allocated. */
typedef struct sim_program {
    const char *name;
    size_t state_bytes;
    void (*start)(sim_node *node, void *state);
    void (*receive)(sim_node *node, void *state, const sim_msg *msg);
    void (*timer)(sim_node *node, void *state, const char *name, uint64_t arg);
    void (*stop)(sim_node *node, void *state);
} sim_program;

/* What a handler may do. */
sim_node_id sim_self(const sim_node *node);
const char *sim_self_name(const sim_node *node);
sim *sim_of(const sim_node *node);
void *sim_self_config(const sim_node *node);     /* the config given to sim_node_add */
uint32_t sim_self_cluster(const sim_node *node);
int64_t sim_clock_ns(const sim_node *node);      /* the node's local clock (skewed) */
sim_rng *sim_self_rng(sim_node *node);           /* the node's own stream */
sim_disk *sim_self_disk(sim_node *node);

int sim_send(sim_node *node, sim_node_id to, const char *type, const void *body, size_t len);
/* As sim_send, with a size on the wire that may exceed the body (bulk transfers). */
int sim_send_sized(sim_node *node, sim_node_id to, const char *type, const void *body,
                   size_t len, uint64_t size_bytes);

/* Timers count down on the node's local clock (so drift stretches or shrinks them).
 * Returns a timer id > 0, or 0 with the error in *err when err is not NULL. */
uint64_t sim_timer_set(sim_node *node, int64_t delay_ns, const char *name, uint64_t arg);
int sim_timer_cancel(sim_node *node, uint64_t timer_id);

void sim_log(sim_node *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sim_annotate(sim_node *node, const char *key, const char *value);

/* ---- Building and running a simulation --------------------------------------- */

typedef struct sim_options {
    uint64_t seed;
    size_t expected_nodes;        /* sizes the pools up front; 0 for defaults */
    size_t expected_pending;      /* events in flight at once */
} sim_options;

sim *sim_create(const sim_options *options);
void sim_destroy(sim *s);

uint64_t sim_seed(const sim *s);
int64_t sim_now_ns(const sim *s);
uint64_t sim_events_run(const sim *s);
size_t sim_pending(const sim *s);
/* Bytes the kernel holds for messages, timers and events in flight (bodies,
 * pool slots, queue entries): what a host counts against a run's memory cap. */
size_t sim_memory_in_flight(const sim *s);

/* Adds a node that starts at the current time. `name` must be unique, 1..63 chars
 * of [A-Za-z0-9_.:-]. `config` is handed to the program, never freed. */
int sim_node_add(sim *s, const char *name, const sim_program *program, void *config,
                 uint32_t cluster, sim_node_id *out_id);
size_t sim_node_count(const sim *s);
int sim_node_find(const sim *s, const char *name, sim_node_id *out_id);
const char *sim_node_name(const sim *s, sim_node_id id);
const sim_program *sim_node_program(const sim *s, sim_node_id id);
uint32_t sim_node_cluster(const sim *s, sim_node_id id);
/* The node's volatile state, for scenarios and checkers to inspect (never for
 * another node's program). NULL while the node is down. */
void *sim_node_state(const sim *s, sim_node_id id);
sim_disk *sim_node_disk(const sim *s, sim_node_id id);
/* What a crash does to the unsynced writes of node id's disk (sim/disk.h), or of
 * every node without a mode of its own when id is SIM_NODE_NONE. The torn mode
 * draws from the stream SIM_STREAM_DISK. 0, SIM_ENOENT or SIM_EINVAL. */
int sim_disk_crash_mode(sim *s, sim_node_id id, sim_disk_crash_kind mode);

typedef enum sim_node_status { SIM_NODE_UP, SIM_NODE_DOWN, SIM_NODE_PAUSED } sim_node_status;
sim_node_status sim_node_get_status(const sim *s, sim_node_id id);
int64_t sim_node_clock_ns(const sim *s, sim_node_id id);

/* Runs every event with time <= until_ns (then the clock reads until_ns), or until
 * sim_stop or sim_halt. Returns 0, or SIM_ESTATE when stopped early or halted. */
int sim_run_until(sim *s, int64_t until_ns);
/* Runs exactly one event; false when none is pending. */
bool sim_step(sim *s);
/* Ends the current sim_run_until after this event; a later call goes on (the
 * viewer pauses this way). */
void sim_stop(sim *s);
bool sim_stopped(const sim *s);
/* Ends the run for good (a check failed): sim_run_until runs nothing more, so a
 * run watched in the viewer ends where the same run without it ends. */
void sim_halt(sim *s);
bool sim_halted(const sim *s);

/* Scenario actions: fn(s, ctx) runs at simulated time at_ns (>= now). */
typedef void (*sim_call_fn)(sim *s, void *ctx);
int sim_schedule(sim *s, int64_t at_ns, sim_call_fn fn, void *ctx);

/* An inbound message from outside the cluster (a scenario "inject"): delivered at
 * the current time from SIM_NODE_NONE, not subject to the network. */
int sim_inject(sim *s, sim_node_id to, const char *type, const void *body, size_t len);

/* ---- The network and its faults ---------------------------------------------- */

typedef struct sim_link_policy {
    sim_dist latency;
    sim_prob loss;
    sim_prob duplicate;
    sim_prob corrupt;
    uint64_t bandwidth_bytes_per_s;  /* 0: unlimited; else a FIFO queue per link */
} sim_link_policy;

sim_link_policy sim_link_policy_default(void);   /* 1ms constant, no faults */
int sim_net_set_default(sim *s, const sim_link_policy *policy);
const sim_link_policy *sim_net_get_default(const sim *s);
/* A policy for the directed link from -> to, overriding the default. */
int sim_net_set_link(sim *s, sim_node_id from, sim_node_id to, const sim_link_policy *policy);
int sim_net_clear_link(sim *s, sim_node_id from, sim_node_id to);

/* Splits the listed nodes into groups that cannot reach one another. Nodes not
 * listed (clients, say) are not partitioned. `sizes[g]` nodes of `members` form
 * group g, in order. Replaces any earlier partition; one-way cuts stay. */
int sim_net_partition(sim *s, size_t ngroups, const size_t *sizes, const sim_node_id *members);
/* Cuts the directed link from -> to (one way). */
int sim_net_cut(sim *s, sim_node_id from, sim_node_id to);
int sim_net_uncut(sim *s, sim_node_id from, sim_node_id to);
/* Removes the partition and every cut. */
int sim_net_heal(sim *s);
/* True when a message sent now from -> to would cross no partition or cut. */
bool sim_net_connected(const sim *s, sim_node_id from, sim_node_id to);

/* ---- Node faults --------------------------------------------------------------- */

int sim_node_crash(sim *s, sim_node_id id);
int sim_node_restart(sim *s, sim_node_id id);
int sim_node_pause(sim *s, sim_node_id id);
int sim_node_resume(sim *s, sim_node_id id);
/* The node's clock reads true time + offset_ns from now on, running fast by
 * drift_ppm parts per million (negative: slow; > -1,000,000). */
int sim_node_set_clock(sim *s, sim_node_id id, int64_t offset_ns, int64_t drift_ppm);

/* A seeded stream of the simulation's own (faults, workload, scenario). */
sim_rng *sim_stream(sim *s, uint64_t domain);

/* ---- Client history --------------------------------------------------------------- */

typedef enum sim_outcome { SIM_OP_PENDING, SIM_OP_OK, SIM_OP_FAIL, SIM_OP_UNKNOWN } sim_outcome;

typedef struct sim_op {
    uint64_t id;             /* 1, 2, ... in invoke order */
    sim_node_id process;     /* the client node */
    const char *f;           /* "read", "write", "cas", "broadcast" ... */
    char *args;              /* JSON text or NULL */
    int64_t invoke_ns, complete_ns;
    sim_outcome outcome;
    char *result;            /* JSON text or NULL */
} sim_op;

uint64_t sim_history_invoke(sim *s, sim_node_id process, const char *f, const char *args_json);
int sim_history_complete(sim *s, uint64_t op_id, sim_outcome outcome, const char *result_json);
size_t sim_history_count(const sim *s);
const sim_op *sim_history_get(const sim *s, size_t index);
const char *sim_outcome_name(sim_outcome outcome);

/* ---- Checks ----------------------------------------------------------------------- */

/* Records a check's verdict in the trace (the viewer shows it; the CLI counts it). */
void sim_check_report(sim *s, const char *name, bool ok, const char *detail);
size_t sim_checks_failed(const sim *s);
size_t sim_checks_run(const sim *s);

/* ---- Interning ------------------------------------------------------------------- */

/* Short strings (types, timer names, keys) interned per simulation: equal strings
 * share one pointer and one id; ids are dense in first-use order. */
uint32_t sim_intern(sim *s, const char *text);
const char *sim_interned(const sim *s, uint32_t id);

#endif
