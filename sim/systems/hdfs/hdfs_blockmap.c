/*
 * The name node's block map: which data nodes hold which block, learnt only from
 * the data nodes (block reports, block_received) and never logged, as in HDFS;
 * heartbeats and dead-node detection; replica placement; the replication
 * monitor that brings every block back to its replication factor.
 *
 * Placement (HDFS's default policy): the first replica on the writer when the
 * writer is a data node (a MapReduce reducer), else on a random node; the
 * second on another rack; the third on the second's rack, another node; more at
 * random. A rack's death therefore never takes every replica of a block.
 *
 * Re-replication: a dead node's blocks (and blocks with a corrupt replica) go on
 * the queue; each monitor tick walks it and, for each block still short, orders
 * one good holder to copy it to new targets, at most `streams` orders per source
 * per tick (HDFS's maxReplicationStreams); an order not confirmed by a
 * block_received within three ticks is given again elsewhere. Cost: a walk of
 * the queue per tick, O(queue), no allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/hdfs/hdfs_nn.h"

uint16_t nn_rack(hdfs_nn *nn, const char *name)
{
    for (uint32_t i = 0; i < nn->nracks; i++)
        if (!strcmp(nn->racks[i], name)) return (uint16_t)i;
    if (nn->nracks == 64) return 63;             /* more racks than the table: share the last */
    snprintf(nn->racks[nn->nracks], sizeof(nn->racks[0]), "%s", name);
    return (uint16_t)nn->nracks++;
}

nn_dn *nn_dn_of(hdfs_nn *nn, sim_node_id id)
{
    if (id >= nn->ndns) {
        uint32_t n = id + 1 > 2 * nn->ndns ? id + 1 : 2 * nn->ndns;
        nn->dns = realloc(nn->dns, n * sizeof(*nn->dns));
        SIM_ASSERT(nn->dns != NULL);
        memset(nn->dns + nn->ndns, 0, (n - nn->ndns) * sizeof(*nn->dns));
        nn->ndns = n;
    }
    return &nn->dns[id];
}

static bool live(const hdfs_nn *nn, sim_node_id id)
{
    return id < nn->ndns && nn->dns[id].state == 1;
}

int nn_good(const hdfs_nn *nn, const nn_block *b)
{
    int n = 0;
    for (int i = 0; i < b->nlocs; i++) n += !(b->corrupt_mask >> i & 1) && live(nn, b->locs[i]);
    return n;
}

void nn_enqueue(hdfs_nn *nn, uint32_t id)
{
    nn_block *b = &nn->blocks[id];
    if (b->queued) return;
    if (nn->nqueue == nn->capqueue) {
        nn->capqueue = nn->capqueue ? 2 * nn->capqueue : 1024;
        nn->queue = realloc(nn->queue, nn->capqueue * sizeof(*nn->queue));
        SIM_ASSERT(nn->queue != NULL);
    }
    nn->queue[nn->nqueue++] = id;
    b->queued = 1;
}

void nn_add_loc(hdfs_nn *nn, uint32_t id, sim_node_id node)
{
    nn_block *b = &nn->blocks[id];
    for (int i = 0; i < b->nlocs; i++)
        if (b->locs[i] == node) return;
    if (b->nlocs == HDFS_MAX_LOCS) return;
    if (b->nlocs == 0) nn->reported++;
    b->locs[b->nlocs++] = node;
    nn_dn *d = nn_dn_of(nn, node);
    if (d->nblocks == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->blocks = realloc(d->blocks, d->cap * sizeof(*d->blocks));
        SIM_ASSERT(d->blocks != NULL);
    }
    d->blocks[d->nblocks++] = id;
}

