/*
 * Kademlia's 160-bit ids and the XOR metric: d(a, b) = a XOR b read as an unsigned
 * integer. A node id is a hash of its address (BEP 42's idea), computed with
 * splitmix64 because lookups compare ids millions of times a second; keys are the
 * first 160 bits of a SHA-256 (sim/sha256.h), as a torrent's infohash is a hash.
 */
#include "sim/systems/kademlia/kademlia.h"

#include <stdio.h>

#include "sim/sha256.h"

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

kad_id kad_id_of(sim_node_id addr, uint64_t salt)
{
    uint64_t a = mix64(salt ^ ((uint64_t)addr << 1));
    uint64_t b = mix64(a ^ 0x5851f42d4c957f2du);
    uint64_t c = mix64(b);
    kad_id id = { { (uint32_t)(a >> 32), (uint32_t)a, (uint32_t)(b >> 32), (uint32_t)b,
                    (uint32_t)(c >> 32) } };
    return id;
}

kad_id kad_id_hash(const void *data, size_t len)
{
    uint8_t d[SIM_SHA256_BYTES];
    sim_sha256(data, len, d);
    kad_id id;
    for (int i = 0; i < 5; i++)
        id.w[i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 |
                  (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
    return id;
}

kad_id kad_xor(kad_id a, kad_id b)
{
    for (int i = 0; i < 5; i++) a.w[i] ^= b.w[i];
    return a;
}

int kad_cmp(kad_id a, kad_id b)
{
    for (int i = 0; i < 5; i++)
        if (a.w[i] != b.w[i]) return a.w[i] < b.w[i] ? -1 : 1;
    return 0;
}

int kad_common_prefix(kad_id a, kad_id b)
{
    for (int i = 0; i < 5; i++) {
        uint32_t x = a.w[i] ^ b.w[i];
        if (x) return 32 * i + __builtin_clz(x);
    }
    return KAD_ID_BITS;
}

int kad_closer(kad_id target, kad_id a, kad_id b)
{
    for (int i = 0; i < 5; i++) {
        uint32_t da = a.w[i] ^ target.w[i], db = b.w[i] ^ target.w[i];
        if (da != db) return da < db ? -1 : 1;
    }
    return 0;
}

/* An id sharing exactly `bucket` leading bits with self: the range bucket covers. */
kad_id kad_random_in_bucket(kad_id self, int bucket, sim_rng *r)
{
    kad_id id;
    for (int i = 0; i < 5; i++) id.w[i] = (uint32_t)sim_rng_next(r);
    for (int bit = 0; bit <= bucket && bit < KAD_ID_BITS; bit++) {
        uint32_t m = 1u << (31 - bit % 32);
        uint32_t want = self.w[bit / 32] & m;
        if (bit == bucket) want ^= m;
        id.w[bit / 32] = (id.w[bit / 32] & ~m) | want;
    }
    return id;
}

void kad_id_hex(kad_id id, char out[41])
{
    for (int i = 0; i < 5; i++) snprintf(out + 8 * i, 9, "%08x", id.w[i]);
}
