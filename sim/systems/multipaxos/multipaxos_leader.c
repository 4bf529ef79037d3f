/*
 * The leader side of a Multi-Paxos replica: campaigns (phase 1 once for the whole
 * log from the first slot this node has not seen decided), proposals (phase 2 for
 * each slot), heartbeats that carry the leader's commit point, catch-up of lagging
 * replicas, and client requests. Followers redirect clients to the leader they
 * last heard from.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/multipaxos/multipaxos_internal.h"

static const char noop[] = "{\"op\":\"noop\"}";

void mp_step_down(sim_node *node, multipaxos_state *st, cons_ballot seen)
{
    if (seen.round > st->round_seen) st->round_seen = seen.round;
    if (st->role == MP_FOLLOWER || cons_ballot_cmp(seen, st->ballot) <= 0) return;
    st->role = MP_FOLLOWER;
    if (st->leader == sim_self(node)) st->leader = SIM_NODE_NONE;
    sim_annotate(node, "role", "follower");
}

static void announce(sim_node *node, const multipaxos_state *st, const char *role)
{
    char text[48];
    cons_ballot_text(sim_of(node), st->ballot, text, sizeof(text));
    sim_annotate(node, "ballot", text);
    sim_annotate(node, "role", role);
}

/* To every member that has not promised yet (all of them at first). */
static void send_prepares(sim_node *node, const multipaxos_state *st)
{
    cJSON *out = cons_msg("prepare");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(st->ballot));
    cJSON_AddNumberToObject(out, "from", (double)st->phase1_from);
    for (size_t i = 0; i < st->nmembers; i++)
        if (!(st->promise_mask & (UINT64_C(1) << i))) sim_json_send(node, st->members[i], out);
    cJSON_Delete(out);
}

/* The candidate's ballot, on disk before its prepare leaves: a replica restarted
 * mid-campaign must never reuse a ballot, since its last incarnation's accepts may
 * still be in flight with other commands (its own acceptor's promise is no
 * substitute: the prepare to itself travels the network). The bug
 * "volatile-ballot" keeps it in memory only. */
static void persist_ballot(sim_node *node, const multipaxos_state *st)
{
    if (st->cfg->bug == MULTIPAXOS_BUG_VOLATILE_BALLOT) return;
    cJSON *b = cons_ballot_json(st->ballot);
    char *text = cons_encode(b);
    cJSON_Delete(b);
    cons_disk_put(sim_self_disk(node), "ballot", text);
    cons_disk_sync(sim_self_disk(node));
    free(text);
}

void mp_campaign(sim_node *node, multipaxos_state *st)
{
    int64_t r = st->promised.round > st->ballot.round ? st->promised.round : st->ballot.round;
    if (st->round_seen > r) r = st->round_seen;
    st->ballot = (cons_ballot){ r + 1, (int64_t)sim_self(node) };
    persist_ballot(node, st);
    st->role = MP_CANDIDATE;
    st->elections++;
    st->promise_mask = 0;
    st->phase1_from = st->commit + 1;
    for (int64_t s = st->commit + 1; s <= st->max_slot; s++) {   /* forget the last term's plans */
        cons_set_str(&st->log[s].proposed, NULL);
        st->log[s].proposed_ballot = (cons_ballot){ 0, 0 };
        st->log[s].client = st->log[s].seq = -1;
    }
    announce(node, st, "candidate");
    send_prepares(node, st);
}

static void propose(sim_node *node, multipaxos_state *st, int64_t slot, const char *value)
{
    mp_ensure(st, slot);
    mp_slot *e = &st->log[slot];
    cons_set_str(&e->proposed, value);       /* copies first: value may be e->proposed */
    cJSON *cmd = cJSON_Parse(e->proposed);
    SIM_ASSERT(cmd != NULL);
    if (!cons_get_int(cmd, "client", &e->client) || !cons_get_int(cmd, "seq", &e->seq))
        e->client = e->seq = -1;
    cJSON_Delete(cmd);
    if (slot > st->max_slot) st->max_slot = slot;
    cJSON *out = cons_msg("accept");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(st->ballot));
    cJSON_AddNumberToObject(out, "slot", (double)slot);
    cJSON_AddStringToObject(out, "value", e->proposed);
    cons_send_all(node, st->members, st->nmembers, out);
}

