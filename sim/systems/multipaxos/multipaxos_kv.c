/*
 * The replicated state machine of Multi-Paxos: a key-value map with get, put and
 * compare-and-set, plus at-most-once sessions. Every replica applies the decided
 * commands in slot order, so replicas that applied the same prefix hold the same
 * map (the checker's log-prefix invariant compares their chain hashes).
 *
 * Commands (canonical JSON, so equal commands are equal text):
 *   {"client":C,"seq":Q,"op":"get","key":K,"opid":I}
 *   {"client":C,"seq":Q,"op":"put","key":K,"value":V,"opid":I}
 *   {"client":C,"seq":Q,"op":"cas","key":K,"from":A,"to":B,"opid":I}
 *   {"op":"noop"}                      (a gap filled by a new leader)
 * Results: {"ok":true,"value":V|null} for get; {"ok":true} for put;
 * {"ok":true|false,"value":current} for cas (false: the precondition failed).
 *
 * At-most-once: a client sends one request at a time and retries it with the
 * same seq, so a retry may be decided in two slots (after a leader change). The
 * session table, itself part of the replicated state, remembers each client's
 * last applied seq and its result: a command with seq <= that is not executed
 * again, and a leader answers a retry of the last one from the table.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/systems/multipaxos/multipaxos_internal.h"

static mp_kv *kv_find(multipaxos_state *st, const char *key, bool create)
{
    size_t lo = 0, hi = st->nkv;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(st->kv[mid].key, key) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < st->nkv && strcmp(st->kv[lo].key, key) == 0) return &st->kv[lo];
    if (!create) return NULL;
    if (st->nkv == st->kv_cap) {
        st->kv_cap = st->kv_cap ? st->kv_cap * 2 : 8;
        st->kv = realloc(st->kv, st->kv_cap * sizeof(mp_kv));
        SIM_ASSERT(st->kv != NULL);
    }
    memmove(&st->kv[lo + 1], &st->kv[lo], (st->nkv - lo) * sizeof(mp_kv));
    st->kv[lo] = (mp_kv){ cons_strdup(key), NULL };
    st->nkv++;
    return &st->kv[lo];
}

static mp_session *session_find(const multipaxos_state *st, int64_t client, size_t *pos)
{
    size_t lo = 0, hi = st->nsessions;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->sessions[mid].client < client) lo = mid + 1;
        else hi = mid;
    }
    *pos = lo;
    return lo < st->nsessions && st->sessions[lo].client == client ? &st->sessions[lo] : NULL;
}

static mp_session *session_get(multipaxos_state *st, int64_t client)
{
    size_t pos;
    mp_session *s = session_find(st, client, &pos);
    if (s) return s;
    if (st->nsessions == st->sessions_cap) {
        st->sessions_cap = st->sessions_cap ? st->sessions_cap * 2 : 8;
        st->sessions = realloc(st->sessions, st->sessions_cap * sizeof(mp_session));
        SIM_ASSERT(st->sessions != NULL);
    }
    memmove(&st->sessions[pos + 1], &st->sessions[pos], (st->nsessions - pos) * sizeof(mp_session));
    st->sessions[pos] = (mp_session){ client, 0, NULL };
    st->nsessions++;
    return &st->sessions[pos];
}

int64_t mp_session_seq(const multipaxos_state *st, int64_t client)
{
    size_t pos;
    const mp_session *s = session_find(st, client, &pos);
    return s ? s->seq : 0;
}

const char *mp_session_result(const multipaxos_state *st, int64_t client, int64_t seq)
{
    size_t pos;
    const mp_session *s = session_find(st, client, &pos);
    return s && s->seq == seq ? s->result : NULL;
}

void mp_send_reply(sim_node *node, int64_t client, int64_t seq, const char *result)
{
    if (client < 0 || client >= (int64_t)sim_node_count(sim_of(node))) return;
    cJSON *out = cons_msg("reply");
    cJSON_AddNumberToObject(out, "seq", (double)seq);
    cJSON *r = cJSON_Parse(result);
    SIM_ASSERT(r != NULL);
    cJSON_AddItemToObject(out, "result", r);
    cons_send(node, (sim_node_id)client, out);
}

/* Runs one client command on the map; returns its result (malloc'ed JSON). */
static char *execute(multipaxos_state *st, const char *op, const cJSON *cmd)
{
    const char *key = cons_get_str(cmd, "key");
    SIM_ASSERT(key != NULL);
    mp_kv *kv = kv_find(st, key, strcmp(op, "get") != 0);
    cJSON *result = cJSON_CreateObject();
    bool ok = true;
    if (strcmp(op, "put") == 0) {
        char *v = cons_encode(cJSON_GetObjectItemCaseSensitive(cmd, "value"));
        free(kv->value);
        kv->value = v;
    } else if (strcmp(op, "cas") == 0) {
        char *from = cons_encode(cJSON_GetObjectItemCaseSensitive(cmd, "from"));
        ok = kv->value && strcmp(kv->value, from) == 0;
        free(from);
        if (ok) {
            free(kv->value);
            kv->value = cons_encode(cJSON_GetObjectItemCaseSensitive(cmd, "to"));
        }
    }
    cJSON_AddBoolToObject(result, "ok", ok);
    if (strcmp(op, "put") != 0) {
        cJSON *v = kv && kv->value ? cJSON_Parse(kv->value) : cJSON_CreateNull();
        SIM_ASSERT(v != NULL);
        cJSON_AddItemToObject(result, "value", v);
    }
    char *text = cons_encode(result);
    cJSON_Delete(result);
    return text;
}

void mp_apply(sim_node *node, multipaxos_state *st, int64_t slot)
{
    const char *text = st->log[slot].decided;
    SIM_ASSERT(text != NULL && slot == st->applied + 1);
    st->chain = cons_hash_text(st->chain, text);
    st->applied = slot;
    cJSON *cmd = cJSON_Parse(text);
    SIM_ASSERT(cmd != NULL);                 /* only well-formed commands are proposed */
    const char *op = cons_get_str(cmd, "op");
    int64_t client = -1, seq = 0;
    if (op && strcmp(op, "noop") != 0 && cons_get_int(cmd, "client", &client) &&
        cons_get_int(cmd, "seq", &seq)) {
        mp_session *s = session_get(st, client);
        if (seq > s->seq) {                  /* new: run it; else a retry already applied */
            char *result = execute(st, op, cmd);
            free(s->result);
            s->result = result;
            s->seq = seq;
        } else {
            st->duplicates++;
        }
        if (st->role == MP_LEADER && seq == s->seq) mp_send_reply(node, client, seq, s->result);
    }
    cJSON_Delete(cmd);
}

void mp_kv_free(multipaxos_state *st)
{
    for (size_t i = 0; i < st->nkv; i++) {
        free(st->kv[i].key);
        free(st->kv[i].value);
    }
    for (size_t i = 0; i < st->nsessions; i++) free(st->sessions[i].result);
    free(st->kv);
    free(st->sessions);
}
