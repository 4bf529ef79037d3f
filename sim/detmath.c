/*
 * Deterministic log and exp, written with IEEE-754 + - * / and frexp/ldexp only.
 *
 * Both reduce the argument exactly and then sum a fixed polynomial in a fixed order, so
 * with -ffp-contract=off (no fused multiply-add) and FLT_EVAL_METHOD == 0 (no x87 excess
 * precision) every compiler on every machine computes the same bits. The classic
 * fdlibm split of ln 2 into a short high part (exact when multiplied by the exponent)
 * and a low correction keeps the reduction error below an ulp.
 *
 * Rejected alternative: a table-driven method would be faster but needs a table we would
 * have to generate and trust; draws are not the kernel's bottleneck.
 */
#include "sim/detmath.h"

#include <float.h>
#include <math.h>

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "dsim needs FLT_EVAL_METHOD == 0 (SSE2 on x86) for bit-identical floating point"
#endif

static const double LN2_HI = 6.93147180369123816490e-01;   /* 0x3FE62E42FEE00000 */
static const double LN2_LO = 1.90821492927058770002e-10;   /* ln 2 - LN2_HI */
static const double INV_LN2 = 1.44269504088896338700e+00;
static const double SQRT_HALF = 0.70710678118654752440;

/* log(m) for m in [sqrt(1/2), sqrt(2)): 2 atanh(s) with s = (m-1)/(m+1), |s| < 0.1716.
 * The series 2(s + s^3/3 + ...) needs terms up to s^25 for s^2^12 / 25 < 2^-56. */
static double log_reduced(double m)
{
    double s = (m - 1.0) / (m + 1.0);   /* m - 1 is exact (Sterbenz) */
    double z = s * s;
    double p = 1.0 / 25.0;
    for (int k = 23; k >= 3; k -= 2)
        p = p * z + 1.0 / (double)k;
    /* log m = 2s + 2s * z * p: adding the small tail last keeps 2s exact. */
    return 2.0 * s + 2.0 * s * (z * p);
}

double sim_det_log(double x)
{
    if (x != x || x < 0.0)
        return NAN;
    if (x == 0.0)
        return -INFINITY;
    if (x == INFINITY)
        return INFINITY;
    int e;
    double m = frexp(x, &e);            /* exact: x = m * 2^e, m in [0.5, 1) */
    if (m < SQRT_HALF) {
        m *= 2.0;
        e -= 1;
    }
    double lm = log_reduced(m);
    double de = (double)e;
    /* de * LN2_HI is exact (|e| < 1100 needs 11 bits); add the small parts first. */
    return de * LN2_HI + (lm + de * LN2_LO);
}

/* exp(r) for |r| <= 0.35 (plus a hair): Taylor to degree 15, 15! > 1.3e12 and
 * 0.35^16 / 16! < 2^-60. The 1/k! are the correctly rounded double literals. */
static double exp_reduced(double r)
{
    static const double inv_fact[16] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
        1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
        1.0 / 6227020800.0, 1.0 / 87178291200.0, 1.0 / 1307674368000.0,
    };
    double p = inv_fact[15];
    for (int k = 14; k >= 2; k--)
        p = p * r + inv_fact[k];
    /* exp r = 1 + (r + r^2 * p): the correction is added to 1 last. */
    return 1.0 + (r + (r * r) * p);
}

double sim_det_exp(double x)
{
    if (x != x)
        return NAN;
    if (x > 709.782712893384)           /* just above log(DBL_MAX) */
        return INFINITY;
    if (x < -745.2)                     /* below log of the smallest subnormal / 2 */
        return 0.0;
    /* k = nearest integer to x / ln 2, by truncation of x/ln2 +- 0.5 (no libm rounding). */
    double t = x * INV_LN2;
    int k = (int)(t + (t >= 0.0 ? 0.5 : -0.5));
    double dk = (double)k;
    double r = (x - dk * LN2_HI) - dk * LN2_LO;   /* dk * LN2_HI exact, difference exact */
    double p = exp_reduced(r);
    if (k < -1000) {
        /* ldexp into the subnormal range would round inside ldexp; keep ldexp exact and
         * let one IEEE multiplication do the single, correctly rounded step instead. */
        return ldexp(p, k + 1000) * 0x1.0p-1000;
    }
    return ldexp(p, k);
}
