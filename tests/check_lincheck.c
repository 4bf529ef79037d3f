/*
 * The linearizability checker (sim/check/lincheck.h).
 *   core:   one hand-written history per rule (tests/lincheck/), the text and op
 *           ids of an explanation, determinism, the simulation's own history and
 *           its JSONL trace, and random small histories against a brute force.
 *   jepsen: every history of tests/data/jepsen-histories (or $DSIM_JEPSEN_DIR)
 *           agrees with EXPECTED.tsv; a missing corpus fails, never skips.
 *   limits: a step budget, a memory cap or a stop callback answers unknown.
 *   faults: malformed input names the file and line; never a crash.
 *   cli:    `dsim check` ($DSIM, default ./dsim) output and exit codes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/check/lin_corpus.h"
#include "sim/check/lincheck.h"
#include "sim/trace.h"
#include "tests/cli.h"
#include "tests/lincheck/brute_force.h"

static sim_lin_result check_file(const char *path, const sim_lin_options *o)
{
    sim_lin_result r;
    int rc = sim_lin_check_file(path, o, &r);
    ck_assert_msg(rc == 0, "%s: %s", path, r.error);
    return r;
}

/* ---- core: one history per rule --------------------------------------------- */

static const struct rule {
    const char *file;
    sim_lin_verdict verdict;
    const char *says;          /* in the summary */
} rules[] = {
    { "stale_read.edn", SIM_LIN_VIOLATION, "it read nil, but the value was 1" },
    { "concurrent_read_old.edn", SIM_LIN_OK, "2 operations on 1 key are linearizable" },
    { "concurrent_read_new.edn", SIM_LIN_OK, "2 operations on 1 key are linearizable" },
    { "info_write_seen.edn", SIM_LIN_OK, "linearizable" },
    { "info_write_unseen.edn", SIM_LIN_OK, "linearizable" },
    { "info_write_flicker.edn", SIM_LIN_VIOLATION, "it read nil, but the value was 1" },
    { "failed_cas_dropped.edn", SIM_LIN_OK, "2 operations" },
    { "failed_cas_seen.edn", SIM_LIN_VIOLATION, "it read 2, but the value was 1" },
    { "cas_ok.edn", SIM_LIN_VIOLATION, "it expected 1, but the value was 3" },
    { "timed_out_read.log", SIM_LIN_OK, "2 operations" },
    { "kv_append_concurrent.edn", SIM_LIN_OK, "3 operations" },
    { "kv_append_order.edn", SIM_LIN_VIOLATION, "key \"k\": op 4 cannot take effect (it read \"ba\", but the value was \"ab\")" },
    { "lin_kv.trace", SIM_LIN_VIOLATION, "key \"x\": op 4 cannot take effect (it read 1, but the value was 2)" },
};

START_TEST(each_rule)
{
    const struct rule *t = &rules[_i];
    char path[256];
    snprintf(path, sizeof(path), "tests/lincheck/%s", t->file);
    sim_lin_result r = check_file(path, NULL);
    ck_assert_msg(r.verdict == t->verdict, "%s: %s (%s)", t->file, sim_lin_verdict_name(r.verdict), r.summary);
    ck_assert_msg(strstr(r.summary, t->says), "%s: summary '%s' lacks '%s'", t->file, r.summary, t->says);
    ck_assert((r.explanation != NULL) == (t->verdict == SIM_LIN_VIOLATION));
    sim_lin_result_free(&r);
}
END_TEST

