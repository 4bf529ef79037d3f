/*
 * The pieces of the two-phase commit program shared by its two files (not a
 * public API): twopc.c (the coordinator, the program, options, the checker's
 * probe) and twopc_participant.c.
 */
#ifndef SIM_SYSTEMS_TWOPC_INTERNAL_H
#define SIM_SYSTEMS_TWOPC_INTERNAL_H

#include <cJSON.h>

#include "sim/systems/twopc/twopc.h"

/* Disk key of a transaction's record: "txn/00000003". */
void tp_key(char *buf, size_t n, int64_t txn);
/* The transaction with this id, or NULL when out of range. */
twopc_txn *tp_txn(twopc_state *st, int64_t txn);
/* Records that txn reached COMMITTED or ABORTED here (for the checker). */
void tp_note_decision(twopc_state *st, int64_t txn);

/* twopc_participant.c */
void tp_participant_load(sim_node *node, twopc_state *st);
void tp_on_prepare(sim_node *node, twopc_state *st, const cJSON *in);
void tp_on_decision(sim_node *node, twopc_state *st, const cJSON *in);
void tp_participant_tick(sim_node *node, twopc_state *st);

#endif
