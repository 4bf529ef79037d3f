/*
 * Tests of the echo and broadcast systems (sim/systems/echo/echo.c, broadcast.c,
 * broadcast_client.c) and of the broadcast checker (broadcast_check.c).
 *
 * The broadcast runs are the Maelstrom setting: five servers n1..n5 and one
 * client c1 over a lossy network with uniform 1-20ms latency, plus partitions,
 * crashes, corruption and duplication. Each run asserts the checker's verdict and
 * also re-derives it from the history, so a checker that always said "ok" would
 * still be caught; the never-healed partition proves that the checker can fail.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/sim.h"
#include "sim/systems/broadcast/broadcast.h"
#include "sim/systems/broadcast/broadcast_check.h"
#include "sim/systems/system.h"
#include "sim/trace.h"

#define MS SIM_NS_PER_MS
#define NSERVERS 5

/* ---- echo ------------------------------------------------------------------------- */

typedef struct echo_probe { char reply[256]; } echo_probe;

static void probe_start(sim_node *node, void *state)
{
    const char *req = "{\"echo\":{\"a\":[1,\"x\"]},\"msg_id\":7,\"type\":\"echo\"}";
    sim_send(node, 0, "echo", req, strlen(req));
}

static void probe_receive(sim_node *node, void *state, const sim_msg *msg)
{
    echo_probe *p = state;
    snprintf(p->reply, sizeof(p->reply), "%.*s", (int)msg->body_len, (const char *)msg->body);
}

static const sim_program probe = { .name = "probe", .state_bytes = sizeof(echo_probe),
                                   .start = probe_start, .receive = probe_receive };

START_TEST(test_echo_replies)
{
    const sim_system *echo = sim_system_find("echo");
    ck_assert_ptr_nonnull(echo);
    sim_options o = { .seed = 1 };
    sim *s = sim_create(&o);
    sim_node_id e, p;
    ck_assert_int_eq(sim_node_add(s, "e1", echo->program, NULL, 0, &e), 0);
    ck_assert_int_eq(sim_node_add(s, "p1", &probe, NULL, 0, &p), 0);
    sim_run_until(s, 100 * MS);
    const echo_probe *st = sim_node_state(s, p);
    ck_assert_str_eq(st->reply, "{\"echo\":{\"a\":[1,\"x\"]},\"in_reply_to\":7,\"type\":\"echo_ok\"}");
    sim_destroy(s);
}
END_TEST

/* ---- the broadcast scenario ----------------------------------------------------------- */

typedef struct scenario {
    uint64_t seed;
    double loss, corrupt, duplicate;
    int64_t partition_at_ns, heal_at_ns;      /* -1: never */
    int64_t crash_at_ns, restart_at_ns;       /* of n3; -1: never */
} scenario;

typedef struct run {
    sim *s;
    sim_node_id servers[NSERVERS], client;
    void *server_cfg, *client_cfg;
    broadcast_check *check;
    int failed;                               /* checks failed */
    broadcast_figures fig;
    char first_failure[256];
} run;

static void do_partition(sim *s, void *ctx)
{
    run *r = ctx;
    size_t sizes[2] = { 2, 3 };
    ck_assert_int_eq(sim_net_partition(s, 2, sizes, r->servers), 0);
}
static void do_heal(sim *s, void *ctx) { ck_assert_int_eq(sim_net_heal(s), 0); }
static void do_crash(sim *s, void *ctx) { ck_assert_int_eq(sim_node_crash(s, ((run *)ctx)->servers[2]), 0); }
static void do_restart(sim *s, void *ctx) { ck_assert_int_eq(sim_node_restart(s, ((run *)ctx)->servers[2]), 0); }

static void on_check(sim *s, const sim_record *rec, void *ctx)
{
    run *r = ctx;
    if (rec->kind == SIM_REC_CHECK && !rec->num1 && !r->first_failure[0])
        snprintf(r->first_failure, sizeof(r->first_failure), "%s: %s", rec->name, rec->detail);
}

