/*
 * Tests of the random streams (sim/rng.h), the delay distributions (sim/dist.h) and the
 * deterministic log/exp (sim/detmath.h).
 *
 * The golden values pin the first draws of fixed seeds as literals: they are the anchor
 * of cross-machine determinism, so a change to any algorithm (seeding, xoshiro, Lemire,
 * polar method, det_log/det_exp) shows up here. If you change one on purpose, every
 * recorded trace hash changes too. The statistical tests use fixed seeds, so they are
 * deterministic; their bounds are 4-6 sigma so a correct generator passes with margin
 * and a biased one (e.g. modulo instead of Lemire) fails. libm is used only as the
 * reference for det_log/det_exp.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/detmath.h"
#include "sim/dist.h"
#include "sim/errors.h"
#include "sim/rng.h"

#define N_DRAWS 100000

/* Root seeds for the loop tests (_i indexes this). */
static const uint64_t seeds[] = { 1, 42, 0xDEADBEEFu, UINT64_MAX };
#define N_SEEDS ((int)(sizeof seeds / sizeof seeds[0]))

static uint64_t double_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* Running mean and variance (Welford: stable for 100k values around 1e6). */
typedef struct stats { double n, mean, m2; } stats;

static void stats_add(stats *s, double x)
{
    s->n += 1.0;
    double d = x - s->mean;
    s->mean += d / s->n;
    s->m2 += d * (x - s->mean);
}

static double stats_var(const stats *s)
{
    return s->m2 / (s->n - 1.0);
}

/* ---- core: reference vectors and golden values ---------------------------------- */

START_TEST(test_xoshiro_reference)
{
    /* From the reference xoshiro256starstar.c with state {1, 2, 3, 4}. */
    sim_rng r = { { 1, 2, 3, 4 } };
    ck_assert_uint_eq(sim_rng_next(&r), 11520u);
    ck_assert_uint_eq(sim_rng_next(&r), 0u);
    ck_assert_uint_eq(sim_rng_next(&r), 1509978240u);
    ck_assert_uint_eq(sim_rng_next(&r), UINT64_C(1215971899390074240));
}
END_TEST

START_TEST(test_splitmix_reference)
{
    /* splitmix64 seeded with 1234567 (reference splitmix64.c): output k = mix(seed + k*gamma). */
    const uint64_t gamma = 0x9E3779B97F4A7C15u, seed = 1234567;
    ck_assert_uint_eq(sim_mix64(seed + gamma), UINT64_C(6457827717110365317));
    ck_assert_uint_eq(sim_mix64(seed + 2 * gamma), UINT64_C(3203168211198807973));
    ck_assert_uint_eq(sim_mix64(seed + 3 * gamma), UINT64_C(9817491932198370423));
    ck_assert_uint_eq(sim_mix64(0), 0u);
}
END_TEST

