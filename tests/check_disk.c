/*
 * Tests of the disk's crash modes (sim/disk.h): lose-unsynced gives back exactly
 * the synced state; torn keeps any subset of the unsynced writes (a later one
 * without an earlier one), may cut a kept value short, never touches synced
 * data, and is the same for the same seed. Then recovery code against torn
 * writes: a write-ahead log whose records carry a length and a checksum, synced
 * every few records, crashed at every point of a run in torn mode over many
 * seeds. Its recovery (keep the longest prefix of whole, valid, contiguous
 * records) never accepts a torn or out-of-order record, and keeps at least what
 * was synced; a naive recovery that trusts every record it finds does accept
 * such states on some seeds, which is why the mode exists.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/disk.h"
#include "sim/sim.h"

#define MS SIM_NS_PER_MS

/* ---- core: the two modes on one disk ------------------------------------------------ */

static sim_disk *disk_with_history(void)
{
    sim_disk *d = sim_disk_create();
    ck_assert_int_eq(sim_disk_write(d, "a", "synced-a", 8), 0);
    ck_assert_int_eq(sim_disk_write(d, "b", "synced-b", 8), 0);
    ck_assert_int_eq(sim_disk_sync(d), 0);
    ck_assert_int_eq(sim_disk_write(d, "a", "a1-longer-value", 15), 0);
    ck_assert_int_eq(sim_disk_write(d, "a", "a2-longer-value", 15), 0);
    ck_assert_int_eq(sim_disk_write(d, "c", "c1-new-key-here", 15), 0);
    ck_assert_int_eq(sim_disk_remove(d, "b"), 0);
    return d;
}

static bool value_is(const sim_disk *d, const char *key, const char *want)
{
    size_t len = 0;
    const char *v = sim_disk_read(d, key, &len);
    if (!want) return v == NULL;
    return v && len == strlen(want) && memcmp(v, want, len) == 0;
}

/* A prefix (possibly whole) of one of the candidates, or absent when allowed. */
static bool prefix_of_one(const sim_disk *d, const char *key, const char *const *cands, bool absent_ok, bool *torn)
{
    size_t len = 0;
    const char *v = sim_disk_read(d, key, &len);
    if (!v) return absent_ok;
    for (const char *const *c = cands; *c; c++)
        if (len <= strlen(*c) && memcmp(v, *c, len) == 0) {
            *torn = *torn || len < strlen(*c);
            return true;
        }
    return false;
}

START_TEST(lose_unsynced_restores_the_synced_state)
{
    sim_disk *d = disk_with_history();
    sim_disk_crash(d, SIM_DISK_LOSE_UNSYNCED, NULL);
    ck_assert(value_is(d, "a", "synced-a") && value_is(d, "b", "synced-b") && value_is(d, "c", NULL));
    ck_assert_uint_eq(sim_disk_unsynced(d), 0);
    sim_disk_destroy(d);
}
END_TEST

