/*
 * paxos: single-decree Paxos (Lamport, "Paxos Made Simple", 2001). A cluster of
 * nodes chooses one value despite loss, duplication, delay, partitions, pauses
 * and crashes with restart. Every node is an acceptor and a learner; the first
 * `proposers` nodes also propose, each its own name as the value.
 *
 * Messages (canonical JSON; a ballot is [round, node id]):
 *   proposer -> all      {"type":"prepare","ballot":B}
 *   acceptor -> proposer {"type":"promise","ballot":B[,"accepted":B2,"value":V]}
 *                        {"type":"nack","ballot":B,"promised":P}
 *   proposer -> all      {"type":"accept","ballot":B,"value":V}
 *   acceptor -> all      {"type":"accepted","ballot":B,"value":V}   (to every learner)
 *   learner -> all       {"type":"query"} -> {"type":"chosen","value":V}  (late learners)
 *
 * Proposer (the round timer fires `timeout` after the round starts):
 *
 *     IDLE --start + k*stagger--> PREPARING(b) --promise(b) from a majority--> ACCEPTING(b)
 *       PREPARING, ACCEPTING --round timer--> WAITING --back-off--> PREPARING(b' > b)
 *       any --this node learns a chosen value--> DONE
 *     back-off "random": uniform in [0, timeout * 2^min(failures, 3)) from the node's
 *     own stream; "none": no wait at all, so two proposers keep their phase (FLP).
 *     In phase 2 the value is the highest-ballot accepted value among the promises,
 *     else the proposer's own.
 *
 * Acceptor (promised and accepted are durable: written and synced BEFORE the answer):
 *
 *     prepare(b):   b >= promised ? promised := b; sync; promise(b, accepted) : nack
 *     accept(b, v): b >= promised ? promised := b; accepted := (b, v); sync;
 *                                   accepted(b, v) to every learner : nack
 *
 * Learner:
 *
 *     COUNTING(b, v, acceptors) --accepted(b, v) from a majority--> CHOSEN (synced)
 *     a higher ballot restarts the count; a lower one is ignored.
 *
 * Safety invariants, checked after every event by consensus_check.c through
 * paxos_probe, and locally by paxos_state_valid() (asserted after each handler):
 *   Agreement: no two learners ever learn different values (across crashes too).
 *   Validity: a learned value is one some proposer proposed.
 *   Local: accepted ballot <= promised; a value with every accepted ballot; the
 *   proposer's ballots are its own; a proposer that learned is DONE.
 * Why they hold: once a majority accepted (b, v), each of them holds it on disk, so
 * every later phase 1 meets one of them and re-proposes v. The bug
 * "ack-before-sync" (sync only every flush_delay, a group commit, and answer before
 * it) breaks exactly that: a node that crashes before its sync forgets a promise,
 * an acceptance or a learned value it already announced. The proposer's round is
 * durable too (synced before its prepare leaves); the bug "volatile-ballot" keeps
 * it in memory, so a proposer restarted mid-round reuses its ballot with another
 * value while the accepts of its first incarnation are still in flight, and two
 * values are chosen (tests/check_consensus.c replays such a schedule).
 * Liveness is not guaranteed (FLP): see the back-off above and builtin_flp.c.
 */
#include "sim/systems/paxos/paxos.h"

#include <stdlib.h>
#include <string.h>

#include "sim/systems/consensus/consensus_check.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

/* ---- the disk ------------------------------------------------------------------------- */

/* Makes the writes so far durable. The bug "ack-before-sync" batches syncs instead
 * (a group commit every flush_delay), so the answer leaves before the sync. */
static void sync_or_defer(sim_node *node, paxos_state *st)
{
    if (st->cfg->bug != PAXOS_BUG_ACK_BEFORE_SYNC) {
        cons_disk_sync(sim_self_disk(node));
    } else if (!st->flush_pending) {
        st->flush_pending = true;
        cons_timer(node, st->cfg->flush_delay_ns, "flush", 0);
    }
}

