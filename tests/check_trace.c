/*
 * The trace: one record per action, the stable hash (same seed, same hash; other
 * seed, other hash; any change, other hash), the JSONL export, the history and
 * the statistics.
 */
#include <check.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"
#include "sim/trace.h"
#include "tests/probe.h"

static void chatter(sim_node *node, void *arg)
{
    for (int i = 0; i < 20; i++) {
        sim_node_id to = (sim_node_id)sim_rng_below(sim_self_rng(node), sim_node_count(sim_of(node)));
        sim_send(node, to, i % 2 ? "odd" : "even", "{\"k\":1}", 7);
    }
    sim_timer_set(node, SIM_NS_PER_MS, "tick", 7);
    sim_annotate(node, "role", "leader");
    sim_log(node, "hello %d", 42);
}

/* A small run with every kind of randomness; returns its hash. */
static uint64_t run_once(uint64_t seed, FILE *jsonl, sim_stats **stats_out)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(seed, 4, log);
    sim_trace_writer *w = jsonl ? sim_trace_json_open(s, jsonl) : NULL;
    sim_stats *st = sim_stats_attach(s);
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_exponential(5 * SIM_NS_PER_MS);
    p.loss = sim_prob_from_double(0.1);
    p.duplicate = sim_prob_from_double(0.1);
    p.corrupt = sim_prob_from_double(0.1);
    sim_net_set_default(s, &p);
    for (sim_node_id i = 0; i < 4; i++) probe_do(s, log, i, chatter, NULL);
    static const size_t sizes[] = { 2, 2 };
    static const sim_node_id members[] = { 0, 1, 2, 3 };
    sim_net_partition(s, 2, sizes, members);
    uint64_t op = sim_history_invoke(s, 0, "write", "{\"value\":3}");
    sim_run_until(s, 3 * SIM_NS_PER_MS);
    sim_history_complete(s, op, SIM_OP_OK, NULL);
    sim_node_crash(s, 2);
    sim_node_set_clock(s, 1, 100, 50);
    sim_net_heal(s);
    sim_check_report(s, "always", true, "fine");
    sim_run_until(s, SIM_NS_PER_S);
    uint64_t h = sim_trace_hash(s);
    if (w) ck_assert_int_eq(sim_trace_json_close(s, w), 0);
    if (stats_out) {
        size_t n;
        sim_stats_types(st, &n);
        ck_assert_uint_eq(n, 3);      /* do, even, odd */
        sim_type_stats t = sim_stats_total(st);
        ck_assert_uint_eq(t.sent, 84);
        ck_assert_uint_gt(t.dropped, 0);
        ck_assert_uint_gt(t.duplicated, 0);
        ck_assert_uint_gt(t.corrupted, 0);
        ck_assert_uint_eq(t.sent + t.duplicated, t.delivered + t.dropped);   /* every copy accounted */
        ck_assert_int_ge(sim_stats_latency_ns(st, 99), sim_stats_latency_ns(st, 50));
    }
    sim_stats_detach(s, st);
    sim_destroy(s);
    free(log);
    return h;
}

START_TEST(same_seed_same_hash_other_seed_other_hash)
{
    uint64_t a = run_once(11, NULL, NULL), b = run_once(11, NULL, NULL), c = run_once(12, NULL, NULL);
    ck_assert_uint_eq(a, b);
    ck_assert_uint_ne(a, c);
}
END_TEST

START_TEST(statistics_account_for_every_message)
{
    sim_stats *st = NULL;
    run_once(13, NULL, &st);
}
END_TEST

START_TEST(jsonl_has_one_valid_object_per_record)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    run_once(11, f, NULL);
    fclose(f);
    int lines = 0, sends = 0, annotates = 0, first = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        ck_assert_msg(o != NULL, "not JSON: %s", line);
        int index = (int)cJSON_GetObjectItem(o, "i")->valuedouble;
        if (first < 0) first = index;      /* the writer joined after the set-up */
        ck_assert_int_eq(index, first + lines);
        const char *ev = cJSON_GetObjectItem(o, "ev")->valuestring;
        ck_assert_int_ne(sim_record_kind_from_name(ev), SIM_REC_KIND_COUNT);
        if (strcmp(ev, "send") == 0 && cJSON_GetObjectItem(o, "msg")) {
            sends++;
            ck_assert_int_eq((int)cJSON_GetObjectItem(cJSON_GetObjectItem(o, "msg"), "k")->valuedouble, 1);
        }
        if (strcmp(ev, "annotate") == 0) {
            annotates++;
            ck_assert_str_eq(cJSON_GetObjectItem(o, "key")->valuestring, "role");
            ck_assert_str_eq(cJSON_GetObjectItem(o, "value")->valuestring, "leader");
        }
        cJSON_Delete(o);
        lines++;
    }
    ck_assert_int_gt(sends, 50);
    ck_assert_int_eq(annotates, 4);
    free(text);
}
END_TEST

START_TEST(history_records_invoke_and_complete)
{
    sim *s = sim_create(NULL);
    sim_node_id c;
    probe_log *log = calloc(1, sizeof(probe_log));
    sim_node_add(s, "c1", &probe_program, log, 0, &c);
    uint64_t a = sim_history_invoke(s, c, "read", NULL);
    sim_run_until(s, 5);
    uint64_t b = sim_history_invoke(s, c, "write", "3");
    ck_assert_int_eq(sim_history_complete(s, a, SIM_OP_OK, "3"), 0);
    ck_assert_int_eq(sim_history_complete(s, a, SIM_OP_FAIL, NULL), SIM_ESTATE);
    ck_assert_int_eq(sim_history_complete(s, 99, SIM_OP_OK, NULL), SIM_ENOENT);
    ck_assert_int_eq(sim_history_complete(s, b, SIM_OP_PENDING, NULL), SIM_EINVAL);
    ck_assert_uint_eq(sim_history_count(s), 2);
    const sim_op *op = sim_history_get(s, 0);
    ck_assert_str_eq(op->f, "read");
    ck_assert_int_eq(op->outcome, SIM_OP_OK);
    ck_assert_int_eq(op->invoke_ns, 0);
    ck_assert_int_eq(op->complete_ns, 5);
    ck_assert_str_eq(op->result, "3");
    ck_assert_int_eq(sim_history_get(s, 1)->outcome, SIM_OP_PENDING);
    sim_destroy(s);
    free(log);
}
END_TEST

Suite *trace_suite(void);

Suite *trace_suite(void)
{
    Suite *suite = suite_create("trace");
    TCase *core = tcase_create("core");
    tcase_add_test(core, same_seed_same_hash_other_seed_other_hash);
    tcase_add_test(core, statistics_account_for_every_message);
    tcase_add_test(core, jsonl_has_one_valid_object_per_record);
    tcase_add_test(core, history_records_invoke_and_complete);
    suite_add_tcase(suite, core);
    return suite;
}
