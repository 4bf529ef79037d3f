/*
 * Parsing and printing of human units (durations, rates, probabilities, sizes,
 * bandwidths, seeds) for the command line and the Lua scenarios.
 *
 * Every parser splits the text into a decimal number "digits[.digits]" and a unit
 * suffix looked up in a fixed table. Integer results are computed exactly: the fraction
 * D / 10^k times the unit's multiplier is reduced by gcd and must come out whole, so
 * "0.1s" is exactly 100000000 ns and "1.5ns" is refused instead of rounded. The two
 * floating-point results (rate, probability) are one correctly rounded division of two
 * exact integers when they have at most 15 digits, so they do not depend on strtod or
 * on the locale's decimal point.
 */
#include "sim/units.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/errors.h"

/* A decimal number as it appears in the text: integer digits and fraction digits. */
typedef struct decimal {
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;   /* trailing zeros already dropped */
    size_t frac_len;
} decimal;

typedef struct unit { const char *name; uint64_t mult; } unit;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Scan digits[.digits] at the start of s; return the first byte after it, or NULL. */
static const char *scan_decimal(const char *s, decimal *d)
{
    d->int_digits = s;
    while (is_digit(*s))
        s++;
    d->int_len = (size_t)(s - d->int_digits);
    d->frac_digits = s;
    d->frac_len = 0;
    if (d->int_len == 0)
        return NULL;            /* ".5", "", "-5", "abc" */
    if (*s != '.')
        return s;
    d->frac_digits = ++s;
    while (is_digit(*s))
        s++;
    d->frac_len = (size_t)(s - d->frac_digits);
    if (d->frac_len == 0)
        return NULL;            /* "5." */
    while (d->frac_len > 0 && d->frac_digits[d->frac_len - 1] == '0')
        d->frac_len--;
    return s;
}

/* Accumulate len digits into *acc; SIM_EINVAL on uint64 overflow. */
static int digits_to_u64(const char *p, size_t len, uint64_t *acc)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t dig = (uint64_t)(p[i] - '0');
        if (*acc > (UINT64_MAX - dig) / 10)
            return SIM_EINVAL;
        *acc = *acc * 10 + dig;
    }
    return SIM_OK;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Exactly d * mult as an integer; SIM_EINVAL on overflow or a non-integral result. */
static int decimal_times(const decimal *d, uint64_t mult, uint64_t *out)
{
    uint64_t ip = 0, frac = 0, pow10 = 1;
    if (digits_to_u64(d->int_digits, d->int_len, &ip) != SIM_OK)
        return SIM_EINVAL;
    if (mult != 0 && ip > UINT64_MAX / mult)
        return SIM_EINVAL;
    if (d->frac_len > 19)                  /* 10^k no longer fits; cannot be whole anyway */
        return SIM_EINVAL;
    if (digits_to_u64(d->frac_digits, d->frac_len, &frac) != SIM_OK)
        return SIM_EINVAL;
    for (size_t i = 0; i < d->frac_len; i++)
        pow10 *= 10;
    /* frac / pow10 * mult is whole iff (pow10 / g) divides frac, g = gcd(mult, pow10). */
    uint64_t g = gcd_u64(mult, pow10);
    uint64_t den = pow10 / g, m = mult / g;
    if (frac % den != 0)
        return SIM_EINVAL;
    uint64_t q = frac / den;
    if (m != 0 && q > UINT64_MAX / m)
        return SIM_EINVAL;
    uint64_t whole = ip * mult, part = q * m;
    if (whole > UINT64_MAX - part)
        return SIM_EINVAL;
    *out = whole + part;
    return SIM_OK;
}

/* d / 10^extra as a double: one correctly rounded division when the digits make at most
 * 2^53 and there are at most 22 fraction digits (extra included); else still
 * deterministic, just not always correctly rounded. */
static int decimal_to_double(const decimal *d, size_t extra, double *out)
{
    uint64_t mant = 0;
    if (digits_to_u64(d->int_digits, d->int_len, &mant) != SIM_OK ||
        digits_to_u64(d->frac_digits, d->frac_len, &mant) != SIM_OK)
        return SIM_EINVAL;                 /* more than ~19 significant digits */
    double den = 1.0;
    size_t k = d->frac_len + extra;
    for (; k > 0 && den < 1e22; k--)
        den *= 10.0;                       /* exact up to 1e22 */
    double v = (double)mant / den;
    for (; k > 0; k--)
        v /= 10.0;
    *out = v;
    return SIM_OK;
}

