/*
 * kafka: a Kafka-style replicated log as C node programs. The broker program is
 * the system `kafka`; producers and consumers are the system `kafka_client`
 * (kafka_client.h). This header is the broker's internal interface, shared by
 * its files:
 *
 *   kafka.c         start, restart (log replay from disk), message dispatch, options, .state
 *   kafka_log.c     a partition's log: append, read, truncate, the write-ahead file on disk,
 *                   producer ids and sequence numbers (the idempotent producer)
 *   kafka_repl.c    leaders and followers: produce, fetch (long polling), ISR, high watermark
 *   kafka_ctrl.c    the controller: liveness, election, leader reassignment, metadata
 *   kafka_group.c   the group coordinator (on the controller): members, assignment, offsets
 *   kafka_mael.c    Maelstrom's kafka workload (send, poll, commit_offsets ...) on top
 *
 * Brokers are the nodes of one cluster running `kafka`, ranked 0..B-1 in node id
 * order. A partition's replicas are B-ranks start, start+1, ... (mod B) with start
 * = (fnv(topic) + index) mod B: every broker computes the same placement, so the
 * controller's metadata carries only what changes (leader, leader epoch, ISR).
 */
#ifndef SIM_SYSTEMS_KAFKA_KAFKA_H
#define SIM_SYSTEMS_KAFKA_KAFKA_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

#define KAFKA_MAX_BROKERS 64
#define KAFKA_MAX_RF 8
#define KAFKA_NAME 48
#define KAFKA_MAX_TOPICS 64
#define KAFKA_FETCH_BATCHES 64        /* batches per fetch response */

/* Error codes carried by *_err replies (as strings in messages). */
#define KAFKA_NOT_LEADER "not_leader"
#define KAFKA_NOT_ENOUGH "not_enough_replicas"
#define KAFKA_OUT_OF_ORDER "out_of_order_sequence"
#define KAFKA_UNKNOWN_TOPIC "unknown_topic"

typedef struct kafka_config {
    int64_t rf, min_insync, unclean, partitions_default;
    int64_t heartbeat_ns, session_ns, lag_max_ns, flush_always;
    int64_t meta_every_ns, rebalance_delay_ns;
    size_t ntopics;
    char topic[KAFKA_MAX_TOPICS][KAFKA_NAME];
    int64_t topic_parts[KAFKA_MAX_TOPICS];
} kafka_config;

/* A batch of records: values v0, v0+1, ... (vals == NULL, the compact form every
 * producer of kafka_client uses) or vals[0..n). */
typedef struct kafka_batch {
    int64_t base;          /* offset of the first record */
    int64_t pid, seq;      /* producer id (-1: not idempotent), its first sequence number */
    int64_t v0, ts_ns;     /* first value; the producer's timestamp */
    int64_t *vals;
    uint32_t n;
    int64_t epoch;         /* the leader epoch that appended it */
} kafka_batch;

enum { W_PRODUCE, W_FETCH, W_MAEL_SEND };
enum { FETCH_CONSUMER, FETCH_REPLICA, FETCH_PROXY };   /* who fetches: up to hw, up to leo, hw (a broker's proxy) */

/* Someone waiting on a partition: a produce (acks=all) until the high watermark
 * reaches `offset`, a fetch until data past `offset` is committed or `deadline`. */
typedef struct kafka_waiter {
    sim_node_id to;
    int64_t corr, offset, deadline_ns, base;   /* base: the append's offset, or a fetch's FETCH_* mode */
    int kind;
} kafka_waiter;

typedef struct kafka_pid {
    int64_t pid, seq, n, base;     /* the last batch appended for pid */
} kafka_pid;

typedef struct kafka_part {
    int topic;                     /* index into kafka_state.topics */
    int32_t index;
    int replicas[KAFKA_MAX_RF], nrep;
    int leader;                    /* broker rank; -1: none (unavailable or unknown) */
    int64_t epoch;                 /* leader epoch: controller epoch << 20 | a counter */
    uint64_t isr;                  /* bit per broker rank */
    bool hosted;                   /* this broker is a replica */
    kafka_batch *log;
    size_t nlog, caplog;
    int64_t leo, hw;
    /* leader side */
    int64_t fol_leo[KAFKA_MAX_BROKERS], fol_caught_ns[KAFKA_MAX_BROKERS];
    bool isr_pending;
    kafka_waiter *waiters;
    size_t nwait, capwait;
    kafka_pid *pids;
    size_t npids;
    /* controller side: each replica's log end and last epoch, from its heartbeats */
    int64_t rep_leo[KAFKA_MAX_BROKERS], rep_epoch[KAFKA_MAX_BROKERS];
    /* follower side */
    bool fetching;
    int64_t fetch_sent_ns;
} kafka_part;

typedef struct kafka_topic {
    char name[KAFKA_NAME];
    int first, count;              /* its partitions: parts[first .. first+count) */
} kafka_topic;

typedef struct kafka_member {
    sim_node_id node;
    int64_t last_hb_ns, session_ns;
} kafka_member;

typedef struct kafka_offset {
    int part;                      /* index into parts */
    int64_t offset;
} kafka_offset;

typedef struct kafka_group {
    char name[KAFKA_NAME];
    int topic;                     /* -1: any (the Maelstrom group) */
    int roundrobin;
    int64_t generation, created_ns;
    kafka_member *members;
    size_t nmembers;
    kafka_offset *offsets;
    size_t noffsets;
} kafka_group;

