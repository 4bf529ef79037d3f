/*
 * twopc: two-phase commit (Gray, 1978), the transaction-commit problem. The first
 * node of the cluster is the coordinator; the others are participants (see
 * twopc_participant.c). The coordinator runs `txns` transactions, one begun every
 * `interval`, each over every participant.
 *
 * Messages (canonical JSON):
 *   coordinator -> participant  {"type":"prepare","txn":T}
 *   participant -> coordinator  {"type":"vote","txn":T,"yes":true|false}
 *   coordinator -> participant  {"type":"decision","txn":T,"commit":true|false}
 *   participant -> coordinator  {"type":"ack","txn":T}
 *   participant -> coordinator  {"type":"status","txn":T}   (a blocked participant asks)
 *
 * One transaction at the coordinator (records on disk: "txn/T" and "next"):
 *
 *     NONE --begin: write "begin", sync, prepare to all--> PREPARING
 *     PREPARING --every vote yes--> write "commit", SYNC, decision to all --> COMMITTED
 *     PREPARING --a vote no | vote_timeout--> write "abort", SYNC, decision --> ABORTED
 *     COMMITTED | ABORTED --every ack--> done (write "end:...")
 *     crash --restart--> reads its log: a decided transaction's decision is sent
 *         again until acked; one only begun (PREPARING) is aborted (presumed abort:
 *         no participant can have been told to commit it)
 * Prepares and decisions are resent every `retry` until answered; a status
 * question gets the decision once there is one (an unknown transaction: abort).
 *
 * Blocking: between voting yes and hearing the decision, a participant can do
 * nothing alone; if the coordinator crashes after its prepares and stays down,
 * the prepared participants stay blocked (annotated "blocked": the transaction)
 * until it restarts and finishes (builtin_twopc.c shows it).
 *
 * Invariants, checked after every event by consensus_check.c through twopc_probe
 * (and locally by twopc_state_valid after each handler):
 *   Atomicity: no transaction is committed at one node and aborted at another
 *   (coordinator included), at any time, across crashes.
 *   Validity: a transaction commits only if no participant voted no.
 *   Local: phases fit the role; a done transaction is decided; ids in range.
 */
#include "sim/systems/twopc/twopc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"
#include "sim/systems/twopc/twopc_internal.h"
#include "sim/systems/invariant.h"

void tp_key(char *buf, size_t n, int64_t txn) { snprintf(buf, n, "txn/%08lld", (long long)txn); }

twopc_txn *tp_txn(twopc_state *st, int64_t txn)
{
    return txn >= 1 && txn <= st->cfg->txns ? &st->txns[txn] : NULL;
}

void tp_note_decision(twopc_state *st, int64_t txn)
{
    SIM_ASSERT(st->ndecisions < (size_t)st->cfg->txns);
    st->decisions[st->ndecisions++] = txn;
    if (st->txns[txn].phase == TX_COMMITTED) st->commits++;
    else st->aborts++;
}

static uint64_t participants_mask(const twopc_state *st)
{
    uint64_t all = st->nmembers >= 64 ? UINT64_MAX : (UINT64_C(1) << st->nmembers) - 1;
    return all & ~UINT64_C(1);               /* members[0] is the coordinator */
}

bool twopc_state_valid(const twopc_state *st)
{
    if (st->coordinator != (st->self_index == 0) || !st->txns) return false;
    if (st->next_txn < 0 || st->next_txn > st->cfg->txns + 1) return false;
    for (int64_t id = 1; id <= st->cfg->txns; id++) {
        const twopc_txn *t = &st->txns[id];
        bool decided = t->phase == TX_COMMITTED || t->phase == TX_ABORTED;
        if (t->phase == (st->coordinator ? TX_PREPARED : TX_PREPARING)) return false;
        if ((t->done && !decided) || (t->blocked && t->phase != TX_PREPARED)) return false;
        if ((t->yes_mask | t->ack_mask) & ~participants_mask(st)) return false;
    }
    return st->ndecisions <= (size_t)st->cfg->txns;
}

size_t twopc_blocked(const twopc_state *st, int64_t *first_txn)
{
    size_t n = 0;
    for (int64_t id = st->cfg->txns; id >= 1; id--)
        if (st->txns[id].blocked) n++, *first_txn = id;
    return n;
}