static void *configure(const char *system, const char *options_json)
{
    cJSON *opt = options_json ? cJSON_Parse(options_json) : NULL;
    void *cfg = NULL;
    char err[128];
    ck_assert_int_eq(sim_system_find(system)->configure(opt, &cfg, err, sizeof(err)), 0);
    cJSON_Delete(opt);
    return cfg;
}

/* Builds and runs the scenario to 3s, then reports; r->s stays for inspection. */
static void run_scenario(const scenario *sc, run *r)
{
    memset(r, 0, sizeof(*r));
    sim_options o = { .seed = sc->seed };
    r->s = sim_create(&o);
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_uniform(1 * MS, 20 * MS);
    p.loss = sim_prob_from_double(sc->loss);
    p.corrupt = sim_prob_from_double(sc->corrupt);
    p.duplicate = sim_prob_from_double(sc->duplicate);
    ck_assert_int_eq(sim_net_set_default(r->s, &p), 0);
    r->server_cfg = configure("broadcast", NULL);
    r->client_cfg = configure("broadcast-client", NULL);   /* interval 50ms, stop 1s, read at 2s */
    const sim_system *server = sim_system_find("broadcast"), *client = sim_system_find("broadcast-client");
    for (int i = 0; i < NSERVERS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%d", i + 1);
        ck_assert_int_eq(sim_node_add(r->s, name, server->program, r->server_cfg, 0, &r->servers[i]), 0);
    }
    ck_assert_int_eq(sim_node_add(r->s, "c1", client->program, r->client_cfg, 0, &r->client), 0);
    ck_assert_int_eq(broadcast_check_attach(r->s, &r->check), 0);
    sim_observe(r->s, on_check, r);
    if (sc->partition_at_ns >= 0) sim_schedule(r->s, sc->partition_at_ns, do_partition, r);
    if (sc->heal_at_ns >= 0) sim_schedule(r->s, sc->heal_at_ns, do_heal, r);
    if (sc->crash_at_ns >= 0) sim_schedule(r->s, sc->crash_at_ns, do_crash, r);
    if (sc->restart_at_ns >= 0) sim_schedule(r->s, sc->restart_at_ns, do_restart, r);
    ck_assert_int_eq(sim_run_until(r->s, 3 * SIM_NS_PER_S), 0);
    r->failed = broadcast_check_report(r->check, getenv("BROADCAST_VERBOSE") ? stdout : NULL);
    broadcast_check_figures(r->check, &r->fig);
}

static void run_free(run *r)
{
    broadcast_check_detach(r->check);
    sim_destroy(r->s);
    sim_system_find("broadcast")->release(r->server_cfg);
    sim_system_find("broadcast-client")->release(r->client_cfg);
}

/* The outcome of the broadcast of value v (PENDING when never invoked). */
static sim_outcome outcome_of(const sim *s, int64_t v)
{
    for (size_t i = 0; i < sim_history_count(s); i++) {
        const sim_op *op = sim_history_get(s, i);
        cJSON *args = strcmp(op->f, "broadcast") == 0 ? cJSON_Parse(op->args) : NULL;
        bool match = sim_json_int(args, "value", -1) == v;
        cJSON_Delete(args);
        if (match) return op->outcome == SIM_OP_PENDING ? SIM_OP_UNKNOWN : op->outcome;
    }
    return SIM_OP_PENDING;
}

/* From the history alone: each server's final (only ok) read holds every ok
 * broadcast and otherwise only unknown ones. Returns the number of ok broadcasts. */
