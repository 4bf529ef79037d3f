/*
 * Delay distributions in virtual nanoseconds: link latency, think time, fault spacing.
 *
 * A sim_dist is a small value type (copy it freely); drawing from it takes a stream and
 * returns a non-negative int64 count of nanoseconds. The transcendental parts use
 * sim/detmath.h, never libm, so the same stream gives the same delays on every machine.
 *
 * Draws consumed per call (part of the determinism contract): constant 0; uniform 1
 * (rarely more: Lemire rejection); exponential 1; pareto 1; normal and lognormal 2 per
 * Marsaglia-polar attempt (about 1.27 attempts on average; the second normal is dropped).
 */
#ifndef SIM_DIST_H
#define SIM_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "sim/rng.h"

typedef enum sim_dist_kind { SIM_DIST_CONSTANT, SIM_DIST_UNIFORM, SIM_DIST_NORMAL, SIM_DIST_EXPONENTIAL, SIM_DIST_PARETO, SIM_DIST_LOGNORMAL } sim_dist_kind;
typedef struct sim_dist {
    sim_dist_kind kind;
    int64_t a_ns;  /* constant: value; uniform: low; normal: mean; exponential: mean; pareto: scale (minimum); lognormal: median */
    int64_t b_ns;  /* uniform: high (inclusive); normal: stddev; pareto: cap (0 = none); lognormal: unused */
    double shape;  /* pareto: alpha (tail index, >0); lognormal: sigma (>0); others unused */
} sim_dist;

sim_dist sim_dist_constant(int64_t ns);
sim_dist sim_dist_uniform(int64_t lo_ns, int64_t hi_ns);
sim_dist sim_dist_normal(int64_t mean_ns, int64_t stddev_ns);
sim_dist sim_dist_exponential(int64_t mean_ns);
sim_dist sim_dist_pareto(int64_t scale_ns, double alpha, int64_t cap_ns);
sim_dist sim_dist_lognormal(int64_t median_ns, double sigma);

/* 0 or SIM_EINVAL: unknown kind, a negative value, lo > hi, a pareto cap below its scale,
 * a shape that is not finite and > 0. */
int sim_dist_validate(const sim_dist *d);
/* Result in ns, clamped to >= 0 (a normal draw below 0 becomes 0: a clamp, not a
 * resample) and to INT64_MAX, rounded to nearest ns (halves up). d must be valid. */
int64_t sim_dist_draw(const sim_dist *d, sim_rng *r);
/* Human text e.g. "uniform(1ms, 20ms)" for summaries. Always NUL-terminates when n > 0;
 * 0, or SIM_EINVAL if d is invalid or the text was cut short. */
int sim_dist_format(const sim_dist *d, char *buf, size_t n);

/* Building blocks, exposed for other samplers (e.g. the Lua math.random replacement). */
double sim_dist_std_normal(sim_rng *r);   /* N(0, 1), Marsaglia polar method */
double sim_dist_std_exp(sim_rng *r);      /* Exp(1), by inversion: -log(1 - u) */

#endif
