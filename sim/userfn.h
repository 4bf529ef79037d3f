/*
 * User code called from C systems. A system's own logic is C, but the code a
 * user supplies to it (map, combine, reduce and partition functions; stream
 * operators; smart contracts; lab solutions) is Lua that runs in the node
 * sandbox, with the node's instruction budget and the run's memory cap, under
 * the calling node's identity. The kernel does not know Lua: the host program
 * installs a sim_userfn_host and C systems call through this header only.
 *
 * Naming user code. A Lua function given in a system's options from a scenario
 *     dsim.cluster{system = "mapreduce", map = function(key, value) ... end}
 * reaches the system's configure() as a string handle ("lua-function:3"); the
 * system keeps the string and calls it by that handle. Source text that arrives
 * at run time (a contract deployed by a transaction) is compiled in the sandbox
 * with sim_userfn_load, which gives a handle of the same form.
 *
 * Calls. Arguments and results are JSON (cJSON), as messages are: what a user
 * function sees is what it could have received in a message, so no C memory
 * reaches Lua. A call that errors, exceeds its budget or the memory cap returns
 * SIM_EINVAL with one line "file:line: message" in err; the system decides what
 * that means (a failed task, a reverted contract), never an abort.
 *
 * Gas. budget is an instruction count (0: the host's node budget, dsim.limits);
 * *used (may be NULL) receives the instructions the call ran, counted in steps
 * of 1,000 (the sandbox's hook interval): a deterministic cost, the same on
 * every run and machine, that contracts charge as gas.
 */
#ifndef SIM_USERFN_H
#define SIM_USERFN_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

typedef struct sim_userfn_host {
    void *ctx;
    /* Calls handle (or, when method is not NULL, the field method of the table
     * that handle names) with the elements of args (a JSON array, may be NULL)
     * as its arguments. On 0, *result is a new JSON array of the call's results
     * (the caller frees it with cJSON_Delete). */
    int (*call)(void *ctx, sim_node *node, const char *handle, const char *method, const cJSON *args,
                int64_t budget, cJSON **result, int64_t *used, char *err, size_t errlen);
    /* Compiles source (text only, never bytecode) named chunkname in the sandbox
     * and runs it once with the budget; its first result (a function or a table
     * of functions) gets a handle written to handle_out. */
    int (*load)(void *ctx, sim_node *node, const char *chunkname, const char *source, size_t len,
                int64_t budget, char *handle_out, size_t handle_len, char *err, size_t errlen);
} sim_userfn_host;

/* Installed by the host before the run; NULL removes it. */
void sim_userfn_set_host(sim *s, const sim_userfn_host *host);

/* Return SIM_ESTATE with a message in err when no host is installed (a C-only
 * run, a benchmark): user code needs the Lua layer. */
int sim_userfn_call(sim_node *node, const char *handle, const char *method, const cJSON *args,
                    int64_t budget, cJSON **result, int64_t *used, char *err, size_t errlen);
int sim_userfn_load(sim_node *node, const char *chunkname, const char *source, size_t len,
                    int64_t budget, char *handle_out, size_t handle_len, char *err, size_t errlen);

/* True when text is a handle of user code ("lua-function:N"). */
int sim_userfn_is_handle(const char *text);

#endif
