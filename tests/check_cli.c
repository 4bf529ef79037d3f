/*
 * The dsim command as a user meets it: help, version, list; `run` of the
 * built-in scenario with its output contract (last line "trace-hash: <16 hex>",
 * exit codes 0/1/2); determinism across separate processes; and every usage
 * error path, each a single line naming the flag, exit 2.
 */
#include <check.h>
#include <ctype.h>

#include "tests/cli.h"

static const char *last_line(const char *text)
{
    size_t n = strlen(text);
    if (n && text[n - 1] == '\n') n--;
    while (n > 0 && text[n - 1] != '\n') n--;
    return text + n;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++) n += *text == '\n';
    return n;
}

START_TEST(help_version_list)
{
    cli_result r = cli_run("help");
    ck_assert_int_eq(r.code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "dsim run SCENARIO"));
    cli_free(&r);
    r = cli_run("version");
    ck_assert_int_eq(r.code, 0);
    ck_assert(strncmp(r.out, "dsim ", 5) == 0);
    cli_free(&r);
    r = cli_run("list");
    ck_assert_int_eq(r.code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "broadcast"));
    ck_assert_ptr_nonnull(strstr(r.out, "echo"));
    cli_free(&r);
}
END_TEST

START_TEST(run_builtin_ends_with_trace_hash)
{
    cli_result r = cli_run("run broadcast --seed 3");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    const char *last = last_line(r.out);
    ck_assert(strncmp(last, "trace-hash: ", 12) == 0);
    for (int i = 12; i < 28; i++) ck_assert(isxdigit((unsigned char)last[i]) && !isupper((unsigned char)last[i]));
    ck_assert(last[28] == '\n' || last[28] == 0);
    ck_assert_ptr_nonnull(strstr(r.out, "checks: 2 run, 0 failed"));
    cli_free(&r);
}
END_TEST

START_TEST(two_processes_same_seed_same_trace)
{
    /* Paths of this process's own: test runs in other checkouts may run at once. */
    char pa[64], pb[64], cmd[200], args[128];
    snprintf(pa, sizeof(pa), "/tmp/dsim-cli-a-%d.jsonl", (int)getpid());
    snprintf(pb, sizeof(pb), "/tmp/dsim-cli-b-%d.jsonl", (int)getpid());
    snprintf(args, sizeof(args), "run broadcast --seed 9 --trace %s", pa);
    cli_result a = cli_run(args);
    snprintf(args, sizeof(args), "run broadcast --seed 9 --trace %s", pb);
    cli_result b = cli_run(args);
    cli_result c = cli_run("run broadcast --seed 10");
    char ha[17], hb[17], hc[17];
    ck_assert_str_eq(cli_hash(&a, ha), cli_hash(&b, hb));
    ck_assert_str_ne(ha, cli_hash(&c, hc));
    ck_assert_int_eq(strlen(ha), 16);
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", pa, pb);
    int same = system(cmd);
    ck_assert_msg(same == 0, "JSONL traces of the same seed differ");
    FILE *f = fopen(pa, "r");
    ck_assert_ptr_nonnull(f);
    char *text = cli_slurp(f);
    fclose(f);
    ck_assert_int_gt(count_lines(text), 1000);
    free(text);
    unlink(pa);
    unlink(pb);
    cli_free(&a);
    cli_free(&b);
    cli_free(&c);
}
END_TEST

START_TEST(failed_check_exits_1_and_its_command_reproduces_it)
{
    cli_result r = cli_run("run broadcast --seed 4 --loss 100%");
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "FAILED broadcast-converged"));
    ck_assert_ptr_nonnull(strstr(r.out, "seed 4"));
    const char *cmd = strstr(r.out, "reproduce with: dsim ");
    ck_assert_ptr_nonnull(cmd);
    char args[256];
    const char *start = cmd + strlen("reproduce with: dsim ");
    size_t n = strcspn(start, "\n");
    ck_assert_uint_lt(n, sizeof(args));
    memcpy(args, start, n);
    args[n] = 0;
    ck_assert_ptr_nonnull(strstr(args, "--loss"));
    cli_result again = cli_run(args);
    char h1[17], h2[17];
    ck_assert_int_eq(again.code, 1);
    ck_assert_str_eq(cli_hash(&r, h1), cli_hash(&again, h2));
    cli_free(&r);
    cli_free(&again);
}
END_TEST

