/*
 * The blockchain system's pieces, apart from the network: the outpoint map
 * against a plain array, transaction bytes and their malformed forms, Merkle
 * proofs checked as a light client would (the leaf, the branch and the root of
 * a header, nothing else), signatures that only their owner can make, and the
 * options refused with the parameter named.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "sim/systems/blockchain/blockchain.h"
#include "sim/systems/system.h"

static bc_outpoint outpoint(uint32_t i)
{
    bc_outpoint op;
    memset(&op, 0, sizeof(op));
    bc_sha256d(&i, sizeof(i), &op.txid);
    op.index = i % 3;
    return op;
}

START_TEST(map_matches_array)
{
    bc_map m = { 0 };
    enum { N = 3000 };
    static bool in[N];
    memset(in, 0, sizeof(in));
    sim_rng r;
    sim_rng_seed(&r, 7, 1, 2);
    for (int step = 0; step < 20000; step++) {
        uint32_t k = (uint32_t)sim_rng_below(&r, N);
        bc_outpoint op = outpoint(k);
        if (sim_rng_below(&r, 2)) {
            bc_map_put(&m, &op, &(bc_out){ k, k, 0 });
            in[k] = true;
        } else {
            ck_assert_int_eq(bc_map_del(&m, &op), in[k]);
            in[k] = false;
        }
    }
    size_t count = 0;
    for (uint32_t k = 0; k < N; k++) {
        bc_outpoint op = outpoint(k);
        const bc_out *v = bc_map_get(&m, &op);
        ck_assert_int_eq(v != NULL, in[k]);
        if (v) ck_assert_int_eq(v->amount, k);
        count += in[k];
    }
    ck_assert_uint_eq(m.count, count);
    bc_map_free(&m);
}
END_TEST

START_TEST(tx_round_trip_and_malformed)
{
    bc_tx tx = { .signer = 3, .nonce = 9, .nin = 2, .nout = 2 };
    tx.in[0] = outpoint(1);
    tx.in[1] = outpoint(2);
    tx.out[0] = (bc_out){ 5, 1, 0 };
    tx.out[1] = (bc_out){ 7, 3, 0 };
    bc_tx_finish(&tx);
    uint8_t buf[BC_TX_BYTES_MAX];
    size_t n = bc_tx_encode(&tx, buf), used;
    bc_tx back;
    const char *why = NULL;
    ck_assert_uint_eq(bc_tx_decode(buf, n, &back, &why), n);
    ck_assert_mem_eq(back.id.b, tx.id.b, 32);
    for (size_t cut = 0; cut < n; cut++) {
        used = bc_tx_decode(buf, cut, &back, &why);
        ck_assert_uint_eq(used, 0);
        ck_assert_ptr_nonnull(strstr(why, "malformed transaction"));
    }
    buf[8] = BC_IN_MAX + 1;
    ck_assert_uint_eq(bc_tx_decode(buf, n, &back, &why), 0);
    ck_assert_str_eq(why, "malformed transaction (input or output count)");
}
END_TEST

/* A light client holds the header's Merkle root only: every leaf of trees of
 * 1..17 transactions proves itself, and no other hash does. */
START_TEST(merkle_proofs)
{
    bc_tx txs[17];
    memset(txs, 0, sizeof(txs));
    for (uint32_t i = 0; i < 17; i++) { txs[i].nonce = i; txs[i].nout = 1; bc_tx_finish(&txs[i]); }
    for (uint32_t n = 1; n <= 17; n++) {
        bc_hash root, branch[32];
        bc_merkle_root(txs, n, &root);
        for (uint32_t i = 0; i < n; i++) {
            size_t len = bc_merkle_branch(txs, n, i, branch);
            ck_assert(bc_merkle_verify(&txs[i].id, i, branch, len, &root));
            bc_hash other = txs[(i + 1) % 17].id;
            if (n > 1 || i != 16) ck_assert(!bc_merkle_verify(&other, i, branch, len, &root));
        }
    }
}
END_TEST

static bc_hash signed_by_a;

static void sign_at_start(sim_node *node, void *state)
{
    bc_hash msg;
    bc_sha256d("pay", 3, &msg);
    bc_sign(node, &msg, &signed_by_a);
}

static const sim_program signer = { .name = "signer", .start = sign_at_start };
static const sim_program idle = { .name = "idle" };

START_TEST(signatures_only_by_the_owner)
{
    sim_options o = { .seed = 11 };
    sim *s = sim_create(&o);
    sim_node_id a, b;
    ck_assert_int_eq(sim_node_add(s, "a", &signer, NULL, 1, &a), 0);
    ck_assert_int_eq(sim_node_add(s, "b", &idle, NULL, 1, &b), 0);
    bc_hash msg, forged;
    bc_sha256d("pay", 3, &msg);
    memset(&forged, 0x42, sizeof(forged));
    ck_assert_int_eq(sim_run_until(s, SIM_NS_PER_MS), 0);
    ck_assert(bc_verify(s, a, &msg, &signed_by_a));        /* a's own signature */
    ck_assert(!bc_verify(s, b, &msg, &signed_by_a));       /* not b's */
    bc_hash other;
    bc_sha256d("pay twice", 9, &other);
    ck_assert(!bc_verify(s, a, &other, &signed_by_a));     /* not for another message */
    ck_assert(!bc_verify(s, a, &msg, &forged));
    ck_assert(!bc_verify(s, 99, &msg, &forged));
    sim_destroy(s);
}
END_TEST

START_TEST(bad_options_named)
{
    const sim_system *sys = sim_system_find("blockchain");
    ck_assert_ptr_nonnull(sys);
    const char *bad[][2] = {
        { "{\"hash_rate\":0}", "option 'hash_rate' must be a number more than 0" },
        { "{\"hash_rate\":-3}", "option 'hash_rate' must be a number more than 0" },
        { "{\"amount\":-5}", "option 'amount' must be an integer" },
        { "{\"mode\":\"fast\"}", "option 'mode' must be one of exponential, real" },
        { "{\"attack\":\"double_spend\"}", "option 'merchant' is needed" },
        { "{\"mode\":\"real\",\"difficulty\":1e9}", "at most 1e7 in mode \"real\"" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *opts = cJSON_Parse(bad[i][0]);
        void *cfg = NULL;
        char err[256] = "";
        ck_assert_int_eq(sys->configure(opts, &cfg, err, sizeof(err)), SIM_EINVAL);
        ck_assert_msg(strstr(err, bad[i][1]) != NULL, "%s: %s", bad[i][0], err);
        cJSON_Delete(opts);
    }
}
END_TEST

Suite *blockchain_suite(void);
Suite *blockchain_suite(void)
{
    Suite *s = suite_create("blockchain");
    TCase *core = tcase_create("core");
    tcase_add_test(core, map_matches_array);
    tcase_add_test(core, tx_round_trip_and_malformed);
    tcase_add_test(core, merkle_proofs);
    TCase *faults = tcase_create("faults");
    tcase_add_test(faults, signatures_only_by_the_owner);
    tcase_add_test(faults, bad_options_named);
    suite_add_tcase(s, core);
    suite_add_tcase(s, faults);
    return s;
}
