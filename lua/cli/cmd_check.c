/*
 * `dsim check FILE [--model register|kv] [--timeout S] [--max-steps N] [--max-memory SIZE]`:
 * checks a recorded history for linearizability (sim/check/lincheck.h). The
 * format is detected and named: a Jepsen etcd log, Jepsen EDN maps, or a dsim
 * JSONL trace (`dsim run --trace`). Output: a line naming the file, format,
 * model and size, then the verdict:
 *
 *   linearizable                                   exit 0
 *   not linearizable, then the explanation         exit 1
 *   unknown (why: a limit was reached)             exit 1: not a pass
 *   dsim: check: FILE:LINE: what is wrong          exit 2 (unreadable or malformed)
 *
 * `dsim check FILE --check read-your-writes|monotonic-reads|session` checks the
 * session guarantees instead (sim/check/session.h; session: both; the default
 * is --check linearizable). Output: the header line, then one line per
 * guarantee, as lua/dsim/session.lua words it, and "ops involved: A B" (the
 * first violating read of each guarantee and the write or read it contradicts)
 * when one fails; exit 0 when they hold, 1 when one does not, 2 as above.
 * --model and the limits apply to linearizability only.
 *
 * Also the checker's benchmark, `dsim bench lincheck [DIR]`: every history of
 * the Jepsen corpus against its known verdict, timed. Wall-clock time is read
 * here, never in sim/ (the --timeout is the checker's stop callback).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lua/bench/bench.h"
#include "lua/cli/commands.h"
#include "sim/check/lin_corpus.h"
#include "sim/check/lincheck.h"
#include "sim/check/session.h"
#include "sim/units.h"

static bool past_deadline(void *ctx)
{
    return bench_wall_seconds() > *(const double *)ctx;
}

static int parse_flag(const char *flag, const char *v, sim_lin_options *o, double *timeout_s, unsigned *session)
{
    char *end;
    if (strcmp(flag, "--check") == 0) {
        if (strcmp(v, "linearizable") == 0) return *session = 0, 0;
        if (sim_session_checks_parse(v, session) == 0) return 0;
        return dsim_usage_error("check: --check: expected linearizable, read-your-writes, monotonic-reads or "
                                "session, got '%s'", v);
    }
    if (strcmp(flag, "--model") == 0) {
        if (sim_lin_model_parse(v, &o->model) == 0) return 0;
        return dsim_usage_error("check: --model: expected register, kv or auto, got '%s'", v);
    }
    if (strcmp(flag, "--timeout") == 0) {
        *timeout_s = strtod(v, &end);
        if (*v && !*end && *timeout_s > 0 && *timeout_s <= 1e6) return 0;
        return dsim_usage_error("check: --timeout: expected a number of seconds > 0, got '%s'", v);
    }
    if (strcmp(flag, "--max-steps") == 0) {
        unsigned long long n = strtoull(v, &end, 10);
        if (*v && *v != '-' && !*end && n >= 1) return o->max_steps = n, 0;
        return dsim_usage_error("check: --max-steps: expected a positive integer, got '%s'", v);
    }
    if (strcmp(flag, "--max-memory") == 0) {
        if (sim_bytes_parse(v, &o->max_memory_bytes) == 0 && o->max_memory_bytes >= 4096) return 0;
        return dsim_usage_error("check: --max-memory: expected a size like 512MiB (at least 4KiB), got '%s'", v);
    }
    return dsim_usage_error("check: %s: unknown flag (--check, --model, --timeout, --max-steps, --max-memory)", flag);
}

static void print_header(const char *path, const sim_lin_result *r)
{
    printf("%s: %s history, %s model, %zu operation%s on %zu key%s", path, r->format, sim_lin_model_name(r->model),
           r->ops, r->ops == 1 ? "" : "s", r->keys, r->keys == 1 ? "" : "s");
    if (r->ops_dropped) printf(" (%zu dropped: failed, or reads without a result)", r->ops_dropped);
    putchar('\n');
}

static int print_verdict(const sim_lin_result *r)
{
    if (r->verdict == SIM_LIN_OK) {
        printf("linearizable\n");
        return DSIM_EXIT_OK;
    }
    if (r->verdict == SIM_LIN_UNKNOWN) {
        printf("unknown (%s)\n", r->summary);
        return DSIM_EXIT_CHECK_FAILED;
    }
    printf("not linearizable\n%s\n%s", r->summary, r->explanation ? r->explanation : "");
    printf("ops involved:");
    for (size_t i = 0; i < r->op_id_count; i++) printf(" %" PRIu64, r->op_ids[i]);
    printf("\n");
    return DSIM_EXIT_CHECK_FAILED;
}

/* --check read-your-writes | monotonic-reads | session */
static int check_session(const char *path, unsigned checks)
{
    sim_session_options o = { .checks = checks };
    sim_session_result r;
    if (sim_session_check_file(path, &o, &r) != 0) return dsim_usage_error("check: %s", r.error);
    printf("%s: %s history, %zu operation%s, %zu read%s, session guarantees\n", path, r.format, r.ops,
           r.ops == 1 ? "" : "s", r.reads, r.reads == 1 ? "" : "s");
    for (int i = 0; i < 2; i++)
        if (r.line[i][0]) printf("%s\n", r.line[i]);
    if (!r.ok) {
        printf("ops involved:");
        for (size_t i = 0; i < r.op_id_count; i++) printf(" %" PRIu64, r.op_ids[i]);
        printf("\n");
    }
    int code = r.ok ? DSIM_EXIT_OK : DSIM_EXIT_CHECK_FAILED;
    sim_session_result_free(&r);
    return code;
}

