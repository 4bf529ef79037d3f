/*
 * The PNG writer (viz/png.h): scanlines with filter "none", compressed by a small
 * deflate: LZ77 over a 32 KiB window (hash of three bytes, chains cut at 16
 * candidates) coded with the fixed Huffman table of RFC 1951 §3.2.6, in one final
 * block. No dynamic Huffman trees: on a user interface of flat colours the matches
 * do nearly all the work, and the reader stays small enough to sit in a test.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/errors.h"
#include "viz/png.h"

uint32_t viz_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static bool ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = true;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 255] ^ (crc >> 8);
    return ~crc;
}

typedef struct out_buf {
    uint8_t *data;
    size_t len, cap;
    uint64_t bits;
    int nbits;
    bool failed;
} out_buf;

static void put_byte(out_buf *o, uint8_t b)
{
    if (o->len == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 65536;
        uint8_t *d = realloc(o->data, cap);
        if (!d) {
            o->failed = true;
            return;
        }
        o->data = d;
        o->cap = cap;
    }
    o->data[o->len++] = b;
}

static void put_be32(out_buf *o, uint32_t v)
{
    for (int s = 24; s >= 0; s -= 8) put_byte(o, (uint8_t)(v >> s));
}

/* Deflate packs values least significant bit first... */
static void put_bits(out_buf *o, uint32_t value, int n)
{
    o->bits |= (uint64_t)value << o->nbits;
    o->nbits += n;
    while (o->nbits >= 8) {
        put_byte(o, (uint8_t)o->bits);
        o->bits >>= 8;
        o->nbits -= 8;
    }
}

/* ...but Huffman codes most significant bit first. */
static void put_code(out_buf *o, uint32_t code, int n)
{
    uint32_t rev = 0;
    for (int i = 0; i < n; i++) rev |= ((code >> i) & 1u) << (n - 1 - i);
    put_bits(o, rev, n);
}

static void put_symbol(out_buf *o, int sym)
{
    if (sym < 144) put_code(o, 0x30u + (uint32_t)sym, 8);
    else if (sym < 256) put_code(o, 0x190u + (uint32_t)(sym - 144), 9);
    else if (sym < 280) put_code(o, (uint32_t)(sym - 256), 7);
    else put_code(o, 0xc0u + (uint32_t)(sym - 280), 8);
}

/* DEFLATE's length and distance codes (RFC 1951, 3.2.5), shared with png_read.c. */
const uint16_t viz_deflate_len_base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                                       35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
const uint8_t viz_deflate_len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
const uint16_t viz_deflate_dist_base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                        193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
                                        6145, 8193, 12289, 16385, 24577 };
const uint8_t viz_deflate_dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                        6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

static void put_match(out_buf *o, int len, int dist)
{
    int l = 28, d = 29;
    while (viz_deflate_len_base[l] > len) l--;
    put_symbol(o, 257 + l);
    put_bits(o, (uint32_t)(len - viz_deflate_len_base[l]), viz_deflate_len_extra[l]);
    while (viz_deflate_dist_base[d] > dist) d--;
    put_code(o, (uint32_t)d, 5);
    put_bits(o, (uint32_t)(dist - viz_deflate_dist_base[d]), viz_deflate_dist_extra[d]);
}

#define WINDOW 32768
#define HASH_BITS 15
#define CHAIN 16

static uint32_t hash3(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) * 2654435761u >> (32 - HASH_BITS);
}

