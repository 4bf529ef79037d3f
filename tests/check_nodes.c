/*
 * Node faults: crash (volatile state, timers and in-flight messages lost; disk
 * kept, unsynced writes lost), restart, pause and resume, clock offset and drift;
 * and the disk itself.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/stats.h"
#include "sim/trace.h"
#include "tests/probe.h"

static void write_disk(sim_node *node, void *arg)
{
    sim_disk *d = sim_self_disk(node);
    ck_assert_int_eq(sim_disk_write(d, "synced", "A", 1), 0);
    ck_assert_int_eq(sim_disk_sync(d), 0);
    ck_assert_int_eq(sim_disk_write(d, "synced", "B", 1), 0);     /* overwritten, unsynced */
    ck_assert_int_eq(sim_disk_write(d, "unsynced", "C", 1), 0);
    ((probe_state *)sim_node_state(sim_of(node), sim_self(node)))->volatile_counter = 99;
    ck_assert_uint_ne(sim_timer_set(node, 10 * SIM_NS_PER_MS, "after-crash", 0), 0);
}

static void send_one(sim_node *node, void *arg) { sim_send(node, 1, "data", "m", 1); }

START_TEST(crash_loses_volatile_state_timers_and_unsynced_writes)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(1, 2, log);
    sim_stats *st = sim_stats_attach(s);
    probe_do(s, log, 1, write_disk, NULL);
    probe_do(s, log, 0, send_one, NULL);                  /* in flight to p2 */
    ck_assert_int_eq(sim_node_crash(s, 1), 0);
    ck_assert_int_eq(sim_node_crash(s, 1), SIM_ESTATE);
    ck_assert_ptr_null(sim_node_state(s, 1));
    sim_run_until(s, 5 * SIM_NS_PER_MS);
    probe_do(s, log, 0, send_one, NULL);                  /* arrives while down */
    sim_run_until(s, 8 * SIM_NS_PER_MS);
    ck_assert_int_eq(sim_node_restart(s, 1), 0);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(log->starts, 3);
    ck_assert_int_eq(probe_count(log, 't', 1), 0);       /* the timer died with it */
    ck_assert_int_eq(probe_count(log, 'r', 1), 0);
    ck_assert_int_eq(((probe_state *)sim_node_state(s, 1))->volatile_counter, 0);
    size_t len = 0;
    const char *v = sim_disk_read(sim_node_disk(s, 1), "synced", &len);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(len, 1);
    ck_assert_int_eq(v[0], 'A');
    ck_assert_ptr_null(sim_disk_read(sim_node_disk(s, 1), "unsynced", &len));
    sim_type_stats t = sim_stats_total(st);
    ck_assert_uint_eq(t.dropped_by[SIM_DROP_CRASHED], 1);
    ck_assert_uint_eq(t.dropped_by[SIM_DROP_NODE_DOWN], 1);
    sim_stats_detach(s, st);
    sim_destroy(s);
    free(log);
}
END_TEST

START_TEST(restart_needs_a_crashed_node)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(1, 1, log);
    ck_assert_int_eq(sim_node_restart(s, 0), SIM_ESTATE);
    ck_assert_int_eq(sim_node_crash(s, 5), SIM_ENOENT);
    ck_assert_int_eq(sim_node_resume(s, 0), SIM_ESTATE);
    sim_destroy(s);
    free(log);
}
END_TEST

static void arm_timer(sim_node *node, void *arg) { sim_timer_set(node, 2 * SIM_NS_PER_MS, "t", 0); }

START_TEST(pause_holds_messages_and_timers_until_resume)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(2, 2, log);
    probe_do(s, log, 1, arm_timer, NULL);
    for (int i = 0; i < 3; i++) probe_do(s, log, 0, send_one, NULL);
    ck_assert_int_eq(sim_node_pause(s, 1), 0);
    sim_run_until(s, 50 * SIM_NS_PER_MS);
    ck_assert_int_eq(probe_count(log, 'r', 1) + probe_count(log, 't', 1), 0);
    ck_assert_int_eq(sim_node_resume(s, 1), 0);
    sim_run_until(s, 60 * SIM_NS_PER_MS);
    ck_assert_int_eq(probe_count(log, 'r', 1), 3);
    ck_assert_int_eq(probe_count(log, 't', 1), 1);
    for (int i = 0; i < log->count; i++)
        if (log->ev[i].node == 1 && log->ev[i].what != 's') ck_assert_int_eq(log->ev[i].time_ns, 50 * SIM_NS_PER_MS);
    sim_destroy(s);
    free(log);
}
END_TEST