/* A Maelstrom request that waits for other brokers (kafka_mael.c). */
typedef struct kafka_proxy {
    int64_t corr, msg_id;
    sim_node_id client;
    int outstanding;
    int64_t deadline_ns;
    cJSON *result;                 /* poll: {key: [[o, m], ...]} */
    char kind;                     /* 's' send, 'p' poll, 'c' commit, 'l' list */
} kafka_proxy;

typedef struct kafka_state {
    const kafka_config *cfg;
    sim_node_id brokers[KAFKA_MAX_BROKERS];
    int nb, rank;
    int64_t heard_ns[KAFKA_MAX_BROKERS];
    bool restarted;
    kafka_topic topics[KAFKA_MAX_TOPICS];
    int ntopics;
    kafka_part *parts;
    int nparts, capparts;
    int64_t ctrl_epoch, meta_version, max_ctrl_epoch_seen;
    int controller;                /* rank, -1 unknown */
    bool is_controller;
    bool meta_dirty;
    int64_t meta_sent_ns;
    kafka_group *groups;
    size_t ngroups;
    kafka_proxy *proxies;
    size_t nproxies, capproxies;
    int64_t corr, wal_seq;
    int64_t last_tick_ns, quiet_until_ns;   /* after a pause: no controller claim until heard */
    int64_t best_ce, best_ver;                /* the newest metadata a heartbeat announced ... */
    int best_rank;                            /* ... and who has it */
    uint64_t appended, fetches_served;
} kafka_state;

/* kafka.c */
int kafka_rank_of(const kafka_state *st, sim_node_id id);
int kafka_topic_find(const kafka_state *st, const char *name);
int kafka_topic_add(sim_node *node, kafka_state *st, const char *name, int count, bool log_it);
kafka_part *kafka_part_of(kafka_state *st, const char *topic, int64_t index);
void kafka_send(sim_node *node, sim_node_id to, cJSON *msg);      /* sends and frees */
void kafka_error(sim_node *node, sim_node_id to, const char *type, int64_t corr, const char *code);
bool kafka_alive(const kafka_state *st, int rank, int64_t now_ns);

/* kafka_log.c */
int64_t kafka_log_append(sim_node *node, kafka_state *st, kafka_part *p, const kafka_batch *b);
size_t kafka_log_find(const kafka_part *p, int64_t offset);   /* first batch ending after offset */
void kafka_log_truncate(sim_node *node, kafka_state *st, kafka_part *p, int64_t offset);
void kafka_log_replay(sim_node *node, kafka_state *st);
void kafka_log_wal_topic(sim_node *node, kafka_state *st, const char *name, int count);
const kafka_pid *kafka_pid_find(const kafka_part *p, int64_t pid);
int64_t kafka_log_last_epoch(const kafka_part *p);
int64_t kafka_log_epoch_end(const kafka_part *p, int64_t epoch);
cJSON *kafka_batch_json(const kafka_batch *b);
bool kafka_batch_parse(const cJSON *j, kafka_batch *b);      /* b->vals malloc'ed when present */
void kafka_part_free(kafka_part *p);

/* kafka_repl.c */
void kafka_on_produce(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in);
void kafka_on_fetch(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in);
void kafka_on_fetch_ok(sim_node *node, kafka_state *st, const cJSON *in);
void kafka_repl_tick(sim_node *node, kafka_state *st);
void kafka_repl_became(sim_node *node, kafka_state *st, kafka_part *p, int old_leader);
void kafka_advance_hw(sim_node *node, kafka_state *st, kafka_part *p);
void kafka_fetch_reply(sim_node *node, kafka_state *st, kafka_part *p, sim_node_id to, int64_t corr,
                       int64_t offset, int mode);
void kafka_mael_append(sim_node *node, kafka_state *st, kafka_part *p, sim_node_id client, int64_t msg_id,
                       int64_t value);

/* kafka_ctrl.c */
void kafka_ctrl_tick(sim_node *node, kafka_state *st);
void kafka_on_meta(sim_node *node, kafka_state *st, const cJSON *in);
void kafka_on_meta_req(sim_node *node, kafka_state *st, const sim_msg *msg);
void kafka_on_alter_isr(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in);
void kafka_on_create(sim_node *node, kafka_state *st, const cJSON *in);
void kafka_on_metadata(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in);
void kafka_on_hb(sim_node *node, kafka_state *st, const cJSON *in, int rank);
void kafka_meta_changed(kafka_state *st);
void kafka_annotate_leads(sim_node *node, const kafka_state *st);   /* "leads": partitions/ISR size, for the viewer */

/* kafka_group.c */
void kafka_on_group(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, const char *type);
void kafka_group_tick(sim_node *node, kafka_state *st);
cJSON *kafka_offsets_json(const kafka_state *st);
void kafka_offsets_apply(kafka_state *st, const cJSON *list);
void kafka_groups_free(kafka_state *st);

/* kafka_mael.c */
bool kafka_mael_receive(sim_node *node, kafka_state *st, const sim_msg *msg, const cJSON *in, const char *type);
void kafka_mael_tick(sim_node *node, kafka_state *st);
void kafka_mael_error(sim_node *node, sim_node_id to, int64_t msg_id, int code, const char *text);

#endif
