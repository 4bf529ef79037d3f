/*
 * The name node's namespace and edit log. Files are paths ("/books/moby.txt";
 * directories are the prefixes, as listing shows them) with a block list, a
 * length and a replication factor. Every change is one JSON record appended to
 * the edit log on the node's disk ("e/0000000000000042") and synced BEFORE the
 * reply leaves: a restart replays the log and so knows every file whose write
 * was acknowledged. What it does not know after a restart is where the blocks
 * are: it waits in safe mode (no re-replication, no writes) until the data
 * nodes' block reports cover `safemode_pct` of the blocks, as HDFS does.
 *
 * One writer at a time: create and reopen give the writer the file's lease
 * (volatile, as HDFS's leases are); add_block and complete from anyone else fail.
 * Replies carry the request's `req`; errors are {type:"error", req, text} with a
 * text that names the parameter ("replication 4 is above the 3 live data nodes").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/hdfs/hdfs_nn.h"

static int64_t find(const hdfs_nn *nn, const char *path)
{
    uint32_t i;
    if (!strmap_get(&nn->paths, path, &i) || nn->files[i].deleted) return -1;
    return i;
}

uint32_t hdfs_nn_add_file(hdfs_nn *nn, const char *path, uint8_t replication)
{
    uint32_t i;
    if (!strmap_get(&nn->paths, path, &i)) {
        if (nn->nfiles == nn->capfiles) {
            nn->capfiles = nn->capfiles ? 2 * nn->capfiles : 64;
            nn->files = realloc(nn->files, nn->capfiles * sizeof(*nn->files));
            SIM_ASSERT(nn->files != NULL);
        }
        i = nn->nfiles++;
        memset(&nn->files[i], 0, sizeof(nn->files[i]));
        nn->files[i].path = strdup(path);
        SIM_ASSERT(strmap_put(&nn->paths, nn->files[i].path, i) == 0);
    }
    nn_file *f = &nn->files[i];
    f->nblocks = 0, f->len = 0, f->deleted = false, f->complete = false;
    f->replication = replication;
    f->writer = SIM_NODE_NONE;
    return i;
}

uint32_t hdfs_nn_add_block(hdfs_nn *nn, uint32_t file, uint64_t len, uint8_t target)
{
    if (nn->nblocks == 0) nn->nblocks = 1;                /* id 0 means none */
    if (nn->nblocks >= nn->capblocks) {
        nn->capblocks = nn->capblocks ? 2 * nn->capblocks : 1024;
        nn->blocks = realloc(nn->blocks, nn->capblocks * sizeof(*nn->blocks));
        SIM_ASSERT(nn->blocks != NULL);
    }
    uint32_t id = nn->nblocks++;
    memset(&nn->blocks[id], 0, sizeof(nn->blocks[id]));
    nn->blocks[id].file = file, nn->blocks[id].len = len, nn->blocks[id].target = target;
    nn_file *f = &nn->files[file];
    if (f->nblocks == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 8;
        f->blocks = realloc(f->blocks, f->cap * sizeof(*f->blocks));
        SIM_ASSERT(f->blocks != NULL);
    }
    f->blocks[f->nblocks++] = id;
    f->len += len;
    return id;
}

