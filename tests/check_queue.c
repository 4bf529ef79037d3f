/*
 * Unit tests of the kernel's event queue (sim/queue.c), checked against an
 * independent reference: a textbook binary heap kept in this file, or a sorted
 * copy. Test cases: core (ordering, ties, random operations over seeds),
 * limits (a million events, outliers, bursts, extreme times, growth) and
 * faults (empty queue, clear, impossible sizes, pushes into the past), plus a
 * smoke run of the hold benchmark.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "lua/bench/bench_hold.h"
#include "sim/errors.h"
#include "sim/queue.h"

#define REPRODUCE "reproduce: CK_RUN_SUITE=queue CK_RUN_CASE=%s make test"

/* For loops of a million checks: ck_assert records every passing check (a
 * write to a file), which would dominate the run time; this only acts on
 * failure. */
#define REQUIRE(cond)                                                   \
    do {                                                                \
        if (!(cond))                                                    \
            ck_abort_msg("Assertion '%s' failed at %s:%d", #cond,      \
                         __FILE__, __LINE__);                           \
    } while (0)
#define REQUIRE_EQ(a, b)                                                \
    do {                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);             \
        if (a_ != b_)                                                   \
            ck_abort_msg("%s == %s failed: %lld != %lld at %s:%d", #a, #b, \
                         a_, b_, __FILE__, __LINE__);                   \
    } while (0)

Suite *queue_suite(void);

/* ---- helpers: a seeded generator and the reference heap ---- */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static bool event_before(const sim_event *a, const sim_event *b)
{
    return a->time_ns < b->time_ns || (a->time_ns == b->time_ns && a->seq < b->seq);
}

static int event_cmp(const void *pa, const void *pb)
{
    const sim_event *a = pa, *b = pb;
    return event_before(a, b) ? -1 : event_before(b, a) ? 1 : 0;
}

typedef struct ref_heap {
    sim_event *a;
    size_t n, cap;
} ref_heap;

static void ref_push(ref_heap *h, sim_event e)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->a = realloc(h->a, h->cap * sizeof *h->a);
        ck_assert_ptr_nonnull(h->a);
    }
    size_t i = h->n++;
    for (; i > 0 && event_before(&e, &h->a[(i - 1) / 2]); i = (i - 1) / 2)
        h->a[i] = h->a[(i - 1) / 2];
    h->a[i] = e;
}

static sim_event ref_pop(ref_heap *h)
{
    sim_event top = h->a[0], e = h->a[--h->n];
    size_t i = 0;
    for (size_t c; (c = 2 * i + 1) < h->n; i = c) {
        if (c + 1 < h->n && event_before(&h->a[c + 1], &h->a[c]))
            c++;
        if (!event_before(&h->a[c], &e))
            break;
        h->a[i] = h->a[c];
    }
    h->a[i] = e;
    return top;
}

static void expect_event(const sim_event *got, const sim_event *want, const char *what,
                         long step, int seed, const char *tcase)
{
    if (got->time_ns == want->time_ns && got->seq == want->seq &&
        got->payload == want->payload)
        return;
    ck_abort_msg("%s %ld: got (%lld, %llu, %llu), want (%lld, %llu, %llu) (seed=%d; " REPRODUCE ")",
                 what, step, (long long)got->time_ns, (unsigned long long)got->seq,
                 (unsigned long long)got->payload, (long long)want->time_ns,
                 (unsigned long long)want->seq, (unsigned long long)want->payload, seed, tcase);
}

/* Pop everything, checking each event against the reference heap. */
static void drain_and_compare(sim_queue *q, ref_heap *ref, int seed, const char *tcase)
{
    for (long i = 0; ref->n > 0; i++) {
        sim_event got, want = ref_pop(ref);
        REQUIRE(sim_queue_pop(q, &got));
        expect_event(&got, &want, "drain pop", i, seed, tcase);
    }
    sim_event e;
    ck_assert(!sim_queue_pop(q, &e));
    ck_assert_uint_eq(sim_queue_size(q), 0);
}

/* ---- core ---- */

