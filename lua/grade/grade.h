/*
 * Lab grading (`dsim grade LAB SUBMISSION_DIR`) and hand-outs (`dsim lab handout
 * LAB DIR`).
 *
 * A lab is a folder (textbook/labs/NN-name/) with a manifest, lab.json:
 *
 *   { "name": "Lab 1: echo and unique ids",
 *     "submission": ["echo", "unique_ids"],      the files a student hands in (.lua)
 *     "seeds": "1..50",                          default seeds of every test
 *     "timeout": "60s",                          wall-clock safety net per run
 *     "tests": [ { "name": "...", "scenario": "tests/echo.lua", "points": 3,
 *                  "visibility": "visible" }, ... ] }
 *
 * and README.md (the handout), skeleton/ (the files the student completes),
 * tests/ (public tests, handed out) and grading/ (tests the student never sees).
 * Every test scenario loads the student's code with dsim.submission(NAME), so the
 * scenario and its checks stay the instructor's whatever the student writes.
 *
 * Grading runs each test over its seeds, each seed in its own process (the sweep
 * pool: rlimits, a timeout, a crash is a failed seed, never the grader's), and
 * gives a test its points only when every seed passes: a protocol that loses one
 * seed in fifty is wrong, and the first failing seed comes with the command that
 * replays it. The same submission and seeds always get the same grade: verdicts
 * come from exit codes, and the simulation is deterministic; only the wall-clock
 * timeout, a safety net far above the sandbox's own deterministic limits, could
 * differ between machines.
 *
 *   grade_lab.c     reading and validating lab.json
 *   grade_run.c     running the tests, the printed table, results.json
 *   lua/cli/cmd_grade.c   the commands
 */
#ifndef DSIM_GRADE_H
#define DSIM_GRADE_H

#include <stdbool.h>
#include <stdint.h>

#define GRADE_TESTS_MAX 64
#define GRADE_FILES_MAX 16

typedef struct grade_test {
    char *name;
    char *scenario;          /* path inside the lab folder */
    double points;
    char *visibility;        /* Gradescope's: visible, hidden, after_due_date, after_published */
} grade_test;

typedef struct grade_lab {
    char *dir;               /* the lab folder */
    char *name;
    char *files[GRADE_FILES_MAX];   /* module names the student hands in */
    size_t nfiles;
    uint64_t seed_first, seed_last;
    int64_t timeout_ns;
    grade_test tests[GRADE_TESTS_MAX];
    size_t ntests;
} grade_lab;

/* Finds LAB (a folder, or a name under textbook/labs/) and reads its lab.json.
 * Returns 0, or prints one line naming the file and field and returns
 * DSIM_EXIT_USAGE. */
int grade_lab_load(const char *lab, grade_lab *out);
void grade_lab_free(grade_lab *lab);
/* "A..B" (inclusive, A <= B, at most 100,000 seeds); 0 or -1. */
int grade_parse_seeds(const char *text, uint64_t *first, uint64_t *last);

typedef struct grade_opts {
    const char *submission;  /* the student's folder */
    const char *json_path;   /* results.json, or NULL */
    bool seeds_given;
    uint64_t seed_first, seed_last;
    int jobs;
} grade_opts;

/* Grades and prints the table; writes results.json when asked. Returns 0 (the
 * grade was given, whatever it is) or DSIM_EXIT_USAGE. */
int grade_run(const grade_lab *lab, const grade_opts *o);

#endif