START_TEST(crash_while_paused_loses_held_messages)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(2, 2, log);
    sim_stats *st = sim_stats_attach(s);
    probe_do(s, log, 0, send_one, NULL);
    sim_node_pause(s, 1);
    sim_run_until(s, 10 * SIM_NS_PER_MS);
    ck_assert_int_eq(sim_node_crash(s, 1), 0);
    ck_assert_uint_eq(sim_stats_total(st).dropped_by[SIM_DROP_CRASHED], 1);
    sim_node_restart(s, 1);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(probe_count(log, 'r', 1), 0);
    sim_stats_detach(s, st);
    sim_destroy(s);
    free(log);
}
END_TEST

static int64_t local_seen;
static void read_clock(sim_node *node, void *arg) { local_seen = sim_clock_ns(node); }
static void arm_1s(sim_node *node, void *arg) { sim_timer_set(node, SIM_NS_PER_S, "tick", 0); }

START_TEST(skewed_clocks_read_skewed_and_drift_stretches_timers)
{
    probe_log *log = calloc(1, sizeof(probe_log));
    sim *s = probe_sim(3, 2, log);
    sim_run_until(s, SIM_NS_PER_S);
    ck_assert_int_eq(sim_node_set_clock(s, 0, 5 * SIM_NS_PER_S, 100000), 0);   /* +5 s, 10% fast */
    probe_do(s, log, 0, read_clock, NULL);
    ck_assert_int_eq(local_seen, 6 * SIM_NS_PER_S);
    sim_run_until(s, 2 * SIM_NS_PER_S);
    ck_assert_int_eq(sim_node_clock_ns(s, 0), 6 * SIM_NS_PER_S + 1100 * SIM_NS_PER_MS);
    ck_assert_int_eq(sim_node_clock_ns(s, 1), 2 * SIM_NS_PER_S);              /* unskewed */
    log->count = 0;
    probe_do(s, log, 0, arm_1s, NULL);
    sim_run_until(s, 4 * SIM_NS_PER_S);
    ck_assert_int_eq(probe_count(log, 't', 0), 1);
    /* 1 s of a 10%-fast clock passes in ceil(1e9 / 1.1) ns */
    ck_assert_int_eq(log->ev[log->count - 1].time_ns, 2 * SIM_NS_PER_S + 909090910);
    ck_assert_int_eq(sim_node_set_clock(s, 0, 0, -1000000), SIM_EINVAL);
    sim_destroy(s);
    free(log);
}
END_TEST

START_TEST(disk_iterates_in_key_order_and_survives_only_synced)
{
    sim_disk *d = sim_disk_create();
    const char *keys[] = { "log/0003", "log/0001", "meta", "log/0002" };
    for (int i = 0; i < 4; i++) ck_assert_int_eq(sim_disk_write(d, keys[i], keys[i], strlen(keys[i])), 0);
    ck_assert_uint_eq(sim_disk_count(d), 4);
    ck_assert_str_eq(sim_disk_key_at(d, 0), "log/0001");
    ck_assert_str_eq(sim_disk_key_at(d, 3), "meta");
    sim_disk_sync(d);
    sim_disk_remove(d, "meta");
    sim_disk_write(d, "log/0004", "x", 1);
    ck_assert_uint_eq(sim_disk_unsynced(d), 2);
    sim_disk_lose_unsynced(d);
    ck_assert_uint_eq(sim_disk_count(d), 4);
    ck_assert_ptr_nonnull(sim_disk_read(d, "meta", NULL));
    ck_assert_ptr_null(sim_disk_read(d, "log/0004", NULL));
    ck_assert_int_eq(sim_disk_write(d, "", "x", 1), SIM_EINVAL);
    sim_disk_destroy(d);
}
END_TEST

Suite *nodes_suite(void);

Suite *nodes_suite(void)
{
    Suite *suite = suite_create("nodes");
    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, crash_loses_volatile_state_timers_and_unsynced_writes);
    tcase_add_test(faults, restart_needs_a_crashed_node);
    tcase_add_test(faults, pause_holds_messages_and_timers_until_resume);
    tcase_add_test(faults, crash_while_paused_loses_held_messages);
    tcase_add_test(faults, skewed_clocks_read_skewed_and_drift_stretches_timers);
    suite_add_tcase(suite, faults);
    TCase *disk = tcase_create("disk");
    tcase_add_test(disk, disk_iterates_in_key_order_and_survives_only_synced);
    suite_add_tcase(suite, disk);
    return suite;
}
