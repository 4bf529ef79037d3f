/*
 * Human units used by the command line and the Lua scenarios: durations, rates,
 * probabilities, sizes, bandwidths and seeds.
 *
 * Parsing is strict and exact: no whitespace, no sign, no exponent, a unit from a fixed
 * list, and decimal fractions converted with integer arithmetic (never strtod, whose
 * result depends on the locale's decimal point). A value that an integer result cannot
 * hold exactly ("1.5ns", "0.5B") is rejected rather than silently rounded. Every function
 * returns 0 or SIM_EINVAL and leaves *out untouched on error.
 */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "5ms" "1.5s" "250us" "10ns" "2m" "1h" "0"; units ns, us (or UTF-8 µs, μs), ms, s, m or
 * min, h.
 * A plain number without unit is an error, except a zero value. Negative, overflow
 * (> INT64_MAX ns), finer than 1ns, junk, empty => SIM_EINVAL. "0.1s" == 100000000 exactly. */
int sim_duration_parse(const char *text, int64_t *out_ns);
/* Shortest exact human form: "1.5s", "250us", "0s", "90s", "1h", "-5ms". Units h and m
 * are used only for whole multiples; decimal forms never start with "0.". Always
 * NUL-terminates when n > 0; SIM_EINVAL if cut short. 32 bytes always suffice. */
int sim_duration_format(int64_t ns, char *buf, size_t n);
/* "200/s" "5/ms" "10/min" (also /ns /us /m /h); SIM_EINVAL on junk/negative. */
int sim_rate_parse(const char *text, double *out_per_s);
/* "0.05" or "5%"; must be in [0,1]; SIM_EINVAL otherwise. */
int sim_prob_parse(const char *text, double *out_p);
/* "64", "64B", "4KB" = 4000, "4KiB" = 4096: KB/MB/GB/TB are 1000 powers (kB too),
 * KiB/MiB/GiB/TiB are 1024 powers. "1.5KiB" = 1536; "1.5B" is an error. */
int sim_bytes_parse(const char *text, uint64_t *out_bytes);
/* "10MB/s", "1Gbit/s", "100Mbps", "64KiB/s", "8kbps"; bits must make whole bytes
 * ("1bit/s" is an error); at most 2^61 B/s. */
int sim_bandwidth_parse(const char *text, uint64_t *out_bytes_per_s);
/* Decimal or 0x hex uint64; junk/negative/overflow => SIM_EINVAL. */
int sim_seed_parse(const char *text, uint64_t *out);

#endif
