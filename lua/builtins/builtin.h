/*
 * Built-in scenarios written in C: they run with no Lua file (`dsim run broadcast`)
 * and are the demo of `make run`. Each sets its cluster and faults up, then the
 * run is driven like any other; finish runs the final checks at the run's last
 * instant (so the viewer shows their verdicts), and cleanup frees after the run.
 */
#ifndef DSIM_BUILTIN_H
#define DSIM_BUILTIN_H

#include "lua/cli/host.h"

typedef struct dsim_builtin {
    const char *name;
    const char *summary;
    int64_t until_ns;                       /* how long the scenario runs */
    int (*setup)(dsim_run *run, char *err, size_t errlen);
    /* The final checks, at the run's last instant (inside the run). */
    void (*finish)(dsim_run *run, FILE *out);
    /* Frees what setup made, after the run (also after a failed setup). */
    void (*cleanup)(dsim_run *run);
} dsim_builtin;

const dsim_builtin *dsim_builtin_find(const char *name);
const dsim_builtin *dsim_builtin_at(size_t i);

#endif