START_TEST(test_orders_by_time)
{
    sim_queue *q = sim_queue_create(0);
    /* 7919 and 10007 are coprime: i * 7919 mod 10007 is a shuffle of 0..10006. */
    for (uint64_t i = 0; i < 10007; i++) {
        int64_t t = (int64_t)(i * 7919 % 10007) * 1000;
        REQUIRE_EQ(sim_queue_push(q, t, i, (uint64_t)t + 1), 0);
    }
    for (int64_t want = 0; want < 10007; want++) {
        sim_event e;
        REQUIRE(sim_queue_pop(q, &e));
        REQUIRE_EQ(e.time_ns, want * 1000);
        REQUIRE_EQ(e.payload, (uint64_t)e.time_ns + 1);
    }
    sim_queue_destroy(q);
}
END_TEST

START_TEST(test_ties_by_seq)
{
    /* Three times, pushed round-robin: each time comes out in seq order. */
    sim_queue *q = sim_queue_create(4);
    static const int64_t times[3] = {500, 100, 300};
    for (uint64_t seq = 0; seq < 30; seq++)
        ck_assert_int_eq(sim_queue_push(q, times[seq % 3], seq, seq * 10), 0);
    sim_event e, prev = {0, 0, 0};
    for (int i = 0; i < 30; i++) {
        ck_assert(sim_queue_pop(q, &e));
        if (i > 0)
            ck_assert_msg(event_before(&prev, &e), "pop %d out of (time, seq) order", i);
        ck_assert_uint_eq(e.payload, e.seq * 10);
        prev = e;
    }
    /* seq values need not arrive in increasing order to be honoured. */
    static const uint64_t seqs[5] = {40, 7, 33, 12, 25};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(sim_queue_push(q, 600, seqs[i], seqs[i]), 0);
    static const uint64_t sorted[5] = {7, 12, 25, 33, 40};
    for (int i = 0; i < 5; i++) {
        ck_assert(sim_queue_pop(q, &e));
        ck_assert_uint_eq(e.seq, sorted[i]);
    }
    /* ... even when the smaller seq arrives after its time has started. */
    ck_assert_int_eq(sim_queue_push(q, 650, 1, 0), 0);
    ck_assert_int_eq(sim_queue_push(q, 700, 50, 0), 0);
    ck_assert_int_eq(sim_queue_push(q, 700, 60, 0), 0);
    ck_assert(sim_queue_pop(q, &e));
    ck_assert_int_eq(sim_queue_push(q, 700, 55, 0), 0);
    static const uint64_t late[3] = {50, 55, 60};
    for (int i = 0; i < 3; i++) {
        ck_assert(sim_queue_pop(q, &e));
        ck_assert_uint_eq(e.seq, late[i]);
    }
    sim_queue_destroy(q);
}
END_TEST

START_TEST(test_peek_and_size)
{
    sim_queue *q = sim_queue_create(16);
    sim_event p, e;
    for (uint64_t i = 0; i < 100; i++)
        ck_assert_int_eq(sim_queue_push(q, (int64_t)((i * 37) % 100), i, i), 0);
    for (size_t left = 100; left > 0; left--) {
        ck_assert_uint_eq(sim_queue_size(q), left);
        ck_assert(sim_queue_peek(q, &p));
        ck_assert(sim_queue_peek(q, &e));   /* peek does not consume */
        ck_assert_uint_eq(p.seq, e.seq);
        ck_assert(sim_queue_pop(q, &e));
        ck_assert_int_eq(p.time_ns, e.time_ns);
        ck_assert_uint_eq(p.seq, e.seq);
    }
    ck_assert(!sim_queue_peek(q, &p));
    sim_queue_destroy(q);
}
END_TEST

/* A delay drawn from one of several shapes: small uniform, exponential-like,
 * zero-delay bursts, rare far-future outliers, and log-uniform over 40 bits. */
