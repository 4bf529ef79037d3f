/*
 * Tests of the consensus systems (sim/systems/paxos/paxos.c, multipaxos*.c, twopc*.c),
 * their invariant checker (consensus_check.c) and their built-in scenarios
 * (lua/builtins/builtin_paxos.c, builtin_multipaxos.c, builtin_twopc.c, builtin_flp.c).
 *
 * Built-in scenarios run in-process exactly as `dsim run NAME --seed N` runs
 * them (same set-up, same final checks at the same instant), so a seed's trace
 * hash here is the command line's. Seed loops are swarm tests: the correct
 * variants never violate an invariant; each buggy variant does, first at a
 * pinned seed, whose reproduce command replays the same trace.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin.h"
#include "lua/cli/host.h"
#include "sim/harness/consensus_world.h"
#include "sim/systems/multipaxos/multipaxos.h"
#include "sim/systems/paxos/paxos.h"
#include "sim/systems/twopc/twopc.h"
#include "sim/trace.h"
#include "tests/cli.h"

#define MS SIM_NS_PER_MS

/* ---- running a built-in scenario ------------------------------------------------------ */

typedef struct outcome {
    size_t failed, run;
    uint64_t hash;
    char first_failure[512];     /* "check: message" of the first failed check */
    char checks_ok[512];         /* names of the checks that passed, space-separated */
    size_t blocked_txn3;         /* annotations blocked = "txn 3" */
} outcome;

typedef void (*inspect_fn)(const sim *s, void *ctx);

static void on_record(sim *s, const sim_record *r, void *ctx)
{
    outcome *o = ctx;
    if (r->kind == SIM_REC_ANNOTATE && strcmp(r->name, "blocked") == 0 && strcmp(r->detail, "txn 3") == 0)
        o->blocked_txn3++;
    if (r->kind != SIM_REC_CHECK) return;
    size_t len = strlen(o->checks_ok);
    if (r->num1) snprintf(o->checks_ok + len, sizeof(o->checks_ok) - len, "%s ", r->name);
    else if (!o->first_failure[0])
        snprintf(o->first_failure, sizeof(o->first_failure), "%s: %s", r->name, r->detail);
}

typedef struct finisher { const dsim_builtin *b; dsim_run *run; bool done; } finisher;

static void finish_now(sim *s, void *ctx)
{
    finisher *f = ctx;
    if (f->done) return;
    f->done = true;
    FILE *null = fopen("/dev/null", "w");
    f->b->finish(f->run, null);
    fclose(null);
}

/* As lua/cli/cmd_run.c runs a built-in: set-up, the final checks scheduled at the end. */
static void run_builtin(const char *name, uint64_t seed, inspect_fn inspect, void *ctx, outcome *out)
{
    char seed_text[32];
    snprintf(seed_text, sizeof(seed_text), "%llu", (unsigned long long)seed);
    char *argv[] = { (char *)name, "--seed", seed_text, "--quiet" };
    dsim_run_opts opts;
    ck_assert_int_eq(dsim_parse_run_args(4, argv, &opts), 0);
    const dsim_builtin *b = dsim_builtin_find(name);
    ck_assert_msg(b != NULL, "no built-in scenario %s", name);
    dsim_run run;
    ck_assert_int_eq(dsim_run_open(&run, &opts), 0);
    char err[256] = "";
    ck_assert_msg(b->setup(&run, err, sizeof(err)) == 0, "%s: %s", name, err);
    dsim_apply_overrides(&run);
    memset(out, 0, sizeof(*out));
    sim_observe(run.s, on_record, out);
    finisher f = { b, &run, false };
    sim_schedule(run.s, b->until_ns, finish_now, &f);
    sim_run_until(run.s, b->until_ns);
    finish_now(run.s, &f);
    out->failed = sim_checks_failed(run.s);
    out->run = sim_checks_run(run.s);
    out->hash = sim_trace_hash(run.s);
    if (inspect) inspect(run.s, ctx);
    b->cleanup(&run);
    FILE *null = fopen("/dev/null", "w");
    dsim_run_close(&run, null);
    fclose(null);
}

static void assert_safe(const char *name, uint64_t first, uint64_t last)
{
    for (uint64_t seed = first; seed <= last; seed++) {
        outcome o;
        run_builtin(name, seed, NULL, NULL, &o);
        ck_assert_msg(o.failed == 0, "dsim run %s --seed %llu: %s", name, (unsigned long long)seed,
                      o.first_failure);
        ck_assert_uint_ge(o.run, 3);
    }
}

