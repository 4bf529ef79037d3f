/*
 * A node's disk: a small key-value store that survives a crash, with fsync
 * semantics. Writes are visible to reads at once but are durable only after
 * sim_disk_sync(). What a crash does to the writes since the last sync is the
 * disk's crash mode, chosen per run or per node (sim_disk_crash_mode in sim.h):
 *
 *   SIM_DISK_LOSE_UNSYNCED  (the default) every one is lost: the disk is exactly
 *                           as it was at the last sync. The kindest model: a
 *                           program is only ever shown a state it synced.
 *   SIM_DISK_TORN           closer to a real disk under fsync: each unsynced
 *                           write reached the platter or not, independently (so a
 *                           later write can survive an earlier one that was lost:
 *                           out of order), and a surviving value may be torn (cut
 *                           to a prefix of its bytes, one crash in four of the
 *                           keys that kept a write). Drawn from a seeded stream,
 *                           so the same seed tears the same way. Synced data is
 *                           never touched. Recovery code must check what it reads
 *                           (a length, a checksum) and not trust write order.
 *
 * Keys iterate in byte order (never in hash or address order), so programs that
 * walk their disk stay deterministic.
 */
#ifndef SIM_DISK_H
#define SIM_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/rng.h"

typedef struct sim_disk sim_disk;

typedef enum sim_disk_crash_kind { SIM_DISK_LOSE_UNSYNCED, SIM_DISK_TORN } sim_disk_crash_kind;
/* "lose-unsynced" / "torn"; and back: 0 or SIM_EINVAL. */
const char *sim_disk_crash_name(sim_disk_crash_kind mode);
int sim_disk_crash_parse(const char *name, sim_disk_crash_kind *out);

int sim_disk_write(sim_disk *d, const char *key, const void *value, size_t len);
/* The value stored under key (NULL when absent); *len receives its length. The
 * pointer stays valid until the next write, remove or crash of this disk. */
const void *sim_disk_read(const sim_disk *d, const char *key, size_t *len);
int sim_disk_remove(sim_disk *d, const char *key);
int sim_disk_sync(sim_disk *d);

size_t sim_disk_count(const sim_disk *d);
/* The i-th key in byte order, i < sim_disk_count(). */
const char *sim_disk_key_at(const sim_disk *d, size_t i);
/* Writes and removes made since the last sync. */
size_t sim_disk_unsynced(const sim_disk *d);
uint64_t sim_disk_bytes(const sim_disk *d);

/* Kernel side: life cycle and the crash. */
sim_disk *sim_disk_create(void);
void sim_disk_destroy(sim_disk *d);
void sim_disk_lose_unsynced(sim_disk *d);
/* A crash in the given mode; rng (SIM_DISK_TORN only) decides what survives. */
void sim_disk_crash(sim_disk *d, sim_disk_crash_kind mode, sim_rng *rng);

#endif