START_TEST(torn_keeps_subsets_and_prefixes_deterministically)
{
    static const char *const a_vals[] = { "synced-a", "a1-longer-value", "a2-longer-value", NULL };
    static const char *const b_vals[] = { "synced-b", NULL };
    static const char *const c_vals[] = { "c1-new-key-here", NULL };
    bool saw_a1 = false, saw_a2 = false, saw_old_a = false, saw_torn = false, saw_c_without_a = false;
    for (uint64_t seed = 1; seed <= 400; seed++) {
        sim_rng r1, r2;
        sim_rng_seed(&r1, seed, SIM_STREAM_DISK, 0);
        sim_rng_seed(&r2, seed, SIM_STREAM_DISK, 0);
        sim_disk *d = disk_with_history(), *e = disk_with_history();
        sim_disk_crash(d, SIM_DISK_TORN, &r1);
        sim_disk_crash(e, SIM_DISK_TORN, &r2);
        ck_assert_uint_eq(sim_disk_count(d), sim_disk_count(e));       /* same seed, same disk */
        for (size_t i = 0; i < sim_disk_count(d); i++) {
            size_t la, lb;
            const char *k = sim_disk_key_at(d, i);
            const void *va = sim_disk_read(d, k, &la), *vb = sim_disk_read(e, k, &lb);
            ck_assert(strcmp(k, sim_disk_key_at(e, i)) == 0 && la == lb && memcmp(va, vb, la) == 0);
        }
        bool torn = false;
        ck_assert(prefix_of_one(d, "a", a_vals, false, &torn));
        ck_assert(prefix_of_one(d, "b", b_vals, true, &torn));   /* the remove may or may not land */
        ck_assert(prefix_of_one(d, "c", c_vals, true, &torn));
        saw_torn = saw_torn || torn;
        saw_a1 = saw_a1 || value_is(d, "a", "a1-longer-value");
        saw_a2 = saw_a2 || value_is(d, "a", "a2-longer-value");
        saw_old_a = saw_old_a || value_is(d, "a", "synced-a");
        saw_c_without_a = saw_c_without_a || (value_is(d, "c", "c1-new-key-here") && value_is(d, "a", "synced-a"));
        ck_assert_uint_eq(sim_disk_unsynced(d), 0);
        sim_disk_destroy(d);
        sim_disk_destroy(e);
    }
    ck_assert(saw_a1 && saw_a2 && saw_old_a && saw_torn);
    ck_assert(saw_c_without_a);                  /* a later write survived an earlier lost one */
}
END_TEST

START_TEST(modes_by_name)
{
    sim_disk_crash_kind m;
    ck_assert_int_eq(sim_disk_crash_parse("torn", &m), 0);
    ck_assert_int_eq(m, SIM_DISK_TORN);
    ck_assert_str_eq(sim_disk_crash_name(m), "torn");
    ck_assert_int_eq(sim_disk_crash_parse("lose-unsynced", &m), 0);
    ck_assert_int_eq(sim_disk_crash_parse("sometimes", &m), SIM_EINVAL);
    ck_assert_int_eq(sim_disk_crash_parse(NULL, &m), SIM_EINVAL);
    sim *s = sim_create(NULL);
    ck_assert_int_eq(sim_disk_crash_mode(s, 7, SIM_DISK_TORN), SIM_ENOENT);
    ck_assert_int_eq(sim_disk_crash_mode(s, SIM_NODE_NONE, (sim_disk_crash_kind)9), SIM_EINVAL);
    sim_destroy(s);
}
END_TEST

/* ---- a write-ahead log and its recovery, crashed in torn mode ------------------------- */

#define RECORDS 40
#define SYNC_EVERY 4

