/*
 * Seeded random streams: the only source of randomness in dsim.
 *
 * One root seed gives many independent streams, one per (domain, index): the network,
 * the workload, the nemesis, each node. A stream is xoshiro256** seeded through
 * splitmix64, so it is a pure function of (root_seed, domain, index): changing how many
 * draws one node makes never reshuffles another node's dice or the network's.
 *
 * Everything here is integer arithmetic (plus exact conversions to double), so the same
 * seed gives bit-identical draws on x86-64 and arm64 with any compiler.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_rng { uint64_t s[4]; } sim_rng;   /* xoshiro256** */

/* Derive an independent stream: splitmix64-mix root_seed, domain and index into the 4 words.
 * For a fixed (root_seed, domain), distinct indices give distinct states (and likewise
 * for distinct domains); the state is never all zero. */
void sim_rng_seed(sim_rng *r, uint64_t root_seed, uint64_t domain, uint64_t index);
uint64_t sim_rng_next(sim_rng *r);
uint64_t sim_rng_below(sim_rng *r, uint64_t n);           /* uniform in [0, n), unbiased (Lemire); n>0 */
int64_t  sim_rng_range(sim_rng *r, int64_t lo, int64_t hi);/* uniform in [lo, hi] inclusive, lo<=hi, full int64 span safe */
double   sim_rng_unit(sim_rng *r);                        /* [0,1), 53 bits */

/* Probability as a threshold on a 64-bit draw: p * 2^64, saturating; 1.0 means always.
 * Decisions compare integers, so no floating point decides whether a message is lost. */
typedef uint64_t sim_prob;
#define SIM_PROB_ALWAYS UINT64_MAX
/* p in [0,1]; caller validates range. Saturates: NaN and p <= 0 give 0, p >= 1 always. */
sim_prob sim_prob_from_double(double p);
double   sim_prob_to_double(sim_prob p);
/* True with probability p. p==0 never, p==SIM_PROB_ALWAYS always. Consumes exactly one
 * draw whatever p is, so changing a probability never shifts the rest of the stream. */
bool     sim_rng_chance(sim_rng *r, sim_prob p);

/* Stable 64-bit hash of a string (FNV-1a 64, then the splitmix64 finaliser): the same on
 * every run and machine. Used to derive a node's stream from its name. */
uint64_t sim_hash64_str(const char *s);
uint64_t sim_mix64(uint64_t x);   /* splitmix64 finaliser: a bijection, sim_mix64(0) == 0 */

/* Stream domains (the kernel uses these) */
enum { SIM_STREAM_NETWORK = 1, SIM_STREAM_WORKLOAD = 2, SIM_STREAM_FAULTS = 3, SIM_STREAM_NODE = 4, SIM_STREAM_SCENARIO = 5,
       SIM_STREAM_DISK = 6 };

#endif