/* Phase 1 won: re-propose what the promises reported (noop for gaps), then lead. */
static void win(sim_node *node, multipaxos_state *st)
{
    st->role = MP_LEADER;
    st->terms++;
    st->leader = sim_self(node);
    st->heard_leader = true;
    cJSON *b = cons_ballot_json(st->ballot);
    char *text = cons_encode(b);
    cJSON_Delete(b);
    cons_disk_put(sim_self_disk(node), "leader", text);
    cons_disk_sync(sim_self_disk(node));
    free(text);
    announce(node, st, "leader");
    for (int64_t s = st->phase1_from; s <= st->max_slot; s++)
        if (!st->log[s].decided) propose(node, st, s, st->log[s].proposed ? st->log[s].proposed : noop);
    st->next_slot = st->max_slot + 1;
    mp_heartbeat_tick(node, st);
}

void mp_resume_leadership(sim_node *node, multipaxos_state *st, cons_ballot ballot)
{
    /* The bug "skip-phase1-after-restart": trust the old ballot, skip phase 1, and
     * put new commands right after the last slot this node knows decided. Slots it
     * proposed before the crash are forgotten and get other commands in the same
     * ballot, which acceptors accept. */
    st->role = MP_LEADER;
    st->ballot = ballot;
    st->leader = sim_self(node);
    st->next_slot = st->commit + 1;
    announce(node, st, "leader (phase 1 skipped)");
}

void mp_on_promise(sim_node *node, multipaxos_state *st, size_t from, const cJSON *in)
{
    cons_ballot b, ab;
    if (st->role != MP_CANDIDATE || !cons_ballot_get(in, "ballot", &b)) return;
    if (cons_ballot_cmp(b, st->ballot) != 0) return;
    st->promise_mask |= UINT64_C(1) << from;
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(in, "entries");
    for (const cJSON *e = cJSON_IsArray(entries) ? entries->child : NULL; e; e = e->next) {
        int64_t s;
        const char *d = cons_get_str(e, "d"), *v = cons_get_str(e, "v");
        if (!cons_get_int(e, "s", &s) || s < 1 || s >= MP_SLOT_MAX) continue;
        mp_ensure(st, s);
        if (s > st->max_slot) st->max_slot = s;
        if (d) {
            mp_decide(node, st, s, d);       /* decided means chosen: safe to learn */
        } else if (v && cons_ballot_get(e, "b", &ab) && cons_ballot_cmp(ab, st->log[s].proposed_ballot) > 0) {
            cons_set_str(&st->log[s].proposed, v);   /* the highest accepted ballot wins */
            st->log[s].proposed_ballot = ab;
        }
    }
    if ((size_t)cons_popcount(st->promise_mask) >= cons_majority(st->nmembers)) win(node, st);
}

void mp_on_nack(sim_node *node, multipaxos_state *st, const cJSON *in)
{
    cons_ballot p;
    if (cons_ballot_get(in, "promised", &p)) mp_step_down(node, st, p);
}

void mp_on_heartbeat(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in)
{
    cons_ballot b;
    int64_t commit;
    if (!cons_ballot_get(in, "ballot", &b) || !cons_get_int(in, "commit", &commit)) return;
    if (cons_ballot_cmp(b, st->promised) < 0) {          /* a deposed leader: tell it */
        cJSON *out = cons_msg("nack");
        cJSON_AddItemToObject(out, "ballot", cons_ballot_json(b));
        cJSON_AddItemToObject(out, "promised", cons_ballot_json(st->promised));
        cons_send(node, from, out);
        return;
    }
    mp_step_down(node, st, b);
    st->leader = from;
    st->heard_leader = true;
    if (commit > st->commit) {
        cJSON *out = cons_msg("catchup");
        cJSON_AddNumberToObject(out, "from", (double)(st->commit + 1));
        cons_send(node, from, out);
    }
}

void mp_on_catchup(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in)
{
    int64_t first;
    if (!cons_get_int(in, "from", &first) || first < 1) return;
    cJSON *entries = cJSON_CreateArray();
    int n = 0;
    for (int64_t s = first; s <= st->max_slot && n < MP_CATCHUP_BATCH; s++) {
        if (!st->log[s].decided) continue;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "s", (double)s);
        cJSON_AddStringToObject(item, "d", st->log[s].decided);
        cJSON_AddItemToArray(entries, item);
        n++;
    }
    cJSON *out = cons_msg("decided");
    cJSON_AddItemToObject(out, "entries", entries);
    if (n > 0) cons_send(node, from, out);
    else cJSON_Delete(out);
}