/* ---- core: the correct variants hold every invariant ------------------------------------- */

START_TEST(test_paxos_swarm) { assert_safe("paxos", 1, 400); }
END_TEST

START_TEST(test_multipaxos_swarm) { assert_safe("multipaxos", 1, 400); }
END_TEST

START_TEST(test_twopc_swarm) { assert_safe("twopc", 1, 400); }
END_TEST

START_TEST(test_flp_duel_and_backoff)
{
    outcome o;
    run_builtin("flp-duel", 1, NULL, NULL, &o);
    ck_assert_msg(o.failed == 0, "%s", o.first_failure);
    ck_assert_ptr_nonnull(strstr(o.checks_ok, "flp-livelock"));
    for (uint64_t seed = 1; seed <= 100; seed++) {
        run_builtin("flp-backoff", seed, NULL, NULL, &o);
        ck_assert_msg(o.failed == 0, "flp-backoff seed %llu: %s", (unsigned long long)seed, o.first_failure);
        ck_assert_ptr_nonnull(strstr(o.checks_ok, "flp-decided"));
    }
}
END_TEST

START_TEST(test_twopc_blocked_is_visible)
{
    outcome o;
    run_builtin("twopc-blocked", 1, NULL, NULL, &o);
    ck_assert_msg(o.failed == 0, "%s", o.first_failure);
    ck_assert_ptr_nonnull(strstr(o.checks_ok, "twopc-blocked "));
    ck_assert_ptr_nonnull(strstr(o.checks_ok, "twopc-finished "));
    ck_assert_uint_eq(o.blocked_txn3, 3);        /* each participant said so, once */
}
END_TEST

static const char *const all_builtins[] = {
    "paxos", "paxos-bug-ack-before-sync", "multipaxos", "multipaxos-bug-skip-phase1-after-restart",
    "twopc", "twopc-blocked", "twopc-bug-no-durable-prepare", "flp-duel", "flp-backoff",
};

START_TEST(test_same_seed_same_trace)
{
    outcome a, b, c;
    run_builtin(all_builtins[_i], 7, NULL, NULL, &a);
    run_builtin(all_builtins[_i], 7, NULL, NULL, &b);
    run_builtin(all_builtins[_i], 8, NULL, NULL, &c);
    ck_assert_uint_eq(a.hash, b.hash);
    ck_assert_str_eq(a.first_failure, b.first_failure);
    bool random = strcmp(all_builtins[_i], "flp-duel") != 0 && strcmp(all_builtins[_i], "twopc-blocked") != 0;
    if (random) ck_assert_uint_ne(a.hash, c.hash);   /* those two depend on no random draw */
}
END_TEST

/* ---- faults: each bug switch is found by a sweep and replayed ------------------------------- */

typedef struct bug_case {
    const char *scenario, *check;
    uint64_t first_failing_seed;   /* pinned: the sweep's first violation */
} bug_case;

static const bug_case bugs[] = {
    { "paxos-bug-ack-before-sync", "paxos-agreement", 11 },
    { "multipaxos-bug-skip-phase1-after-restart", "multipaxos-agreement", 15 },
    { "twopc-bug-no-durable-prepare", "twopc-atomicity", 1 },
};

static uint64_t hash_of(const char *out)
{
    const char *h = strstr(out, "trace-hash: ");
    return h ? strtoull(h + 12, NULL, 16) : 0;
}

START_TEST(test_bug_found_and_replayed)
{
    const bug_case *bc = &bugs[_i];
    outcome o;
    uint64_t seed = 1;
    for (; seed <= 10000; seed++) {
        run_builtin(bc->scenario, seed, NULL, NULL, &o);
        if (o.failed) break;
    }
    ck_assert_msg(seed == bc->first_failing_seed, "%s: first violation at seed %llu, pinned %llu", bc->scenario,
                  (unsigned long long)seed, (unsigned long long)bc->first_failing_seed);
    ck_assert_msg(strncmp(o.first_failure, bc->check, strlen(bc->check)) == 0, "%s", o.first_failure);
    outcome again;
    run_builtin(bc->scenario, seed, NULL, NULL, &again);
    ck_assert_uint_eq(again.hash, o.hash);
    ck_assert_str_eq(again.first_failure, o.first_failure);
    /* The command line prints the same failure, the command that reproduces it, the same hash. */
    char args[160], reproduce[200];
    snprintf(args, sizeof(args), "run %s --seed %llu", bc->scenario, (unsigned long long)seed);
    snprintf(reproduce, sizeof(reproduce), "reproduce with: dsim %s\n", args);
    cli_result r = cli_run(args);
    ck_assert_msg(r.code == 1, "exit %d: %s%s", r.code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, reproduce));
    ck_assert_ptr_nonnull(strstr(r.out, bc->check));
    ck_assert_uint_eq(hash_of(r.out), o.hash);
    cli_free(&r);
}
END_TEST

