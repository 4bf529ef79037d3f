/*
 * A directory of histories with known verdicts (the Jepsen set in
 * tests/data/jepsen-histories/): EXPECTED.tsv lists, one a line, a file under
 * the directory, its verdict (linearizable / not-linearizable) and its model
 * (register / kv); a header line "file expected model" is skipped. The tests
 * and `dsim bench lincheck` run the checker over every case.
 */
#ifndef SIM_CHECK_LIN_CORPUS_H
#define SIM_CHECK_LIN_CORPUS_H

#include <stddef.h>

#include "sim/check/lincheck.h"

typedef struct sim_lin_case {
    char *file;                /* as listed, relative to the directory */
    char *path;                /* dir/file */
    sim_lin_verdict expected;  /* SIM_LIN_OK or SIM_LIN_VIOLATION */
    sim_lin_model model;
} sim_lin_case;

typedef struct sim_lin_corpus {
    sim_lin_case *cases;
    size_t count;
    char error[256];           /* when loading fails: "DIR/EXPECTED.tsv:LINE: ..." */
} sim_lin_corpus;

/* Reads dir/EXPECTED.tsv. Returns 0, SIM_ENOENT (no such file), SIM_EINVAL (a
 * malformed line) or SIM_ENOMEM, with the reason in out->error. */
int sim_lin_corpus_load(const char *dir, sim_lin_corpus *out);
void sim_lin_corpus_free(sim_lin_corpus *c);

#endif
