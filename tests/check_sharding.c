/*
 * Tests of the sharded store (sim/systems/shard_kv*.c, shard_map.c) and its
 * scenarios (scenarios/sharding/). Core: the placement functions themselves
 * (ranges of initials, modulo, the ring's consistent-hashing property and the
 * keys each scheme moves), and every scenario's assertions; limits: bad
 * options; faults: a router that disagrees with the nodes, and a reshard told
 * to some nodes only, are caught. Each scenario runs twice with one seed to
 * prove the trace hash identical.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/systems/shard_kv/shard_kv.h"
#include "sim/systems/system.h"
#include "tests/cli.h"

static void expect(const cli_result *r, int code, const char *text, const char *what)
{
    ck_assert_msg(r->code == code, "%s: exit %d, expected %d\n%s%s", what, r->code, code, r->out, r->err);
    if (text) ck_assert_msg(strstr(r->out, text) != NULL, "%s: no '%s' in:\n%s%s", what, text, r->out, r->err);
}

static size_t owner_of(const shard_layout *l, int i)
{
    char key[32];
    int n = snprintf(key, sizeof(key), "user%d", i);
    return shard_owner(l, key, (size_t)n);
}

/* Keys (of 10,000) whose owner changes from `from` to `to` shards. */
static int moved(shard_scheme scheme, size_t from, size_t to, bool *consistent)
{
    shard_layout a, b;
    ck_assert_int_eq(shard_layout_init(&a, scheme, from, 64), 0);
    ck_assert_int_eq(shard_layout_init(&b, scheme, to, 64), 0);
    int n = 0;
    *consistent = true;
    for (int i = 0; i < 10000; i++) {
        size_t x = owner_of(&a, i), y = owner_of(&b, i);
        ck_assert(x < from && y < to);
        n += x != y;
        if (x != y && y < from) *consistent = false;   /* moved between old shards */
    }
    shard_layout_free(&a), shard_layout_free(&b);
    return n;
}

/* ---- core ---- */

START_TEST(test_range_initials)
{
    shard_layout l;
    ck_assert_int_eq(shard_layout_init(&l, SHARD_RANGE, 4, 1), 0);
    ck_assert_uint_eq(shard_owner(&l, "Adams", 5), 0);
    ck_assert_uint_eq(shard_owner(&l, "garcia", 6), 0);
    ck_assert_uint_eq(shard_owner(&l, "Hill", 4), 1);
    ck_assert_uint_eq(shard_owner(&l, "Smith", 5), 2);
    ck_assert_uint_eq(shard_owner(&l, "Zhou", 4), 3);
    shard_layout_free(&l);
}
END_TEST

START_TEST(test_moves_per_scheme)
{
    bool consistent;
    int mod = moved(SHARD_MODULO, 4, 5, &consistent);
    ck_assert_msg(mod > 7500 && mod < 8500, "modulo moved %d of 10000, expected about 8000", mod);
    int ring = moved(SHARD_RING, 4, 5, &consistent);
    ck_assert_msg(ring > 1400 && ring < 2600, "ring moved %d of 10000, expected about 2000", ring);
    ck_assert_msg(consistent, "a ring key moved between two old shards");
    moved(SHARD_MODULO, 4, 5, &consistent);
    ck_assert_msg(!consistent, "modulo should move keys between old shards");
}
END_TEST

START_TEST(test_hash_spreads)
{
    ck_assert(shard_hash("a", 1) != shard_hash("b", 1));
    ck_assert(shard_hash("user1", 5) == shard_hash("user1", 5));
    shard_layout l;
    ck_assert_int_eq(shard_layout_init(&l, SHARD_MODULO, 8, 1), 0);
    int count[8] = { 0 };
    for (int i = 0; i < 8000; i++) count[owner_of(&l, i)]++;
    for (int s = 0; s < 8; s++) ck_assert_msg(count[s] > 850 && count[s] < 1150, "shard %d got %d", s, count[s]);
    shard_layout_free(&l);
}
END_TEST