START_TEST(test_golden_streams)
{
    static const uint64_t net42[5] = {
        UINT64_C(0x1CE51DB929983F9D), UINT64_C(0x112B1403D2D3D61A),
        UINT64_C(0xE76456A39E6AA0BD), UINT64_C(0x8552E0FF86E87C9F),
        UINT64_C(0xD71D1E3AC7BE199E),
    };
    static const uint64_t zero[3] = {
        UINT64_C(0xC647C76FDD1C8261), UINT64_C(0x7062145232A9EDAE),
        UINT64_C(0x011296E2881230C3),
    };
    sim_rng r;
    sim_rng_seed(&r, 42, SIM_STREAM_NETWORK, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(sim_rng_next(&r), net42[i]);
    sim_rng_seed(&r, 0, 0, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(sim_rng_next(&r), zero[i]);
    ck_assert_uint_eq(sim_hash64_str("n1"), UINT64_C(0xF8E46110455C6E53));
    ck_assert_uint_eq(sim_hash64_str(""), UINT64_C(0xF52A15E9A9B5E89B));

    static const uint64_t below[5] = { 385, 104, 655, 778, 8 };
    static const int64_t range[3] = { 829748, 152013, -790354 };
    sim_rng_seed(&r, 42, SIM_STREAM_WORKLOAD, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_uint_eq(sim_rng_below(&r, 1000), below[i]);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(sim_rng_range(&r, -1000000, 1000000), range[i]);
}
END_TEST

START_TEST(test_golden_dist)
{
    /* One stream drawn in this order: 3 uniform, 3 normal, 3 exp, 3 pareto, 3 lognormal. */
    const sim_dist d[5] = {
        sim_dist_uniform(1000000, 20000000), sim_dist_normal(10000000, 2000000),
        sim_dist_exponential(5000000), sim_dist_pareto(1000000, 1.5, 0),
        sim_dist_lognormal(10000000, 0.5),
    };
    static const int64_t want[5][3] = {
        { 7054117, 19916322, 2796988 }, { 8779702, 11058877, 9121086 },
        { 3932472, 8114, 9875239 }, { 2959712, 1209269, 3240917 },
        { 13471141, 9588602, 4794246 },
    };
    sim_rng r;
    sim_rng_seed(&r, 42, SIM_STREAM_NODE, 7);
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(sim_dist_draw(&d[k], &r), want[k][i]);
}
END_TEST

START_TEST(test_golden_detmath)
{
    ck_assert_uint_eq(double_bits(sim_det_log(2.0)), UINT64_C(0x3FE62E42FEFA39EF));
    ck_assert_uint_eq(double_bits(sim_det_log(10.0)), UINT64_C(0x40026BB1BBB55516));
    ck_assert_uint_eq(double_bits(sim_det_log(0.1)), UINT64_C(0xC0026BB1BBB55515));
    ck_assert_uint_eq(double_bits(sim_det_log(1e-300)), UINT64_C(0xC085963447F87FB5));
    ck_assert_uint_eq(double_bits(sim_det_exp(1.0)), UINT64_C(0x4005BF0A8B14576A));
    ck_assert_uint_eq(double_bits(sim_det_exp(-10.5)), UINT64_C(0x3EFCDFC263F6A0BA));
    ck_assert_uint_eq(double_bits(sim_det_exp(0.001)), UINT64_C(0x3FF0041919B7EE34));
    ck_assert_uint_eq(double_bits(sim_det_exp(700.0)), UINT64_C(0x7F0D945DF4F8EC8E));
    ck_assert_uint_eq(double_bits(sim_det_exp(-740.0)), UINT64_C(0x0000000000000055));
}
END_TEST

/* ---- core: streams are pure and independent ------------------------------------- */

START_TEST(test_seed_is_pure)
{
    sim_rng a, b;
    sim_rng_seed(&a, seeds[_i], SIM_STREAM_NODE, 3);
    sim_rng_seed(&b, seeds[_i], SIM_STREAM_NODE, 3);
    ck_assert_mem_eq(&a, &b, sizeof a);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(sim_rng_next(&a), sim_rng_next(&b));
}
END_TEST

START_TEST(test_streams_differ)
{
    uint64_t s = seeds[_i];
    sim_rng base, other[4];
    sim_rng_seed(&base, s, SIM_STREAM_NETWORK, 0);
    sim_rng_seed(&other[0], s, SIM_STREAM_WORKLOAD, 0);   /* other domain */
    sim_rng_seed(&other[1], s, SIM_STREAM_NETWORK, 1);    /* other index */
    sim_rng_seed(&other[2], s + 1, SIM_STREAM_NETWORK, 0);/* other root */
    sim_rng_seed(&other[3], s, 0, SIM_STREAM_NETWORK);    /* domain and index swapped */
    uint64_t first = sim_rng_next(&base);
    for (int k = 0; k < 4; k++)
        ck_assert_uint_ne(sim_rng_next(&other[k]), first);
}
END_TEST

START_TEST(test_draws_do_not_leak)
{
    /* Drawing from the network stream must not move a node's stream. */
    sim_rng net, node, node_fresh;
    sim_rng_seed(&net, seeds[_i], SIM_STREAM_NETWORK, 0);
    sim_rng_seed(&node, seeds[_i], SIM_STREAM_NODE, 5);
    sim_rng_seed(&node_fresh, seeds[_i], SIM_STREAM_NODE, 5);
    for (int i = 0; i < 10000; i++)
        sim_rng_next(&net);
    sim_rng_seed(&net, seeds[_i], SIM_STREAM_NETWORK, 1);   /* re-seeding others too */
    for (int i = 0; i < 100; i++)
        ck_assert_uint_eq(sim_rng_next(&node), sim_rng_next(&node_fresh));
}
END_TEST

static double correlation(sim_rng *a, sim_rng *b)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = N_DRAWS;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = sim_rng_unit(a), y = sim_rng_unit(b);
        sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
    }
    double cov = sab / n - (sa / n) * (sb / n);
    return cov / sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
}

START_TEST(test_streams_uncorrelated)
{
    /* |r| of independent streams has sd 1/sqrt(n) = 0.0032; 0.02 is over 6 sigma. */
    uint64_t s = seeds[_i];
    sim_rng a, b, c, d;
    sim_rng_seed(&a, s, SIM_STREAM_NODE, 0);
    sim_rng_seed(&b, s, SIM_STREAM_NODE, 1);
    ck_assert_double_lt(fabs(correlation(&a, &b)), 0.02);
    sim_rng_seed(&c, s, SIM_STREAM_NETWORK, 0);
    sim_rng_seed(&d, s + 1, SIM_STREAM_NETWORK, 0);
    ck_assert_double_lt(fabs(correlation(&c, &d)), 0.02);
}
END_TEST

/* ---- core: distribution sanity ---------------------------------------------------- */

START_TEST(test_uniform_stats)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_WORKLOAD, 0);
    sim_dist d = sim_dist_uniform(0, 1000000);
    stats s = { 0 };
    for (int i = 0; i < N_DRAWS; i++) {
        int64_t x = sim_dist_draw(&d, &r);
        ck_assert(x >= 0 && x <= 1000000);
        stats_add(&s, (double)x);
    }
    /* mean sd = 1e6/sqrt(12 n) ~ 913; variance 1e12/12 within 2% (about 9 sigma). */
    ck_assert_double_eq_tol(s.mean, 500000.0, 5 * 913.0);
    ck_assert_double_eq_tol(stats_var(&s) / (1e12 / 12.0), 1.0, 0.02);
    stats u = { 0 };
    for (int i = 0; i < N_DRAWS; i++) {
        double x = sim_rng_unit(&r);
        ck_assert(x >= 0.0 && x < 1.0);
        stats_add(&u, x);
    }
    ck_assert_double_eq_tol(u.mean, 0.5, 5 * 0.000913);
}
END_TEST

