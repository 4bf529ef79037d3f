/*
 * Saving the faults made by hand, and replaying a saved list.
 *
 * `s` in the viewer writes two files with the same base name (DSIM_VIZ_SAVE, else
 * dsim-faults-<scenario>-seed<N> in the current directory):
 *   .lua   dsim.at("512.300001ms", function() dsim.crash("n2") end) lines, to paste
 *          into a Lua scenario before dsim.run (times are exact, to the ns);
 *   .json  [{"t":512300001,"fault":"crash","node":"n2"}, ...], which
 *          DSIM_VIZ_FAULTS=F.json applies to any run opened in the viewer (or with
 *          --frames) through sim_schedule, reproducing the run and its trace hash.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sim/units.h"
#include "viz/app.h"

static const char *fault_name(uint8_t kind) { return sim_record_kind_name((sim_record_kind)kind); }

static void base_name(const viz_app *a, char *buf, size_t n)
{
    const char *env = getenv("DSIM_VIZ_SAVE");
    if (env && *env) {
        snprintf(buf, n, "%s", env);
        return;
    }
    const char *scenario = a->opts && a->opts->scenario ? a->opts->scenario : "run";
    const char *slash = strrchr(scenario, '/');
    char name[64];
    snprintf(name, sizeof(name), "%s", slash ? slash + 1 : scenario);
    char *dot = strstr(name, ".lua");
    if (dot) *dot = 0;
    for (char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') *p = '_';
    snprintf(buf, n, "dsim-faults-%s-seed%llu", name,
             (unsigned long long)(a->opts ? a->opts->seed : 0));
}

/* "n1,n2 | n3" as Lua tables: {"n1", "n2"}, {"n3"} */
static void lua_groups(FILE *f, const char *groups)
{
    fputs("{\"", f);
    for (const char *p = groups; *p; p++) {
        if (*p == ',') fputs("\", \"", f);
        else if (*p == '|') fputs("\"}, {\"", f);
        else if (*p != ' ') fputc(*p, f);
    }
    fputs("\"}", f);
}

static void write_lua_line(const viz_app *a, FILE *f, const viz_hand *h)
{
    const char *node = viz_store_node_name(&a->store, h->node), *peer = viz_store_node_name(&a->store, h->peer);
    char at[48];
    sim_duration_format(h->t_ns, at, sizeof(at));
    fprintf(f, "dsim.at(\"%s\", function() ", at);
    switch (h->kind) {
    case SIM_REC_CUT:
    case SIM_REC_UNCUT: fprintf(f, "dsim.%s(\"%s\", \"%s\")", fault_name(h->kind), node, peer); break;
    case SIM_REC_PARTITION:
        fputs("dsim.partition(", f);
        lua_groups(f, h->groups);
        fputs(")", f);
        break;
    case SIM_REC_HEAL: fputs("dsim.heal()", f); break;
    default: fprintf(f, "dsim.%s(\"%s\")", fault_name(h->kind), node); break;
    }
    fputs(" end)\n", f);
}

static cJSON *json_entry(const viz_store *st, const viz_hand *h)
{
    cJSON *o = cJSON_CreateObject();
    char t[32];
    snprintf(t, sizeof(t), "%lld", (long long)h->t_ns);
    cJSON_AddItemToObject(o, "t", cJSON_CreateRaw(t));
    cJSON_AddStringToObject(o, "fault", fault_name(h->kind));
    if (h->kind == SIM_REC_CUT || h->kind == SIM_REC_UNCUT) {
        cJSON_AddStringToObject(o, "from", viz_store_node_name(st, h->node));
        cJSON_AddStringToObject(o, "to", viz_store_node_name(st, h->peer));
    } else if (h->kind == SIM_REC_PARTITION) {
        cJSON_AddStringToObject(o, "groups", h->groups);
    } else if (h->node != VIZ_NONE) {
        cJSON_AddStringToObject(o, "node", viz_store_node_name(st, h->node));
    }
    return o;
}

int viz_hand_save(viz_app *a)
{
    char base[400], path[420];
    base_name(a, base, sizeof(base));
    snprintf(path, sizeof(path), "%s.lua", base);
    FILE *f = fopen(path, "w");
    if (!f) {
        viz_app_note(a, true, "cannot write %s", path);
        return SIM_EIO;
    }
    fprintf(f, "-- Faults made by hand in the viewer (dsim run %s --seed %llu --viz).\n"
               "-- Paste before dsim.run(...) to replay the very same run.\n",
            a->opts && a->opts->scenario ? a->opts->scenario : "?",
            (unsigned long long)(a->opts ? a->opts->seed : 0));
    for (size_t i = 0; i < a->n_hand; i++) write_lua_line(a, f, &a->hand[i]);
    int rc = fclose(f) == 0 ? 0 : SIM_EIO;
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; i < a->n_hand; i++) cJSON_AddItemToArray(list, json_entry(&a->store, &a->hand[i]));
    char *text = cJSON_Print(list);
    cJSON_Delete(list);
    snprintf(path, sizeof(path), "%s.json", base);
    f = fopen(path, "w");
    if (!f || !text || fputs(text, f) == EOF || fputc('\n', f) == EOF) rc = SIM_EIO;
    if (f && fclose(f) != 0) rc = SIM_EIO;
    free(text);
    if (rc) viz_app_note(a, true, "cannot write %s", path);
    else viz_app_note(a, false, "saved %zu faults made by hand to %s.lua (and .json)", a->n_hand, base);
    printf("viz: saved %zu faults made by hand to %s.lua and %s.json\n", a->n_hand, base, base);
    fflush(stdout);
    return rc;
}