static int64_t random_delay(uint64_t *rng, int shape)
{
    uint64_t r = splitmix64(rng), pick = r % 100, v = splitmix64(rng);
    switch (shape) {
    case 0: return (int64_t)(v % 1000);
    case 1: return (int64_t)(v % (UINT64_C(1) << (v % 22)));
    case 2: return pick < 30 ? 0 : (int64_t)(v % 2000000);
    case 3: return pick < 2 ? (int64_t)1000000000000000 + (int64_t)(v % 1000)
                            : (int64_t)(v % 5000);
    default: return (int64_t)(v % (UINT64_C(1) << (v % 40)));
    }
}

/* Random interleaved push/pop/peek against the reference heap. */
START_TEST(test_random_ops)
{
    int seed = _i;
    uint64_t rng = (uint64_t)seed * 1000003u + 1;
    int shape = seed % 5;
    sim_queue *q = sim_queue_create(seed % 2 ? 0 : 64);
    ref_heap ref = {0};
    int64_t now = 0;
    uint64_t seq = 0;
    for (long op = 0; op < 200000; op++) {
        /* Grow for the first half, shrink in the second. */
        bool push = splitmix64(&rng) % 100 < (op < 100000 ? 55u : 45u);
        if (push) {
            sim_event e = {now + random_delay(&rng, shape), seq++, splitmix64(&rng)};
            REQUIRE(sim_queue_push(q, e.time_ns, e.seq, e.payload) == 0);
            ref_push(&ref, e);
        } else if (ref.n > 0) {
            sim_event got, want = ref_pop(&ref);
            REQUIRE(sim_queue_pop(q, &got));
            expect_event(&got, &want, "pop", op, seed, "core");
            now = got.time_ns;
        } else {
            sim_event got;
            REQUIRE(!sim_queue_pop(q, &got));
        }
        REQUIRE(sim_queue_size(q) == ref.n);
        if (ref.n > 0 && op % 7 == 0) {
            sim_event got;
            REQUIRE(sim_queue_peek(q, &got));
            expect_event(&got, &ref.a[0], "peek", op, seed, "core");
        }
    }
    drain_and_compare(q, &ref, seed, "core");
    free(ref.a);
    sim_queue_destroy(q);
}
END_TEST

/* ---- limits ---- */

/* A million pending events under the hold model, every pop checked. */
START_TEST(test_million_events)
{
    enum { N = 1000000 };
    uint64_t rng = 7, seq = 0;
    sim_queue *q = sim_queue_create(0);
    ref_heap ref = {0};
    for (int i = 0; i < N; i++) {
        sim_event e = {(int64_t)(splitmix64(&rng) % (UINT64_C(1) << 30)), seq++, (uint64_t)i};
        REQUIRE_EQ(sim_queue_push(q, e.time_ns, e.seq, e.payload), 0);
        ref_push(&ref, e);
    }
    ck_assert_uint_eq(sim_queue_size(q), N);
    for (long i = 0; i < N; i++) {
        sim_event got, want = ref_pop(&ref);
        REQUIRE(sim_queue_pop(q, &got));
        expect_event(&got, &want, "hold pop", i, 7, "limits");
        sim_event next = {got.time_ns + (int64_t)(splitmix64(&rng) % 2000000), seq++, got.payload};
        REQUIRE_EQ(sim_queue_push(q, next.time_ns, next.seq, next.payload), 0);
        ref_push(&ref, next);
    }
    drain_and_compare(q, &ref, 7, "limits");
    free(ref.a);
    sim_queue_destroy(q);
}
END_TEST

/* Pops everything and compares with a sorted copy of what was pushed. */
static void drain_against_sorted(sim_queue *q, sim_event *pushed, size_t n, const char *what)
{
    qsort(pushed, n, sizeof *pushed, event_cmp);
    for (size_t i = 0; i < n; i++) {
        sim_event got;
        REQUIRE(sim_queue_pop(q, &got));
        expect_event(&got, &pushed[i], what, (long)i, 0, "limits");
    }
    sim_event e;
    ck_assert(!sim_queue_pop(q, &e));
}

/* One event a billion times further out than the rest must wait its turn
 * without disturbing the order of the near events. */