START_TEST(test_normal_stats)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_WORKLOAD, 1);
    sim_dist d = sim_dist_normal(1000000, 100000);   /* 10 sigma from 0: no clamping */
    stats s = { 0 };
    int beyond = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = (double)sim_dist_draw(&d, &r);
        stats_add(&s, x);
        beyond += fabs(x - 1000000.0) > 196000.0;    /* |z| > 1.96: 5% */
    }
    ck_assert_double_eq_tol(s.mean, 1000000.0, 5 * 100000.0 / sqrt(N_DRAWS));
    ck_assert_double_eq_tol(stats_var(&s) / 1e10, 1.0, 0.03);   /* sd of ratio 0.0045 */
    ck_assert_double_eq_tol(beyond / (double)N_DRAWS, 0.05, 4 * 0.00069);
}
END_TEST

START_TEST(test_exponential_stats)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_WORKLOAD, 2);
    sim_dist d = sim_dist_exponential(1000000);
    stats s = { 0 };
    int above_mean = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        int64_t x = sim_dist_draw(&d, &r);
        ck_assert_int_ge(x, 0);
        stats_add(&s, (double)x);
        above_mean += x > 1000000;
    }
    ck_assert_double_eq_tol(s.mean / 1e6, 1.0, 5 / sqrt(N_DRAWS));
    ck_assert_double_eq_tol(stats_var(&s) / 1e12, 1.0, 0.05);    /* sd of ratio 0.009 */
    ck_assert_double_eq_tol(above_mean / (double)N_DRAWS, exp(-1.0), 4 * 0.0015);
}
END_TEST

START_TEST(test_pareto_lognormal_stats)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_WORKLOAD, 3);
    sim_dist p = sim_dist_pareto(1000000, 2.5, 0), capped = sim_dist_pareto(1000000, 2.5, 3000000);
    int above = 0, at_cap = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        int64_t x = sim_dist_draw(&p, &r), y = sim_dist_draw(&capped, &r);
        ck_assert_int_ge(x, 1000000);
        ck_assert(y >= 1000000 && y <= 3000000);
        above += x > 2000000;
        at_cap += y == 3000000;
    }
    /* P(X > 2 scale) = 2^-2.5 = 0.1768, P(X > 3 scale) = 3^-2.5 = 0.0642. */
    ck_assert_double_eq_tol(above / (double)N_DRAWS, pow(2.0, -2.5), 4 * 0.0012);
    ck_assert_double_eq_tol(at_cap / (double)N_DRAWS, pow(3.0, -2.5), 4 * 0.00078);

    sim_dist ln = sim_dist_lognormal(1000000, 0.5);
    stats logs = { 0 };
    for (int i = 0; i < N_DRAWS; i++)
        stats_add(&logs, log((double)sim_dist_draw(&ln, &r)));
    ck_assert_double_eq_tol(logs.mean, log(1e6), 5 * 0.5 / sqrt(N_DRAWS));
    ck_assert_double_eq_tol(sqrt(stats_var(&logs)), 0.5, 0.01);
}
END_TEST