static void deflate_fixed(out_buf *o, const uint8_t *in, size_t n, int32_t *head, int32_t *prev)
{
    for (size_t i = 0; i < (1u << HASH_BITS); i++) head[i] = -1;
    put_bits(o, 1, 1);                      /* BFINAL */
    put_bits(o, 1, 2);                      /* BTYPE 01: fixed Huffman */
    size_t i = 0;
    while (i < n) {
        int best = 0, best_dist = 0;
        if (i + 3 <= n) {
            uint32_t h = hash3(in + i);
            size_t max = n - i < 258 ? n - i : 258;
            int32_t cand = head[h];
            for (int chain = 0; chain < CHAIN && cand >= 0 && i - (size_t)cand <= WINDOW; chain++) {
                size_t l = 0;
                while (l < max && in[(size_t)cand + l] == in[i + l]) l++;
                if ((int)l > best) {
                    best = (int)l;
                    best_dist = (int)(i - (size_t)cand);
                    if (l == max) break;
                }
                cand = prev[(size_t)cand % WINDOW];
            }
        }
        size_t step = best >= 3 ? (size_t)best : 1;
        if (best >= 3) put_match(o, best, best_dist);
        else put_symbol(o, in[i]);
        for (size_t k = 0; k < step; k++, i++) {
            if (i + 3 > n) continue;
            uint32_t h = hash3(in + i);
            prev[i % WINDOW] = head[h];
            head[h] = (int32_t)i;
        }
    }
    put_symbol(o, 256);
    if (o->nbits) put_bits(o, 0, 8 - o->nbits);
}

static void put_chunk(out_buf *o, const char *type, const uint8_t *data, size_t len)
{
    put_be32(o, (uint32_t)len);
    size_t start = o->len;
    for (int i = 0; i < 4; i++) put_byte(o, (uint8_t)type[i]);
    for (size_t i = 0; i < len; i++) put_byte(o, data[i]);
    if (o->failed) return;
    put_be32(o, viz_crc32(0, o->data + start, o->len - start));
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

/* The zlib stream of the raw scanlines (filter byte 0, then R G B per pixel). */
static int zlib_stream(const uint32_t *px, int w, int h, int pitch, out_buf *z)
{
    size_t row = 1 + 3 * (size_t)w, n = row * (size_t)h;
    uint8_t *raw = malloc(n);
    int32_t *head = malloc(sizeof(int32_t) << HASH_BITS);
    int32_t *prev = malloc(sizeof(int32_t) * WINDOW);
    if (!raw || !head || !prev) {
        free(raw), free(head), free(prev);
        return SIM_ENOMEM;
    }
    for (int y = 0; y < h; y++) {
        uint8_t *r = raw + row * (size_t)y;
        const uint32_t *src = px + (size_t)y * (size_t)pitch;
        r[0] = 0;
        for (int x = 0; x < w; x++) {
            r[1 + 3 * x] = (uint8_t)(src[x] >> 16);
            r[2 + 3 * x] = (uint8_t)(src[x] >> 8);
            r[3 + 3 * x] = (uint8_t)src[x];
        }
    }
    put_byte(z, 0x78);                      /* deflate, 32 KiB window */
    put_byte(z, 0x01);                      /* no dictionary; (0x7801 % 31) == 0 */
    deflate_fixed(z, raw, n, head, prev);
    put_be32(z, adler32(raw, n));
    free(raw), free(head), free(prev);
    return z->failed ? SIM_ENOMEM : 0;
}

int viz_png_encode(const uint32_t *px, int w, int h, int pitch, uint8_t **out, size_t *out_len)
{
    out_buf z = { 0 }, o = { 0 };
    int rc = zlib_stream(px, w, h, pitch, &z);
    if (rc) {
        free(z.data);
        return rc;
    }
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    for (int i = 0; i < 8; i++) put_byte(&o, sig[i]);
    uint8_t ihdr[13] = { 0 };
    for (int i = 0; i < 4; i++) {
        ihdr[i] = (uint8_t)((uint32_t)w >> (24 - 8 * i));
        ihdr[4 + i] = (uint8_t)((uint32_t)h >> (24 - 8 * i));
    }
    ihdr[8] = 8;                            /* bit depth */
    ihdr[9] = 2;                            /* colour type: RGB */
    put_chunk(&o, "IHDR", ihdr, sizeof(ihdr));
    put_chunk(&o, "IDAT", z.data, z.len);
    put_chunk(&o, "IEND", NULL, 0);
    free(z.data);
    if (o.failed) {
        free(o.data);
        return SIM_ENOMEM;
    }
    *out = o.data;
    *out_len = o.len;
    return 0;
}

int viz_png_write(const char *path, const uint32_t *px, int w, int h, int pitch)
{
    uint8_t *data;
    size_t len;
    int rc = viz_png_encode(px, w, h, pitch, &data, &len);
    if (rc) return rc;
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    free(data);
    return ok ? 0 : SIM_EIO;
}
