/*
 * What a finished child means, and the text report of a sweep.
 *
 * A child is `dsim run ... --quiet`, whose output contract is lua/host.h's: exit 0
 * every check held; exit 1 a check failed, with "FAILED <what> (at T, seed S)"
 * lines and one "reproduce with: <command>" line; exit 2 a usage or scenario error
 * on stderr; and a last line "trace-hash: <16 hex>". Everything outside that
 * contract (another exit status, a signal, a timeout, exit 1 with no FAILED line,
 * as a sanitizer's report gives) is an error verdict whose message says what
 * happened. The report prints failing seeds in seed order, then one summary line.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lua/sweep/sweep.h"
#include "sim/sim.h"
#include "sim/units.h"

#define SUMMARY_SEEDS_MAX 50 /* failing seeds named in the summary line */

const char *sweep_verdict_name(sweep_verdict v)
{
    return v == SWEEP_PASS ? "pass" : v == SWEEP_FAIL ? "fail" : "error";
}

/* The line of text that starts with prefix (at a line start), or NULL. */
static const char *find_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; *p; p += strcspn(p, "\n"), p += *p == '\n') {
        if (strncmp(p, prefix, n) == 0) return p;
    }
    return NULL;
}

/* Every "FAILED " line, without the prefix, joined with "; ". NULL if none. */
static char *failed_lines(const char *out)
{
    char *msg = NULL;
    size_t len = 0;
    for (const char *p = out; (p = find_line(p, "FAILED ")) != NULL; p += strcspn(p, "\n")) {
        size_t n = strcspn(p + 7, "\n");
        char *m = realloc(msg, len + n + 3);
        if (!m) break;
        msg = m;
        if (len) memcpy(msg + len, "; ", 2), len += 2;
        memcpy(msg + len, p + 7, n);
        len += n;
        msg[len] = '\0';
    }
    return msg;
}

/* The first line of stderr with words on it (a sanitizer's report opens with a
 * rule of '='), without the "dsim: " every error starts with, cut to a readable
 * length; "" if none. */
static void first_err_line(const char *err, char *buf, size_t n)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (;;) {
        size_t line_len = strcspn(err, "\n");
        if (!err[line_len] || strcspn(err, letters) < line_len) break;
        err += line_len + 1; /* a line without words: skip it */
    }
    err += strspn(err, " \t");
    if (strncmp(err, "dsim: ", 6) == 0) err += 6;
    /* A sanitizer names the process ("==4242==ERROR: ..."); a pid in the report
     * would make two sweeps of the same seeds print different reports. */
    size_t digits = strncmp(err, "==", 2) == 0 ? strspn(err + 2, "0123456789") : 0;
    if (digits && strncmp(err + 2 + digits, "==", 2) == 0) err += 4 + digits;
    size_t len = strcspn(err, "\r\n");
    if (len >= n) len = n - 1;
    memcpy(buf, err, len);
    buf[len] = '\0';
}

/* The child's reproduce command, or one made from the sweep's flags; either way
 * with every flag the sweep passed to the child (a --loss the child did not echo
 * would make the command run a different simulation). */
static char *reproduce(const sweep_report *rep, uint64_t seed, const char *out)
{
    const char *line = find_line(out, "reproduce with: ");
    char cmd[2048];
    size_t len;
    if (line) {
        len = strcspn(line + 16, "\r\n");
        if (len >= sizeof(cmd) - 512) len = sizeof(cmd) - 512;
        memcpy(cmd, line + 16, len);
        cmd[len] = '\0';
    } else {
        snprintf(cmd, sizeof(cmd) - 512, "dsim run %s --seed %" PRIu64, rep->scenario, seed);
    }
    if (rep->until && !strstr(cmd, " --until "))
        snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " --until %s", rep->until);
    if (rep->loss && !strstr(cmd, " --loss "))
        snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " --loss %s", rep->loss);
    if (rep->submission && !strstr(cmd, " --submission "))
        snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " --submission %s", rep->submission);
    return strdup(cmd);
}

static void trace_hash(const char *out, char hash[17])
{
    const char *line = find_line(out, "trace-hash: ");
    hash[0] = '\0';
    if (!line || strspn(line + 12, "0123456789abcdef") != 16) return;
    memcpy(hash, line + 12, 16);
    hash[16] = '\0';
}

