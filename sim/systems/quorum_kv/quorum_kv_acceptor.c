/*
 * quorum_kv's acceptor: one Paxos register per key, synced to the node's disk
 * before any answer leaves (a promise forgotten in a crash would let two values
 * be chosen). The protocol is described in quorum_kv.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/quorum_kv/quorum_kv.h"

static void reg_save(sim_node *node, const quorum_kv_reg *r)
{
    char dkey[300], val[2048];
    snprintf(dkey, sizeof(dkey), "r/%s", r->key);
    int n = snprintf(val, sizeof(val), "%lld %lld %lld %s", (long long)r->promised, (long long)r->accepted,
                     (long long)r->tag, r->value ? r->value : "");
    SIM_ASSERT(n > 0 && (size_t)n < sizeof(val));
    sim_disk_write(sim_self_disk(node), dkey, val, (size_t)n);
    sim_disk_sync(sim_self_disk(node));
}

static quorum_kv_reg *reg_get(quorum_kv_state *st, const char *key)
{
    for (size_t i = 0; i < st->nregs; i++)
        if (strcmp(st->regs[i].key, key) == 0) return &st->regs[i];
    if (st->nregs == st->capregs) {
        st->capregs = st->capregs ? st->capregs * 2 : 16;
        st->regs = realloc(st->regs, st->capregs * sizeof(*st->regs));
        SIM_ASSERT(st->regs != NULL);
    }
    st->regs[st->nregs] = (quorum_kv_reg){ strdup(key), -1, -1, 0, NULL };
    return &st->regs[st->nregs++];
}

void quorum_kv_load(quorum_kv_state *st, sim_disk *d)
{
    for (size_t i = 0; i < sim_disk_count(d); i++) {
        const char *k = sim_disk_key_at(d, i);
        if (strncmp(k, "r/", 2) != 0) continue;
        size_t len = 0;
        const char *v = sim_disk_read(d, k, &len);
        char text[2048];
        SIM_ASSERT(v != NULL && len < sizeof(text));
        memcpy(text, v, len);
        text[len] = 0;
        long long p = -1, a = -1, t = 0;
        int used = 0;
        int fields = sscanf(text, "%lld %lld %lld %n", &p, &a, &t, &used);
        SIM_ASSERT(fields == 3);
        quorum_kv_reg *r = reg_get(st, k + 2);
        r->promised = p;
        r->accepted = a;
        r->tag = t;
        r->value = text[used] ? strdup(text + used) : NULL;
    }
}

/* prepare or accept (value_msg != NULL) at this node; returns the answer's ok. */
bool quorum_kv_accept(sim_node *node, quorum_kv_state *st, const char *key, int64_t ballot,
                     const cJSON *accept_msg, quorum_kv_reg **out)
{
    quorum_kv_reg *r = reg_get(st, key);
    *out = r;
    if (ballot < r->promised) return false;
    r->promised = ballot;
    if (accept_msg) {
        r->accepted = ballot;
        free(r->value);
        r->value = sim_json_field_text(accept_msg, "value");
        r->tag = sim_json_int(accept_msg, "tag", 0);
    }
    reg_save(node, r);
    return true;
}

