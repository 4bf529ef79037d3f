/*
 * hdfs: an HDFS-style distributed file system (name node, data nodes, client
 * library). One C program whose `role` option picks the part a node plays; the
 * data node and the client are also libraries that another system embeds (a
 * MapReduce worker is a data node and an HDFS client on the same machine, which
 * is what makes its reads node-local). The protocol and the state machines are
 * drawn in hdfs.c; this header is what the parts and their embedders share.
 */
#ifndef SIM_SYSTEMS_HDFS_H
#define SIM_SYSTEMS_HDFS_H

#include <cJSON.h>

#include "sim/sim.h"
#include "sim/strmap.h"

#define HDFS_MAX_REPLICATION 8
#define HDFS_MAX_LOCS 8           /* replicas a block may have at once (incl. corrupt, extra) */

typedef enum hdfs_role { HDFS_NAMENODE, HDFS_DATANODE, HDFS_CLIENT } hdfs_role;

typedef struct hdfs_config {
    hdfs_role role;
    char rack[32];                /* a data node's or client's rack ("/r1") */
    char namenode[64];            /* the name node's node name */
    int64_t replication;          /* default replication factor of new files */
    int64_t block_size;           /* bytes */
    int64_t heartbeat_ns, dead_after_ns, block_report_ns, monitor_ns, timeout_ns;
    int64_t streams;              /* re-replications a source starts per monitor tick */
    int64_t safemode_pct;         /* a restarted name node leaves safe mode at this % reported */
    /* Benchmarks only, never an option: data nodes implicit_first .. + racks *
     * per_rack - 1 (rack by rack, in id order) hold implicit_blocks size-only
     * blocks (ids 1..N) of implicit_len bytes, placed by hdfs_implicit_locs, as
     * if their disks had been filled before the run: 30 million disk entries
     * would not fit in memory, one formula does. */
    uint64_t implicit_blocks, implicit_len;
    uint32_t implicit_first, implicit_racks, implicit_per_rack;
} hdfs_config;

/* The 3 data nodes of implicit block b: two racks, the HDFS pattern. */
void hdfs_implicit_locs(const hdfs_config *c, uint64_t b, sim_node_id out[3]);

/* The options every part understands (also mapreduce's, for its embedded parts). */
extern const char *const hdfs_option_names[];
void hdfs_config_default(hdfs_config *c);
/* Reads the hdfs options present in options into c; 0 or SIM_EINVAL with err. */
int hdfs_config_parse(const cJSON *options, hdfs_config *c, char *err, size_t errlen);

/* FNV-1a over the block's bytes: the stand-in for HDFS's CRC32C per 512 bytes. */
uint32_t hdfs_checksum(const void *data, size_t len);
/* The bytes a size-only block stands for on disk ("synthetic:ID:LEN"). */
int hdfs_synthetic(char *out, size_t cap, uint64_t block, uint64_t len);
/* The name node's id (SIM_NODE_NONE when no node has that name). */
sim_node_id hdfs_namenode_id(sim_node *node, const hdfs_config *cfg);
/* Sends a JSON message whose size on the wire is at least wire_bytes. */
void hdfs_send(sim_node *node, sim_node_id to, cJSON *msg, uint64_t wire_bytes);

/* ---- the name node (hdfs_namenode.c) ---- */

typedef struct nn_block {
    uint64_t len;
    uint32_t checksum, file;
    uint8_t target, nlocs, queued, corrupt_mask;     /* corrupt_mask: bit i = locs[i] is bad */
    int32_t pending_until_s;                          /* a re-replication in flight until then */
    sim_node_id locs[HDFS_MAX_LOCS];
} nn_block;

typedef struct nn_file {
    char *path;
    uint32_t *blocks;
    uint32_t nblocks, cap;
    uint64_t len;
    uint8_t replication;
    bool complete, deleted;
    sim_node_id writer;             /* the lease: who may add blocks and complete (not logged) */
} nn_file;

typedef struct nn_dn {              /* a data node as the name node knows it */
    int64_t last_heartbeat_ns;
    uint32_t *blocks;               /* blocks reported here (may hold stale ids: checked on use) */
    uint32_t nblocks, cap;
    uint16_t rack;
    uint8_t state;                  /* 0 unknown, 1 live, 2 dead */
    uint8_t started_this_tick;
} nn_dn;

typedef struct hdfs_nn {
    const hdfs_config *cfg;
    nn_block *blocks;               /* by id; id 0 unused */
    uint32_t nblocks, capblocks;
    nn_file *files;
    uint32_t nfiles, capfiles;
    strmap paths;                   /* path -> file index */
    nn_dn *dns;                     /* by node id */
    uint32_t ndns;
    sim_node_id *members;           /* data nodes ever heard of, in first-heard order */
    uint32_t nmembers, capmembers;
    char racks[64][32];
    uint32_t nracks;
    uint32_t *queue;                /* under-replicated blocks */
    uint32_t nqueue, capqueue;
    uint64_t edits;                 /* edit log records */
    bool safemode;
    uint32_t reported;              /* blocks with at least one live replica */
    uint32_t live;
    int64_t last_death_ns, replicated_ns, dead_total, re_replicated, corrupt_found;
    int64_t requests, refused;
} hdfs_nn;

