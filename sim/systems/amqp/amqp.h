/*
 * amqp: a RabbitMQ-style push broker as C node programs. The broker is the
 * system `amqp`; publishers and consumers are `amqp-client` (amqp_client.c).
 * Internal interface of the broker's files:
 *
 *   amqp.c          program, options (exchanges, queues, bindings), dispatch, .state
 *   amqp_route.c    exchanges: direct, fanout, topic (* one word, # zero or more);
 *                   publish, publisher confirms
 *   amqp_queue.c    a queue: push to consumers within their prefetch, ack, nack,
 *                   redelivery, per-message TTL, dead-lettering, persistence on disk
 *   amqp_repl.c     replicated queues: quorum (a Raft log on a majority) and
 *                   mirrored (a master pushing to mirrors, promoted locally)
 *
 * Every broker knows every exchange, queue and binding (they come from the
 * options, as a definitions file does in RabbitMQ). A queue lives on its home
 * broker (classic) or on `replicas` brokers starting there (quorum, mirrored);
 * the broker a publisher talks to routes the message and forwards it to each
 * target queue's leader.
 */
#ifndef SIM_SYSTEMS_AMQP_AMQP_H
#define SIM_SYSTEMS_AMQP_AMQP_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

#define AMQP_NAME 48
#define AMQP_MAX 32                /* exchanges, queues */
#define AMQP_MAX_BINDINGS 128
#define AMQP_MAX_BROKERS 16
#define AMQP_MAX_REPLICAS 5

enum { X_DIRECT, X_FANOUT, X_TOPIC };
enum { Q_CLASSIC, Q_QUORUM, Q_MIRRORED };

typedef struct amqp_qdef {
    char name[AMQP_NAME];
    int type, durable, home, nrep;
    int dlx;                       /* exchange index, -1: none */
    int64_t ttl_ns;                /* queue default message TTL, 0: none */
} amqp_qdef;

typedef struct amqp_config {
    int nx, nq, nb;
    char xname[AMQP_MAX][AMQP_NAME];
    int xtype[AMQP_MAX];
    amqp_qdef q[AMQP_MAX];
    int bx[AMQP_MAX_BINDINGS], bq[AMQP_MAX_BINDINGS];
    char bkey[AMQP_MAX_BINDINGS][AMQP_NAME];
    int64_t heartbeat_ns, election_ns, consumer_timeout_ns;
} amqp_config;

typedef struct amqp_msg {
    int64_t v, expires_ns, ts_ns, seq;   /* seq: the disk record's number (durable + persistent) */
    char key[AMQP_NAME];
    uint8_t persistent, redelivered, deaths;
} amqp_msg;

/* A delivery in flight to a consumer, waiting for its ack. */
typedef struct amqp_unacked {
    amqp_msg m;
    sim_node_id consumer;
    int64_t tag;
} amqp_unacked;

typedef struct amqp_consumer {
    sim_node_id node;
    int64_t prefetch, last_seen_ns;
    int inflight;
} amqp_consumer;

/* One entry of a replicated queue's log. */
typedef struct amqp_entry {
    int64_t term;
    char op;                       /* 'E' enqueue m, 'S' settle (ack) value m.v */
    amqp_msg m;
} amqp_entry;

typedef struct amqp_queue {
    int def;                       /* index into cfg->q */
    int replicas[AMQP_MAX_REPLICAS], nrep;
    bool hosted;
    amqp_msg *ready;               /* FIFO: ready[head .. head+n) */
    size_t head, n, cap;
    amqp_unacked *unacked;
    size_t nunacked, capunacked;
    amqp_consumer *consumers;
    size_t nconsumers;
    int64_t next_tag, disk_seq;
    size_t rr;                     /* round-robin position among consumers */
    uint64_t enqueued, delivered, redelivered, acked, dead_lettered, expired;
    /* replication (quorum and mirrored) */
    int leader;                    /* broker rank, -1 none */
    int64_t term, voted_term, commit, applied, last_heard_ns, election_at_ns;
    int votes;
    amqp_entry *log;
    int64_t nlog, caplog;
    int64_t match[AMQP_MAX_BROKERS];
    /* publishes waiting for their entry to commit: (index, publisher, corr, broker proxy) */
    int64_t *waiting;
    size_t nwaiting, capwaiting;
} amqp_queue;

typedef struct amqp_state {
    const amqp_config *cfg;
    sim_node_id brokers[AMQP_MAX_BROKERS];
    int nb, rank;
    int64_t heard_ns[AMQP_MAX_BROKERS];
    amqp_queue q[AMQP_MAX];
    /* publishes routed to several queues: confirmed when every target confirmed */
    struct amqp_pending { sim_node_id publisher; int64_t corr, id; int outstanding; bool nacked; } *pend;
    size_t npend, cappend;
    int64_t next_id;
    uint64_t published, unroutable;
} amqp_state;

/* amqp.c */
int amqp_rank_of(const amqp_state *st, sim_node_id id);
void amqp_send(sim_node *node, sim_node_id to, cJSON *m);      /* sends and frees */
bool amqp_alive(const amqp_state *st, int rank, int64_t now_ns);

/* amqp_route.c */
bool amqp_topic_match(const char *pattern, const char *key);
bool amqp_pattern_valid(const char *pattern);
void amqp_on_publish(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in);
void amqp_on_enqueue_result(sim_node *node, amqp_state *st, const cJSON *in, bool ok);
void amqp_publish_local(sim_node *node, amqp_state *st, int x, const amqp_msg *m);   /* dead-lettering */
cJSON *amqp_msg_json(const amqp_msg *m);
void amqp_msg_parse(const cJSON *j, amqp_msg *m);

/* amqp_queue.c */
void amqp_on_enqueue(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in);
void amqp_confirm_to(sim_node *node, amqp_state *st, sim_node_id to, int64_t id, bool ok);
void amqp_queue_push(amqp_queue *q, const amqp_msg *m);
void amqp_queue_apply(sim_node *node, amqp_state *st, amqp_queue *q, const amqp_entry *e);
void amqp_on_consume(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in);
void amqp_on_ack(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in, bool ack);
void amqp_queue_tick(sim_node *node, amqp_state *st, amqp_queue *q, int64_t now);
void amqp_dispatch(sim_node *node, amqp_state *st, amqp_queue *q);
void amqp_queue_free(amqp_queue *q);
void amqp_queue_recover(sim_node *node, amqp_state *st, amqp_queue *q);
bool amqp_is_leader(const amqp_state *st, const amqp_queue *q);

/* amqp_repl.c */
int64_t amqp_repl_append(sim_node *node, amqp_state *st, amqp_queue *q, char op, const amqp_msg *m);
void amqp_repl_tick(sim_node *node, amqp_state *st, amqp_queue *q, int64_t now);
void amqp_on_repl(sim_node *node, amqp_state *st, const sim_msg *msg, const cJSON *in, const char *type);
void amqp_repl_committed(sim_node *node, amqp_state *st, amqp_queue *q);

#endif
