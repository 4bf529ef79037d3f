/*
 * Network configuration and network faults: the default and per-link policies,
 * partitions into groups, one-way cuts, and heal. Each change is a trace record,
 * so the viewer and a replay see exactly when the network changed.
 *
 * Partition semantics: listed nodes are split into groups that cannot reach one
 * another; nodes left out of every group (typically clients) reach everyone, as a
 * Jepsen client does. A message already in flight across a new partition is lost
 * when it arrives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

sim_link_policy sim_link_policy_default(void)
{
    sim_link_policy p;
    memset(&p, 0, sizeof(p));
    p.latency = sim_dist_constant(SIM_NS_PER_MS);
    return p;
}

static int validate(const sim_link_policy *p)
{
    return p ? sim_dist_validate(&p->latency) : SIM_EINVAL;
}

static void emit_net(sim *s, sim_node_id from, sim_node_id to, const sim_link_policy *p)
{
    char dist[96], text[256];
    text[0] = 0;
    if (p) {
        sim_dist_format(&p->latency, dist, sizeof(dist));
        snprintf(text, sizeof(text), "latency=%s loss=%.6g duplicate=%.6g corrupt=%.6g bandwidth=%llu",
                 dist, sim_prob_to_double(p->loss), sim_prob_to_double(p->duplicate),
                 sim_prob_to_double(p->corrupt), (unsigned long long)p->bandwidth_bytes_per_s);
    } else {
        snprintf(text, sizeof(text), "default");
    }
    sim_record r = trace_record(SIM_REC_NET);
    r.node = from;
    r.peer = to;
    r.detail = text;
    trace_emit(s, &r);
}

int sim_net_set_default(sim *s, const sim_link_policy *policy)
{
    int rc = validate(policy);
    if (rc) return rc;
    s->net_default = *policy;
    emit_net(s, SIM_NODE_NONE, SIM_NODE_NONE, policy);
    return 0;
}

const sim_link_policy *sim_net_get_default(const sim *s) { return &s->net_default; }

int sim_net_set_link(sim *s, sim_node_id from, sim_node_id to, const sim_link_policy *policy)
{
    int rc = validate(policy);
    if (rc) return rc;
    if (from >= s->node_count || to >= s->node_count) return SIM_ENOENT;
    link_entry *e = link_get(s, from, to);
    if (!e) return SIM_ENOMEM;
    e->policy = *policy;
    e->has_policy = true;
    emit_net(s, from, to, policy);
    return 0;
}

int sim_net_clear_link(sim *s, sim_node_id from, sim_node_id to)
{
    if (from >= s->node_count || to >= s->node_count) return SIM_ENOENT;
    link_entry *e = link_find(s, from, to);
    if (e) e->has_policy = false;
    emit_net(s, from, to, NULL);
    return 0;
}

static void clear_groups(sim *s)
{
    for (size_t i = 0; i < s->node_count; i++) node_get(s, (sim_node_id)i)->group = 0;
    s->partitioned = false;
}

/* "n1,n2 | n3,n4,n5" (truncated with "..." beyond the buffer). */
static char *describe_groups(const sim *s, size_t ngroups, const size_t *sizes,
                             const sim_node_id *members)
{
    size_t cap = 256, len = 0, k = 0;
    char *text = malloc(cap);
    if (!text) return NULL;
    text[0] = 0;
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t i = 0; i < sizes[g]; i++, k++) {
            const char *name = sim_node_name(s, members[k]);
            const char *sep = i ? "," : (g ? " | " : "");
            size_t need = len + strlen(sep) + strlen(name) + 1;
            if (need > cap) {
                while (need > cap) cap *= 2;
                char *t = realloc(text, cap);
                if (!t) return text;
                text = t;
            }
            len += (size_t)sprintf(text + len, "%s%s", sep, name);
        }
    }
    return text;
}

int sim_net_partition(sim *s, size_t ngroups, const size_t *sizes, const sim_node_id *members)
{
    if (ngroups == 0 || ngroups >= UINT32_MAX || !sizes) return SIM_EINVAL;
    size_t total = 0;
    for (size_t g = 0; g < ngroups; g++) total += sizes[g];
    uint8_t *seen = calloc(s->node_count / 8 + 1, 1);
    if (!seen) return SIM_ENOMEM;
    int rc = 0;
    for (size_t k = 0; k < total && rc == 0; k++) {
        sim_node_id id = members[k];
        if (id >= s->node_count) rc = SIM_ENOENT;
        else if (seen[id / 8] & (1u << (id % 8))) rc = SIM_EINVAL;   /* a node in two groups */
        else seen[id / 8] |= (uint8_t)(1u << (id % 8));
    }
    free(seen);
    if (rc) return rc;
    clear_groups(s);
    size_t k = 0;
    for (size_t g = 0; g < ngroups; g++)
        for (size_t i = 0; i < sizes[g]; i++) node_get(s, members[k++])->group = (uint32_t)g + 1;
    s->partitioned = true;
    char *text = describe_groups(s, ngroups, sizes, members);
    sim_record r = trace_record(SIM_REC_PARTITION);
    r.detail = text ? text : "";
    r.num1 = (int64_t)ngroups;
    trace_emit(s, &r);
    free(text);
    return 0;
}

static int set_cut(sim *s, sim_node_id from, sim_node_id to, bool cut)
{
    if (from >= s->node_count || to >= s->node_count) return SIM_ENOENT;
    if (from == to) return SIM_EINVAL;
    link_entry *e = cut ? link_get(s, from, to) : link_find(s, from, to);
    if (cut && !e) return SIM_ENOMEM;
    if (e) e->cut = cut;
    sim_record r = trace_record(cut ? SIM_REC_CUT : SIM_REC_UNCUT);
    r.node = from;
    r.peer = to;
    trace_emit(s, &r);
    return 0;
}

int sim_net_cut(sim *s, sim_node_id from, sim_node_id to) { return set_cut(s, from, to, true); }
int sim_net_uncut(sim *s, sim_node_id from, sim_node_id to) { return set_cut(s, from, to, false); }

int sim_net_heal(sim *s)
{
    clear_groups(s);
    for (size_t i = 0; i < s->link_count; i++) s->link_entries[i].cut = false;
    sim_record r = trace_record(SIM_REC_HEAL);
    trace_emit(s, &r);
    return 0;
}
