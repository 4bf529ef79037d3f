/*
 * The PNG reader (viz/png.h), for tests and tools that look at the frames: chunk
 * walk with CRC checks, inflate of stored and fixed-Huffman blocks (RFC 1951) with
 * the Adler-32 check, and the five row filters of 8-bit RGB. Anything else is
 * refused with SIM_EINVAL rather than guessed at.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/errors.h"
#include "viz/png.h"

typedef struct in_bits {
    const uint8_t *p;
    size_t len, pos;            /* pos in bits */
} in_bits;

static int get_bits(in_bits *b, int n, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++, b->pos++) {
        if (b->pos / 8 >= b->len) return SIM_EINVAL;
        v |= (uint32_t)((b->p[b->pos / 8] >> (b->pos % 8)) & 1u) << i;
    }
    *out = v;
    return 0;
}

/* One symbol of the fixed literal/length code, read MSB first. */
static int fixed_symbol(in_bits *b, int *sym)
{
    uint32_t code = 0, bit;
    for (int n = 1; n <= 9; n++) {
        if (get_bits(b, 1, &bit)) return SIM_EINVAL;
        code = code << 1 | bit;
        if (n == 7 && code <= 0x17) return *sym = 256 + (int)code, 0;
        if (n == 8 && code >= 0x30 && code <= 0xbf) return *sym = (int)code - 0x30, 0;
        if (n == 8 && code >= 0xc0 && code <= 0xc7) return *sym = 280 + (int)(code - 0xc0), 0;
        if (n == 9 && code >= 0x190) return *sym = 144 + (int)(code - 0x190), 0;
    }
    return SIM_EINVAL;
}


static int fixed_block(in_bits *b, uint8_t *out, size_t cap, size_t *n)
{
    for (;;) {
        int sym;
        uint32_t extra, dcode;
        if (fixed_symbol(b, &sym)) return SIM_EINVAL;
        if (sym < 256) {
            if (*n >= cap) return SIM_EINVAL;
            out[(*n)++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256) return 0;
        if (sym > 285 || get_bits(b, viz_deflate_len_extra[sym - 257], &extra)) return SIM_EINVAL;
        size_t len = viz_deflate_len_base[sym - 257] + extra;
        uint32_t rev = 0;
        if (get_bits(b, 5, &dcode)) return SIM_EINVAL;
        for (int i = 0; i < 5; i++) rev |= ((dcode >> i) & 1u) << (4 - i);
        if (rev > 29 || get_bits(b, viz_deflate_dist_extra[rev], &extra)) return SIM_EINVAL;
        size_t dist = viz_deflate_dist_base[rev] + extra;
        if (dist > *n || *n + len > cap) return SIM_EINVAL;
        for (size_t i = 0; i < len; i++, (*n)++) out[*n] = out[*n - dist];
    }
}

static int stored_block(in_bits *b, uint8_t *out, size_t cap, size_t *n)
{
    b->pos = (b->pos + 7) / 8 * 8;
    size_t at = b->pos / 8;
    if (at + 4 > b->len) return SIM_EINVAL;
    size_t len = b->p[at] | (size_t)b->p[at + 1] << 8;
    size_t nlen = b->p[at + 2] | (size_t)b->p[at + 3] << 8;
    if ((len ^ 0xffff) != nlen || at + 4 + len > b->len || *n + len > cap) return SIM_EINVAL;
    memcpy(out + *n, b->p + at + 4, len);
    *n += len;
    b->pos = (at + 4 + len) * 8;
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int inflate_zlib(const uint8_t *z, size_t zlen, uint8_t *out, size_t cap)
{
    if (zlen < 6 || (z[0] & 0x0f) != 8 || ((z[0] << 8) | z[1]) % 31 != 0 || (z[1] & 0x20))
        return SIM_EINVAL;
    in_bits b = { z + 2, zlen - 6, 0 };
    size_t n = 0;
    uint32_t final = 0, type;
    while (!final) {
        if (get_bits(&b, 1, &final) || get_bits(&b, 2, &type)) return SIM_EINVAL;
        int rc = type == 0 ? stored_block(&b, out, cap, &n)
                 : type == 1 ? fixed_block(&b, out, cap, &n) : SIM_EINVAL;
        if (rc) return rc;
    }
    uint32_t a = 1, s = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + out[i]) % 65521;
        s = (s + a) % 65521;
    }
    return (n == cap && (s << 16 | a) == be32(z + zlen - 4)) ? 0 : SIM_EINVAL;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (pa <= pb && pa <= pc) ? a : pb <= pc ? b : c;
}

