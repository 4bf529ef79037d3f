/*
 * The life of one run, shared by built-in and Lua scenarios: open the simulation
 * with its seed, statistics and trace file; drive it (plainly or in the viewer);
 * print the summary, the failed checks with the command that reproduces them, and
 * the trace hash; map the verdicts to the exit code.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lua/cli/host.h"
#include "sim/units.h"

int dsim_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("dsim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return DSIM_EXIT_USAGE;
}

static dsim_verdict *verdict_for(dsim_run *run, const char *name)
{
    for (size_t i = 0; i < run->verdict_count; i++)
        if (strcmp(run->verdicts[i].name, name) == 0) return &run->verdicts[i];
    if (run->verdict_count == run->verdict_cap) {
        size_t cap = run->verdict_cap ? run->verdict_cap * 2 : 8;
        dsim_verdict *v = realloc(run->verdicts, cap * sizeof(*v));
        if (!v) return NULL;
        run->verdicts = v;
        run->verdict_cap = cap;
    }
    dsim_verdict *v = &run->verdicts[run->verdict_count];
    memset(v, 0, sizeof(*v));
    v->name = strdup(name);
    if (!v->name) return NULL;
    run->verdict_count++;
    return v;
}

/* Tallies every check record; keeps the first failure of each check in words. */
static void collect_verdicts(sim *s, const sim_record *r, void *ctx)
{
    if (r->kind != SIM_REC_CHECK) return;
    dsim_verdict *v = verdict_for(ctx, r->name ? r->name : "check");
    if (!v) return;
    if (r->num1) {
        v->passed++;
        return;
    }
    if (v->failed++ == 0) {
        v->first_failure_ns = r->time_ns;
        v->first_failure = strdup(r->detail ? r->detail : "");
    }
}

int dsim_run_open(dsim_run *run, const dsim_run_opts *opts)
{
    memset(run, 0, sizeof(*run));
    run->opts = opts;
    sim_options so = { opts->seed, 0, 0 };
    run->s = sim_create(&so);
    if (!run->s) return dsim_usage_error("out of memory creating the simulation");
    run->stats = sim_stats_attach(run->s);
    sim_observe(run->s, collect_verdicts, run);
    if (opts->trace_path) {
        run->trace_file = fopen(opts->trace_path, "w");
        if (!run->trace_file) {
            sim_stats_detach(run->s, run->stats);
            sim_destroy(run->s);
            return dsim_usage_error("--trace: cannot write '%s'", opts->trace_path);
        }
        run->trace = sim_trace_json_open(run->s, run->trace_file);
    }
    return 0;
}

int dsim_run_drive(dsim_run *run, int64_t until_ns)
{
    if (run->opts->until_ns >= 0) until_ns = run->opts->until_ns;
    if (until_ns < sim_now_ns(run->s)) until_ns = sim_now_ns(run->s);
    if (run->opts->viz || run->opts->frames_dir) {
        int rc = viz_drive(run->s, until_ns, run->opts);
        if (rc == VIZ_RESTART) run->restart = true;
        return rc;
    }
    return sim_run_until(run->s, until_ns);
}

void dsim_reproduce_command(const dsim_run_opts *opts, char *buf, size_t n)
{
    int len = snprintf(buf, n, "dsim run %s --seed %" PRIu64, opts->scenario, opts->seed);
    if (opts->until_ns >= 0 && len > 0 && (size_t)len < n) {
        char d[48];
        sim_duration_format(opts->until_ns, d, sizeof(d));
        len += snprintf(buf + len, n - (size_t)len, " --until %s", d);
    }
    if (opts->loss >= 0 && len > 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, " --loss %.17g", opts->loss);
    if (opts->submission && len > 0 && (size_t)len < n)
        snprintf(buf + len, n - (size_t)len, " --submission %s", opts->submission);
}

static void print_check_lines(const dsim_run *run, FILE *out)
{
    for (size_t i = 0; i < run->verdict_count; i++) {
        const dsim_verdict *v = &run->verdicts[i];
        if (v->failed) fprintf(out, "check %s: failed %" PRIu64 " of %" PRIu64 " times\n", v->name, v->failed, v->passed + v->failed);
        else fprintf(out, "check %s: ok%s\n", v->name, v->passed > 1 ? " every time" : "");
    }
}

