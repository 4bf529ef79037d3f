/*
 * The pieces of a Multi-Paxos replica, shared by its files (not a public API):
 *
 *   multipaxos.c         the program: start, restart from disk, dispatch, timers,
 *                        options, local invariants, what the checker reads
 *   multipaxos_log.c     the acceptor and the learner of every slot, and the disk
 *   multipaxos_leader.c  elections (phase 1), proposals (phase 2), heartbeats,
 *                        catch-up and client requests
 *   multipaxos_kv.c      the key-value state machine and at-most-once sessions
 */
#ifndef SIM_SYSTEMS_MULTIPAXOS_INTERNAL_H
#define SIM_SYSTEMS_MULTIPAXOS_INTERNAL_H

#include <cJSON.h>

#include "sim/systems/multipaxos/multipaxos.h"

#define MP_SLOT_MAX (INT64_C(1) << 22)   /* far above any run's log */
#define MP_CATCHUP_BATCH 64               /* decided slots per catch-up answer */

/* multipaxos_log.c */
void mp_ensure(multipaxos_state *st, int64_t slot);
void mp_load(sim_node *node, multipaxos_state *st);
void mp_decide(sim_node *node, multipaxos_state *st, int64_t slot, const char *value);
void mp_on_prepare(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in);
void mp_on_accept(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in);
void mp_on_accepted(sim_node *node, multipaxos_state *st, size_t from, const cJSON *in);
void mp_log_free(multipaxos_state *st);

/* multipaxos_leader.c */
void mp_step_down(sim_node *node, multipaxos_state *st, cons_ballot seen);
void mp_campaign(sim_node *node, multipaxos_state *st);
void mp_resume_leadership(sim_node *node, multipaxos_state *st, cons_ballot ballot);
void mp_on_promise(sim_node *node, multipaxos_state *st, size_t from, const cJSON *in);
void mp_on_nack(sim_node *node, multipaxos_state *st, const cJSON *in);
void mp_on_heartbeat(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in);
void mp_on_catchup(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in);
void mp_on_decided(sim_node *node, multipaxos_state *st, const cJSON *in);
void mp_on_request(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in);
void mp_heartbeat_tick(sim_node *node, multipaxos_state *st);
void mp_retransmit_tick(sim_node *node, multipaxos_state *st);

/* multipaxos_kv.c */
void mp_apply(sim_node *node, multipaxos_state *st, int64_t slot);
/* The result of client's request seq when it is the client's last applied one. */
const char *mp_session_result(const multipaxos_state *st, int64_t client, int64_t seq);
int64_t mp_session_seq(const multipaxos_state *st, int64_t client);
void mp_send_reply(sim_node *node, int64_t client, int64_t seq, const char *result);
void mp_kv_free(multipaxos_state *st);

#endif
