/*
 * Tests of the human-unit parsers and printers (sim/units.h): every parser's accepted
 * and rejected inputs, exactness of decimal fractions, overflow edges, and the
 * round trip duration -> text -> duration.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "sim/errors.h"
#include "sim/rng.h"
#include "sim/units.h"

#define NS_S INT64_C(1000000000)

/* ---- core: accepted inputs -------------------------------------------------------- */

START_TEST(test_duration_parse_ok)
{
    static const struct { const char *text; int64_t ns; } ok[] = {
        { "5ms", 5000000 }, { "1.5s", 1500000000 }, { "250us", 250000 }, { "10ns", 10 },
        { "2m", 120 * NS_S }, { "1h", 3600 * NS_S }, { "0", 0 }, { "0s", 0 }, { "0.0", 0 },
        { "0.1s", 100000000 }, { "1.5m", 90 * NS_S }, { "2min", 120 * NS_S },
        { "5\xC2\xB5s", 5000 }, { "6\xCE\xBCs", 6000 }, { "0.000000001s", 1 },
        { "1.000000000000s", NS_S },
        { "0.000000000005h", 18 }, { "007ms", 7000000 }, { "0.25ms", 250000 },
        { "9223372036854775807ns", INT64_MAX }, { "9223372036.854775807s", INT64_MAX },
        { "2562047h", INT64_C(2562047) * 3600 * NS_S },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ns = -1;
        ck_assert_msg(sim_duration_parse(ok[i].text, &ns) == SIM_OK, "rejected '%s'", ok[i].text);
        ck_assert_msg(ns == ok[i].ns, "'%s' gave %lld", ok[i].text, (long long)ns);
    }
}
END_TEST

START_TEST(test_duration_format_ok)
{
    static const struct { int64_t ns; const char *text; } ok[] = {
        { 0, "0s" }, { 1500000000, "1.5s" }, { 250000, "250us" }, { 90 * NS_S, "90s" },
        { 3600 * NS_S, "1h" }, { 5400 * NS_S, "90m" }, { 60 * NS_S, "1m" },
        { 100000000, "100ms" }, { 1, "1ns" }, { 1500000, "1.5ms" }, { NS_S, "1s" },
        { 1000001, "1000001ns" }, { 1001000, "1001us" }, { 123456789, "123456789ns" },
        { -5000000, "-5ms" },
        { INT64_MAX, "9223372036.854775807s" }, { INT64_MIN, "-9223372036.854775808s" },
    };
    char buf[32];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ck_assert_int_eq(sim_duration_format(ok[i].ns, buf, sizeof buf), SIM_OK);
        ck_assert_str_eq(buf, ok[i].text);
    }
}
END_TEST

START_TEST(test_duration_round_trip)
{
    sim_rng r;
    sim_rng_seed(&r, (uint64_t)_i, SIM_STREAM_SCENARIO, 0);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        /* Mix magnitudes: scale a random value down by a random number of bits. */
        int64_t ns = (int64_t)(sim_rng_next(&r) >> (1 + sim_rng_below(&r, 63)));
        if (i % 3 == 0)
            ns -= ns % 1000;   /* round numbers exercise the larger units */
        int64_t back = -1;
        ck_assert_int_eq(sim_duration_format(ns, buf, sizeof buf), SIM_OK);
        ck_assert_msg(sim_duration_parse(buf, &back) == SIM_OK && back == ns,
                      "%lld -> '%s' -> %lld", (long long)ns, buf, (long long)back);
    }
}
END_TEST