void nn_remove_loc(hdfs_nn *nn, uint32_t id, sim_node_id node)
{
    nn_block *b = &nn->blocks[id];
    for (int i = 0; i < b->nlocs; i++) {
        if (b->locs[i] != node) continue;
        uint8_t low = b->corrupt_mask & (uint8_t)((1u << i) - 1), high = (uint8_t)(b->corrupt_mask >> (i + 1));
        memmove(&b->locs[i], &b->locs[i + 1], (size_t)(b->nlocs - i - 1) * sizeof(b->locs[0]));
        b->corrupt_mask = (uint8_t)(low | high << i);
        if (--b->nlocs == 0) nn->reported--;
        return;
    }
}

/* A random live data node satisfying the rule (rack == want, != avoid), not in chosen. */
static sim_node_id pick(sim_node *node, hdfs_nn *nn, int want_rack, int avoid_rack, const sim_node_id *chosen,
                        int nchosen)
{
    if (nn->nmembers == 0) return SIM_NODE_NONE;
    uint32_t start = (uint32_t)sim_rng_below(sim_self_rng(node), nn->nmembers);
    for (uint32_t k = 0; k < 32 + nn->nmembers; k++) {
        /* random draws first (cheap with 42,000 nodes), then a scan to be sure */
        uint32_t i = k < 32 ? (uint32_t)sim_rng_below(sim_self_rng(node), nn->nmembers) : (start + k - 32) % nn->nmembers;
        sim_node_id id = nn->members[i];
        if (!live(nn, id)) continue;
        int rack = nn->dns[id].rack;
        if ((want_rack >= 0 && rack != want_rack) || (avoid_rack >= 0 && rack == avoid_rack)) continue;
        bool taken = false;
        for (int j = 0; j < nchosen; j++) taken |= chosen[j] == id;
        if (!taken) return id;
    }
    return SIM_NODE_NONE;
}

int nn_choose(sim_node *node, hdfs_nn *nn, sim_node_id writer, int n, sim_node_id *out)
{
    int got = 0;
    while (got < n) {
        sim_node_id id = SIM_NODE_NONE;
        if (got == 0 && live(nn, writer)) id = writer;
        else if (got == 1) id = pick(node, nn, -1, nn->dns[out[0]].rack, out, got);   /* off the first's rack */
        else if (got == 2) id = pick(node, nn, nn->dns[out[1]].rack, -1, out, got);  /* beside the second */
        if (id == SIM_NODE_NONE) id = pick(node, nn, -1, -1, out, got);
        if (id == SIM_NODE_NONE) break;
        out[got++] = id;
    }
    return got;
}

static void dn_register(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, bool reporting)
{
    nn_dn *d = nn_dn_of(nn, from);
    if (d->state == 0) {
        if (nn->nmembers == nn->capmembers) {
            nn->capmembers = nn->capmembers ? 2 * nn->capmembers : 64;
            nn->members = realloc(nn->members, nn->capmembers * sizeof(*nn->members));
            SIM_ASSERT(nn->members != NULL);
        }
        nn->members[nn->nmembers++] = from;
    }
    const char *rack = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "rack"));
    d->rack = nn_rack(nn, rack ? rack : "/default");
    d->last_heartbeat_ns = sim_now_ns(sim_of(node));
    if (d->state == 1) return;
    if (d->state == 2) sim_log(node, "%s is back", sim_node_name(sim_of(node), from));
    d->state = 1;
    nn->live++;
    if (reporting) return;
    cJSON *r = cJSON_CreateObject();                  /* a node we do not know: tell us what you hold */
    cJSON_AddStringToObject(r, "type", "send_report");
    hdfs_send(node, from, r, 0);
    cJSON_Delete(r);
}

static bool valid(const hdfs_nn *nn, uint64_t id)
{
    return id > 0 && id < nn->nblocks && nn->blocks[id].target > 0 && !nn->files[nn->blocks[id].file].deleted;
}