/* Applies one edit record (live or replayed). */
static void apply(hdfs_nn *nn, const cJSON *e)
{
    const char *op = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "op"));
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "path"));
    if (!op || !path) return;
    if (!strcmp(op, "create")) { hdfs_nn_add_file(nn, path, (uint8_t)sim_json_int(e, "rep", 3)); return; }
    int64_t fi = find(nn, path);
    if (fi < 0) return;
    nn_file *f = &nn->files[fi];
    if (!strcmp(op, "reopen")) f->complete = false;
    else if (!strcmp(op, "delete")) {
        f->deleted = true;
        for (uint32_t i = 0; i < f->nblocks; i++) nn->blocks[f->blocks[i]].target = 0;   /* orphans from now on */
    }
    else if (!strcmp(op, "add_block")) hdfs_nn_add_block(nn, (uint32_t)fi, 0, f->replication);
    else if (!strcmp(op, "abandon") && f->nblocks > 0) nn->blocks[f->blocks[--f->nblocks]].target = 0;
    else if (!strcmp(op, "complete")) {
        const cJSON *b;
        f->len = 0;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(e, "blocks")) {
            uint64_t id = (uint64_t)cJSON_GetArrayItem(b, 0)->valuedouble;
            if (id == 0 || id >= nn->nblocks) continue;
            nn->blocks[id].len = (uint64_t)cJSON_GetArrayItem(b, 1)->valuedouble;
            nn->blocks[id].checksum = (uint32_t)cJSON_GetArrayItem(b, 2)->valuedouble;
        }
        for (uint32_t i = 0; i < f->nblocks; i++) f->len += nn->blocks[f->blocks[i]].len;
        f->complete = true;
    }
}

/* Appends e to the edit log, syncs, applies: after this the change survives a crash. */
static void commit(sim_node *node, hdfs_nn *nn, const cJSON *e)
{
    char key[32], *text = sim_json_encode(e);
    SIM_ASSERT(text != NULL);
    snprintf(key, sizeof(key), "e/%016llu", (unsigned long long)++nn->edits);
    sim_disk_write(sim_self_disk(node), key, text, strlen(text));
    sim_disk_sync(sim_self_disk(node));
    free(text);
    apply(nn, e);
}

static void replay(sim_node *node, hdfs_nn *nn)
{
    const sim_disk *d = sim_self_disk(node);
    for (size_t i = 0; i < sim_disk_count(d); i++) {
        size_t len;
        const void *text = sim_disk_read(d, sim_disk_key_at(d, i), &len);
        cJSON *e = cJSON_ParseWithLength(text, len);
        if (e) apply(nn, e), nn->edits++;
        cJSON_Delete(e);
    }
}

static void reply(sim_node *node, sim_node_id to, const cJSON *req, cJSON *m)
{
    cJSON_AddNumberToObject(m, "req", (double)sim_json_int(req, "req", 0));
    hdfs_send(node, to, m, 0);
    cJSON_Delete(m);
}

static cJSON *typed(const char *type)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "type", type);
    return m;
}

static void fail(sim_node *node, hdfs_nn *nn, sim_node_id to, const cJSON *req, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    cJSON *m = typed("error");
    cJSON_AddStringToObject(m, "text", text);
    nn->refused++;
    reply(node, to, req, m);
}

static void edit(sim_node *node, hdfs_nn *nn, const char *op, const char *path, int64_t n)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "op", op);
    cJSON_AddStringToObject(e, "path", path);
    if (!strcmp(op, "create")) cJSON_AddNumberToObject(e, "rep", (double)n);
    if (n > 0 && strcmp(op, "create")) cJSON_AddNumberToObject(e, "id", (double)n);
    commit(node, nn, e);
    cJSON_Delete(e);
}

static void add_block(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, nn_file *f, const char *path)
{
    uint64_t abandon = (uint64_t)sim_json_int(m, "abandon", 0);
    if (abandon && f->nblocks > 0 && f->blocks[f->nblocks - 1] == abandon) edit(node, nn, "abandon", path, (int64_t)abandon);
    sim_node_id targets[HDFS_MAX_LOCS];
    int n = nn_choose(node, nn, from, f->replication, targets);
    if (n == 0) return fail(node, nn, from, m, "no live data nodes to place a block on");
    edit(node, nn, "add_block", path, nn->nblocks ? nn->nblocks : 1);
    cJSON *r = typed("add_block_ok");
    cJSON_AddNumberToObject(r, "block", f->blocks[f->nblocks - 1]);
    cJSON *t = cJSON_AddArrayToObject(r, "targets");
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(t, cJSON_CreateNumber(targets[i]));
    reply(node, from, m, r);
}

