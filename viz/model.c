/*
 * Applying trace records to the picture's state (viz/model.h). Each record kind
 * changes one thing: a node's status or annotations, the set of messages in
 * flight, the partition and cuts, the client history, the checks. Messages in
 * flight sit in an unordered array with an open-addressing index by key, so a
 * delivery is O(1) even with thousands in flight (a linear scan made rebuilding a
 * long trace quadratic).
 */
#include <stdlib.h>
#include <string.h>

#include "viz/model.h"

#define GROW(arr, n, cap)                                                        \
    ((n) < (cap) || grow_array((void **)&(arr), &(cap), sizeof(*(arr))) == 0)

static int grow_array(void **arr, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, ncap * elem);
    if (!p) return SIM_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

void viz_model_init(viz_model *m, const viz_store *st)
{
    memset(m, 0, sizeof(*m));
    m->store = st;
    m->last_failed_rec = SIZE_MAX;
}

void viz_model_free(viz_model *m)
{
    for (size_t i = 0; i < m->nodes_cap; i++) free(m->nodes[i].annots);
    free(m->nodes);
    free(m->flights);
    free(m->flight_index);
    free(m->ops);
    free(m->faults);
    free(m->cuts);
    free(m->checks);
    free(m->types);
    memset(m, 0, sizeof(*m));
}

void viz_model_reset(viz_model *m)
{
    for (size_t i = 0; i < m->nnodes; i++) {
        viz_annot *a = m->nodes[i].annots;
        uint32_t cap = m->nodes[i].annots_cap;
        memset(&m->nodes[i], 0, sizeof(viz_node_state));
        m->nodes[i].annots = a;
        m->nodes[i].annots_cap = cap;
    }
    m->nnodes = 0;
    m->n_flights = m->n_ops = m->n_faults = m->n_cuts = m->n_checks = m->n_types = 0;
    if (m->flight_index) memset(m->flight_index, 0, m->flight_index_cap * sizeof(uint32_t));
    m->nmarks = 0;
    m->applied = 0;
    m->ngroups = 0;
    m->checks_failed = 0;
    m->last_failed_rec = SIZE_MAX;
    m->net_policy = NULL;
}

static viz_node_state *node_at(viz_model *m, uint32_t id)
{
    if (id == VIZ_NONE) return NULL;
    while (m->nnodes <= id) {
        if (m->nnodes == m->nodes_cap) {
            size_t cap = m->nodes_cap ? m->nodes_cap * 2 : 16;
            viz_node_state *n = realloc(m->nodes, cap * sizeof(*n));
            if (!n) return NULL;
            memset(n + m->nodes_cap, 0, (cap - m->nodes_cap) * sizeof(*n));
            m->nodes = n;
            m->nodes_cap = cap;
        }
        viz_node_state *n = &m->nodes[m->nnodes++];
        n->status = SIM_NODE_UP;
        n->last_recv_ns = INT64_MIN;
    }
    return &m->nodes[id];
}

const viz_node_state *viz_model_node(const viz_model *m, uint32_t node)
{
    return node < m->nnodes ? &m->nodes[node] : NULL;
}

/* ---- messages in flight ------------------------------------------------------ */

static size_t slot_of(uint64_t key, size_t cap) { return (size_t)(sim_mix64(key) & (cap - 1)); }

static int index_grow(viz_model *m)
{
    size_t cap = m->flight_index_cap ? m->flight_index_cap * 2 : 1024;
    uint32_t *idx = calloc(cap, sizeof(uint32_t));
    if (!idx) return SIM_ENOMEM;
    for (size_t i = 0; i < m->n_flights; i++) {
        size_t s = slot_of(m->flights[i].key, cap);
        while (idx[s]) s = (s + 1) & (cap - 1);
        idx[s] = (uint32_t)i + 1;
    }
    free(m->flight_index);
    m->flight_index = idx;
    m->flight_index_cap = cap;
    return 0;
}

static size_t index_find(const viz_model *m, uint64_t key)
{
    if (!m->flight_index_cap) return SIZE_MAX;
    size_t mask = m->flight_index_cap - 1;
    for (size_t s = slot_of(key, m->flight_index_cap); m->flight_index[s]; s = (s + 1) & mask)
        if (m->flights[m->flight_index[s] - 1].key == key) return s;
    return SIZE_MAX;
}