void mp_on_decided(sim_node *node, multipaxos_state *st, const cJSON *in)
{
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(in, "entries");
    for (const cJSON *e = cJSON_IsArray(entries) ? entries->child : NULL; e; e = e->next) {
        int64_t s;
        const char *d = cons_get_str(e, "d");
        if (d && cons_get_int(e, "s", &s) && s >= 1 && s < MP_SLOT_MAX) mp_decide(node, st, s, d);
    }
}

/* The command a request asks for, or NULL when it is malformed. */
static char *command_of(sim_node_id client, const cJSON *in, int64_t seq)
{
    const char *op = cons_get_str(in, "op"), *key = cons_get_str(in, "key");
    bool get = op && strcmp(op, "get") == 0, put = op && strcmp(op, "put") == 0;
    bool cas = op && strcmp(op, "cas") == 0;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(in, "value");
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(in, "from");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(in, "to");
    if (!key || !(get || (put && value) || (cas && from && to))) return NULL;
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddNumberToObject(cmd, "client", (double)client);
    cJSON_AddNumberToObject(cmd, "seq", (double)seq);
    cJSON_AddStringToObject(cmd, "op", op);
    cJSON_AddStringToObject(cmd, "key", key);
    if (put) cJSON_AddItemToObject(cmd, "value", cJSON_Duplicate(value, true));
    if (cas) cJSON_AddItemToObject(cmd, "from", cJSON_Duplicate(from, true));
    if (cas) cJSON_AddItemToObject(cmd, "to", cJSON_Duplicate(to, true));
    int64_t opid;
    if (cons_get_int(in, "opid", &opid)) cJSON_AddNumberToObject(cmd, "opid", (double)opid);
    char *text = cons_encode(cmd);
    cJSON_Delete(cmd);
    return text;
}

void mp_on_request(sim_node *node, multipaxos_state *st, sim_node_id from, const cJSON *in)
{
    int64_t seq;
    if (from == SIM_NODE_NONE || !cons_get_int(in, "seq", &seq) || seq < 1) return;
    if (st->role != MP_LEADER) {
        cJSON *out = cons_msg("redirect");
        cJSON_AddNumberToObject(out, "seq", (double)seq);
        cJSON_AddNumberToObject(out, "leader", st->leader == SIM_NODE_NONE ? -1.0 : (double)st->leader);
        cons_send(node, from, out);
        return;
    }
    int64_t last = mp_session_seq(st, from);
    if (seq < last) return;                               /* an old retry */
    if (seq == last) {                                    /* done: answer from the session */
        st->duplicates++;
        mp_send_reply(node, from, seq, mp_session_result(st, from, seq));
        return;
    }
    for (int64_t s = st->commit + 1; s < st->next_slot; s++)
        if (st->log[s].client == (int64_t)from && st->log[s].seq == seq) return;   /* in flight */
    char *cmd = command_of(from, in, seq);
    if (cmd) propose(node, st, st->next_slot++, cmd);
    free(cmd);
}

void mp_heartbeat_tick(sim_node *node, multipaxos_state *st)
{
    if (st->role != MP_LEADER) return;
    cJSON *out = cons_msg("heartbeat");
    cJSON_AddItemToObject(out, "ballot", cons_ballot_json(st->ballot));
    cJSON_AddNumberToObject(out, "commit", (double)st->commit);
    for (size_t i = 0; i < st->nmembers; i++)
        if (i != st->self_index) sim_json_send(node, st->members[i], out);
    cJSON_Delete(out);
}

void mp_retransmit_tick(sim_node *node, multipaxos_state *st)
{
    if (st->role == MP_CANDIDATE) send_prepares(node, st);   /* prepares or promises lost */
    if (st->role != MP_LEADER) return;
    int sent = 0;
    for (int64_t s = st->commit + 1; s < st->next_slot && sent < MP_CATCHUP_BATCH; s++) {
        if (st->log[s].decided || !st->log[s].proposed) continue;
        propose(node, st, s, st->log[s].proposed);
        sent++;
    }
}