START_TEST(test_chance_frequency)
{
    static const double ps[] = { 0.05, 0.5 };
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_FAULTS, 0);
    for (int k = 0; k < 2; k++) {
        sim_prob p = sim_prob_from_double(ps[k]);
        int hits = 0;
        for (int i = 0; i < N_DRAWS; i++)
            hits += sim_rng_chance(&r, p);
        double sd = sqrt(ps[k] * (1 - ps[k]) / N_DRAWS);
        ck_assert_double_eq_tol(hits / (double)N_DRAWS, ps[k], 4 * sd);
    }
}
END_TEST

static double chi_square_below(sim_rng *r, uint64_t n)
{
    long counts[16] = { 0 };
    for (int i = 0; i < N_DRAWS; i++)
        counts[sim_rng_below(r, n)]++;
    double expect = N_DRAWS / (double)n, chi2 = 0;
    for (uint64_t b = 0; b < n; b++)
        chi2 += (counts[b] - expect) * (counts[b] - expect) / expect;
    return chi2;
}

START_TEST(test_below_unbiased)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_SCENARIO, 0);
    /* chi-square at p = 1e-4: 6 dof 27.9, 9 dof 33.7. */
    ck_assert_double_lt(chi_square_below(&r, 7), 27.9);
    ck_assert_double_lt(chi_square_below(&r, 10), 33.7);
    /* n = 3 * 2^62: "x % n" would put half the draws in the first third. */
    const uint64_t n = UINT64_C(3) << 62;
    long thirds[3] = { 0 };
    for (int i = 0; i < N_DRAWS; i++)
        thirds[sim_rng_below(&r, n) >> 62]++;
    for (int b = 0; b < 3; b++)   /* sd = sqrt(n p (1-p)) = 149 */
        ck_assert_int_lt(labs(thirds[b] - N_DRAWS / 3), 4 * 149);
}
END_TEST

/* ---- core: deterministic math against libm ------------------------------------- */

/* Within 4 ulp-ish of libm (relative 4 eps), or one subnormal step. */
static void assert_close(double got, double ref, double x)
{
    double tol = fmax(4 * DBL_EPSILON * fabs(ref), 0x1.0p-1074);
    ck_assert_msg(fabs(got - ref) <= tol, "x=%.17g got %.17g libm %.17g", x, got, ref);
}

START_TEST(test_det_log_vs_libm)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_SCENARIO, 1);
    for (int i = 0; i < N_DRAWS; i++) {
        uint64_t b = sim_rng_next(&r) >> 1;   /* any positive double, subnormals too */
        double x;
        memcpy(&x, &b, sizeof x);
        if (x > 0 && x <= DBL_MAX)
            assert_close(sim_det_log(x), log(x), x);
        double y = 0.5 + 1.5 * sim_rng_unit(&r);   /* dense near 1 */
        assert_close(sim_det_log(y), log(y), y);
    }
    static const double near_one[] = { 1 + 1e-15, 1 - 1e-15, 1 + 1e-8, 0.70710678, 1.41421356 };
    for (int i = 0; i < 5; i++)
        assert_close(sim_det_log(near_one[i]), log(near_one[i]), near_one[i]);
}
END_TEST

START_TEST(test_det_exp_vs_libm)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_SCENARIO, 2);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = -745.0 + 1454.7 * sim_rng_unit(&r);   /* the whole finite range */
        assert_close(sim_det_exp(x), exp(x), x);
        double y = 2.0 * sim_rng_unit(&r) - 1.0;
        assert_close(sim_det_exp(y), exp(y), y);
        double z = (sim_rng_unit(&r) - 0.5) * 1e-9;
        assert_close(sim_det_exp(z), exp(z), z);
    }
}
END_TEST

