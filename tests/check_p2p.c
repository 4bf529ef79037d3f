/*
 * Tests of the peer-to-peer systems: Kademlia's XOR metric and routing table
 * (closest() against a brute-force sort of the same table, invariant K1 after a
 * run), and the one-line errors for bad parameters.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "sim/systems/kademlia/kademlia_system.h"
#include "tests/cli.h"

START_TEST(test_xor_metric)
{
    kad_id a = kad_id_of(1, 7), b = kad_id_of(2, 7), t = kad_id_of(3, 7);
    ck_assert_int_eq(kad_common_prefix(a, a), KAD_ID_BITS);
    ck_assert_int_eq(kad_cmp(kad_xor(a, b), kad_xor(b, a)), 0);
    ck_assert_int_eq(kad_closer(t, a, b), -kad_closer(t, b, a));
    ck_assert_int_eq(kad_closer(t, t, a), -1);
    sim_rng r;
    sim_rng_seed(&r, 1, 2, 3);
    for (int bucket = 0; bucket < KAD_ID_BITS; bucket += 7)
        ck_assert_int_eq(kad_common_prefix(a, kad_random_in_bucket(a, bucket, &r)), bucket);
}
END_TEST

static kad_id sort_target;
static uint64_t sort_salt;
static int cmp_addr(const void *x, const void *y)
{
    return kad_closer(sort_target, kad_id_of(*(const uint32_t *)x, sort_salt), kad_id_of(*(const uint32_t *)y, sort_salt));
}

START_TEST(test_closest_matches_brute_force)
{
    sim_options so = { 5, 0, 0 };
    sim *s = sim_create(&so);
    kademlia_config *c = calloc(1, sizeof(*c));
    char err[128];
    ck_assert_int_eq(kademlia_parse(NULL, c, err, sizeof err), 0);
    c->kad.k = 6;
    c->kad.stats = &c->stats;
    for (int i = 0; i < 200; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", i + 1);
        ck_assert_int_eq(sim_node_add(s, name, kademlia_program_get(), c, 0, NULL), 0);
    }
    sim_run_until(s, 60 * SIM_NS_PER_S);
    for (sim_node_id id = 0; id < 200; id += 17) {
        const kad_state *st = sim_node_state(s, id);
        ck_assert(kad_state_valid(st));
        uint32_t all[4096], n = 0;
        for (uint32_t b = 0; b < st->nb; b++)
            for (int i = 0; i < st->buckets[b].count; i++) all[n++] = st->slots[b * st->cfg->k + i];
        ck_assert_uint_gt(n, 10);
        sim_rng r;
        sim_rng_seed(&r, 9, id, 1);
        for (int t = 0; t < 50; t++) {
            sort_target = kad_id_of((sim_node_id)sim_rng_below(&r, 1000000), 99);
            sort_salt = c->kad.salt;
            qsort(all, n, sizeof all[0], cmp_addr);
            uint32_t got[64];
            uint32_t m = kad_table_closest(st, sort_target, got, 20);
            ck_assert_uint_eq(m, n < 20 ? n : 20);
            for (uint32_t i = 0; i < m; i++) ck_assert_uint_eq(got[i], all[i]);
        }
    }
    sim_destroy(s);
    free(c);
}
END_TEST

static void expect_one_line_error(const char *scenario, const char *needle)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/dsim-p2p-%ld.lua", (long)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(scenario, f);
    fclose(f);
    char args[128];
    snprintf(args, sizeof args, "run %s", path);
    cli_result r = cli_run(args);
    unlink(path);
    ck_assert_int_ne(r.code, 0);
    ck_assert_msg(strstr(r.err, needle) != NULL, "stderr: %s", r.err);
    ck_assert_ptr_null(strchr(r.err, '\n') == NULL ? NULL : strchr(strchr(r.err, '\n') + 1, '\n'));
    free(r.out);
    free(r.err);
}

START_TEST(test_bad_parameters)
{
    expect_one_line_error("local dsim = require 'dsim'\ndsim.cluster{ system = 'kademlia', count = 3, k = 0 }\n",
                          "option 'k' must be an integer in 1..64");
    expect_one_line_error("local dsim = require 'dsim'\ndsim.cluster{ system = 'kademlia', count = 3, alpha = 0 }\n",
                          "option 'alpha'");
    expect_one_line_error("local dsim = require 'dsim'\ndsim.cluster{ system = 'kademlia', count = 3, lookups = 1 }\n",
                          "unknown option 'lookups'");
    expect_one_line_error("local dsim = require 'dsim'\ndsim.cluster{ system = 'bittorrent', tracker = 't', file_size = 1000, piece_size = 4096 }\n",
                          "option 'piece_size' (4096) must not exceed file_size (1000)");
    expect_one_line_error("local dsim = require 'dsim'\ndsim.cluster{ system = 'bittorrent', tracker = 't', behaviour = 'lurker' }\n",
                          "option 'behaviour' must be leave, stay, free_rider or corrupt, got 'lurker'");
}
END_TEST

Suite *p2p_suite(void);
Suite *p2p_suite(void)
{
    Suite *s = suite_create("p2p");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_xor_metric);
    tcase_add_test(core, test_closest_matches_brute_force);
    suite_add_tcase(s, core);
    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, test_bad_parameters);
    suite_add_tcase(s, faults);
    return s;
}