/* Record i: "log/%04d" = "LEN:PAYLOAD:SUM", SUM a checksum of the payload. */
static unsigned checksum(const char *p, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

typedef struct wal_state { int next; } wal_state;

static void wal_append(sim_node *node, void *state, const char *name, uint64_t arg)
{
    wal_state *st = state;
    if (st->next >= RECORDS) return;
    char key[16], payload[48], rec[96];
    snprintf(key, sizeof(key), "log/%04d", st->next);
    int n = snprintf(payload, sizeof(payload), "record %d of the log, some bytes", st->next);
    int len = snprintf(rec, sizeof(rec), "%d:%s:%08x", n, payload, checksum(payload, (size_t)n));
    ck_assert_int_eq(sim_disk_write(sim_self_disk(node), key, rec, (size_t)len), 0);
    if (++st->next % SYNC_EVERY == 0) sim_disk_sync(sim_self_disk(node));
    sim_timer_set(node, 1 * MS, "append", 0);
}

/* The recovery under test: the longest prefix of records 0, 1, 2 ... that are all
 * present and whole (the length and checksum match). */
static int recover(const sim_disk *d, bool check)
{
    int n = 0;
    for (;; n++) {
        char key[16];
        snprintf(key, sizeof(key), "log/%04d", n);
        size_t len = 0;
        const char *v = sim_disk_read(d, key, &len);
        if (!v) return n;
        if (!check) continue;
        char buf[128];
        if (len >= sizeof(buf)) return n;
        memcpy(buf, v, len);
        buf[len] = 0;
        int plen, used = 0;
        unsigned sum;
        if (sscanf(buf, "%d:%n", &plen, &used) != 1 || plen < 0 || (size_t)(used + plen + 9) != len) return n;
        if (sscanf(buf + used + plen, ":%8x", &sum) != 1 || sum != checksum(buf + used, (size_t)plen)) return n;
    }
}

/* Naive: trusts what it finds. A torn record, or a record after a gap. */
static bool naive_is_fooled(const sim_disk *d)
{
    int valid = recover(d, true);
    return recover(d, false) != valid || sim_disk_count(d) != (size_t)valid;
}

static void wal_start(sim_node *node, void *state) { sim_timer_set(node, 1 * MS, "append", 0); }

static const sim_program wal = { .name = "wal", .state_bytes = sizeof(wal_state), .start = wal_start,
                                 .timer = wal_append };

START_TEST(recovery_survives_torn_writes)
{
    int fooled = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        sim_options so = { .seed = seed };
        sim *s = sim_create(&so);
        sim_node_id id;
        ck_assert_int_eq(sim_node_add(s, "w", &wal, NULL, 0, &id), 0);
        ck_assert_int_eq(sim_disk_crash_mode(s, id, SIM_DISK_TORN), 0);
        int64_t crash_at = (int64_t)(2 + seed % (RECORDS - 2)) * MS + 500 * SIM_NS_PER_US;
        sim_run_until(s, crash_at);
        int written = ((wal_state *)sim_node_state(s, id))->next, synced = written - written % SYNC_EVERY;
        ck_assert_int_eq(sim_node_crash(s, id), 0);
        const sim_disk *d = sim_node_disk(s, id);
        int kept = recover(d, true);
        ck_assert_msg(kept >= synced && kept <= written, "seed %llu: recovered %d, synced %d, written %d",
                      (unsigned long long)seed, kept, synced, written);
        fooled += naive_is_fooled(d);
        sim_destroy(s);
    }
    ck_assert_int_gt(fooled, 10);              /* torn mode does produce what naive recovery mistakes */
}
END_TEST

/* The default mode: recovery finds exactly the synced records, and the naive one is right. */
START_TEST(lose_unsynced_recovers_exactly_the_synced_records)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        sim_options so = { .seed = seed };
        sim *s = sim_create(&so);
        sim_node_id id;
        ck_assert_int_eq(sim_node_add(s, "w", &wal, NULL, 0, &id), 0);
        sim_run_until(s, (int64_t)(2 + seed % (RECORDS - 2)) * MS + 500 * SIM_NS_PER_US);
        int written = ((wal_state *)sim_node_state(s, id))->next;
        ck_assert_int_eq(sim_node_crash(s, id), 0);
        ck_assert_int_eq(recover(sim_node_disk(s, id), true), written - written % SYNC_EVERY);
        ck_assert(!naive_is_fooled(sim_node_disk(s, id)));
        sim_destroy(s);
    }
}
END_TEST

Suite *disk_suite(void);

Suite *disk_suite(void)
{
    Suite *s = suite_create("disk");
    TCase *core = tcase_create("core");
    tcase_add_test(core, lose_unsynced_restores_the_synced_state);
    tcase_add_test(core, torn_keeps_subsets_and_prefixes_deterministically);
    tcase_add_test(core, modes_by_name);
    suite_add_tcase(s, core);
    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 60);
    tcase_add_test(faults, recovery_survives_torn_writes);
    tcase_add_test(faults, lose_unsynced_recovers_exactly_the_synced_records);
    suite_add_tcase(s, faults);
    return s;
}
