/*
 * Kernel core: event order and ties, scenario calls, timers, nodes, messages,
 * the trace hash, JSONL export, history and statistics.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"
#include "sim/trace.h"
#include "tests/probe.h"

/* ---- event order ---- */

static int order_log[16];
static int order_count;

static void record_call(sim *s, void *ctx) { order_log[order_count++] = (int)(intptr_t)ctx; }

START_TEST(calls_run_in_time_then_sequence_order)
{
    sim *s = sim_create(NULL);
    order_count = 0;
    /* (time, label): ties at 1 and 5 must keep scheduling order */
    static const int64_t times[] = { 5, 1, 3, 1, 5, 0 };
    for (int i = 0; i < 6; i++) ck_assert_int_eq(sim_schedule(s, times[i], record_call, (void *)(intptr_t)i), 0);
    ck_assert_int_eq(sim_run_until(s, 100), 0);
    static const int expected[] = { 5, 1, 3, 2, 0, 4 };
    ck_assert_int_eq(order_count, 6);
    for (int i = 0; i < 6; i++) ck_assert_int_eq(order_log[i], expected[i]);
    ck_assert_int_eq(sim_now_ns(s), 100);
    ck_assert(!sim_step(s));
    ck_assert_int_eq(sim_schedule(s, 99, record_call, NULL), SIM_EINVAL);   /* the past */
    ck_assert_int_eq(sim_run_until(s, 50), SIM_EINVAL);
    sim_destroy(s);
}
END_TEST

static void stop_here(sim *s, void *ctx) { sim_stop(s); }

START_TEST(stop_ends_the_run_early)
{
    sim *s = sim_create(NULL);
    order_count = 0;
    sim_schedule(s, 10, stop_here, NULL);
    sim_schedule(s, 20, record_call, (void *)1);
    ck_assert_int_eq(sim_run_until(s, 100), SIM_ESTATE);
    ck_assert_int_eq(sim_now_ns(s), 10);
    ck_assert_int_eq(order_count, 0);
    ck_assert_int_eq(sim_run_until(s, 100), 0);
    ck_assert_int_eq(order_count, 1);
    sim_destroy(s);
}
END_TEST

/* ---- timers ---- */

static uint64_t cancel_me;

static void set_timers(sim_node *node, void *arg)
{
    ck_assert_uint_ne(sim_timer_set(node, 10 * SIM_NS_PER_MS, "late", 1), 0);
    ck_assert_uint_ne(sim_timer_set(node, 5 * SIM_NS_PER_MS, "early", 2), 0);
    cancel_me = sim_timer_set(node, 7 * SIM_NS_PER_MS, "cancelled", 3);
    ck_assert_uint_ne(sim_timer_set(node, 5 * SIM_NS_PER_MS, "early-tie", 4), 0);
    ck_assert_uint_eq(sim_timer_set(node, -1, "negative", 5), 0);
    ck_assert_int_eq(sim_timer_cancel(node, cancel_me), 0);
    ck_assert_int_eq(sim_timer_cancel(node, cancel_me), SIM_ENOENT);   /* twice */
    ck_assert_int_eq(sim_timer_cancel(node, 12345), SIM_ENOENT);
}

START_TEST(timers_fire_in_order_and_cancel)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(1, 1, log);
    probe_do(s, log, 0, set_timers, NULL);
    sim_run_until(s, SIM_NS_PER_S);
    const char *expected[] = { "early", "early-tie", "late" };
    int k = 0;
    for (int i = 0; i < log->count; i++) {
        if (log->ev[i].what != 't') continue;
        ck_assert_int_lt(k, 3);
        ck_assert_str_eq(log->ev[i].text, expected[k]);
        k++;
    }
    ck_assert_int_eq(k, 3);
    sim_destroy(s);
    free(log);
}
END_TEST

/* ---- nodes and messages ---- */