static void block_report(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m)
{
    dn_register(node, nn, from, m, true);
    cJSON *stale = cJSON_CreateArray();
    const cJSON *pair;
    cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(m, "blocks")) {
        uint64_t id = (uint64_t)cJSON_GetArrayItem(pair, 0)->valuedouble;
        if (valid(nn, id)) nn_add_loc(nn, (uint32_t)id, from);
        else cJSON_AddItemToArray(stale, cJSON_CreateNumber((double)id));
    }
    if (cJSON_GetArraySize(stale) > 0) {             /* blocks of deleted files: remove them */
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "type", "delete_blocks");
        cJSON_AddItemToObject(r, "blocks", stale);
        hdfs_send(node, from, r, 0);
        cJSON_Delete(r);
    } else cJSON_Delete(stale);
    if (nn->safemode && (uint64_t)nn->reported * 100 >= (uint64_t)(nn->nblocks - 1) * (uint64_t)nn->cfg->safemode_pct) {
        nn->safemode = false;
        sim_log(node, "leaving safe mode: %u of %u blocks reported", nn->reported, nn->nblocks - 1);
    }
}

void nn_dn_message(sim_node *node, hdfs_nn *nn, const sim_msg *msg, const cJSON *m, const char *type)
{
    uint64_t id = (uint64_t)sim_json_int(m, "block", 0);
    if (!strcmp(type, "heartbeat")) dn_register(node, nn, msg->from, m, false);
    else if (!strcmp(type, "block_report")) block_report(node, nn, msg->from, m);
    else if (!strcmp(type, "block_received") && valid(nn, id)) {
        nn_add_loc(nn, (uint32_t)id, msg->from);
        if (nn->blocks[id].pending_until_s) nn->re_replicated++, nn->blocks[id].pending_until_s = 0;
    } else if (!strcmp(type, "bad_block") && valid(nn, id)) {
        nn_block *b = &nn->blocks[id];
        sim_node_id bad = (sim_node_id)sim_json_int(m, "node", SIM_NODE_NONE);
        for (int i = 0; i < b->nlocs; i++)
            if (b->locs[i] == bad && !(b->corrupt_mask >> i & 1)) b->corrupt_mask |= (uint8_t)(1u << i), nn->corrupt_found++;
        nn_enqueue(nn, (uint32_t)id);
    }
}

void nn_check_dead(sim_node *node, hdfs_nn *nn)
{
    int64_t now = sim_now_ns(sim_of(node));
    for (uint32_t k = 0; k < nn->nmembers; k++) {
        nn_dn *d = &nn->dns[nn->members[k]];
        if (d->state != 1 || now - d->last_heartbeat_ns <= nn->cfg->dead_after_ns) continue;
        d->state = 2;
        nn->live--, nn->dead_total++;
        nn->last_death_ns = now;
        for (uint32_t i = 0; i < d->nblocks; i++) {
            uint32_t id = d->blocks[i];
            nn_remove_loc(nn, id, nn->members[k]);
            if (valid(nn, id) && nn_good(nn, &nn->blocks[id]) < nn->blocks[id].target) nn_enqueue(nn, id);
        }
        d->nblocks = 0;
    }
}

/* Removes the corrupt replicas of a block that has enough good ones again. */
static void drop_corrupt(sim_node *node, hdfs_nn *nn, uint32_t id)
{
    nn_block *b = &nn->blocks[id];
    for (int i = b->nlocs - 1; i >= 0; i--) {
        if (!(b->corrupt_mask >> i & 1)) continue;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "type", "delete_blocks");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(r, "blocks"), cJSON_CreateNumber(id));
        hdfs_send(node, b->locs[i], r, 0);
        cJSON_Delete(r);
        nn_remove_loc(nn, id, b->locs[i]);
    }
}