static const char *const scenarios[] = {
    "scenarios/sharding/hotspots.lua",     "scenarios/sharding/ring_vnodes.lua",
    "scenarios/sharding/reshard_moves.lua", "scenarios/sharding/reshard_live.lua",
    "scenarios/sharding/scatter_gather.lua", "scenarios/sharding/ring_consistency.lua",
    "scenarios/sharding/join_cost.lua",     "scenarios/sharding/write_scaling.lua",
    "scenarios/sharding/ring_lwt.lua",
};
static const char *const musts[] = {
    "check range on initials: A-G is the hot shard: ok",
    "check more vnodes, better balance (1 > 10 > 100 > 1000): ok",
    "check the ring moves about 1/N of the keys: ok",
    "check every acknowledged write reads back intact: ok",
    "check a find asks every shard: ok",
    "check QUORUM/QUORUM (R + W > N) is linearizable: ok",
    "check the cross-shard join asks every shard, the co-located one a single shard: ok",
    "check 8 shards behind the router stop at its 5,000/s (4,500-5,010): ok",
    "check QUORUM reads + Paxos cas/write (lwt = 1) are linearizable: ok",
};

START_TEST(test_scenario)
{
    char args[256];
    snprintf(args, sizeof(args), "run %s --seed %d", scenarios[_i], 1 + _i);
    cli_result r = cli_run(args);
    expect(&r, 0, musts[_i], scenarios[_i]);
    expect(&r, 0, " 0 failed", scenarios[_i]);
    cli_free(&r);
}
END_TEST

START_TEST(test_deterministic)
{
    char args[256], h[2][17] = { "", "" };
    snprintf(args, sizeof(args), "run %s --seed 7", scenarios[_i]);
    for (int k = 0; k < 2; k++) {
        cli_result r = cli_run(args);
        expect(&r, 0, "trace-hash: ", scenarios[_i]);
        memcpy(h[k], strstr(r.out, "trace-hash: ") + 12, 16);
        cli_free(&r);
    }
    ck_assert_msg(strcmp(h[0], h[1]) == 0, "%s: hashes %s and %s differ", scenarios[_i], h[0], h[1]);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_bad_options)
{
    const sim_system *sys = sim_system_find("shard-kv");
    ck_assert(sys != NULL);
    char err[256] = "";
    void *config = NULL;
    cJSON *o = cJSON_Parse("{\"scheme\":\"rendezvous\"}");
    ck_assert_int_eq(sys->configure(o, &config, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, "option 'scheme'") != NULL, "%s", err);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"vnodes\":1001}");
    ck_assert_int_eq(sys->configure(o, &config, err, sizeof(err)), SIM_EINVAL);
    ck_assert_msg(strstr(err, "option 'vnodes'") != NULL, "%s", err);
    cJSON_Delete(o);
}
END_TEST

/* dynamo-kv's ring options: an unknown level, too many vnodes, a bad strict or lwt. */
START_TEST(test_ring_bad_options)
{
    const sim_system *sys = sim_system_find("dynamo-kv");
    ck_assert(sys != NULL);
    static const char *const cases[][2] = {
        { "{\"consistency\":\"TWO\"}", "option 'consistency'" },
        { "{\"consistency\":3}", "option 'consistency'" },
        { "{\"vnodes\":1001}", "option 'vnodes'" },
        { "{\"strict\":2}", "option 'strict'" },
        { "{\"lwt\":2}", "option 'lwt'" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        void *config = NULL;
        cJSON *o = cJSON_Parse(cases[i][0]);
        ck_assert_int_eq(sys->configure(o, &config, err, sizeof(err)), SIM_EINVAL);
        ck_assert_msg(strstr(err, cases[i][1]) != NULL, "%s: %s", cases[i][0], err);
        cJSON_Delete(o);
    }
    void *config = NULL;
    char err[256] = "";
    cJSON *o = cJSON_Parse("{\"vnodes\":16,\"consistency\":\"QUORUM\",\"strict\":1}");
    ck_assert_int_eq(sys->configure(o, &config, err, sizeof(err)), 0);
    sys->release(config);
    cJSON_Delete(o);
}
END_TEST

/* ---- faults: the checks fail when the property is gone ---- */

static cli_result run_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(text, f);
    fclose(f);
    char args[256];
    snprintf(args, sizeof(args), "run %s --seed 1", path);
    cli_result r = cli_run(args);
    unlink(path);
    return r;
}

