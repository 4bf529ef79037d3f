/*
 * Running the built dsim binary from a test, as a user would: the binary is
 * $DSIM (default ./dsim); the command's stdout, stderr and exit code come back.
 */
#ifndef TESTS_CLI_H
#define TESTS_CLI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct cli_result {
    int code;          /* exit code; 128 + signal when killed */
    char *out, *err;   /* malloc'ed, NUL-terminated */
} cli_result;

static inline char *cli_slurp(FILE *f)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    if (buf) buf[len] = 0;
    return buf;
}

/* Runs "$DSIM <args>" through the shell (args are shell words). */
static inline cli_result cli_run(const char *args)
{
    const char *dsim = getenv("DSIM") ? getenv("DSIM") : "./dsim";
    char errpath[] = "/tmp/dsim-cli-err-XXXXXX";
    int fd = mkstemp(errpath);
    close(fd);
    size_t n = strlen(dsim) + strlen(args) + strlen(errpath) + 16;
    char *cmd = malloc(n);
    snprintf(cmd, n, "%s %s 2>%s", dsim, args, errpath);
    FILE *p = popen(cmd, "r");
    cli_result r = { -1, NULL, NULL };
    r.out = cli_slurp(p);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *e = fopen(errpath, "r");
    r.err = e ? cli_slurp(e) : strdup("");
    if (e) fclose(e);
    unlink(errpath);
    free(cmd);
    return r;
}

static inline void cli_free(cli_result *r)
{
    free(r->out);
    free(r->err);
}

/* The text after "trace-hash: " on the output's last line, or "" */
static inline const char *cli_hash(const cli_result *r, char buf[17])
{
    const char *p = r->out ? strstr(r->out, "trace-hash: ") : NULL;
    buf[0] = 0;
    if (p && strlen(p) >= 12 + 16) {
        memcpy(buf, p + 12, 16);
        buf[16] = 0;
    }
    return buf;
}

#endif
