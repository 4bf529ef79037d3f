/*
 * Tests of the viewer (viz/): the PNG writer and reader; headless frames of the
 * built-in broadcast scenario are byte-identical across two runs and really show
 * the partition (group colours around the right nodes, the broken-link red
 * between the groups, all gone after the heal); stepping back is exact; a failed
 * check pauses the picture at that record; the window, under Xvfb, obeys
 * scripted keys and clicks (DSIM_VIZ_SCRIPT) and the faults it saves replay to
 * the same trace hash.
 *
 * The binary under test is $DSIM (default ./dsim). Node positions come from the
 * viewer's own layout code, run here on the trace of the same run.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "viz/app.h"
#include "viz/png.h"
#include "viz/theme.h"
#include "tests/viz_test.h"


/* ---- core ---------------------------------------------------------------------------- */

START_TEST(test_png_round_trip)
{
    enum { W = 97, H = 61 };
    static uint32_t px[W * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            px[y * W + x] = y < 20 ? 0xff3366ccu : (uint32_t)(x * 2654435761u ^ (uint32_t)y * 40503u) | 0xff000000u;
    uint8_t *png, *rgb;
    size_t len;
    int w, h;
    ck_assert_int_eq(viz_png_encode(px, W, H, W, &png, &len), 0);
    ck_assert_int_eq(viz_png_decode(png, len, &rgb, &w, &h), 0);
    ck_assert_int_eq(w, W);
    ck_assert_int_eq(h, H);
    for (int i = 0; i < W * H; i++)
        ck_assert_msg(rgb[3 * i] == (uint8_t)(px[i] >> 16) && rgb[3 * i + 1] == (uint8_t)(px[i] >> 8) &&
                      rgb[3 * i + 2] == (uint8_t)px[i], "pixel %d differs", i);
    free(rgb);
    png[len / 2] ^= 0x10;                       /* a damaged file is refused (CRC) */
    ck_assert_int_eq(viz_png_decode(png, len, &rgb, &w, &h), SIM_EINVAL);
    free(png);
}
END_TEST

/* A viewer session on a recorded trace, with the picture at t_ns. */
static viz_app *replay_at(const char *trace, int64_t t_ns, bool headless)
{
    viz_app *a = calloc(1, sizeof(*a));
    char err[200];
    ck_assert_int_eq(viz_app_init(a, NULL, NULL, 0, headless), 0);
    ck_assert_int_eq(viz_store_load_jsonl(&a->store, trace, err, sizeof(err)), 0);
    viz_app_set_end(a, a->store.recs[a->store.count - 1].t_ns);
    viz_app_advance(a, t_ns);
    viz_layout_update(a);
    return a;
}

static void free_app(viz_app *a)
{
    viz_app_free(a);
    free(a);
}

START_TEST(test_back_is_exact)
{
    char hash[17], cmd[512], trace[128];
    make_tmp();
    snprintf(trace, sizeof(trace), "%s/b.jsonl", tmp);
    snprintf(cmd, sizeof(cmd), "%s run broadcast --trace %s", dsim_bin(), trace);
    free(run(cmd, hash));
    viz_app *a = replay_at(trace, 500 * SIM_NS_PER_MS, true);
    viz_draw(a);
    size_t bytes = (size_t)a->gfx.pitch * (size_t)a->gfx.h * 4, at = a->model.applied;
    uint32_t *first = malloc(bytes);
    memcpy(first, a->gfx.px, bytes);
    for (int i = 0; i < 40; i++) ck_assert(viz_app_step(a));
    viz_draw(a);
    ck_assert_msg(memcmp(first, a->gfx.px, bytes) != 0, "40 records later the picture should differ");
    for (int i = 0; i < 40; i++) ck_assert(viz_app_back(a));
    ck_assert_uint_eq(a->model.applied, at);
    a->t_ns = 500 * SIM_NS_PER_MS;              /* the time the first picture showed */
    viz_draw(a);
    ck_assert_msg(memcmp(first, a->gfx.px, bytes) == 0, "stepping back did not give the same picture");
    free(first);
    free_app(a);
    drop_tmp();
}
END_TEST

START_TEST(test_failed_check_pauses)
{
    char hash[17], cmd[1024], trace[128];
    make_tmp();
    snprintf(trace, sizeof(trace), "%s/f.jsonl", tmp);
    snprintf(cmd, sizeof(cmd), "%s run broadcast --trace %s.all && awk '{ if (!done && $0 ~ /\"t\":6[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9],/) "
             "{ print \"{\\\"i\\\":0,\\\"t\\\":600000000,\\\"ev\\\":\\\"check\\\",\\\"check\\\":\\\"lost\\\","
             "\\\"message\\\":\\\"n3 lost 7\\\",\\\"ok\\\":false}\"; done = 1 } print }' %s.all > %s",
             dsim_bin(), trace, trace, trace);
    free(run(cmd, hash));
    viz_app *a = replay_at(trace, 2 * SIM_NS_PER_S, false);
    ck_assert(a->paused);
    ck_assert_int_eq(a->t_ns, 600 * SIM_NS_PER_MS);
    const viz_rec *r = &a->store.recs[a->model.applied - 1];
    ck_assert_int_eq(r->kind, SIM_REC_CHECK);
    ck_assert_uint_eq(a->highlight_rec, a->model.applied - 1);
    ck_assert_uint_eq(a->model.checks_failed, 1);
    free_app(a);
    drop_tmp();
}
END_TEST

/* ---- frames ---------------------------------------------------------------------------- */

static bool same_file(const char *p, const char *q)
{
    FILE *a = fopen(p, "rb"), *b = fopen(q, "rb");
    bool same = a && b;
    for (int ca = 0, cb = 0; same && ca != EOF; same = ca == cb) ca = fgetc(a), cb = fgetc(b);
    if (a) fclose(a);
    if (b) fclose(b);
    return same;
}

START_TEST(test_frames_identical)
{
    char hash1[17], hash2[17], cmd[512];
    make_tmp();
    snprintf(cmd, sizeof(cmd), "%s run broadcast --frames %s/a 2>/dev/null", dsim_bin(), tmp);
    free(run(cmd, hash1));
    snprintf(cmd, sizeof(cmd), "%s run broadcast --frames %s/b 2>/dev/null", dsim_bin(), tmp);
    free(run(cmd, hash2));
    ck_assert_str_eq(hash1, hash2);
    int frames = 0;
    for (;; frames++) {
        char p[128], q[128];
        snprintf(p, sizeof(p), "%s/a/frame-%05d.png", tmp, frames);
        snprintf(q, sizeof(q), "%s/b/frame-%05d.png", tmp, frames);
        if (access(p, F_OK) != 0) break;
        ck_assert_msg(same_file(p, q), "frame %d differs between two runs", frames);
    }
    ck_assert_int_eq(frames, 76);               /* 0 .. 2.5 s at 30 fps */
    drop_tmp();
}
END_TEST

/* Pixels of exactly colour c within [r0, r1] of (x, y). */
static int count_ring(const uint8_t *rgb, int w, int h, float x, float y, float r0, float r1, viz_color c)
{
    int n = 0;
    for (int py = (int)(y - r1); py <= (int)(y + r1); py++)
        for (int px = (int)(x - r1); px <= (int)(x + r1); px++) {
            float d2 = ((float)px - x) * ((float)px - x) + ((float)py - y) * ((float)py - y);
            if (px < 0 || py < 0 || px >= w || py >= h || d2 < r0 * r0 || d2 > r1 * r1) continue;
            const uint8_t *p = rgb + 3 * ((size_t)py * (size_t)w + (size_t)px);
            n += p[0] == ((c >> 16) & 255) && p[1] == ((c >> 8) & 255) && p[2] == (c & 255);
        }
    return n;
}

/* Pixels of colour c on the middle half of the segment between two points (+-2 px). */
static int count_segment(const uint8_t *rgb, int w, float x0, float y0, float x1, float y1, viz_color c)
{
    int n = 0;
    for (int k = 25; k <= 75; k++) {
        float x = x0 + (x1 - x0) * (float)k / 100, y = y0 + (y1 - y0) * (float)k / 100;
        n += count_ring(rgb, w, 800, x, y, 0, 2.5f, c) > 0;
    }
    return n;
}

START_TEST(test_frame_shows_partition)
{
    char hash[17], cmd[512], path[128];
    make_tmp();
    snprintf(cmd, sizeof(cmd), "%s run broadcast --frames %s --fps 10 --trace %s/t.jsonl 2>/dev/null",
             dsim_bin(), tmp, tmp);
    free(run(cmd, hash));
    snprintf(path, sizeof(path), "%s/t.jsonl", tmp);
    viz_app *a = replay_at(path, 500 * SIM_NS_PER_MS, true);   /* for the node positions */
    const float *x = a->lay.x, *y = a->lay.y, r = a->lay.node_r;
    uint8_t *rgb;
    int w, h;
    snprintf(path, sizeof(path), "%s/frame-00005.png", tmp);  /* 500 ms: partitioned */
    ck_assert_int_eq(viz_png_read(path, &rgb, &w, &h), 0);
    for (int i = 0; i < 5; i++) {               /* n1 n2 | n3 n4 n5 */
        viz_color mine = viz_group_fill[i < 2 ? 0 : 1], other = viz_group_fill[i < 2 ? 1 : 0];
        int in = count_ring(rgb, w, h, x[i], y[i], r + 4, r + 18, mine);
        ck_assert_msg(in > 150, "n%d: only %d pixels of its group's colour around it", i + 1, in);
        ck_assert_int_eq(count_ring(rgb, w, h, x[i], y[i], r + 4, r + 14, other), 0);
    }
    int cut = count_segment(rgb, w, x[0], y[0], x[3], y[3], C_BROKEN);   /* n1 - n4 */
    ck_assert_msg(cut > 15, "the cut link n1-n4 shows only %d red samples", cut);
    ck_assert_int_eq(count_segment(rgb, w, x[2], y[2], x[3], y[3], C_BROKEN), 0);   /* n3 - n4 */
    free(rgb);
    snprintf(path, sizeof(path), "%s/frame-00015.png", tmp);  /* 1.5 s: healed */
    ck_assert_int_eq(viz_png_read(path, &rgb, &w, &h), 0);
    ck_assert_int_eq(count_segment(rgb, w, x[0], y[0], x[3], y[3], C_BROKEN), 0);
    ck_assert_int_eq(count_ring(rgb, w, h, x[0], y[0], r + 4, r + 18, viz_group_fill[0]), 0);
    free(rgb);
    free_app(a);
    drop_tmp();
}
END_TEST

/* ---- window (under Xvfb) --------------------------------------------------------------------- */


START_TEST(test_window_scripted)
{
    if (system("command -v xvfb-run >/dev/null 2>&1") != 0) return;   /* no Xvfb: skipped */
    char plain[17], live[17], again[17], cmd[1024];
    make_tmp();
    snprintf(cmd, sizeof(cmd), "%s run broadcast", dsim_bin());
    free(run(cmd, plain));
    snprintf(cmd, sizeof(cmd), "DSIM_VIZ_SAVE=%s/hand DSIM_VIZ_SCRIPT='faster;faster;faster;until 420ms;pause;dump;"
             "step;step;step;dump;back;dump;end;dump;click n2;dump;shot %s/shot.png;save;quit' "
             "xvfb-run -a %s run broadcast --viz 2>&1", tmp, tmp, dsim_bin());
    char *out = run(cmd, live);
    state_line s0 = state_at(out, 0), s1 = state_at(out, 1), s2 = state_at(out, 2), s3 = state_at(out, 3),
               s4 = state_at(out, 4);
    ck_assert_int_eq(s0.paused, 1);
    ck_assert_msg(s0.t >= 420000000 && s0.t < 440000000, "paused at %lld", s0.t);
    ck_assert_uint_eq(s1.applied, s0.applied + 3);               /* step x3 */
    ck_assert_uint_eq(s2.applied, s0.applied + 2);               /* back */
    ck_assert_uint_eq(s3.applied, s3.records);                   /* end: the newest event */
    ck_assert_uint_eq(s3.hand, 0);                               /* (branching: check_viz_branch.c) */
    ck_assert_ptr_nonnull(strstr(s4.nodes, "n2:down"));          /* click n2 crashed it */
    ck_assert_uint_eq(s4.hand, 1);
    ck_assert_uint_eq(s4.applied, s4.records);
    ck_assert_str_ne(live, plain);
    free(out);
    uint8_t *rgb;
    int w, h, grey = 0;
    snprintf(cmd, sizeof(cmd), "%s/shot.png", tmp);
    ck_assert_int_eq(viz_png_read(cmd, &rgb, &w, &h), 0);       /* the window drew the crash */
    for (int i = 0; i < w * h; i++)
        grey += rgb[3 * i] == 0xc9 && rgb[3 * i + 1] == 0xcc && rgb[3 * i + 2] == 0xd1;
    ck_assert_msg(grey > 300, "no crashed node drawn (%d grey pixels)", grey);
    free(rgb);
    snprintf(cmd, sizeof(cmd), "grep -q 'dsim.crash(\"n2\")' %s/hand.lua", tmp);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "DSIM_VIZ_FAULTS=%s/hand.json %s run broadcast --frames %s/f 2>/dev/null", tmp,
             dsim_bin(), tmp);
    free(run(cmd, again));
    ck_assert_str_eq(again, live);                               /* the saved faults replay exactly */
    drop_tmp();
}
END_TEST

