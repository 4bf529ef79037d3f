/*
 * The search's memo: the set of (linearized set, model state) configurations
 * already explored, so that the depth-first search never explores one twice
 * (Lowe's improvement to Wing & Gong). The caller passes the set's 64-bit
 * Zobrist hash, kept up to date in O(1) per step, so a lookup costs one probe
 * of an open-addressing table plus, on a hash match, one compare of the bitset
 * (n/64 words); only an insertion copies the bitset. Nothing iterates the table,
 * so its layout never decides anything.
 */
#ifndef SIM_CHECK_LIN_MEMO_H
#define SIM_CHECK_LIN_MEMO_H

#include <stddef.h>
#include <stdint.h>

typedef struct lin_memo_slot {
    uint64_t hash;
    uint32_t state;
    uint32_t ref;              /* bitset index + 1; 0: empty slot */
} lin_memo_slot;

typedef struct lin_memo {
    lin_memo_slot *slots;
    size_t cap, count;         /* cap a power of two, at most 1/2 full */
    uint64_t *arena;           /* count bitsets of `words` words each */
    size_t arena_cap;          /* in bitsets */
    size_t words;
    uint64_t max_bytes;
} lin_memo;

int lin_memo_init(lin_memo *m, size_t words, uint64_t max_bytes);
void lin_memo_free(lin_memo *m);
/* 1: (bits, state) was new and is now remembered; 0: seen before;
 * SIM_ELIMIT: the memory cap would be passed; SIM_ENOMEM. */
int lin_memo_add(lin_memo *m, uint64_t hash, uint32_t state, const uint64_t *bits);
uint64_t lin_memo_bytes(const lin_memo *m);

#endif