static void persist(sim_node *node, paxos_state *st)
{
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddItemToObject(rec, "promised", cons_ballot_json(st->promised));
    if (st->accepted_value) {
        cJSON_AddItemToObject(rec, "accepted", cons_ballot_json(st->accepted_ballot));
        cJSON_AddStringToObject(rec, "value", st->accepted_value);
    }
    char *text = cons_encode(rec);
    cJSON_Delete(rec);
    sim_disk *d = sim_self_disk(node);
    cons_disk_put(d, "acceptor", text);
    free(text);
    sync_or_defer(node, st);
}

static void load(sim_node *node, paxos_state *st)
{
    char *text = cons_disk_get(sim_self_disk(node), "acceptor");
    cJSON *rec = text ? cJSON_Parse(text) : NULL;
    sim_invariant(node, text == NULL || rec != NULL, "paxos-disk", "its acceptor record does not parse");
    cons_ballot_get(rec, "promised", &st->promised);
    if (cons_ballot_get(rec, "accepted", &st->accepted_ballot))
        st->accepted_value = cons_strdup(cons_get_str(rec, "value"));
    cJSON_Delete(rec);
    free(text);
    st->chosen = cons_disk_get(sim_self_disk(node), "chosen");
    char *round = cons_disk_get(sim_self_disk(node), "proposer");
    if (round) st->ballot = (cons_ballot){ strtoll(round, NULL, 10), (int64_t)sim_self(node) };
    free(round);
    char ballot[48];
    cons_ballot_text(sim_of(node), st->promised, ballot, sizeof(ballot));
    if (!cons_ballot_is_zero(st->promised)) sim_annotate(node, "promised", ballot);
    cons_ballot_text(sim_of(node), st->accepted_ballot, ballot, sizeof(ballot));
    if (st->accepted_value) cons_annotatef(node, "accepted", "%s=%s", ballot, st->accepted_value);
}

bool paxos_state_valid(const paxos_state *st)
{
    uint64_t all = st->nmembers >= 64 ? UINT64_MAX : (UINT64_C(1) << st->nmembers) - 1;
    if (cons_ballot_cmp(st->accepted_ballot, st->promised) > 0) return false;
    if (cons_ballot_is_zero(st->accepted_ballot) != (st->accepted_value == NULL)) return false;
    if ((st->promise_mask & ~all) || (st->count_mask & ~all)) return false;
    if (st->rounds > 0 && st->ballot.node != (int64_t)st->members[st->self_index]) return false;
    if (st->is_proposer && st->chosen && st->phase != PAXOS_DONE) return false;
    return st->best_value == NULL || st->phase != PAXOS_IDLE;
}

/* ---- the learner -------------------------------------------------------------------------- */

static void learn(sim_node *node, paxos_state *st, const char *value)
{
    if (st->chosen) return;
    st->chosen = cons_strdup(value);
    cons_disk_put(sim_self_disk(node), "chosen", value);
    sync_or_defer(node, st);
    sim_annotate(node, "chosen", value);
    if (st->is_proposer) st->phase = PAXOS_DONE;
}

static void on_accepted(sim_node *node, paxos_state *st, size_t from, const cJSON *in)
{
    cons_ballot b;
    const char *v = cons_get_str(in, "value");
    if (st->chosen || !v || !cons_ballot_get(in, "ballot", &b)) return;
    int c = cons_ballot_cmp(b, st->count_ballot);
    if (c < 0) return;
    if (c > 0 || !st->count_value || strcmp(v, st->count_value) != 0) {
        st->count_ballot = b;                /* a newer ballot: count afresh */
        cons_set_str(&st->count_value, v);
        st->count_mask = 0;
    }
    st->count_mask |= UINT64_C(1) << from;
    if ((size_t)cons_popcount(st->count_mask) >= cons_majority(st->nmembers)) learn(node, st, v);
}

/* ---- the acceptor --------------------------------------------------------------------------- */