static size_t assert_reads_match_history(const run *r)
{
    size_t nok = 0, reads = 0;     /* values are unique: counting ok ones suffices */
    for (size_t i = 0; i < sim_history_count(r->s); i++) {
        const sim_op *op = sim_history_get(r->s, i);
        nok += strcmp(op->f, "broadcast") == 0 && op->outcome == SIM_OP_OK;
    }
    for (size_t i = 0; i < sim_history_count(r->s); i++) {
        const sim_op *op = sim_history_get(r->s, i);
        if (strcmp(op->f, "read") != 0 || op->outcome != SIM_OP_OK) continue;
        reads++;                    /* a read that timed out was retried */
        cJSON *res = cJSON_Parse(op->result);
        const cJSON *list = cJSON_GetObjectItem(res, "messages");
        size_t found = 0;
        for (const cJSON *e = list->child; e; e = e->next) {
            sim_outcome out = outcome_of(r->s, (int64_t)e->valuedouble);
            ck_assert_msg(out == SIM_OP_OK || out == SIM_OP_UNKNOWN, "phantom %g", e->valuedouble);
            found += out == SIM_OP_OK;
        }
        cJSON_Delete(res);
        ck_assert_msg(found == nok, "read %s holds %zu of %zu ok values", op->args, found, nok);
    }
    ck_assert_uint_eq(reads, NSERVERS);
    return nok;
}

static const scenario base = { .seed = 1, .loss = 0.1, .partition_at_ns = 200 * MS,
                               .heal_at_ns = 700 * MS, .crash_at_ns = -1, .restart_at_ns = -1 };

static void assert_converged(run *r)
{
    ck_assert_msg(r->failed == 0, "seed %llu: %s", (unsigned long long)sim_seed(r->s), r->first_failure);
    ck_assert_int_eq(sim_checks_run(r->s), 2);
    ck_assert_uint_ge(assert_reads_match_history(r), 5);   /* not vacuous */
    ck_assert_uint_ge(r->fig.values_everywhere, r->fig.broadcasts_ok);
}

/* ---- core ---------------------------------------------------------------------------- */

START_TEST(test_converges_despite_loss_and_partition)
{
    scenario sc = base;
    sc.seed = 1 + (uint64_t)_i;
    run r;
    run_scenario(&sc, &r);
    assert_converged(&r);
    ck_assert_int_eq(r.fig.broadcasts, 20);
    if (_i == 0 && getenv("BROADCAST_VERBOSE"))
        printf("broadcast converge seed 1: %llu ok of %llu, %.1f msgs/broadcast, p50 %.1fms max %.1fms\n",
               (unsigned long long)r.fig.broadcasts_ok, (unsigned long long)r.fig.broadcasts,
               r.fig.msgs_per_broadcast, (double)r.fig.latency_ns_p50 / 1e6,
               (double)r.fig.latency_ns_max / 1e6);
    run_free(&r);
}
END_TEST

START_TEST(test_same_seed_same_trace)
{
    run a, b, c;
    scenario sc = base;
    run_scenario(&sc, &a);
    run_scenario(&sc, &b);
    sc.seed = 2;
    run_scenario(&sc, &c);
    ck_assert_uint_eq(sim_trace_hash(a.s), sim_trace_hash(b.s));
    ck_assert_uint_eq(sim_trace_records(a.s), sim_trace_records(b.s));
    ck_assert_uint_ne(sim_trace_hash(a.s), sim_trace_hash(c.s));
    run_free(&a);
    run_free(&b);
    run_free(&c);
}
END_TEST

/* ---- faults ---------------------------------------------------------------------------- */

START_TEST(test_unhealed_partition_fails_the_check)
{
    scenario sc = base;
    sc.heal_at_ns = -1;
    run r;
    run_scenario(&sc, &r);
    ck_assert_int_eq(r.failed, 1);
    ck_assert_msg(strstr(r.first_failure, "broadcast-converged: value ") != NULL, "%s", r.first_failure);
    ck_assert_msg(strstr(r.first_failure, "missing from n") != NULL, "%s", r.first_failure);
    ck_assert_uint_lt(r.fig.values_everywhere, r.fig.broadcasts);
    run_free(&r);
}
END_TEST

/* n3 crashes mid-run and restarts after the client has stopped: nobody has news
 * for it, so only the boot generation makes its peers resend what it lost. */
