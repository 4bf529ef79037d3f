/*
 * Every fault's semantics: loss, duplication, corruption, reordering, bandwidth,
 * partitions, one-way cuts and heal; crash, restart, disks, pause and resume,
 * clock offset and drift.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"
#include "sim/trace.h"
#include "tests/probe.h"

static sim_link_policy policy(double loss, double dup, double corrupt)
{
    sim_link_policy p = sim_link_policy_default();
    p.loss = sim_prob_from_double(loss);
    p.duplicate = sim_prob_from_double(dup);
    p.corrupt = sim_prob_from_double(corrupt);
    return p;
}

static void send_many(sim_node *node, void *arg)
{
    int n = (int)(intptr_t)arg;
    for (int i = 0; i < n; i++) {
        char body[16];
        snprintf(body, sizeof(body), "m%d", i);
        sim_send(node, 1, "data", body, strlen(body));
    }
}

/* Sends n messages p1 -> p2 in batches and returns how many p2 received. */
static int deliver_count(sim *s, probe_log *log, int n)
{
    int received = 0;
    for (int done = 0; done < n; done += 1000) {
        log->count = 0;
        probe_do(s, log, 0, send_many, (void *)(intptr_t)1000);
        sim_run_until(s, sim_now_ns(s) + SIM_NS_PER_S);
        received += probe_count(log, 'r', 1);
    }
    return received;
}

START_TEST(loss_rate_within_tolerance)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim((uint64_t)_i + 1, 2, log);
    sim_link_policy p = policy(0.2, 0, 0);
    sim_net_set_default(s, &p);
    int got = deliver_count(s, log, 100000);
    /* 80,000 expected; sigma = sqrt(100000 * 0.2 * 0.8) = 126; allow 5 sigma */
    ck_assert_int_gt(got, 80000 - 632);
    ck_assert_int_lt(got, 80000 + 632);
    sim_destroy(s);
    free(log);
}
END_TEST

START_TEST(duplicates_arrive_twice)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(3, 2, log);
    sim_link_policy p = policy(0, 1.0, 0);
    sim_net_set_default(s, &p);
    probe_do(s, log, 0, send_many, (void *)(intptr_t)10);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(probe_count(log, 'r', 1), 20);
    int dups = 0;
    for (int i = 0; i < log->count; i++) dups += log->ev[i].what == 'r' && log->ev[i].duplicate;
    ck_assert_int_eq(dups, 10);
    sim_destroy(s);
    free(log);
}
END_TEST

static int bit_distance(const char *a, const char *b, size_t n)
{
    int d = 0;
    for (size_t i = 0; i < n; i++) d += __builtin_popcount((unsigned)(unsigned char)(a[i] ^ b[i]));
    return d;
}

START_TEST(corruption_flips_one_bit_and_is_flagged)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(4, 2, log);
    sim_link_policy p = policy(0, 0, 1.0);
    sim_net_set_default(s, &p);
    probe_do(s, log, 0, send_many, (void *)(intptr_t)1);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(probe_count(log, 'r', 1), 1);
    probe_event *e = &log->ev[log->count - 1];
    ck_assert(e->corrupted);
    ck_assert_int_eq(bit_distance(e->text, "m0", 2), 1);
    sim_destroy(s);
    free(log);
}
END_TEST

START_TEST(varying_latency_reorders)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(5, 2, log);
    sim_link_policy p = sim_link_policy_default();
    p.latency = sim_dist_uniform(SIM_NS_PER_MS, 50 * SIM_NS_PER_MS);
    sim_net_set_default(s, &p);
    probe_do(s, log, 0, send_many, (void *)(intptr_t)50);
    sim_run_until(s, SIM_NS_PER_S);
    int inversions = 0, prev = -1;
    for (int i = 0; i < log->count; i++) {
        if (log->ev[i].what != 'r') continue;
        int k = atoi(log->ev[i].text + 1);
        inversions += k < prev;
        prev = k;
    }
    ck_assert_int_gt(inversions, 5);
    sim_destroy(s);
    free(log);
}
END_TEST

static void send_1000_bytes(sim_node *node, void *arg)
{
    for (int i = 0; i < 10; i++) sim_send_sized(node, 1, "block", "b", 1, 1000);
}

START_TEST(bandwidth_queues_per_link)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(6, 2, log);
    sim_link_policy p = sim_link_policy_default();
    p.bandwidth_bytes_per_s = 1000000;      /* 1 MB/s: 1 ms per 1000-byte message */
    sim_net_set_default(s, &p);
    probe_do(s, log, 0, send_1000_bytes, NULL);
    sim_run_until(s, SIM_NS_PER_S);
    int k = 0;
    for (int i = 0; i < log->count; i++) {
        if (log->ev[i].what != 'r') continue;
        k++;
        /* departs after k transmissions, then 1 ms latency */
        ck_assert_int_eq(log->ev[i].time_ns, (int64_t)k * SIM_NS_PER_MS + SIM_NS_PER_MS);
    }
    ck_assert_int_eq(k, 10);
    sim_destroy(s);
    free(log);
}
END_TEST