/* ---- the multipaxos client history ------------------------------------------------------- */

/* Every op is get/put/cas on a key; every value an ok get returns was written by some
 * put or cas invoked before the get returned (no phantom reads); most ops succeed. */
static void inspect_history(const sim *s, void *ctx)
{
    size_t *ok = ctx;
    for (size_t i = 0; i < sim_history_count(s); i++) {
        const sim_op *op = sim_history_get(s, i);
        ck_assert_msg(strcmp(op->f, "get") == 0 || strcmp(op->f, "put") == 0 || strcmp(op->f, "cas") == 0,
                      "%s", op->f);
        cJSON *args = cJSON_Parse(op->args);
        ck_assert_ptr_nonnull(cJSON_GetObjectItem(args, "key"));
        cJSON_Delete(args);
        *ok += op->outcome == SIM_OP_OK;
        if (strcmp(op->f, "get") != 0 || op->outcome != SIM_OP_OK) continue;
        cJSON *res = cJSON_Parse(op->result);
        const cJSON *v = cJSON_GetObjectItem(res, "value");
        ck_assert_ptr_nonnull(v);
        bool written = cJSON_IsNull(v);
        for (size_t j = 0; !written && j < sim_history_count(s); j++) {
            const sim_op *w = sim_history_get(s, j);
            cJSON *wa = w->invoke_ns <= op->complete_ns ? cJSON_Parse(w->args) : NULL;
            const cJSON *wv = cJSON_GetObjectItem(wa, strcmp(w->f, "cas") == 0 ? "to" : "value");
            written = strcmp(w->f, "get") != 0 && cJSON_IsNumber(wv) && wv->valuedouble == v->valuedouble;
            cJSON_Delete(wa);
        }
        ck_assert_msg(written, "op %llu read %g, which nobody wrote", (unsigned long long)op->id, v->valuedouble);
        cJSON_Delete(res);
    }
}

START_TEST(test_multipaxos_history)
{
    size_t ok = 0;
    outcome o;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        run_builtin("multipaxos", seed, inspect_history, &ok, &o);
        ck_assert_msg(o.failed == 0, "%s", o.first_failure);
    }
    ck_assert_uint_ge(ok, 20 * 30);
}
END_TEST

/* ---- catch-up and durability, in small hand-made worlds ------------------------------------- */

static void crash_node(sim *s, void *ctx) { ck_assert_int_eq(sim_node_crash(s, *(sim_node_id *)ctx), 0); }
static void restart_node(sim *s, void *ctx) { ck_assert_int_eq(sim_node_restart(s, *(sim_node_id *)ctx), 0); }

/* r3 is down from 100ms to 1.5s while a client writes; after its restart it catches
 * up from the leader (heartbeats carry the commit point) and holds the same log. */
START_TEST(test_multipaxos_catch_up)
{
    sim_options so = { .seed = 3 };
    sim *s = sim_create(&so);
    consensus_world w;
    consensus_world_init(&w, s);
    char err[200];
    ck_assert_int_eq(consensus_world_network(&w, 1 * MS, 5 * MS, 0.02, 0), 0);
    ck_assert_int_eq(consensus_world_add(&w, "multipaxos", "r", 3, 1, NULL, true, err, sizeof(err)), 0);
    ck_assert_int_eq(consensus_world_add(&w, "multipaxos-client", "c", 1, 0,
                                         "{\"servers_cluster\":1,\"stop\":\"1.4s\"}", false, err, sizeof(err)), 0);
    ck_assert_int_eq(consensus_world_check(&w, "multipaxos", &multipaxos_probe), 0);
    sim_node_id r3 = consensus_world_node(&w, "r3");
    sim_schedule(s, 100 * MS, crash_node, &r3);
    sim_schedule(s, 1500 * MS, restart_node, &r3);
    ck_assert_int_eq(sim_run_until(s, 2500 * MS), 0);
    ck_assert_int_eq(consensus_check_report(w.check, NULL), 0);
    const multipaxos_state *a = sim_node_state(s, w.servers[0]), *c = sim_node_state(s, r3);
    ck_assert_int_ge(a->applied, 20);
    ck_assert_int_eq(c->applied, a->applied);
    ck_assert_uint_eq(c->chain, a->chain);
    for (int64_t slot = 1; slot <= a->applied; slot++)
        ck_assert_str_eq(multipaxos_decided(c, slot), multipaxos_decided(a, slot));
    consensus_world_free(&w);
    sim_destroy(s);
}
END_TEST

