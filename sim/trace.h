/*
 * The trace: one record for every kernel action, in the order the actions happen.
 * Observers (the viewer, the statistics, checkers, the JSONL writer) subscribe to
 * the stream; the kernel folds every record into a stable 64-bit trace hash.
 *
 * A record is a flat struct whose fields mean different things per kind; the
 * table below is the contract (the JSONL names in sim/trace_json.c follow it).
 *
 *   kind        node       peer   id        name          detail          num1        num2
 *   node        node       -      -         program       -               cluster     -
 *   start       node       -      -         program       -               restart?    -
 *   send        sender     dest   msg id    msg type      -               arrival ns  size bytes
 *   deliver     receiver   sender msg id    msg type      -               sent ns     size bytes
 *   drop        dest       sender msg id    msg type      reason          sent ns     size bytes
 *   duplicate   sender     dest   msg id    msg type      -               arrival ns  size bytes
 *   corrupt     sender     dest   msg id    msg type      -               byte index  -
 *   timer-set   node       -      timer id  timer name    -               fire ns     arg
 *   timer       node       -      timer id  timer name    -               arg         -
 *   timer-cancel node      -      timer id  timer name    -               -           -
 *   crash       node       -      -         -             -               -           -
 *   restart     node       -      -         -             -               -           -
 *   pause       node       -      -         -             -               -           -
 *   resume      node       -      -         -             -               queued      -
 *   partition   -          -      -         -             groups text     ngroups     -
 *   cut         from       to     -         -             -               -           -
 *   uncut       from       to     -         -             -               -           -
 *   heal        -          -      -         -             -               -           -
 *   clock       node       -      -         -             -               offset ns   drift ppm
 *   net         from|-     to|-   -         -             policy text     -           -
 *   annotate    node       -      -         key           value           -           -
 *   log         node       -      -         -             text            -           -
 *   invoke      process    -      op id     function      args JSON       -           -
 *   complete    process    -      op id     function      result JSON     outcome     invoke ns
 *   check       -          -      -         check name    message         ok (0/1)    -
 *
 * Message bodies travel with send, deliver, drop, duplicate and corrupt records
 * (body/body_len); `flags` carries SIM_FLAG_CORRUPTED and SIM_FLAG_DUPLICATE.
 * Drop reasons: "loss", "partition", "cut", "crashed" (sent before the destination
 * crashed, whether or not it has restarted since), "node-down" (sent while the
 * destination was down and still down at arrival).
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "sim/sim.h"

typedef enum sim_record_kind {
    SIM_REC_NODE,
    SIM_REC_START,
    SIM_REC_SEND,
    SIM_REC_DELIVER,
    SIM_REC_DROP,
    SIM_REC_DUPLICATE,
    SIM_REC_CORRUPT,
    SIM_REC_TIMER_SET,
    SIM_REC_TIMER,
    SIM_REC_TIMER_CANCEL,
    SIM_REC_CRASH,
    SIM_REC_RESTART,
    SIM_REC_PAUSE,
    SIM_REC_RESUME,
    SIM_REC_PARTITION,
    SIM_REC_CUT,
    SIM_REC_UNCUT,
    SIM_REC_HEAL,
    SIM_REC_CLOCK,
    SIM_REC_NET,
    SIM_REC_ANNOTATE,
    SIM_REC_LOG,
    SIM_REC_INVOKE,
    SIM_REC_COMPLETE,
    SIM_REC_CHECK,
    SIM_REC_KIND_COUNT
} sim_record_kind;

enum { SIM_FLAG_CORRUPTED = 1u, SIM_FLAG_DUPLICATE = 2u };

typedef struct sim_record {
    uint64_t index;          /* 0, 1, ... position in the trace */
    int64_t time_ns;
    sim_record_kind kind;
    sim_node_id node;
    sim_node_id peer;
    uint64_t id;
    const char *name;        /* interned; NULL when unused */
    uint32_t name_id;        /* sim_intern id of name; UINT32_MAX when unused */
    const char *detail;      /* NULL when unused */
    const uint8_t *body;
    size_t body_len;
    int64_t num1, num2;
    uint32_t flags;
} sim_record;

typedef void (*sim_observer_fn)(sim *s, const sim_record *record, void *ctx);

/* Subscribes fn to every record from now on; observers run in subscription order. */
int sim_observe(sim *s, sim_observer_fn fn, void *ctx);
int sim_unobserve(sim *s, sim_observer_fn fn, void *ctx);

uint64_t sim_trace_hash(const sim *s);
uint64_t sim_trace_records(const sim *s);
const char *sim_record_kind_name(sim_record_kind kind);
/* The kind named `name` ("send", ...), or SIM_REC_KIND_COUNT when none is. */
sim_record_kind sim_record_kind_from_name(const char *name);

/* Writes every record as one JSON object a line (sim/trace_json.c). */
typedef struct sim_trace_writer sim_trace_writer;
sim_trace_writer *sim_trace_json_open(sim *s, FILE *out);
/* Detaches and frees; returns SIM_EIO when a write failed. */
int sim_trace_json_close(sim *s, sim_trace_writer *w);
/* The JSONL names of a kind's name, detail, num1 and num2 fields (NULL: the
 * field is not written), shared by the writer and by readers of traces. */
typedef struct sim_record_fields {
    const char *name, *detail, *num1, *num2;
} sim_record_fields;
sim_record_fields sim_record_field_names(sim_record_kind kind);

/* Formats one record as a JSON line (no newline) into a malloc'ed string. */
char *sim_record_to_json(const sim *s, const sim_record *record);

#endif