static void on_prepare(sim_node *node, paxos_state *st, sim_node_id from, const cJSON *in)
{
    cons_ballot b;
    if (!cons_ballot_get(in, "ballot", &b)) return;
    bool ok = cons_ballot_cmp(b, st->promised) >= 0;
    if (ok && cons_ballot_cmp(b, st->promised) > 0) {
        st->promised = b;
        persist(node, st);                   /* on disk before the promise leaves */
        char text[48];
        cons_ballot_text(sim_of(node), b, text, sizeof(text));
        sim_annotate(node, "promised", text);
    }
    cJSON *out = cons_msg(ok ? "promise" : "nack");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(b));
    if (!ok) cJSON_AddItemToObject(out, "promised", cons_ballot_json(st->promised));
    if (ok && st->accepted_value) {
        cJSON_AddItemToObject(out, "accepted", cons_ballot_json(st->accepted_ballot));
        cJSON_AddStringToObject(out, "value", st->accepted_value);
    }
    cons_send(node, from, out);
}

static void on_accept(sim_node *node, paxos_state *st, sim_node_id from, const cJSON *in)
{
    cons_ballot b;
    const char *v = cons_get_str(in, "value");
    if (!v || !cons_ballot_get(in, "ballot", &b)) return;
    if (cons_ballot_cmp(b, st->promised) < 0) {
        cJSON *out = cons_msg("nack");
        cJSON_AddItemToObject(out, "ballot", cons_ballot_json(b));
        cJSON_AddItemToObject(out, "promised", cons_ballot_json(st->promised));
        cons_send(node, from, out);
        return;
    }
    bool same = st->accepted_value && cons_ballot_cmp(b, st->accepted_ballot) == 0 &&
                strcmp(v, st->accepted_value) == 0;
    if (!same) {
        st->promised = b;
        st->accepted_ballot = b;
        cons_set_str(&st->accepted_value, v);
        persist(node, st);                   /* on disk before anyone hears of it */
        char text[48];
        cons_ballot_text(sim_of(node), b, text, sizeof(text));
        cons_annotatef(node, "accepted", "%s=%s", text, v);
    }
    cJSON *out = cons_msg("accepted");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(b));
    cJSON_AddStringToObject(out, "value", v);
    cons_send_all(node, st->members, st->nmembers, out);
}

/* ---- the proposer ---------------------------------------------------------------------------- */

/* The proposer's highest round, on disk before its prepare leaves: a restarted
 * proposer must never reuse a ballot, since the accepts of its last incarnation may
 * still be in flight with another value. (Its own acceptor's promise is no
 * substitute: the prepare to itself travels the network and may be lost, or still
 * in flight at the crash.) The bug "volatile-ballot" keeps it in memory only. */
static void persist_ballot(sim_node *node, paxos_state *st)
{
    if (st->cfg->bug == PAXOS_BUG_VOLATILE_BALLOT) return;
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)st->ballot.round);
    cons_disk_put(sim_self_disk(node), "proposer", text);
    sync_or_defer(node, st);
}

static void start_round(sim_node *node, paxos_state *st)
{
    int64_t r = st->ballot.round;
    if (st->round_seen > r) r = st->round_seen;
    if (st->promised.round > r) r = st->promised.round;
    st->ballot = (cons_ballot){ r + 1, (int64_t)sim_self(node) };
    persist_ballot(node, st);
    st->rounds++;
    st->phase = PAXOS_PREPARING;
    st->promise_mask = 0;
    st->best_ballot = (cons_ballot){ 0, 0 };
    cons_set_str(&st->best_value, NULL);
    char text[48];
    cons_ballot_text(sim_of(node), st->ballot, text, sizeof(text));
    sim_annotate(node, "ballot", text);
    cJSON *out = cons_msg("prepare");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(st->ballot));
    cons_send_all(node, st->members, st->nmembers, out);
    cons_timer(node, st->cfg->timeout_ns, "round", (uint64_t)st->rounds);
}

