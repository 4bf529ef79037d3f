/*
 * The README's example node program is real: it is the code between the markers
 * below, which this suite compiles, runs, and compares with README.md word for
 * word (so the README cannot drift from code that works).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* README-BEGIN */
#include "sim/msg.h"      /* canonical JSON messages, shared with Lua nodes */

typedef struct pinger { int64_t pongs; } pinger;

static void start(sim_node *node, void *state)
{
    sim_timer_set(node, 100 * SIM_NS_PER_MS, "ping", 0);     /* on the node's own clock */
}

static void timer(sim_node *node, void *state, const char *name, uint64_t arg)
{
    sim_node_id peer = (sim_node_id)sim_rng_below(sim_self_rng(node), sim_node_count(sim_of(node)));
    sim_send(node, peer, "ping", "{\"type\":\"ping\"}", 15);
    sim_timer_set(node, 100 * SIM_NS_PER_MS, "ping", 0);
}

static void receive(sim_node *node, void *state, const sim_msg *msg)
{
    if (msg->corrupted) return;                              /* failed its checksum */
    if (strcmp(msg->type, "ping") == 0) sim_send(node, msg->from, "pong", "{\"type\":\"pong\"}", 15);
    else ((pinger *)state)->pongs++;
    sim_annotate(node, "last", msg->type);                    /* shown by the viewer */
}

const sim_program pinger_program = { "pinger", sizeof(pinger), start, receive, timer, NULL };
/* README-END */

START_TEST(the_example_runs)
{
    sim_options o = { 5, 0, 0 };
    sim *s = sim_create(&o);
    ck_assert_int_eq(sim_node_add(s, "a", &pinger_program, NULL, 0, NULL), 0);
    ck_assert_int_eq(sim_node_add(s, "b", &pinger_program, NULL, 0, NULL), 0);
    sim_run_until(s, 1050 * SIM_NS_PER_MS);   /* pings at 100, 200 .. 1000 ms; 2 ms round trips */
    int64_t pongs = ((pinger *)sim_node_state(s, 0))->pongs + ((pinger *)sim_node_state(s, 1))->pongs;
    ck_assert_int_eq(pongs, 20);       /* 10 pings each, every one answered */
    sim_destroy(s);
}
END_TEST

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s (run the tests from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = calloc(1, (size_t)n + 1);
    ck_assert_int_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

START_TEST(readme_shows_this_code)
{
    char *self = slurp("tests/check_readme.c");
    char *readme = slurp("README.md");
    const char *begin = strstr(self, "/* README-BEGIN */\n");
    const char *end = strstr(self, "/* README-END */");
    ck_assert(begin && end);
    begin += strlen("/* README-BEGIN */\n");
    char *code = strndup(begin, (size_t)(end - begin));
    ck_assert_msg(strstr(readme, code) != NULL, "README.md's C example differs from tests/check_readme.c");
    free(code);
    free(self);
    free(readme);
}
END_TEST

Suite *readme_suite(void);

Suite *readme_suite(void)
{
    Suite *suite = suite_create("readme");
    TCase *core = tcase_create("core");
    tcase_add_test(core, the_example_runs);
    tcase_add_test(core, readme_shows_this_code);
    suite_add_tcase(suite, core);
    return suite;
}
