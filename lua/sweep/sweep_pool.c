/*
 * The workers of a sweep: each seed runs as `dsim run SCENARIO --seed S --quiet`
 * in its own process (fork + exec of the running binary), a.jobs at once. Its own
 * process, not a thread or a fresh `sim` in this one, so that a crash, a runaway
 * allocation or a hang costs that seed only, and the seed's result is reported
 * rather than lost.
 *
 * One loop polls the stdout and stderr pipes of every running child; a child is
 * finished when both pipes reached end of file and waitpid reaped it. Each child
 * has a deadline on the monotonic clock (--timeout, default 120 s) after which it
 * is killed with SIGKILL. This is the one place dsim reads a wall clock: it bounds
 * a hung child, it never decides anything about a run.
 *
 * Each child writes its verdict lines (checks, FAILED, reproduce with,
 * trace-hash) to a third pipe, at fd DSIM_RESULT_FD (lua/cli/host.h), and the
 * verdict is read from there only: stdout carries what user code prints, and
 * a student's print must not be able to inject a line into the report.
 *
 * Each child also gets resource limits: RLIMIT_AS (4 GiB, except in sanitizer
 * builds, whose shadow memory alone reserves terabytes of address space), RLIMIT_CORE
 * 0 (a crashing seed in a sweep of thousands must not fill the disk) and RLIMIT_CPU a
 * little above the timeout, should this process die and leave the child orphaned.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lua/cli/host.h"
#include "lua/sweep/sweep.h"
#include "sim/sim.h"

/* Output kept per child; beyond it, reading goes on (so the child never blocks on a
 * full pipe) but the bytes are dropped. The lines a sweep reads come early. */
#define OUT_KEEP_BYTES (1u << 20)
#define REAP_POLL_MS 10

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif

typedef struct buf { char *data; size_t len, cap; } buf;

typedef struct slot {
    pid_t pid;          /* 0: free */
    int fd[3];          /* stdout, stderr, the result channel; -1 once at end of file */
    buf out[3];
    int64_t deadline_ns;
    size_t index;       /* into rep->results */
    bool timed_out;
} slot;

uint64_t sweep_memory_limit_bytes(void)
{
#ifdef SANITIZED
    return 0;
#else
    return UINT64_C(4) << 30;
#endif
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SIM_NS_PER_S + ts.tv_nsec;
}

static void buf_add(buf *b, const char *p, size_t n)
{
    if (b->len + n > OUT_KEEP_BYTES) n = OUT_KEEP_BYTES - b->len;
    if (n == 0) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void set_limits(int64_t timeout_ns)
{
    struct rlimit core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &core);
    uint64_t as = sweep_memory_limit_bytes();
    if (as) {
        struct rlimit mem = { (rlim_t)as, (rlim_t)as };
        setrlimit(RLIMIT_AS, &mem);
    }
    rlim_t cpu_s = (rlim_t)(timeout_ns / SIM_NS_PER_S) + 10;
    struct rlimit cpu = { cpu_s, cpu_s + 5 };
    setrlimit(RLIMIT_CPU, &cpu);
}

/* In the child, after fork: only async-signal-safe calls until exec. */
static void exec_child(const sweep_args *a, char *const argv[], int out_fd, int err_fd, int res_fd)
{
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    dup2(res_fd, DSIM_RESULT_FD);                /* dup2 clears close-on-exec on the copy */
    set_limits(a->timeout_ns);
    execv(a->exe ? a->exe : "/proc/self/exe", argv);
    static const char msg[] = "dsim: sweep: cannot execute the dsim binary\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
}

