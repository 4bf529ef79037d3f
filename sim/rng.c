/*
 * Seeded random streams: xoshiro256** (Blackman and Vigna) seeded by splitmix64.
 *
 * xoshiro256** is fast (a few ns a draw), has a 2^256-1 period and passes BigCrush; its
 * only forbidden state is all zeros, which seeding from four consecutive splitmix64
 * outputs can never produce (splitmix64 is a bijection of its counter, so at most one of
 * the four words is zero). Bounded integers use Lemire's multiply-and-reject method: no
 * modulo bias and, on average, fewer than one division per draw.
 *
 * Only integer arithmetic decides anything here; sim_rng_unit's conversion to double is
 * exact (a 53-bit integer times a power of two), so results are the same on every machine.
 */
#include "sim/rng.h"

#include <stddef.h>

#include "sim/errors.h"

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15u   /* splitmix64's increment: 2^64 / phi */

uint64_t sim_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

static uint64_t splitmix_next(uint64_t *state)
{
    *state += GOLDEN_GAMMA;
    return sim_mix64(*state);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void sim_rng_seed(sim_rng *r, uint64_t root_seed, uint64_t domain, uint64_t index)
{
    SIM_ASSERT(r != NULL);
    /* Each step is a bijection of the value folded in (xor with a constant, then mix),
     * so two streams that differ only in domain, or only in index, cannot collide. The
     * odd constants keep (0, 0, 0) from collapsing to the trivial state. */
    uint64_t h = sim_mix64(root_seed ^ 0x6A09E667F3BCC909u);
    h = sim_mix64(h ^ sim_mix64(domain ^ 0xBB67AE8584CAA73Bu));
    h = sim_mix64(h ^ sim_mix64(index ^ 0x3C6EF372FE94F82Bu));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix_next(&h);
    SIM_ASSERT((r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0);
}

uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* The full 128-bit product a*b. The portable branch gives the same bits as __int128. */
static void mul_wide(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
#if defined(__SIZEOF_INT128__)
    unsigned __int128 p = (unsigned __int128)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
#else
    uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    *lo = (mid << 32) | (ll & 0xFFFFFFFFu);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

uint64_t sim_rng_below(sim_rng *r, uint64_t n)
{
    SIM_ASSERT(n > 0);
    uint64_t hi, lo;
    mul_wide(sim_rng_next(r), n, &hi, &lo);
    if (lo < n) {
        /* Reject the 2^64 mod n low products that would over-represent some results. */
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold)
            mul_wide(sim_rng_next(r), n, &hi, &lo);
    }
    SIM_ASSERT(hi < n);
    return hi;
}

/* Two's-complement reinterpretation without implementation-defined conversion. */
static int64_t u64_to_i64(uint64_t u)
{
    if (u <= (uint64_t)INT64_MAX)
        return (int64_t)u;
    return -(int64_t)(UINT64_MAX - u) - 1;
}

int64_t sim_rng_range(sim_rng *r, int64_t lo, int64_t hi)
{
    SIM_ASSERT(lo <= hi);
    uint64_t span = (uint64_t)hi - (uint64_t)lo;   /* hi - lo, computed without overflow */
    uint64_t offset = span == UINT64_MAX ? sim_rng_next(r) : sim_rng_below(r, span + 1);
    int64_t v = u64_to_i64((uint64_t)lo + offset);
    SIM_ASSERT(v >= lo && v <= hi);
    return v;
}

double sim_rng_unit(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

sim_prob sim_prob_from_double(double p)
{
    if (!(p > 0.0))          /* also NaN */
        return 0;
    if (p >= 1.0)
        return SIM_PROB_ALWAYS;
    /* p < 1 means p <= 1 - 2^-53, so p * 2^64 <= 2^64 - 2^11: exact and in range. */
    return (sim_prob)(p * 0x1.0p64);
}

double sim_prob_to_double(sim_prob p)
{
    if (p == SIM_PROB_ALWAYS)
        return 1.0;
    return (double)p * 0x1.0p-64;
}

bool sim_rng_chance(sim_rng *r, sim_prob p)
{
    uint64_t x = sim_rng_next(r);
    if (p == SIM_PROB_ALWAYS)
        return true;
    return x < p;
}

uint64_t sim_hash64_str(const char *s)
{
    SIM_ASSERT(s != NULL);
    uint64_t h = 0xCBF29CE484222325u;   /* FNV-1a 64 offset basis */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 0x100000001B3u;             /* FNV-1a 64 prime */
    }
    /* FNV alone mixes its last bytes poorly ("n1" and "n2" differ in few bits). */
    return sim_mix64(h);
}
