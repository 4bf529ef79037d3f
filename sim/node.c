/*
 * Nodes: adding and finding them, what a handler may call on its own node, timers,
 * and the node faults (crash, restart, pause, resume, clock skew and drift).
 *
 * Life of a node:
 *
 *     add/restart --> [start event] --> UP <----resume---- PAUSED
 *                                        |  \---pause------>  |
 *                                      crash                crash
 *                                        v                    v
 *                                       DOWN <----------------+
 *
 * Invariants: a DOWN node has no volatile state and runs no handler; a crash bumps
 * the incarnation, so every timer and in-flight message of the old incarnation is
 * discarded when it comes due; a PAUSED node runs no handler and holds its due
 * events in arrival order until resume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hugemem.h"
#include "sim/internal.h"

sim_node *node_get(const sim *s, sim_node_id id)
{
    if (id >= s->node_count) return NULL;
    return &s->node_chunks[id >> NODE_CHUNK_BITS][id & (NODE_CHUNK - 1)];
}

static bool valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

static sim_node *node_slot_new(sim *s)
{
    size_t chunk = s->node_count >> NODE_CHUNK_BITS;
    if (chunk >= s->node_chunk_cap) {
        size_t cap = s->node_chunk_cap ? s->node_chunk_cap * 2 : 8;
        sim_node **c = realloc(s->node_chunks, cap * sizeof(sim_node *));
        if (!c) return NULL;
        memset(c + s->node_chunk_cap, 0, (cap - s->node_chunk_cap) * sizeof(sim_node *));
        s->node_chunks = c;
        s->node_chunk_cap = cap;
    }
    if (!s->node_chunks[chunk]) {
        /* Aligned to a huge page (so a node's hot fields share one cache line, and
         * big simulations can use huge pages); not zeroed here: sim_node_add
         * clears each node, so pages no node uses are never touched. */
        size_t bytes = NODE_CHUNK * sizeof(sim_node);
        bytes = (bytes + SIM_HUGE_PAGE - 1) / SIM_HUGE_PAGE * SIM_HUGE_PAGE;
        sim_node *c = aligned_alloc(SIM_HUGE_PAGE, bytes);
        if (!c) return NULL;
        if (s->huge_tables) sim_advise_huge(c, bytes);
        s->node_chunks[chunk] = c;
    }
    return &s->node_chunks[chunk][s->node_count & (NODE_CHUNK - 1)];
}

static int schedule_start(sim *s, sim_node *n)
{
    uint64_t index = (uint64_t)n->id | ((uint64_t)(n->incarnation & TIMER_GEN_MASK) << 32);
    return kernel_push(s, s->now_ns, EV_MAKE(EV_START, index));
}

int sim_node_add(sim *s, const char *name, const sim_program *program, void *config,
                 uint32_t cluster, sim_node_id *out_id)
{
    uint32_t existing;
    if (!s || !program || !valid_name(name)) return SIM_EINVAL;
    if (strmap_get(&s->node_names, name, &existing)) return SIM_EEXIST;
    if (s->node_count >= MAX_NODES) return SIM_ELIMIT;
    sim_node *n = node_slot_new(s);
    uint32_t name_id = sim_intern(s, name);
    if (!n || name_id == UINT32_MAX) return SIM_ENOMEM;
    memset(n, 0, sizeof(*n));
    n->s = s;
    n->id = (sim_node_id)s->node_count;
    n->cluster = cluster;
    n->name_id = name_id;
    n->program = program;
    n->config = config;
    n->status = SIM_NODE_UP;
    uint64_t h = sim_hash64_str(name);
    sim_rng_seed(&n->rng, s->seed, SIM_STREAM_NODE, h);
    sim_rng_seed(&n->net_rng, s->seed, SIM_STREAM_NETWORK, h);
    if (strmap_put(&s->node_names, s->intern_text[name_id], n->id) != 0) return SIM_ENOMEM;
    s->node_count++;
    sim_record r = trace_record(SIM_REC_NODE);
    r.node = n->id;
    r.name_id = sim_intern(s, program->name ? program->name : "?");
    r.num1 = cluster;
    trace_emit(s, &r);
    if (out_id) *out_id = n->id;
    return schedule_start(s, n);
}

