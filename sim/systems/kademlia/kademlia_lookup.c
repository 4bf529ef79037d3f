/*
 * Iterative lookups (the paper's node lookup, section 2.3), the looker in charge:
 *
 *   start: shortlist := the k closest contacts of our own table (depth 1)
 *   loop:  ask the closest NEW candidates among the k closest not FAILED, keeping
 *          alpha requests in flight; a reply adds its contacts (depth + 1) to the
 *          shortlist (sorted by XOR distance, at most KAD_SHORTLIST kept); a silent
 *          candidate FAILS after the RPC timeout and leaves our routing table
 *   end:   nothing in flight and the k closest not FAILED have all answered
 *          (get_peers ends early at the first reply with values: FIND_VALUE)
 *
 *     candidate: NEW --ask--> ASKED --reply--> ANSWERED
 *                                   --timeout--> FAILED
 *
 * Hops. Each candidate carries the depth at which it was learned; a lookup's hops
 * are the depth of the node that returned the value, or of the closest node that
 * answered. With alpha parallel requests this is the length of the chain of
 * referrals, the figure that grows as log N.
 *
 * An announce is a get_peers lookup for the tokens, then announce_peer to the k
 * closest that answered, each with its own token (BEP 5).
 */
#include "sim/systems/kademlia/kademlia.h"

#include <stdlib.h>
#include <string.h>

enum { C_NEW, C_ASKED, C_ANSWERED, C_FAILED };

static kad_lookup *find(kad_state *st, uint32_t serial)
{
    for (kad_lookup *l = st->lookups; l; l = l->next)
        if (l->serial == serial) return l;
    return NULL;
}

static int cand_index(const kad_lookup *l, sim_node_id addr)
{
    for (int i = 0; i < l->ncand; i++)
        if (l->cand[i].addr == addr) return i;
    return -1;
}

/* Inserts addr in distance order; the farthest falls off a full shortlist. */
static void add_cand(kad_state *st, kad_lookup *l, sim_node_id addr, uint8_t depth)
{
    if (addr == st->self || kad_banned(st, addr) || cand_index(l, addr) >= 0) return;
    kad_id id = kad_id_of(addr, st->cfg->salt);
    int pos = l->ncand;
    while (pos > 0 && kad_closer(l->target, id, kad_id_of(l->cand[pos - 1].addr, st->cfg->salt)) < 0) pos--;
    if (pos >= KAD_SHORTLIST) return;
    if (l->ncand == KAD_SHORTLIST) {
        if (l->cand[KAD_SHORTLIST - 1].state == C_ASKED) l->inflight--;   /* forgotten */
        l->ncand--;
    }
    memmove(&l->cand[pos + 1], &l->cand[pos], (size_t)(l->ncand - pos) * sizeof(kad_cand));
    l->cand[pos] = (kad_cand){ .addr = addr, .state = C_NEW, .depth = depth };
    l->ncand++;
}

static void ask(sim_node *node, kad_state *st, kad_lookup *l, kad_cand *c)
{
    c->state = C_ASKED;
    l->inflight++;
    int kind = l->kind == KAD_FIND_NODE ? KAD_M_FIND_NODE : KAD_M_GET_PEERS;
    kad_send(node, st, c->addr, kind, l->serial, l->target, 0, 0);
    uint64_t t = sim_timer_set(node, st->cfg->rpc_timeout_ns, "kad_rpc", (uint64_t)l->serial << 32 | c->addr);
    SIM_ASSERT(t != 0);
}

static void finish(sim_node *node, kad_state *st, kad_lookup *l)
{
    int answered = 0;
    for (int i = 0; i < l->ncand && answered < (int)st->cfg->k; i++) {
        kad_cand *c = &l->cand[i];
        if (c->state != C_ANSWERED) continue;
        if (!l->found && answered == 0) l->hops = c->depth;
        if (l->kind == KAD_ANNOUNCE)
            kad_send(node, st, c->addr, KAD_M_ANNOUNCE, l->serial, l->target, c->token, l->announce_value);
        answered++;
    }
    kad_stats *s = st->cfg->stats;
    if (s && l->workload) {
        s->lookups_done++;
        s->found += l->found;
        s->hops_sum += l->hops;
        if (l->hops > s->hops_max) s->hops_max = l->hops;
        s->hops_hist[l->hops < 31 ? l->hops : 31]++;
        s->latency_ns_sum += sim_now_ns(sim_of(node)) - l->started_ns;
    }
    for (kad_lookup **p = &st->lookups; *p; p = &(*p)->next)
        if (*p == l) {
            *p = l->next;
            break;
        }
    if (l->done) l->done(node, st, l);
    free(l);
}

