/*
 * A sweep's results as JSON (`dsim sweep --json F`) and back (`dsim sweep-merge`):
 *
 *   { "format": "dsim-sweep/1", "scenario": "broadcast", "seed_first": "1",
 *     "seed_last": "1000", "shard": { "index": 2, "count": 8 },
 *     "until": null, "loss": "0.5",
 *     "results": [ { "seed": "2", "verdict": "fail", "message": "...",
 *                    "reproduce": "dsim run ...", "trace_hash": "0123..." }, ... ] }
 *
 * Seeds are decimal strings, not JSON numbers: a seed is any 64-bit integer and a
 * JSON number read as a double (cJSON, jq, JavaScript) is exact only up to 2^53.
 * Reading checks every field, so a merge never proceeds on a file it misread.
 */
#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lua/cli/host.h"
#include "lua/sweep/sweep.h"
#include "sim/units.h"

#define FORMAT "dsim-sweep/1"
#define FILE_BYTES_MAX (1u << 30)

static cJSON *seed_json(uint64_t seed)
{
    char s[24];
    snprintf(s, sizeof(s), "%" PRIu64, seed);
    return cJSON_CreateString(s);
}

static cJSON *string_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *result_json(const sweep_result *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddItemToObject(o, "seed", seed_json(r->seed));
    cJSON_AddStringToObject(o, "verdict", sweep_verdict_name(r->verdict));
    cJSON_AddItemToObject(o, "message", string_or_null(r->message));
    cJSON_AddItemToObject(o, "reproduce", string_or_null(r->reproduce));
    cJSON_AddItemToObject(o, "trace_hash", string_or_null(r->trace_hash[0] ? r->trace_hash : NULL));
    return o;
}

static cJSON *report_json(const sweep_report *rep)
{
    cJSON *o = cJSON_CreateObject(), *shard = cJSON_CreateObject(), *results = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "format", FORMAT);
    cJSON_AddStringToObject(o, "scenario", rep->scenario);
    cJSON_AddItemToObject(o, "seed_first", seed_json(rep->seed_first));
    cJSON_AddItemToObject(o, "seed_last", seed_json(rep->seed_last));
    cJSON_AddNumberToObject(shard, "index", rep->shard_index);
    cJSON_AddNumberToObject(shard, "count", rep->shard_count);
    cJSON_AddItemToObject(o, "shard", shard);
    cJSON_AddItemToObject(o, "until", string_or_null(rep->until));
    cJSON_AddItemToObject(o, "loss", string_or_null(rep->loss));
    for (size_t i = 0; i < rep->count; i++) cJSON_AddItemToArray(results, result_json(&rep->results[i]));
    cJSON_AddItemToObject(o, "results", results);
    return o;
}

int sweep_json_write(const sweep_report *rep, const char *path)
{
    errno = 0;
    cJSON *o = report_json(rep);
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    FILE *f = text ? fopen(path, "w") : NULL;
    int rc = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    free(text);
    if (rc) dsim_usage_error("sweep: --json: cannot write '%s'%s%s", path, errno ? ": " : "",
                             errno ? strerror(errno) : "");
    return rc;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 65536 * 2;
            char *t = cap <= FILE_BYTES_MAX ? realloc(text, cap) : NULL;
            if (!t) break;
            text = t;
        }
        got = fread(text + len, 1, 65536, f);
        len += got;
    } while (got > 0);
    bool ok = text && !ferror(f) && feof(f);
    fclose(f);
    if (!ok) return free(text), NULL;
    text[len] = '\0';
    return text;
}

/* A string field (or null when nullable), copied. Returns 0 or -1. */
static int get_string(const cJSON *o, const char *key, bool nullable, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (nullable && cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) return -1;
    *out = strdup(v->valuestring);
    return *out ? 0 : -1;
}

static int get_seed(const cJSON *o, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && sim_seed_parse(v->valuestring, out) == 0 ? 0 : -1;
}

static int get_u32(const cJSON *o, const char *key, uint32_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > UINT32_MAX) return -1;
    *out = (uint32_t)v->valuedouble;
    return *out == v->valuedouble ? 0 : -1;
}

static int read_result(const cJSON *o, sweep_result *r)
{
    char *verdict = NULL, *hash = NULL;
    int rc = get_seed(o, "seed", &r->seed) || get_string(o, "verdict", false, &verdict) ||
             get_string(o, "message", true, &r->message) || get_string(o, "reproduce", true, &r->reproduce) ||
             get_string(o, "trace_hash", true, &hash) ? -1 : 0;
    if (rc == 0 && strcmp(verdict, "pass") == 0) r->verdict = SWEEP_PASS;
    else if (rc == 0 && strcmp(verdict, "fail") == 0) r->verdict = SWEEP_FAIL;
    else if (rc == 0 && strcmp(verdict, "error") == 0) r->verdict = SWEEP_ERROR;
    else rc = -1;
    if (hash && strlen(hash) == 16) memcpy(r->trace_hash, hash, 17);
    else if (hash) rc = -1;
    if (rc == 0 && r->verdict != SWEEP_PASS && (!r->message || !r->reproduce)) rc = -1;
    free(verdict), free(hash);
    return rc;
}

static int read_report(const cJSON *o, sweep_report *rep)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(o, "format");
    const cJSON *shard = cJSON_GetObjectItemCaseSensitive(o, "shard");
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(o, "results");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, FORMAT) != 0) return -1;
    if (get_string(o, "scenario", false, &rep->scenario) || get_string(o, "until", true, &rep->until) ||
        get_string(o, "loss", true, &rep->loss) || get_seed(o, "seed_first", &rep->seed_first) ||
        get_seed(o, "seed_last", &rep->seed_last) || get_u32(shard, "index", &rep->shard_index) ||
        get_u32(shard, "count", &rep->shard_count) || !cJSON_IsArray(results))
        return -1;
    if (rep->seed_first > rep->seed_last || rep->shard_index > rep->shard_count) return -1;
    size_t n = (size_t)cJSON_GetArraySize(results);
    rep->results = calloc(n ? n : 1, sizeof(sweep_result));
    if (!rep->results) return -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, results)
    {
        if (read_result(item, &rep->results[rep->count++])) return -1;
    }
    return 0;
}

int sweep_json_read(const char *path, sweep_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    char *text = read_all(path);
    if (!text) return dsim_usage_error("sweep-merge: cannot read '%s'", path);
    cJSON *o = cJSON_Parse(text);
    free(text);
    bool parsed = o != NULL;
    int rc = parsed ? read_report(o, rep) : -1;
    cJSON_Delete(o);
    if (rc == 0) return 0;
    sweep_report_free(rep);
    return dsim_usage_error("sweep-merge: '%s' is not a dsim sweep result (%s; 'dsim sweep ... --json F' "
                            "writes one)", path, parsed ? "a field is missing or malformed" : "not JSON");
}
