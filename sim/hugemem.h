/*
 * Large kernel tables (nodes, timer slots) for simulations of a hundred thousand
 * nodes or more: back them with 2 MiB transparent huge pages where the system
 * allows it, so that touching a random node costs a cache miss but rarely a TLB
 * miss as well. Purely a speed hint: layout and results are the same without it.
 */
#ifndef SIM_HUGEMEM_H
#define SIM_HUGEMEM_H

#include <stddef.h>

#define SIM_HUGE_PAGE (2u << 20)

/* Asks for huge pages on the 2 MiB-aligned part of [p, p + bytes). */
void sim_advise_huge(void *p, size_t bytes);

#endif