/* A Paxos node that learned keeps the value across a crash (it is on disk). */
START_TEST(test_paxos_learned_value_survives_restart)
{
    sim_options so = { .seed = 5 };
    sim *s = sim_create(&so);
    consensus_world w;
    consensus_world_init(&w, s);
    char err[200];
    ck_assert_int_eq(consensus_world_network(&w, 1 * MS, 5 * MS, 0, 0), 0);
    ck_assert_int_eq(consensus_world_add(&w, "paxos", "n", 3, 1, "{\"proposers\":1}", true, err, sizeof(err)), 0);
    sim_node_id n2 = consensus_world_node(&w, "n2");
    sim_schedule(s, 500 * MS, crash_node, &n2);
    sim_schedule(s, 600 * MS, restart_node, &n2);
    ck_assert_int_eq(sim_run_until(s, 400 * MS), 0);
    const paxos_state *st = sim_node_state(s, n2);
    ck_assert_str_eq(st->chosen, "v-n1");
    ck_assert_int_eq(sim_run_until(s, 600 * MS), 0);   /* restarted at 600ms, before any message */
    st = sim_node_state(s, n2);
    ck_assert_ptr_nonnull(st->chosen);
    ck_assert_str_eq(st->chosen, "v-n1");
    ck_assert(!st->is_proposer && st->phase == PAXOS_IDLE);
    consensus_world_free(&w);
    sim_destroy(s);
}
END_TEST

/* ---- limits: the checker itself, and options ------------------------------------------------ */

typedef struct fake_state {
    size_t n;
    int64_t keys[4];
    const char *values[4];
    int64_t applied;
    uint64_t chain;
} fake_state;

static const sim_program fake = { .name = "fake", .state_bytes = sizeof(fake_state) };

static size_t fake_count(const void *st) { return ((const fake_state *)st)->n; }
static void fake_get(const void *st, size_t i, int64_t *key, const char **value)
{
    *key = ((const fake_state *)st)->keys[i];
    *value = ((const fake_state *)st)->values[i];
}
static bool fake_applied(const void *st, int64_t *len, uint64_t *chain)
{
    *len = ((const fake_state *)st)->applied;
    *chain = ((const fake_state *)st)->chain;
    return true;
}
static bool fake_valid(consensus_check *c, int64_t key, const char *value, char *why, size_t n)
{
    snprintf(why, n, "it is bad");
    return strcmp(value, "bad") != 0;
}
static const consensus_probe fake_probe = {
    .system = "fake", .agreement = "agreement", .key_name = "slot", .decided = "decided",
    .count = fake_count, .get = fake_get, .applied = fake_applied, .valid = fake_valid,
};

/* Two fake nodes; node 1 decides `second` for slot 2 (node 0 decided "x"), or
 * applies a different chain; returns the first failure's text. */
static void fake_run(const char *second, uint64_t chain1, char *failure, size_t n)
{
    sim_options so = { .seed = 1 };
    sim *s = sim_create(&so);
    sim_node_id ids[2];
    ck_assert_int_eq(sim_node_add(s, "f1", &fake, NULL, 0, &ids[0]), 0);
    ck_assert_int_eq(sim_node_add(s, "f2", &fake, NULL, 0, &ids[1]), 0);
    consensus_check *c;
    ck_assert_int_eq(consensus_check_attach(s, &fake, &fake_probe, &c), 0);
    outcome o = { 0 };
    sim_observe(s, on_record, &o);
    sim_run_until(s, 1 * MS);
    fake_state *a = sim_node_state(s, ids[0]), *b = sim_node_state(s, ids[1]);
    *a = (fake_state){ 1, { 2 }, { "x" }, 1, 42 };
    *b = (fake_state){ 1, { 2 }, { second }, 1, chain1 };
    consensus_check_now(c);
    ck_assert_int_eq(consensus_check_failed(c), o.first_failure[0] != 0);
    ck_assert_int_eq(sim_stopped(s), o.first_failure[0] != 0);
    snprintf(failure, n, "%s", o.first_failure);
    ck_assert_int_eq(consensus_check_report(c, NULL), o.first_failure[0] ? 1 : 0);
    consensus_check_detach(c);
    sim_destroy(s);
}

