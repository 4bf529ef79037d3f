/*
 * multi_primary: a key-value store in which every node is a primary. Each node
 * takes reads and writes from clients at once, on its own copy, and replicates
 * every change to all the others in the background; nothing coordinates
 * writers. So two clients writing one key at two nodes at once (two inserts
 * with the same id, two updates) conflict, and each node must resolve
 * the conflict when the other's change arrives. Option resolve chooses how:
 *
 *   "lww": last writer wins. Each write is stamped (the writing node's local
 *          clock, its index); the higher stamp wins everywhere. Simple and
 *          convergent, but a node whose clock runs ahead makes its writes win
 *          over later ones: an acknowledged write silently disappears.
 *   "vv":  version vectors. Each version carries a vector of writes seen per
 *          node; a version replaces only versions it has seen (vector <=).
 *          Concurrent versions are both kept, as siblings, and a read returns
 *          all of them with their merged vector as "context"; a write that
 *          carries that context replaces them (the client merged them).
 *
 * Client messages (Maelstrom lin-kv, plus insert; integer keys and values):
 *   {"type":"read","key":K} -> {"type":"read_ok","value":V,"siblings":[V...],"context":[vv]} | error 20
 *   {"type":"write","key":K,"value":V[,"context":[vv]]} -> {"type":"write_ok"}
 *   {"type":"insert","key":K,"value":V} -> {"type":"insert_ok"} | error 21 (exists here)
 *   {"type":"cas","key":K,"from":A,"to":B} -> {"type":"cas_ok"} | error 20 | error 22
 * (value is the first sibling in (stamp) order; with siblings a cas fails, 22).
 * Between nodes (each key travels as its whole state, so merging is idempotent
 * and commutative, and loss, duplication and reordering are harmless):
 *   {"type":"mp_push","keys":[K...]}            at once, after a client write
 *   {"type":"mp_sync","keys":[K...],"upto":C,"boot":B} -> {"type":"mp_sync_ok","upto":C,"boot":B'}
 *   with K = {"k":key,"s":[[value,ts,origin,[vv...]]...]}. Every sync_interval a
 *   node sends each peer every key changed since the peer acknowledged (upto);
 *   a peer whose boot changed lost its memory, so it gets everything again.
 *
 * State machine of one key at one node:
 *
 *     ABSENT --client write/insert | merge--> VERSIONS{v}
 *     VERSIONS --client write (context c)--> {v' : vv(v') = max(c, local) + 1 at self}
 *                                            minus every version v' has seen
 *     VERSIONS --merge(remote versions)--> LWW: the highest stamp
 *                                          VV : the versions no other one has seen
 *     every change --> changed = ++changes --> sent to each peer until acked
 *
 * Invariants (mp_state_valid, asserted after every handler): (I1) keys sorted,
 * unique; (I2) 1 <= nsib, and nsib == 1 under LWW; (I3) under VV no sibling's
 * vector is <= another's (siblings are pairwise concurrent); (I4) changed <=
 * changes and every peer's acked <= changes. Convergence: once writes stop
 * and every pair exchanges messages, all nodes hold equal versions per key.
 */
#include "sim/systems/multi_primary/multi_primary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sim/msg.h"
#include "sim/systems/system.h"

/* ---- versions ---------------------------------------------------------------- */

static bool vv_leq(const mp_version *a, const mp_version *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a->vv[i] > b->vv[i]) return false;
    return true;
}

static bool stamp_less(const mp_version *a, const mp_version *b)
{
    return a->ts_ns < b->ts_ns || (a->ts_ns == b->ts_ns && a->origin < b->origin);
}

bool mp_state_valid(const mp_state *st)
{
    for (size_t i = 0; i < st->nkeys; i++) {
        const mp_key *k = &st->keys[i];
        if (i > 0 && st->keys[i - 1].key >= k->key) return false;
        if (k->nsib < 1 || k->nsib > MP_SIBLINGS_MAX || k->changed > st->changes) return false;
        if (!st->cfg.version_vectors && k->nsib != 1) return false;
        for (size_t a = 0; a < k->nsib; a++)
            for (size_t b = 0; b < k->nsib; b++)
                if (a != b && vv_leq(&k->sib[a], &k->sib[b], st->nmembers)) return false;
    }
    for (size_t i = 0; i < st->npeers; i++)
        if (st->peers[i].acked > st->changes) return false;
    return true;
}

