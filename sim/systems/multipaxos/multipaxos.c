/*
 * multipaxos: a replicated key-value store on a Multi-Paxos log (Lamport, "Paxos
 * Made Simple" section 3; van Renesse and Altinbuken, "Paxos Made Moderately
 * Complex"). Each replica is an acceptor, a learner and a potential leader; a
 * stable leader runs phase 1 once for its whole term and phase 2 once per slot.
 *
 * Messages (canonical JSON; a ballot is [round, node id]):
 *   candidate -> all   {"type":"prepare","ballot":B,"from":S}
 *   acceptor -> cand.  {"type":"promise","ballot":B,"entries":[{"s":S,"b":B2,"v":C} | {"s":S,"d":C}]}
 *                      {"type":"nack","ballot":B,"promised":P}    (to a prepare, accept or heartbeat)
 *   leader -> all      {"type":"accept","ballot":B,"slot":S,"value":C}
 *   acceptor -> all    {"type":"accepted","ballot":B,"slot":S,"value":C}
 *   leader -> others   {"type":"heartbeat","ballot":B,"commit":N}      every `heartbeat`
 *   lagging -> leader  {"type":"catchup","from":S} -> {"type":"decided","entries":[{"s":S,"d":C}]}
 *   client -> replica  {"type":"request","seq":Q,"op":..,"key":..,...} -> {"type":"reply","seq":Q,"result":R}
 *                      or {"type":"redirect","seq":Q,"leader":ID|-1}
 * (Commands C and results R: multipaxos_kv.c. The client: multipaxos_client.c.)
 *
 * Roles of a replica:
 *
 *     FOLLOWER --no heartbeat for an election timeout--> CANDIDATE(b: prepare from commit+1)
 *     CANDIDATE --promise(b) from a majority--> LEADER(b): re-propose the highest accepted
 *                   value of every undecided slot >= from (noop in gaps), then new commands
 *     CANDIDATE --timeout--> CANDIDATE(b' > b)
 *     CANDIDATE, LEADER --any higher ballot (prepare, accept, nack, heartbeat)--> FOLLOWER
 *     any --crash, restart--> FOLLOWER, reloading promised, accepted and decided slots
 *
 * One slot:  EMPTY --accept(b,C)--> ACCEPTED(b,C) (synced) --accepted(b,C) from a
 *            majority--> DECIDED(C) (synced) --all slots below applied--> APPLIED
 * Catch-up: heartbeats carry the leader's commit point; a replica behind asks for the
 * decided slots after its own (a restarted or partitioned replica thus catches up).
 *
 * Safety invariants, checked after every event by consensus_check.c through
 * multipaxos_probe, and locally by multipaxos_state_valid() after each handler:
 *   Agreement: no two replicas decide different commands for one slot.
 *   Validity: a decided command is a noop or a request some client invoked.
 *   Log prefix: replicas that applied n slots applied the same n commands in order,
 *   so they hold the same map (equal chain hashes).
 *   Local: applied == commit, the slot after commit is undecided, a leader's ballot
 *   is its own and not below its acceptor's promise.
 * The bug "skip-phase1-after-restart" lets a restarted leader resume with its old
 * ballot and without phase 1: it forgets which slots it already proposed and puts
 * new commands in them, in the same ballot, which breaks agreement. A campaign's
 * ballot is synced before its prepare leaves; the bug "volatile-ballot" keeps it
 * in memory, so a replica restarted mid-campaign can reuse it with other commands.
 */
#include "sim/systems/multipaxos/multipaxos.h"

#include <stdlib.h>
#include <string.h>

#include "sim/systems/multipaxos/multipaxos_internal.h"
#include "sim/systems/system.h"
#include "sim/systems/invariant.h"