static void complete(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, int64_t fi, const char *path)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "op", "complete");
    cJSON_AddStringToObject(e, "path", path);
    cJSON_AddItemToObject(e, "blocks", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "blocks"), true));
    commit(node, nn, e);
    cJSON_Delete(e);
    nn_file *f = &nn->files[fi];
    for (uint32_t i = 0; i < f->nblocks; i++)     /* a pipeline that lost a node: top it up */
        if (nn_good(nn, &nn->blocks[f->blocks[i]]) < f->replication) nn_enqueue(nn, f->blocks[i]);
    cJSON *r = typed("complete_ok");
    cJSON_AddNumberToObject(r, "len", (double)f->len);
    reply(node, from, m, r);
}

/* The replicas of block id, nearest to the reader first: its own node, its rack, the rest. */
static cJSON *locations(sim_node *node, hdfs_nn *nn, uint32_t id, sim_node_id reader, int rack)
{
    nn_block *b = &nn->blocks[id];
    cJSON *o = cJSON_CreateObject(), *locs = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "id", id);
    cJSON_AddNumberToObject(o, "len", (double)b->len);
    cJSON_AddNumberToObject(o, "sum", b->checksum);
    sim_node_id good[HDFS_MAX_LOCS];
    int n = 0;
    for (int i = 0; i < b->nlocs; i++)
        if (!(b->corrupt_mask >> i & 1) && nn->dns[b->locs[i]].state == 1) good[n++] = b->locs[i];
    for (int i = n - 1; i > 0; i--) {               /* equal distances: spread the load */
        int j = (int)sim_rng_below(sim_self_rng(node), (uint64_t)i + 1);
        sim_node_id t = good[i]; good[i] = good[j]; good[j] = t;
    }
    for (int dist = 0; dist < 3; dist++)
        for (int i = 0; i < n; i++) {
            int d = good[i] == reader ? 0 : nn->dns[good[i]].rack == rack ? 1 : 2;
            if (d == dist) cJSON_AddItemToArray(locs, cJSON_CreateNumber(good[i]));
        }
    cJSON_AddItemToObject(o, "locs", locs);
    return o;
}

static void get(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, int64_t fi)
{
    nn_file *f = &nn->files[fi];
    const char *rack = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "rack"));
    int r = rack ? nn_rack(nn, rack) : -1;
    cJSON *o = typed("get_ok"), *blocks = cJSON_AddArrayToObject(o, "blocks");
    cJSON_AddNumberToObject(o, "len", (double)f->len);
    for (uint32_t i = 0; i < f->nblocks; i++) cJSON_AddItemToArray(blocks, locations(node, nn, f->blocks[i], from, r));
    reply(node, from, m, o);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)a, "name")),
                  cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*(cJSON *const *)b, "name")));
}

/* The children of a directory: files with their lengths, subdirectories once each. */
static void list(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, const char *path)
{
    size_t plen = strlen(path);
    if (plen > 0 && path[plen - 1] == '/') plen--;
    cJSON **items = malloc((nn->nfiles + 1) * sizeof(*items));
    SIM_ASSERT(items != NULL);
    size_t n = 0;
    for (uint32_t i = 0; i < nn->nfiles; i++) {
        const nn_file *f = &nn->files[i];
        if (f->deleted || strncmp(f->path, path, plen) || f->path[plen] != '/') continue;
        const char *rest = f->path + plen + 1, *slash = strchr(rest, '/');
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(slash ? (size_t)(slash - rest) : strlen(rest)), rest);
        bool dup = false;
        for (size_t k = 0; k < n && slash; k++) dup |= !strcmp(name, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(items[k], "name")));
        if (dup) continue;
        items[n] = cJSON_CreateObject();
        cJSON_AddStringToObject(items[n], "name", name);
        cJSON_AddBoolToObject(items[n], "dir", slash != NULL);
        if (!slash) cJSON_AddNumberToObject(items[n], "len", (double)f->len);
        n++;
    }
    qsort(items, n, sizeof(*items), by_name);
    cJSON *o = typed("list_ok"), *entries = cJSON_AddArrayToObject(o, "entries");
    for (size_t k = 0; k < n; k++) cJSON_AddItemToArray(entries, items[k]);
    free(items);
    reply(node, from, m, o);
}

