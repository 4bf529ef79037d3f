/*
 * `dsim help`, `dsim version` and `dsim list`: what the program can do, in words
 * that stay true to the code (tests run every example here).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "lua/builtins/builtin.h"
#include "lua/cli/commands.h"
#include "sim/systems/system.h"
#include "viz/viz.h"

static const char usage[] =
    "dsim: a deterministic distributed-systems simulator and teaching lab\n"
    "\n"
    "usage:\n"
    "  dsim run SCENARIO [--seed N] [--until D] [--trace F.jsonl] [--loss P]\n"
    "                    [--viz] [--frames DIR] [--fps N] [--quiet] [--submission DIR]\n"
    "        run a built-in scenario (see 'dsim list') or a FILE.lua; prints a summary\n"
    "        and ends with 'trace-hash: <16 hex>'. Exit 0: every check held; 1: a check\n"
    "        failed (the output names it, its time, and the command that reproduces it);\n"
    "        2: a usage or scenario error.\n"
    "  dsim sweep SCENARIO --seeds A..B [-j N] [--shard I/N] [--json F]\n"
    "                      [--until D] [--loss P] [--timeout S] [--submission DIR]\n"
    "        run each seed in its own process (N at once, default 2; each killed after\n"
    "        S seconds, default 120); prints each failing seed with its message and\n"
    "        reproduce command, then 'sweep: N seeds, P passed, F failed'. Exit 0: all\n"
    "        passed; 1: a seed failed; 2: a usage error.\n"
    "  dsim sweep-merge F.json... [--json F]   combine shards' --json results into one report\n"
    "  dsim grade LAB SUBMISSION_DIR [--seeds A..B] [--json results.json] [-j N]\n"
    "        grade a student's folder against a lab (textbook/labs/): each test over\n"
    "        its seeds, points only when every seed passes; prints a table with the\n"
    "        first failing seed and the command that replays it; --json writes\n"
    "        Gradescope's results.json. Exit 0 once graded (whatever the score).\n"
    "  dsim lab handout LAB DIR   write a student's copy of a lab (handout, skeleton,\n"
    "        public tests; no grading tests) into the new folder DIR\n"
    "  dsim check FILE [--model register|kv] [--timeout S] [--max-steps N] [--max-memory SIZE]\n"
    "        check a recorded history for linearizability: a Jepsen etcd log, Jepsen EDN\n"
    "        maps or a dsim JSONL trace (the format is detected and named). Prints\n"
    "        'linearizable', 'not linearizable' and the operations that cannot be ordered,\n"
    "        or 'unknown (why)' when a limit was reached. Exit 0: linearizable; 1: not\n"
    "        linearizable, or unknown (never a pass); 2: an unreadable or malformed file.\n"
    "  dsim check FILE --check read-your-writes|monotonic-reads|session\n"
    "        check the session guarantees instead (session: both), per client and key;\n"
    "        prints one line per guarantee naming the first read that breaks it. Exit 0:\n"
    "        they hold; 1: one does not; 2: an unreadable or malformed file.\n"
    "  dsim demo          the broadcast scenario, in a window when a display exists\n"
    "  dsim replay F.jsonl [--frames DIR] [--fps N]   draw a recorded trace\n"
    "  dsim bench hold --pending N [--events M]       event-queue throughput (JSON)\n"
    "  dsim bench random-msgs --nodes N --time S      network throughput (JSON)\n"
    "  dsim bench lua-msgs --nodes N --time S         the same through Lua node programs\n"
    "  dsim bench real-msgs --nodes N --time S        the realistic twin, C and Lua nodes alike\n"
    "  dsim bench viz     frames per second drawing 200 nodes, 5,000 messages in flight\n"
    "  dsim bench lincheck [DIR]   the checker on the Jepsen histories (JSON)\n"
    "  dsim bench all     the standard benchmark set, one JSON object a line\n"
    "  dsim list          systems and built-in scenarios\n"
    "  dsim help [run]    this text\n"
    "  dsim version\n"
    "\n"
    "Units, everywhere (flags and Lua): durations are written with a unit, 10ns, 250us,\n"
    "5ms, 1.5s, 2m, 1h (in Lua \"5ms\"; a bare number is refused, except 0). In Lua,\n"
    "dsim.now() and self:now() are seconds (a float); dsim.duration(\"150ms\") gives\n"
    "0.15 to compare with them; dsim.s(x), dsim.ms(x), dsim.us(x), dsim.ns(x) turn a\n"
    "computed number back into a duration. The trace's t is integer nanoseconds.\n"
    "Probabilities: 0.05 or 5%; rates: 200/s; bandwidths: 10MB/s or 100Mbps.\n"
    "The same scenario and seed always give the same run and the same trace hash.\n";

static const char usage_run[] =
    "dsim run SCENARIO [flags]\n"
    "  SCENARIO        a built-in scenario name (dsim list) or a path ending in .lua\n"
    "  --seed N        the root seed (unsigned 64-bit, decimal or 0x hex; default 1)\n"
    "  --until D       stop at simulated time D instead of the scenario's own end\n"
    "  --trace F       write every trace record to F as JSON lines\n"
    "  --loss P        message loss on every link (0..1 or a percentage like 5%)\n"
    "  --viz           draw the run live in a window\n"
    "  --frames DIR    render PNG frames headlessly into DIR (--fps frames per\n"
    "                  simulated second, default 30)\n"
    "  --quiet         print only the checks and the trace hash\n"
    "  --submission DIR  where dsim.submission(NAME) reads a student's NAME.lua\n"
    "                  (default: the current folder; used by dsim grade)\n";

int dsim_cmd_help(int argc, char **argv)
{
    if (argc > 0 && strcmp(argv[0], "run") == 0) fputs(usage_run, stdout);
    else fputs(usage, stdout);
    return DSIM_EXIT_OK;
}

int dsim_cmd_version(int argc, char **argv)
{
    if (argc > 0) return dsim_usage_error("version: takes no arguments, got '%s'", argv[0]);
    printf("dsim %s\n", DSIM_VERSION);
    return DSIM_EXIT_OK;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether a directory entry is a scenario file (modules, NAME_lib.lua, are not). */