static void flight_add(viz_model *m, const viz_flight *f)
{
    size_t at = index_find(m, f->key);
    if (at != SIZE_MAX) {                      /* the same id sent twice (an inconsistent trace): */
        m->flights[m->flight_index[at] - 1] = *f;      /* the later send replaces the earlier */
        return;
    }
    if ((m->n_flights + 1) * 2 > m->flight_index_cap && index_grow(m) != 0) return;
    if (!GROW(m->flights, m->n_flights, m->cap_flights)) return;
    m->flights[m->n_flights] = *f;
    size_t mask = m->flight_index_cap - 1, s = slot_of(f->key, m->flight_index_cap);
    while (m->flight_index[s]) s = (s + 1) & mask;
    m->flight_index[s] = (uint32_t)++m->n_flights;
}

/* Removes the slot's entry with backward-shift deletion (no tombstones). */
static void index_remove(viz_model *m, size_t s)
{
    size_t mask = m->flight_index_cap - 1;
    m->flight_index[s] = 0;
    for (size_t j = (s + 1) & mask; m->flight_index[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m->flights[m->flight_index[j] - 1].key, m->flight_index_cap);
        bool between = s <= j ? (s < home && home <= j) : (s < home || home <= j);
        if (between) continue;
        m->flight_index[s] = m->flight_index[j];
        m->flight_index[j] = 0;
        s = j;
    }
}

static bool flight_remove(viz_model *m, uint64_t key, viz_flight *out)
{
    size_t s = index_find(m, key);
    if (s == SIZE_MAX) return false;
    size_t i = m->flight_index[s] - 1, last = m->n_flights - 1;
    *out = m->flights[i];
    index_remove(m, s);
    if (i != last) {                           /* move the last flight into the hole */
        size_t ls = index_find(m, m->flights[last].key);
        if (ls == SIZE_MAX) return false;      /* unreachable: keys are unique (flight_add) */
        m->flights[i] = m->flights[last];
        m->flight_index[ls] = (uint32_t)i + 1;
    }
    m->n_flights--;
    return true;
}

static void add_mark(viz_model *m, const viz_rec *r, size_t rec, uint32_t from, uint32_t to,
                     float frac, uint8_t kind)
{
    m->marks[m->nmarks++ % VIZ_MARKS] =
        (viz_mark){ r->t_ns, rec, from, to, r->name, frac, kind };
}

int viz_model_type_index(const viz_model *m, uint32_t type)
{
    for (size_t i = 0; i < m->n_types; i++)
        if (m->types[i] == type) return (int)i;
    return -1;
}

static void note_type(viz_model *m, uint32_t type)
{
    if (type != VIZ_NONE && viz_model_type_index(m, type) < 0 && GROW(m->types, m->n_types, m->cap_types))
        m->types[m->n_types++] = type;
}

static void apply_message(viz_model *m, const viz_rec *r, size_t rec)
{
    bool dup = (r->flags & SIM_FLAG_DUPLICATE) != 0;
    uint64_t key = r->id << 1 | (dup ? 1u : 0u);
    viz_flight f;
    switch (r->kind) {
    case SIM_REC_SEND:
    case SIM_REC_DUPLICATE:
        note_type(m, r->name);
        if (r->kind == SIM_REC_DUPLICATE) add_mark(m, r, rec, r->node, r->peer, 0.12f, VIZ_MARK_DUP);
        if (r->num1 < 0 || r->node == VIZ_NONE || r->peer == VIZ_NONE) return;   /* lost at once */
        flight_add(m, &(viz_flight){ key, rec, r->t_ns, r->num1, r->node, r->peer, r->name, r->flags });
        return;
    case SIM_REC_CORRUPT: {
        size_t s = index_find(m, key);
        if (s != SIZE_MAX) m->flights[m->flight_index[s] - 1].flags |= SIM_FLAG_CORRUPTED;
        add_mark(m, r, rec, r->node, r->peer, 0.12f, VIZ_MARK_CORRUPT);
        return;
    }
    case SIM_REC_DELIVER:
        flight_remove(m, key, &f);
        if (node_at(m, r->node)) m->nodes[r->node].last_recv_ns = r->t_ns;
        return;
    case SIM_REC_DROP:                         /* at the sender if it never left */
        flight_remove(m, key, &f);
        add_mark(m, r, rec, r->peer, r->node, r->t_ns == r->num1 ? 0.22f : 0.86f, VIZ_MARK_DROP);
        return;
    default: return;
    }
}

