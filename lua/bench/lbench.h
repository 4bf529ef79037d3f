/*
 * The Lua node benchmark (lua/bench/lbench.c), for `dsim bench` and the README:
 * messages per second through Lua receive handlers, and through the same
 * workload's C program (lua/bench/bench_msgs.c), for the cost ratio of a Lua node.
 */
#ifndef DSIM_LBENCH_H
#define DSIM_LBENCH_H

#include <stdint.h>

/* N nodes, sim_seconds of simulated time; 0 or a negative SIM_E* code. */
int sim_bench_lua_msgs(uint64_t nodes, double sim_seconds, double *lua_msgs_per_s, double *c_msgs_per_s);

/* The receive path alone: N C nodes send 64-byte JSON messages (exponential
 * intervals of mean 1 simulated second) to N Lua nodes whose receive handler
 * only counts; messages per wall second through the Lua receive handlers. */
int sim_bench_lua_receive(uint64_t nodes, double sim_seconds, double *msgs_per_s);

#endif
