/*
 * The picture's state: what the network, the nodes, the history and the checks
 * look like after the first `applied` records of the store. The model is a pure
 * function of that prefix: viz_model_seek() backwards resets it and applies the
 * records again, so the picture after "back" is the one first seen at that record.
 *
 * Messages in flight are keyed by (message id, duplicate bit): a duplicate keeps
 * its original's id (sim/sim.h), and each is delivered or dropped on its own.
 */
#ifndef VIZ_MODEL_H
#define VIZ_MODEL_H

#include "viz/store.h"

#define VIZ_MARKS 512           /* recent drop/duplicate/corrupt markers kept */
#define VIZ_MAX_GROUPS 8

enum viz_mark_kind { VIZ_MARK_DROP, VIZ_MARK_DUP, VIZ_MARK_CORRUPT };

typedef struct viz_annot {
    uint32_t key;               /* interned */
    const char *value;
} viz_annot;

typedef struct viz_node_state {
    uint8_t status;             /* sim_node_status */
    bool known;                 /* its "node" record was seen */
    uint32_t program;           /* interned program name */
    int64_t cluster;
    uint32_t group;             /* partition group 1..; 0 = not partitioned */
    int64_t clock_offset_ns, drift_ppm;
    int64_t last_recv_ns;       /* for the receive flash; INT64_MIN when never */
    viz_annot *annots;
    uint32_t nannots, annots_cap;
} viz_node_state;

typedef struct viz_flight {
    uint64_t key;               /* id << 1 | duplicate */
    size_t rec;                 /* the send (or duplicate) record */
    int64_t sent_ns, arrive_ns;
    uint32_t from, to, type;
    uint8_t flags;
} viz_flight;

typedef struct viz_mark {
    int64_t t_ns;
    size_t rec;
    uint32_t from, to, type;
    float frac;                 /* where along from -> to it happened */
    uint8_t kind;               /* viz_mark_kind */
} viz_mark;

typedef struct viz_op {
    uint64_t id;
    uint32_t process, f;
    int64_t invoke_ns, complete_ns;   /* complete_ns < 0 while pending */
    uint8_t outcome;            /* sim_outcome */
    bool marked;                /* named by a failed check's " [ops ...]": drawn highlighted */
    size_t rec;
} viz_op;

typedef struct viz_fault {
    int64_t t_ns;
    size_t rec;
    uint8_t kind;               /* sim_record_kind of the fault */
    uint32_t node, peer;
} viz_fault;

typedef struct viz_cut {
    uint32_t from, to;
} viz_cut;

typedef struct viz_check {
    uint32_t name;
    bool ok;
    const char *message;
    int64_t t_ns;
    size_t rec;
} viz_check;

#define VIZ_ARRAY(T, name) T *name; size_t n_##name, cap_##name

typedef struct viz_model {
    const viz_store *store;
    size_t applied;             /* records 0..applied-1 are in the picture */
    viz_node_state *nodes;
    size_t nnodes, nodes_cap;
    VIZ_ARRAY(viz_flight, flights);
    uint32_t *flight_index;     /* open addressing: slot -> flight + 1 */
    size_t flight_index_cap;
    viz_mark marks[VIZ_MARKS];
    size_t nmarks;              /* total ever made; the last VIZ_MARKS are kept */
    VIZ_ARRAY(viz_op, ops);
    VIZ_ARRAY(viz_fault, faults);
    VIZ_ARRAY(viz_cut, cuts);
    VIZ_ARRAY(viz_check, checks);   /* the latest verdict of each check */
    VIZ_ARRAY(uint32_t, types);     /* message types in order of first send */
    uint32_t ngroups;
    size_t checks_failed;
    size_t last_failed_rec;     /* SIZE_MAX when no check failed */
    const char *net_policy;     /* the default link policy, as text */
} viz_model;

void viz_model_init(viz_model *m, const viz_store *st);
void viz_model_free(viz_model *m);
void viz_model_reset(viz_model *m);
/* Applies the next record (store->recs[m->applied]). */
void viz_model_apply_next(viz_model *m);
/* Makes the picture that of the first `count` records (forwards or backwards). */
void viz_model_seek(viz_model *m, size_t count);

/* Index of the type in m->types (its colour), or -1. */
int viz_model_type_index(const viz_model *m, uint32_t type);
/* True when a message sent now from -> to would be blocked (partition or cut). */
bool viz_model_blocked(const viz_model *m, uint32_t from, uint32_t to);
const viz_node_state *viz_model_node(const viz_model *m, uint32_t node);

#endif
