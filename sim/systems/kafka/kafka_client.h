/*
 * kafka_client: Kafka producers and consumers as node programs (the system
 * `kafka_client`), and the ledger that checks what they did. One cluster of
 * kafka_client nodes is one application: its first `producers` nodes produce
 * records at `rate` each into `topic`, the others consume it as the group `group`.
 *
 * Records are integers: producer i's k-th record is ((i + 1) << 40) | k, so a
 * batch is a range (first value, count) and a record names its producer and its
 * place in the producer's order. The ledger is the application's own account
 * of what it produced (sent, acknowledged, given up) and processed (how many
 * times each record), kept outside the nodes' volatile memory, the way a real
 * application's effects outlive a process crash. Nodes only write to it; the
 * checks read it (kafka_ledger_summary):
 *
 *   no acknowledged record lost   every record acknowledged by the brokers was processed
 *   order per partition           a consumer reading a partition forward sees each
 *                                 producer's records in the order produced
 *   duplicates counted            processings beyond the first, reported, allowed
 *                                 under at-least-once, a failure under exactly-once
 */
#ifndef SIM_SYSTEMS_KAFKA_KAFKA_CLIENT_H
#define SIM_SYSTEMS_KAFKA_KAFKA_CLIENT_H

#include <cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"
#include "sim/systems/kafka/kafka.h"

#define KC_SEQ_BITS 40
#define KC_MAX_BROKERS KAFKA_MAX_BROKERS
#define KC_LAT_BUCKETS 48

typedef struct kc_stream {            /* one producer's records in the ledger */
    uint8_t *acked, *consumed;        /* per sequence: acknowledged; times processed (saturates at 255) */
    int64_t next, cap;                /* records generated; capacity */
} kc_stream;

typedef struct kc_ledger {
    kc_stream *prod;
    int64_t nprod;
    uint64_t sent, acked, failed, processed, out_of_order, commits_refused;
    uint64_t lat_e2e[KC_LAT_BUCKETS], lat_ack[KC_LAT_BUCKETS];   /* by 2^k microseconds */
    int64_t lat_e2e_max_ns, lat_ack_max_ns;
} kc_ledger;

typedef struct kc_config {
    char brokers[KC_MAX_BROKERS][64];
    int64_t nbrokers;
    char topic[KAFKA_NAME], group[KAFKA_NAME];
    int64_t producers, acks, batch, retries, idempotent, roundrobin, commit_before, idle;
    double rate_per_s;
    int64_t linger_ns, request_timeout_ns, stop_ns, process_ns, poll_wait_ns, session_ns, heartbeat_ns;
    kc_ledger *ledger;
} kc_config;

typedef struct kc_pbatch {
    int64_t seq, v0, ts_ns;
    uint32_t n;
} kc_pbatch;

typedef struct kc_part {
    sim_node_id leader;
    /* producer */
    kc_pbatch open, *queue;
    size_t qhead, qlen, qcap, nreq;   /* nreq: batches in the request in flight */
    bool inflight;
    int64_t corr, sent_ns, pseq, pid_gen;
    int tries;
    /* consumer */
    bool assigned, fetching, busy;
    int64_t pos, hw, last_off;
    int64_t *last_seq;                /* per producer: the last sequence seen here */
} kc_part;

typedef struct kc_state {
    const kc_config *cfg;
    bool producer;
    int64_t index;                    /* producer index, or consumer index */
    sim_node_id brokers[KC_MAX_BROKERS];
    int nbrokers, rr;
    kc_part *parts;
    int nparts;
    bool meta_ok;
    sim_node_id coordinator;
    int64_t corr, start_ns, pid, gen, sticky;
    int64_t base_seq;                 /* producer: records generated before this incarnation */
    bool joined, left;
    /* consumer: records fetched, waiting to be processed (process_ns) */
    int64_t *work;                    /* triples: partition, first value (or -1 - index into vals), count */
    size_t nwork, capwork;
} kc_state;

/* kafka_ledger.c */
kc_ledger *kafka_ledger_new(int64_t producers);
void kafka_ledger_free(kc_ledger *l);
int64_t kafka_ledger_reserve(kc_ledger *l, int64_t producer, int64_t n);  /* first sequence of n new records */
void kafka_ledger_acked(kc_ledger *l, int64_t v0, uint32_t n, int64_t latency_ns);
void kafka_ledger_processed(kc_ledger *l, int64_t v, int64_t latency_ns);
cJSON *kafka_ledger_summary(const kc_ledger *l);

/* kafka_producer.c / kafka_consumer.c */
void kafka_producer_tick(sim_node *node, kc_state *st);
void kafka_producer_receive(sim_node *node, kc_state *st, const cJSON *in, const char *type);
void kafka_producer_timeout(sim_node *node, kc_state *st, uint64_t corr);
void kafka_consumer_tick(sim_node *node, kc_state *st);
void kafka_consumer_receive(sim_node *node, kc_state *st, const cJSON *in, const char *type);
void kafka_consumer_process(sim_node *node, kc_state *st);
void kafka_client_metadata(sim_node *node, kc_state *st);
bool kafka_client_on_metadata(sim_node *node, kc_state *st, const cJSON *in, const char *type);
void kafka_client_send(sim_node *node, kc_state *st, sim_node_id to, cJSON *m);   /* adds corr; frees m */

#endif
