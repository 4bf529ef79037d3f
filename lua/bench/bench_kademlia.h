/* `dsim bench kademlia`: the DHT at scale (lua/bench/bench_kademlia.c). */
#ifndef DSIM_BENCH_KADEMLIA_H
#define DSIM_BENCH_KADEMLIA_H

#include <stdbool.h>
#include <stdint.h>

/* Prints one JSON line; 0 or a SIM_E* code. */
int dsim_bench_kademlia(uint64_t nodes, double seconds, bool churn, bool join_refresh);

#endif