START_TEST(explanation_names_the_ops)
{
    sim_lin_result r = check_file("tests/lincheck/info_write_flicker.edn", NULL);
    ck_assert_int_eq(r.verdict, SIM_LIN_VIOLATION);
    ck_assert_int_eq(r.op_id_count, 3);
    for (size_t i = 0; i < 3; i++) ck_assert_int_eq(r.op_ids[i], i + 1);
    ck_assert_ptr_nonnull(strstr(r.explanation, "write 1"));
    ck_assert_ptr_nonnull(strstr(r.explanation, "lines 3..never (outcome unknown)"));
    ck_assert_ptr_nonnull(strstr(r.explanation, "must take effect before it returns"));
    ck_assert_str_eq(sim_lin_verdict_name(r.verdict), "not linearizable");
    sim_lin_result_free(&r);
    r = check_file("tests/lincheck/kv_append_order.edn", NULL);
    ck_assert_int_eq(r.model, SIM_LIN_MODEL_KV);
    ck_assert_int_eq(r.keys, 2);
    ck_assert_int_eq(r.op_id_count, 3);       /* the appends and the get of "k", not key "other" */
    ck_assert_int_eq(r.op_ids[0], 2);
    ck_assert_int_eq(r.op_ids[2], 4);
    sim_lin_result_free(&r);
}
END_TEST

START_TEST(same_input_same_text)
{
    const char *path = "tests/data/jepsen-histories/kv/c50-bad.txt";
    sim_lin_result a = check_file(path, NULL), b = check_file(path, NULL);
    ck_assert_int_eq(a.verdict, SIM_LIN_VIOLATION);
    ck_assert_str_eq(a.summary, b.summary);
    ck_assert_str_eq(a.explanation, b.explanation);
    ck_assert_int_eq(a.steps, b.steps);
    sim_lin_result_free(&a);
    sim_lin_result_free(&b);
}
END_TEST

/* ---- core: the simulation's own history ------------------------------------- */

typedef struct act {
    int64_t t_ns;
    int slot;                  /* which op (0..7) */
    const char *f;             /* invoke: the function; complete: NULL */
    const char *json;          /* invoke: args; complete: result */
    sim_outcome outcome;
} act;

static uint64_t slots[8];

static void do_act(sim *s, void *ctx)
{
    const act *a = ctx;
    if (a->f) slots[a->slot] = sim_history_invoke(s, (sim_node_id)(a->slot % 2), a->f, a->json);
    else ck_assert_int_eq(sim_history_complete(s, slots[a->slot], a->outcome, a->json), 0);
}

static const sim_program idle = { .name = "idle" };

static sim *run_acts(const act *acts, size_t n, const char *trace_path)
{
    sim *s = sim_create(NULL);
    ck_assert_int_eq(sim_node_add(s, "c1", &idle, NULL, 0, NULL), 0);
    ck_assert_int_eq(sim_node_add(s, "c2", &idle, NULL, 0, NULL), 0);
    FILE *f = trace_path ? fopen(trace_path, "w") : NULL;
    sim_trace_writer *w = f ? sim_trace_json_open(s, f) : NULL;
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(sim_schedule(s, acts[i].t_ns, do_act, (void *)&acts[i]), 0);
    sim_run_until(s, SIM_NS_PER_S);
    if (w) ck_assert_int_eq(sim_trace_json_close(s, w), 0);
    if (f) fclose(f);
    return s;
}

/* c1 writes x=1; c2's cas 1->2 times out; c1 reads 2, then c2 reads 1: the
 * timed-out cas took effect (the read of 2 says so) and cannot be undone. */
static const act stale_after_cas[] = {
    { 1000, 0, "write", "{\"key\":\"x\",\"value\":1}", 0 }, { 2000, 0, NULL, NULL, SIM_OP_OK },
    { 3000, 1, "cas", "{\"key\":\"x\",\"from\":1,\"to\":2}", 0 }, { 9000, 1, NULL, NULL, SIM_OP_UNKNOWN },
    { 4000, 2, "read", "{\"key\":\"x\"}", 0 }, { 5000, 2, NULL, "{\"value\":2}", SIM_OP_OK },
    { 6000, 3, "read", "{\"key\":\"x\"}", 0 }, { 7000, 3, NULL, "{\"value\":1}", SIM_OP_OK },
    { 6000, 4, "write", "{\"key\":\"y\",\"value\":\"a\"}", 0 }, { 6500, 4, NULL, NULL, SIM_OP_FAIL },
};

