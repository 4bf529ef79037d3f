/*
 * The participant of two-phase commit (the coordinator and the protocol's
 * invariants are at the top of twopc.c). One transaction at a participant:
 *
 *     NONE --prepare; vote no (probability no_prob): write "no", sync--> ABORTED
 *     NONE --prepare; vote yes: write "prepared", SYNC, then vote--> PREPARED
 *     PREPARED --decision (written, synced), then ack--> COMMITTED | ABORTED
 *     PREPARED --no decision for blocked_after--> PREPARED and BLOCKED: it may not
 *         commit (another participant may have voted no) nor abort (the coordinator
 *         may have committed); it asks the coordinator ("status") every `retry`
 *     any --crash, restart--> the record on disk: PREPARED is still PREPARED (and
 *         still blocked); a vote whose record was never synced is forgotten
 *
 * The bug "no-durable-prepare" votes yes before the prepared record is synced (it
 * reaches the disk only with the next sync, at some later decision). A crash in
 * between forgets the vote; when the commit then arrives, the transaction's
 * prepared writes are gone and the participant can only abort it, while the others
 * commit: atomicity is broken. Without the bug, a commit for a transaction this
 * node never prepared cannot happen (asserted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/systems/twopc/twopc_internal.h"
#include "sim/systems/invariant.h"

static void annotate_blocked(sim_node *node, twopc_state *st)
{
    int64_t first;
    size_t n = twopc_blocked(st, &first);
    if (n == 0) sim_annotate(node, "blocked", "no");
    else if (n == 1) cons_annotatef(node, "blocked", "txn %lld", (long long)first);
    else cons_annotatef(node, "blocked", "txn %lld and %zu more", (long long)first, n - 1);
}

void tp_participant_load(sim_node *node, twopc_state *st)
{
    const sim_disk *d = sim_self_disk(node);
    for (size_t i = 0; i < sim_disk_count(d); i++) {
        const char *key = sim_disk_key_at(d, i);
        twopc_txn *t = strncmp(key, "txn/", 4) == 0 ? tp_txn(st, strtoll(key + 4, NULL, 10)) : NULL;
        if (!t) continue;
        char *text = cons_disk_get(d, key);
        if (strcmp(text, "prepared") == 0) {
            t->phase = TX_PREPARED;
            t->since_ns = sim_clock_ns(node);
        } else {
            t->phase = strcmp(text, "commit") == 0 ? TX_COMMITTED : TX_ABORTED;
            t->voted_no = strcmp(text, "no") == 0;
            t->lost = strcmp(text, "lost") == 0;
            tp_note_decision(st, strtoll(key + 4, NULL, 10));
        }
        free(text);
    }
}

static void write_record(sim_node *node, int64_t txn, const char *text, bool sync)
{
    char key[32];
    tp_key(key, sizeof(key), txn);
    cons_disk_put(sim_self_disk(node), key, text);
    if (sync) cons_disk_sync(sim_self_disk(node));
}

static void send_to_coordinator(sim_node *node, const twopc_state *st, const char *type, int64_t txn,
                                int yes)
{
    cJSON *out = cons_msg(type);
    cJSON_AddNumberToObject(out, "txn", (double)txn);
    if (yes >= 0) cJSON_AddBoolToObject(out, "yes", yes);
    cons_send(node, st->members[0], out);
}

void tp_on_prepare(sim_node *node, twopc_state *st, const cJSON *in)
{
    int64_t id;
    twopc_txn *t = cons_get_int(in, "txn", &id) ? tp_txn(st, id) : NULL;
    if (!t) return;
    if (t->phase == TX_NONE) {
        bool no = sim_rng_chance(sim_self_rng(node), sim_prob_from_double(st->cfg->no_prob));
        if (no) {
            t->phase = TX_ABORTED;           /* a no voter may abort on its own */
            t->voted_no = true;
            write_record(node, id, "no", true);
            tp_note_decision(st, id);
        } else {
            t->phase = TX_PREPARED;
            t->since_ns = sim_clock_ns(node);
            write_record(node, id, "prepared", st->cfg->bug != TWOPC_BUG_NO_DURABLE_PREPARE);
        }
        cons_annotatef(node, "txn", "%lld %s", (long long)id, no ? "voted no" : "prepared");
    }
    /* A resent prepare gets the same vote again. */
    bool yes = t->phase == TX_PREPARED || t->phase == TX_COMMITTED;
    send_to_coordinator(node, st, "vote", id, yes);
}

void tp_on_decision(sim_node *node, twopc_state *st, const cJSON *in)
{
    int64_t id;
    twopc_txn *t = cons_get_int(in, "txn", &id) ? tp_txn(st, id) : NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(in, "commit");
    if (!t || !cJSON_IsBool(c)) return;
    bool commit = cJSON_IsTrue(c);
    if (t->phase == TX_NONE || t->phase == TX_PREPARED) {
        if (t->phase == TX_NONE && commit) {
            /* Told to commit what this node never prepared: its vote was lost. */
            sim_invariant(node, st->cfg->bug == TWOPC_BUG_NO_DURABLE_PREPARE, "twopc-local",
                          "told to commit a transaction it never prepared");
            t->lost = true;
        }
        bool was_blocked = t->blocked;
        t->phase = commit && !t->lost ? TX_COMMITTED : TX_ABORTED;
        t->blocked = false;
        write_record(node, id, t->lost ? "lost" : commit ? "commit" : "abort", true);
        tp_note_decision(st, id);
        cons_annotatef(node, "txn", "%lld %s", (long long)id,
                       t->lost ? "aborted: its prepared writes were lost" : commit ? "committed" : "aborted");
        if (was_blocked) annotate_blocked(node, st);
    } else {
        /* Decided already: the decision can only repeat the one it has. */
        sim_invariant(node, (t->phase == TX_COMMITTED) == commit || t->lost, "twopc-atomicity",
                      "a decision contradicts the one it already applied");
    }
    send_to_coordinator(node, st, "ack", id, -1);
}

void tp_participant_tick(sim_node *node, twopc_state *st)
{
    bool changed = false;
    int64_t now = sim_clock_ns(node);
    for (int64_t id = 1; id <= st->cfg->txns; id++) {
        twopc_txn *t = &st->txns[id];
        if (t->phase != TX_PREPARED || now - t->since_ns < st->cfg->blocked_after_ns) continue;
        if (!t->blocked) changed = true;
        t->blocked = true;                   /* uncertain, and it cannot decide alone */
        send_to_coordinator(node, st, "status", id, -1);
    }
    if (changed) annotate_blocked(node, st);
}