START_TEST(test_checker_names_the_violation)
{
    char f[512];
    fake_run("x", 42, f, sizeof(f));
    ck_assert_str_eq(f, "");
    fake_run("y", 42, f, sizeof(f));
    ck_assert_str_eq(f, "fake-agreement: slot 2: f1 decided x at 1.000ms, but f2 decided y");
    fake_run("x", 43, f, sizeof(f));
    ck_assert_msg(strncmp(f, "fake-log-prefix: f1 and f2 both applied 1 slots", 47) == 0, "%s", f);
    fake_run("bad", 42, f, sizeof(f));    /* node 0 decided first; "bad" conflicts before validity */
    ck_assert_msg(strncmp(f, "fake-agreement: slot 2", 22) == 0, "%s", f);
}
END_TEST

static void assert_rejected(const char *system, const char *options_json, const char *name)
{
    cJSON *opt = cJSON_Parse(options_json);
    void *cfg = NULL;
    char err[200] = "";
    ck_assert_int_eq(sim_system_find(system)->configure(opt, &cfg, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, name) != NULL, "%s: '%s' does not name %s", system, err, name);
    cJSON_Delete(opt);
}

START_TEST(test_bad_options_rejected)
{
    assert_rejected("paxos", "{\"bugs\":\"none\"}", "'bugs'");
    assert_rejected("paxos", "{\"bug\":\"sometimes\"}", "\"ack-before-sync\"");
    assert_rejected("paxos", "{\"backoff\":\"linear\"}", "'backoff'");
    assert_rejected("paxos", "{\"timeout\":\"0s\"}", "'timeout'");
    assert_rejected("paxos", "{\"proposers\":65}", "'proposers'");
    assert_rejected("multipaxos", "{\"heartbeat\":5}", "'heartbeat'");
    assert_rejected("multipaxos", "{\"bug\":\"skip-phase1\"}", "'bug'");
    assert_rejected("multipaxos-client", "{\"keys\":17}", "'keys'");
    assert_rejected("multipaxos-client", "{\"deadline\":\"0ms\"}", "'deadline'");
    assert_rejected("twopc", "{\"no_prob\":1.5}", "'no_prob'");
    assert_rejected("twopc", "{\"txns\":0}", "'txns'");
    assert_rejected("twopc", "{\"bug\":\"no-prepare\"}", "\"no-durable-prepare\"");
    void *cfg = NULL;
    char err[200];
    cJSON *opt = cJSON_Parse("{\"no_prob\":\"25%\",\"txns\":7}");
    ck_assert_int_eq(sim_system_find("twopc")->configure(opt, &cfg, err, sizeof(err)), 0);
    ck_assert(((twopc_config *)cfg)->no_prob == 0.25 && ((twopc_config *)cfg)->txns == 7);
    sim_system_find("twopc")->release(cfg);
    cJSON_Delete(opt);
}
END_TEST

Suite *consensus_suite(void);

Suite *consensus_suite(void)
{
    Suite *s = suite_create("consensus");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_paxos_swarm);
    tcase_add_test(core, test_multipaxos_swarm);
    tcase_add_test(core, test_twopc_swarm);
    tcase_add_test(core, test_flp_duel_and_backoff);
    tcase_add_test(core, test_twopc_blocked_is_visible);
    tcase_add_loop_test(core, test_same_seed_same_trace, 0, sizeof(all_builtins) / sizeof(all_builtins[0]));
    tcase_add_test(core, test_multipaxos_history);
    tcase_add_test(core, test_multipaxos_catch_up);
    tcase_add_test(core, test_paxos_learned_value_survives_restart);
    suite_add_tcase(s, core);
    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 120);
    tcase_add_loop_test(faults, test_bug_found_and_replayed, 0, sizeof(bugs) / sizeof(bugs[0]));
    suite_add_tcase(s, faults);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_checker_names_the_violation);
    tcase_add_test(limits, test_bad_options_rejected);
    suite_add_tcase(s, limits);
    return s;
}