bool multipaxos_state_valid(const multipaxos_state *st)
{
    if (st->applied != st->commit || st->commit > st->max_slot || st->max_slot >= st->log_cap) return false;
    if (st->commit >= 1 && !st->log[st->commit].decided) return false;
    if (st->commit + 1 < st->log_cap && st->log[st->commit + 1].decided) return false;
    if (st->role == MP_LEADER) {
        if (st->ballot.node != (int64_t)st->members[st->self_index]) return false;
        if (st->next_slot <= st->commit || cons_ballot_cmp(st->promised, st->ballot) > 0) return false;
    }
    return st->nmembers > 0 && st->ndecisions <= (size_t)st->log_cap;
}

const char *multipaxos_decided(const multipaxos_state *st, int64_t slot)
{
    return slot >= 1 && slot < st->log_cap ? st->log[slot].decided : NULL;
}

static size_t member_index(const multipaxos_state *st, sim_node_id id)
{
    for (size_t i = 0; i < st->nmembers; i++)
        if (st->members[i] == id) return i;
    return SIZE_MAX;
}

static void mp_receive(sim_node *node, void *state, const sim_msg *msg)
{
    multipaxos_state *st = state;
    const char *t;
    cJSON *in = cons_parse(msg, &t);
    size_t from = member_index(st, msg->from);
    if (in && strcmp(t, "request") == 0) mp_on_request(node, st, msg->from, in);
    else if (!in || from == SIZE_MAX) ;      /* garbled, or not from the cluster */
    else if (strcmp(t, "prepare") == 0) mp_on_prepare(node, st, msg->from, in);
    else if (strcmp(t, "promise") == 0) mp_on_promise(node, st, from, in);
    else if (strcmp(t, "accept") == 0) mp_on_accept(node, st, msg->from, in);
    else if (strcmp(t, "accepted") == 0) mp_on_accepted(node, st, from, in);
    else if (strcmp(t, "nack") == 0) mp_on_nack(node, st, in);
    else if (strcmp(t, "heartbeat") == 0) mp_on_heartbeat(node, st, msg->from, in);
    else if (strcmp(t, "catchup") == 0) mp_on_catchup(node, st, msg->from, in);
    else if (strcmp(t, "decided") == 0) mp_on_decided(node, st, in);
    cJSON_Delete(in);
    sim_invariant(node, multipaxos_state_valid(st), "multipaxos-local", "multipaxos_state_valid");
}

static void election_timer(sim_node *node, multipaxos_state *st)
{
    int64_t t = st->cfg->election_timeout_ns;
    cons_timer(node, t + cons_jitter(node, t), "election", 0);
    if (st->role == MP_LEADER) return;
    if (st->heard_leader) st->heard_leader = false;
    else mp_campaign(node, st);              /* silence (or a stalled campaign) */
}

static void mp_timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    multipaxos_state *st = state;
    if (strcmp(name, "election") == 0) {
        election_timer(node, st);
    } else if (strcmp(name, "heartbeat") == 0) {
        mp_heartbeat_tick(node, st);
        cons_timer(node, st->cfg->heartbeat_ns, "heartbeat", 0);
    } else if (strcmp(name, "retransmit") == 0) {
        mp_retransmit_tick(node, st);
        cons_timer(node, st->cfg->retransmit_ns, "retransmit", 0);
    }
    sim_invariant(node, multipaxos_state_valid(st), "multipaxos-local", "multipaxos_state_valid");
}

static const multipaxos_config defaults = {
    .heartbeat_ns = 20 * SIM_NS_PER_MS, .election_timeout_ns = 150 * SIM_NS_PER_MS,
    .retransmit_ns = 50 * SIM_NS_PER_MS, .bug = MULTIPAXOS_BUG_NONE,
};

static void mp_start(sim_node *node, void *state)
{
    multipaxos_state *st = state;
    st->cfg = sim_self_config(node) ? sim_self_config(node) : &defaults;
    st->nmembers = cons_members(node, st->members, &st->self_index);
    st->leader = SIM_NODE_NONE;
    mp_load(node, st);
    sim_annotate(node, "role", "follower");
    char *text = cons_disk_get(sim_self_disk(node), "leader");
    cons_ballot led;
    if (st->cfg->bug == MULTIPAXOS_BUG_SKIP_PHASE1 && cons_ballot_parse(text, &led) &&
        cons_ballot_cmp(led, st->promised) == 0)
        mp_resume_leadership(node, st, led);
    free(text);
    int64_t t = st->cfg->election_timeout_ns;
    cons_timer(node, t + cons_jitter(node, t), "election", 0);
    cons_timer(node, st->cfg->heartbeat_ns, "heartbeat", 0);
    cons_timer(node, st->cfg->retransmit_ns, "retransmit", 0);
    sim_invariant(node, multipaxos_state_valid(st), "multipaxos-local", "multipaxos_state_valid");
}

