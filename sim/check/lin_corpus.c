/*
 * Reading a corpus of histories with known verdicts (lin_corpus.h): one pass
 * over EXPECTED.tsv, fields separated by tabs or spaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_corpus.h"

static int add_case(sim_lin_corpus *c, const char *dir, const char *file, sim_lin_verdict v, sim_lin_model m)
{
    sim_lin_case *cases = realloc(c->cases, (c->count + 1) * sizeof(sim_lin_case));
    if (!cases) return SIM_ENOMEM;
    c->cases = cases;
    size_t n = strlen(dir) + strlen(file) + 2;
    sim_lin_case *k = &c->cases[c->count];
    k->file = strdup(file);
    k->path = malloc(n);
    if (!k->file || !k->path) {
        free(k->file);
        free(k->path);
        return SIM_ENOMEM;
    }
    snprintf(k->path, n, "%s/%s", dir, file);
    k->expected = v;
    k->model = m;
    c->count++;
    return 0;
}

static int parse_line(sim_lin_corpus *c, const char *dir, char *line, const char *path, int lineno)
{
    char *save = NULL;
    char *file = strtok_r(line, " \t\r\n", &save);
    char *verdict = file ? strtok_r(NULL, " \t\r\n", &save) : NULL;
    char *model = verdict ? strtok_r(NULL, " \t\r\n", &save) : NULL;
    if (!file || strcmp(file, "file") == 0) return 0;   /* blank, or the header */
    sim_lin_verdict v;
    sim_lin_model m = SIM_LIN_MODEL_AUTO;
    if (verdict && strcmp(verdict, "linearizable") == 0) v = SIM_LIN_OK;
    else if (verdict && strcmp(verdict, "not-linearizable") == 0) v = SIM_LIN_VIOLATION;
    else {
        snprintf(c->error, sizeof(c->error), "%.180s:%d: expected 'FILE linearizable|not-linearizable MODEL'",
                 path, lineno);
        return SIM_EINVAL;
    }
    if (model && sim_lin_model_parse(model, &m) != 0) {
        snprintf(c->error, sizeof(c->error), "%.180s:%d: unknown model '%.40s'", path, lineno, model);
        return SIM_EINVAL;
    }
    return add_case(c, dir, file, v, m);
}

int sim_lin_corpus_load(const char *dir, sim_lin_corpus *out)
{
    memset(out, 0, sizeof(*out));
    char path[1024];
    snprintf(path, sizeof(path), "%s/EXPECTED.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(out->error, sizeof(out->error), "%.200s: cannot open", path);
        return SIM_ENOENT;
    }
    char line[1024];
    int rc = 0;
    for (int lineno = 1; rc == 0 && fgets(line, sizeof(line), f); lineno++)
        rc = parse_line(out, dir, line, path, lineno);
    fclose(f);
    if (rc == SIM_ENOMEM) snprintf(out->error, sizeof(out->error), "%.200s: out of memory", path);
    if (rc) sim_lin_corpus_free(out);
    return rc;
}

void sim_lin_corpus_free(sim_lin_corpus *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->cases[i].file);
        free(c->cases[i].path);
    }
    free(c->cases);
    c->cases = NULL;
    c->count = 0;
}