START_TEST(test_far_future_outliers)
{
    enum { N = 100000 };
    static const int64_t outliers[3] = {1000000000000000, 1000000000000001, INT64_MAX / 2};
    sim_event *pushed = malloc((N + 3) * sizeof *pushed);
    ck_assert_ptr_nonnull(pushed);
    sim_queue *q = sim_queue_create(0);
    uint64_t rng = 11;
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        if (i % (N / 3) == 1 && i / (N / 3) < 3)
            pushed[n++] = (sim_event){outliers[i / (N / 3)], n, 0xfeed};
        pushed[n] = (sim_event){1000000 + (int64_t)(splitmix64(&rng) % 1000000), n, (uint64_t)i};
        n++;
    }
    for (size_t i = 0; i < n; i++)
        REQUIRE_EQ(sim_queue_push(q, pushed[i].time_ns, pushed[i].seq, pushed[i].payload), 0);
    drain_against_sorted(q, pushed, n, "outlier drain");
    ck_assert_int_eq(pushed[n - 1].time_ns, INT64_MAX / 2);
    free(pushed);
    sim_queue_destroy(q);
}
END_TEST

/* A broadcast: 100k events at one instant, more pushed at that instant while
 * it is being drained, with neighbours one nanosecond either side. */
START_TEST(test_same_time_burst)
{
    enum { N = 100000, T = 5000 };
    sim_queue *q = sim_queue_create(0);
    ref_heap ref = {0};
    uint64_t seq = 0;
    for (int i = 0; i < N; i++) {
        int64_t t = i % 1000 == 0 ? T - 1 + (i / 1000) % 3 : T;
        sim_event e = {t, seq++, (uint64_t)i};
        REQUIRE_EQ(sim_queue_push(q, e.time_ns, e.seq, e.payload), 0);
        ref_push(&ref, e);
    }
    for (long i = 0; ref.n > 0; i++) {
        sim_event got, want = ref_pop(&ref);
        REQUIRE(sim_queue_pop(q, &got));
        expect_event(&got, &want, "burst pop", i, 0, "limits");
        if (i < 2 * N && got.time_ns == T) {   /* zero-delay reply, and one 1 ns later */
            sim_event now = {T, seq++, 1}, later = {T + 1, seq++, 2};
            REQUIRE_EQ(sim_queue_push(q, now.time_ns, now.seq, now.payload), 0);
            REQUIRE_EQ(sim_queue_push(q, later.time_ns, later.seq, later.payload), 0);
            ref_push(&ref, now);
            ref_push(&ref, later);
        }
    }
    ck_assert_uint_eq(sim_queue_size(q), 0);
    free(ref.a);
    sim_queue_destroy(q);
}
END_TEST

/* A burst whose seq values arrive shuffled (the kernel never does this, but
 * the order is defined by seq, not by push order), around neighbours in time. */
START_TEST(test_burst_with_shuffled_seq)
{
    enum { N = 10007 };
    static sim_event pushed[N + 2];
    sim_queue *q = sim_queue_create(0);
    for (uint64_t i = 0; i < N; i++)
        pushed[i] = (sim_event){777, (i * 7919 + 1) % N, i};
    pushed[N] = (sim_event){776, N, N};
    pushed[N + 1] = (sim_event){778, N + 1, N + 1};
    for (size_t i = 0; i < N + 2; i++)
        REQUIRE(sim_queue_push(q, pushed[i].time_ns, pushed[i].seq, pushed[i].payload) == 0);
    drain_against_sorted(q, pushed, N + 2, "shuffled burst");
    /* Again at the time just popped, into the emptied queue; peek first. */
    for (uint64_t i = 0; i < N; i++) {
        pushed[i] = (sim_event){778, N + 2 + (i * 7919 + 1) % N, i};
        REQUIRE(sim_queue_push(q, pushed[i].time_ns, pushed[i].seq, pushed[i].payload) == 0);
    }
    sim_event e;
    ck_assert(sim_queue_peek(q, &e));
    ck_assert_uint_eq(e.seq, N + 2);
    drain_against_sorted(q, pushed, N, "shuffled burst at now");
    sim_queue_destroy(q);
}
END_TEST

/* Many pushes landing just after the current time, between events already
 * queued there (timers re-armed by every handler). */