START_TEST(test_saved_lua_schedule_replays)
{
    if (system("command -v xvfb-run >/dev/null 2>&1") != 0 || access("scenarios/gossip.lua", R_OK) != 0) return;
    char live[17], again[17], plain[17], cmd[1024];
    make_tmp();
    snprintf(cmd, sizeof(cmd), "DSIM_VIZ_SAVE=%s/hand DSIM_VIZ_SCRIPT='faster;until 100ms;pause;click n3;"
             "shift-click n4;drag n4 n5;play;until 150ms;pause;click n3;shift-click n4;key h;save;quit' "
             "xvfb-run -a %s run scenarios/gossip.lua --viz 2>&1", tmp, dsim_bin());
    free(run(cmd, live));
    snprintf(cmd, sizeof(cmd), "%s run scenarios/gossip.lua", dsim_bin());
    free(run(cmd, plain));
    ck_assert_str_ne(live, plain);
    snprintf(cmd, sizeof(cmd), "awk '/^dsim.run\\(/ { while ((getline l < \"%s/hand.lua\") > 0) print l } "
             "{ print }' scenarios/gossip.lua > %s/replay.lua && grep -c 'dsim.at' %s/replay.lua > /dev/null && "
             "%s run %s/replay.lua", tmp, tmp, tmp, dsim_bin(), tmp);
    free(run(cmd, again));
    ck_assert_str_eq(again, live);               /* the Lua schedule replays the very same run */
    drop_tmp();
}
END_TEST