START_TEST(sim_history_checked_and_reported)
{
    const char *trace = "/tmp/dsim-lincheck-test.jsonl";
    sim *s = run_acts(stale_after_cas, 10, trace);
    sim_lin_result r;
    ck_assert_int_eq(sim_lin_check_sim(s, NULL, &r), 0);
    ck_assert_int_eq(r.verdict, SIM_LIN_VIOLATION);
    ck_assert_str_eq(r.format, "sim");
    ck_assert_int_eq(r.ops, 4);
    ck_assert_int_eq(r.ops_dropped, 1);
    ck_assert_ptr_nonnull(strstr(r.summary, "op 4 cannot take effect (it read 1, but the value was 2)"));
    ck_assert_int_eq(sim_checks_run(s), 1);
    ck_assert_int_eq(sim_checks_failed(s), 1);
    /* The trace of the same run gives the same verdict and the same words. */
    sim_lin_result t = check_file(trace, NULL);
    ck_assert_str_eq(t.format, "dsim-trace");
    ck_assert_str_eq(t.summary, r.summary);
    ck_assert_str_eq(t.explanation, r.explanation);
    ck_assert_int_eq(t.op_id_count, r.op_id_count);
    sim_lin_result_free(&t);
    sim_lin_result_free(&r);
    sim_destroy(s);
    unlink(trace);
    /* Without the read of 1 the history is linearizable, and the check passes. */
    s = run_acts(stale_after_cas, 6, NULL);
    ck_assert_int_eq(sim_lin_check_sim(s, NULL, &r), 0);
    ck_assert_msg(r.verdict == SIM_LIN_OK, "%s", r.summary);
    ck_assert_int_eq(sim_checks_failed(s), 0);
    sim_lin_result_free(&r);
    sim_destroy(s);
}
END_TEST

/* ---- core: random small histories against a brute force ---------------------- */

START_TEST(random_histories_agree_with_brute_force)
{
    int seen[2] = { 0, 0 };
    for (uint64_t seed = 0; seed < 3000; seed++) {
        bool lin;
        ck_assert_msg(agrees(seed, &lin), "seed %d disagrees (history on stderr)", (int)seed);
        seen[lin]++;
    }
    /* Both verdicts are common, so the comparison means something. */
    ck_assert_int_gt(seen[0], 300);
    ck_assert_int_gt(seen[1], 300);
}
END_TEST

/* ---- jepsen: the real histories ---------------------------------------------- */

static const char *jepsen_dir(void)
{
    const char *dir = getenv("DSIM_JEPSEN_DIR");
    return dir && *dir ? dir : "tests/data/jepsen-histories";
}

START_TEST(every_jepsen_verdict_agrees)
{
    sim_lin_corpus c;
    int rc = sim_lin_corpus_load(jepsen_dir(), &c);
    ck_assert_msg(rc == 0, "the Jepsen corpus is missing: %s (set DSIM_JEPSEN_DIR)", c.error);
    ck_assert_int_eq(c.count, 108);                     /* 102 etcd logs with verdicts + 6 kv */
    int violations = 0, kv = 0;
    for (size_t i = 0; i < c.count; i++) {
        sim_lin_options o = { .model = c.cases[i].model };
        sim_lin_result r = check_file(c.cases[i].path, &o);
        ck_assert_msg(r.verdict == c.cases[i].expected, "%s: %s, expected %s (%s)", c.cases[i].file,
                      sim_lin_verdict_name(r.verdict), sim_lin_verdict_name(c.cases[i].expected), r.summary);
        violations += r.verdict == SIM_LIN_VIOLATION;
        kv += r.model == SIM_LIN_MODEL_KV;
        sim_lin_result_free(&r);
    }
    ck_assert_int_eq(violations, 79 + 3);
    ck_assert_int_eq(kv, 6);
    sim_lin_corpus_free(&c);
}
END_TEST