/* Split text into a number and a unit from table; the unit's multiplier goes to *mult. */
static int split_number_unit(const char *text, decimal *d, const unit *table, size_t count,
                             uint64_t *mult)
{
    if (text == NULL)
        return SIM_EINVAL;
    const char *suffix = scan_decimal(text, d);
    if (suffix == NULL)
        return SIM_EINVAL;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(suffix, table[i].name) == 0) {
            *mult = table[i].mult;
            return SIM_OK;
        }
    }
    return SIM_EINVAL;
}

#define NS_PER_S UINT64_C(1000000000)

static const unit duration_units[] = {
    { "ns", 1 }, { "us", 1000 },
    { "\xC2\xB5s", 1000 }, { "\xCE\xBCs", 1000 },   /* micro sign, Greek mu (UTF-8) */
    { "ms", 1000000 }, { "s", NS_PER_S }, { "m", 60 * NS_PER_S }, { "min", 60 * NS_PER_S },
    { "h", 3600 * NS_PER_S }, { "", 0 },   /* bare number: only zero is allowed */
};

int sim_duration_parse(const char *text, int64_t *out_ns)
{
    decimal d;
    uint64_t mult, ns;
    if (split_number_unit(text, &d, duration_units,
                          sizeof duration_units / sizeof duration_units[0], &mult) != SIM_OK)
        return SIM_EINVAL;
    if (mult == 0) {                        /* "0" is fine without a unit, "5" is not */
        uint64_t v = 1;
        if (decimal_times(&d, 1, &v) != SIM_OK || v != 0)
            return SIM_EINVAL;
    }
    if (decimal_times(&d, mult, &ns) != SIM_OK || ns > (uint64_t)INT64_MAX)
        return SIM_EINVAL;
    *out_ns = (int64_t)ns;
    return SIM_OK;
}

/* "<q>[.<frac>]<name>" where frac is rem written with width digits, trailing zeros cut. */
static void format_in_unit(char *out, size_t n, uint64_t q, uint64_t rem, int width,
                           const char *name)
{
    char frac[16];
    int len = rem == 0 ? 0 : width;        /* h and m (width -1) only come whole */
    SIM_ASSERT(len >= 0 && len < (int)sizeof frac);
    for (int i = len - 1; i >= 0; i--, rem /= 10)
        frac[i] = (char)('0' + rem % 10);
    while (len > 0 && frac[len - 1] == '0')
        len--;
    frac[len] = '\0';
    snprintf(out, n, "%" PRIu64 "%s%s%s", q, len > 0 ? "." : "", frac, name);
}

int sim_duration_format(int64_t ns, char *buf, size_t n)
{
    static const struct { const char *name; uint64_t mult; int width; } units[] = {
        { "h", 3600 * NS_PER_S, -1 }, { "m", 60 * NS_PER_S, -1 }, { "s", NS_PER_S, 9 },
        { "ms", 1000000, 6 }, { "us", 1000, 3 }, { "ns", 1, 0 },
    };
    if (buf == NULL || n == 0)
        return SIM_EINVAL;
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char best[64] = "0s", cand[64];
    for (size_t i = 0; mag != 0 && i < sizeof units / sizeof units[0]; i++) {
        uint64_t q = mag / units[i].mult, rem = mag % units[i].mult;
        if (q == 0 || (rem != 0 && units[i].width < 0))
            continue;                       /* no "0.5s", no "1.5h" */
        format_in_unit(cand, sizeof cand, q, rem, units[i].width, units[i].name);
        if (best[0] == '0' || strlen(cand) < strlen(best))
            memcpy(best, cand, sizeof best);   /* ties keep the larger unit */
    }
    int len = snprintf(buf, n, "%s%s", ns < 0 ? "-" : "", best);
    return len >= 0 && (size_t)len < n ? SIM_OK : SIM_EINVAL;
}

int sim_rate_parse(const char *text, double *out_per_s)
{
    /* Events per unit -> per second: multiply by per_s, or divide by it for m, min and
     * h (dividing by 60 rounds once; multiplying by an inexact 1/60 would round twice). */
    static const struct { const char *name; double per_s; int divide; } per[] = {
        { "/s", 1, 0 }, { "/ms", 1e3, 0 }, { "/us", 1e6, 0 }, { "/ns", 1e9, 0 },
        { "/m", 60, 1 }, { "/min", 60, 1 }, { "/h", 3600, 1 },
    };
    decimal d;
    double v;
    const char *suffix = text == NULL ? NULL : scan_decimal(text, &d);
    if (suffix == NULL || decimal_to_double(&d, 0, &v) != SIM_OK)
        return SIM_EINVAL;
    for (size_t i = 0; i < sizeof per / sizeof per[0]; i++) {
        if (strcmp(suffix, per[i].name) == 0) {
            *out_per_s = per[i].divide ? v / per[i].per_s : v * per[i].per_s;
            return SIM_OK;
        }
    }
    return SIM_EINVAL;
}

