/*
 * Deterministic math: log and exp that give the same bits on every machine.
 *
 * libm's log/exp differ in their last bit between glibc, musl, Apple's libm and across
 * architectures, which would make a delay drawn from an exponential distribution differ
 * between a student's laptop and CI. These use only IEEE-754 + - * / and frexp/ldexp
 * (all exact or correctly rounded), so the result is a pure function of the input.
 * Accuracy: within a few ulp of the true value.
 */
#ifndef SIM_DETMATH_H
#define SIM_DETMATH_H

double sim_det_log(double x);   /* x>0; log(0) = -inf, log(inf) = inf, log(x<0 or NaN) = NaN */
double sim_det_exp(double x);   /* exp(NaN) = NaN; overflows to inf, underflows to 0 */

#endif