START_TEST(formats_are_detected)
{
    sim_lin_result r = check_file("tests/data/jepsen-histories/etcd/etcd_005.log", NULL);
    ck_assert_str_eq(r.format, "jepsen-etcd");
    ck_assert_int_eq(r.model, SIM_LIN_MODEL_REGISTER);
    sim_lin_result_free(&r);
    r = check_file("tests/data/jepsen-histories/kv/c10-ok.txt", NULL);
    ck_assert_str_eq(r.format, "jepsen-edn");
    ck_assert_int_eq(r.model, SIM_LIN_MODEL_KV);
    ck_assert_int_eq(r.keys, 10);
    sim_lin_result_free(&r);
}
END_TEST

/* ---- limits: never a pass -------------------------------------------------- */

static bool stop_now(void *ctx)
{
    ++*(int *)ctx;
    return true;
}

START_TEST(limits_answer_unknown)
{
    const char *path = "tests/data/jepsen-histories/etcd/etcd_002.log";   /* linearizable, ~400K steps */
    sim_lin_options o = { .max_steps = 1000 };
    sim_lin_result r = check_file(path, &o);
    ck_assert_int_eq(r.verdict, SIM_LIN_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(r.summary, "the step budget ran out"));
    ck_assert_int_le(r.steps, 1000);
    sim_lin_result_free(&r);
    o = (sim_lin_options){ .max_memory_bytes = 64 * 1024 };
    r = check_file(path, &o);
    ck_assert_int_eq(r.verdict, SIM_LIN_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(r.summary, "the memory cap was reached"));
    sim_lin_result_free(&r);
    int polls = 0;
    o = (sim_lin_options){ .stop = stop_now, .stop_ctx = &polls };
    r = check_file(path, &o);
    ck_assert_int_eq(r.verdict, SIM_LIN_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(r.summary, "the time limit was reached"));
    ck_assert_int_eq(polls, 1);
    sim_lin_result_free(&r);
    o = (sim_lin_options){ .max_steps = 400000 };
    r = check_file(path, &o);
    ck_assert_int_eq(r.verdict, SIM_LIN_OK);                            /* enough steps */
    sim_lin_result_free(&r);
}
END_TEST

START_TEST(unknown_is_reported_as_a_failed_check)
{
    sim *s = run_acts(stale_after_cas, 6, NULL);
    sim_lin_options o = { .max_steps = 1 };
    sim_lin_result r;
    ck_assert_int_eq(sim_lin_check_sim(s, &o, &r), 0);
    ck_assert_int_eq(r.verdict, SIM_LIN_UNKNOWN);
    ck_assert_int_eq(sim_checks_failed(s), 1);
    sim_lin_result_free(&r);
    sim_destroy(s);
}
END_TEST

/* ---- faults: malformed input ---------------------------------------------- */