int dsim_cmd_check(int argc, char **argv)
{
    if (argc < 1 || argv[0][0] == '-')
        return dsim_usage_error("check: which file? (dsim check FILE [--check WHAT] [--model register|kv] [--timeout S])");
    sim_lin_options o = { 0 };
    double timeout_s = 0, deadline;
    unsigned session = 0;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) return dsim_usage_error("check: %s: missing value", argv[i]);
        int rc = parse_flag(argv[i], argv[i + 1], &o, &timeout_s, &session);
        if (rc) return rc;
    }
    if (session) return check_session(argv[0], session);
    if (timeout_s > 0) {
        deadline = bench_wall_seconds() + timeout_s;
        o.stop = past_deadline;
        o.stop_ctx = &deadline;
    }
    sim_lin_result r;
    if (sim_lin_check_file(argv[0], &o, &r) != 0) return dsim_usage_error("check: %s", r.error);
    print_header(argv[0], &r);
    int code = print_verdict(&r);
    sim_lin_result_free(&r);
    return code;
}

/* ---- the benchmark ----------------------------------------------------------- */

typedef struct case_time {
    const char *file;
    double seconds;
} case_time;

/* Checks every case of the corpus in dir; the wall time of each into times
 * (when not NULL). Returns the number of verdicts that disagree, or < 0. */
static int run_corpus(const sim_lin_corpus *c, case_time *times, double *total)
{
    int wrong = 0;
    *total = 0;
    for (size_t i = 0; i < c->count; i++) {
        sim_lin_options o = { .model = c->cases[i].model };
        sim_lin_result r;
        double t0 = bench_wall_seconds();
        int rc = sim_lin_check_file(c->cases[i].path, &o, &r);
        double t = bench_wall_seconds() - t0;
        *total += t;
        if (rc != 0) {
            fprintf(stderr, "dsim: bench lincheck: %s\n", r.error);
            return rc;
        }
        if (r.verdict != c->cases[i].expected) {
            fprintf(stderr, "dsim: bench lincheck: %s: %s, expected %s\n", c->cases[i].file,
                    sim_lin_verdict_name(r.verdict), sim_lin_verdict_name(c->cases[i].expected));
            wrong++;
        }
        if (times) times[i] = (case_time){ c->cases[i].file, t };
        sim_lin_result_free(&r);
    }
    return wrong;
}

int sim_lin_bench(const char *dir, double *seconds, int *cases)
{
    sim_lin_corpus c;
    int rc = sim_lin_corpus_load(dir, &c);
    if (rc) {
        fprintf(stderr, "dsim: bench lincheck: %s\n", c.error);
        return rc;
    }
    rc = run_corpus(&c, NULL, seconds);
    *cases = (int)c.count;
    sim_lin_corpus_free(&c);
    return rc > 0 ? SIM_EINVAL : rc;
}

static int slower(const void *a, const void *b)
{
    double x = ((const case_time *)a)->seconds, y = ((const case_time *)b)->seconds;
    return x > y ? -1 : x < y;
}

int dsim_bench_lincheck(const char *dir)
{
    if (!dir) dir = getenv("DSIM_JEPSEN_DIR") ? getenv("DSIM_JEPSEN_DIR") : "tests/data/jepsen-histories";
    sim_lin_corpus c;
    if (sim_lin_corpus_load(dir, &c) != 0) return dsim_usage_error("bench lincheck: %s", c.error);
    case_time *times = calloc(c.count + 1, sizeof(case_time));
    double total = 0;
    int wrong = times ? run_corpus(&c, times, &total) : SIM_ENOMEM;
    if (wrong >= 0) {
        qsort(times, c.count, sizeof(case_time), slower);
        printf("{\"bench\":\"lincheck\",\"cases\":%zu,\"seconds\":%.3f,\"wrong_verdicts\":%d,\"slowest\":[", c.count,
               total, wrong);
        for (size_t i = 0; i < c.count && i < 3; i++)
            printf("%s{\"file\":\"%s\",\"seconds\":%.4f}", i ? "," : "", times[i].file, times[i].seconds);
        printf("]}\n");
        fflush(stdout);
    }
    free(times);
    sim_lin_corpus_free(&c);
    return wrong == 0 ? DSIM_EXIT_OK : wrong > 0 ? DSIM_EXIT_CHECK_FAILED : DSIM_EXIT_USAGE;
}
