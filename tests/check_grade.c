/*
 * Tests of lab grading (`dsim grade`, `dsim lab handout`, dsim.submission): each
 * lab's reference solution (tests/labs/LAB/solution/) scores full marks, the
 * bare skeleton scores zero, each planted bug (tests/labs/LAB/bugs/NAME/) loses
 * exactly the tests it should; grades and results.json are the same on every
 * run; a hand-out holds no hidden tests; a hostile submission (a loop, a link
 * out of its folder, a grab at the checks) loses points with a reason and never
 * stops the grader; a broken lab or command line is one line and exit 2.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct result {
    int code;
    char out[65536];
} result;

static void run_dsim(result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void run_dsim(result *r, const char *fmt, ...)
{
    const char *exe = getenv("DSIM");
    char args[2048], cmd[2600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "%s %s 2>&1", exe && *exe ? exe : "./dsim", args);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    size_t n = fread(r->out, 1, sizeof(r->out) - 1, p);
    r->out[n] = 0;
    int status = pclose(p);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The score line "score: X / Y" of a grade's output. */
static double score_of(const result *r)
{
    const char *s = strstr(r->out, "\nscore: ");
    ck_assert_msg(s != NULL, "no score line:\n%s", r->out);
    return atof(s + 8);
}

/* The points a test earned: its row "NAME   X / Y   P/N seeds". */
static double test_points(const result *r, const char *test)
{
    const char *row = strstr(r->out, test);
    ck_assert_msg(row != NULL, "no row for '%s':\n%s", test, r->out);
    return atof(row + 45);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    static char buf[2][65536];
    static int which;
    char *b = buf[which++ & 1];
    size_t n = fread(b, 1, sizeof(buf[0]) - 1, f);
    b[n] = 0;
    fclose(f);
    return b;
}

#define LAB1 "01-warmup"
#define LAB1_TESTS "tests/labs/01-warmup"

START_TEST(test_solution_full_marks_and_deterministic)
{
    result a, b;
    char ja[] = "/tmp/dsim-grade-a-XXXXXX", jb[] = "/tmp/dsim-grade-b-XXXXXX";
    close(mkstemp(ja)), close(mkstemp(jb));
    run_dsim(&a, "grade " LAB1 " " LAB1_TESTS "/solution --json %s", ja);
    run_dsim(&b, "grade " LAB1 " " LAB1_TESTS "/solution --json %s", jb);
    ck_assert_msg(a.code == 0, "exit %d:\n%s", a.code, a.out);
    ck_assert_msg(score_of(&a) == 10.0, "%s", a.out);
    ck_assert_str_eq(a.out, b.out);
    ck_assert_str_eq(slurp(ja), slurp(jb));
    ck_assert_ptr_nonnull(strstr(slurp(ja), "\"score\":\t10,"));
    ck_assert_ptr_nonnull(strstr(slurp(ja), "\"visibility\":\t\"after_published\""));
    unlink(ja), unlink(jb);
}
END_TEST