START_TEST(test_pushes_near_now)
{
    sim_queue *q = sim_queue_create(0);
    ref_heap ref = {0};
    uint64_t rng = 5, seq = 0;
    for (int64_t t = 1000; t < 1016; t++) {
        REQUIRE_EQ(sim_queue_push(q, t, seq, seq), 0);
        ref_push(&ref, (sim_event){t, seq, seq});
        seq++;
    }
    int64_t now = 0;
    for (long i = 0; i < 50000; i++) {
        if (i % 5 == 4) {
            sim_event got, want = ref_pop(&ref);
            REQUIRE(sim_queue_pop(q, &got));
            expect_event(&got, &want, "near pop", i, 5, "limits");
            now = got.time_ns;
            continue;
        }
        sim_event e = {now + (int64_t)(splitmix64(&rng) % 16), seq++, (uint64_t)i};
        REQUIRE_EQ(sim_queue_push(q, e.time_ns, e.seq, e.payload), 0);
        ref_push(&ref, e);
    }
    drain_and_compare(q, &ref, 5, "limits");
    free(ref.a);
    sim_queue_destroy(q);
}
END_TEST

START_TEST(test_extreme_times)
{
    static const int64_t times[6] = {INT64_MAX / 2, 0, INT64_MAX / 2 - 1, 1,
                                     INT64_MAX / 4, INT64_MAX / 2};
    sim_event pushed[6];
    sim_queue *q = sim_queue_create(1);
    for (uint64_t i = 0; i < 6; i++) {
        pushed[i] = (sim_event){times[i], i, ~i};
        ck_assert_int_eq(sim_queue_push(q, times[i], i, ~i), 0);
    }
    drain_against_sorted(q, pushed, 6, "extreme");
    /* After popping INT64_MAX / 2, that time is still a legal push. */
    ck_assert_int_eq(sim_queue_push(q, INT64_MAX / 2, 6, 6), 0);
    sim_event e;
    ck_assert(sim_queue_pop(q, &e));
    ck_assert_uint_eq(e.seq, 6);
    sim_queue_destroy(q);
}
END_TEST

/* From an empty start, in the worst order (latest first), several times over. */
START_TEST(test_growth)
{
    enum { N = 300000 };
    sim_queue *q = sim_queue_create(0);
    for (int round = 0; round < 3; round++) {
        int64_t base = (int64_t)round * 10 * N;
        for (uint64_t i = 0; i < N; i++)
            REQUIRE_EQ(sim_queue_push(q, base + (int64_t)(N - i) * 3, i, i), 0);
        ck_assert_uint_eq(sim_queue_size(q), N);
        for (int64_t i = 1; i <= N; i++) {
            sim_event e;
            REQUIRE(sim_queue_pop(q, &e));
            REQUIRE_EQ(e.time_ns, base + i * 3);
            REQUIRE_EQ(e.payload, (uint64_t)(N - i));
        }
        ck_assert_uint_eq(sim_queue_size(q), 0);
    }
    sim_queue_destroy(q);
}
END_TEST

/* ---- faults ---- */

START_TEST(test_empty_pop_and_peek)
{
    sim_queue *q = sim_queue_create(0);
    sim_event e = {-1, 42, 42};
    ck_assert(!sim_queue_pop(q, &e));
    ck_assert(!sim_queue_peek(q, &e));
    ck_assert_int_eq(e.time_ns, -1);   /* untouched */
    ck_assert_uint_eq(sim_queue_size(q), 0);
    ck_assert_int_eq(sim_queue_push(q, 3, 0, 9), 0);
    ck_assert(sim_queue_pop(q, &e));
    ck_assert_uint_eq(e.payload, 9);
    ck_assert(!sim_queue_pop(q, &e));
    ck_assert(!sim_queue_peek(q, &e));
    sim_queue_destroy(q);
    sim_queue_destroy(NULL);
}
END_TEST

