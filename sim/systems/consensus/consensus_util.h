/*
 * Helpers shared by the consensus systems (paxos.c, multipaxos*.c, twopc*.c):
 * ballots, the JSON message plumbing, durable records on the node's disk, the
 * list of a cluster's members, annotations with a format, and the option
 * parsers their configure functions use. Nothing here keeps state of its own.
 */
#ifndef SIM_SYSTEMS_CONSENSUS_UTIL_H
#define SIM_SYSTEMS_CONSENSUS_UTIL_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* The most members a consensus cluster may have (acceptor sets are bit masks). */
#define CONS_MEMBERS_MAX 64

/* A ballot (round, node id), ordered by round, then node: two proposers never
 * share one, and each can always pick a higher one. {0, 0} is below every ballot
 * a proposer uses (rounds start at 1). JSON: [round, node id]. */
typedef struct cons_ballot {
    int64_t round;
    int64_t node;
} cons_ballot;

int cons_ballot_cmp(cons_ballot a, cons_ballot b);
bool cons_ballot_is_zero(cons_ballot b);
cJSON *cons_ballot_json(cons_ballot b);
/* obj[key] as a ballot; false when absent or malformed (a round below 1 is). */
bool cons_ballot_get(const cJSON *obj, const char *key, cons_ballot *out);
/* A ballot from its JSON text "[round,node]" (NULL text: false). */
bool cons_ballot_parse(const char *text, cons_ballot *out);
/* "round.name", e.g. "4.n2" (the node's name, for annotations people read). */
void cons_ballot_text(const sim *s, cons_ballot b, char *buf, size_t n);

/* ---- messages ---------------------------------------------------------------- */

/* A new message object {"type": type}. */
cJSON *cons_msg(const char *type);
/* Sends msg to `to` (a valid node) and frees it. */
void cons_send(sim_node *node, sim_node_id to, cJSON *msg);
/* Sends a copy of msg to every id in to[0..n) and frees it. */
void cons_send_all(sim_node *node, const sim_node_id *to, size_t n, cJSON *msg);
/* The parsed body of msg and its type (NULL when corrupted or not JSON with a
 * "type" string). Free with cJSON_Delete. */
cJSON *cons_parse(const sim_msg *msg, const char **type);
bool cons_get_int(const cJSON *obj, const char *key, int64_t *out);
/* obj[key] as a string, or NULL. */
const char *cons_get_str(const cJSON *obj, const char *key);
/* Canonical text of v (sim_json_encode), never NULL. */
char *cons_encode(const cJSON *v);
char *cons_strdup(const char *s);
/* Replaces *slot by a copy of text (NULL allowed), freeing the old one. */
void cons_set_str(char **slot, const char *text);

/* ---- the disk ------------------------------------------------------------------- */

/* Writes text under key (not yet durable: the caller decides when to sync). */
void cons_disk_put(sim_disk *d, const char *key, const char *text);
/* The text under key as a malloc'ed string, or NULL when absent. */
char *cons_disk_get(const sim_disk *d, const char *key);
void cons_disk_sync(sim_disk *d);

/* ---- membership, timers, annotations ------------------------------------------------ */

/* The nodes of the caller's cluster that run its program, self included, in id
 * order (at most CONS_MEMBERS_MAX); *self_index receives the caller's position. */
size_t cons_members(sim_node *node, sim_node_id *out, size_t *self_index);
size_t cons_majority(size_t n);
int cons_popcount(uint64_t mask);
/* sim_timer_set that cannot fail (asserted). */
uint64_t cons_timer(sim_node *node, int64_t delay_ns, const char *name, uint64_t arg);
void cons_annotatef(sim_node *node, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Uniform in [0, n) from the node's own stream; 0 when n <= 0. */
int64_t cons_jitter(sim_node *node, int64_t n);
/* A stable 64-bit hash of text (FNV-1a, mixed), for the log chain hashes. */
uint64_t cons_hash_text(uint64_t seed, const char *text);
/* Simulated time as "72.112ms" (integer arithmetic: the same text everywhere). */
void cons_time_text(int64_t ns, char *buf, size_t n);

/* ---- options ------------------------------------------------------------------------ */

/* options[key], a string that must be one of choices (NULL-terminated); *out is its
 * index. Absent: *out unchanged. 0, or SIM_EINVAL naming the key and the choices. */
int cons_option_choice(const cJSON *options, const char *key, const char *const *choices,
                       int *out, char *err, size_t errlen);
/* options[key], a probability number in [0, 1] or text like "5%". */
int cons_option_prob(const cJSON *options, const char *key, double *out, char *err, size_t errlen);
/* Checks a duration option read earlier lies in (0, 1000h]. */
int cons_option_positive(const char *key, int64_t ns, char *err, size_t errlen);

#endif
