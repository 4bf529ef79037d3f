/*
 * The Lua runtime of one run: the lua_State, its sandbox and limits, the call
 * context (scenario code or which node's handler is running), and the ways a
 * run ends early. Shared by the files lua/l*.c that implement `require "dsim"`,
 * Lua node programs and `dsim run FILE.lua`; nothing outside lua/ includes it.
 *
 * One lua_State per run holds the scenario and every Lua node. The runtime is
 * found from any coroutine through lua_getextraspace (lrt_of), so C functions
 * need no upvalue to reach it.
 *
 * How a run ends (and its exit code, lua/cli/host.h):
 *   - a scenario error (syntax error, bad argument, runtime error in scenario
 *     code or a scenario callback, a limit hit by scenario code): rt->error holds
 *     one line "file:line: message"; the run stops; exit 2;
 *   - a failed dsim.assert, a violated invariant, or an error in a node program
 *     (runtime error, instruction budget, memory cap): a failed check record,
 *     the run stops (rt->failed); exit 1 with the seed and reproduce command;
 *   - otherwise the script ends, final checks run; exit 1 if any check failed.
 */
#ifndef DSIM_LRT_H
#define DSIM_LRT_H

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdbool.h>
#include <stdint.h>

#include "lua/cli/host.h"
#include "sim/sim.h"

enum lrt_ctx { LRT_CTX_SCENARIO, LRT_CTX_NODE };

/* Defaults of dsim.limits{}. */
#define LRT_NODE_BUDGET_DEFAULT INT64_C(10000000)       /* instructions per handler call */
#define LRT_SCENARIO_BUDGET_DEFAULT INT64_C(500000000)  /* per scenario callback */
#define LRT_MEM_CAP_DEFAULT ((size_t)256 << 20)         /* bytes per run */
#define LRT_INSTANT_MAX_DEFAULT INT64_C(100000)        /* handler calls at one simulated instant */
#define LRT_MSG_MAX_DEFAULT ((size_t)4 << 20)          /* bytes of one encoded message */
#define LRT_CHARGED_STRING 128     /* allocations of strings above this are charged by size (a short,
                                      interned string, whose allocation depends on the GC, is smaller) */
#define LRT_BYTES_PER_INSTRUCTION 16                    /* their cost: one instruction per 16 bytes */
#define LRT_HOOK_COUNT 1000                             /* instructions between hook calls */

typedef struct lrt_buf {
    char *data;
    size_t len, cap;
} lrt_buf;

typedef struct lnode_config lnode_config;
typedef struct lrt_cb lrt_cb;
typedef struct lrt_checks lrt_checks;

/* A scheduled scenario callback (dsim.at, dsim.after, dsim.every, invariants). */
struct lrt_cb {
    lrt_cb *next;                /* every callback of the run, for freeing */
    struct lrt *rt;
    int ref;                     /* the Lua function */
    int64_t period_ns;           /* > 0: repeats (dsim.every) */
    bool cancelled;
    char where[160];             /* "file:line:" where it was registered */
};

typedef struct lrt {
    lua_State *L;
    sim *s;
    dsim_run *run;               /* NULL outside `dsim run` (the benchmark) */
    char *scenario;              /* the path as given on the command line */
    char *scenario_dir;          /* its folder: the only place `require` reads */
    char *lib_dir;               /* the folder lua/dsim (the helpers), or NULL */

    int64_t node_budget, scenario_budget;
    int64_t pattern_cpu_ns;      /* dsim.limits{ pattern_cpu }: accepted, unused (lmatch.c) */
    size_t mem_cap, mem_used, mem_peak;
    size_t msg_max;              /* the longest encoding (message, disk, annotation) */
    int64_t instant_max;         /* handler calls and callbacks at one instant */
    int64_t instant_ns, instant_calls;

    /* The running call (saved and restored around nested calls). */
    int ctx;
    sim_node *node;              /* the node whose handler runs, or NULL */
    const char *handler;         /* "start", "receive", "timer", "callback" ... */
    const void *self;            /* the running node's self table (identity only) */
    int64_t budget_left;
    int calls;                   /* lrt_pcall depth: charges apply only inside a call */
    lua_State *slice_thread;     /* the coroutine of the running time slice (lslice.c) */
    int64_t slice_left;          /* its instructions left */
    bool slice_preempted;
    int64_t last_spent;          /* instructions the last lrt_pcall ran (steps of LRT_HOOK_COUNT) */
    bool killed;                 /* a limit was hit: every pcall re-raises */
    char kill_msg[400];
    char last_where[160];        /* a recent "file:line:" seen by the hook */

    bool ran, running, closing;
    bool failed;                 /* a check failed and stopped the run */
    char *error;                 /* a scenario error: one line, exit 2 */
    char errmsg[1024];           /* the last error of lrt_pcall, as text */

    int ref_selves;              /* node id -> self table of a Lua node */
    int ref_timers;              /* node id -> { timer name -> timer id } */
    int ref_names;               /* node id -> its name as a Lua string (made once) */
    int ref_ids;                 /* node name -> node id (a cache of sim_node_find) */
    int ref_dsim;                /* the dsim module table */
    int ref_array_mt, ref_object_mt;
    int ref_userfns;             /* user code that C systems call (luserfn.c) */
    lrt_buf buf;                 /* message encoding scratch */

    lrt_cb *cbs;                 /* scheduled scenario callbacks (C-owned) */
    lnode_config **configs;      /* one per Lua cluster */
    size_t nconfigs;
    lrt_checks *checks;
    uint32_t next_cluster;
    struct lrt_syscfg { const struct sim_system *sys; void *config; } *syscfgs;
    size_t nsyscfgs;             /* C system configs, released at the end */
    bool *clients;               /* node id -> a workload client (nemesis skips) */
    size_t nclients;
    const sim_msg *cur_msg;
} lrt;

