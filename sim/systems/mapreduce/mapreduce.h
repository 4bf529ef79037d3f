/*
 * mapreduce: the 2004 paper's MapReduce over the hdfs system. A master and
 * workers; every worker is also an HDFS data node (same machine, so a map task
 * scheduled where its block is reads it from the local disk). The protocol and
 * the master's state machine are drawn in mapreduce.c.
 */
#ifndef SIM_SYSTEMS_MAPREDUCE_H
#define SIM_SYSTEMS_MAPREDUCE_H

#include <cJSON.h>

#include "sim/systems/hdfs/hdfs.h"

#define MR_MAX_REDUCERS 256

typedef enum mr_role { MR_MASTER, MR_WORKER } mr_role;

typedef struct mr_config {
    mr_role role;
    hdfs_config hdfs;                    /* the worker's data node and client; the master's client */
    char master[64];                     /* the master's node name */
    char map[40], reduce[40], combine[40], partition[40];   /* user code handles ("" = none) */
    int64_t reducers;
    bool locality, backups, reexecute;
    int64_t cpu_per_mb_ns;               /* compute time of a task per MiB of its input */
    int64_t slow;                        /* a straggler: this worker computes slow times slower */
    int64_t worker_heartbeat_ns, worker_timeout_ns;
} mr_config;

typedef enum { T_PENDING, T_RUNNING, T_DONE } mr_task_state;

typedef struct mr_task {
    uint8_t state, copies;               /* copies: attempts running now (a backup makes 2) */
    bool backed_up;
    sim_node_id worker, worker2;         /* where it runs (worker2: the backup) / where its output is */
    uint32_t attempts;
    uint64_t block, len, offset;
    sim_node_id locs[HDFS_MAX_LOCS];
    uint8_t nlocs;
    int64_t started_ns;
} mr_task;

typedef struct mr_wk {                   /* a worker as the master knows it */
    sim_node_id id;
    char rack[32];
    int64_t last_ns;
    bool dead, busy;
} mr_wk;

typedef struct mr_master {
    hdfs_client cl;
    int phase;                           /* MP_* in mr_master.c */
    cJSON *job, *inputs;                 /* the job message; its input paths */
    int next_input;
    uint64_t input_offset;
    char output[200];
    mr_task *maps, reduces[MR_MAX_REDUCERS];
    uint32_t nmaps, capmaps, maps_done, reduces_done;
    mr_wk *workers;
    uint32_t nworkers, capworkers;
    cJSON *waiting;                      /* [[task, reducer]]: reducers waiting for a lost map */
    int64_t started_ns, finished_ns;
    int64_t task_ns[2], tasks_timed[2];     /* time of finished map [0] and reduce [1] tasks */
    int64_t node_local, rack_local, remote, map_attempts, reduce_attempts, reexecuted, backups, backup_wins;
    int64_t shuffle_bytes, input_bytes, output_records;
    char error[300];
} mr_master;

typedef struct mr_output { uint32_t task; char **parts; } mr_output;   /* a finished map's R partitions */

typedef struct mr_worker {
    hdfs_dn dn;
    hdfs_client cl;
    sim_node_id master;
    bool busy, reduce;                   /* the one task slot */
    uint32_t task;
    cJSON *spec;                         /* the assignment */
    uint64_t read_req;                   /* map: the block read in flight */
    uint32_t ri;
    cJSON *pairs;                        /* reduce: fetched pairs so far */
    bool *fetched;
    uint32_t nsources, nfetched;
    char *result;                        /* reduce: the output text */
    char **parts;                        /* map: the output being computed */
    mr_output *outs;
    uint32_t nouts, capouts;
    int64_t maps_run, reduces_run, local_bytes, remote_bytes, fetched_bytes, fetched_bytes_task;
} mr_worker;

typedef struct mr_state {
    const mr_config *cfg;
    mr_master m;
    mr_worker w;
} mr_state;

void mr_master_start(sim_node *node, mr_state *st);
void mr_master_receive(sim_node *node, mr_state *st, const sim_msg *msg, const cJSON *m, const char *type);
void mr_master_timer(sim_node *node, mr_state *st, const char *name, uint64_t arg);
void mr_master_stop(mr_state *st);
cJSON *mr_master_state(const mr_state *st);

void mr_worker_start(sim_node *node, mr_state *st);
void mr_worker_receive(sim_node *node, mr_state *st, const sim_msg *msg, const cJSON *m, const char *type);
void mr_worker_timer(sim_node *node, mr_state *st, const char *name, uint64_t arg);
void mr_worker_stop(mr_state *st);
cJSON *mr_worker_state(const mr_state *st);

/* Worker internals shared by mr_worker.c and mr_shuffle.c. */
void mr_send_typed(sim_node *node, sim_node_id to, cJSON *o, const char *type, uint64_t wire);
void mr_idle(sim_node *node, mr_worker *w);
void mr_failed(sim_node *node, mr_worker *w, const char *error, bool user);
int64_t mr_compute_ns(const mr_config *cfg, uint64_t bytes);
/* Fetches map task i's bucket from worker (-1: unknown, ask the master). */
void mr_fetch(sim_node *node, mr_state *st, uint32_t i, int64_t worker);
void mr_shuffle_receive(sim_node *node, mr_state *st, const sim_msg *msg, const cJSON *m, const char *type);
void mr_fetch_timeout(sim_node *node, mr_state *st, uint64_t arg);
void mr_reduce_computed(sim_node *node, mr_state *st);

/* Groups [[k, v]...] by key (keys compared by their canonical JSON) and calls
 * handle(key, values) once per key, in key order: a new [[k, v']...] or NULL
 * with err set ("reduce: file:line: message"). */
cJSON *mr_group_call(sim_node *node, const char *what, const char *handle, const cJSON *pairs, char *err,
                     size_t errlen);
/* The partition (0..R-1) of a key: the user's function, else a hash. */
int mr_partition(sim_node *node, const mr_config *cfg, const cJSON *key, char *err, size_t errlen);

#endif
