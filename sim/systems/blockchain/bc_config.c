/*
 * blockchain's options (configure) and what a scenario reads as a node's
 * `.state`. Chain parameters (difficulty, block_interval, retarget, reward,
 * initial, block_txs) must be equal at every node of a cluster: they shape the
 * genesis block, so nodes that disagree are on different chains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/systems/blockchain/blockchain.h"
#include "sim/systems/system.h"

int bc_configure(const cJSON *options, void **config, char *err, size_t errlen);
cJSON *bc_state_json(const sim *s, sim_node_id id);

static int positive_number(const cJSON *options, const char *key, double *out, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    if (cJSON_IsNumber(v) && v->valuedouble > 0 && v->valuedouble < 1e18) {
        *out = v->valuedouble;
        return 0;
    }
    snprintf(err, errlen, "option '%s' must be a number more than 0 (got %s)", key,
             cJSON_IsNumber(v) ? "0 or less, or too big" : "not a number");
    return SIM_EINVAL;
}

static int choice(const cJSON *options, const char *key, const char *const *names, int *out,
                  char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    for (int i = 0; names[i] && cJSON_IsString(v); i++)
        if (strcmp(v->valuestring, names[i]) == 0) { *out = i; return 0; }
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, names[i], sizeof(list) - strlen(list) - 1);
    }
    snprintf(err, errlen, "option '%s' must be one of %s", key, list);
    return SIM_EINVAL;
}

static int ints(const cJSON *o, blockchain_config *c, char *err, size_t n)
{
    int64_t mining = 1;
    int rc = sim_option_int(o, "retarget", 0, 100000, &c->retarget, err, n);
    if (!rc) rc = sim_option_int(o, "reward", 0, INT64_C(1) << 40, &c->reward, err, n);
    if (!rc) rc = sim_option_int(o, "initial", 1, INT64_C(1) << 40, &c->initial, err, n);
    if (!rc) rc = sim_option_int(o, "block_txs", 1, 100000, &c->block_txs, err, n);
    if (!rc) rc = sim_option_int(o, "fanout", 0, 100000, &c->fanout, err, n);
    if (!rc) rc = sim_option_int(o, "amount", 1, INT64_C(1) << 40, &c->amount, err, n);
    if (!rc) rc = sim_option_int(o, "confirmations", 0, 1000, &c->confirmations, err, n);
    if (!rc) rc = sim_option_int(o, "give_up", 1, 100000, &c->give_up, err, n);
    if (!rc) rc = sim_option_int(o, "mining", 0, 1, &mining, err, n);
    c->mining = mining != 0;
    return rc;
}

int bc_configure(const cJSON *o, void **config, char *err, size_t n)
{
    static const char *const known[] = { "hash_rate", "difficulty", "block_interval", "retarget", "reward",
        "initial", "block_txs", "fanout", "tx_interval", "mode", "mining", "attack", "merchant", "amount",
        "confirmations", "give_up", "attack_at", NULL };
    static const char *const modes[] = { "exponential", "real", NULL };
    static const char *const attacks[] = { "none", "double_spend", "selfish", "reward", "signature",
        "double_spend_block", "merkle", "pow", NULL };
    blockchain_config c = { .hash_rate = 1000, .block_interval_ns = 10 * SIM_NS_PER_S, .retarget = 20,
                            .reward = 50, .initial = 100, .block_txs = 100, .amount = 10, .give_up = 30,
                            .mining = true };
    double difficulty = 100000;
    int mode = 0;
    int rc = sim_option_check_known(o, known, err, n);
    if (!rc) rc = positive_number(o, "hash_rate", &c.hash_rate, err, n);
    if (!rc) rc = positive_number(o, "difficulty", &difficulty, err, n);
    if (!rc) rc = sim_option_duration(o, "block_interval", &c.block_interval_ns, err, n);
    if (!rc) rc = sim_option_duration(o, "tx_interval", &c.tx_interval_ns, err, n);
    if (!rc) rc = sim_option_duration(o, "attack_at", &c.attack_at_ns, err, n);
    if (!rc) rc = ints(o, &c, err, n);
    if (!rc) rc = choice(o, "mode", modes, &mode, err, n);
    if (!rc) rc = choice(o, "attack", attacks, &c.behaviour, err, n);
    if (!rc && c.block_interval_ns <= 0) { snprintf(err, n, "option 'block_interval' must be more than 0"); rc = SIM_EINVAL; }
    if (!rc && difficulty < 1) { snprintf(err, n, "option 'difficulty' must be at least 1 (expected hashes per block)"); rc = SIM_EINVAL; }
    if (!rc && mode == 1 && difficulty > 1e7) { snprintf(err, n, "option 'difficulty' must be at most 1e7 in mode \"real\" (every hash is computed)"); rc = SIM_EINVAL; }
    const cJSON *m = o ? cJSON_GetObjectItemCaseSensitive(o, "merchant") : NULL;
    if (!rc && m && (!cJSON_IsString(m) || strlen(m->valuestring) >= sizeof(c.merchant))) {
        snprintf(err, n, "option 'merchant' must be a node's name");
        rc = SIM_EINVAL;
    }
    if (!rc && c.behaviour == BC_DOUBLE_SPEND && !m) { snprintf(err, n, "option 'merchant' is needed by attack = \"double_spend\""); rc = SIM_EINVAL; }
    if (rc) return rc;
    if (m) snprintf(c.merchant, sizeof(c.merchant), "%s", m->valuestring);
    c.real = mode == 1;
    c.target0 = (uint64_t)((double)UINT64_MAX / difficulty);
    if (c.target0 == 0) c.target0 = 1;
    return sim_config_copy(&c, sizeof(c), config);
}

/* ---- .state ---- */

