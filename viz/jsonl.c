/*
 * Reading a JSONL trace back into the viewer's store, for `dsim replay`. The field
 * names per kind are the writer's own (sim_record_field_names, sim/trace.h);
 * a line this reader cannot place is an error naming the line, never skipped.
 *
 * Numbers come through cJSON as doubles: exact up to 2^53 (104 days in ns).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "viz/store.h"

static int64_t get_int(const cJSON *o, const char *key)
{
    const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* A string field as is; any other JSON value (args, results, bodies) as text. */
static const char *get_text(viz_store *st, const cJSON *o, const char *key, size_t max)
{
    const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!v) return NULL;
    if (cJSON_IsString(v)) return viz_store_text(st, v->valuestring, strlen(v->valuestring), max);
    char *text = cJSON_PrintUnformatted(v);
    if (!text) return NULL;
    const char *copy = viz_store_text(st, text, strlen(text), max);
    free(text);
    return copy;
}

static uint32_t get_node(viz_store *st, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? viz_store_node(st, v->valuestring) : VIZ_NONE;
}

static sim_outcome outcome_from(const cJSON *o)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "outcome");
    for (int k = SIM_OP_PENDING; k <= SIM_OP_UNKNOWN && cJSON_IsString(v); k++)
        if (strcmp(v->valuestring, sim_outcome_name((sim_outcome)k)) == 0) return (sim_outcome)k;
    return SIM_OP_UNKNOWN;
}

static int add_line(viz_store *st, const cJSON *o)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "ev");
    sim_record_kind kind = cJSON_IsString(ev) ? sim_record_kind_from_name(ev->valuestring)
                                               : SIM_REC_KIND_COUNT;
    if (kind == SIM_REC_KIND_COUNT || !cJSON_GetObjectItemCaseSensitive(o, "t")) return SIM_EINVAL;
    viz_rec *r = viz_store_push(st);
    if (!r) return SIM_ENOMEM;
    sim_record_fields f = sim_record_field_names(kind);
    r->kind = (uint8_t)kind;
    r->t_ns = get_int(o, "t");
    r->node = get_node(st, o, "node");
    r->peer = get_node(st, o, "peer");
    r->id = (uint64_t)get_int(o, "id");
    r->num1 = get_int(o, f.num1);
    r->num2 = get_int(o, f.num2);
    const cJSON *name = f.name ? cJSON_GetObjectItemCaseSensitive(o, f.name) : NULL;
    if (cJSON_IsString(name)) r->name = viz_store_intern(st, name->valuestring);
    r->detail = get_text(st, o, f.detail, 4096);
    if (kind == SIM_REC_COMPLETE) r->num1 = outcome_from(o);
    if (kind == SIM_REC_CHECK) r->num1 = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "corrupted"))) r->flags |= SIM_FLAG_CORRUPTED;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "duplicate"))) r->flags |= SIM_FLAG_DUPLICATE;
    if (kind == SIM_REC_SEND || kind == SIM_REC_DUPLICATE) {
        r->body = get_text(st, o, "msg", VIZ_BODY_MAX);
        if (!r->body) r->body = get_text(st, o, "body_hex", VIZ_BODY_MAX);
    }
    return 0;
}

int viz_store_load_jsonl(viz_store *st, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return SIM_ENOENT;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    int64_t last_t = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[0] == '\n' || line[0] == 0) continue;
        cJSON *o = cJSON_Parse(line);
        rc = o ? add_line(st, o) : SIM_EINVAL;
        cJSON_Delete(o);
        if (rc == 0 && st->recs[st->count - 1].t_ns < last_t) rc = SIM_EINVAL;
        if (rc == 0) last_t = st->recs[st->count - 1].t_ns;
        if (rc) snprintf(err, errlen, "line %zu: %s", lineno,
                         o ? "not a trace record (or out of time order)" : "not JSON");
    }
    free(line);
    fclose(f);
    return rc;
}
