/*
 * The JSONL trace: each record as one JSON object a line, written through cJSON.
 * Field names follow the table in sim/trace.h, e.g.
 *
 *   {"i":7,"t":1000000,"ev":"send","node":"n1","peer":"n2","id":3,"type":"gossip",
 *    "arrive":2000000,"size":24,"msg":{"type":"gossip","value":42}}
 *
 * Integers are written exactly (as raw JSON numbers, never through a double). A
 * message body that is JSON appears as "msg"; any other body as "body_hex".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sim/internal.h"

struct sim_trace_writer {
    FILE *out;
    bool failed;
};

static void add_int(cJSON *o, const char *key, int64_t v)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, v);
    cJSON_AddItemToObject(o, key, cJSON_CreateRaw(text));
}

static void add_json_or_string(cJSON *o, const char *key, const char *text)
{
    cJSON *v = cJSON_Parse(text);
    cJSON_AddItemToObject(o, key, v ? v : cJSON_CreateString(text));
}

static void add_body(cJSON *o, const uint8_t *body, size_t len)
{
    cJSON *v = len ? cJSON_ParseWithLength((const char *)body, len) : NULL;
    if (v) {
        cJSON_AddItemToObject(o, "msg", v);
        return;
    }
    if (!len) return;
    char *hex = malloc(len * 2 + 1);
    if (!hex) return;
    for (size_t i = 0; i < len; i++) sprintf(hex + 2 * i, "%02x", body[i]);
    cJSON_AddStringToObject(o, "body_hex", hex);
    free(hex);
}

sim_record_fields sim_record_field_names(sim_record_kind k)
{
    switch (k) {
    case SIM_REC_NODE: return (sim_record_fields){ "program", NULL, "cluster", NULL };
    case SIM_REC_START: return (sim_record_fields){ "program", NULL, "restart", NULL };
    case SIM_REC_SEND:
    case SIM_REC_DUPLICATE: return (sim_record_fields){ "type", NULL, "arrive", "size" };
    case SIM_REC_DELIVER: return (sim_record_fields){ "type", NULL, "sent", "size" };
    case SIM_REC_DROP: return (sim_record_fields){ "type", "reason", "sent", "size" };
    case SIM_REC_CORRUPT: return (sim_record_fields){ "type", NULL, "byte", NULL };
    case SIM_REC_TIMER_SET: return (sim_record_fields){ "timer", NULL, "fire", "arg" };
    case SIM_REC_TIMER: return (sim_record_fields){ "timer", NULL, "arg", NULL };
    case SIM_REC_TIMER_CANCEL: return (sim_record_fields){ "timer", NULL, NULL, NULL };
    case SIM_REC_RESUME: return (sim_record_fields){ NULL, NULL, "queued", NULL };
    case SIM_REC_PARTITION: return (sim_record_fields){ NULL, "groups", "ngroups", NULL };
    case SIM_REC_CLOCK: return (sim_record_fields){ NULL, NULL, "offset", "drift_ppm" };
    case SIM_REC_NET: return (sim_record_fields){ NULL, "policy", NULL, NULL };
    case SIM_REC_ANNOTATE: return (sim_record_fields){ "key", "value", NULL, NULL };
    case SIM_REC_LOG: return (sim_record_fields){ NULL, "text", NULL, NULL };
    case SIM_REC_INVOKE: return (sim_record_fields){ "f", "args", NULL, NULL };
    case SIM_REC_COMPLETE: return (sim_record_fields){ "f", "result", NULL, "invoked" };
    case SIM_REC_CHECK: return (sim_record_fields){ "check", "message", NULL, NULL };
    default: return (sim_record_fields){ NULL, NULL, NULL, NULL };
    }
}

static bool uses_id(sim_record_kind k)
{
    return k == SIM_REC_SEND || k == SIM_REC_DELIVER || k == SIM_REC_DROP ||
           k == SIM_REC_DUPLICATE || k == SIM_REC_CORRUPT || k == SIM_REC_TIMER_SET ||
           k == SIM_REC_TIMER || k == SIM_REC_TIMER_CANCEL || k == SIM_REC_INVOKE ||
           k == SIM_REC_COMPLETE;
}

static void add_special(cJSON *o, const sim_record *r)
{
    if (r->kind == SIM_REC_COMPLETE)
        cJSON_AddStringToObject(o, "outcome", sim_outcome_name((sim_outcome)r->num1));
    if (r->kind == SIM_REC_CHECK) cJSON_AddBoolToObject(o, "ok", r->num1 != 0);
    if (r->flags & SIM_FLAG_CORRUPTED) cJSON_AddTrueToObject(o, "corrupted");
    if (r->flags & SIM_FLAG_DUPLICATE) cJSON_AddTrueToObject(o, "duplicate");
}

char *sim_record_to_json(const sim *s, const sim_record *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    add_int(o, "i", (int64_t)r->index);
    add_int(o, "t", r->time_ns);
    cJSON_AddStringToObject(o, "ev", sim_record_kind_name(r->kind));
    if (r->node != SIM_NODE_NONE) cJSON_AddStringToObject(o, "node", sim_node_name(s, r->node));
    if (r->peer != SIM_NODE_NONE) cJSON_AddStringToObject(o, "peer", sim_node_name(s, r->peer));
    if (uses_id(r->kind)) add_int(o, "id", (int64_t)r->id);
    sim_record_fields f = sim_record_field_names(r->kind);
    if (f.name && r->name) cJSON_AddStringToObject(o, f.name, r->name);
    if (f.detail && r->detail) {
        if (r->kind == SIM_REC_INVOKE || r->kind == SIM_REC_COMPLETE) add_json_or_string(o, f.detail, r->detail);
        else cJSON_AddStringToObject(o, f.detail, r->detail);
    }
    if (f.num1) add_int(o, f.num1, r->num1);
    if (f.num2) add_int(o, f.num2, r->num2);
    add_special(o, r);
    add_body(o, r->body, r->body_len);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

static void write_record(sim *s, const sim_record *r, void *ctx)
{
    sim_trace_writer *w = ctx;
    char *line = sim_record_to_json(s, r);
    if (!line || fputs(line, w->out) == EOF || fputc('\n', w->out) == EOF) w->failed = true;
    free(line);
}

sim_trace_writer *sim_trace_json_open(sim *s, FILE *out)
{
    sim_trace_writer *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->out = out;
    if (sim_observe(s, write_record, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

int sim_trace_json_close(sim *s, sim_trace_writer *w)
{
    if (!w) return SIM_EINVAL;
    sim_unobserve(s, write_record, w);
    bool failed = w->failed || fflush(w->out) != 0;
    free(w);
    return failed ? SIM_EIO : 0;
}
