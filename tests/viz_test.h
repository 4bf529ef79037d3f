/*
 * What the viewer's suites (check_viz.c, check_viz_branch.c) share: the binary
 * under test, a scratch folder per test, and running a shell command to read its
 * output and its trace hash.
 */
#ifndef TESTS_VIZ_TEST_H
#define TESTS_VIZ_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/cli.h"

static inline const char *dsim_bin(void)
{
    const char *d = getenv("DSIM");
    return d && *d ? d : "./dsim";
}

static char tmp[64];

static inline void make_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/dsim-viz-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static inline void drop_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

/* Runs cmd; returns its stdout (malloc'ed) and its "trace-hash:" value in hash. */
static inline char *run(const char *cmd, char hash[17])
{
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    char *out = cli_slurp(p);
    pclose(p);
    const char *h = strstr(out, "trace-hash: ");
    ck_assert_msg(h != NULL, "no trace hash from: %s\n%s", cmd, out);
    snprintf(hash, 17, "%.16s", h + 12);
    return out;
}

typedef struct state_line {
    long long t;
    size_t applied, records, hand, shown, branches;
    long prefix;
    int paused;
    char nodes[200];
} state_line;

/* The k-th "viz-state" line (DSIM_VIZ_SCRIPT's `dump`) of out. */
static inline state_line state_at(const char *out, int k)
{
    state_line s;
    memset(&s, 0, sizeof(s));
    const char *p = out;
    for (int i = 0; i <= k; i++, p++) {
        p = strstr(p, "viz-state ");
        ck_assert_msg(p != NULL, "no state line %d in:\n%s", k, out);
    }
    int n = sscanf(p - 1, "viz-state t=%lld applied=%zu records=%zu paused=%d view=%*s hand=%zu hover=%*s nodes=%199s",
                   &s.t, &s.applied, &s.records, &s.paused, &s.hand, s.nodes);
    ck_assert_int_eq(n, 6);
    const char *b = strstr(p, " branch=");
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(sscanf(b, " branch=%zu/%zu prefix=%ld", &s.shown, &s.branches, &s.prefix), 3);
    return s;
}

#endif
