/*
 * The bittorrent systems: `bittorrent_tracker` (one node) and `bittorrent` (a
 * cluster of peers: seeders with seed = 1, leechers otherwise; a behaviour per
 * cluster). Every cluster of a swarm computes the same metainfo from file_size,
 * piece_size, block_size and torrent, as every peer reads the same .torrent file.
 *
 *   dsim.cluster{ system = "bittorrent_tracker", name = "tracker" }
 *   dsim.cluster{ system = "bittorrent", name = "seed", count = 1, seed = 1, behaviour = "stay" }
 *   dsim.cluster{ system = "bittorrent", name = "p", count = 50, behaviour = "leave",
 *                 upload = 100000, arrive_over = "60s" }
 *
 * `.state` of a peer: pieces, done (seconds from arrival to completion, or nil),
 * left, uploaded, downloaded, conns, hash_failures, garbage; of the tracker: peers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/systems/bittorrent/bittorrent.h"
#include "sim/systems/bittorrent/bittorrent_system.h"
#include "sim/systems/system.h"

static const char *const behaviours[] = { "leave", "stay", "free_rider", "corrupt", NULL };

static int parse_behaviour(const cJSON *o, bt_config *c, char *err, size_t n)
{
    const cJSON *b = o ? cJSON_GetObjectItemCaseSensitive(o, "behaviour") : NULL;
    if (!b) return 0;
    for (int i = 0; cJSON_IsString(b) && behaviours[i]; i++)
        if (strcmp(b->valuestring, behaviours[i]) == 0) {
            c->behaviour = i;
            return 0;
        }
    snprintf(err, n, "option 'behaviour' must be leave, stay, free_rider or corrupt, got '%s'",
             cJSON_IsString(b) ? b->valuestring : "?");
    return SIM_EINVAL;
}

static int parse_sizes(const cJSON *o, bt_config *c, char *err, size_t n)
{
    int64_t file = 16 << 20, piece = 256 << 10, block = 16 << 10;
    int rc = sim_option_int(o, "file_size", 1, INT64_C(1) << 40, &file, err, n);
    if (!rc) rc = sim_option_int(o, "piece_size", 1, INT64_C(1) << 30, &piece, err, n);
    if (!rc) rc = sim_option_int(o, "block_size", 1, INT64_C(1) << 30, &block, err, n);
    if (rc) return rc;
    if (piece > file) snprintf(err, n, "option 'piece_size' (%lld) must not exceed file_size (%lld)", (long long)piece, (long long)file);
    else if (block > piece) snprintf(err, n, "option 'block_size' (%lld) must not exceed piece_size (%lld)", (long long)block, (long long)piece);
    else if ((piece + block - 1) / block > BT_MAX_BLOCKS) snprintf(err, n, "option 'block_size': at most %d blocks a piece", BT_MAX_BLOCKS);
    else if ((file + piece - 1) / piece > 1000000) snprintf(err, n, "option 'piece_size': at most 1000000 pieces a file");
    else {
        c->file_bytes = (uint64_t)file;
        c->piece_bytes = (uint64_t)piece;
        c->block_bytes = (uint64_t)block;
        c->npieces = (uint32_t)((file + piece - 1) / piece);
        c->blocks_per_piece = (uint32_t)((piece + block - 1) / block);
        return 0;
    }
    return SIM_EINVAL;
}

int bt_parse(const cJSON *o, bt_config *c, char *err, size_t n)
{
    static const char *const known[] = { "file_size", "piece_size", "block_size", "seed", "behaviour", "seed_for",
                                         "upload", "arrive_over", "rechoke", "optimistic", "max_conns", "tracker",
                                         "torrent", "dht", "dht_every", NULL };
    memset(c, 0, sizeof(*c));
    c->rechoke_ns = 10 * SIM_NS_PER_S;
    c->optimistic_ns = 30 * SIM_NS_PER_S;
    c->dht_every_ns = 30 * SIM_NS_PER_S;
    int64_t seed = 0, upload = 1 << 20, conns = 40, torrent = 1;
    int rc = sim_option_check_known(o, known, err, n);
    if (!rc) rc = parse_sizes(o, c, err, n);
    if (!rc) rc = parse_behaviour(o, c, err, n);
    if (!rc) rc = sim_option_int(o, "seed", 0, 1, &seed, err, n);
    if (!rc) rc = sim_option_int(o, "upload", 1000, INT64_C(1) << 40, &upload, err, n);
    if (!rc) rc = sim_option_int(o, "max_conns", 1, 200, &conns, err, n);
    if (!rc) rc = sim_option_int(o, "torrent", 0, INT64_MAX, &torrent, err, n);
    if (!rc) rc = sim_option_duration(o, "seed_for", &c->seed_for_ns, err, n);
    if (!rc) rc = sim_option_duration(o, "arrive_over", &c->arrive_over_ns, err, n);
    if (!rc) rc = sim_option_duration(o, "rechoke", &c->rechoke_ns, err, n);
    if (!rc) rc = sim_option_duration(o, "optimistic", &c->optimistic_ns, err, n);
    if (!rc) rc = sim_option_duration(o, "dht_every", &c->dht_every_ns, err, n);
    if (!rc && c->dht_every_ns < SIM_NS_PER_S) {
        snprintf(err, n, "option 'dht_every' must be at least 1s");
        rc = SIM_EINVAL;
    }
    if (!rc && (c->rechoke_ns <= 0 || c->optimistic_ns < c->rechoke_ns)) {
        snprintf(err, n, "option 'optimistic' must be at least 'rechoke', and both more than 0");
        rc = SIM_EINVAL;
    }
    const cJSON *t = o ? cJSON_GetObjectItemCaseSensitive(o, "tracker") : NULL;
    const cJSON *d = o ? cJSON_GetObjectItemCaseSensitive(o, "dht") : NULL;
    if (!rc && !t == !d) {
        snprintf(err, n, "give either option 'tracker' (the tracker's node name) or 'dht' (a DHT bootstrap node's name)");
        rc = SIM_EINVAL;
    }
    if (!rc && ((t && (!cJSON_IsString(t) || strlen(t->valuestring) >= sizeof(c->tracker))) ||
                (d && (!cJSON_IsString(d) || strlen(d->valuestring) >= sizeof(c->dht))))) {
        snprintf(err, n, "options 'tracker' and 'dht' must be node names");
        rc = SIM_EINVAL;
    }
    if (rc) return rc;
    if (t) snprintf(c->tracker, sizeof(c->tracker), "%s", t->valuestring);
    if (d) snprintf(c->dht, sizeof(c->dht), "%s", d->valuestring);
    c->seed = seed;
    c->upload_bps = (uint64_t)upload;
    c->max_conns = (uint32_t)conns;
    c->torrent = (uint64_t)torrent;
    return 0;
}

bt_config *bt_config_make(const bt_config *parsed)
{
    bt_config *c = malloc(sizeof(*c) + 32 * (size_t)parsed->npieces);
    SIM_ASSERT(c != NULL);
    *c = *parsed;
    uint8_t *h = (uint8_t *)(c + 1);
    uint64_t tags[BT_MAX_BLOCKS];
    for (uint32_t i = 0; i < c->npieces; i++) {
        for (uint32_t j = 0; j < bt_piece_blocks(c, i); j++) tags[j] = bt_tag(c, i, j);
        bt_piece_hash(c, tags, i, h + 32 * (size_t)i);
    }
    c->hashes = h;
    return c;
}

static int peer_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    bt_config c;
    int rc = bt_parse(options, &c, err, errlen);
    if (!rc) *config = bt_config_make(&c);
    return rc;
}

static cJSON *peer_state_json(const sim *s, sim_node_id id)
{
    const bt_peer *p = sim_node_state(s, id);
    if (!p || !p->cfg) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pieces", p->nhave);
    cJSON_AddNumberToObject(o, "npieces", p->cfg->npieces);
    if (p->done && !p->cfg->seed) cJSON_AddNumberToObject(o, "done", (double)(p->done_ns - p->arrived_ns) / 1e9);
    cJSON_AddBoolToObject(o, "arrived", p->arrived);
    cJSON_AddBoolToObject(o, "left", p->left);
    cJSON_AddStringToObject(o, "behaviour", behaviours[p->cfg->behaviour]);
    cJSON_AddNumberToObject(o, "conns", p->nconns);
    cJSON_AddNumberToObject(o, "uploaded", (double)p->uploaded);
    cJSON_AddNumberToObject(o, "downloaded", (double)p->downloaded);
    cJSON_AddNumberToObject(o, "hash_failures", (double)p->hash_failures);
    cJSON_AddNumberToObject(o, "garbage", (double)p->garbage);
    uint32_t unchoked = 0, inflight = 0, interested = 0;
    for (uint32_t i = 0; i < p->nconns; i++) {
        unchoked += !p->conns[i].peer_choking;
        inflight += p->conns[i].inflight;
        interested += p->conns[i].am_interested;
    }
    cJSON_AddNumberToObject(o, "unchoked_by", unchoked);
    cJSON_AddNumberToObject(o, "interested_in", interested);
    cJSON_AddNumberToObject(o, "requests_out", inflight);
    cJSON_AddNumberToObject(o, "in_progress", p->nactive);
    cJSON *peers = cJSON_AddArrayToObject(o, "peers");
    for (uint32_t i = 0; i < p->nconns; i++) {
        char b[96];
        const bt_conn *c = &p->conns[i];
        snprintf(b, sizeof b, "%s%s%s%s%s", sim_node_name(s, c->addr), c->am_choking ? "" : "+u", c->peer_choking ? "" : "+U",
                 c->am_interested ? "+i" : "", c->peer_interested ? "+I" : "");
        cJSON_AddItemToArray(peers, cJSON_CreateString(b));
    }
    return o;
}

const sim_system sim_system_bittorrent = {
    .name = "bittorrent",
    .summary = "BitTorrent peers: tracker, rarest first, tit-for-tat choking, endgame, SHA-256 pieces (BEP 3)",
    .program = &bt_peer_program,
    .configure = peer_configure,
    .release = free,
    .state_json = peer_state_json,
};

static int tracker_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { "peers", NULL };
    int64_t peers = 50;
    int rc = sim_option_check_known(options, known, err, errlen);
    if (!rc) rc = sim_option_int(options, "peers", 1, 200, &peers, err, errlen);
    if (rc) return rc;
    uint32_t v = (uint32_t)peers;
    return sim_config_copy(&v, sizeof v, config);
}

static cJSON *tracker_state_json(const sim *s, sim_node_id id)
{
    if (!sim_node_state(s, id)) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "peers", bt_tracker_size(s, id));
    return o;
}

const sim_system sim_system_bittorrent_tracker = {
    .name = "bittorrent_tracker",
    .summary = "a BitTorrent tracker: announce started/completed/stopped, a random peer list",
    .program = &bt_tracker_program,
    .configure = tracker_configure,
    .release = free,
    .state_json = tracker_state_json,
};
