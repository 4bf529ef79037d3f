/*
 * Delay distributions: constructors, validation, sampling and a human-readable form.
 *
 * Sampling turns uniform draws into delays with sim_det_log/sim_det_exp and sqrt (IEEE
 * correctly rounded), never libm's log/exp, and rounds to whole nanoseconds with integer
 * logic, so a delay is the same on every machine. The normal uses Marsaglia's polar method
 * rather than Box-Muller because it needs no sin/cos (which we would have to write too).
 */
#include "sim/dist.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#include "sim/detmath.h"
#include "sim/errors.h"
#include "sim/units.h"

sim_dist sim_dist_constant(int64_t ns)
{
    return (sim_dist){ .kind = SIM_DIST_CONSTANT, .a_ns = ns };
}

sim_dist sim_dist_uniform(int64_t lo_ns, int64_t hi_ns)
{
    return (sim_dist){ .kind = SIM_DIST_UNIFORM, .a_ns = lo_ns, .b_ns = hi_ns };
}

sim_dist sim_dist_normal(int64_t mean_ns, int64_t stddev_ns)
{
    return (sim_dist){ .kind = SIM_DIST_NORMAL, .a_ns = mean_ns, .b_ns = stddev_ns };
}

sim_dist sim_dist_exponential(int64_t mean_ns)
{
    return (sim_dist){ .kind = SIM_DIST_EXPONENTIAL, .a_ns = mean_ns };
}

sim_dist sim_dist_pareto(int64_t scale_ns, double alpha, int64_t cap_ns)
{
    return (sim_dist){ .kind = SIM_DIST_PARETO, .a_ns = scale_ns, .b_ns = cap_ns, .shape = alpha };
}

sim_dist sim_dist_lognormal(int64_t median_ns, double sigma)
{
    return (sim_dist){ .kind = SIM_DIST_LOGNORMAL, .a_ns = median_ns, .shape = sigma };
}

static int shape_ok(double shape)
{
    return shape > 0.0 && shape <= DBL_MAX;   /* false for NaN and inf */
}

int sim_dist_validate(const sim_dist *d)
{
    if (d == NULL || d->a_ns < 0)
        return SIM_EINVAL;
    switch (d->kind) {
    case SIM_DIST_CONSTANT:
    case SIM_DIST_EXPONENTIAL:
        return SIM_OK;
    case SIM_DIST_UNIFORM:
        return d->b_ns >= d->a_ns ? SIM_OK : SIM_EINVAL;
    case SIM_DIST_NORMAL:
        return d->b_ns >= 0 ? SIM_OK : SIM_EINVAL;
    case SIM_DIST_PARETO:
        if (!shape_ok(d->shape) || d->b_ns < 0 || (d->b_ns != 0 && d->b_ns < d->a_ns))
            return SIM_EINVAL;
        return SIM_OK;
    case SIM_DIST_LOGNORMAL:
        return shape_ok(d->shape) ? SIM_OK : SIM_EINVAL;
    }
    return SIM_EINVAL;
}

double sim_dist_std_normal(sim_rng *r)
{
    double u, v, s;
    do {
        u = 2.0 * sim_rng_unit(r) - 1.0;   /* exact: unit is a multiple of 2^-53 */
        v = 2.0 * sim_rng_unit(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * sim_det_log(s) / s);
}

double sim_dist_std_exp(sim_rng *r)
{
    double u = 1.0 - sim_rng_unit(r);      /* exact, in (0, 1]: log never sees 0 */
    return -sim_det_log(u);
}

/* Nearest ns, halves up, clamped to [0, INT64_MAX]; NaN -> 0. */
static int64_t round_ns(double v)
{
    if (!(v > 0.0))
        return 0;
    if (v >= 0x1.0p63)
        return INT64_MAX;
    int64_t t = (int64_t)v;                /* truncation of a positive value: floor */
    if (v - (double)t >= 0.5)              /* exact: t and v are in the same or adjacent binade */
        t++;
    return t;
}

int64_t sim_dist_draw(const sim_dist *d, sim_rng *r)
{
    SIM_ASSERT(sim_dist_validate(d) == SIM_OK);
    double a = (double)d->a_ns;
    switch (d->kind) {
    case SIM_DIST_CONSTANT:
        return d->a_ns;
    case SIM_DIST_UNIFORM:
        return sim_rng_range(r, d->a_ns, d->b_ns);
    case SIM_DIST_NORMAL:
        return round_ns(a + (double)d->b_ns * sim_dist_std_normal(r));
    case SIM_DIST_EXPONENTIAL:
        return round_ns(a * sim_dist_std_exp(r));
    case SIM_DIST_PARETO: {
        /* Inversion: scale * u^(-1/alpha), with u^(-1/alpha) = exp(-log(u) / alpha). */
        int64_t x = round_ns(a * sim_det_exp(sim_dist_std_exp(r) / d->shape));
        if (x < d->a_ns)                   /* exp(0) = 1 exactly, but be robust */
            x = d->a_ns;
        return d->b_ns != 0 && x > d->b_ns ? d->b_ns : x;
    }
    case SIM_DIST_LOGNORMAL:
        return round_ns(a * sim_det_exp(d->shape * sim_dist_std_normal(r)));
    }
    SIM_ASSERT(!"unknown distribution kind");
    return 0;
}

int sim_dist_format(const sim_dist *d, char *buf, size_t n)
{
    if (buf == NULL || n == 0)
        return SIM_EINVAL;
    buf[0] = '\0';
    if (sim_dist_validate(d) != SIM_OK)
        return SIM_EINVAL;
    char a[32], b[32];
    sim_duration_format(d->a_ns, a, sizeof a);
    sim_duration_format(d->b_ns, b, sizeof b);
    int len = 0;
    switch (d->kind) {
    case SIM_DIST_CONSTANT: len = snprintf(buf, n, "constant(%s)", a); break;
    case SIM_DIST_UNIFORM: len = snprintf(buf, n, "uniform(%s, %s)", a, b); break;
    case SIM_DIST_NORMAL: len = snprintf(buf, n, "normal(%s, %s)", a, b); break;
    case SIM_DIST_EXPONENTIAL: len = snprintf(buf, n, "exponential(%s)", a); break;
    case SIM_DIST_PARETO:
        if (d->b_ns != 0)
            len = snprintf(buf, n, "pareto(%s, %g, cap %s)", a, d->shape, b);
        else
            len = snprintf(buf, n, "pareto(%s, %g)", a, d->shape);
        break;
    case SIM_DIST_LOGNORMAL: len = snprintf(buf, n, "lognormal(%s, %g)", a, d->shape); break;
    }
    return len >= 0 && (size_t)len < n ? SIM_OK : SIM_EINVAL;
}