/* Each bad command line: exit 2, one line on stderr that names `needle`. */
static const struct {
    const char *args, *needle;
} bad[] = {
    { "run broadcast --seed abc", "--seed" },
    { "run broadcast --seed -3", "--seed" },
    { "run broadcast --until -5ms", "--until" },
    { "run broadcast --until 5", "--until" },
    { "run broadcast --loss 1.5", "--loss" },
    { "run broadcast --loss", "--loss" },
    { "run broadcast --fps 0", "--fps" },
    { "run broadcast --frobnicate", "--frobnicate" },
    { "run nosuchscenario", "nosuchscenario" },
    { "run", "missing scenario" },
    { "run broadcast extra", "extra" },
    { "run broadcast --trace /nonexistent-dir/x.jsonl", "--trace" },
    { "frobnicate", "frobnicate" },
    { "bench", "bench" },
    { "bench hold", "--pending" },
    { "bench hold --pending x", "--pending" },
    { "bench random-msgs --nodes 1 --time 1", "--nodes" },
    { "bench random-msgs --nodes 10 --time -1", "--time" },
    { "bench nope", "nope" },
    { "demo extra", "demo" },
};

START_TEST(usage_errors_are_one_line_exit_2)
{
    cli_result r = cli_run(bad[_i].args);
    ck_assert_msg(r.code == 2, "'dsim %s' exited %d", bad[_i].args, r.code);
    ck_assert_msg(count_lines(r.err) == 1, "'dsim %s' printed %d lines on stderr: %s", bad[_i].args,
                  count_lines(r.err), r.err);
    ck_assert_msg(strstr(r.err, bad[_i].needle) != NULL, "'dsim %s': '%s' does not name %s", bad[_i].args,
                  r.err, bad[_i].needle);
    ck_assert_msg(strncmp(r.err, "dsim: ", 6) == 0, "no 'dsim: ' prefix: %s", r.err);
    cli_free(&r);
}
END_TEST

START_TEST(bench_prints_one_json_object)
{
    cli_result r = cli_run("bench hold --pending 1000 --events 100000");
    ck_assert_int_eq(r.code, 0);
    ck_assert(r.out[0] == '{');
    ck_assert_ptr_nonnull(strstr(r.out, "\"events_per_s\":"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"peak_rss_bytes\":"));
    cli_free(&r);
    r = cli_run("bench random-msgs --nodes 100 --time 2");
    ck_assert_int_eq(r.code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"messages_per_s\":"));
    ck_assert_ptr_nonnull(strstr(r.out, "\"rss_bytes_per_node\":"));
    /* 100 nodes x 2 s at one message per node-second */
    const char *m = strstr(r.out, "\"messages\":");
    ck_assert_ptr_nonnull(m);
    long messages = strtol(m + 11, NULL, 10);
    ck_assert_int_gt(messages, 140);
    ck_assert_int_lt(messages, 260);
    cli_free(&r);
}
END_TEST

Suite *cli_suite(void);

Suite *cli_suite(void)
{
    Suite *suite = suite_create("cli");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, help_version_list);
    tcase_add_test(core, run_builtin_ends_with_trace_hash);
    tcase_add_test(core, two_processes_same_seed_same_trace);
    tcase_add_test(core, failed_check_exits_1_and_its_command_reproduces_it);
    tcase_add_test(core, bench_prints_one_json_object);
    suite_add_tcase(suite, core);
    TCase *errors = tcase_create("errors");
    tcase_add_loop_test(errors, usage_errors_are_one_line_exit_2, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    suite_add_tcase(suite, errors);
    return suite;
}