START_TEST(test_clear)
{
    sim_queue *q = sim_queue_create(0);
    for (uint64_t i = 0; i < 5000; i++)
        ck_assert_int_eq(sim_queue_push(q, 1000000 + (int64_t)(i * 7919 % 5000), i, i), 0);
    sim_event e;
    for (int i = 0; i < 100; i++)
        ck_assert(sim_queue_pop(q, &e));
    sim_queue_clear(q);
    ck_assert_uint_eq(sim_queue_size(q), 0);
    ck_assert(!sim_queue_pop(q, &e));
    ck_assert(!sim_queue_peek(q, &e));
    /* The last popped time is forgotten: earlier times are legal again. */
    static const int64_t times[4] = {50, 5, 500000, 5};
    for (uint64_t i = 0; i < 4; i++)
        ck_assert_int_eq(sim_queue_push(q, times[i], 100 + i, i), 0);
    static const uint64_t order[4] = {1, 3, 0, 2};
    for (int i = 0; i < 4; i++) {
        ck_assert(sim_queue_pop(q, &e));
        ck_assert_uint_eq(e.payload, order[i]);
    }
    sim_queue_destroy(q);
}
END_TEST

/* The hold benchmark runs on the real queue (it checks the order it pops)
 * and refuses an empty hold; its timings are not asserted. */
START_TEST(test_bench_hold)
{
    sim_bench_hold_result r = {0};
    ck_assert_int_eq(sim_bench_hold(1000, 20000, &r), 0);
    ck_assert_uint_eq(r.pending, 1000);
    ck_assert_uint_eq(r.events, 20000);
    ck_assert(r.seconds >= 0 && r.events_per_s >= 0);
    ck_assert_uint_gt(r.peak_rss_bytes, 0);
    ck_assert_int_eq(sim_bench_hold(0, 10, &r), SIM_EINVAL);
    ck_assert_int_eq(sim_bench_hold(10, 10, NULL), SIM_EINVAL);
}
END_TEST

/* A capacity no memory can hold is refused up front, not attempted. */
START_TEST(test_impossible_capacity)
{
    ck_assert_ptr_null(sim_queue_create(SIZE_MAX));
    ck_assert_ptr_null(sim_queue_create(SIZE_MAX / 64));
}
END_TEST

START_TEST(test_push_into_past_aborts)
{
    sim_queue *q = sim_queue_create(0);
    sim_event e;
    ck_assert_int_eq(sim_queue_push(q, 10, 0, 0), 0);
    ck_assert(sim_queue_pop(q, &e));
    sim_queue_push(q, 9, 1, 0);   /* SIM_ASSERT aborts */
}
END_TEST

START_TEST(test_time_out_of_range_aborts)
{
    sim_queue *q = sim_queue_create(0);
    sim_queue_push(q, _i == 0 ? -1 : INT64_MAX / 2 + 1, 0, 0);
}
END_TEST

Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");

    TCase *core = tcase_create("core");
    tcase_add_test(core, test_orders_by_time);
    tcase_add_test(core, test_ties_by_seq);
    tcase_add_test(core, test_peek_and_size);
    tcase_add_loop_test(core, test_random_ops, 0, 10);
    suite_add_tcase(s, core);

    TCase *limits = tcase_create("limits");
    tcase_set_timeout(limits, 120);   /* the million-event case under valgrind */
    tcase_add_test(limits, test_million_events);
    tcase_add_test(limits, test_far_future_outliers);
    tcase_add_test(limits, test_same_time_burst);
    tcase_add_test(limits, test_burst_with_shuffled_seq);
    tcase_add_test(limits, test_pushes_near_now);
    tcase_add_test(limits, test_extreme_times);
    tcase_add_test(limits, test_growth);
    suite_add_tcase(s, limits);

    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, test_empty_pop_and_peek);
    tcase_add_test(faults, test_clear);
    tcase_add_test(faults, test_impossible_capacity);
    tcase_add_test(faults, test_bench_hold);
    tcase_add_test_raise_signal(faults, test_push_into_past_aborts, SIGABRT);
    tcase_add_loop_test_raise_signal(faults, test_time_out_of_range_aborts, SIGABRT, 0, 2);
    suite_add_tcase(s, faults);
    return s;
}