/* One order for block id: returns false when it must wait (no source free). */
static bool order_copy(sim_node *node, hdfs_nn *nn, uint32_t id, int good, int64_t now_s)
{
    nn_block *b = &nn->blocks[id];
    sim_node_id src = SIM_NODE_NONE, chosen[HDFS_MAX_LOCS];
    int n = 0;
    for (int i = 0; i < b->nlocs; i++) {
        if ((b->corrupt_mask >> i & 1) || !live(nn, b->locs[i])) continue;
        chosen[n++] = b->locs[i];
        if (src == SIM_NODE_NONE && nn->dns[b->locs[i]].started_this_tick < nn->cfg->streams) src = b->locs[i];
    }
    for (int i = 0; i < b->nlocs; i++)
        if (b->corrupt_mask >> i & 1) chosen[n++] = b->locs[i];   /* never a target again */
    if (src == SIM_NODE_NONE) return false;
    /* the first new replica off the rack of the good ones when they share one */
    bool one_rack = true;
    for (int i = 1; i < good; i++) one_rack &= nn->dns[chosen[i]].rack == nn->dns[chosen[0]].rack;
    int got = n;
    for (int j = 0; j < b->target - good && got < HDFS_MAX_LOCS; j++) {
        sim_node_id t = SIM_NODE_NONE;
        if (j == 0 && one_rack) t = pick(node, nn, -1, nn->dns[chosen[0]].rack, chosen, got);
        if (t == SIM_NODE_NONE) t = pick(node, nn, -1, -1, chosen, got);
        if (t == SIM_NODE_NONE) break;
        chosen[got++] = t;
    }
    if (got == n) return false;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "type", "replicate");
    cJSON_AddNumberToObject(r, "block", id);
    cJSON *targets = cJSON_AddArrayToObject(r, "targets");
    for (int i = n; i < got; i++) cJSON_AddItemToArray(targets, cJSON_CreateNumber(chosen[i]));
    hdfs_send(node, src, r, 0);
    cJSON_Delete(r);
    nn->dns[src].started_this_tick++;
    b->pending_until_s = (int32_t)(now_s + 3 * nn->cfg->monitor_ns / SIM_NS_PER_S + 1);
    return true;
}

void nn_monitor(sim_node *node, hdfs_nn *nn)
{
    if (nn->safemode) return;
    int64_t now = sim_now_ns(sim_of(node)), now_s = now / SIM_NS_PER_S;
    for (uint32_t k = 0; k < nn->nmembers; k++) nn->dns[nn->members[k]].started_this_tick = 0;
    bool had = nn->nqueue > 0;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < nn->nqueue; i++) {
        uint32_t id = nn->queue[i];
        nn_block *b = &nn->blocks[id];
        int good = valid(nn, id) ? nn_good(nn, b) : b->target;
        if (good >= b->target) {
            if (valid(nn, id)) drop_corrupt(node, nn, id);
            b->queued = 0, b->pending_until_s = 0;
            continue;
        }
        nn->queue[kept++] = id;
        if (good == 0 || b->pending_until_s > now_s) continue;      /* missing, or a copy under way */
        order_copy(node, nn, id, good, now_s);
    }
    nn->nqueue = kept;
    if (had && kept == 0) nn->replicated_ns = now;
}

void nn_blockmap_free(hdfs_nn *nn)
{
    for (uint32_t i = 0; i < nn->ndns; i++) free(nn->dns[i].blocks);
    free(nn->dns), free(nn->members), free(nn->queue);
}

void hdfs_nn_preload(hdfs_nn *nn, const hdfs_config *dn, uint32_t per_file)
{
    char path[64], stand_in[64];
    uint32_t file = 0;
    for (uint64_t b = 1; b <= dn->implicit_blocks; b++) {
        if ((b - 1) % per_file == 0) {
            snprintf(path, sizeof(path), "/bench/f%07llu", (unsigned long long)((b - 1) / per_file));
            file = hdfs_nn_add_file(nn, path, 3);
            nn->files[file].complete = true;
        }
        uint32_t id = hdfs_nn_add_block(nn, file, dn->implicit_len, 3);
        SIM_ASSERT(id == b);
        int n = hdfs_synthetic(stand_in, sizeof(stand_in), b, dn->implicit_len);
        nn->blocks[id].checksum = hdfs_checksum(stand_in, (size_t)n);
        sim_node_id locs[3];
        hdfs_implicit_locs(dn, b, locs);
        for (int k = 0; k < 3; k++) nn_add_loc(nn, id, locs[k]);
    }
}
