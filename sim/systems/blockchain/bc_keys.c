/*
 * Simulated key pairs. The honest simplification: instead of ECDSA, every node
 * has a secret key derived from the run's seed and its own id, and a signature
 * is HMAC-SHA-256(secret, message). Signing takes the calling node's handle and
 * always uses that node's own secret, so a node program can only sign as
 * itself; verification recomputes the HMAC through this registry, which stands
 * in for the public key (a real verifier needs only the public key and cannot
 * sign; here bc_verify could sign, but it only answers yes or no). A node that
 * lacks a key therefore cannot forge a signature: a "forged" one is a guess at
 * 256 bits. What is lost against real signatures: nothing a node program can
 * observe, as long as programs reach secrets only through bc_sign.
 */
#include <string.h>

#include "sim/sha256.h"
#include "sim/systems/blockchain/blockchain.h"

static void secret_of(uint64_t seed, uint32_t owner, uint8_t key[64])
{
    uint8_t in[32] = "dsim-blockchain-key";
    for (int i = 0; i < 8; i++) in[20 + i] = (uint8_t)(seed >> (8 * i));
    for (int i = 0; i < 4; i++) in[28 + i] = (uint8_t)(owner >> (8 * i));
    memset(key, 0, 64);
    sim_sha256(in, sizeof(in), key);
}

static void hmac(const uint8_t key[64], const bc_hash *msg, bc_hash *out)
{
    uint8_t pad[64], inner[SIM_SHA256_BYTES];
    sim_sha256_ctx c;
    for (int i = 0; i < 64; i++) pad[i] = key[i] ^ 0x36;
    sim_sha256_init(&c);
    sim_sha256_update(&c, pad, 64);
    sim_sha256_update(&c, msg->b, 32);
    sim_sha256_final(&c, inner);
    for (int i = 0; i < 64; i++) pad[i] = key[i] ^ 0x5c;
    sim_sha256_init(&c);
    sim_sha256_update(&c, pad, 64);
    sim_sha256_update(&c, inner, sizeof(inner));
    sim_sha256_final(&c, out->b);
}

void bc_sign(sim_node *node, const bc_hash *msg, bc_hash *sig)
{
    uint8_t key[64];
    secret_of(sim_seed(sim_of(node)), sim_self(node), key);
    hmac(key, msg, sig);
}

bool bc_verify(const sim *s, uint32_t signer, const bc_hash *msg, const bc_hash *sig)
{
    uint8_t key[64];
    bc_hash want;
    if (signer >= sim_node_count(s)) return false;
    secret_of(sim_seed(s), signer, key);
    hmac(key, msg, &want);
    return memcmp(want.b, sig->b, 32) == 0;
}