static void mp_stop(sim_node *node, void *state)
{
    mp_log_free(state);
    mp_kv_free(state);
}

static int mp_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "heartbeat", "election_timeout", "retransmit", "bug", NULL };
    static const char *const bugs[] = { "none", "skip-phase1-after-restart", "volatile-ballot", NULL };
    multipaxos_config c = defaults;
    int bug = 0;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_duration(options, "heartbeat", &c.heartbeat_ns, err, errlen);
    if (!rc) rc = cons_option_positive("heartbeat", c.heartbeat_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "election_timeout", &c.election_timeout_ns, err, errlen);
    if (!rc) rc = cons_option_positive("election_timeout", c.election_timeout_ns, err, errlen);
    if (!rc) rc = sim_option_duration(options, "retransmit", &c.retransmit_ns, err, errlen);
    if (!rc) rc = cons_option_positive("retransmit", c.retransmit_ns, err, errlen);
    if (!rc) rc = cons_option_choice(options, "bug", bugs, &bug, err, errlen);
    if (rc) return rc;
    c.bug = (multipaxos_bug)bug;
    return sim_config_copy(&c, sizeof(c), config);
}

static const sim_program mp_program = {
    .name = "multipaxos",
    .state_bytes = sizeof(multipaxos_state),
    .start = mp_start,
    .receive = mp_receive,
    .timer = mp_timer,
    .stop = mp_stop,
};

const sim_system sim_system_multipaxos = {
    .name = "multipaxos",
    .summary = "Multi-Paxos replicated key-value store: stable leader, log, catch-up, at-most-once",
    .program = &mp_program,
    .configure = mp_configure,
    .release = free,
    .state_json = multipaxos_state_json,
};

/* ---- what the invariant checker reads (consensus_check.h) ------------------------------ */

static size_t probe_count(const void *state) { return ((const multipaxos_state *)state)->ndecisions; }

static void probe_get(const void *state, size_t i, int64_t *key, const char **value)
{
    const multipaxos_state *st = state;
    *key = st->decisions[i];
    *value = st->log[*key].decided;
}

static bool probe_applied(const void *state, int64_t *length, uint64_t *chain)
{
    const multipaxos_state *st = state;
    *length = st->applied;
    *chain = st->chain;
    return true;
}

/* A noop, or a command whose opid names an op of that client with that function. */
static bool probe_valid(consensus_check *c, int64_t key, const char *value, char *why, size_t n)
{
    sim *s = consensus_check_sim(c);
    cJSON *cmd = cJSON_Parse(value);
    const char *op = cons_get_str(cmd, "op");
    int64_t opid = 0, client = -1;
    bool ok = op && strcmp(op, "noop") == 0;
    if (!ok && op && cons_get_int(cmd, "opid", &opid) && cons_get_int(cmd, "client", &client) &&
        opid >= 1 && (size_t)opid <= sim_history_count(s)) {
        const sim_op *h = sim_history_get(s, (size_t)opid - 1);
        ok = h->id == (uint64_t)opid && (int64_t)h->process == client && strcmp(h->f, op) == 0;
    }
    cJSON_Delete(cmd);
    if (!ok) snprintf(why, n, "no client invoked it (op %lld)", (long long)opid);
    return ok;
}

const consensus_probe multipaxos_probe = {
    .system = "multipaxos", .agreement = "agreement", .key_name = "slot", .decided = "decided",
    .count = probe_count, .get = probe_get, .applied = probe_applied, .valid = probe_valid,
};