START_TEST(test_dist_format)
{
    char buf[64];
    const struct { sim_dist d; const char *text; } cases[] = {
        { sim_dist_constant(5000000), "constant(5ms)" },
        { sim_dist_uniform(1000000, 20000000), "uniform(1ms, 20ms)" },
        { sim_dist_normal(10000000, 1500000), "normal(10ms, 1.5ms)" },
        { sim_dist_exponential(250000), "exponential(250us)" },
        { sim_dist_pareto(1000000, 1.5, 0), "pareto(1ms, 1.5)" },
        { sim_dist_pareto(1000000, 2, 1000000000), "pareto(1ms, 2, cap 1s)" },
        { sim_dist_lognormal(10000000, 0.25), "lognormal(10ms, 0.25)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(sim_dist_format(&cases[i].d, buf, sizeof buf), SIM_OK);
        ck_assert_str_eq(buf, cases[i].text);
    }
}
END_TEST

/* ---- limits ---------------------------------------------------------------------- */

START_TEST(test_below_and_range_limits)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_NODE, 9);
    int seen_lo = 0, seen_hi = 0;
    for (int i = 0; i < 1000; i++) {
        ck_assert_uint_eq(sim_rng_below(&r, 1), 0u);
        ck_assert_uint_lt(sim_rng_below(&r, UINT64_MAX), UINT64_MAX);
        ck_assert_int_eq(sim_rng_range(&r, -7, -7), -7);
        ck_assert_int_eq(sim_rng_range(&r, INT64_MAX, INT64_MAX), INT64_MAX);
        int64_t top = sim_rng_range(&r, INT64_MAX - 1, INT64_MAX);
        int64_t bottom = sim_rng_range(&r, INT64_MIN, INT64_MIN + 1);
        ck_assert(bottom == INT64_MIN || bottom == INT64_MIN + 1);
        seen_lo += top == INT64_MAX - 1;
        seen_hi += top == INT64_MAX;
    }
    ck_assert(seen_lo > 400 && seen_hi > 400);
    /* Full span: both signs appear, and it is INT64_MIN + the raw draw. */
    int negative = 0;
    for (int i = 0; i < 1000; i++) {
        sim_rng copy = r;
        uint64_t raw = sim_rng_next(&copy);
        int64_t v = sim_rng_range(&r, INT64_MIN, INT64_MAX);
        ck_assert_uint_eq((uint64_t)v, raw ^ (UINT64_C(1) << 63));
        negative += v < 0;
    }
    ck_assert(negative > 400 && negative < 600);
}
END_TEST

START_TEST(test_prob_limits)
{
    ck_assert_uint_eq(sim_prob_from_double(0.0), 0u);
    ck_assert_uint_eq(sim_prob_from_double(-1.0), 0u);
    ck_assert_uint_eq(sim_prob_from_double(NAN), 0u);
    ck_assert_uint_eq(sim_prob_from_double(1e-30), 0u);
    ck_assert_uint_eq(sim_prob_from_double(0.5), UINT64_C(1) << 63);
    ck_assert_uint_eq(sim_prob_from_double(0.25), UINT64_C(1) << 62);
    ck_assert_uint_eq(sim_prob_from_double(1.0 - DBL_EPSILON / 2), UINT64_MAX - 2047);
    ck_assert_uint_eq(sim_prob_from_double(1.0), SIM_PROB_ALWAYS);
    ck_assert_uint_eq(sim_prob_from_double(2.0), SIM_PROB_ALWAYS);
    ck_assert_double_eq(sim_prob_to_double(SIM_PROB_ALWAYS), 1.0);
    ck_assert_double_eq(sim_prob_to_double(0), 0.0);
    ck_assert_double_eq(sim_prob_to_double(UINT64_C(1) << 63), 0.5);
    ck_assert_double_eq(sim_prob_to_double(sim_prob_from_double(0.05)), 0.05);

    sim_rng r, shadow;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_FAULTS, 1);
    shadow = r;
    for (int i = 0; i < 10000; i++) {
        ck_assert(!sim_rng_chance(&r, 0));
        ck_assert(sim_rng_chance(&r, SIM_PROB_ALWAYS));
    }
    /* Exactly one draw per decision, whatever p is: the stream stays aligned. */
    for (int i = 0; i < 20000; i++)
        sim_rng_next(&shadow);
    ck_assert_mem_eq(&r, &shadow, sizeof r);
}
END_TEST

