/*
 * The log of a Multi-Paxos replica: the acceptor and the learner of every slot,
 * and their disk. The acceptor keeps one promised ballot for all slots (so one
 * phase 1 covers the whole log) and, per slot, the last accepted (ballot, value).
 * Both are written and synced before the acceptor answers. The learner counts
 * accepted messages per slot and decides when a majority accepted the same
 * (ballot, value); decided commands are written too and applied in slot order.
 *
 * Disk keys: "promised" -> [round, node]; "acc/<slot>" -> {"b":[r,n],"v":cmd};
 * "dec/<slot>" -> cmd; "leader" -> [round, node] (the ballot this node last won
 * phase 1 with); "ballot" -> [round, node] (the last ballot it campaigned with,
 * synced before its prepare left, so a restart never reuses it). Slots are zero-padded, so keys iterate in slot order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/systems/multipaxos/multipaxos_internal.h"
#include "sim/systems/invariant.h"

void mp_ensure(multipaxos_state *st, int64_t slot)
{
    SIM_ASSERT(slot >= 0 && slot < MP_SLOT_MAX);
    if (slot < st->log_cap) return;
    int64_t cap = st->log_cap ? st->log_cap : 64;
    while (cap <= slot) cap *= 2;
    st->log = realloc(st->log, (size_t)cap * sizeof(mp_slot));
    SIM_ASSERT(st->log != NULL);
    memset(&st->log[st->log_cap], 0, (size_t)(cap - st->log_cap) * sizeof(mp_slot));
    for (int64_t i = st->log_cap; i < cap; i++) st->log[i].client = st->log[i].seq = -1;
    st->log_cap = cap;
}

static void slot_key(char *buf, size_t n, const char *prefix, int64_t slot)
{
    snprintf(buf, n, "%s/%012lld", prefix, (long long)slot);
}

static void write_promised(sim_node *node, const multipaxos_state *st)
{
    cJSON *b = cons_ballot_json(st->promised);
    char *text = cons_encode(b);
    cons_disk_put(sim_self_disk(node), "promised", text);
    free(text);
    cJSON_Delete(b);
}

/* Commits every decided slot that follows the commit point, in order. */
static void advance(sim_node *node, multipaxos_state *st)
{
    int64_t before = st->commit;
    while (st->commit + 1 < st->log_cap && st->log[st->commit + 1].decided) {
        st->commit++;
        mp_apply(node, st, st->commit);
    }
    if (st->commit == before) return;
    cons_annotatef(node, "commit", "%lld", (long long)st->commit);
    if (st->role == MP_LEADER && st->next_slot <= st->commit) st->next_slot = st->commit + 1;
}

static void note_decision(multipaxos_state *st, int64_t slot)
{
    if (st->ndecisions == st->decisions_cap) {
        st->decisions_cap = st->decisions_cap ? st->decisions_cap * 2 : 64;
        st->decisions = realloc(st->decisions, st->decisions_cap * sizeof(int64_t));
        SIM_ASSERT(st->decisions != NULL);
    }
    st->decisions[st->ndecisions++] = slot;
    if (slot > st->max_slot) st->max_slot = slot;
}

void mp_decide(sim_node *node, multipaxos_state *st, int64_t slot, const char *value)
{
    mp_ensure(st, slot);
    mp_slot *e = &st->log[slot];
    if (e->decided) {
        /* Two values chosen for one slot: impossible unless a bug switch is on. */
        sim_invariant(node, strcmp(e->decided, value) == 0, "multipaxos-agreement",
                      "a slot it decided was decided again with another command");
        return;
    }
    e->decided = cons_strdup(value);
    char key[32];
    slot_key(key, sizeof(key), "dec", slot);
    cons_disk_put(sim_self_disk(node), key, value);
    cons_disk_sync(sim_self_disk(node));
    note_decision(st, slot);
    advance(node, st);
}

static void load_entry(multipaxos_state *st, const char *key, char *text)
{
    int64_t slot = strtoll(key + 4, NULL, 10);
    mp_ensure(st, slot);
    if (slot > st->max_slot) st->max_slot = slot;
    if (strncmp(key, "dec/", 4) == 0) {
        st->log[slot].decided = text;
        note_decision(st, slot);
        return;
    }
    cJSON *rec = cJSON_Parse(text);
    SIM_ASSERT(rec != NULL && cons_get_str(rec, "v") != NULL);
    cons_ballot_get(rec, "b", &st->log[slot].accepted_ballot);
    st->log[slot].accepted = cons_strdup(cons_get_str(rec, "v"));
    cJSON_Delete(rec);
    free(text);
}

void mp_load(sim_node *node, multipaxos_state *st)
{
    const sim_disk *d = sim_self_disk(node);
    mp_ensure(st, 1);
    for (size_t i = 0; i < sim_disk_count(d); i++) {
        const char *key = sim_disk_key_at(d, i);
        char *text = cons_disk_get(d, key);
        if (strncmp(key, "acc/", 4) == 0 || strncmp(key, "dec/", 4) == 0) {
            load_entry(st, key, text);
            continue;
        }
        bool ok = true;
        if (strcmp(key, "promised") == 0) ok = cons_ballot_parse(text, &st->promised);
        else if (strcmp(key, "ballot") == 0) ok = cons_ballot_parse(text, &st->ballot);
        sim_invariant(node, ok, "multipaxos-disk", "a ballot on its disk does not parse");
        free(text);
    }
    advance(node, st);
}