/* ---- network faults ---------------------------------------------------------------- */

static void add_fault(viz_model *m, const viz_rec *r, size_t rec)
{
    if (GROW(m->faults, m->n_faults, m->cap_faults))
        m->faults[m->n_faults++] = (viz_fault){ r->t_ns, rec, r->kind, r->node, r->peer };
}

static void clear_groups(viz_model *m)
{
    for (size_t i = 0; i < m->nnodes; i++) m->nodes[i].group = 0;
    m->ngroups = 0;
}

/* "n1,n2 | n3,n4,n5": names the kernel wrote (sim/net_fault.c); a name cut short
 * by "..." at the end of a long list simply stays ungrouped. */
static void apply_partition(viz_model *m, const char *text)
{
    clear_groups(m);
    uint32_t group = 1;
    char name[64];
    size_t len = 0;
    for (const char *p = text ? text : "";; p++) {
        if (*p == ',' || *p == '|' || *p == 0) {
            name[len] = 0;
            uint32_t id = len ? viz_store_find_node(m->store, name) : VIZ_NONE;
            viz_node_state *n = node_at(m, id);
            if (n) n->group = group;
            if (len && group > m->ngroups) m->ngroups = group;
            len = 0;
            if (*p == '|') group++;
            if (!*p) break;
        } else if (*p != ' ' && len + 1 < sizeof(name)) {
            name[len++] = *p;
        }
    }
}

static void set_cut(viz_model *m, uint32_t from, uint32_t to, bool cut)
{
    for (size_t i = 0; i < m->n_cuts; i++) {
        if (m->cuts[i].from == from && m->cuts[i].to == to) {
            if (!cut) m->cuts[i] = m->cuts[--m->n_cuts];
            return;
        }
    }
    if (cut && GROW(m->cuts, m->n_cuts, m->cap_cuts)) m->cuts[m->n_cuts++] = (viz_cut){ from, to };
}

bool viz_model_blocked(const viz_model *m, uint32_t from, uint32_t to)
{
    if (from < m->nnodes && to < m->nnodes) {
        uint32_t gf = m->nodes[from].group, gt = m->nodes[to].group;
        if (gf && gt && gf != gt) return true;
    }
    for (size_t i = 0; i < m->n_cuts; i++)
        if (m->cuts[i].from == from && m->cuts[i].to == to) return true;
    return false;
}

static void apply_fault(viz_model *m, const viz_rec *r, size_t rec)
{
    viz_node_state *n = node_at(m, r->node);
    switch (r->kind) {
    case SIM_REC_CRASH: if (n) n->status = SIM_NODE_DOWN; break;
    case SIM_REC_RESTART: if (n) n->status = SIM_NODE_UP; break;
    case SIM_REC_PAUSE: if (n) n->status = SIM_NODE_PAUSED; break;
    case SIM_REC_RESUME: if (n) n->status = SIM_NODE_UP; break;
    case SIM_REC_PARTITION: apply_partition(m, r->detail); break;
    case SIM_REC_CUT: set_cut(m, r->node, r->peer, true); break;
    case SIM_REC_UNCUT: set_cut(m, r->node, r->peer, false); break;
    case SIM_REC_HEAL:
        clear_groups(m);
        m->n_cuts = 0;
        break;
    case SIM_REC_CLOCK:
        if (n) n->clock_offset_ns = r->num1, n->drift_ppm = r->num2;
        break;
    default: return;
    }
    add_fault(m, r, rec);
}

/* ---- nodes, history, checks ---------------------------------------------------------- */