static int make_pipe(int fd[2])
{
    if (pipe(fd) != 0) return -1;
    /* Close-on-exec: a later child must not hold this child's pipes open, or
     * their end of file would wait for that other child to exit. */
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

/* Starts the child of rep->results[index] in s. Returns 0, or -1 with errno set. */
static int start(slot *s, const sweep_args *a, const sweep_report *rep, size_t index)
{
    char seed[24];
    snprintf(seed, sizeof(seed), "%" PRIu64, rep->results[index].seed);
    char *argv[14] = { "dsim", "run", rep->scenario, "--seed", seed, "--quiet" };
    int n = 6;
    if (rep->until) argv[n++] = "--until", argv[n++] = rep->until;
    if (rep->loss) argv[n++] = "--loss", argv[n++] = rep->loss;
    if (rep->submission) argv[n++] = "--submission", argv[n++] = rep->submission;
    argv[n] = NULL;
    int p_out[2], p_err[2], p_res[2];
    if (make_pipe(p_out)) return -1;
    if (make_pipe(p_err)) {
        close(p_out[0]), close(p_out[1]);
        return -1;
    }
    if (make_pipe(p_res)) {
        close(p_out[0]), close(p_out[1]), close(p_err[0]), close(p_err[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) exec_child(a, argv, p_out[1], p_err[1], p_res[1]);
    int saved = errno;
    close(p_out[1]), close(p_err[1]), close(p_res[1]);
    if (pid < 0) {
        close(p_out[0]), close(p_err[0]), close(p_res[0]);
        errno = saved;
        return -1;
    }
    memset(s, 0, sizeof(*s));
    s->pid = pid;
    s->fd[0] = p_out[0], s->fd[1] = p_err[0], s->fd[2] = p_res[0];
    s->deadline_ns = mono_ns() + a->timeout_ns;
    s->index = index;
    return 0;
}

/* The poll timeout: until the nearest deadline, or a short wait when a child closed
 * its pipes but has not exited yet. */
static int wait_ms(const slot *slots, int jobs, int64_t now)
{
    int64_t ms = -1;
    for (int j = 0; j < jobs; j++) {
        if (!slots[j].pid) continue;
        int64_t left = slots[j].timed_out ? 0 : (slots[j].deadline_ns - now + SIM_NS_PER_MS - 1) / SIM_NS_PER_MS;
        if (slots[j].fd[0] < 0 && slots[j].fd[1] < 0 && slots[j].fd[2] < 0) left = left < REAP_POLL_MS ? left : REAP_POLL_MS;
        if (left < 0) left = 0;
        if (ms < 0 || left < ms) ms = left;
    }
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static void read_ready(slot *slots, int jobs)
{
    struct pollfd pfd[3 * SWEEP_JOBS_MAX];
    slot *owner[3 * SWEEP_JOBS_MAX];
    int which[3 * SWEEP_JOBS_MAX], n = 0;
    for (int j = 0; j < jobs; j++)
        for (int k = 0; k < 3; k++)
            if (slots[j].pid && slots[j].fd[k] >= 0) {
                pfd[n] = (struct pollfd){ slots[j].fd[k], POLLIN, 0 };
                owner[n] = &slots[j], which[n++] = k;
            }
    int ms = wait_ms(slots, jobs, mono_ns());
    if (ms < 0) return; /* no child running: nothing to wait for */
    if (poll(pfd, (nfds_t)n, ms) <= 0) return; /* timeout, or EINTR: the caller loops */
    for (int i = 0; i < n; i++) {
        if (!pfd[i].revents) continue;
        char chunk[65536];
        ssize_t got = read(pfd[i].fd, chunk, sizeof(chunk));
        if (got > 0) {
            buf_add(&owner[i]->out[which[i]], chunk, (size_t)got);
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(pfd[i].fd);
            owner[i]->fd[which[i]] = -1;
        }
    }
}

/* Kills the children past their deadline and reaps the finished ones. Returns how
 * many finished. */
static size_t reap(slot *slots, const sweep_args *a, sweep_report *rep)
{
    size_t done = 0;
    int64_t now = mono_ns();
    for (int j = 0; j < a->jobs; j++) {
        slot *s = &slots[j];
        if (!s->pid) continue;
        if (!s->timed_out && now >= s->deadline_ns) {
            kill(s->pid, SIGKILL);
            s->timed_out = true;
            /* Stop reading: a process the child started could hold the pipes open
             * long after the child is gone. What was read so far is kept. */
            for (int k = 0; k < 3; k++)
                if (s->fd[k] >= 0) close(s->fd[k]), s->fd[k] = -1;
        }
        if (s->fd[0] >= 0 || s->fd[1] >= 0 || s->fd[2] >= 0) continue;
        int status = 0;
        pid_t got = waitpid(s->pid, &status, s->timed_out ? 0 : WNOHANG);
        if (got == 0 || (got < 0 && errno == EINTR)) continue;
        if (got < 0) {
            char why[160];
            snprintf(why, sizeof(why), "lost track of the run: %s", strerror(errno));
            sweep_result_error(&rep->results[s->index], rep, why);
        } else {
            /* The verdict lines come from the result channel, which only the
             * child's C code writes: a node's print cannot forge them. */
            sweep_classify(&rep->results[s->index], rep, status, s->timed_out, a->timeout_ns,
                           s->out[2].data ? s->out[2].data : "", s->out[1].data ? s->out[1].data : "");
        }
        free(s->out[0].data), free(s->out[1].data), free(s->out[2].data);
        s->pid = 0;
        done++;
    }
    return done;
}

void sweep_pool_run(const sweep_args *a, sweep_report *rep)
{
    assert(a->jobs >= 1 && a->jobs <= SWEEP_JOBS_MAX);
    assert(a->timeout_ns > 0);
    /* An ignored SIGCHLD, inherited from whoever started us, would have the kernel
     * reap the children before waitpid could read how they ended. */
    signal(SIGCHLD, SIG_DFL);
    setenv("DSIM_RESULT_FD", "3", 1);             /* the children's result channel */
    slot *slots = calloc((size_t)a->jobs, sizeof(slot));
    if (!slots) {
        for (size_t i = 0; i < rep->count; i++)
            sweep_result_error(&rep->results[i], rep, "could not start the run: out of memory");
        return;
    }
    size_t next = 0, done = 0;
    while (done < rep->count) {
        for (int j = 0; j < a->jobs && next < rep->count; j++) {
            if (slots[j].pid) continue;
            if (start(&slots[j], a, rep, next) != 0) {
                char why[160];
                snprintf(why, sizeof(why), "could not start the run: %s", strerror(errno));
                sweep_result_error(&rep->results[next], rep, why);
                done++;
            }
            next++;
        }
        read_ready(slots, a->jobs);
        done += reap(slots, a, rep);
    }
    free(slots);
}