static void step(sim_node *node, kad_state *st, kad_lookup *l)
{
    bool done = l->kind == KAD_GET_PEERS && l->found;
    int live = 0;
    for (int i = 0; !done && i < l->ncand && live < (int)st->cfg->k && l->inflight < st->cfg->alpha; i++) {
        kad_cand *c = &l->cand[i];
        if (c->state == C_FAILED) continue;
        live++;
        if (c->state == C_NEW) ask(node, st, l, c);
    }
    if (l->inflight == 0 || done) finish(node, st, l);
}

kad_lookup *kad_lookup_start(sim_node *node, kad_state *st, int kind, kad_id target,
                             kad_done_fn done, uint64_t user)
{
    kad_lookup *l = calloc(1, sizeof(*l));
    SIM_ASSERT(l != NULL);
    if (++st->next_serial == 0) st->next_serial = 1;
    l->serial = st->next_serial;
    l->kind = (uint8_t)kind;
    l->target = target;
    l->done = done;
    l->user = user;
    l->started_ns = sim_now_ns(sim_of(node));
    l->next = st->lookups;
    st->lookups = l;
    uint32_t near[KAD_SHORTLIST];
    uint32_t n = kad_table_closest(st, target, near, st->cfg->k);
    for (uint32_t i = 0; i < n; i++) add_cand(st, l, near[i], 1);
    kad_table_touch(st, target, l->started_ns);
    return l;
}

void kad_lookup_go(sim_node *node, kad_state *st, kad_lookup *l)
{
    if (l->workload && st->cfg->stats) st->cfg->stats->lookups++;
    step(node, st, l);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static kad_id get_id(const uint8_t *p)
{
    kad_id id;
    for (int i = 0; i < 5; i++) id.w[i] = get32(p + 4 * i);
    return id;
}

/* A nodes or peers reply (already checked: header, length, sender id). */
void kad_lookup_reply(sim_node *node, kad_state *st, const sim_msg *msg, uint32_t txid,
                      const uint8_t *body, size_t len)
{
    kad_lookup *l = find(st, txid);
    int i = l ? cand_index(l, msg->from) : -1;
    if (i < 0 || l->cand[i].state != C_ASKED) return;     /* late or unasked: ignore */
    kad_cand *c = &l->cand[i];
    c->state = C_ANSWERED;
    c->token = get32(body + 48);
    l->inflight--;
    uint8_t depth = c->depth, count = body[1];
    if (body[0] == KAD_M_PEERS) {
        for (int v = 0; v < count && l->nvalues < KAD_MAX_VALUES; v++) {
            uint64_t x = (uint64_t)get32(body + KAD_HDR + 8 * v) | (uint64_t)get32(body + KAD_HDR + 8 * v + 4) << 32;
            bool dup = false;
            for (uint32_t j = 0; j < l->nvalues && !dup; j++) dup = l->values[j] == x;
            if (!dup) l->values[l->nvalues++] = x;
        }
        if (count > 0 && !l->found) {
            l->found = true;
            l->hops = depth;
        }
    } else {
        for (int k = 0; k < count; k++) {
            const uint8_t *p = body + KAD_HDR + KAD_CONTACT * k;
            uint32_t addr = get32(p + 20);
            kad_id claimed = get_id(p);
            if (kad_cmp(claimed, kad_id_of(addr, st->cfg->salt)) != 0) {   /* forged contact */
                kad_garbage(node, st, msg->from);
                break;
            }
            add_cand(st, l, addr, (uint8_t)(depth < 250 ? depth + 1 : depth));
        }
    }
    step(node, st, l);
    (void)len;
}

void kad_lookup_timeout(sim_node *node, kad_state *st, uint64_t arg)
{
    kad_lookup *l = find(st, (uint32_t)(arg >> 32));
    int i = l ? cand_index(l, (sim_node_id)arg) : -1;
    if (i < 0 || l->cand[i].state != C_ASKED) return;
    l->cand[i].state = C_FAILED;
    l->inflight--;
    kad_table_remove(st, (sim_node_id)arg);
    if (st->cfg->stats) st->cfg->stats->rpc_timeouts++;
    step(node, st, l);
}

void kad_lookups_free(kad_state *st)
{
    while (st->lookups) {
        kad_lookup *l = st->lookups;
        st->lookups = l->next;
        free(l);
    }
}