/* Why an unsuccessful child did not give a plain FAILED verdict. */
static void error_reason(char *why, size_t n, int status, bool timed_out, int64_t timeout_ns,
                         const char *err_line)
{
    const char *sep = err_line[0] ? ": " : "";
    if (timed_out) {
        char d[40];
        if (timeout_ns % SIM_NS_PER_S == 0) snprintf(d, sizeof(d), "%" PRId64 "s", timeout_ns / SIM_NS_PER_S);
        else sim_duration_format(timeout_ns, d, sizeof(d));
        snprintf(why, n, "timed out after %s", d);
    } else if (WIFSIGNALED(status)) {
        snprintf(why, n, "crashed with signal %d%s%s", WTERMSIG(status), sep, err_line);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
        snprintf(why, n, "scenario error: %s", err_line[0] ? err_line : "(no message on stderr)");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
        snprintf(why, n, "exited with status 1 but printed no FAILED line%s%s", sep, err_line);
    } else {
        snprintf(why, n, "exited with status %d%s%s", WIFEXITED(status) ? WEXITSTATUS(status) : -1, sep,
                 err_line);
    }
}

void sweep_classify(sweep_result *r, const sweep_report *rep, int status, bool timed_out,
                    int64_t timeout_ns, const char *out, const char *err)
{
    trace_hash(out, r->trace_hash);
    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        r->verdict = SWEEP_PASS;
        return;
    }
    char *failed = NULL;
    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 1) failed = failed_lines(out);
    if (failed) {
        r->verdict = SWEEP_FAIL;
        r->message = failed;
    } else {
        char err_line[320], why[512];
        first_err_line(err, err_line, sizeof(err_line));
        error_reason(why, sizeof(why), status, timed_out, timeout_ns, err_line);
        r->verdict = SWEEP_ERROR;
        r->message = strdup(why);
    }
    r->reproduce = reproduce(rep, r->seed, out);
}

void sweep_result_error(sweep_result *r, const sweep_report *rep, const char *why)
{
    r->verdict = SWEEP_ERROR;
    r->trace_hash[0] = '\0';
    r->message = strdup(why);
    r->reproduce = reproduce(rep, r->seed, "");
}

int sweep_report_print(const sweep_report *rep, FILE *out)
{
    size_t failed = 0;
    for (size_t i = 0; i < rep->count; i++) {
        const sweep_result *r = &rep->results[i];
        if (r->verdict == SWEEP_PASS) continue;
        failed++;
        fprintf(out, "seed %" PRIu64 ": FAILED %s -- reproduce: %s\n", r->seed,
                r->message ? r->message : "(no message)", r->reproduce ? r->reproduce : "(none)");
    }
    fprintf(out, "sweep: %zu seed%s, %zu passed, %zu failed", rep->count, rep->count == 1 ? "" : "s",
            rep->count - failed, failed);
    size_t named = 0;
    for (size_t i = 0; i < rep->count && named < SUMMARY_SEEDS_MAX; i++) {
        if (rep->results[i].verdict == SWEEP_PASS) continue;
        fprintf(out, "%s%" PRIu64, named++ ? ", " : " (failing seeds: ", rep->results[i].seed);
    }
    if (failed > named) fprintf(out, ", and %zu more", failed - named);
    fprintf(out, "%s\n", failed ? ")" : "");
    return failed ? 1 : 0;
}

int sweep_report_init(sweep_report *rep, const sweep_args *a)
{
    memset(rep, 0, sizeof(*rep));
    rep->scenario = strdup(a->scenario);
    rep->until = a->until ? strdup(a->until) : NULL;
    rep->loss = a->loss ? strdup(a->loss) : NULL;
    rep->submission = a->submission ? strdup(a->submission) : NULL;
    rep->seed_first = a->seed_first, rep->seed_last = a->seed_last;
    rep->shard_index = a->shard_index, rep->shard_count = a->shard_count;
    rep->count = sweep_shard_size(a->seed_first, a->seed_last, a->shard_index, a->shard_count);
    rep->results = calloc(rep->count ? rep->count : 1, sizeof(sweep_result));
    if (!rep->scenario || !rep->results || (a->until && !rep->until) || (a->loss && !rep->loss) ||
        (a->submission && !rep->submission)) {
        sweep_report_free(rep);
        return -1;
    }
    for (size_t k = 0; k < rep->count; k++)
        rep->results[k].seed = sweep_shard_seed(a->seed_first, a->shard_index, a->shard_count, k);
    return 0;
}

void sweep_report_free(sweep_report *rep)
{
    for (size_t i = 0; rep->results && i < rep->count; i++) {
        free(rep->results[i].message);
        free(rep->results[i].reproduce);
    }
    free(rep->results);
    free(rep->scenario), free(rep->until), free(rep->loss), free(rep->submission);
    memset(rep, 0, sizeof(*rep));
}
