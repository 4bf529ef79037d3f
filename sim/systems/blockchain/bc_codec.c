/*
 * The chain's bytes: the wire and hashing format of transactions and block
 * headers (little-endian integers, as Bitcoin's), double SHA-256, hex for the
 * JSON messages, and Merkle trees with their inclusion proofs (what a light
 * client checks against a header without the block). A decoder never trusts a
 * length: every count is bounded before it is used, and a malformed input
 * gives a reason, never a read past the buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/sha256.h"
#include "sim/systems/blockchain/blockchain.h"

void bc_sha256d(const void *data, size_t len, bc_hash *out)
{
    uint8_t once[SIM_SHA256_BYTES];
    sim_sha256(data, len, once);
    sim_sha256(once, sizeof(once), out->b);
}

void bc_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool bc_unhex(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n) return false;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static uint8_t *put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint64_t get(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

size_t bc_tx_body(const bc_tx *tx, uint8_t *buf)
{
    uint8_t *p = put(buf, tx->signer, 4);
    p = put(p, tx->nonce, 4);
    *p++ = tx->nin;
    *p++ = tx->nout;
    for (int i = 0; i < tx->nin; i++) {
        memcpy(p, tx->in[i].txid.b, 32);
        p = put(p + 32, tx->in[i].index, 4);
    }
    for (int i = 0; i < tx->nout; i++) {
        p = put(p, (uint64_t)tx->out[i].amount, 8);
        p = put(p, tx->out[i].owner, 4);
    }
    return (size_t)(p - buf);
}

size_t bc_tx_encode(const bc_tx *tx, uint8_t *buf)
{
    size_t n = bc_tx_body(tx, buf);
    memcpy(buf + n, tx->sig.b, 32);
    return n + 32;
}

void bc_tx_finish(bc_tx *tx)
{
    uint8_t buf[BC_TX_BYTES_MAX];
    bc_sha256d(buf, bc_tx_body(tx, buf), &tx->id);
}

size_t bc_tx_decode(const uint8_t *buf, size_t len, bc_tx *tx, const char **why)
{
    memset(tx, 0, sizeof(*tx));
    if (len < 10) { *why = "malformed transaction (truncated)"; return 0; }
    tx->signer = (uint32_t)get(buf, 4);
    tx->nonce = (uint32_t)get(buf + 4, 4);
    tx->nin = buf[8];
    tx->nout = buf[9];
    if (tx->nin > BC_IN_MAX || tx->nout > BC_OUT_MAX || tx->nout == 0) {
        *why = "malformed transaction (input or output count)";
        return 0;
    }
    size_t need = 10 + (size_t)tx->nin * 36 + (size_t)tx->nout * 12 + 32;
    if (len < need) { *why = "malformed transaction (truncated)"; return 0; }
    const uint8_t *p = buf + 10;
    for (int i = 0; i < tx->nin; i++, p += 36) {
        memcpy(tx->in[i].txid.b, p, 32);
        tx->in[i].index = (uint32_t)get(p + 32, 4);
    }
    for (int i = 0; i < tx->nout; i++, p += 12) {
        tx->out[i].amount = (int64_t)get(p, 8);
        tx->out[i].owner = (uint32_t)get(p + 8, 4);
    }
    memcpy(tx->sig.b, p, 32);
    bc_tx_finish(tx);
    return need;
}

void bc_header_encode(const bc_header *h, uint8_t buf[BC_HEADER_BYTES])
{
    memcpy(buf, h->prev.b, 32);
    memcpy(buf + 32, h->merkle.b, 32);
    uint8_t *p = put(buf + 64, (uint64_t)h->time_ns, 8);
    p = put(p, h->target, 8);
    put(p, h->nonce, 8);
}

void bc_header_decode(const uint8_t buf[BC_HEADER_BYTES], bc_header *h)
{
    memcpy(h->prev.b, buf, 32);
    memcpy(h->merkle.b, buf + 32, 32);
    h->time_ns = (int64_t)get(buf + 64, 8);
    h->target = get(buf + 72, 8);
    h->nonce = get(buf + 80, 8);
}

void bc_header_hash(const bc_header *h, bc_hash *out)
{
    uint8_t buf[BC_HEADER_BYTES];
    bc_header_encode(h, buf);
    bc_sha256d(buf, sizeof(buf), out);
}

uint64_t bc_hash_top64(const bc_hash *h)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | h->b[i];
    return v;
}

uint64_t bc_work(uint64_t target)
{
    return target ? UINT64_MAX / target : UINT64_MAX;
}

static void pair_hash(const bc_hash *a, const bc_hash *b, bc_hash *out)
{
    uint8_t buf[64];
    memcpy(buf, a->b, 32);
    memcpy(buf + 32, b->b, 32);
    bc_sha256d(buf, 64, out);
}

/* One level up, in place: level[i/2] = H(level[i] || level[i+1]); returns its size. */
static uint32_t merkle_up(bc_hash *level, uint32_t n)
{
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i += 2)
        pair_hash(&level[i], &level[i + 1 < n ? i + 1 : i], &level[m++]);
    return m;
}

/* Walks the tree of txs' ids: the root in *root, and when branch is not NULL the
 * siblings on the path of leaf i. Uses a scratch of n hashes (the one malloc). */
static size_t merkle_walk(const bc_tx *txs, uint32_t n, uint32_t i, bc_hash *branch, bc_hash *root)
{
    if (n == 0) { memset(root, 0, sizeof(*root)); return 0; }
    bc_hash *level = malloc(n * sizeof(bc_hash));
    SIM_ASSERT(level != NULL);
    for (uint32_t k = 0; k < n; k++) level[k] = txs[k].id;
    size_t len = 0;
    while (n > 1) {
        if (branch) branch[len++] = level[(i ^ 1) < n ? (i ^ 1) : i];
        n = merkle_up(level, n);
        i /= 2;
    }
    *root = level[0];
    free(level);
    return len;
}

void bc_merkle_root(const bc_tx *txs, uint32_t n, bc_hash *out)
{
    merkle_walk(txs, n, 0, NULL, out);
}

size_t bc_merkle_branch(const bc_tx *txs, uint32_t n, uint32_t i, bc_hash *branch)
{
    bc_hash root;
    return merkle_walk(txs, n, i, branch, &root);
}

bool bc_merkle_verify(const bc_hash *leaf, uint32_t i, const bc_hash *branch, size_t len,
                      const bc_hash *root)
{
    bc_hash h = *leaf;
    for (size_t k = 0; k < len; k++, i /= 2) {
        if (i & 1) pair_hash(&branch[k], &h, &h);
        else pair_hash(&h, &branch[k], &h);
    }
    return memcmp(h.b, root->b, 32) == 0;
}