static mp_key *key_get(mp_state *st, int64_t key, bool create)
{
    size_t lo = 0, hi = st->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->keys[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    if (lo < st->nkeys && st->keys[lo].key == key) return &st->keys[lo];
    if (!create) return NULL;
    if (st->nkeys == st->keycap) {
        st->keycap = st->keycap ? st->keycap * 2 : 16;
        st->keys = realloc(st->keys, st->keycap * sizeof(mp_key));
        SIM_ASSERT(st->keys != NULL);
    }
    memmove(&st->keys[lo + 1], &st->keys[lo], (st->nkeys - lo) * sizeof(mp_key));
    memset(&st->keys[lo], 0, sizeof(mp_key));
    st->keys[lo].key = key;
    st->nkeys++;
    return &st->keys[lo];
}

/* Adds version v to k; true when k changed. LWW keeps the higher stamp; VV
 * drops v if a sibling has seen it, else drops the siblings v has seen. */
static bool merge_version(const mp_state *st, mp_key *k, const mp_version *v)
{
    if (k->nsib == 0) {
        k->sib[k->nsib++] = *v;
        return true;
    }
    if (!st->cfg.version_vectors) {
        if (!stamp_less(&k->sib[0], v)) return false;
        k->sib[0] = *v;
        return true;
    }
    for (size_t i = 0; i < k->nsib; i++)
        if (vv_leq(v, &k->sib[i], st->nmembers)) return false;
    size_t kept = 0;
    for (size_t i = 0; i < k->nsib; i++)
        if (!vv_leq(&k->sib[i], v, st->nmembers)) k->sib[kept++] = k->sib[i];
    SIM_ASSERT(kept < MP_SIBLINGS_MAX);
    k->sib[kept++] = *v;
    k->nsib = kept;
    for (size_t i = 1; i < k->nsib; i++)        /* siblings in stamp order: reads are stable */
        for (size_t j = i; j > 0 && stamp_less(&k->sib[j], &k->sib[j - 1]); j--) {
            mp_version t = k->sib[j];
            k->sib[j] = k->sib[j - 1];
            k->sib[j - 1] = t;
        }
    return true;
}

/* ---- encoding ---------------------------------------------------------------- */

static cJSON *vv_json(const int64_t *vv, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)vv[i]));
    return a;
}

static cJSON *key_json(const mp_state *st, const mp_key *k)
{
    cJSON *o = cJSON_CreateObject(), *s = cJSON_CreateArray();
    SIM_ASSERT(o != NULL && s != NULL);
    cJSON_AddNumberToObject(o, "k", (double)k->key);
    for (size_t i = 0; i < k->nsib; i++) {
        const mp_version *v = &k->sib[i];
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)v->value));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)v->ts_ns));
        cJSON_AddItemToArray(e, cJSON_CreateNumber((double)v->origin));
        cJSON_AddItemToArray(e, vv_json(v->vv, st->nmembers));
        cJSON_AddItemToArray(s, e);
    }
    cJSON_AddItemToObject(o, "s", s);
    return o;
}

static void vv_read(const cJSON *a, int64_t *vv, size_t n)
{
    memset(vv, 0, MP_NODES_MAX * sizeof(int64_t));
    for (size_t i = 0; i < n && cJSON_IsArray(a); i++) {
        const cJSON *x = cJSON_GetArrayItem(a, (int)i);
        if (cJSON_IsNumber(x)) vv[i] = (int64_t)x->valuedouble;
    }
}

/* Merges a received key state; true when ours changed. */
static bool merge_json(mp_state *st, const cJSON *o)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "k"), *s = cJSON_GetObjectItemCaseSensitive(o, "s");
    if (!cJSON_IsNumber(k) || !cJSON_IsArray(s)) return false;
    mp_key *key = key_get(st, (int64_t)k->valuedouble, true);
    bool changed = false;
    for (const cJSON *e = s->child; e; e = e->next) {
        if (cJSON_GetArraySize(e) != 4) continue;
        mp_version v = { .value = (int64_t)cJSON_GetArrayItem(e, 0)->valuedouble,
                         .ts_ns = (int64_t)cJSON_GetArrayItem(e, 1)->valuedouble,
                         .origin = (uint32_t)cJSON_GetArrayItem(e, 2)->valuedouble };
        vv_read(cJSON_GetArrayItem(e, 3), v.vv, st->nmembers);
        changed |= merge_version(st, key, &v);
    }
    if (key->nsib == 0) {                       /* nothing valid arrived: undo the create */
        size_t i = (size_t)(key - st->keys);
        memmove(&st->keys[i], &st->keys[i + 1], (st->nkeys - i - 1) * sizeof(mp_key));
        st->nkeys--;
        return false;
    }
    if (changed) key->changed = ++st->changes;
    return changed;
}