START_TEST(test_skeleton_scores_zero)
{
    result r;
    run_dsim(&r, "grade " LAB1 " textbook/labs/" LAB1 "/skeleton --seeds 1..5");
    ck_assert_msg(r.code == 0, "exit %d:\n%s", r.code, r.out);
    ck_assert_msg(score_of(&r) == 0.0, "%s", r.out);
    /* The failure says why and how to replay it, in the viewer too. */
    ck_assert_ptr_nonnull(strstr(r.out, "first failure, seed 1: every echo answered: 0 ok"));
    ck_assert_ptr_nonnull(strstr(r.out, "replay:         ./dsim run textbook/labs/01-warmup/tests/echo.lua --seed 1 "
                                        "--submission textbook/labs/01-warmup/skeleton\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "--submission textbook/labs/01-warmup/skeleton --viz\n"));
}
END_TEST

START_TEST(test_planted_bugs_lose_their_points)
{
    result r;
    run_dsim(&r, "grade " LAB1 " " LAB1_TESTS "/bugs/no_sync");
    ck_assert_msg(test_points(&r, "unique ids: through crashes") == 0.0, "%s", r.out);
    ck_assert_msg(score_of(&r) == 7.0, "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "was generated twice"));
    run_dsim(&r, "grade " LAB1 " " LAB1_TESTS "/bugs/no_reply_id");
    ck_assert_msg(test_points(&r, "echo: every request") == 0.0, "%s", r.out);
    ck_assert_msg(test_points(&r, "echo: loss") == 0.0, "%s", r.out);
    ck_assert_msg(score_of(&r) == 6.0, "%s", r.out);
}
END_TEST

#define LAB2 "02-broadcast"
#define LAB2_TESTS "tests/labs/02-broadcast"

START_TEST(test_lab2_solution_skeleton_and_bugs)
{
    result r;
    run_dsim(&r, "grade " LAB2 " " LAB2_TESTS "/solution");
    ck_assert_msg(r.code == 0 && score_of(&r) == 10.0, "exit %d:\n%s", r.code, r.out);
    run_dsim(&r, "grade " LAB2 " textbook/labs/" LAB2 "/skeleton --seeds 1..3");
    ck_assert_msg(r.code == 0 && score_of(&r) == 0.0, "exit %d:\n%s", r.code, r.out);
    /* Never resending what a peer did not acknowledge loses the faults test only. */
    run_dsim(&r, "grade " LAB2 " " LAB2_TESTS "/bugs/no_retransmit");
    ck_assert_msg(test_points(&r, "broadcast: loss") == 0.0 && score_of(&r) == 6.0, "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "lost acknowledged value"));
    /* Every node re-spreading every value costs too many messages. */
    run_dsim(&r, "grade " LAB2 " " LAB2_TESTS "/bugs/flood");
    ck_assert_msg(test_points(&r, "broadcast: fewer") == 0.0 && score_of(&r) == 7.0, "%s", r.out);
}
END_TEST

/* A folder with echo.lua and unique_ids.lua of the given bodies. */
static void make_submission(char *dir, const char *echo, const char *ids)
{
    strcpy(dir, "/tmp/dsim-sub-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/echo.lua", dir);
    FILE *f = fopen(path, "w");
    fputs(echo, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/unique_ids.lua", dir);
    if (!ids) {
        ck_assert_int_eq(symlink("/etc/passwd", path), 0);    /* a link out of the folder */
        return;
    }
    f = fopen(path, "w");
    fputs(ids, f);
    fclose(f);
}

static void remove_submission(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_hostile_submission_loses_points_not_the_grader)
{
    char dir[64];
    /* echo.lua loops at load time; unique_ids.lua is a link to /etc/passwd. */
    make_submission(dir, "while true do end\n", NULL);
    result r;
    run_dsim(&r, "grade " LAB1 " %s --seeds 1..3", dir);
    ck_assert_msg(r.code == 0 && score_of(&r) == 0.0, "exit %d:\n%s", r.code, r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "echo.lua:1: instruction budget exceeded"));
    ck_assert_ptr_nonnull(strstr(r.out, "leads outside the submission folder"));
    remove_submission(dir);
    /* A module that reaches for the scenario's powers at load time. */
    make_submission(dir, "local dsim = require 'dsim'\ndsim.limits{node_budget = 1e12}\nreturn {}\n",
                    "local dsim = require 'dsim'\ndsim.check('x', true)\nreturn {}\n");
    run_dsim(&r, "grade " LAB1 " %s --seeds 1..2", dir);
    ck_assert_msg(r.code == 0 && score_of(&r) == 0.0, "exit %d:\n%s", r.code, r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "cannot be called from a node program"));
    remove_submission(dir);
}
END_TEST

START_TEST(test_handout_has_no_hidden_tests)
{
    char dir[] = "/tmp/dsim-handout-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[128];
    snprintf(out, sizeof(out), "%s/lab1", dir);
    result r;
    run_dsim(&r, "lab handout " LAB1 " %s", out);
    ck_assert_msg(r.code == 0, "exit %d:\n%s", r.code, r.out);
    static const char *const present[] = { "README.md", "echo.lua", "unique_ids.lua", "tests/echo.lua",
                                           "tests/unique_ids.lua" };
    static const char *const absent[] = { "grading", "lab.json", "skeleton", "tests/echo_faults.lua",
                                          "solution" };
    struct stat st;
    char p[256];
    for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", out, present[i]);
        ck_assert_msg(stat(p, &st) == 0, "%s missing from the handout", present[i]);
    }
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", out, absent[i]);
        ck_assert_msg(stat(p, &st) != 0, "%s must not be in the handout", absent[i]);
    }
    run_dsim(&r, "lab handout " LAB1 " %s", out);            /* never over an existing folder */
    ck_assert_int_eq(r.code, 2);
    remove_submission(dir);
}
END_TEST

START_TEST(test_usage_errors)
{
    result r;
    run_dsim(&r, "grade nosuchlab .");
    ck_assert_int_eq(r.code, 2);
    ck_assert_ptr_nonnull(strstr(r.out, "no lab 'nosuchlab'"));
    run_dsim(&r, "grade " LAB1 " /nonexistent");
    ck_assert_int_eq(r.code, 2);
    ck_assert_ptr_nonnull(strstr(r.out, "is not a folder"));
    run_dsim(&r, "grade " LAB1 " . --seeds 5..1");
    ck_assert_int_eq(r.code, 2);
    ck_assert_ptr_nonnull(strstr(r.out, "--seeds: expected a range"));
    run_dsim(&r, "grade " LAB1 " . --json /nonexistent/r.json");
    ck_assert_int_eq(r.code, 2);
    ck_assert_ptr_nonnull(strstr(r.out, "--json: cannot write"));
    ck_assert_ptr_null(strstr(r.out, "seeds"));                 /* refused before any test ran */
    run_dsim(&r, "grade " LAB1 " . --bogus 1");
    ck_assert_int_eq(r.code, 2);
    ck_assert_ptr_nonnull(strstr(r.out, "--bogus is not a flag of grade"));
    run_dsim(&r, "lab");
    ck_assert_int_eq(r.code, 2);
}
END_TEST

/* A lab.json with one field wrong names the file and the field. */
START_TEST(test_bad_manifest)
{
    static const char *const cases[][2] = {
        { "{", "not valid JSON" },
        { "{\"name\":\"x\",\"submission\":[\"../x\"],\"seeds\":\"1..2\",\"timeout\":\"5s\",\"tests\":[]}",
          "'submission' names" },
        { "{\"name\":\"x\",\"submission\":[\"a\"],\"seeds\":\"2..1\",\"timeout\":\"5s\",\"tests\":[]}", "'seeds'" },
        { "{\"name\":\"x\",\"submission\":[\"a\"],\"seeds\":\"1..2\",\"timeout\":\"5\",\"tests\":[]}", "'timeout'" },
        { "{\"name\":\"x\",\"submission\":[\"a\"],\"seeds\":\"1..2\",\"timeout\":\"5s\",\"tests\":[{\"name\":\"t\","
          "\"scenario\":\"../../etc/x.lua\",\"points\":1}]}",
          "inside the lab folder" },
        { "{\"name\":\"x\",\"submission\":[\"a\"],\"seeds\":\"1..2\",\"timeout\":\"5s\",\"tests\":[{\"name\":\"t\","
          "\"scenario\":\"t.lua\",\"points\":-1}]}",
          "'points'" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[] = "/tmp/dsim-lab-XXXXXX";
        ck_assert_ptr_nonnull(mkdtemp(dir));
        char p[128];
        snprintf(p, sizeof(p), "%s/lab.json", dir);
        FILE *f = fopen(p, "w");
        fputs(cases[i][0], f);
        fclose(f);
        result r;
        run_dsim(&r, "grade %s .", dir);
        ck_assert_msg(r.code == 2 && strstr(r.out, "lab.json: ") && strstr(r.out, cases[i][1]), "case %zu: %d %s", i,
                      r.code, r.out);
        remove_submission(dir);
    }
}
END_TEST

Suite *grade_suite(void);
Suite *grade_suite(void)
{
    Suite *s = suite_create("grade");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 600);
    tcase_add_test(core, test_solution_full_marks_and_deterministic);
    tcase_add_test(core, test_skeleton_scores_zero);
    tcase_add_test(core, test_planted_bugs_lose_their_points);
    tcase_add_test(core, test_handout_has_no_hidden_tests);
    tcase_add_test(core, test_lab2_solution_skeleton_and_bugs);
    suite_add_tcase(s, core);
    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 600);
    tcase_add_test(faults, test_hostile_submission_loses_points_not_the_grader);
    tcase_add_test(faults, test_usage_errors);
    tcase_add_test(faults, test_bad_manifest);
    suite_add_tcase(s, faults);
    return s;
}