int sim_prob_parse(const char *text, double *out_p)
{
    decimal d;
    double v;
    const char *suffix = text == NULL ? NULL : scan_decimal(text, &d);
    if (suffix == NULL)
        return SIM_EINVAL;
    int percent = strcmp(suffix, "%") == 0;
    if ((!percent && suffix[0] != '\0') || decimal_to_double(&d, percent ? 2 : 0, &v) != SIM_OK)
        return SIM_EINVAL;                 /* "5%" is 5 / 10^2: one rounding, not two */
    if (!(v >= 0.0 && v <= 1.0))
        return SIM_EINVAL;
    *out_p = v;
    return SIM_OK;
}

static const unit byte_units[] = {
    { "", 1 }, { "B", 1 },
    { "KB", 1000 }, { "kB", 1000 }, { "MB", 1000000 }, { "GB", 1000000000 },
    { "TB", UINT64_C(1000000000000) },
    { "KiB", 1024 }, { "MiB", UINT64_C(1) << 20 }, { "GiB", UINT64_C(1) << 30 },
    { "TiB", UINT64_C(1) << 40 },
};

int sim_bytes_parse(const char *text, uint64_t *out_bytes)
{
    decimal d;
    uint64_t mult, v;
    if (split_number_unit(text, &d, byte_units, sizeof byte_units / sizeof byte_units[0],
                          &mult) != SIM_OK || decimal_times(&d, mult, &v) != SIM_OK)
        return SIM_EINVAL;
    *out_bytes = v;
    return SIM_OK;
}

/* Multipliers in bits per second, so that "100Mbps" is exact before dividing by 8. */
static const unit bandwidth_units[] = {
    { "B/s", 8 }, { "KB/s", 8000 }, { "kB/s", 8000 }, { "MB/s", 8000000 },
    { "GB/s", UINT64_C(8000000000) }, { "TB/s", UINT64_C(8000000000000) },
    { "KiB/s", UINT64_C(8) << 10 }, { "MiB/s", UINT64_C(8) << 20 },
    { "GiB/s", UINT64_C(8) << 30 }, { "TiB/s", UINT64_C(8) << 40 },
    { "bit/s", 1 }, { "Kbit/s", 1000 }, { "kbit/s", 1000 }, { "Mbit/s", 1000000 },
    { "Gbit/s", 1000000000 }, { "Tbit/s", UINT64_C(1000000000000) },
    { "bps", 1 }, { "Kbps", 1000 }, { "kbps", 1000 }, { "Mbps", 1000000 },
    { "Gbps", 1000000000 }, { "Tbps", UINT64_C(1000000000000) },
};

int sim_bandwidth_parse(const char *text, uint64_t *out_bytes_per_s)
{
    decimal d;
    uint64_t mult, bits;
    if (split_number_unit(text, &d, bandwidth_units,
                          sizeof bandwidth_units / sizeof bandwidth_units[0], &mult) != SIM_OK ||
        decimal_times(&d, mult, &bits) != SIM_OK || bits % 8 != 0)
        return SIM_EINVAL;
    *out_bytes_per_s = bits / 8;
    return SIM_OK;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sim_seed_parse(const char *text, uint64_t *out)
{
    uint64_t v = 0;
    if (text == NULL || text[0] == '\0')
        return SIM_EINVAL;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        const char *p = text + 2;
        if (*p == '\0')
            return SIM_EINVAL;              /* "0x" */
        for (; *p; p++) {
            int h = hex_value(*p);
            if (h < 0 || v > (UINT64_MAX >> 4))
                return SIM_EINVAL;
            v = (v << 4) | (uint64_t)h;
        }
    } else {
        size_t len = strlen(text);
        for (size_t i = 0; i < len; i++)
            if (!is_digit(text[i]))
                return SIM_EINVAL;
        if (digits_to_u64(text, len, &v) != SIM_OK)
            return SIM_EINVAL;
    }
    *out = v;
    return SIM_OK;
}