static inline lrt *lrt_of(lua_State *L) { return *(lrt **)lua_getextraspace(L); }

/* ---- lrt.c: life cycle, limits, protected calls ---- */
lrt *lrt_create(sim *s, dsim_run *run, const char *scenario, char *err, size_t errlen);
void lrt_destroy(lrt *rt);
void lrt_keep_system_config(lrt *rt, const struct sim_system *sys, void *config);
/* Calls the function below nargs arguments with the limits of ctx. Returns a
 * lua status; on error the stack holds nothing of the call and rt->errmsg the
 * message as one line ("file:line: ..."); the abort sentinel gives status
 * LUA_ERRRUN and rt->errmsg "". Allocates nothing outside the protected call. */
int lrt_pcall(lrt *rt, int nargs, int nresults, int ctx, sim_node *node, const char *handler);
bool lrt_is_abort(lua_State *L, int idx);
/* Charges cost instructions to the running call; raises the budget error (and
 * kills the call) when it is spent, or when the call was killed already. */
void lrt_charge(lua_State *L, int64_t cost);
/* Kills the call when the Lua heap plus what the kernel holds in flight (plus
 * extra bytes about to be added) passes the memory cap. */
void lrt_check_memory(lua_State *L, size_t extra);
int lrt_raise_abort(lua_State *L);                      /* never returns */
/* Records the first scenario error and stops the simulation. */
void lrt_scenario_error(lrt *rt, const char *msg);
/* Reports a failed check, stops the simulation, marks the run failed. */
void lrt_fail(lrt *rt, const char *check, const char *detail);
/* Counts a handler or callback about to run at the current instant; once more
 * than rt->instant_max ran at one instant (time stopped advancing), fails the
 * run with the check "time-stalled" naming node (or the scenario) and handler,
 * and returns false. */
bool lrt_count_call(lrt *rt, sim_node *node, const char *handler);
/* Errors "dsim.NAME cannot be called from a node program" inside a handler. */
void lrt_scenario_only(lua_State *L, const char *fname);
/* "file:line:" of the innermost Lua frame at or above level, or "". */
void lrt_where(lua_State *L, int level, char *out, size_t n);
/* True when the message starts with a position ("file:12: ..."). */
bool lrt_has_position(const char *msg);
/* Schedules the function at fn for at_ns (repeating every period_ns when > 0);
 * pushes its handle (with :cancel()). lscenario.c. */
lrt_cb *lrt_schedule(lua_State *L, int fn, int64_t at_ns, int64_t period_ns);
/* "4 MiB", "512 KiB" or "100 bytes", pushed on the stack. */
const char *lrt_bytes_text(lua_State *L, size_t bytes);
/* The value at idx as text that never shows an address ("table", "function"). */
const char *lrt_tostring(lua_State *L, int idx, size_t *len);

/* ---- lsandbox.c / ldet.c / lrequire.c: the environment ---- */
int lrt_open_sandbox(lua_State *L);      /* protected: builds the global env */
void lrt_open_patterns(lua_State *L);    /* lmatch.c: string patterns charged by their steps */
void lrt_open_det(lua_State *L);         /* pairs, next, table.sort, math.random ... */
/* Pushes an array of the keys of the table at t in canonical order (numbers,
 * then strings...; never hash order); returns its length. ldet.c. */
lua_Integer lrt_push_sorted_keys(lua_State *L, int t);
void lrt_open_require(lua_State *L);     /* require */
/* Loads the lua/dsim helpers into the dsim table at idx (when found). */
void lrt_load_helpers(lua_State *L, int dsim_idx);
/* The table of private functions handed to lua/dsim helpers (lcheck.c). */
void lrt_push_internal(lua_State *L);
/* math.random's contract on stream r, arguments from index first on. */
int lrt_random(lua_State *L, sim_rng *r, int first);