START_TEST(test_crash_restart_converges)
{
    scenario sc = base;
    sc.seed = 7 + (uint64_t)_i;
    sc.crash_at_ns = 500 * MS;
    sc.restart_at_ns = 1500 * MS;
    run r;
    run_scenario(&sc, &r);
    assert_converged(&r);
    const broadcast_state *st = sim_node_state(r.s, r.servers[2]);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(st->boot, 1500 * MS);
    const broadcast_state *n1 = sim_node_state(r.s, r.servers[0]);
    ck_assert_uint_eq(st->count, n1->count);
    ck_assert(broadcast_state_valid(st));
    run_free(&r);
}
END_TEST

/* n3 crashes once every peer holds its acks for everything (the client stopped
 * at 1s) and restarts: no peer has anything unacked for it, so only its own
 * introduction (an empty gossip carrying its new boot) makes them resend. */
START_TEST(test_restart_when_quiet_relearns)
{
    scenario sc = base;
    sc.seed = 21 + (uint64_t)_i;
    sc.crash_at_ns = 1400 * MS;
    sc.restart_at_ns = 1500 * MS;
    run r;
    run_scenario(&sc, &r);
    assert_converged(&r);
    run_free(&r);
}
END_TEST

START_TEST(test_corruption_and_duplication)
{
    scenario sc = base;
    sc.seed = 11 + (uint64_t)_i;
    sc.loss = 0.05;
    sc.corrupt = 0.2;
    sc.duplicate = 0.2;
    run r;
    run_scenario(&sc, &r);
    assert_converged(&r);
    run_free(&r);
}
END_TEST

/* ---- limits: options ---------------------------------------------------------------------- */

static void assert_rejected(const char *system, const char *options_json, const char *name)
{
    cJSON *opt = cJSON_Parse(options_json);
    void *cfg = NULL;
    char err[128] = "";
    ck_assert_int_eq(sim_system_find(system)->configure(opt, &cfg, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, name) != NULL, "%s: '%s' does not name %s", system, err, name);
    cJSON_Delete(opt);
}

START_TEST(test_bad_options_rejected)
{
    assert_rejected("echo", "{\"loud\":true}", "'loud'");
    assert_rejected("broadcast", "{\"gossip_every\":\"1s\"}", "'gossip_every'");
    assert_rejected("broadcast", "{\"gossip_interval\":\"fast\"}", "'gossip_interval'");
    assert_rejected("broadcast", "{\"gossip_interval\":\"0s\"}", "'gossip_interval'");
    assert_rejected("broadcast-client", "{\"interval\":5}", "'interval'");
    assert_rejected("broadcast-client", "{\"timeout\":\"0ms\"}", "'timeout'");
    assert_rejected("broadcast-client", "{\"servers_cluster\":-1}", "'servers_cluster'");
    assert_rejected("broadcast-client", "{\"read_at\":\"soon\"}", "'read_at'");
    assert_rejected("broadcast-client", "{\"stop\":\"2000h\"}", "'stop'");
    assert_rejected("broadcast", "{\"gossip_interval\":\"1001h\"}", "'gossip_interval'");
    void *cfg = configure("broadcast", "{\"gossip_interval\":\"250ms\"}");
    ck_assert_int_eq(((broadcast_config *)cfg)->gossip_interval_ns, 250 * MS);
    sim_system_find("broadcast")->release(cfg);
}
END_TEST

Suite *broadcast_suite(void);

Suite *broadcast_suite(void)
{
    Suite *s = suite_create("broadcast");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_echo_replies);
    tcase_add_loop_test(core, test_converges_despite_loss_and_partition, 0, 5);
    tcase_add_test(core, test_same_seed_same_trace);
    suite_add_tcase(s, core);
    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, test_unhealed_partition_fails_the_check);
    tcase_add_loop_test(faults, test_crash_restart_converges, 0, 5);
    tcase_add_loop_test(faults, test_restart_when_quiet_relearns, 0, 5);
    tcase_add_loop_test(faults, test_corruption_and_duplication, 0, 5);
    suite_add_tcase(s, faults);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_bad_options_rejected);
    suite_add_tcase(s, limits);
    return s;
}