/* A time as a reader wants it: in the largest unit that is at least 1, exact,
 * without trailing zeros ("434.575739ms", "1.5s", "20us"). */
static void format_when(int64_t ns, char *buf, size_t n)
{
    static const struct { int64_t scale; const char *unit; } units[] = {
        { SIM_NS_PER_S, "s" }, { SIM_NS_PER_MS, "ms" }, { SIM_NS_PER_US, "us" }, { 1, "ns" },
    };
    size_t u = 0;
    while (u < 3 && ns < units[u].scale && ns != 0) u++;
    char frac[16] = "";
    int64_t rest = ns % units[u].scale;
    size_t len = 0;
    for (int64_t digit = units[u].scale / 10; digit > 0 && rest > 0; digit /= 10) {
        frac[len++] = (char)('0' + rest / digit);
        rest %= digit;
    }
    frac[len] = '\0';
    snprintf(buf, n, "%" PRId64 "%s%s%s", ns / units[u].scale, len ? "." : "", frac, units[u].unit);
}

/* Each failed check's first failure, then the one command that reproduces them. */
static void print_failures(const dsim_run *run, FILE *out)
{
    char cmd[512], when[48];
    bool any = false;
    for (size_t i = 0; i < run->verdict_count; i++) {
        const dsim_verdict *v = &run->verdicts[i];
        if (!v->failed) continue;
        format_when(v->first_failure_ns, when, sizeof(when));
        fprintf(out, "FAILED %s: %s (at %s, seed %" PRIu64 ")\n", v->name, v->first_failure ? v->first_failure : "",
                when, run->opts->seed);
        any = true;
    }
    dsim_reproduce_command(run->opts, cmd, sizeof(cmd));
    if (any) fprintf(out, "reproduce with: %s\n", cmd);
}

/* Closes the trace file; false when writing it failed (said on stderr). */
static bool close_trace(dsim_run *run)
{
    bool ok = true;
    if (run->trace && sim_trace_json_close(run->s, run->trace) != 0) ok = false;
    if (run->trace_file && fclose(run->trace_file) != 0) ok = false;
    run->trace = NULL;
    run->trace_file = NULL;
    if (!ok) fprintf(stderr, "dsim: --trace: writing '%s' failed\n", run->opts->trace_path);
    return ok;
}

void dsim_run_discard(dsim_run *run)
{
    if (!run->s) return;
    close_trace(run);
    for (size_t i = 0; i < run->verdict_count; i++) {
        free(run->verdicts[i].name);
        free(run->verdicts[i].first_failure);
    }
    free(run->verdicts);
    sim_stats_detach(run->s, run->stats);
    sim_destroy(run->s);
    memset(run, 0, sizeof(*run));
}

int dsim_result_fd(void)
{
    const char *v = getenv("DSIM_RESULT_FD");
    return v && strcmp(v, "3") == 0 ? DSIM_RESULT_FD : -1;
}

static void print_verdict(const dsim_run *run, FILE *out)
{
    fprintf(out, "checks: %zu run, %zu failed\n", sim_checks_run(run->s), sim_checks_failed(run->s));
    print_failures(run, out);
    fprintf(out, "trace-hash: %016" PRIx64 "\n", sim_trace_hash(run->s));
}

int dsim_run_close(dsim_run *run, FILE *out)
{
    int code = close_trace(run) ? DSIM_EXIT_OK : DSIM_EXIT_USAGE;
    if (!run->opts->quiet) sim_stats_print(run->stats, run->s, out);
    if (!run->opts->quiet) print_check_lines(run, out);
    if (code == DSIM_EXIT_OK && sim_checks_failed(run->s)) code = DSIM_EXIT_CHECK_FAILED;
    print_verdict(run, out);
    int fd = dsim_result_fd();
    FILE *res = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (res) {
        fflush(out);
        print_verdict(run, res);
        fclose(res);
    }
    dsim_run_discard(run);
    return code;
}
