/*
 * A node's disk: a small key-value store that survives a crash, with fsync
 * semantics. Writes are visible to reads at once but are durable only after
 * sim_disk_sync(); a crash throws away every write since the last sync.
 * Keys iterate in byte order (never in hash or address order), so programs that
 * walk their disk stay deterministic.
 */
#ifndef SIM_DISK_H
#define SIM_DISK_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_disk sim_disk;

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

#endif
