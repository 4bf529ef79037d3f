/*
 * Checks that hold on every seed: each scenario file and each built-in scenario is
 * swept over seeds 1..100 (`dsim sweep X --seeds 1..100 -j 2`, one loop iteration
 * each) and no seed may fail. A test at one seed is how a bug that shows on 1.6%
 * of seeds ships; `make sweep` (tests/sweep_all.sh) does the same over 1..1000.
 *
 * Some scenarios are meant to fail on some seeds, the lesson being the failure a
 * sweep finds: a file whose name contains "bug" or that has the line
 * "-- sweep: some seeds fail", a built-in named *-bug-*. For those, failing seeds
 * are fine, but never an error verdict (a crash, a timeout, a scenario error).
 *
 * The folders swept are those known to hold on 100 seeds (swept[] below); the
 * folders of systems that arrived later join once they do. `make sweep` covers
 * every folder. When this was written, scenarios/messaging did not hold
 * (kafka_acks.lua lost acknowledged records on 7 of seeds 1..100,
 * kafka_delivery.lua's at-most-once lost none on 7), and scenarios/ledger,
 * hdfs and mapreduce had not been swept yet.
 */
#include <check.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin.h"
#include "tests/cli.h"

/* Seeds 1..SEEDS_DEFAULT; DSIM_TEST_SEEDS=N asks for 1..N instead (make test
 * SANITIZE=1 sweeps fewer: its job is memory errors, the plain run's is seeds). */
#define SEEDS_DEFAULT 100

static int seed_count(void)
{
    const char *e = getenv("DSIM_TEST_SEEDS");
    int n = e ? atoi(e) : 0;
    return n >= 1 && n <= 100000 ? n : SEEDS_DEFAULT;
}

static char names[512][256];
static int count;

static const char *const swept[] = { "scenarios/actors", "scenarios/cap", "scenarios/replication", "scenarios/sharding",
                                     "scenarios/workloads", NULL };

static bool is_swept(const char *path)
{
    for (int i = 0; swept[i]; i++)
        if (strcmp(path, swept[i]) == 0) return true;
    return false;
}

/* Every FILE.lua in scenarios/ and in the swept folders, but modules (NAME_lib.lua). */
static void find_scenarios(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) && count < 512) {
        size_t n = strlen(e->d_name);
        char path[256];
        if (e->d_name[0] == '.' || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
            continue;
        bool module = n > 8 && strcmp(e->d_name + n - 8, "_lib.lua") == 0;
        if (n > 4 && strcmp(e->d_name + n - 4, ".lua") == 0 && !module) memcpy(names[count++], path, sizeof(path));
        else if (depth == 0 && !strchr(e->d_name, '.') && is_swept(path)) find_scenarios(path, 1);
    }
    closedir(d);
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

static void list_all(void)
{
    find_scenarios("scenarios", 0);
    qsort(names, (size_t)count, sizeof(names[0]), by_name);
    for (size_t i = 0; dsim_builtin_at(i) && count < 512; i++)
        snprintf(names[count++], sizeof(names[0]), "%s", dsim_builtin_at(i)->name);
}

/* Meant to fail on some seeds: see the top of this file. */
static bool meant_to_fail(const char *name)
{
    const char *base = strrchr(name, '/');
    if (strstr(base ? base : name, "bug")) return true;
    FILE *f = fopen(name, "r");
    if (!f) return false;
    char line[256];
    bool marked = false;
    while (!marked && fgets(line, sizeof(line), f)) marked = strncmp(line, "-- sweep: some seeds fail", 25) == 0;
    fclose(f);
    return marked;
}

START_TEST(test_every_seed)
{
    const char *name = names[_i];
    char args[320], want[64];
    snprintf(args, sizeof(args), "sweep %s --seeds 1..%d -j 2", name, seed_count());
    snprintf(want, sizeof(want), "sweep: %d seeds, ", seed_count());
    cli_result r = cli_run(args);
    const char *summary = strstr(r.out, want);
    ck_assert_msg(summary != NULL, "dsim %s: exit %d\n%s%s", args, r.code, r.out, r.err);
    static const char *const errors[] = { ": FAILED timed out after", ": FAILED crashed with signal",
                                          ": FAILED scenario error", ": FAILED exited with status" };
    for (size_t k = 0; k < sizeof(errors) / sizeof(errors[0]); k++)
        ck_assert_msg(!strstr(r.out, errors[k]), "dsim %s: an error verdict\n%s", args, r.out);
    if (!meant_to_fail(name)) {
        const char *first = strstr(r.out, "seed ");
        ck_assert_msg(strstr(summary, " 0 failed") && r.code == 0, "dsim %s: %.*s\n%.600s", args,
                      (int)strcspn(summary, "\n"), summary, first ? first : "");
    } else {
        ck_assert_msg(r.code == 0 || r.code == 1, "dsim %s: exit %d", args, r.code);
    }
    cli_free(&r);
}
END_TEST

Suite *seeds_suite(void);

Suite *seeds_suite(void)
{
    list_all();
    Suite *s = suite_create("seeds");
    TCase *sweep = tcase_create("sweep");
    tcase_set_timeout(sweep, 900);
    tcase_add_loop_test(sweep, test_every_seed, 0, count);
    suite_add_tcase(s, sweep);
    return s;
}