/* ---- replication ---------------------------------------------------------------- */

static void send_keys(sim_node *node, const mp_state *st, const mp_peer *p, int64_t after, const char *type)
{
    cJSON *out = cJSON_CreateObject(), *keys = cJSON_CreateArray();
    SIM_ASSERT(out != NULL && keys != NULL);
    cJSON_AddStringToObject(out, "type", type);
    for (size_t i = 0; i < st->nkeys; i++)
        if (st->keys[i].changed > after) cJSON_AddItemToArray(keys, key_json(st, &st->keys[i]));
    cJSON_AddItemToObject(out, "keys", keys);
    cJSON_AddNumberToObject(out, "upto", (double)st->changes);
    cJSON_AddNumberToObject(out, "boot", (double)st->boot);
    sim_json_send(node, p->id, out);
    cJSON_Delete(out);
}

static void on_sync(sim_node *node, mp_state *st, const sim_msg *msg, const cJSON *in, bool ack)
{
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(in, "keys");
    for (const cJSON *k = cJSON_IsArray(keys) ? keys->child : NULL; k; k = k->next) merge_json(st, k);
    if (!ack || msg->from == SIM_NODE_NONE) return;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "type", "mp_sync_ok");
    cJSON_AddNumberToObject(out, "upto", (double)sim_json_int(in, "upto", 0));
    cJSON_AddNumberToObject(out, "boot", (double)st->boot);
    sim_json_send(node, msg->from, out);
    cJSON_Delete(out);
}

static void on_sync_ok(mp_state *st, const sim_msg *msg, const cJSON *in)
{
    int64_t upto = sim_json_int(in, "upto", 0), boot = sim_json_int(in, "boot", 0);
    for (size_t i = 0; i < st->npeers; i++) {
        mp_peer *p = &st->peers[i];
        if (p->id != msg->from || boot < p->boot) continue;
        if (boot > p->boot) p->acked = 0;   /* it restarted and forgot: resend all (next tick) */
        else if (upto > p->acked && upto <= st->changes) p->acked = upto;
        p->boot = boot;
    }
}

void mp_sync_receive(sim_node *node, mp_state *st, const sim_msg *msg, const cJSON *in, const char *type)
{
    if (!strcmp(type, "mp_push")) on_sync(node, st, msg, in, false);
    else if (!strcmp(type, "mp_sync")) on_sync(node, st, msg, in, true);
    else if (!strcmp(type, "mp_sync_ok")) on_sync_ok(st, msg, in);
}

/* Every sync_interval: each peer gets the keys changed since its last ack. */
void mp_tick(sim_node *node, mp_state *st)
{
    for (size_t i = 0; i < st->npeers; i++) send_keys(node, st, &st->peers[i], st->peers[i].acked, "mp_sync");
    char text[32];
    snprintf(text, sizeof(text), "%zu", st->nkeys);
    sim_annotate(node, "keys", text);
}

mp_key *mp_key_find(mp_state *st, int64_t key) { return key_get(st, key, false); }

/* A new version from a client: LWW stamps it with our clock; VV counts one
 * more write by us on top of what the client saw (its context) or, without a
 * context, of everything we hold (a blind overwrite of what this node sees). */
void mp_local_write(sim_node *node, mp_state *st, int64_t key, int64_t value, const cJSON *context)
{
    mp_key *k = key_get(st, key, true);
    mp_version v = { .value = value, .ts_ns = sim_clock_ns(node), .origin = st->self_index };
    if (cJSON_IsArray(context)) vv_read(context, v.vv, st->nmembers);
    else
        for (size_t i = 0; i < k->nsib; i++)
            for (size_t j = 0; j < st->nmembers; j++)
                if (k->sib[i].vv[j] > v.vv[j]) v.vv[j] = k->sib[i].vv[j];
    int64_t mine = 0;                          /* our counter: above every version we hold */
    for (size_t i = 0; i < k->nsib; i++)
        if (k->sib[i].vv[st->self_index] > mine) mine = k->sib[i].vv[st->self_index];
    v.vv[st->self_index] = mine + 1;
    bool changed = merge_version(st, k, &v);
    if (changed) k->changed = ++st->changes;
    for (size_t i = 0; changed && i < st->npeers; i++)   /* push at once; the tick repairs */
        send_keys(node, st, &st->peers[i], k->changed - 1, "mp_push");
}