static void apply_annotate(viz_model *m, const viz_rec *r)
{
    viz_node_state *n = node_at(m, r->node);
    if (!n || r->name == VIZ_NONE) return;
    for (uint32_t i = 0; i < n->nannots; i++) {
        if (n->annots[i].key == r->name) {
            n->annots[i].value = r->detail ? r->detail : "";
            return;
        }
    }
    if (n->nannots == n->annots_cap) {
        uint32_t cap = n->annots_cap ? n->annots_cap * 2 : 8;
        viz_annot *a = realloc(n->annots, cap * sizeof(*a));
        if (!a) return;
        n->annots = a;
        n->annots_cap = cap;
    }
    n->annots[n->nannots++] = (viz_annot){ r->name, r->detail ? r->detail : "" };
}

static void apply_history(viz_model *m, const viz_rec *r, size_t rec)
{
    if (r->kind == SIM_REC_INVOKE) {
        if (GROW(m->ops, m->n_ops, m->cap_ops))
            m->ops[m->n_ops++] = (viz_op){ r->id, r->node, r->name, r->t_ns, -1, SIM_OP_PENDING, false, rec };
        return;
    }
    /* ops are numbered 1, 2, ... in invoke order: try the direct slot first */
    size_t i = r->id - 1;
    if (i >= m->n_ops || m->ops[i].id != r->id)
        for (i = 0; i < m->n_ops && m->ops[i].id != r->id; i++) {}
    if (i == m->n_ops) return;
    m->ops[i].complete_ns = r->t_ns;
    m->ops[i].outcome = (uint8_t)r->num1;
}

/* Marks the ops a failed check names: " [ops ID ID ...]" (sim_lin_ops_format). */
static void mark_ops(viz_model *m, const char *detail)
{
    const char *p = detail ? strstr(detail, " [ops ") : NULL;
    for (char *end = (char *)(p ? p + 5 : ""); *end == ' ' && end[1] >= '0' && end[1] <= '9';) {
        uint64_t id = strtoull(end + 1, &end, 10);
        for (size_t i = 0; i < m->n_ops; i++) m->ops[i].marked |= m->ops[i].id == id;
    }
}

static void apply_check(viz_model *m, const viz_rec *r, size_t rec)
{
    viz_check c = { r->name, r->num1 != 0, r->detail ? r->detail : "", r->t_ns, rec };
    if (!c.ok) {
        m->checks_failed++;
        m->last_failed_rec = rec;
        mark_ops(m, c.message);
    }
    for (size_t i = 0; i < m->n_checks; i++) {
        if (m->checks[i].name == r->name) {
            if (m->checks[i].ok || !c.ok) m->checks[i] = c;   /* a failure stays shown */
            return;
        }
    }
    if (GROW(m->checks, m->n_checks, m->cap_checks)) m->checks[m->n_checks++] = c;
}

void viz_model_apply_next(viz_model *m)
{
    SIM_ASSERT(m->applied < m->store->count);
    size_t rec = m->applied++;
    const viz_rec *r = &m->store->recs[rec];
    viz_node_state *n = NULL;
    switch (r->kind) {
    case SIM_REC_NODE:
        if ((n = node_at(m, r->node)) != NULL) {
            n->known = true;
            n->program = r->name;
            n->cluster = r->num1;
        }
        break;
    case SIM_REC_START:
        if ((n = node_at(m, r->node)) != NULL) n->status = SIM_NODE_UP;
        break;
    case SIM_REC_ANNOTATE: apply_annotate(m, r); break;
    case SIM_REC_INVOKE:
    case SIM_REC_COMPLETE: apply_history(m, r, rec); break;
    case SIM_REC_CHECK: apply_check(m, r, rec); break;
    case SIM_REC_NET:
        if (r->node == VIZ_NONE && r->peer == VIZ_NONE) m->net_policy = r->detail;
        break;
    default:
        node_at(m, r->node);
        node_at(m, r->peer);
        apply_message(m, r, rec);
        apply_fault(m, r, rec);
        break;
    }
}

void viz_model_seek(viz_model *m, size_t count)
{
    if (count > m->store->count) count = m->store->count;
    if (count < m->applied) viz_model_reset(m);
    while (m->applied < count) viz_model_apply_next(m);
}
