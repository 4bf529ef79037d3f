/*
 * The session guarantees of Terry et al. (1994), the promises a replicated store
 * can make to one client even when it is not linearizable, checked in C over a
 * history of client operations: the kernel's (sim_history_count/get) or a
 * recorded one (a dsim JSONL trace, or a Jepsen log; the readers of
 * sim/check/lincheck.h, with the same operation JSON conventions: reads
 * "read"/"get" with result {"value":V} or V, writes "write"/"put" {"key","value"},
 * "cas" {"key","from","to"}; "append" is refused).
 *
 * A session is one process (the client node that invoked the operations), and
 * each key is judged on its own. Failed operations are ignored; a read counts
 * only when it returned (ok); a write that timed out (unknown) or never
 * returned may have taken effect at any time after its invoke.
 *
 *   read-your-writes  a read R of key k by process P, after P's last
 *                     acknowledged (ok) write or cas W of k in P's invoke order,
 *                     violates it when R returned a value x other than W's, and
 *                     x is nil or no write of x to k (by any process, ok or
 *                     unknown, other than W) was still unfinished when W was
 *                     invoked: x can only be older than W.
 *   monotonic-reads   a read R of key k by process P, after P's previous ok
 *                     read R1 of k returned y (not nil), violates it when R
 *                     returned a value x other than y, and x is nil, or every
 *                     write of x to k completed before the first write of y
 *                     that R1 could have seen (invoked before R1 completed)
 *                     was invoked: x can only be older than y.
 *
 * Values repeat (lin-kv writes draw from 1..5), so "older" is judged by real
 * time only, exactly as lua/dsim/session.lua does: the checker never blames a
 * correct store, but can miss a violation whose stale value is written again
 * later. The words of each line are those of session.lua, so both agree.
 */
#ifndef SIM_CHECK_SESSION_H
#define SIM_CHECK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

enum {
    SIM_SESSION_RYW = 1,       /* read-your-writes */
    SIM_SESSION_MR = 2,        /* monotonic-reads */
    SIM_SESSION_BOTH = 3
};

#define SIM_SESSION_MAX_LISTED 1000   /* violations kept in the list (all are counted) */

typedef struct sim_session_options {
    unsigned checks;                  /* SIM_SESSION_* bits; 0: both */
    const char *const *clients;       /* only these processes, by name; NULL: every one */
    size_t nclients;
} sim_session_options;

typedef struct sim_session_violation {
    unsigned check;                   /* SIM_SESSION_RYW or SIM_SESSION_MR */
    uint64_t op;                      /* the read */
    uint64_t cause;                   /* RYW: the process's own write it missed; MR: its earlier read */
    char process[48], key[48], value[48];   /* as Lua's tostring shows them ("nil", "3", abc) */
    char why[320];                    /* "op 21 (ca1 read key 1 at 0.098s) returned nil, but ..." */
} sim_session_violation;

typedef struct sim_session_result {
    bool ok;                          /* no violation of the checks asked for */
    const char *format;               /* "sim", "dsim-trace", "jepsen-etcd", "jepsen-edn" */
    size_t ops;                       /* operations of the checked processes */
    size_t reads;                     /* ok reads judged */
    size_t count[2];                  /* violations of RYW, MR */
    char line[2][512];                /* each check's line, as session.lua words it ("" when not asked) */
    char summary[1040];               /* the asked lines, joined by "; " */
    sim_session_violation *bad;       /* RYW ones first, each in process then history order */
    size_t bad_count;
    uint64_t *op_ids;                 /* the first violation of each failing check: read and cause, ascending */
    size_t op_id_count;
    char error[256];                  /* when a call returns < 0 */
} sim_session_result;

/* Checks the simulation's client history. Returns 0 with the verdict in *out,
 * or SIM_EINVAL (an operation it cannot read, named in out->error) or
 * SIM_ENOMEM. Free with sim_session_result_free. */
int sim_session_check_history(const sim *s, const sim_session_options *o, sim_session_result *out);
/* The same for a history file or text, format detected as sim_lin_check_file does. */
int sim_session_check_file(const char *path, const sim_session_options *o, sim_session_result *out);
int sim_session_check_text(const char *text, size_t len, const char *name, const sim_session_options *o,
                           sim_session_result *out);
void sim_session_result_free(sim_session_result *r);

/* "read-your-writes", "monotonic-reads", "both" or "session" (both) into bits. */
int sim_session_checks_parse(const char *name, unsigned *out);
const char *sim_session_check_name(unsigned check);  /* "read-your-writes", "monotonic-reads", "session" */

#endif