/* ---- limits ------------------------------------------------------------------------------------ */

START_TEST(test_bad_traces_refused)
{
    viz_store st;
    char err[200] = "";
    viz_store_init(&st);
    ck_assert_int_eq(viz_store_load_jsonl(&st, "/nonexistent/t.jsonl", err, sizeof(err)), SIM_ENOENT);
    make_tmp();
    char path[128];
    snprintf(path, sizeof(path), "%s/bad.jsonl", tmp);
    FILE *f = fopen(path, "w");
    fputs("{\"i\":0,\"t\":5,\"ev\":\"heal\"}\n{\"i\":1,\"t\":2,\"ev\":\"heal\"}\n", f);   /* time goes back */
    fclose(f);
    ck_assert_int_eq(viz_store_load_jsonl(&st, path, err, sizeof(err)), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "line 2"));
    viz_store_free(&st);
    viz_store_init(&st);
    f = fopen(path, "w");
    fputs("{\"i\":0,\"t\":5,\"ev\":\"teleport\"}\n", f);
    fclose(f);
    ck_assert_int_eq(viz_store_load_jsonl(&st, path, err, sizeof(err)), SIM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "line 1"));
    viz_store_free(&st);
    drop_tmp();
}
END_TEST

/* The benchmark runs and measures something; how fast is `dsim bench viz`'s
 * business (README), never a test's: a timed assertion would fail on a busy or
 * sanitized machine without anything being wrong. */
START_TEST(test_bench_draws)
{
    double fps = 0;
    ck_assert_int_eq(viz_bench_fps(200, 5000, &fps), 0);
    ck_assert_msg(fps > 0, "%.1f fps", fps);
    ck_assert_int_eq(viz_bench_fps(1, 10, &fps), SIM_EINVAL);
}
END_TEST

Suite *viz_suite(void);

Suite *viz_suite(void)
{
    Suite *s = suite_create("viz");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_png_round_trip);
    tcase_add_test(core, test_back_is_exact);
    tcase_add_test(core, test_failed_check_pauses);
    suite_add_tcase(s, core);
    TCase *frames = tcase_create("frames");
    tcase_set_timeout(frames, 120);
    tcase_add_test(frames, test_frames_identical);
    tcase_add_test(frames, test_frame_shows_partition);
    suite_add_tcase(s, frames);
    TCase *window = tcase_create("window");
    tcase_set_timeout(window, 120);
    tcase_add_test(window, test_window_scripted);
    tcase_add_test(window, test_saved_lua_schedule_replays);
    suite_add_tcase(s, window);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_bad_traces_refused);
    tcase_add_test(limits, test_bench_draws);
    suite_add_tcase(s, limits);
    return s;
}