/* ---- the acceptor ------------------------------------------------------------------ */

static void nack(sim_node *node, const multipaxos_state *st, sim_node_id to, cons_ballot b)
{
    cJSON *out = cons_msg("nack");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(b));
    cJSON_AddItemToObject(out, "promised", cons_ballot_json(st->promised));
    cons_send(node, to, out);
}

/* Every slot from `from` on that this acceptor knows: decided ones as decided. */
static cJSON *promise_entries(const multipaxos_state *st, int64_t from)
{
    cJSON *entries = cJSON_CreateArray();
    for (int64_t s = from < 1 ? 1 : from; s <= st->max_slot; s++) {
        const mp_slot *e = &st->log[s];
        if (!e->decided && !e->accepted) continue;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "s", (double)s);
        if (e->decided) {
            cJSON_AddStringToObject(item, "d", e->decided);
        } else {
            cJSON_AddItemToObject(item, "b", cons_ballot_json(e->accepted_ballot));
            cJSON_AddStringToObject(item, "v", e->accepted);
        }
        cJSON_AddItemToArray(entries, item);
    }
    return entries;
}

void mp_on_prepare(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in)
{
    cons_ballot b;
    int64_t first;
    if (!cons_ballot_get(in, "ballot", &b) || !cons_get_int(in, "from", &first)) return;
    if (cons_ballot_cmp(b, st->promised) < 0) {
        nack(node, st, from, b);
        return;
    }
    if (cons_ballot_cmp(b, st->promised) > 0) {
        st->promised = b;
        write_promised(node, st);
        cons_disk_sync(sim_self_disk(node));   /* durable before the promise leaves */
        char text[48];
        cons_ballot_text(sim_of(node), b, text, sizeof(text));
        sim_annotate(node, "promised", text);
        mp_step_down(node, st, b);
    }
    cJSON *out = cons_msg("promise");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(b));
    cJSON_AddItemToObject(out, "entries", promise_entries(st, first));
    cons_send(node, from, out);
}

void mp_on_accept(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in)
{
    cons_ballot b;
    int64_t slot;
    const char *v = cons_get_str(in, "value");
    if (!v || !cons_ballot_get(in, "ballot", &b) || !cons_get_int(in, "slot", &slot)) return;
    if (slot < 1 || slot >= MP_SLOT_MAX) return;
    if (cons_ballot_cmp(b, st->promised) < 0) {
        nack(node, st, from, b);
        return;
    }
    mp_ensure(st, slot);
    mp_slot *e = &st->log[slot];
    if (!e->accepted || cons_ballot_cmp(b, e->accepted_ballot) != 0 || strcmp(v, e->accepted) != 0) {
        if (cons_ballot_cmp(b, st->promised) > 0) mp_step_down(node, st, b);
        st->promised = b;
        e->accepted_ballot = b;
        cons_set_str(&e->accepted, v);
        if (slot > st->max_slot) st->max_slot = slot;
        write_promised(node, st);
        cJSON *rec = cJSON_CreateObject();
        cJSON_AddItemToObject(rec, "b", cons_ballot_json(b));
        cJSON_AddStringToObject(rec, "v", v);
        char *text = cons_encode(rec), key[32];
        cJSON_Delete(rec);
        slot_key(key, sizeof(key), "acc", slot);
        cons_disk_put(sim_self_disk(node), key, text);
        free(text);
        cons_disk_sync(sim_self_disk(node)); /* durable before anyone hears of it */
    }
    cJSON *out = cons_msg("accepted");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(b));
    cJSON_AddNumberToObject(out, "slot", (double)slot);
    cJSON_AddStringToObject(out, "value", v);
    cons_send_all(node, st->members, st->nmembers, out);
}

/* ---- the learner ------------------------------------------------------------------- */

void mp_on_accepted(sim_node *node, multipaxos_state *st, size_t from, const cJSON *in)
{
    cons_ballot b;
    int64_t slot;
    const char *v = cons_get_str(in, "value");
    if (!v || !cons_ballot_get(in, "ballot", &b) || !cons_get_int(in, "slot", &slot)) return;
    if (slot < 1 || slot >= MP_SLOT_MAX) return;
    mp_ensure(st, slot);
    mp_slot *e = &st->log[slot];
    if (e->decided) return;
    int c = cons_ballot_cmp(b, e->count_ballot);
    if (c < 0) return;
    if (c > 0 || !e->count_value || strcmp(v, e->count_value) != 0) {
        e->count_ballot = b;                 /* a newer ballot: count afresh */
        cons_set_str(&e->count_value, v);
        e->count_mask = 0;
    }
    e->count_mask |= UINT64_C(1) << from;
    if ((size_t)cons_popcount(e->count_mask) >= cons_majority(st->nmembers)) mp_decide(node, st, slot, v);
}

void mp_log_free(multipaxos_state *st)
{
    for (int64_t i = 0; i < st->log_cap; i++) {
        free(st->log[i].accepted);
        free(st->log[i].count_value);
        free(st->log[i].decided);
        free(st->log[i].proposed);
    }
    free(st->log);
    free(st->decisions);
}