void hdfs_nn_start(sim_node *node, hdfs_nn *nn, const hdfs_config *cfg);
void hdfs_nn_receive(sim_node *node, hdfs_nn *nn, const sim_msg *msg, const cJSON *m, const char *type);
void hdfs_nn_timer(sim_node *node, hdfs_nn *nn, const char *name);
void hdfs_nn_stop(hdfs_nn *nn);
cJSON *hdfs_nn_state(const hdfs_nn *nn);
/* For a benchmark that starts from a loaded namespace: a file of nblocks blocks
 * of len bytes each, size-only, placed on the given data nodes (no edit log). */
uint32_t hdfs_nn_add_block(hdfs_nn *nn, uint32_t file, uint64_t len, uint8_t target);
uint32_t hdfs_nn_add_file(hdfs_nn *nn, const char *path, uint8_t replication);
/* Loads the implicit blocks of data-node config dn (and their replicas) into the
 * name node, in files of per_file blocks: the state block reports would build. */
void hdfs_nn_preload(hdfs_nn *nn, const hdfs_config *dn, uint32_t per_file);
/* The name node state of node id (a benchmark's handle on it), or NULL. */
hdfs_nn *hdfs_namenode_of(const sim *s, sim_node_id id);

/* ---- the data node (hdfs_datanode.c) ---- */

typedef struct dn_pipe { uint64_t block, req; sim_node_id upstream, client; } dn_pipe;

typedef struct hdfs_dn {
    const hdfs_config *cfg;
    sim_node_id nn;
    char stand_in[64];              /* an implicit block's bytes (benchmarks) */
    dn_pipe pipes[64];              /* writes waiting for the downstream ack */
    uint32_t npipes;
    int64_t written, served, replicated, corrupt_seen;
} hdfs_dn;

void hdfs_dn_start(sim_node *node, hdfs_dn *dn, const hdfs_config *cfg);
/* True when msg was a data node message (handled). */
bool hdfs_dn_receive(sim_node *node, hdfs_dn *dn, const hdfs_config *cfg, const sim_msg *msg, const cJSON *m,
                     const char *type);
bool hdfs_dn_timer(sim_node *node, hdfs_dn *dn, const hdfs_config *cfg, const char *name);
/* A block this node holds, checked: a malloc'ed copy of its bytes (a size-only
 * block's stand-in "synthetic:..."), or NULL with *ok false when it is missing
 * or corrupt. For node-local reads. */
char *hdfs_dn_read_local(sim_node *node, uint64_t block, uint64_t *len, bool *ok);

/* ---- the client library (hdfs_client.c) ---- */

typedef struct hdfs_result {
    const char *op, *path;
    bool ok;
    char error[200];
    char *data;                     /* read: the bytes (NULL for size-only files) */
    uint64_t len;
    uint32_t nblocks;
    cJSON *blocks;                  /* read_meta: [{id,len,checksum,locs:[names]}] */
    cJSON *entries;                 /* list: [{name, dir, len}] */
    int64_t latency_ns;
} hdfs_result;

typedef void (*hdfs_done_fn)(sim_node *node, void *owner, const hdfs_result *r);

typedef enum hdfs_op { HDFS_OP_WRITE, HDFS_OP_APPEND, HDFS_OP_READ, HDFS_OP_META, HDFS_OP_LIST, HDFS_OP_DELETE } hdfs_op;

typedef struct hdfs_client {
    const hdfs_config *cfg;
    sim_node_id nn;
    hdfs_done_fn done;
    void *owner;
    uint64_t next_req, req;         /* req: the request a reply must answer */
    bool busy;
    hdfs_op op;
    int phase;
    char *path;
    char *data;                     /* write: bytes (NULL: size-only) */
    uint64_t len, off, blen;
    int64_t replication, started_ns;
    int attempts;
    uint64_t block;                 /* the block being written or read */
    uint32_t bsum;
    cJSON *done_blocks;             /* write: [[id,len,sum]...]; read: get_ok's blocks */
    uint32_t bi, ri;                /* read: block index, replica index */
    char *out;                      /* read: bytes so far */
    size_t outlen, outcap;
    bool synthetic;
    bool overwrite;                 /* write: replace an existing file (set before start) */
    bool lines;                     /* write: cut blocks after a newline (line records whole) */
    hdfs_result res;
} hdfs_client;

void hdfs_client_init(sim_node *node, hdfs_client *cl, const hdfs_config *cfg, hdfs_done_fn done, void *owner);
/* Starts an operation (the client must be idle: !cl->busy). data may be NULL
 * for a size-only write of len bytes. replication 0: the config's. */
void hdfs_client_start(sim_node *node, hdfs_client *cl, hdfs_op op, const char *path, const char *data,
                       uint64_t len, int64_t replication);
bool hdfs_client_receive(sim_node *node, hdfs_client *cl, const sim_msg *msg, const cJSON *m, const char *type);
bool hdfs_client_timer(sim_node *node, hdfs_client *cl, const char *name, uint64_t arg);
void hdfs_client_free(hdfs_client *cl);

#endif