static void remove_file(sim_node *node, hdfs_nn *nn, int64_t fi, const char *path)
{
    edit(node, nn, "delete", path, 0);
    nn_file *f = &nn->files[fi];
    for (uint32_t i = 0; i < f->nblocks; i++) {
        nn_block *b = &nn->blocks[f->blocks[i]];
        for (int k = 0; k < b->nlocs; k++) {
            cJSON *d = typed("delete_blocks");
            cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "blocks"), cJSON_CreateNumber(f->blocks[i]));
            hdfs_send(node, b->locs[k], d, 0);
            cJSON_Delete(d);
        }
    }
}

static void delete(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, int64_t fi, const char *path)
{
    remove_file(node, nn, fi, path);
    reply(node, from, m, typed("delete_ok"));
}

static void create(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, const char *path)
{
    int64_t rep = sim_json_int(m, "replication", nn->cfg->replication);
    if (rep < 1 || rep > HDFS_MAX_REPLICATION) return fail(node, nn, from, m, "replication %lld is not in 1..%d", (long long)rep, HDFS_MAX_REPLICATION);
    if (rep > nn->live) return fail(node, nn, from, m, "replication %lld is above the %u live data nodes", (long long)rep, nn->live);
    int64_t old = find(nn, path);
    if (old >= 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "overwrite")))
        return fail(node, nn, from, m, "%s exists", path);
    if (old >= 0) remove_file(node, nn, old, path);
    edit(node, nn, "create", path, rep);
    nn->files[find(nn, path)].writer = from;
    reply(node, from, m, typed("create_ok"));
}

/* A client request: check, log, apply, reply. */
static void request(sim_node *node, hdfs_nn *nn, sim_node_id from, const cJSON *m, const char *type)
{
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "path"));
    nn->requests++;
    if (!path || path[0] != '/') return fail(node, nn, from, m, "path must start with '/'");
    bool writes = strcmp(type, "get") && strcmp(type, "list");
    if (writes && nn->safemode) return fail(node, nn, from, m, "name node in safe mode (waiting for block reports)");
    if (!strcmp(type, "create")) return create(node, nn, from, m, path);
    if (!strcmp(type, "list")) return list(node, nn, from, m, path);
    int64_t fi = find(nn, path);
    if (fi < 0) return fail(node, nn, from, m, "%s: no such file", path);
    nn_file *f = &nn->files[fi];
    bool open = !f->complete;
    if (!strcmp(type, "get")) open ? fail(node, nn, from, m, "%s is being written", path) : get(node, nn, from, m, fi);
    else if (!strcmp(type, "delete")) delete(node, nn, from, m, fi, path);
    else if (!strcmp(type, "reopen") && !open) {
        edit(node, nn, "reopen", path, 0);
        f->writer = from;
        reply(node, from, m, typed("reopen_ok"));
    } else if (open && f->writer != SIM_NODE_NONE && f->writer != from && strcmp(type, "delete"))
        fail(node, nn, from, m, "%s: another writer holds the lease", path);
    else if (!strcmp(type, "add_block") && open) add_block(node, nn, from, m, f, path);
    else if (!strcmp(type, "complete") && open) complete(node, nn, from, m, fi, path);
    else fail(node, nn, from, m, "%s: '%s' not allowed now", path, type);
}

void hdfs_nn_receive(sim_node *node, hdfs_nn *nn, const sim_msg *msg, const cJSON *m, const char *type)
{
    static const char *const ops[] = { "create", "reopen", "add_block", "complete", "get", "list", "delete", NULL };
    if (msg->corrupted) return;
    for (int i = 0; ops[i]; i++)
        if (!strcmp(ops[i], type)) return request(node, nn, msg->from, m, type);
    nn_dn_message(node, nn, msg, m, type);
}