static void on_promise(sim_node *node, paxos_state *st, size_t from, const cJSON *in)
{
    cons_ballot b, ab;
    if (st->phase != PAXOS_PREPARING || !cons_ballot_get(in, "ballot", &b)) return;
    if (cons_ballot_cmp(b, st->ballot) != 0) return;          /* an older round's */
    st->promise_mask |= UINT64_C(1) << from;
    const char *v = cons_get_str(in, "value");
    if (v && cons_ballot_get(in, "accepted", &ab) && cons_ballot_cmp(ab, st->best_ballot) > 0) {
        st->best_ballot = ab;                /* P2c: the highest accepted value wins */
        cons_set_str(&st->best_value, v);
    }
    if ((size_t)cons_popcount(st->promise_mask) < cons_majority(st->nmembers)) return;
    st->phase = PAXOS_ACCEPTING;
    cJSON *out = cons_msg("accept");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(st->ballot));
    cJSON_AddStringToObject(out, "value", st->best_value ? st->best_value : st->my_value);
    cons_send_all(node, st->members, st->nmembers, out);
}

static void on_nack(paxos_state *st, const cJSON *in)
{
    cons_ballot p;
    if (cons_ballot_get(in, "promised", &p) && p.round > st->round_seen) st->round_seen = p.round;
}

/* The round timer: the round failed unless a value was learned meanwhile. */
static void round_over(sim_node *node, paxos_state *st, uint64_t round)
{
    if ((int64_t)round != st->rounds || st->phase == PAXOS_DONE) return;
    st->failures++;
    if (st->cfg->backoff == PAXOS_BACKOFF_NONE) {
        start_round(node, st);
        return;
    }
    st->phase = PAXOS_WAITING;
    int shift = st->failures < 3 ? (int)st->failures : 3;
    cons_timer(node, cons_jitter(node, st->cfg->timeout_ns << shift), "retry", (uint64_t)st->rounds);
}

/* ---- handlers ------------------------------------------------------------------------------------ */

static size_t member_index(const paxos_state *st, sim_node_id id)
{
    for (size_t i = 0; i < st->nmembers; i++)
        if (st->members[i] == id) return i;
    return SIZE_MAX;
}

static void paxos_receive(sim_node *node, void *state, const sim_msg *msg)
{
    paxos_state *st = state;
    const char *t;
    cJSON *in = cons_parse(msg, &t);
    size_t from = member_index(st, msg->from);
    if (!in || from == SIZE_MAX) {           /* garbled, or not from the cluster */
        cJSON_Delete(in);
        return;
    }
    if (strcmp(t, "prepare") == 0) on_prepare(node, st, msg->from, in);
    else if (strcmp(t, "accept") == 0) on_accept(node, st, msg->from, in);
    else if (strcmp(t, "accepted") == 0) on_accepted(node, st, from, in);
    else if (strcmp(t, "promise") == 0) on_promise(node, st, from, in);
    else if (strcmp(t, "nack") == 0) on_nack(st, in);
    else if (strcmp(t, "chosen") == 0 && cons_get_str(in, "value")) learn(node, st, cons_get_str(in, "value"));
    else if (strcmp(t, "query") == 0 && st->chosen) {
        cJSON *out = cons_msg("chosen");
        cJSON_AddStringToObject(out, "value", st->chosen);
        cons_send(node, msg->from, out);
    }
    cJSON_Delete(in);
    sim_invariant(node, paxos_state_valid(st), "paxos-local", "paxos_state_valid");
}

static void paxos_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    paxos_state *st = state;
    if (strcmp(name, "flush") == 0) {
        if (st->flush_pending) cons_disk_sync(sim_self_disk(node));
        st->flush_pending = false;
    } else if (strcmp(name, "round") == 0) {
        round_over(node, st, arg);
    } else if ((strcmp(name, "start") == 0 || strcmp(name, "retry") == 0) && st->phase != PAXOS_DONE) {
        if (strcmp(name, "start") == 0 || (int64_t)arg == st->rounds) start_round(node, st);
    } else if (strcmp(name, "query") == 0 && !st->chosen) {
        for (size_t i = 0; i < st->nmembers; i++)
            if (i != st->self_index) cons_send(node, st->members[i], cons_msg("query"));
        cons_timer(node, st->cfg->timeout_ns, "query", 0);
    }
    sim_invariant(node, paxos_state_valid(st), "paxos-local", "paxos_state_valid");
}