static const struct bad {
    const char *text, *error;
} bad[] = {
    { "", "h: empty: no operations to check" },
    { "hello\n", "h:1: not a history this checker reads" },
    { "INFO jepsen.util - 0 :invoke :read nil\nINFO jepsen.util - 0 :oops :read nil\n", "h:2: expected :invoke, :ok" },
    { "INFO jepsen.util - 0 :invoke :write x\n", "h:1: expected nil or an integer after :write" },
    { "INFO jepsen.util - 0 :invoke :cas [1]\n", "h:1: expected [from to] after :cas" },
    { "INFO jepsen.util - 3 :ok :read 1\n", "h:1: a return for process 3, which has no open invoke" },
    { "INFO jepsen.util - 0 :invoke :read nil\nINFO jepsen.util - 0 :ok :write 1\n", "h:2: process 0 returns a write" },
    { "INFO jepsen.util - 0 :invoke :read nil\n\nINFO jepsen.util - 0 :invoke :read nil\n", "h:3: process 0 invokes again" },
    { "INFO jepsen.util - x :invoke :read nil\n", "h:1: expected a process number" },
    { "{:process 0, :type :invoke, :f :get, :key \"k\"\n", "h:1: the map has no closing '}'" },
    { "{:process 0, :type :invoke, :f :jump}\n", "h:1: expected :f :get" },
    { "; c\n{:process 0, :type :invoke, :f :put, :value \"a}\n", "h:2: bad value for :value" },
    { "{\"ev\":\"invoke\",\"t\":1,\"id\":1,\"f\":\"read\"}\n{\"ev\":\n", "h:2: not a JSON object" },
    { "{\"ev\":\"complete\",\"t\":1,\"id\":4,\"outcome\":\"ok\"}\n", "h:1: a complete for an op that was never invoked" },
    { "{\"ev\":\"invoke\",\"t\":1,\"id\":1,\"f\":\"broadcast\"}\n", "h:1: op 1: 'broadcast' is not read" },
    { "{\"ev\":\"invoke\",\"t\":1,\"id\":1,\"f\":\"cas\",\"args\":{\"from\":1}}\n", "h:1: op 1: cas needs args" },
    { "{\"ev\":\"invoke\",\"t\":5,\"id\":1,\"f\":\"read\"}\n{\"ev\":\"complete\",\"t\":2,\"id\":1,\"outcome\":\"ok\"}\n",
      "h:2: op 1 completes before it was invoked" },
    { "{\"ev\":\"invoke\",\"t\":5,\"id\":1,\"f\":\"read\"}\n{\"ev\":\"complete\",\"t\":6,\"id\":1,\"outcome\":\"maybe\"}\n",
      "h:2: \"outcome\" must be ok, fail or unknown" },
    { "{\"ev\":\"send\",\"t\":1}\n", "h: no client operations to check" },
};

START_TEST(malformed_input_names_the_line)
{
    sim_lin_result r;
    int rc = sim_lin_check_text(bad[_i].text, strlen(bad[_i].text), "h", NULL, &r);
    ck_assert_int_eq(rc, SIM_EINVAL);
    ck_assert_msg(strncmp(r.error, bad[_i].error, strlen(bad[_i].error)) == 0 || strstr(r.error, bad[_i].error),
                  "case %d: '%s' does not say '%s'", _i, r.error, bad[_i].error);
    ck_assert_ptr_null(strchr(r.error, '\n'));
    ck_assert_ptr_null(r.explanation);
}
END_TEST

START_TEST(missing_file)
{
    sim_lin_result r;
    ck_assert_int_eq(sim_lin_check_file("tests/lincheck/no-such-file", NULL, &r), SIM_ENOENT);
    ck_assert_str_eq(r.error, "tests/lincheck/no-such-file: cannot open");
    sim_lin_corpus c;
    ck_assert_int_eq(sim_lin_corpus_load("tests/lincheck", &c), SIM_ENOENT);
    sim_lin_options o = { .model = SIM_LIN_MODEL_REGISTER };
    ck_assert_int_eq(sim_lin_check_file("tests/lincheck/kv_append_order.edn", &o, &r), SIM_EINVAL);
    ck_assert_str_eq(r.error, "tests/lincheck/kv_append_order.edn:5: op 2: append is not a register operation "
                              "(use the kv model)");
}
END_TEST

/* Damaged copies of real histories: every one is checked or refused with a
 * message, never a crash (the sanitizer build runs this too). */
