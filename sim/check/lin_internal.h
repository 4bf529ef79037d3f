/*
 * Inside the linearizability checker: the value pool, the parsed history, and
 * the entry points the parsers, the search and the explanation share.
 *
 * Every value (a register value, a kv string, a key, a process name) is
 * interned once in a pool and named by a dense uint32 id, so the search
 * compares and hashes model states as integers; id 0 is nil.
 */
#ifndef SIM_CHECK_LIN_INTERNAL_H
#define SIM_CHECK_LIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/check/lincheck.h"

#define LIN_T_OPEN INT64_MAX   /* the return time of an operation that may never return */
#define LIN_NIL 0u

typedef enum lin_vtype { LIN_V_NIL, LIN_V_INT, LIN_V_STR, LIN_V_JSON } lin_vtype;
typedef enum lin_f { LIN_READ, LIN_WRITE, LIN_CAS, LIN_APPEND } lin_f;

typedef struct lin_value {
    char *bytes;               /* NUL-terminated; int: decimal, str: raw, json: canonical text */
    uint32_t len;
    uint8_t type;              /* lin_vtype */
    uint64_t poly;             /* polynomial hash of the bytes: sum of b[i] * LIN_B^(len-1-i) */
    uint64_t pow;              /* LIN_B^len, so poly(x .. y) = poly(x) * pow(y) + poly(y) */
} lin_value;

#define LIN_B UINT64_C(0x100000001b3)

typedef struct lin_pool {
    lin_value *v;
    uint32_t count, cap;
    uint32_t *slots;           /* open addressing: id + 1, 0 empty */
    uint32_t slot_cap;         /* a power of two */
    uint64_t bytes;            /* memory held, for the memory cap */
} lin_pool;

int lin_pool_init(lin_pool *p);
void lin_pool_free(lin_pool *p);
/* The id of (type, bytes), interning it; UINT32_MAX when out of memory. */
uint32_t lin_pool_intern(lin_pool *p, lin_vtype type, const char *bytes, size_t len);
/* The string x .. y (both strings), interned in O(1) when it exists already
 * and O(length) when it is new; UINT32_MAX when out of memory. */
uint32_t lin_pool_concat(lin_pool *p, uint32_t x, uint32_t y);
uint32_t lin_pool_int(lin_pool *p, int64_t v);
/* Appends the value as a student reads it (nil, 3, "abc") to buf; returns chars written. */
size_t lin_pool_show(const lin_pool *p, uint32_t id, char *buf, size_t n);

typedef struct lin_op {
    uint64_t id;               /* the caller's op id: sim op id, or 1, 2, ... in a file */
    uint32_t line, return_line;/* file lines of invoke and return (0: none) */
    uint32_t process;          /* pool id of the process name */
    uint32_t key, a, b, result;/* pool ids: key; write/append value or cas from; cas to; read result */
    uint8_t f;                 /* lin_f */
    uint8_t f_name;            /* 1 when the input said get/put (shown back as written) */
    sim_outcome outcome;
    int64_t invoke_t, return_t;/* lines or ns; return_t LIN_T_OPEN when unknown */
} lin_op;

typedef struct lin_history {
    lin_pool pool;
    lin_op *ops;
    size_t count, cap;
    size_t dropped;            /* failed ops and unknown reads */
    bool times_are_lines;      /* Jepsen logs: the "time" is the line number */
    bool saw_kv_op;            /* get, put or append appeared */
    sim_lin_model format_model;/* the model the format implies (AUTO: none) */
    const char *format;
    const char *name;          /* the file, for messages */
    char error[256];
} lin_history;

int lin_history_init(lin_history *h, const char *name);
void lin_history_free(lin_history *h);
/* Adds op (its outcome decides: fail and unknown reads are counted as dropped). */
int lin_history_add(lin_history *h, const lin_op *op);
/* Sets h->error to "NAME:LINE: message" and returns SIM_EINVAL. */
int lin_fail(lin_history *h, uint32_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Parsers (each fills h from text; returns 0 or a SIM_E* with h->error set). */
int lin_parse_etcd(lin_history *h, const char *text, size_t len);
int lin_parse_edn(lin_history *h, const char *text, size_t len);
int lin_parse_jsonl(lin_history *h, const char *text, size_t len);
/* The whole file at path into *text (malloc'ed, not NUL-terminated) and *len:
 * 0, or SIM_ENOENT / SIM_EIO / SIM_ENOMEM with "PATH: why" in err. Both checkers'
 * *_check_file read through it. */
int lin_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);
int lin_load_sim(lin_history *h, const sim *s);

/* f, args, result and outcome of a dsim op (the JSON conventions in lincheck.h)
 * into *op; `line` names the place in messages. */
int lin_op_from_json(lin_history *h, lin_op *op, const char *f, const char *args,
                     const char *result, uint32_t line);

/* Opens and closes operations by process for the line formats: an invoke, then
 * the next return of the same process. */
typedef struct lin_pairing {
    uint32_t *open;            /* per process pool id: index into h->ops + 1, 0 none */
    uint32_t cap;
} lin_pairing;
int lin_pair_invoke(lin_history *h, lin_pairing *pr, const lin_op *op);
/* The open op of `process`, or NULL (error set) when it has none or f differs. */
lin_op *lin_pair_return(lin_history *h, lin_pairing *pr, uint32_t process, lin_f f, uint32_t line);
/* Ends the history: ops still open stay open to +infinity; drops what must go. */
int lin_pair_finish(lin_history *h, lin_pairing *pr);

/* The search over one key's operations (indices into h->ops). */
typedef struct lin_search_out {
    sim_lin_verdict verdict;
    const char *why;           /* unknown: which limit */
    bool step_limit;           /* unknown because steps_left ran out (more steps may decide it) */
    uint64_t steps, memory_bytes_peak;
    uint32_t *prefix;          /* violation: the longest linearizable prefix found (op indices) */
    uint32_t *prefix_states;   /* the model state after each prefix op */
    size_t prefix_len;
    uint32_t stuck;            /* the op whose return came before it could be linearized */
} lin_search_out;

typedef struct lin_model {
    sim_lin_model kind;
    lin_pool *pool;
    uint32_t init;             /* nil (register) or "" (kv) */
    struct lin_concat *concat; /* memo of append results */
} lin_model;

int lin_model_init(lin_model *m, sim_lin_model kind, lin_pool *pool);
void lin_model_free(lin_model *m);
/* Applies op to state: 1 when legal, with the next state in *next; 0 when
 * not; SIM_ENOMEM when a new value could not be made. */
int lin_model_step(lin_model *m, uint32_t state, const lin_op *op, uint32_t *next);
/* Why op is illegal in state, in words ("read 1, but the value is 3"). */
void lin_model_why(const lin_model *m, uint32_t state, const lin_op *op, char *buf, size_t n);

int lin_search(const lin_history *h, lin_model *m, const uint32_t *ops, size_t n,
               const sim_lin_options *o, uint64_t steps_left, lin_search_out *out);
void lin_search_out_free(lin_search_out *out);

/* Writes the violation's explanation into r (explanation, op_ids, summary). */
int lin_explain(const lin_history *h, lin_model *m, const uint32_t *ops, size_t n,
                const lin_search_out *s, uint32_t key, sim_lin_result *r);
/* "p3 read -> 1" style text of one op. */
size_t lin_op_show(const lin_history *h, const lin_op *op, char *buf, size_t n);

#endif