void hdfs_nn_start(sim_node *node, hdfs_nn *nn, const hdfs_config *cfg)
{
    nn->cfg = cfg;
    replay(node, nn);
    nn->safemode = nn->nblocks > 1;
    if (nn->edits) sim_log(node, "replayed %llu edits: %u files, %u blocks%s", (unsigned long long)nn->edits,
                           nn->nfiles, nn->nblocks ? nn->nblocks - 1 : 0, nn->safemode ? "; safe mode" : "");
    sim_timer_set(node, cfg->heartbeat_ns, "check", 0);
    sim_timer_set(node, cfg->monitor_ns, "monitor", 0);
}

void hdfs_nn_timer(sim_node *node, hdfs_nn *nn, const char *name)
{
    if (!strcmp(name, "check")) {
        nn_check_dead(node, nn);
        sim_timer_set(node, nn->cfg->heartbeat_ns, "check", 0);
    } else if (!strcmp(name, "monitor")) {
        nn_monitor(node, nn);
        sim_timer_set(node, nn->cfg->monitor_ns, "monitor", 0);
    }
}

void hdfs_nn_stop(hdfs_nn *nn)
{
    for (uint32_t i = 0; i < nn->nfiles; i++) free(nn->files[i].path), free(nn->files[i].blocks);
    free(nn->files), free(nn->blocks);
    strmap_free(&nn->paths);
    nn_blockmap_free(nn);
}

cJSON *hdfs_nn_state(const hdfs_nn *nn)
{
    cJSON *o = cJSON_CreateObject();
    uint32_t files = 0, below = 0, missing = 0, one_rack = 0, min_rep = 0;
    bool first = true;
    for (uint32_t i = 0; i < nn->nfiles; i++) files += !nn->files[i].deleted;
    for (uint32_t id = 1; id < nn->nblocks; id++) {
        const nn_block *b = &nn->blocks[id];
        if (b->target == 0 || nn->files[b->file].deleted || !nn->files[b->file].complete) continue;
        uint32_t g = (uint32_t)nn_good(nn, b);
        below += g < b->target, missing += g == 0;
        if (first || g < min_rep) min_rep = g, first = false;
        bool same = b->nlocs > 1;
        for (int k = 1; k < b->nlocs; k++) same &= nn->dns[b->locs[k]].rack == nn->dns[b->locs[0]].rack;
        one_rack += same && nn->nracks > 1;
    }
    cJSON_AddNumberToObject(o, "files", files);
    cJSON_AddNumberToObject(o, "blocks", nn->nblocks ? nn->nblocks - 1 : 0);
    cJSON_AddNumberToObject(o, "live", nn->live);
    cJSON_AddNumberToObject(o, "dead", (double)nn->dead_total);
    cJSON_AddNumberToObject(o, "below_target", below);
    cJSON_AddNumberToObject(o, "missing", missing);
    cJSON_AddNumberToObject(o, "min_replicas", min_rep);
    cJSON_AddNumberToObject(o, "one_rack_blocks", one_rack);
    cJSON_AddNumberToObject(o, "queue", nn->nqueue);
    cJSON_AddBoolToObject(o, "safemode", nn->safemode);
    cJSON_AddNumberToObject(o, "edits", (double)nn->edits);
    cJSON_AddNumberToObject(o, "last_death_s", (double)nn->last_death_ns / 1e9);
    cJSON_AddNumberToObject(o, "replicated_s", (double)nn->replicated_ns / 1e9);
    cJSON_AddNumberToObject(o, "re_replicated", (double)nn->re_replicated);
    cJSON_AddNumberToObject(o, "corrupt_found", (double)nn->corrupt_found);
    cJSON_AddNumberToObject(o, "refused", (double)nn->refused);
    return o;
}
