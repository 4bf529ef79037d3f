/*
 * Reading a lab's manifest (lab.json, described in grade.h). Every field is
 * checked, and a wrong one is one line naming the file and the field: an
 * instructor's typo must not become a silently easier lab.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "lua/cli/host.h"
#include "lua/grade/grade.h"
#include "sim/units.h"

#define MANIFEST_BYTES_MAX ((size_t)1 << 20)
#define GRADE_SEEDS_MAX 100000u

int grade_parse_seeds(const char *text, uint64_t *first, uint64_t *last)
{
    char *end;
    if (!text || *text < '0' || *text > '9') return -1;
    errno = 0;
    unsigned long long a = strtoull(text, &end, 10);
    if (errno || strncmp(end, "..", 2) != 0 || end[2] < '0' || end[2] > '9') return -1;
    unsigned long long b = strtoull(end + 2, &end, 10);
    if (errno || *end || b < a || b - a >= GRADE_SEEDS_MAX) return -1;
    *first = a, *last = b;
    return 0;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(MANIFEST_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, MANIFEST_BYTES_MAX + 1, f) : 0;
    fclose(f);
    if (!buf || n > MANIFEST_BYTES_MAX || memchr(buf, '\0', n)) return free(buf), NULL;
    buf[n] = '\0';
    return buf;
}

static int bad(const grade_lab *lab, const char *what)
{
    return dsim_usage_error("%s/lab.json: %s", lab->dir, what);
}

static int read_string(const grade_lab *lab, const cJSON *o, const char *key, char **out, const char *what)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v) || !v->valuestring[0]) return bad(lab, what);
    *out = strdup(v->valuestring);
    return *out ? 0 : bad(lab, "out of memory");
}

static bool plain_name(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) return false;
    return *s && strlen(s) <= 64;
}

/* A test's scenario must be a .lua file inside the lab folder (no .., no /). */
static bool inside_path(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcmp(s + n - 4, ".lua") == 0 && s[0] != '/' && !strstr(s, "..");
}

static int read_test(grade_lab *lab, const cJSON *t, grade_test *out)
{
    if (!cJSON_IsObject(t)) return bad(lab, "each of 'tests' must be an object {name, scenario, points}");
    if (read_string(lab, t, "name", &out->name, "a test needs a 'name'")) return DSIM_EXIT_USAGE;
    if (read_string(lab, t, "scenario", &out->scenario, "a test needs a 'scenario' (a .lua path in the lab folder)"))
        return DSIM_EXIT_USAGE;
    if (!inside_path(out->scenario)) return bad(lab, "a test's 'scenario' must be a .lua path inside the lab folder");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(t, "points");
    if (!cJSON_IsNumber(p) || p->valuedouble < 0 || p->valuedouble > 1000)
        return bad(lab, "a test's 'points' must be a number from 0 to 1000");
    out->points = p->valuedouble;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, "visibility");
    const char *vis = cJSON_IsString(v) ? v->valuestring : v ? "" : "visible";
    static const char *const ok[] = { "visible", "hidden", "after_due_date", "after_published", NULL };
    bool known = false;
    for (size_t i = 0; ok[i] && !known; i++) known = strcmp(ok[i], vis) == 0;
    if (!known) return bad(lab, "'visibility' must be visible, hidden, after_due_date or after_published");
    out->visibility = strdup(vis);
    return 0;
}

static int read_files(grade_lab *lab, const cJSON *root)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "submission");
    if (!cJSON_IsArray(files) || cJSON_GetArraySize(files) < 1 || cJSON_GetArraySize(files) > GRADE_FILES_MAX)
        return bad(lab, "'submission' must list the module names a student hands in, like [\"echo\"]");
    for (const cJSON *f = files->child; f; f = f->next) {
        if (!cJSON_IsString(f) || !plain_name(f->valuestring))
            return bad(lab, "'submission' names are lowercase letters, digits, _ and - (echo for echo.lua)");
        lab->files[lab->nfiles++] = strdup(f->valuestring);
    }
    return 0;
}

static int read_manifest(grade_lab *lab, const cJSON *root)
{
    if (!cJSON_IsObject(root)) return bad(lab, "not a JSON object");
    if (read_string(lab, root, "name", &lab->name, "'name' is missing")) return DSIM_EXIT_USAGE;
    if (read_files(lab, root)) return DSIM_EXIT_USAGE;
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(root, "seeds");
    if (!cJSON_IsString(seeds) || grade_parse_seeds(seeds->valuestring, &lab->seed_first, &lab->seed_last))
        return bad(lab, "'seeds' must be a range like \"1..50\" (at most 100000 seeds)");
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(root, "timeout");
    if (!cJSON_IsString(to) || sim_duration_parse(to->valuestring, &lab->timeout_ns) || lab->timeout_ns <= 0)
        return bad(lab, "'timeout' must be a duration like \"60s\"");
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(root, "tests");
    if (!cJSON_IsArray(tests) || cJSON_GetArraySize(tests) < 1 || cJSON_GetArraySize(tests) > GRADE_TESTS_MAX)
        return bad(lab, "'tests' must be a list of 1 to 64 tests");
    for (const cJSON *t = tests->child; t; t = t->next)
        if (read_test(lab, t, &lab->tests[lab->ntests++])) return DSIM_EXIT_USAGE;
    return 0;
}

int grade_lab_load(const char *name, grade_lab *lab)
{
    memset(lab, 0, sizeof(*lab));
    char path[4096];
    if (is_dir(name)) snprintf(path, sizeof(path), "%s", name);
    else snprintf(path, sizeof(path), "textbook/labs/%s", name);
    if (!is_dir(path))
        return dsim_usage_error("grade: no lab '%s' (a lab folder, or a name under textbook/labs/ such as 01-warmup)",
                                name);
    lab->dir = strdup(path);
    snprintf(path, sizeof(path), "%s/lab.json", lab->dir);
    char *text = read_file(path);
    if (!text) return dsim_usage_error("%s: cannot read it (a lab folder holds lab.json)", path);
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return bad(lab, "not valid JSON");
    int rc = read_manifest(lab, root);
    cJSON_Delete(root);
    return rc;
}

void grade_lab_free(grade_lab *lab)
{
    free(lab->dir), free(lab->name);
    for (size_t i = 0; i < lab->nfiles; i++) free(lab->files[i]);
    for (size_t i = 0; i < lab->ntests; i++) {
        free(lab->tests[i].name), free(lab->tests[i].scenario), free(lab->tests[i].visibility);
    }
    memset(lab, 0, sizeof(*lab));
}
