/*
 * Running a lab's tests against a submission: each test over its seeds on the
 * sweep pool (lua/sweep/), all-or-nothing points per test, the table a student
 * or TA reads, and Gradescope's results.json.
 *
 * What a failing test says is built here from what the grader knows (the seed,
 * the scenario, the submission folder), never copied from the run's output, so
 * student code cannot write its own reproduce command into a grade; the
 * one-line reason is the run's first FAILED line (node output is prefixed by the
 * runtime, so a student cannot forge that line either).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lua/cli/host.h"
#include "lua/grade/grade.h"
#include "lua/sweep/sweep.h"

typedef struct test_outcome {
    size_t seeds, passed;
    double score;
    char output[4096];
} test_outcome;

/* The first failing result of a sweep, or NULL. */
static const sweep_result *first_failure(const sweep_report *rep)
{
    for (size_t i = 0; i < rep->count; i++)
        if (rep->results[i].verdict != SWEEP_PASS) return &rep->results[i];
    return NULL;
}

static void describe(const grade_test *t, const char *scenario, const grade_opts *o, const sweep_report *rep,
                     test_outcome *out)
{
    const sweep_result *f = first_failure(rep);
    if (!f) {
        snprintf(out->output, sizeof(out->output), "passed all %zu seeds", out->seeds);
        return;
    }
    char why[600];
    snprintf(why, sizeof(why), "%s", f->message ? f->message : "failed");
    why[strcspn(why, "\r\n")] = '\0';
    snprintf(out->output, sizeof(out->output),
             "passed %zu of %zu seeds; first failure, seed %" PRIu64 ": %s\n"
             "replay:         ./dsim run %.700s --seed %" PRIu64 " --submission %.500s\n"
             "in the viewer:  ./dsim run %.700s --seed %" PRIu64 " --submission %.500s --viz",
             out->passed, out->seeds, f->seed, why, scenario, f->seed, o->submission, scenario, f->seed,
             o->submission);
    (void)t;
}

static int run_test(const grade_lab *lab, const grade_test *t, const grade_opts *o, test_outcome *out)
{
    char scenario[4096];
    snprintf(scenario, sizeof(scenario), "%s/%s", lab->dir, t->scenario);
    sweep_args a;
    memset(&a, 0, sizeof(a));
    a.scenario = scenario;
    a.submission = o->submission;
    a.seed_first = o->seeds_given ? o->seed_first : lab->seed_first;
    a.seed_last = o->seeds_given ? o->seed_last : lab->seed_last;
    a.seeds_given = true;
    a.shard_index = a.shard_count = 1;
    a.jobs = o->jobs;
    a.timeout_ns = lab->timeout_ns;
    sweep_report rep;
    if (sweep_report_init(&rep, &a)) return dsim_usage_error("grade: out of memory");
    sweep_pool_run(&a, &rep);
    memset(out, 0, sizeof(*out));
    out->seeds = rep.count;
    for (size_t i = 0; i < rep.count; i++) out->passed += rep.results[i].verdict == SWEEP_PASS;
    out->score = out->passed == out->seeds ? t->points : 0;
    describe(t, scenario, o, &rep, out);
    sweep_report_free(&rep);
    return 0;
}

static void print_row(const grade_test *t, const test_outcome *r)
{
    printf("%-44.44s %6.1f / %-6.1f %zu/%zu seeds\n", t->name, r->score, t->points, r->passed, r->seeds);
    if (r->passed == r->seeds) return;
    const char *line = r->output;
    while (*line) {                                 /* the details, indented */
        size_t n = strcspn(line, "\n");
        printf("    %.*s\n", (int)n, line);
        line += n + (line[n] == '\n');
    }
}

static int write_json(const grade_lab *lab, const test_outcome *res, double score, const char *path)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "score", score);
    cJSON_AddStringToObject(root, "output", lab->name);
    cJSON *tests = cJSON_AddArrayToObject(root, "tests");
    for (size_t i = 0; i < lab->ntests; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "name", lab->tests[i].name);
        cJSON_AddNumberToObject(t, "score", res[i].score);
        cJSON_AddNumberToObject(t, "max_score", lab->tests[i].points);
        cJSON_AddStringToObject(t, "output", res[i].output);
        cJSON_AddStringToObject(t, "visibility", lab->tests[i].visibility);
        cJSON_AddItemToArray(tests, t);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    FILE *f = text ? fopen(path, "w") : NULL;
    bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = false;
    free(text);
    return ok ? 0 : dsim_usage_error("--json: cannot write '%s'", path);
}

/* --json is checked before any test runs: a bad path must not cost a whole grading run. */
static int check_writable(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f) return dsim_usage_error("--json: cannot write '%s' (does its folder exist?)", path);
    fclose(f);
    return 0;
}

int grade_run(const grade_lab *lab, const grade_opts *o)
{
    if (o->json_path && check_writable(o->json_path)) return DSIM_EXIT_USAGE;
    test_outcome *res = calloc(lab->ntests, sizeof(*res));
    if (!res) return dsim_usage_error("grade: out of memory");
    printf("%s: %s\n", lab->name, o->submission);
    double score = 0, max = 0;
    for (size_t i = 0; i < lab->ntests; i++) {
        if (run_test(lab, &lab->tests[i], o, &res[i])) return free(res), DSIM_EXIT_USAGE;
        print_row(&lab->tests[i], &res[i]);
        fflush(stdout);
        score += res[i].score;
        max += lab->tests[i].points;
    }
    printf("score: %.1f / %.1f\n", score, max);
    int rc = o->json_path ? write_json(lab, res, score, o->json_path) : 0;
    free(res);
    return rc;
}
