/*
 * Tests of SHA-256 (sim/sha256.h) against the FIPS 180-2 / NIST example vectors:
 * "abc", the empty string, the 448-bit two-block message, the 896-bit message and
 * one million 'a'. Streaming in every split of a message must equal the one-shot
 * digest (the partial-block path), and a one-bit change must change the digest.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "sim/sha256.h"

static void hex_of(const void *data, size_t len, char out[SIM_SHA256_HEX])
{
    uint8_t d[SIM_SHA256_BYTES];
    sim_sha256(data, len, d);
    sim_sha256_hex(d, out);
}

START_TEST(test_fips_vectors)
{
    char h[SIM_SHA256_HEX];
    hex_of("abc", 3, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("", 0, h);
    ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(m448, strlen(m448), h);
    ck_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    hex_of(m896, strlen(m896), h);
    ck_assert_str_eq(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

START_TEST(test_million_a)
{
    static uint8_t chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    sim_sha256_ctx c;
    sim_sha256_init(&c);
    for (int i = 0; i < 1000; i++) sim_sha256_update(&c, chunk, sizeof chunk);
    uint8_t d[SIM_SHA256_BYTES];
    char h[SIM_SHA256_HEX];
    sim_sha256_final(&c, d);
    sim_sha256_hex(d, h);
    ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(test_streaming_splits)
{
    uint8_t msg[200];
    for (int i = 0; i < 200; i++) msg[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof msg; len += 13) {
        uint8_t whole[SIM_SHA256_BYTES];
        sim_sha256(msg, len, whole);
        for (size_t cut = 0; cut <= len; cut++) {
            sim_sha256_ctx c;
            uint8_t d[SIM_SHA256_BYTES];
            sim_sha256_init(&c);
            sim_sha256_update(&c, msg, cut);
            sim_sha256_update(&c, msg + cut, len - cut);
            sim_sha256_final(&c, d);
            ck_assert_mem_eq(d, whole, SIM_SHA256_BYTES);
        }
    }
}
END_TEST

START_TEST(test_padding_boundaries)
{
    /* Lengths 55, 56 and 64 straddle the one-or-two final block decision. */
    static const struct { size_t len; const char *hex; } v[] = {
        { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
        { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
        { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
    };
    uint8_t a[64];
    memset(a, 'a', sizeof a);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char h[SIM_SHA256_HEX];
        hex_of(a, v[i].len, h);
        ck_assert_str_eq(h, v[i].hex);
    }
}
END_TEST

START_TEST(test_one_bit_changes_digest)
{
    uint8_t m[64] = { 0 }, d1[SIM_SHA256_BYTES], d2[SIM_SHA256_BYTES];
    sim_sha256(m, sizeof m, d1);
    m[63] ^= 1;
    sim_sha256(m, sizeof m, d2);
    ck_assert(memcmp(d1, d2, SIM_SHA256_BYTES) != 0);
}
END_TEST

Suite *sha256_suite(void);
Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_fips_vectors);
    tcase_add_test(core, test_million_a);
    tcase_add_test(core, test_streaming_splits);
    tcase_add_test(core, test_padding_boundaries);
    tcase_add_test(core, test_one_bit_changes_digest);
    suite_add_tcase(s, core);
    return s;
}