START_TEST(test_dist_limits)
{
    sim_rng r;
    sim_rng_seed(&r, seeds[_i], SIM_STREAM_NODE, 11);
    sim_dist zero = sim_dist_constant(0), point = sim_dist_uniform(5, 5);
    sim_dist flat = sim_dist_normal(777, 0), near0 = sim_dist_normal(0, 1000);
    sim_dist huge_exp = sim_dist_exponential(INT64_MAX);
    sim_dist wild = sim_dist_pareto(1000, 1e-300, 0);
    sim_dist wild_cap = sim_dist_pareto(1000, 1e-300, 5000);
    int zeros = 0;
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(sim_dist_draw(&zero, &r), 0);
        ck_assert_int_eq(sim_dist_draw(&point, &r), 5);
        ck_assert_int_eq(sim_dist_draw(&flat, &r), 777);
        int64_t x = sim_dist_draw(&near0, &r);
        ck_assert_int_ge(x, 0);                 /* clamped, never negative */
        zeros += x == 0;
        ck_assert_int_ge(sim_dist_draw(&huge_exp, &r), 0);
        ck_assert_int_eq(sim_dist_draw(&wild, &r), INT64_MAX);
        ck_assert_int_eq(sim_dist_draw(&wild_cap, &r), 5000);
    }
    ck_assert(zeros > 400 && zeros < 600);      /* half the mass sits at 0 */
}
END_TEST

START_TEST(test_detmath_limits)
{
    ck_assert_double_eq(sim_det_log(1.0), 0.0);
    ck_assert(isinf(sim_det_log(0.0)) && sim_det_log(0.0) < 0);
    ck_assert(isinf(sim_det_log(INFINITY)) && sim_det_log(INFINITY) > 0);
    assert_close(sim_det_log(DBL_MAX), log(DBL_MAX), DBL_MAX);
    assert_close(sim_det_log(DBL_MIN), log(DBL_MIN), DBL_MIN);
    assert_close(sim_det_log(0x1.0p-1074), log(0x1.0p-1074), 0x1.0p-1074);
    ck_assert_double_eq(sim_det_exp(0.0), 1.0);
    ck_assert_double_eq(sim_det_exp(-0.0), 1.0);
    ck_assert(isinf(sim_det_exp(710.0)));
    ck_assert(isinf(sim_det_exp(INFINITY)));
    ck_assert_double_eq(sim_det_exp(-746.0), 0.0);
    ck_assert_double_eq(sim_det_exp(-INFINITY), 0.0);
    ck_assert(isfinite(sim_det_exp(709.78)));
    assert_close(sim_det_exp(709.78), exp(709.78), 709.78);
    assert_close(sim_det_exp(-708.0), exp(-708.0), -708.0);   /* just above DBL_MIN */
    assert_close(sim_det_exp(-744.0), exp(-744.0), -744.0);   /* deep subnormal */
}
END_TEST

/* ---- faults ---------------------------------------------------------------------- */