/* ---- partitions and cuts ---- */

static void send_to_all(sim_node *node, void *arg)
{
    size_t n = sim_node_count(sim_of(node));
    for (sim_node_id to = 0; to < n; to++)
        if (to != sim_self(node)) sim_send(node, to, "ping", "x", 1);
}

/* matrix[from][to] = messages delivered after every node sent to every other */
static void all_pairs(sim *s, probe_log *log, int n, int matrix[8][8])
{
    memset(matrix, 0, sizeof(int) * 64);
    log->count = 0;
    for (int i = 0; i < n; i++) probe_do(s, log, (sim_node_id)i, send_to_all, NULL);
    sim_run_until(s, sim_now_ns(s) + SIM_NS_PER_S);
    for (int i = 0; i < log->count; i++)
        if (log->ev[i].what == 'r') matrix[log->ev[i].from][log->ev[i].node]++;
}

START_TEST(partition_drops_exactly_cross_group_traffic)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(7, 5, log);
    static const size_t sizes[] = { 2, 2 };
    static const sim_node_id members[] = { 0, 1, 2, 3 };   /* p5 is left out */
    ck_assert_int_eq(sim_net_partition(s, 2, sizes, members), 0);
    int m[8][8];
    all_pairs(s, log, 5, m);
    for (int a = 0; a < 5; a++) {
        for (int b = 0; b < 5; b++) {
            if (a == b) continue;
            bool same = (a < 2) == (b < 2);
            int expect = (a == 4 || b == 4 || same) ? 1 : 0;
            ck_assert_msg(m[a][b] == expect, "p%d -> p%d delivered %d, expected %d", a + 1, b + 1, m[a][b], expect);
        }
    }
    sim_net_heal(s);
    all_pairs(s, log, 5, m);
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++)
            if (a != b) ck_assert_int_eq(m[a][b], 1);
    static const sim_node_id twice[] = { 0, 1, 1, 2 };
    ck_assert_int_eq(sim_net_partition(s, 2, sizes, twice), SIM_EINVAL);
    sim_destroy(s);
    free(log);
}
END_TEST

START_TEST(one_way_cut_blocks_one_direction)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(8, 2, log);
    ck_assert_int_eq(sim_net_cut(s, 0, 1), 0);
    ck_assert(!sim_net_connected(s, 0, 1));
    ck_assert(sim_net_connected(s, 1, 0));
    int m[8][8];
    all_pairs(s, log, 2, m);
    ck_assert_int_eq(m[0][1], 0);
    ck_assert_int_eq(m[1][0], 1);
    sim_net_uncut(s, 0, 1);
    all_pairs(s, log, 2, m);
    ck_assert_int_eq(m[0][1], 1);
    sim_net_cut(s, 1, 0);
    sim_net_heal(s);
    all_pairs(s, log, 2, m);
    ck_assert_int_eq(m[1][0], 1);
    sim_destroy(s);
    free(log);
}
END_TEST

static void cut_now(sim *s, void *ctx) { sim_net_cut(s, 0, 1); }

START_TEST(in_flight_message_lost_to_new_partition)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(9, 2, log);
    sim_stats *st = sim_stats_attach(s);
    probe_do(s, log, 0, send_many, (void *)(intptr_t)1);     /* arrives at 1 ms */
    sim_schedule(s, sim_now_ns(s) + SIM_NS_PER_MS / 2, cut_now, NULL);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(probe_count(log, 'r', 1), 0);
    sim_type_stats t = sim_stats_total(st);
    ck_assert_uint_eq(t.dropped_by[SIM_DROP_CUT], 1);
    sim_stats_detach(s, st);
    sim_destroy(s);
    free(log);
}
END_TEST

Suite *faults_suite(void);

Suite *faults_suite(void)
{
    Suite *suite = suite_create("faults");
    TCase *net = tcase_create("network");
    tcase_set_timeout(net, 60);
    tcase_add_loop_test(net, loss_rate_within_tolerance, 0, 3);
    tcase_add_test(net, duplicates_arrive_twice);
    tcase_add_test(net, corruption_flips_one_bit_and_is_flagged);
    tcase_add_test(net, varying_latency_reorders);
    tcase_add_test(net, bandwidth_queues_per_link);
    suite_add_tcase(suite, net);
    TCase *part = tcase_create("partitions");
    tcase_add_test(part, partition_drops_exactly_cross_group_traffic);
    tcase_add_test(part, one_way_cut_blocks_one_direction);
    tcase_add_test(part, in_flight_message_lost_to_new_partition);
    suite_add_tcase(suite, part);
    return suite;
}
