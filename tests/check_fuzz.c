/*
 * The fuzz targets' inputs as regression tests: every file in tests/fuzz/trace/
 * and tests/fuzz/codec/ (the seeds, and each crash `make fuzz` ever found, kept
 * after its fix) through the same entry points libFuzzer calls. Under
 * `make test SANITIZE=1` a memory error in any of them fails the suite.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_codec.c"
#include "tests/fuzz/fuzz_trace.c"

/* Runs fn on every regular file of dir; returns how many. */
static int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_msg(f != NULL, "cannot read %s", path);
        uint8_t *buf = malloc(1 << 20);
        size_t len = fread(buf, 1, 1 << 20, f);
        fclose(f);
        fn(buf, len);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

START_TEST(test_trace_inputs)
{
    ck_assert_int_ge(replay_dir("tests/fuzz/trace", fuzz_trace), 5);
}
END_TEST

START_TEST(test_codec_inputs)
{
    ck_assert_int_ge(replay_dir("tests/fuzz/codec", fuzz_codec), 5);
    fuzz_codec_done();
}
END_TEST

/* A few thousand generated inputs besides the files: cheap, and they reach
 * the odd corners (deep nesting, bad keys, cycles) on every run. */
START_TEST(test_codec_generated)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    uint8_t buf[64];
    for (int i = 0; i < 3000; i++) {
        for (size_t j = 0; j < sizeof(buf); j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[j] = (uint8_t)x;
        }
        buf[0] |= 1;
        fuzz_codec(buf, (size_t)(x % sizeof(buf)) + 1);
    }
    fuzz_codec_done();
}
END_TEST

Suite *fuzz_suite(void);

Suite *fuzz_suite(void)
{
    Suite *s = suite_create("fuzz");
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_trace_inputs);
    tcase_add_test(tc, test_codec_inputs);
    tcase_add_test(tc, test_codec_generated);
    suite_add_tcase(s, tc);
    return s;
}