START_TEST(damaged_files_never_crash)
{
    static const char *const files[] = { "tests/lincheck/lin_kv.trace", "tests/lincheck/kv_append_order.edn",
                                         "tests/lincheck/timed_out_read.log", "tests/lincheck/cas_ok.edn" };
    static const char bytes[] = " \n\t[]{}:\",\\0123456789-abnil;x";
    FILE *f = fopen(files[_i], "rb");
    ck_assert_ptr_nonnull(f);
    char *src = cli_slurp(f);
    fclose(f);
    size_t n = strlen(src);
    char *t = malloc(n + 1);
    sim_rng rng;
    sim_rng_seed(&rng, 11, 2, (uint64_t)_i);
    for (int it = 0; it < 2000; it++) {
        memcpy(t, src, n);
        size_t len = n;
        for (int k = 1 + (int)sim_rng_below(&rng, 4); k > 0 && len; k--) {
            size_t at = sim_rng_below(&rng, len);
            uint64_t how = sim_rng_below(&rng, 3);
            if (how == 0) t[at] = bytes[sim_rng_below(&rng, sizeof(bytes) - 1)];
            else if (how == 1) memmove(t + at, t + at + 1, --len - at);
            else len = at;
        }
        sim_lin_result r;
        int rc = sim_lin_check_text(t, len, "h", NULL, &r);
        ck_assert_msg(rc == 0 || (rc == SIM_EINVAL && strncmp(r.error, "h", 1) == 0), "rc %d: %s", rc, r.error);
        if (rc == 0) sim_lin_result_free(&r);
    }
    free(t);
    free(src);
}
END_TEST

/* ---- cli ------------------------------------------------------------------- */

START_TEST(cli_verdicts_and_exit_codes)
{
    cli_result r = cli_run("check tests/lincheck/concurrent_read_new.edn");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_str_eq(r.out, "tests/lincheck/concurrent_read_new.edn: jepsen-edn history, register model, "
                            "2 operations on 1 key\nlinearizable\n");
    cli_free(&r);
    r = cli_run("check tests/lincheck/kv_append_order.edn");
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "\nnot linearizable\nkey \"k\": op 4 cannot take effect"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nops involved: 2 3 4\n"));
    cli_free(&r);
    r = cli_run("check tests/lincheck/lin_kv.trace --model register");
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "dsim-trace history, register model, 5 operations on 2 keys"));
    cli_free(&r);
    r = cli_run("check tests/data/jepsen-histories/etcd/etcd_002.log --max-steps 500");
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "\nunknown (the step budget ran out"));
    cli_free(&r);
    r = cli_run("check tests/data/jepsen-histories/etcd/etcd_002.log --timeout 60");
    ck_assert_int_eq(r.code, 0);
    cli_free(&r);
}
END_TEST

/* A run's JSONL trace, checked afterwards: the lin-kv workload against a
 * correct store, and against servers that each keep their own map. */
START_TEST(cli_checks_a_recorded_run)
{
    char trace[64], cmd[160];
    snprintf(trace, sizeof(trace), "/tmp/dsim-lincheck-%d.jsonl", (int)getpid());
    snprintf(cmd, sizeof(cmd), "run scenarios/workloads/lin_kv.lua --seed 3 --quiet --trace %s", trace);
    cli_result r = cli_run(cmd);
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    cli_free(&r);
    snprintf(cmd, sizeof(cmd), "check %s", trace);
    r = cli_run(cmd);
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "dsim-trace history, register model"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nlinearizable\n"));
    cli_free(&r);
    snprintf(cmd, sizeof(cmd), "run tests/lua/bad_servers.lua --seed 5 --quiet --trace %s", trace);
    r = cli_run(cmd);
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "lin-kv"));
    cli_free(&r);
    snprintf(cmd, sizeof(cmd), "check %s", trace);
    r = cli_run(cmd);
    ck_assert_int_eq(r.code, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "\nnot linearizable\nkey "));
    ck_assert_ptr_nonnull(strstr(r.out, "ms  : it read "));
    cli_free(&r);
    unlink(trace);
}
END_TEST

/* dsim.linearizable, the Lua binding: it agrees with the workload's own checker
 * on a correct store (scenarios/workloads/lin_kv.lua asserts it), and catches a
 * split brain with an explanation naming the read that cannot be placed. */