START_TEST(test_rate_parse_ok)
{
    static const struct { const char *text; double per_s; } ok[] = {
        { "200/s", 200 }, { "5/ms", 5000 }, { "10/min", 10.0 / 60 }, { "10/m", 10.0 / 60 },
        { "1.5/s", 1.5 }, { "3600/h", 1 }, { "0/s", 0 }, { "2/us", 2e6 }, { "1/ns", 1e9 },
        { "0.1/s", 0.1 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        ck_assert_msg(sim_rate_parse(ok[i].text, &v) == SIM_OK, "rejected '%s'", ok[i].text);
        ck_assert_double_eq(v, ok[i].per_s);   /* exact: correctly rounded */
    }
}
END_TEST

START_TEST(test_prob_parse_ok)
{
    static const struct { const char *text; double p; } ok[] = {
        { "0.05", 0.05 }, { "5%", 0.05 }, { "0", 0 }, { "1", 1 }, { "100%", 1 },
        { "0.5%", 0.005 }, { "1.0", 1 }, { "0%", 0 }, { "0.333", 0.333 }, { "12.5%", 0.125 },
        { "0.3%", 0.003 }, { "7%", 0.07 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        ck_assert_msg(sim_prob_parse(ok[i].text, &v) == SIM_OK, "rejected '%s'", ok[i].text);
        ck_assert_double_eq(v, ok[i].p);
    }
}
END_TEST

START_TEST(test_bytes_parse_ok)
{
    static const struct { const char *text; uint64_t bytes; } ok[] = {
        { "64", 64 }, { "64B", 64 }, { "4KB", 4000 }, { "4kB", 4000 }, { "4KiB", 4096 },
        { "1.5KiB", 1536 }, { "2MiB", 2097152 }, { "1GB", 1000000000 },
        { "1TiB", UINT64_C(1) << 40 }, { "0", 0 }, { "0.5KB", 500 },
        { "3TB", UINT64_C(3000000000000) },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 1;
        ck_assert_msg(sim_bytes_parse(ok[i].text, &v) == SIM_OK, "rejected '%s'", ok[i].text);
        ck_assert_uint_eq(v, ok[i].bytes);
    }
}
END_TEST

START_TEST(test_bandwidth_parse_ok)
{
    static const struct { const char *text; uint64_t bps; } ok[] = {
        { "10MB/s", 10000000 }, { "1Gbit/s", 125000000 }, { "100Mbps", 12500000 },
        { "64KiB/s", 65536 }, { "8kbps", 1000 }, { "1B/s", 1 }, { "8bit/s", 1 },
        { "1.5GB/s", 1500000000 }, { "0B/s", 0 }, { "2.5Gbps", 312500000 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 1;
        ck_assert_msg(sim_bandwidth_parse(ok[i].text, &v) == SIM_OK, "rejected '%s'", ok[i].text);
        ck_assert_uint_eq(v, ok[i].bps);
    }
}
END_TEST

START_TEST(test_seed_parse_ok)
{
    static const struct { const char *text; uint64_t seed; } ok[] = {
        { "0", 0 }, { "42", 42 }, { "0x2A", 42 }, { "0X2a", 42 }, { "007", 7 },
        { "18446744073709551615", UINT64_MAX }, { "0xFFFFFFFFFFFFFFFF", UINT64_MAX },
        { "0x000000000000000000001", 1 }, { "0xdeadBEEF", 0xDEADBEEFu },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 1;
        ck_assert_msg(sim_seed_parse(ok[i].text, &v) == SIM_OK, "rejected '%s'", ok[i].text);
        ck_assert_uint_eq(v, ok[i].seed);
    }
}
END_TEST

/* ---- limits: the last value that fits and the first that does not ---------------- */

START_TEST(test_overflow_edges)
{
    int64_t ns = 7;
    uint64_t u = 7;
    ck_assert_int_eq(sim_duration_parse("9223372036854775808ns", &ns), SIM_EINVAL);
    ck_assert_int_eq(sim_duration_parse("9223372036.854775808s", &ns), SIM_EINVAL);
    ck_assert_int_eq(sim_duration_parse("2562048h", &ns), SIM_EINVAL);
    ck_assert_int_eq(sim_duration_parse("99999999999999999999s", &ns), SIM_EINVAL);
    ck_assert_int_eq(sim_duration_parse("0.00000000000000000000000000001s", &ns), SIM_EINVAL);
    ck_assert_int_eq(ns, 7);   /* untouched on error */
    ck_assert_int_eq(sim_seed_parse("18446744073709551616", &u), SIM_EINVAL);
    ck_assert_int_eq(sim_seed_parse("0x10000000000000000", &u), SIM_EINVAL);
    ck_assert_int_eq(sim_bytes_parse("18446744073709551616", &u), SIM_EINVAL);
    ck_assert_int_eq(sim_bytes_parse("16777216TiB", &u), SIM_EINVAL);   /* 2^64 */
    ck_assert_uint_eq(u, 7u);
    ck_assert_int_eq(sim_bytes_parse("16777215TiB", &u), SIM_OK);
    ck_assert_uint_eq(u, UINT64_C(16777215) << 40);
    ck_assert_int_eq(sim_bytes_parse("18446744073709551615", &u), SIM_OK);
    ck_assert_uint_eq(u, UINT64_MAX);
    ck_assert_int_eq(sim_bandwidth_parse("2000000000GB/s", &u), SIM_OK);
    ck_assert_uint_eq(u, UINT64_C(2000000000000000000));
    ck_assert_int_eq(sim_bandwidth_parse("3000000000GB/s", &u), SIM_EINVAL);
    double p = 0.5;
    ck_assert_int_eq(sim_prob_parse("1.0000000001", &p), SIM_EINVAL);
    ck_assert_int_eq(sim_prob_parse("100.0001%", &p), SIM_EINVAL);
    ck_assert_int_eq(sim_prob_parse("99999999999999999999", &p), SIM_EINVAL);
    ck_assert_double_eq(p, 0.5);
}
END_TEST

START_TEST(test_duration_format_buffers)
{
    char buf[4] = "xyz";
    ck_assert_int_eq(sim_duration_format(1500000000, buf, sizeof buf), SIM_EINVAL);
    ck_assert_str_eq(buf, "1.5");   /* cut short but terminated */
    ck_assert_int_eq(sim_duration_format(5, buf, sizeof buf), SIM_OK);
    ck_assert_str_eq(buf, "5ns");
    ck_assert_int_eq(sim_duration_format(5, buf, 0), SIM_EINVAL);
    ck_assert_int_eq(sim_duration_format(5, NULL, 4), SIM_EINVAL);
}
END_TEST

/* ---- faults: junk is refused ------------------------------------------------------- */

static void assert_all_rejected(const char *const *bad, size_t count,
                                int (*parse)(const char *, void *), const char *what)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t out[2] = { 0x5555, 0x5555 };   /* big enough for every out type */
        ck_assert_msg(parse(bad[i], out) == SIM_EINVAL, "%s accepted '%s'", what, bad[i]);
        ck_assert_msg(out[0] == 0x5555, "%s wrote on error for '%s'", what, bad[i]);
    }
}

static int duration_any(const char *t, void *o) { return sim_duration_parse(t, o); }
static int rate_any(const char *t, void *o) { return sim_rate_parse(t, o); }
static int prob_any(const char *t, void *o) { return sim_prob_parse(t, o); }
static int bytes_any(const char *t, void *o) { return sim_bytes_parse(t, o); }
static int bandwidth_any(const char *t, void *o) { return sim_bandwidth_parse(t, o); }
static int seed_any(const char *t, void *o) { return sim_seed_parse(t, o); }

#define REJECT_ALL(list, fn) assert_all_rejected(list, sizeof list / sizeof list[0], fn, #fn)

START_TEST(test_junk_rejected)
{
    static const char *const durations[] = {
        "-5ms", "1.5", "5", "abc", "", "5 ms", " 5ms", "5ms ", "5MS", "5.ms", ".5s", "1.5ns",
        "0x", "5s5", "+5ms", "1e3ns", "5mss", "ms", "0.0000000001s", "5%", "1,5s", "5d",
    };
    static const char *const rates[] = {
        "200", "-5/s", "abc", "/s", "5/x", "5/ s", "5/", "", "5 /s", "5/S", "5per s", "1e3/s",
    };
    static const char *const probs[] = {
        "5%%", "150%", "-0.1", "1.5", "abc", "", "%", "0.05 ", "5 %", "0.5.5", "1/2", "2",
    };
    static const char *const bytes[] = {
        "1.5B", "4kb", "-1", "abc", "", "4 KB", "1.5", "4K", "KB", "0x10", "1.0001KB",
    };
    static const char *const bandwidths[] = {
        "1bit/s", "10MB", "10", "-1MB/s", "abc", "", "10mb/s", "10 MB/s", "10MB/ms", "1bps",
    };
    static const char *const seeds[] = {
        "0x", "18446744073709551616", "-1", "abc", "", " 1", "1 ", "0xg", "+1", "1.5",
        "0x-1", "0x 1", "1e3", "x10", "0b101",
    };
    REJECT_ALL(durations, duration_any);
    REJECT_ALL(rates, rate_any);
    REJECT_ALL(probs, prob_any);
    REJECT_ALL(bytes, bytes_any);
    REJECT_ALL(bandwidths, bandwidth_any);
    REJECT_ALL(seeds, seed_any);
}
END_TEST

START_TEST(test_null_text_rejected)
{
    int64_t ns;
    double d;
    uint64_t u;
    ck_assert_int_eq(sim_duration_parse(NULL, &ns), SIM_EINVAL);
    ck_assert_int_eq(sim_rate_parse(NULL, &d), SIM_EINVAL);
    ck_assert_int_eq(sim_prob_parse(NULL, &d), SIM_EINVAL);
    ck_assert_int_eq(sim_bytes_parse(NULL, &u), SIM_EINVAL);
    ck_assert_int_eq(sim_bandwidth_parse(NULL, &u), SIM_EINVAL);
    ck_assert_int_eq(sim_seed_parse(NULL, &u), SIM_EINVAL);
}
END_TEST

Suite *units_suite(void);

Suite *units_suite(void)
{
    Suite *s = suite_create("units");

    TCase *core = tcase_create("core");
    tcase_add_test(core, test_duration_parse_ok);
    tcase_add_test(core, test_duration_format_ok);
    tcase_add_loop_test(core, test_duration_round_trip, 0, 4);
    tcase_add_test(core, test_rate_parse_ok);
    tcase_add_test(core, test_prob_parse_ok);
    tcase_add_test(core, test_bytes_parse_ok);
    tcase_add_test(core, test_bandwidth_parse_ok);
    tcase_add_test(core, test_seed_parse_ok);
    suite_add_tcase(s, core);

    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_overflow_edges);
    tcase_add_test(limits, test_duration_format_buffers);
    suite_add_tcase(s, limits);

    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, test_junk_rejected);
    tcase_add_test(faults, test_null_text_rejected);
    suite_add_tcase(s, faults);
    return s;
}
