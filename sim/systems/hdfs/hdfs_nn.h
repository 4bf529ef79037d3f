/*
 * The name node's parts, shared by its two files: hdfs_namenode.c (namespace,
 * edit log, the client's requests) and hdfs_blockmap.c (replica locations,
 * heartbeats, placement, re-replication).
 */
#ifndef SIM_SYSTEMS_HDFS_NN_H
#define SIM_SYSTEMS_HDFS_NN_H

#include "sim/systems/hdfs/hdfs.h"

uint16_t nn_rack(hdfs_nn *nn, const char *name);
nn_dn *nn_dn_of(hdfs_nn *nn, sim_node_id id);
int nn_good(const hdfs_nn *nn, const nn_block *b);        /* good replicas on live nodes */
void nn_enqueue(hdfs_nn *nn, uint32_t id);
void nn_add_loc(hdfs_nn *nn, uint32_t id, sim_node_id node);
void nn_remove_loc(hdfs_nn *nn, uint32_t id, sim_node_id node);
/* Up to n targets for a new block written by writer (placement policy). */
int nn_choose(sim_node *node, hdfs_nn *nn, sim_node_id writer, int n, sim_node_id *out);
void nn_dn_message(sim_node *node, hdfs_nn *nn, const sim_msg *msg, const cJSON *m, const char *type);
void nn_check_dead(sim_node *node, hdfs_nn *nn);
void nn_monitor(sim_node *node, hdfs_nn *nn);
void nn_blockmap_free(hdfs_nn *nn);

#endif