/* ---- the coordinator -------------------------------------------------------------- */

static void send_participants(sim_node *node, const twopc_state *st, cJSON *msg, uint64_t skip_mask)
{
    for (size_t i = 1; i < st->nmembers; i++)
        if (!(skip_mask & (UINT64_C(1) << i))) sim_json_send(node, st->members[i], msg);
    cJSON_Delete(msg);
}

static cJSON *txn_msg(const char *type, int64_t txn)
{
    cJSON *m = cons_msg(type);
    cJSON_AddNumberToObject(m, "txn", (double)txn);
    return m;
}

static void send_decision(sim_node *node, const twopc_state *st, int64_t id, uint64_t skip_mask)
{
    cJSON *m = txn_msg("decision", id);
    cJSON_AddBoolToObject(m, "commit", st->txns[id].phase == TX_COMMITTED);
    send_participants(node, st, m, skip_mask);
}

static void decide(sim_node *node, twopc_state *st, int64_t id, bool commit)
{
    twopc_txn *t = &st->txns[id];
    sim_invariant(node, t->phase == TX_PREPARING, "twopc-local", "deciding a transaction not in phase 1");
    sim_invariant(node, !commit || t->yes_mask == participants_mask(st), "twopc-atomicity",
                  "committing without a yes from every participant");
    char key[32];
    tp_key(key, sizeof(key), id);
    cons_disk_put(sim_self_disk(node), key, commit ? "commit" : "abort");
    cons_disk_sync(sim_self_disk(node));    /* the decision is durable before anyone hears it */
    t->phase = commit ? TX_COMMITTED : TX_ABORTED;
    tp_note_decision(st, id);
    cons_annotatef(node, "txn", "%lld %s", (long long)id, commit ? "committed" : "aborted");
    send_decision(node, st, id, 0);
}

static void begin_txn(sim_node *node, twopc_state *st)
{
    int64_t id = st->next_txn++;
    char key[32], next[32];
    tp_key(key, sizeof(key), id);
    snprintf(next, sizeof(next), "%lld", (long long)st->next_txn);
    cons_disk_put(sim_self_disk(node), key, "begin");
    cons_disk_put(sim_self_disk(node), "next", next);
    cons_disk_sync(sim_self_disk(node));    /* so that a restart knows to finish it */
    st->txns[id].phase = TX_PREPARING;
    cons_annotatef(node, "txn", "%lld preparing", (long long)id);
    send_participants(node, st, txn_msg("prepare", id), 0);
    cons_timer(node, st->cfg->vote_timeout_ns, "votes", (uint64_t)id);
}

static void on_vote(sim_node *node, twopc_state *st, size_t from, const cJSON *in)
{
    int64_t id;
    twopc_txn *t = cons_get_int(in, "txn", &id) ? tp_txn(st, id) : NULL;
    if (!t || t->phase != TX_PREPARING || from == 0) return;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "yes"))) {
        decide(node, st, id, false);
        return;
    }
    t->yes_mask |= UINT64_C(1) << from;
    if (t->yes_mask == participants_mask(st)) decide(node, st, id, true);
}

static void on_ack(sim_node *node, twopc_state *st, size_t from, const cJSON *in)
{
    int64_t id;
    twopc_txn *t = cons_get_int(in, "txn", &id) ? tp_txn(st, id) : NULL;
    if (!t || t->done || (t->phase != TX_COMMITTED && t->phase != TX_ABORTED) || from == 0) return;
    t->ack_mask |= UINT64_C(1) << from;
    if (t->ack_mask != participants_mask(st)) return;
    t->done = true;
    char key[32];
    tp_key(key, sizeof(key), id);
    cons_disk_put(sim_self_disk(node), key, t->phase == TX_COMMITTED ? "end:commit" : "end:abort");
}

static void on_status(sim_node *node, twopc_state *st, sim_node_id from, const cJSON *in)
{
    int64_t id;
    twopc_txn *t = cons_get_int(in, "txn", &id) ? tp_txn(st, id) : NULL;
    if (!t || t->phase == TX_PREPARING) return;          /* undecided: no answer yet */
    cJSON *m = txn_msg("decision", id);
    cJSON_AddBoolToObject(m, "commit", t->phase == TX_COMMITTED);   /* NONE: presumed abort */
    cons_send(node, from, m);
}