START_TEST(test_dist_validate_rejects)
{
    sim_dist bad_kind = sim_dist_constant(1);
    bad_kind.kind = (sim_dist_kind)99;
    const sim_dist bad[] = {
        sim_dist_constant(-1), sim_dist_uniform(-1, 5), sim_dist_uniform(10, 5),
        sim_dist_normal(-1, 5), sim_dist_normal(5, -1), sim_dist_exponential(-1),
        sim_dist_pareto(-1, 1.5, 0), sim_dist_pareto(1000, 0.0, 0), sim_dist_pareto(1000, -1.0, 0),
        sim_dist_pareto(1000, NAN, 0), sim_dist_pareto(1000, INFINITY, 0),
        sim_dist_pareto(1000, 1.5, -1), sim_dist_pareto(1000, 1.5, 999),
        sim_dist_lognormal(-1, 0.5), sim_dist_lognormal(1000, 0.0), sim_dist_lognormal(1000, NAN),
        bad_kind,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(sim_dist_validate(&bad[i]) == SIM_EINVAL, "case %zu accepted", i);
    ck_assert_int_eq(sim_dist_validate(NULL), SIM_EINVAL);
    const sim_dist good[] = {
        sim_dist_constant(0), sim_dist_uniform(5, 5), sim_dist_normal(0, 0),
        sim_dist_exponential(0), sim_dist_pareto(1000, 1.5, 1000), sim_dist_lognormal(0, 1),
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(sim_dist_validate(&good[i]) == SIM_OK, "case %zu rejected", i);
}
END_TEST

START_TEST(test_detmath_bad_input)
{
    ck_assert(isnan(sim_det_log(-1.0)));
    ck_assert(isnan(sim_det_log(-INFINITY)));
    ck_assert(isnan(sim_det_log(NAN)));
    ck_assert(isnan(sim_det_exp(NAN)));
}
END_TEST

START_TEST(test_dist_format_faults)
{
    char buf[8] = "xxxxxxx";
    sim_dist bad = sim_dist_uniform(10, 5), ok = sim_dist_uniform(1000000, 20000000);
    ck_assert_int_eq(sim_dist_format(&bad, buf, sizeof buf), SIM_EINVAL);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(sim_dist_format(&ok, buf, sizeof buf), SIM_EINVAL);   /* cut short */
    ck_assert_str_eq(buf, "uniform");
    ck_assert_int_eq(sim_dist_format(&ok, buf, 0), SIM_EINVAL);
    ck_assert_int_eq(sim_dist_format(&ok, NULL, 8), SIM_EINVAL);
}
END_TEST

/* Misuse is an invariant failure (SIM_ASSERT aborts), not a silent wrong answer. */
START_TEST(test_below_zero_aborts)
{
    sim_rng r;
    sim_rng_seed(&r, 1, 1, 1);
    sim_rng_below(&r, 0);
}
END_TEST

START_TEST(test_range_reversed_aborts)
{
    sim_rng r;
    sim_rng_seed(&r, 1, 1, 1);
    sim_rng_range(&r, 5, 4);
}
END_TEST

START_TEST(test_draw_invalid_aborts)
{
    sim_rng r;
    sim_rng_seed(&r, 1, 1, 1);
    sim_dist bad = sim_dist_uniform(10, 5);
    sim_dist_draw(&bad, &r);
}
END_TEST

Suite *rng_suite(void);

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");

    TCase *core = tcase_create("core");
    tcase_add_test(core, test_xoshiro_reference);
    tcase_add_test(core, test_splitmix_reference);
    tcase_add_test(core, test_golden_streams);
    tcase_add_test(core, test_golden_dist);
    tcase_add_test(core, test_golden_detmath);
    tcase_add_loop_test(core, test_seed_is_pure, 0, N_SEEDS);
    tcase_add_loop_test(core, test_streams_differ, 0, N_SEEDS);
    tcase_add_loop_test(core, test_draws_do_not_leak, 0, N_SEEDS);
    tcase_add_loop_test(core, test_streams_uncorrelated, 0, N_SEEDS);
    tcase_add_loop_test(core, test_uniform_stats, 0, N_SEEDS);
    tcase_add_loop_test(core, test_normal_stats, 0, N_SEEDS);
    tcase_add_loop_test(core, test_exponential_stats, 0, N_SEEDS);
    tcase_add_loop_test(core, test_pareto_lognormal_stats, 0, N_SEEDS);
    tcase_add_loop_test(core, test_chance_frequency, 0, N_SEEDS);
    tcase_add_loop_test(core, test_below_unbiased, 0, N_SEEDS);
    tcase_add_loop_test(core, test_det_log_vs_libm, 0, N_SEEDS);
    tcase_add_loop_test(core, test_det_exp_vs_libm, 0, N_SEEDS);
    tcase_add_test(core, test_dist_format);
    suite_add_tcase(s, core);

    TCase *limits = tcase_create("limits");
    tcase_add_loop_test(limits, test_below_and_range_limits, 0, N_SEEDS);
    tcase_add_loop_test(limits, test_prob_limits, 0, N_SEEDS);
    tcase_add_loop_test(limits, test_dist_limits, 0, N_SEEDS);
    tcase_add_test(limits, test_detmath_limits);
    suite_add_tcase(s, limits);

    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, test_dist_validate_rejects);
    tcase_add_test(faults, test_detmath_bad_input);
    tcase_add_test(faults, test_dist_format_faults);
    tcase_add_test_raise_signal(faults, test_below_zero_aborts, SIGABRT);
    tcase_add_test_raise_signal(faults, test_range_reversed_aborts, SIGABRT);
    tcase_add_test_raise_signal(faults, test_draw_invalid_aborts, SIGABRT);
    suite_add_tcase(s, faults);
    return s;
}
