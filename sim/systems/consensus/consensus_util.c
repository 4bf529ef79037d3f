/*
 * Helpers shared by the consensus systems (see consensus_util.h). Every message
 * goes through sim_json_send, so the trace shows each field; every durable record
 * is text on the node's disk, so a student can read a disk in the trace viewer.
 */
#include "sim/systems/consensus/consensus_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/units.h"

#define JSON_INT_MAX 9007199254740991.0   /* 2^53 - 1 */

int cons_ballot_cmp(cons_ballot a, cons_ballot b)
{
    if (a.round != b.round) return a.round < b.round ? -1 : 1;
    if (a.node != b.node) return a.node < b.node ? -1 : 1;
    return 0;
}

bool cons_ballot_is_zero(cons_ballot b) { return b.round == 0 && b.node == 0; }

cJSON *cons_ballot_json(cons_ballot b)
{
    cJSON *a = cJSON_CreateArray();
    SIM_ASSERT(a != NULL);
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)b.round));
    cJSON_AddItemToArray(a, cJSON_CreateNumber((double)b.node));
    return a;
}

static bool json_int(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= -JSON_INT_MAX && d <= JSON_INT_MAX) || d != (double)(int64_t)d) return false;
    *out = (int64_t)d;
    return true;
}

bool cons_ballot_get(const cJSON *obj, const char *key, cons_ballot *out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2) return false;
    cons_ballot b;
    if (!json_int(a->child, &b.round) || !json_int(a->child->next, &b.node)) return false;
    if (b.round < 1 || b.node < 0) return false;      /* rounds start at 1 */
    *out = b;
    return true;
}

bool cons_ballot_parse(const char *text, cons_ballot *out)
{
    cJSON *wrap = cJSON_CreateObject();
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    SIM_ASSERT(wrap != NULL);
    if (v) cJSON_AddItemToObject(wrap, "b", v);
    bool ok = v && cons_ballot_get(wrap, "b", out);
    cJSON_Delete(wrap);
    return ok;
}

void cons_ballot_text(const sim *s, cons_ballot b, char *buf, size_t n)
{
    const char *name = b.node < (int64_t)sim_node_count(s) ? sim_node_name(s, (sim_node_id)b.node) : "?";
    snprintf(buf, n, "%lld.%s", (long long)b.round, name);
}

/* ---- messages ---------------------------------------------------------------- */

cJSON *cons_msg(const char *type)
{
    cJSON *m = cJSON_CreateObject();
    SIM_ASSERT(m != NULL);
    cJSON_AddStringToObject(m, "type", type);
    return m;
}

void cons_send(sim_node *node, sim_node_id to, cJSON *msg)
{
    SIM_ASSERT(msg != NULL && to != SIM_NODE_NONE);
    int rc = sim_json_send(node, to, msg);
    SIM_ASSERT(rc == 0);
    cJSON_Delete(msg);
}

void cons_send_all(sim_node *node, const sim_node_id *to, size_t n, cJSON *msg)
{
    SIM_ASSERT(msg != NULL);
    for (size_t i = 0; i < n; i++) {
        int rc = sim_json_send(node, to[i], msg);
        SIM_ASSERT(rc == 0);
    }
    cJSON_Delete(msg);
}

cJSON *cons_parse(const sim_msg *msg, const char **type)
{
    if (msg->corrupted) return NULL;          /* a checksum would reject it */
    cJSON *in = sim_json_parse(msg);
    const char *t = cons_get_str(in, "type");
    if (!t) {
        cJSON_Delete(in);
        return NULL;
    }
    *type = t;
    return in;
}

bool cons_get_int(const cJSON *obj, const char *key, int64_t *out)
{
    return json_int(cJSON_GetObjectItemCaseSensitive(obj, key), out);
}

const char *cons_get_str(const cJSON *obj, const char *key)
{
    const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *cons_encode(const cJSON *v)
{
    char *text = sim_json_encode(v);
    SIM_ASSERT(text != NULL);
    return text;
}

char *cons_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    SIM_ASSERT(copy != NULL);
    memcpy(copy, s, n);
    return copy;
}