/* A router with the wrong map: the nodes forward, and the check says so. */
START_TEST(test_wrong_router_is_caught)
{
    cli_result r = run_text("/tmp/dsim-shard-router.lua",
        "local dsim = require 'dsim'\nlocal S = require 'dsim.sharding'\n"
        "local s = dsim.cluster{ system = 'shard-kv', count = 4, scheme = 'ring' }\n"
        "local c = S.client{ servers = s, route = S.layout('modulo', 4) }\n"
        "for i = 1, 100 do c.push{ key = 'k' .. i, msg = { type = 'write', key = 'k' .. i, value = i } } end\n"
        "dsim.at('1ms', c.kick)\ndsim.run('1s')\nlocal st = c.ask_stats(s)\ndsim.run('1s')\n"
        "dsim.check('nothing forwarded', S.sum(st, 'forwarded') == 0, S.sum(st, 'forwarded') .. ' forwarded')\n");
    expect(&r, 1, "FAILED nothing forwarded: ", "wrong router");
    cli_free(&r);
}
END_TEST

/* A reshard told to half the cluster: layouts disagree, requests bounce until
 * the hop limit refuses them (error 11), and nothing loops for ever. */
START_TEST(test_partial_reshard_refuses)
{
    cli_result r = run_text("/tmp/dsim-shard-partial.lua",
        "local dsim = require 'dsim'\nlocal S = require 'dsim.sharding'\n"
        "local s = dsim.cluster{ system = 'shard-kv', count = 4, scheme = 'modulo', shards = 2 }\n"
        "local c = S.client{ servers = s }\n"
        "dsim.at('0s', function() s[1]:inject{ type = 'reshard', shards = 4 } end)\n"
        "local ops = {}\n"
        "for i = 1, 200 do ops[i] = c.push{ key = 'k' .. i, msg = { type = 'write', key = 'k' .. i, value = i } } end\n"
        "dsim.at('1ms', c.kick)\ndsim.run('2s')\nlocal refused = 0\n"
        "for _, op in ipairs(ops) do if op.reply and op.reply.code == 11 then refused = refused + 1 end end\n"
        "dsim.check('all acknowledged', refused == 0, refused .. ' refused')\n");
    expect(&r, 1, "FAILED all acknowledged: ", "partial reshard");
    cli_free(&r);
}
END_TEST

/* Sloppy quorums (strict = 0: a write answers ok at its timeout without w
 * acks, reads answer from what they have, no blocking read repair, cas is a
 * read then a write): the same QUORUM run is no longer linearizable. */
START_TEST(test_sloppy_quorum_is_caught)
{
    FILE *f = fopen("scenarios/sharding/ring_consistency.lua", "r");
    ck_assert(f != NULL);
    static char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    char *at = strstr(text, "strict = 1,");
    ck_assert(at != NULL);
    at[9] = '0';
    cli_result r = run_text("/tmp/dsim-ring-sloppy.lua", text);
    expect(&r, 1, "FAILED QUORUM/QUORUM (R + W > N) is linearizable: ", "sloppy quorum");
    cli_free(&r);
}
END_TEST

/* Without lightweight transactions (lwt = 0) and with sloppy quorums (strict =
 * 0, so cas is allowed and is a read then a write), the same run is not
 * linearizable (seed 1, run_text's, fails). */
START_TEST(test_cas_without_paxos_is_caught)
{
    FILE *f = fopen("scenarios/sharding/ring_lwt.lua", "r");
    ck_assert(f != NULL);
    static char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    char *at = strstr(text, "strict = 1, lwt = 1,");
    ck_assert(at != NULL);
    memcpy(at, "strict = 0, lwt = 0,", 20);
    cli_result r = run_text("/tmp/dsim-ring-nolwt.lua", text);
    expect(&r, 1, "FAILED QUORUM reads + Paxos cas/write (lwt = 1) are linearizable: ", "cas without Paxos");
    cli_free(&r);
}
END_TEST

Suite *sharding_suite(void);
Suite *sharding_suite(void)
{
    Suite *s = suite_create("sharding");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 120);
    tcase_add_test(core, test_range_initials);
    tcase_add_test(core, test_moves_per_scheme);
    tcase_add_test(core, test_hash_spreads);
    tcase_add_loop_test(core, test_scenario, 0, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
    tcase_add_loop_test(core, test_deterministic, 0, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_bad_options);
    tcase_add_test(limits, test_ring_bad_options);
    suite_add_tcase(s, limits);
    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 60);
    tcase_add_test(faults, test_wrong_router_is_caught);
    tcase_add_test(faults, test_partial_reshard_refuses);
    tcase_add_test(faults, test_sloppy_quorum_is_caught);
    tcase_add_test(faults, test_cas_without_paxos_is_caught);
    suite_add_tcase(s, faults);
    return s;
}