static bool is_scenario(const char *name)
{
    size_t len = strlen(name);
    if (len < 5 || strcmp(name + len - 4, ".lua") != 0) return false;
    return !(len > 8 && strcmp(name + len - 8, "_lib.lua") == 0);
}

/* The sorted names under dir that keep(name) accepts (readdir order is not
 * sorted); *count receives their number. */
static char **sorted_entries(const char *dir, bool (*keep)(const char *), size_t *count)
{
    *count = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !keep(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **t = realloc(names, cap * sizeof(char *));
            if (!t) break;
            names = t;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof(char *), by_string);
    *count = n;
    return names;
}

static bool is_topic(const char *name) { return strchr(name, '.') == NULL; }

/* The scenario files under dir and its topic folders (dir/TOPIC/), sorted. */
static void list_lua_files(const char *dir, int depth)
{
    size_t n, t;
    char **files = sorted_entries(dir, is_scenario, &n);
    for (size_t i = 0; i < n; i++) {
        printf("  %s/%s\n", dir, files[i]);
        free(files[i]);
    }
    free(files);
    if (depth > 0) return;
    char **topics = sorted_entries(dir, is_topic, &t);
    for (size_t i = 0; i < t; i++) {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/%s", dir, topics[i]);
        list_lua_files(sub, 1);
        free(topics[i]);
    }
    free(topics);
}

/* The name column: as wide as the longest name, but no wider than 17 (a longer
 * name pushes its own line's summary to the right rather than every line's). */
static int max_len(int width, const char *name)
{
    int n = (int)strlen(name);
    if (n > 17) n = 17;
    return n > width ? n : width;
}

int dsim_cmd_list(int argc, char **argv)
{
    if (argc > 0) return dsim_usage_error("list: takes no arguments, got '%s'", argv[0]);
    printf("systems (C node programs for dsim.cluster{ system = NAME }):\n");
    int width = 0;
    for (size_t i = 0; sim_system_at(i); i++) width = max_len(width, sim_system_at(i)->name);
    for (size_t i = 0; sim_system_at(i); i++)
        printf("  %-*s  %s\n", width, sim_system_at(i)->name, sim_system_at(i)->summary);
    printf("built-in scenarios (dsim run NAME):\n");
    width = 0;
    for (size_t i = 0; dsim_builtin_at(i); i++) width = max_len(width, dsim_builtin_at(i)->name);
    for (size_t i = 0; dsim_builtin_at(i); i++)
        printf("  %-*s  %s\n", width, dsim_builtin_at(i)->name, dsim_builtin_at(i)->summary);
    printf("scenario files (dsim run FILE.lua):\n");
    list_lua_files("scenarios", 0);
    return DSIM_EXIT_OK;
}

int dsim_cmd_replay(int argc, char **argv)
{
    bool file = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--frames") == 0 || strcmp(argv[i], "--fps") == 0) i++;
        else if (strcmp(argv[i], "--viz") == 0) continue;
        else if (strncmp(argv[i], "--", 2) == 0)
            return dsim_usage_error("replay: %s does not apply to a recorded trace (replay takes --frames DIR and "
                                    "--fps N)", argv[i]);
        else file = true;
    }
    if (!file) return dsim_usage_error("replay: which trace? (dsim replay TRACE.jsonl [--frames DIR] [--fps N])");
    dsim_run_opts opts;
    int rc = dsim_parse_run_args(argc, argv, &opts);
    if (rc) return rc;
    if (!opts.frames_dir) opts.viz = true;
    rc = viz_replay(opts.scenario, &opts);
    return rc < 0 ? dsim_usage_error("%s", viz_last_error()) : rc;
}