START_TEST(node_names_are_checked)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(1, 2, log);
    sim_node_id id;
    ck_assert_int_eq(sim_node_add(s, "p1", &probe_program, log, 0, NULL), SIM_EEXIST);
    ck_assert_int_eq(sim_node_add(s, "", &probe_program, log, 0, NULL), SIM_EINVAL);
    ck_assert_int_eq(sim_node_add(s, "bad name", &probe_program, log, 0, NULL), SIM_EINVAL);
    ck_assert_int_eq(sim_node_find(s, "p2", &id), 0);
    ck_assert_uint_eq(id, 1);
    ck_assert_int_eq(sim_node_find(s, "p9", &id), SIM_ENOENT);
    ck_assert_str_eq(sim_node_name(s, 1), "p2");
    ck_assert_int_eq(log->starts, 2);
    sim_destroy(s);
    free(log);
}
END_TEST

static void send_hello(sim_node *node, void *arg)
{
    ck_assert_int_eq(sim_send(node, (sim_node_id)(intptr_t)arg, "hello", "hello world", 11), 0);
}

START_TEST(message_arrives_after_latency_intact)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(1, 2, log);
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_constant(3 * SIM_NS_PER_MS);
    sim_net_set_default(s, &p);
    probe_do(s, log, 0, send_hello, (void *)1);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(probe_count(log, 'r', 1), 1);
    probe_event *e = &log->ev[log->count - 1];
    ck_assert_str_eq(e->text, "hello world");
    ck_assert_uint_eq(e->from, 0);
    ck_assert_int_eq(e->time_ns, 3 * SIM_NS_PER_MS);
    ck_assert(!e->corrupted && !e->duplicate);
    sim_destroy(s);
    free(log);
}
END_TEST

static void send_big(sim_node *node, void *arg)
{
    char body[5000];
    for (int i = 0; i < 5000; i++) body[i] = (char)('a' + i % 26);
    body[4999] = 0;
    ck_assert_int_eq(sim_send(node, 1, "big", body, sizeof(body)), 0);
    ck_assert_int_eq(sim_send(node, 7, "nobody", "x", 1), SIM_EINVAL);
}

START_TEST(large_bodies_survive_the_pool)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(1, 2, log);
    for (int i = 0; i < 50; i++) probe_do(s, log, 0, send_big, NULL);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(probe_count(log, 'r', 1), 50);
    ck_assert(strncmp(log->ev[log->count - 1].text, "abcdefghij", 10) == 0);
    sim_destroy(s);
    free(log);
}
END_TEST

/* ---- streams ---- */

static uint64_t first_draw;
static void draw_once(sim_node *node, void *arg) { first_draw = sim_rng_next(sim_self_rng(node)); }

START_TEST(adding_a_node_keeps_other_streams)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(7, 2, log);
    probe_do(s, log, 1, draw_once, NULL);
    uint64_t with_two = first_draw;
    sim_destroy(s);
    s = probe_sim(7, 5, log);
    probe_do(s, log, 1, draw_once, NULL);
    ck_assert_uint_eq(first_draw, with_two);
    sim_destroy(s);
    s = probe_sim(8, 2, log);
    probe_do(s, log, 1, draw_once, NULL);
    ck_assert_uint_ne(first_draw, with_two);      /* another seed, other dice */
    sim_destroy(s);
    free(log);
}
END_TEST

Suite *kernel_suite(void);

Suite *kernel_suite(void)
{
    Suite *suite = suite_create("kernel");
    TCase *core = tcase_create("core");
    tcase_add_test(core, calls_run_in_time_then_sequence_order);
    tcase_add_test(core, stop_ends_the_run_early);
    tcase_add_test(core, timers_fire_in_order_and_cancel);
    tcase_add_test(core, node_names_are_checked);
    tcase_add_test(core, message_arrives_after_latency_intact);
    tcase_add_test(core, large_bodies_survive_the_pool);
    tcase_add_test(core, adding_a_node_keeps_other_streams);
    suite_add_tcase(suite, core);
    return suite;
}