START_TEST(lua_binding_passes_a_store_and_catches_split_brain)
{
    cli_result r = cli_run("run scenarios/workloads/lin_kv.lua --seed 4");
    ck_assert_msg(r.code == 0, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "check linearizable (C checker): ok\n"));
    cli_free(&r);
    r = cli_run("run tests/lua/lin_split.lua");
    ck_assert_msg(r.code == 1, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "FAILED split-brain-linearizable: key 1: op "));
    ck_assert_ptr_nonnull(strstr(r.out, "check the checker explains itself: ok\n"));
    cli_free(&r);
}
END_TEST

static const char *const cli_bad[][2] = {
    { "check tests/lincheck/malformed.log",
      "dsim: check: tests/lincheck/malformed.log:3: expected :read, :write or :cas, got ':frobnicate'\n" },
    { "check tests/lincheck/nope.log", "dsim: check: tests/lincheck/nope.log: cannot open\n" },
    { "check", "dsim: check: which file? (dsim check FILE [--check WHAT] [--model register|kv] [--timeout S])\n" },
    { "check tests/lincheck/stale_read.edn --model set",
      "dsim: check: --model: expected register, kv or auto, got 'set'\n" },
    { "check tests/lincheck/stale_read.edn --timeout", "dsim: check: --timeout: missing value\n" },
    { "check tests/lincheck/stale_read.edn --timeout -1",
      "dsim: check: --timeout: expected a number of seconds > 0, got '-1'\n" },
    { "check tests/lincheck/stale_read.edn --max-steps 0",
      "dsim: check: --max-steps: expected a positive integer, got '0'\n" },
    { "check tests/lincheck/stale_read.edn --max-memory lots",
      "dsim: check: --max-memory: expected a size like 512MiB (at least 4KiB), got 'lots'\n" },
    { "check tests/lincheck/stale_read.edn --fast 1",
      "dsim: check: --fast: unknown flag (--check, --model, --timeout, --max-steps, --max-memory)\n" },
};

START_TEST(cli_errors_are_one_line_exit_2)
{
    cli_result r = cli_run(cli_bad[_i][0]);
    ck_assert_msg(r.code == 2, "'%s': exit %d", cli_bad[_i][0], r.code);
    ck_assert_str_eq(r.err, cli_bad[_i][1]);
    ck_assert_str_eq(r.out, "");
    cli_free(&r);
}
END_TEST

Suite *lincheck_suite(void);

Suite *lincheck_suite(void)
{
    Suite *suite = suite_create("lincheck");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_loop_test(core, each_rule, 0, (int)(sizeof(rules) / sizeof(rules[0])));
    tcase_add_test(core, explanation_names_the_ops);
    tcase_add_test(core, same_input_same_text);
    tcase_add_test(core, sim_history_checked_and_reported);
    tcase_add_test(core, random_histories_agree_with_brute_force);
    suite_add_tcase(suite, core);
    TCase *jepsen = tcase_create("jepsen");
    tcase_set_timeout(jepsen, 120);
    tcase_add_test(jepsen, every_jepsen_verdict_agrees);
    tcase_add_test(jepsen, formats_are_detected);
    suite_add_tcase(suite, jepsen);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, limits_answer_unknown);
    tcase_add_test(limits, unknown_is_reported_as_a_failed_check);
    suite_add_tcase(suite, limits);
    TCase *faults = tcase_create("faults");
    tcase_add_loop_test(faults, malformed_input_names_the_line, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(faults, missing_file);
    tcase_add_loop_test(faults, damaged_files_never_crash, 0, 4);
    suite_add_tcase(suite, faults);
    TCase *cli = tcase_create("cli");
    tcase_set_timeout(cli, 60);
    tcase_add_test(cli, cli_verdicts_and_exit_codes);
    tcase_add_test(cli, cli_checks_a_recorded_run);
    tcase_add_test(cli, lua_binding_passes_a_store_and_catches_split_brain);
    tcase_add_loop_test(cli, cli_errors_are_one_line_exit_2, 0, (int)(sizeof(cli_bad) / sizeof(cli_bad[0])));
    suite_add_tcase(suite, cli);
    return suite;
}
