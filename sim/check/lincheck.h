/*
 * The linearizability checker: does a history of client operations (invoke,
 * then ok / fail / unknown) have a legal sequential order that respects real
 * time? The search is Wing & Gong's, with Lowe's just-in-time linearization and
 * memoization of (linearized set, model state), the algorithm of Porcupine and
 * Knossos (sim/check/lin_search.c explains it and its cost).
 *
 * Models. Both keep one value per key; a history whose operations carry keys is
 * checked key by key (P-compositionality: a map is linearizable iff each key's
 * sub-history is), in sorted key order, stopping at the first key that fails.
 *   register  value nil or any JSON value, initially nil.
 *             read -> v (state must be v); write v; cas [from to] (state must be from).
 *   kv        value a string, initially "" (a missing key reads as "" or nil).
 *             get -> s; put s; append s (state := state .. s); read/write/cas too.
 *
 * Outcomes, as Jepsen reads them: ok took effect between invoke and return;
 * fail never took effect and is dropped; unknown (info, timed out, or never
 * completed) may take effect at any time after its invoke, or never, so its
 * return is at +infinity and the search may leave it out. A read whose result
 * is unknown constrains nothing and is dropped.
 *
 * Operation JSON conventions (dsim histories: sim_history_* and `--trace`):
 *   f "read" / "get"     args {"key":K} or null     result {"value":V} or V
 *   f "write" / "put"    args {"key":K,"value":V} or V
 *   f "cas"              args {"key":K,"from":A,"to":B} or [A,B]
 *   f "append"           args {"key":K,"value":S}
 * A missing "key" means the single unkeyed register. Values compare by type and
 * content: 1 and "1" differ; null, a missing "value" and a result of [] (how
 * Lua encodes {value = nil}) are nil. Any other f is an input error.
 *
 * Verdicts: linearizable, not linearizable (with a short explanation: the
 * longest linearizable prefix found and the operations that could not follow
 * it, and their op ids for the viewer), or unknown when the step budget, the
 * memory cap or the caller's stop function ended the search: never a pass.
 * The same input and limits give the same verdict and the same text.
 */
#ifndef SIM_CHECK_LINCHECK_H
#define SIM_CHECK_LINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

typedef enum sim_lin_model {
    SIM_LIN_MODEL_AUTO,       /* the file's (etcd: register), else kv when an op is get/put/append */
    SIM_LIN_MODEL_REGISTER,
    SIM_LIN_MODEL_KV
} sim_lin_model;

typedef enum sim_lin_verdict { SIM_LIN_OK, SIM_LIN_VIOLATION, SIM_LIN_UNKNOWN } sim_lin_verdict;

#define SIM_LIN_DEFAULT_MAX_STEPS UINT64_C(2000000000)
#define SIM_LIN_DEFAULT_MAX_MEMORY_BYTES (UINT64_C(1) << 30)

typedef struct sim_lin_options {
    sim_lin_model model;
    uint64_t max_steps;            /* search steps over all keys; 0: the default */
    uint64_t max_memory_bytes;     /* memo and bitsets of one key; 0: the default */
    /* Polled every 65536 steps; returning true ends the search as unknown. A
     * wall-clock timeout lives here, in the caller: nothing in sim/ reads a clock. */
    bool (*stop)(void *ctx);
    void *stop_ctx;
} sim_lin_options;

typedef struct sim_lin_result {
    sim_lin_verdict verdict;
    sim_lin_model model;           /* the model used */
    const char *format;            /* "jepsen-etcd", "jepsen-edn", "dsim-trace", "sim" */
    size_t ops;                    /* operations checked (failed ones and unknown reads dropped) */
    size_t ops_dropped;
    size_t keys;
    uint64_t steps;
    uint64_t memory_bytes_peak;
    char summary[256];             /* one line: the verdict in words, or why unknown */
    char *explanation;             /* violation: a few lines ending in '\n' (malloc'ed), else NULL */
    uint64_t *op_ids;              /* violation: the ops the explanation names, ascending */
    size_t op_id_count;
    char error[256];               /* when a call returns < 0: "FILE:LINE: what is wrong" */
} sim_lin_result;

/* Checks the history in `path`, format detected from its first line: a Jepsen
 * etcd log, Jepsen EDN maps (one a line) or a dsim JSONL trace. Returns 0 with
 * the verdict in *out, or SIM_ENOENT / SIM_EIO (cannot read), SIM_EINVAL (a
 * malformed line, named in out->error) or SIM_ENOMEM. Free with sim_lin_result_free. */
int sim_lin_check_file(const char *path, const sim_lin_options *o, sim_lin_result *out);
/* The same for text in memory; `name` stands for the file in messages. */
int sim_lin_check_text(const char *text, size_t len, const char *name, const sim_lin_options *o,
                       sim_lin_result *out);
/* Checks the simulation's own client history (sim_history_count/get). */
int sim_lin_check_history(const sim *s, const sim_lin_options *o, sim_lin_result *out);
/* As sim_lin_check_history, then records the verdict as the check "linearizable"
 * (sim_check_report; unknown counts as failed). Returns 0 or the error code, in
 * which case the check is reported failed with out->error. */
int sim_lin_check_sim(sim *s, const sim_lin_options *o, sim_lin_result *out);
void sim_lin_result_free(sim_lin_result *r);

/* The op ids a failed check names, for the viewer (viz/model.c marks them on
 * the timeline): " [ops 35 37 38]", a space, "[ops", " ID" for each id in the
 * order given (ascending from the checkers), then "]"; "" when n is 0. Every
 * checker that reports a violation as a check (sim_lin_check_sim,
 * dsim.linearizable, dsim.session) ends the first line of its detail with it.
 * Writes at most cap bytes (NUL included); returns the length it needs. */
size_t sim_lin_ops_format(const uint64_t *ids, size_t n, char *buf, size_t cap);
#define SIM_LIN_OPS_MAX 320        /* enough for the ids of any explanation */

const char *sim_lin_model_name(sim_lin_model model);      /* "auto", "register", "kv" */
int sim_lin_model_parse(const char *name, sim_lin_model *out);
const char *sim_lin_verdict_name(sim_lin_verdict v);      /* "linearizable", "not linearizable", "unknown" */

#endif