size_t sim_node_count(const sim *s) { return s->node_count; }

int sim_node_find(const sim *s, const char *name, sim_node_id *out_id)
{
    uint32_t id;
    if (!name || !strmap_get(&s->node_names, name, &id)) return SIM_ENOENT;
    if (out_id) *out_id = id;
    return 0;
}

const char *sim_node_name(const sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    return n ? s->intern_text[n->name_id] : NULL;
}

const sim_program *sim_node_program(const sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    return n ? n->program : NULL;
}

uint32_t sim_node_cluster(const sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    return n ? n->cluster : 0;
}

void *sim_node_state(const sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    return n ? n->state : NULL;
}

sim_node_status sim_node_get_status(const sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    return n ? n->status : SIM_NODE_DOWN;
}

sim_disk *sim_node_disk(const sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    if (!n) return NULL;
    if (!n->disk) n->disk = sim_disk_create();
    return n->disk;
}

/* ---- the handler's view of its own node ---- */

sim_node_id sim_self(const sim_node *node) { return node->id; }
const char *sim_self_name(const sim_node *node) { return node->s->intern_text[node->name_id]; }
sim *sim_of(const sim_node *node) { return node->s; }
void *sim_self_config(const sim_node *node) { return node->config; }
uint32_t sim_self_cluster(const sim_node *node) { return node->cluster; }
sim_rng *sim_self_rng(sim_node *node) { return &node->rng; }
sim_disk *sim_self_disk(sim_node *node) { return sim_node_disk(node->s, node->id); }

/* dt * ppm / 1e6 without overflow for any dt below 2^62 and |ppm| < 1e6. */
static int64_t scale_ppm(int64_t dt, int64_t ppm)
{
    return (dt / 1000000) * ppm + (dt % 1000000) * ppm / 1000000;
}

static int64_t local_clock(const sim_node *n, int64_t true_ns)
{
    int64_t dt = true_ns - n->clock_true_base_ns;
    return n->clock_local_base_ns + dt + scale_ppm(dt, n->drift_ppm);
}

int64_t sim_clock_ns(const sim_node *node) { return local_clock(node, node->s->now_ns); }

int64_t sim_node_clock_ns(const sim *s, sim_node_id id)
{
    sim_node *n = node_get(s, id);
    return n ? local_clock(n, s->now_ns) : 0;
}

int sim_node_set_clock(sim *s, sim_node_id id, int64_t offset_ns, int64_t drift_ppm)
{
    sim_node *n = node_get(s, id);
    if (!n) return SIM_ENOENT;
    if (drift_ppm <= -1000000 || drift_ppm > 1000000000) return SIM_EINVAL;
    if (offset_ns > SIM_TIME_MAX || offset_ns < -SIM_TIME_MAX) return SIM_EINVAL;
    n->clock_true_base_ns = s->now_ns;
    n->clock_local_base_ns = s->now_ns + offset_ns;
    n->drift_ppm = drift_ppm;
    sim_record r = trace_record(SIM_REC_CLOCK);
    r.node = id;
    r.num1 = offset_ns;
    r.num2 = drift_ppm;
    trace_emit(s, &r);
    return 0;
}

void sim_log(sim_node *node, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sim_record r = trace_record(SIM_REC_LOG);
    r.node = node->id;
    r.detail = text;
    trace_emit(node->s, &r);
}

void sim_annotate(sim_node *node, const char *key, const char *value)
{
    sim_record r = trace_record(SIM_REC_ANNOTATE);
    r.node = node->id;
    r.name_id = sim_intern(node->s, key ? key : "");
    r.detail = value ? value : "";
    trace_emit(node->s, &r);
}