static const paxos_config defaults = {
    .proposers = 0, .timeout_ns = 100 * SIM_NS_PER_MS, .stagger_ns = 0,
    .flush_delay_ns = 100 * SIM_NS_PER_MS, .backoff = PAXOS_BACKOFF_RANDOM, .bug = PAXOS_BUG_NONE,
};

static void paxos_start(sim_node *node, void *state)
{
    paxos_state *st = state;
    st->cfg = sim_self_config(node) ? sim_self_config(node) : &defaults;
    st->nmembers = cons_members(node, st->members, &st->self_index);
    load(node, st);
    size_t proposers = st->cfg->proposers > 0 ? (size_t)st->cfg->proposers : st->nmembers;
    st->is_proposer = st->self_index < proposers;
    sim_annotate(node, "role", st->is_proposer ? "proposer+acceptor+learner" : "acceptor+learner");
    if (st->chosen) {
        sim_annotate(node, "chosen", st->chosen);
        if (st->is_proposer) st->phase = PAXOS_DONE;
    } else if (st->is_proposer) {
        char value[80];
        snprintf(value, sizeof(value), "v-%s", sim_self_name(node));
        st->my_value = cons_strdup(value);
        sim_annotate(node, "proposed", st->my_value);
        cons_timer(node, (int64_t)st->self_index * st->cfg->stagger_ns, "start", 0);
    }
    if (!st->chosen) cons_timer(node, st->cfg->timeout_ns, "query", 0);
    sim_invariant(node, paxos_state_valid(st), "paxos-local", "paxos_state_valid");
}

static void paxos_stop(sim_node *node, void *state)
{
    paxos_state *st = state;
    free(st->accepted_value);
    free(st->best_value);
    free(st->my_value);
    free(st->count_value);
    free(st->chosen);
}

static int paxos_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "proposers", "timeout", "stagger", "flush_delay",
                                         "backoff", "bug", NULL };
    static const char *const backoffs[] = { "random", "none", NULL };
    static const char *const bugs[] = { "none", "ack-before-sync", "volatile-ballot", NULL };
    paxos_config c = defaults;
    int backoff = 0, bug = 0;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_int(options, "proposers", 0, CONS_MEMBERS_MAX, &c.proposers, err, errlen);
    if (!rc) rc = sim_option_duration(options, "timeout", &c.timeout_ns, err, errlen);
    if (!rc) rc = cons_option_positive("timeout", c.timeout_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "stagger", &c.stagger_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "flush_delay", &c.flush_delay_ns, err, errlen);
    if (!rc) rc = cons_option_positive("flush_delay", c.flush_delay_ns, err, errlen);
    if (!rc) rc = cons_option_choice(options, "backoff", backoffs, &backoff, err, errlen);
    if (!rc) rc = cons_option_choice(options, "bug", bugs, &bug, err, errlen);
    if (rc) return rc;
    c.backoff = (paxos_backoff)backoff;
    c.bug = (paxos_bug)bug;
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program paxos_program = {
    .name = "paxos",
    .state_bytes = sizeof(paxos_state),
    .start = paxos_start,
    .receive = paxos_receive,
    .timer = paxos_timer,
    .stop = paxos_stop,
};

const sim_system sim_system_paxos = {
    .name = "paxos",
    .summary = "single-decree Paxos: proposers, acceptors (durable), learners choose one value",
    .program = &paxos_program,
    .configure = paxos_configure,
    .release = free,
    .state_json = paxos_state_json,
};

/* ---- what the invariant checker reads (consensus_check.h) ------------------------------------------ */

static size_t probe_count(const void *state) { return ((const paxos_state *)state)->chosen ? 1 : 0; }

static void probe_get(const void *state, size_t i, int64_t *key, const char **value)
{
    *key = 0;
    *value = ((const paxos_state *)state)->chosen;
}

static bool probe_valid(consensus_check *c, int64_t key, const char *value, char *why, size_t n)
{
    if (consensus_check_proposed(c, value)) return true;
    snprintf(why, n, "\"%s\" was never proposed", value);
    return false;
}

const consensus_probe paxos_probe = {
    .system = "paxos", .agreement = "agreement", .key_name = "slot", .decided = "learned",
    .count = probe_count, .get = probe_get, .valid = probe_valid,
};