/* ---- lslice.c: preemptive time slices (lua/dsim/actors.lua) ---- */
bool lrt_slice_tick(lrt *rt, lua_State *L);   /* from the hook: yield now? */
void lrt_push_slice(lua_State *L);            /* adds run_slice to the table at the top */

/* ---- luserfn.c: user code called from C systems (sim/userfn.h) ---- */
void lrt_open_userfn(lrt *rt);           /* installs the host on rt->s */
/* Pushes a copy of the table at idx with every function replaced by its handle
 * ("lua-function:N"), for a C system's options. */
void lrt_userfn_strip(lua_State *L, int idx);

/* ---- lfreeze.c: what student code cannot change ---- */
/* Pushes a read-only view (a userdata) of the table at idx, named in errors. */
void lrt_push_readonly(lua_State *L, int idx, const char *name);
/* Freezes the library's globals and the standard libraries (end of setup). */
void lrt_freeze_globals(lua_State *L);

/* ---- lcodec.c: messages as canonical JSON ---- */
void lrt_encode(lua_State *L, int idx, lrt_buf *b);     /* raises on non-encodable */
bool lrt_decode(lua_State *L, const char *text, size_t len);   /* pushes 1 value or none */
int luaopen_dsim_codec(lua_State *L);     /* dsim.encode/decode/array/object */

/* ---- largs.c: arguments in human units, nodes ---- */
int64_t lrt_check_duration(lua_State *L, int idx);      /* "5ms"; a bare number is refused */
int64_t lrt_opt_duration(lua_State *L, int idx, int64_t def);
int64_t lrt_field_duration(lua_State *L, int tidx, const char *key, int64_t def, const char *fname);
double lrt_check_prob(lua_State *L, int idx);           /* 0.05 or "5%" */
double lrt_check_rate(lua_State *L, int idx);           /* "200/s" or per second */
sim_dist lrt_check_dist(lua_State *L, int idx);         /* a dsim.dist or a duration */
sim_node_id lrt_check_node(lua_State *L, int idx);      /* a name or a node handle */
/* The same for the value at idx, an element of argument arg (errors name arg). */
sim_node_id lrt_check_node_in(lua_State *L, int idx, int arg);
/* t.key (when present) parsed into *out; false when absent; errors name the field. */
bool lrt_field_prob(lua_State *L, int tidx, const char *key, double *out);
bool lrt_field_rate(lua_State *L, int tidx, const char *key, double *out);
bool lrt_field_dist(lua_State *L, int tidx, const char *key, sim_dist *out);
bool lrt_field_bandwidth(lua_State *L, int tidx, const char *key, uint64_t *out);
void lrt_push_seconds(lua_State *L, int64_t ns);
void lrt_check_fields(lua_State *L, int tidx, const char *const *known, const char *fname);
int luaopen_dsim_units(lua_State *L);                   /* adds to the dsim table on top */

/* A node handle (dsim.cluster returns them): an id, never a pointer. */
#define LNODE_HANDLE_MT "dsim.node"
typedef struct lnode_handle {
    sim_node_id id;
} lnode_handle;
void lrt_push_node(lua_State *L, sim_node_id id);        /* lcluster.c */

/* ---- the dsim module, by file ---- */
int luaopen_dsim(lua_State *L);                          /* lscenario.c */
int luaopen_dsim_faults(lua_State *L);                   /* lfaults.c */
int lrt_fault_random(lua_State *L);                      /* internal: the fault stream */
int lrt_fault_draw(lua_State *L);
int luaopen_dsim_cluster(lua_State *L);                  /* lcluster.c */
int luaopen_dsim_checks(lua_State *L);                   /* lcheck.c */
int luaopen_dsim_linearizable(lua_State *L);             /* llin.c */
int luaopen_dsim_session(lua_State *L);                  /* lsession.c */
int luaopen_dsim_submission(lua_State *L);               /* lsubmission.c */
int luaopen_dsim_disk(lua_State *L);                     /* ldisk.c */
void lrt_run_finals(lrt *rt);                            /* lcheck.c: after the script */
void lrt_checks_free(lrt *rt);

/* ---- lnode.c: Lua node programs ---- */
extern const sim_program lnode_program;
struct lnode_config {
    lrt *rt;
    int program_ref;             /* the program table */
    int handler_ref[3];          /* start, receive, timer: read at dsim.cluster */
    int options_ref;             /* extra cluster options (self.options) */
    uint32_t cluster;
};
/* Makes a config for the program table at idx (options table at oidx or 0). */
lnode_config *lnode_config_new(lrt *rt, int idx, int oidx, uint32_t cluster);
void lnode_push_state(lrt *rt, sim_node_id id);         /* deep copy of self, or nil */
void lnode_open_methods(lua_State *L);
void lrt_buf_free(lrt_buf *b);

#endif