/* Every `retry`: prepares to the silent, decisions to those that did not ack. */
static void coordinator_tick(sim_node *node, twopc_state *st)
{
    for (int64_t id = 1; id < st->next_txn; id++) {
        twopc_txn *t = &st->txns[id];
        if (t->phase == TX_PREPARING) send_participants(node, st, txn_msg("prepare", id), t->yes_mask);
        else if (!t->done && t->phase != TX_NONE) send_decision(node, st, id, t->ack_mask);
    }
}

/* Restart: read the log; finish what was begun (abort) or decided (resend). */
static void coordinator_load(sim_node *node, twopc_state *st)
{
    const sim_disk *d = sim_self_disk(node);
    char *next = cons_disk_get(d, "next");
    st->next_txn = next ? strtoll(next, NULL, 10) : 1;
    free(next);
    for (int64_t id = 1; id < st->next_txn; id++) {
        char key[32];
        tp_key(key, sizeof(key), id);
        char *text = cons_disk_get(d, key);
        SIM_ASSERT(text != NULL);            /* "begin" was synced with "next" */
        twopc_txn *t = &st->txns[id];
        t->phase = strstr(text, "commit") ? TX_COMMITTED : strstr(text, "abort") ? TX_ABORTED : TX_PREPARING;
        t->done = strncmp(text, "end:", 4) == 0;
        if (t->phase != TX_PREPARING) tp_note_decision(st, id);
        free(text);
        if (t->phase == TX_PREPARING) decide(node, st, id, false);   /* presumed abort */
    }
}

/* ---- the program ----------------------------------------------------------------------- */

static size_t member_index(const twopc_state *st, sim_node_id id)
{
    for (size_t i = 0; i < st->nmembers; i++)
        if (st->members[i] == id) return i;
    return SIZE_MAX;
}

static void twopc_receive(sim_node *node, void *state, const sim_msg *msg)
{
    twopc_state *st = state;
    const char *t;
    cJSON *in = cons_parse(msg, &t);
    size_t from = member_index(st, msg->from);
    if (!in || from == SIZE_MAX) ;          /* garbled, or not from the cluster */
    else if (st->coordinator && strcmp(t, "vote") == 0) on_vote(node, st, from, in);
    else if (st->coordinator && strcmp(t, "ack") == 0) on_ack(node, st, from, in);
    else if (st->coordinator && strcmp(t, "status") == 0) on_status(node, st, msg->from, in);
    else if (!st->coordinator && from == 0 && strcmp(t, "prepare") == 0) tp_on_prepare(node, st, in);
    else if (!st->coordinator && from == 0 && strcmp(t, "decision") == 0) tp_on_decision(node, st, in);
    cJSON_Delete(in);
    sim_invariant(node, twopc_state_valid(st), "twopc-local", "twopc_state_valid");
}

static void twopc_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    twopc_state *st = state;
    if (strcmp(name, "begin") == 0 && st->next_txn <= st->cfg->txns) {
        begin_txn(node, st);
        if (st->next_txn <= st->cfg->txns) cons_timer(node, st->cfg->interval_ns, "begin", 0);
    } else if (strcmp(name, "votes") == 0) {
        twopc_txn *t = tp_txn(st, (int64_t)arg);
        if (t && t->phase == TX_PREPARING) decide(node, st, (int64_t)arg, false);
    } else if (strcmp(name, "retry") == 0) {
        if (st->coordinator) coordinator_tick(node, st);
        else tp_participant_tick(node, st);
        cons_timer(node, st->cfg->retry_ns, "retry", 0);
    }
    sim_invariant(node, twopc_state_valid(st), "twopc-local", "twopc_state_valid");
}

static const twopc_config defaults = {
    .txns = 20, .interval_ns = 50 * SIM_NS_PER_MS, .vote_timeout_ns = 100 * SIM_NS_PER_MS,
    .retry_ns = 30 * SIM_NS_PER_MS, .blocked_after_ns = 100 * SIM_NS_PER_MS, .no_prob = 0.1,
    .bug = TWOPC_BUG_NONE,
};

