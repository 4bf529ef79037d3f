/*
 * Reading a JSONL trace back into the viewer's store, for `dsim replay`. The field
 * names per kind are the writer's own (sim_record_field_names, sim/trace.h);
 * a line this reader cannot place is an error naming the line, never skipped.
 *
 * Numbers come through cJSON as doubles: exact up to 2^53 (104 days in ns).
 * Hostile input is refused as `dsim check` refuses it: a directory, a NUL byte,
 * text after a line's JSON object, a line that is not an object. Any trace that
 * passes (however inconsistent its records) gives a drawing, never a crash:
 * fuzzed by tests/fuzz/fuzz_trace.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "viz/store.h"

/* Clamped to +-2^62: a hostile trace's 1e300 must not overflow the conversion. */
static int64_t get_int(const cJSON *o, const char *key)
{
    const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
    if (!cJSON_IsNumber(v) || v->valuedouble != v->valuedouble) return 0;
    double d = v->valuedouble, lim = 4611686018427387904.0;
    return d > lim ? (int64_t)lim : d < -lim ? -(int64_t)lim : (int64_t)d;
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
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    if (kind == SIM_REC_KIND_COUNT || !cJSON_IsNumber(t)) return SIM_EINVAL;
    if (!(t->valuedouble >= 0 && t->valuedouble <= 9007199254740992.0)) return SIM_EINVAL;   /* 0..2^53 ns */
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

/* One line (len bytes, no NUL inside) into the store; "" or why not. */
static const char *load_line(viz_store *st, const char *line, size_t len, int64_t *last_t)
{
    if (memchr(line, 0, len)) return "a NUL byte (not a text trace)";
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
    if (len == 0) return "";
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, false);
    if (!o) return "not JSON";
    bool whole = end == line + len;
    int rc = whole && cJSON_IsObject(o) ? add_line(st, o) : SIM_EINVAL;
    cJSON_Delete(o);
    if (!whole) return "text after the JSON object";
    if (rc == SIM_ENOMEM) return "out of memory";
    if (rc || st->recs[st->count - 1].t_ns < *last_t) return "not a trace record (or out of time order)";
    *last_t = st->recs[st->count - 1].t_ns;
    return "";
}

int viz_store_load_jsonl(viz_store *st, const char *path, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return SIM_ENOENT;
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s", S_ISDIR(sb.st_mode) ? "is a directory, not a trace file" : "not a regular file");
        return SIM_EINVAL;
    }
    FILE *f = fopen(path, "r");
    if (!f) return SIM_ENOENT;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int64_t last_t = 0;
    const char *why = "";
    while (!*why && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        why = load_line(st, line, (size_t)n, &last_t);
    }
    if (!*why && ferror(f)) why = "read error";
    if (*why) snprintf(err, errlen, "line %zu: %s", lineno, why);
    free(line);
    fclose(f);
    return *why ? SIM_EINVAL : 0;
}

int viz_store_load_text(viz_store *st, const char *text, size_t len, char *err, size_t errlen)
{
    size_t lineno = 0;
    int64_t last_t = 0;
    const char *why = "";
    for (size_t at = 0; at < len && !*why;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) + 1 : len - at;
        lineno++;
        why = load_line(st, text + at, n, &last_t);
        at += n;
    }
    if (*why) snprintf(err, errlen, "line %zu: %s", lineno, why);
    return *why ? SIM_EINVAL : 0;
}