void cons_set_str(char **slot, const char *text)
{
    char *copy = text ? cons_strdup(text) : NULL;
    free(*slot);
    *slot = copy;
}

/* ---- the disk ------------------------------------------------------------------- */

void cons_disk_put(sim_disk *d, const char *key, const char *text)
{
    int rc = sim_disk_write(d, key, text, strlen(text));
    SIM_ASSERT(rc == 0);
}

char *cons_disk_get(const sim_disk *d, const char *key)
{
    size_t len;
    const void *v = sim_disk_read(d, key, &len);
    if (!v) return NULL;
    char *text = malloc(len + 1);
    SIM_ASSERT(text != NULL);
    memcpy(text, v, len);
    text[len] = 0;
    return text;
}

void cons_disk_sync(sim_disk *d)
{
    int rc = sim_disk_sync(d);
    SIM_ASSERT(rc == 0);
}

/* ---- membership, timers, annotations ------------------------------------------------ */

size_t cons_members(sim_node *node, sim_node_id *out, size_t *self_index)
{
    sim *s = sim_of(node);
    const sim_program *mine = sim_node_program(s, sim_self(node));
    size_t n = 0;
    for (sim_node_id id = 0; id < sim_node_count(s) && n < CONS_MEMBERS_MAX; id++) {
        if (sim_node_cluster(s, id) != sim_self_cluster(node)) continue;
        if (sim_node_program(s, id) != mine) continue;
        if (id == sim_self(node)) *self_index = n;
        out[n++] = id;
    }
    SIM_ASSERT(n > 0 && out[*self_index] == sim_self(node));
    return n;
}

size_t cons_majority(size_t n) { return n / 2 + 1; }

int cons_popcount(uint64_t mask)
{
    int n = 0;
    for (; mask; mask &= mask - 1) n++;
    return n;
}

uint64_t cons_timer(sim_node *node, int64_t delay_ns, const char *name, uint64_t arg)
{
    uint64_t id = sim_timer_set(node, delay_ns < 0 ? 0 : delay_ns, name, arg);
    SIM_ASSERT(id != 0);
    return id;
}

void cons_annotatef(sim_node *node, const char *key, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sim_annotate(node, key, text);
}

int64_t cons_jitter(sim_node *node, int64_t n)
{
    return n > 0 ? (int64_t)sim_rng_below(sim_self_rng(node), (uint64_t)n) : 0;
}

uint64_t cons_hash_text(uint64_t seed, const char *text)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 1099511628211ull;
    return sim_mix64(h);
}

void cons_time_text(int64_t ns, char *buf, size_t n)
{
    snprintf(buf, n, "%lld.%03lldms", (long long)(ns / SIM_NS_PER_MS),
             (long long)(ns % SIM_NS_PER_MS / 1000));
}

/* ---- options ------------------------------------------------------------------------ */

int cons_option_choice(const cJSON *options, const char *key, const char *const *choices,
                       int *out, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    for (int i = 0; cJSON_IsString(v) && choices[i]; i++) {
        if (strcmp(v->valuestring, choices[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    int len = snprintf(err, errlen, "option '%s' must be one of", key);
    for (int i = 0; choices[i] && len > 0 && (size_t)len < errlen; i++)
        len += snprintf(err + len, errlen - (size_t)len, "%s \"%s\"", i ? "," : "", choices[i]);
    return SIM_EINVAL;
}

int cons_option_prob(const cJSON *options, const char *key, double *out, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    double p = -1;
    if (cJSON_IsNumber(v)) p = v->valuedouble;
    else if (cJSON_IsString(v) && sim_prob_parse(v->valuestring, &p) != 0) p = -1;
    if (p >= 0 && p <= 1) {
        *out = p;
        return 0;
    }
    snprintf(err, errlen, "option '%s' must be a probability in [0, 1] like 0.1 or \"10%%\"", key);
    return SIM_EINVAL;
}

int cons_option_positive(const char *key, int64_t ns, char *err, size_t errlen)
{
    if (ns > 0 && ns <= 1000 * 3600 * SIM_NS_PER_S) return 0;
    snprintf(err, errlen, "option '%s' must be more than 0 and at most 1000h", key);
    return SIM_EINVAL;
}