static void twopc_start(sim_node *node, void *state)
{
    twopc_state *st = state;
    st->cfg = sim_self_config(node) ? sim_self_config(node) : &defaults;
    st->nmembers = cons_members(node, st->members, &st->self_index);
    st->coordinator = st->self_index == 0;
    st->txns = calloc((size_t)st->cfg->txns + 1, sizeof(twopc_txn));
    st->decisions = calloc((size_t)st->cfg->txns + 1, sizeof(int64_t));
    SIM_ASSERT(st->txns != NULL && st->decisions != NULL);
    sim_annotate(node, "role", st->coordinator ? "coordinator" : "participant");
    if (st->coordinator) {
        coordinator_load(node, st);
        if (st->next_txn <= st->cfg->txns) cons_timer(node, st->cfg->interval_ns, "begin", 0);
    } else {
        tp_participant_load(node, st);
    }
    cons_timer(node, st->cfg->retry_ns, "retry", 0);
    sim_invariant(node, twopc_state_valid(st), "twopc-local", "twopc_state_valid");
}

static void twopc_stop(sim_node *node, void *state)
{
    twopc_state *st = state;
    free(st->txns);
    free(st->decisions);
}

static int twopc_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "txns", "interval", "vote_timeout", "retry", "blocked_after",
                                         "no_prob", "bug", NULL };
    static const char *const bugs[] = { "none", "no-durable-prepare", NULL };
    twopc_config c = defaults;
    int bug = 0;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_int(options, "txns", 1, 100000, &c.txns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "interval", &c.interval_ns, err, errlen);
    if (!rc) rc = cons_option_positive("interval", c.interval_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "vote_timeout", &c.vote_timeout_ns, err, errlen);
    if (!rc) rc = cons_option_positive("vote_timeout", c.vote_timeout_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "retry", &c.retry_ns, err, errlen);
    if (!rc) rc = cons_option_positive("retry", c.retry_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "blocked_after", &c.blocked_after_ns, err, errlen);
    if (!rc) rc = cons_option_prob(options, "no_prob", &c.no_prob, err, errlen);
    if (!rc) rc = cons_option_choice(options, "bug", bugs, &bug, err, errlen);
    if (rc) return rc;
    c.bug = (twopc_bug)bug;
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program twopc_program = {
    .name = "twopc",
    .state_bytes = sizeof(twopc_state),
    .start = twopc_start,
    .receive = twopc_receive,
    .timer = twopc_timer,
    .stop = twopc_stop,
};

const sim_system sim_system_twopc = {
    .name = "twopc",
    .summary = "two-phase commit: the first node coordinates, the others vote; durable logs",
    .program = &twopc_program,
    .configure = twopc_configure,
    .release = free,
    .state_json = twopc_state_json,
};

/* ---- what the invariant checker reads (consensus_check.h) ---------------------------------- */

static size_t probe_count(const void *state) { return ((const twopc_state *)state)->ndecisions; }

static void probe_get(const void *state, size_t i, int64_t *key, const char **value)
{
    const twopc_state *st = state;
    *key = st->decisions[i];
    *value = st->txns[*key].phase == TX_COMMITTED ? "commit" : "abort";
}

/* A commit with a participant that voted no (and is up to say so) is invalid. */
static bool probe_valid(consensus_check *c, int64_t key, const char *value, char *why, size_t n)
{
    sim *s = consensus_check_sim(c);
    if (strcmp(value, "commit") != 0) return true;
    for (sim_node_id id = 0; id < sim_node_count(s); id++) {
        if (sim_node_program(s, id) != &twopc_program) continue;
        const twopc_state *p = sim_node_state(s, id);
        if (p && !p->coordinator && key <= p->cfg->txns && p->txns[key].voted_no) {
            snprintf(why, n, "%s voted no", sim_node_name(s, id));
            return false;
        }
    }
    return true;
}

const consensus_probe twopc_probe = {
    .system = "twopc", .agreement = "atomicity", .key_name = "txn", .decided = "decided",
    .count = probe_count, .get = probe_get, .valid = probe_valid,
};
