/*
 * A watchdog for Lua string patterns. string.find, match, gmatch and gsub run
 * inside C, where the instruction budget's count hook never fires, and a
 * pattern can backtrack for hours ("a?a?a?...aaa" on a short string, ".-x.-y"
 * on a long one). So each call of a pattern function arms a CPU-time timer; if
 * the call is still running when it fires (dsim.limits{pattern_cpu = ...},
 * default 20s of CPU time), the process writes the failure (the node, the
 * handler, the function, the reproduce command) and exits 1 at once: a hung
 * grader is worse than a report that skips the summary.
 *
 * The timer reads CPU time, which no run decision ever depends on: a pattern
 * that finishes never notices it. Rejected alternatives: re-implementing the
 * matcher with a step counter (a second pattern engine to keep exactly equal
 * to Lua's), and static limits on patterns (they refuse ordinary patterns on
 * long lines).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lua/binding/lrt.h"
#include "sim/units.h"

static char fired_msg[1200];      /* formatted before arming: the handler only writes */
static size_t fired_len;
static timer_t watchdog;
static bool watchdog_ready;
static int depth;                 /* nested pattern calls (gsub's callback may match too) */

static int result_fd = -1;        /* the sweep's result channel, when there is one */

static void on_fire(int sig)
{
    (void)sig;
    if (result_fd >= 0 && write(result_fd, fired_msg, fired_len) < 0) _exit(DSIM_EXIT_CHECK_FAILED);
    if (write(STDOUT_FILENO, fired_msg, fired_len) < 0) _exit(DSIM_EXIT_CHECK_FAILED);
    _exit(DSIM_EXIT_CHECK_FAILED);
}

static bool ready(void)
{
    if (watchdog_ready) return true;
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGXCPU;
    if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &watchdog) != 0) return false;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fire;
    sigaction(SIGXCPU, &sa, NULL);
    result_fd = dsim_result_fd();
    return watchdog_ready = true;
}

static void arm(lua_State *L, const char *fname)
{
    lrt *rt = lrt_of(L);
    if (depth++ > 0 || !ready()) return;
    char cmd[600] = "", limit[40];
    if (rt->run) dsim_reproduce_command(rt->run->opts, cmd, sizeof(cmd));
    sim_duration_format(rt->pattern_cpu_ns, limit, sizeof(limit));
    int n = snprintf(fired_msg, sizeof(fired_msg),
                     "FAILED node-error: %s %s: string.%s ran for over %s of CPU time (a pattern that "
                     "backtracks without end? anchor it, or use plain find)\nreproduce with: %s\n",
                     rt->node ? sim_self_name(rt->node) : "scenario", rt->handler ? rt->handler : "?", fname,
                     limit, cmd);
    fired_len = n < 0 ? 0 : (size_t)n < sizeof(fired_msg) ? (size_t)n : sizeof(fired_msg) - 1;
    struct itimerspec its = { { 0, 0 }, { (time_t)(rt->pattern_cpu_ns / SIM_NS_PER_S),
                                          (long)(rt->pattern_cpu_ns % SIM_NS_PER_S) } };
    timer_settime(watchdog, 0, &its, NULL);
}

static void disarm(void)
{
    if (--depth > 0 || !watchdog_ready) return;
    struct itimerspec off;
    memset(&off, 0, sizeof(off));
    timer_settime(watchdog, 0, &off, NULL);
}

/* Calls upvalue 1 (the original function) with every argument, watched. */
static int guarded(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    arm(L, lua_tostring(L, lua_upvalueindex(2)));
    int status = lua_pcall(L, n, LUA_MULTRET, 0);
    disarm();
    if (status != LUA_OK) return lua_error(L);     /* the same error object, re-raised */
    return lua_gettop(L);
}

static void push_guarded(lua_State *L, const char *fname)
{
    lua_pushstring(L, fname);
    lua_pushcclosure(L, guarded, 2);
}

/* gmatch: the iterator it returns does the matching, so it is guarded too. */
static int guarded_gmatch(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    push_guarded(L, "gmatch");
    return 1;
}

void lrt_open_patterns(lua_State *L)
{
    static const char *const fns[] = { "find", "match", "gsub", NULL };
    lua_getglobal(L, LUA_STRLIBNAME);
    for (int i = 0; fns[i]; i++) {
        lua_getfield(L, -1, fns[i]);
        push_guarded(L, fns[i]);
        lua_setfield(L, -2, fns[i]);
    }
    lua_getfield(L, -1, "gmatch");
    lua_pushcclosure(L, guarded_gmatch, 1);
    lua_setfield(L, -2, "gmatch");
    lua_pop(L, 1);
}
