/*
 * viz_bench_fps: how fast the software rasterizer draws a big picture. It builds
 * a synthetic trace (nodes, then messages all in flight at once, with arrival
 * times spread over a second), then draws frames at 1280x800 for about a second
 * of wall time, moving the picture 1 ms of simulated time per frame. The frames
 * are drawn exactly as in the window (viz_draw), minus copying to a screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "viz/app.h"

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int synth(viz_app *a, int nodes, int messages)
{
    viz_store *st = &a->store;
    uint32_t program = viz_store_intern(st, "bench");
    static const char *const types[] = { "gossip", "gossip_ok", "read", "write", "heartbeat" };
    for (int i = 0; i < nodes; i++) {
        char name[32];
        snprintf(name, sizeof(name), "n%d", i + 1);
        viz_rec *r = viz_store_push(st);
        if (!r) return SIM_ENOMEM;
        r->kind = SIM_REC_NODE;
        r->node = viz_store_node(st, name);
        r->name = program;
        r->num1 = 1;
    }
    for (int i = 0; i < messages; i++) {
        viz_rec *r = viz_store_push(st);
        if (!r) return SIM_ENOMEM;
        r->kind = SIM_REC_SEND;
        r->id = (uint64_t)i + 1;
        r->node = (uint32_t)(i % nodes);
        r->peer = (uint32_t)((i % nodes + 1 + (i * 7919) % (nodes - 1)) % nodes);
        r->name = viz_store_intern(st, types[i % 5]);
        r->num1 = SIM_NS_PER_S + (int64_t)((uint64_t)i * 104729u % 1000) * SIM_NS_PER_MS;
        r->num2 = 64;
    }
    viz_model_seek(&a->model, st->count);
    return 0;
}

int viz_bench_fps(int nodes, int messages, double *fps)
{
    if (nodes < 2 || messages < 0) return SIM_EINVAL;
    viz_app *a = calloc(1, sizeof(*a));
    if (!a) return SIM_ENOMEM;
    int rc = viz_app_init(a, NULL, NULL, 2 * SIM_NS_PER_S, true);
    if (rc == 0) rc = synth(a, nodes, messages);
    snprintf(a->title, sizeof(a->title), "bench: %d nodes, %d messages", nodes, messages);
    int frames = 0;
    double start = wall_s(), now = start;
    while (rc == 0 && (now - start < 1.0 || frames < 10)) {
        a->t_ns = (int64_t)frames * SIM_NS_PER_MS;
        viz_draw(a);
        frames++;
        now = wall_s();
    }
    if (rc == 0) *fps = (double)frames / (now - start);
    viz_app_free(a);
    free(a);
    return rc;
}