/* ---- replaying a saved list ---------------------------------------------------- */

typedef struct scheduled {
    sim_record_kind kind;
    sim_node_id node, peer;
    size_t sizes[VIZ_MAX_GROUPS], ngroups, nmembers;
    sim_node_id members[];
} scheduled;

/* Runs at the saved time; frees itself (entries past the run's end are never freed:
 * a few bytes, once per process). */
static void apply_scheduled(sim *s, void *ctx)
{
    scheduled *f = ctx;
    switch (f->kind) {
    case SIM_REC_CRASH: sim_node_crash(s, f->node); break;
    case SIM_REC_RESTART: sim_node_restart(s, f->node); break;
    case SIM_REC_PAUSE: sim_node_pause(s, f->node); break;
    case SIM_REC_RESUME: sim_node_resume(s, f->node); break;
    case SIM_REC_CUT: sim_net_cut(s, f->node, f->peer); break;
    case SIM_REC_UNCUT: sim_net_uncut(s, f->node, f->peer); break;
    case SIM_REC_PARTITION: sim_net_partition(s, f->ngroups, f->sizes, f->members); break;
    case SIM_REC_HEAL: sim_net_heal(s); break;
    default: break;
    }
    free(f);
}

static int node_of(const sim *s, const cJSON *o, const char *key, sim_node_id *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = SIM_NODE_NONE;
    if (!v) return 0;
    return cJSON_IsString(v) ? sim_node_find(s, v->valuestring, out) : SIM_EINVAL;
}

static int parse_groups(const sim *s, const char *text, scheduled *f, size_t cap)
{
    char name[64];
    size_t len = 0;
    f->ngroups = 1;
    for (const char *p = text;; p++) {
        if (*p == ',' || *p == '|' || *p == 0) {
            name[len] = 0;
            if (len && (f->nmembers == cap || sim_node_find(s, name, &f->members[f->nmembers]) != 0))
                return SIM_EINVAL;
            if (len) f->sizes[f->ngroups - 1]++, f->nmembers++;
            len = 0;
            if (*p == '|' && ++f->ngroups > VIZ_MAX_GROUPS) return SIM_EINVAL;
            if (!*p) return 0;
        } else if (*p != ' ' && len + 1 < sizeof(name)) {
            name[len++] = *p;
        }
    }
}

static int schedule_one(sim *s, const cJSON *o)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "fault");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(o, "groups");
    if (!cJSON_IsNumber(t) || !cJSON_IsString(kind)) return SIM_EINVAL;
    size_t cap = sim_node_count(s);
    scheduled *f = calloc(1, sizeof(*f) + (cap + 1) * sizeof(sim_node_id));
    if (!f) return SIM_ENOMEM;
    f->kind = sim_record_kind_from_name(kind->valuestring);
    int rc = node_of(s, o, "node", &f->node);
    if (rc == 0 && f->node == SIM_NODE_NONE) rc = node_of(s, o, "from", &f->node);
    if (rc == 0) rc = node_of(s, o, "to", &f->peer);
    if (rc == 0 && f->kind == SIM_REC_PARTITION)
        rc = cJSON_IsString(groups) ? parse_groups(s, groups->valuestring, f, cap) : SIM_EINVAL;
    if (rc == 0) rc = sim_schedule(s, (int64_t)t->valuedouble, apply_scheduled, f);
    if (rc) free(f);
    return rc;
}

static int schedule_json(sim *s, cJSON *list)
{
    int rc = cJSON_IsArray(list) ? 0 : SIM_EINVAL;
    const cJSON *o;
    cJSON_ArrayForEach(o, list) if (rc == 0) rc = schedule_one(s, o);
    cJSON_Delete(list);
    return rc;
}

int viz_hand_schedule_file(sim *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return SIM_ENOENT;
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, 0, f);
    fclose(f);
    cJSON *list = n > 0 ? cJSON_Parse(text) : NULL;
    free(text);
    return schedule_json(s, list);
}

/* A new branch's schedule (viz/branch.c) goes through the very path of a saved
 * .json file, so a branch and its saved schedule replay alike. */
int viz_hand_schedule_list(sim *s, const viz_store *st, const viz_hand *h, size_t n)
{
    cJSON *list = cJSON_CreateArray();
    if (!list) return SIM_ENOMEM;
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(list, json_entry(st, &h[i]));
    char *text = cJSON_PrintUnformatted(list);         /* as written to the file, then read */
    cJSON_Delete(list);
    if (!text) return SIM_ENOMEM;
    list = cJSON_Parse(text);
    free(text);
    return schedule_json(s, list);
}