static void add_hash(cJSON *obj, const char *key, const bc_hash *h)
{
    char hex[65];
    bc_hex(h->b, 32, hex);
    cJSON_AddStringToObject(obj, key, hex);
}

/* Coins held by each node at the tip, and a digest of the UTXO set: the sum of
 * the hashes of its entries (order-free, so the map's layout cannot matter). */
static void add_ledger(cJSON *obj, const sim *s, const bc_node *st)
{
    cJSON *bal = cJSON_AddObjectToObject(obj, "balances");
    int64_t *coins = calloc(st->nmembers + 1, sizeof(int64_t));
    SIM_ASSERT(coins != NULL);
    uint8_t digest[32] = { 0 };
    for (size_t i = 0; i < st->utxo.cap; i++) {
        const bc_map_slot *sl = &st->utxo.slots[i];
        if (!sl->used) continue;
        for (size_t k = 0; k < st->nmembers; k++) if (st->members[k] == sl->val.owner) coins[k] += sl->val.amount;
        uint8_t buf[48];
        bc_hash h;
        memcpy(buf, sl->key.txid.b, 32);
        memcpy(buf + 32, &sl->key.index, 4);
        memcpy(buf + 36, &sl->val.amount, 8);
        memcpy(buf + 44, &sl->val.owner, 4);
        bc_sha256d(buf, sizeof(buf), &h);
        unsigned carry = 0;
        for (int j = 31; j >= 0; j--) { carry += digest[j] + h.b[j]; digest[j] = (uint8_t)carry; carry >>= 8; }
    }
    for (size_t k = 0; k < st->nmembers; k++)
        cJSON_AddNumberToObject(bal, sim_node_name(s, st->members[k]), (double)coins[k]);
    free(coins);
    add_hash(obj, "utxo_digest", (const bc_hash *)digest);
}