static int unfilter(const uint8_t *raw, int w, int h, uint8_t *rgb)
{
    size_t stride = 3 * (size_t)w;
    for (int y = 0; y < h; y++) {
        const uint8_t *in = raw + (stride + 1) * (size_t)y;
        uint8_t *row = rgb + stride * (size_t)y, *up = y ? row - stride : NULL;
        if (in[0] > 4) return SIM_EINVAL;
        for (size_t x = 0; x < stride; x++) {
            int a = x >= 3 ? row[x - 3] : 0, b = up ? up[x] : 0, c = (up && x >= 3) ? up[x - 3] : 0;
            int pred = in[0] == 1 ? a : in[0] == 2 ? b : in[0] == 3 ? (a + b) / 2
                       : in[0] == 4 ? paeth(a, b, c) : 0;
            row[x] = (uint8_t)(in[1 + x] + pred);
        }
    }
    return 0;
}

/* Walks the chunks, checking CRCs; gathers IDAT into *z. */
static int read_chunks(const uint8_t *d, size_t len, int *w, int *h, uint8_t **z, size_t *zlen)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    if (len < 8 || memcmp(d, sig, 8) != 0) return SIM_EINVAL;
    bool header = false;
    for (size_t at = 8; at + 12 <= len;) {
        uint32_t n = be32(d + at);
        if (n > len - at - 12 || viz_crc32(0, d + at + 4, n + 4) != be32(d + at + 8 + n)) return SIM_EINVAL;
        const uint8_t *type = d + at + 4, *body = d + at + 8;
        if (memcmp(type, "IHDR", 4) == 0 && n == 13) {
            *w = (int)be32(body);
            *h = (int)be32(body + 4);
            if (body[8] != 8 || body[9] != 2 || body[12] != 0 || *w <= 0 || *h <= 0 ||
                *w > 16384 || *h > 16384)
                return SIM_EINVAL;
            header = true;
        } else if (memcmp(type, "IDAT", 4) == 0) {
            uint8_t *nz = realloc(*z, *zlen + n + 1);
            if (!nz) return SIM_ENOMEM;
            memcpy(nz + *zlen, body, n);
            *z = nz;
            *zlen += n;
        } else if (memcmp(type, "IEND", 4) == 0) {
            return header ? 0 : SIM_EINVAL;
        }
        at += 12 + n;
    }
    return SIM_EINVAL;
}

int viz_png_decode(const uint8_t *data, size_t len, uint8_t **rgb, int *w, int *h)
{
    uint8_t *z = NULL, *raw = NULL, *out = NULL;
    size_t zlen = 0;
    int rc = read_chunks(data, len, w, h, &z, &zlen);
    size_t rawlen = rc ? 0 : (3 * (size_t)*w + 1) * (size_t)*h;
    if (rc == 0) {
        raw = malloc(rawlen);
        out = malloc(3 * (size_t)*w * (size_t)*h);
        rc = (raw && out) ? inflate_zlib(z, zlen, raw, rawlen) : SIM_ENOMEM;
    }
    if (rc == 0) rc = unfilter(raw, *w, *h, out);
    free(z);
    free(raw);
    if (rc) {
        free(out);
        return rc;
    }
    *rgb = out;
    return 0;
}

int viz_png_read(const char *path, uint8_t **rgb, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    if (!f) return SIM_ENOENT;
    uint8_t *data = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            uint8_t *d = realloc(data, cap);
            if (!d) break;
            data = d;
        }
        got = fread(data + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    int rc = data ? viz_png_decode(data, len, rgb, w, h) : SIM_ENOMEM;
    free(data);
    return rc;
}
