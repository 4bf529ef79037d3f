/*
 * SHA-256 (FIPS 180-4), one implementation for the whole simulator: BitTorrent piece
 * hashes, IPFS content identifiers, blockchain block hashes. Portable C11, no
 * allocation, byte-order independent (the message schedule is loaded big-endian by
 * shifts), so a digest is the same on every machine. Tested against the FIPS 180
 * example vectors in tests/check_sha256.c.
 *
 * Streaming use:                 One-shot:
 *   sim_sha256_ctx c;              uint8_t d[SIM_SHA256_BYTES];
 *   sim_sha256_init(&c);           sim_sha256(data, len, d);
 *   sim_sha256_update(&c, p, n);
 *   sim_sha256_final(&c, d);
 */
#ifndef SIM_SHA256_H
#define SIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SIM_SHA256_BYTES 32
#define SIM_SHA256_HEX   65 /* 64 hex digits and the terminating NUL */

typedef struct sim_sha256_ctx {
    uint32_t h[8];
    uint64_t length_bytes; /* total bytes fed so far */
    uint8_t block[64];     /* pending partial block */
    size_t used;           /* bytes in block */
} sim_sha256_ctx;

void sim_sha256_init(sim_sha256_ctx *c);
void sim_sha256_update(sim_sha256_ctx *c, const void *data, size_t len);
void sim_sha256_final(sim_sha256_ctx *c, uint8_t out[SIM_SHA256_BYTES]);

/* The digest of len bytes at data. */
void sim_sha256(const void *data, size_t len, uint8_t out[SIM_SHA256_BYTES]);

/* Lower-case hex of a digest into out (SIM_SHA256_HEX bytes, NUL-terminated). */
void sim_sha256_hex(const uint8_t digest[SIM_SHA256_BYTES], char out[SIM_SHA256_HEX]);

#endif