static void add_chain_stats(cJSON *obj, const sim *s, const bc_node *st)
{
    cJSON *miners = cJSON_AddObjectToObject(obj, "miners");
    uint32_t *count = calloc(st->nmembers, sizeof(uint32_t));
    SIM_ASSERT(count != NULL);
    uint32_t own = 0;
    uint64_t txs = 0;
    for (uint32_t b = st->tip; b != 0 && b != BC_NONE; b = st->blocks[b].parent) {
        txs += st->blocks[b].ntx - 1;
        for (size_t k = 0; k < st->nmembers; k++) if (st->members[k] == st->blocks[b].miner) count[k]++;
        own += st->blocks[b].miner == st->self;
    }
    for (size_t k = 0; k < st->nmembers; k++)
        cJSON_AddNumberToObject(miners, sim_node_name(s, st->members[k]), count[k]);
    free(count);
    uint32_t valid_blocks = 0;
    for (uint32_t b = 1; b < st->nblocks; b++) valid_blocks += st->blocks[b].status != BC_INVALID;
    cJSON_AddNumberToObject(obj, "txs", (double)txs);   /* transactions on the chain, coinbases aside */
    cJSON_AddNumberToObject(obj, "mined", st->mined);
    cJSON_AddNumberToObject(obj, "mined_on_chain", own);
    cJSON_AddNumberToObject(obj, "blocks_seen", valid_blocks);
    cJSON_AddNumberToObject(obj, "stale", valid_blocks - st->blocks[st->tip].height);
    cJSON_AddNumberToObject(obj, "reorgs", st->reorgs);
    cJSON_AddNumberToObject(obj, "max_reorg_depth", st->max_reorg);
    cJSON *rej = cJSON_AddObjectToObject(obj, "rejected");
    for (int i = 0; i < BC_REASONS && st->reasons[i]; i++) cJSON_AddNumberToObject(rej, st->reasons[i], (double)st->rejected[i]);
}

cJSON *bc_state_json(const sim *s, sim_node_id id)
{
    const bc_node *st = sim_node_state(s, id);
    if (!st || !st->blocks) return NULL;
    const bc_block *tip = &st->blocks[st->tip];
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "mode", st->cfg->real ? "real" : "exponential");
    cJSON_AddNumberToObject(obj, "height", tip->height);
    add_hash(obj, "tip", &tip->hash);
    cJSON_AddNumberToObject(obj, "difficulty", (double)bc_work(tip->h.target));
    cJSON_AddNumberToObject(obj, "tip_time", (double)tip->h.time_ns / 1e9);
    cJSON *recent = cJSON_AddArrayToObject(obj, "recent");   /* hashes of the last 8 blocks, oldest first */
    uint32_t b = st->tip, k = 0;
    while (k < 7 && st->blocks[b].parent != BC_NONE) { b = st->blocks[b].parent; k++; }
    for (; k + 1 > 0; k--) {
        uint32_t c = st->tip;
        for (uint32_t d = 0; d < k; d++) c = st->blocks[c].parent;
        char hex[65];
        bc_hex(st->blocks[c].hash.b, 32, hex);
        hex[16] = '\0';
        cJSON_AddItemToArray(recent, cJSON_CreateString(hex));
    }
    cJSON_AddNumberToObject(obj, "mempool", st->nmempool);
    cJSON_AddNumberToObject(obj, "utxos", (double)st->utxo.count);
    cJSON_AddNumberToObject(obj, "hashes", (double)st->hashes);
    add_chain_stats(obj, s, st);
    add_ledger(obj, s, st);
    if (st->phase) cJSON_AddStringToObject(obj, "attack", st->phase);
    if (st->cfg->confirmations > 0 && st->cfg->behaviour == BC_HONEST) {
        uint32_t reversed = 0;
        for (uint32_t i = 0; i < st->nshipped; i++) reversed += bc_map_get(&st->utxo, &st->shipped[i]) == NULL;
        cJSON_AddNumberToObject(obj, "shipped", st->nshipped);
        cJSON_AddNumberToObject(obj, "reversed", reversed);
    }
    return obj;
}
