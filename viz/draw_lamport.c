/*
 * The space-time (Lamport) diagram of the same run: one vertical lane per node,
 * time flowing down to "now" at the bottom, every message an arrow from its send
 * on the sender's lane to its delivery on the receiver's (a cross where it was
 * dropped, dashed while still in flight). Crashes and pauses shade the lane;
 * partitions shade the whole width. The window shows the last ~3 wall seconds of
 * simulated time at the current speed ('[' and ']' zoom); only records already
 * applied are drawn.
 */
#include <stdio.h>

#include "sim/units.h"
#include "viz/app.h"
#include "viz/theme.h"

#define MAX_SCAN 20000

typedef struct frame {
    int64_t t0, t1;             /* the window of simulated time shown */
    float y0, y1;
} frame;

static float ty(const frame *f, int64_t t)
{
    return f->y1 - (float)((double)(f->t1 - t) / (double)(f->t1 - f->t0)) * (f->y1 - f->y0);
}

static float lane(const viz_app *a, uint32_t node) { return a->lay.lane_x0 + (float)node * a->lay.lane_dx; }

/* Partition bands across, crash and pause bands on lanes. */
static void bands(viz_app *a, const frame *f)
{
    viz_gfx *g = &a->gfx;
    const viz_model *m = &a->model;
    int64_t part_from = -1;
    float w = a->lay.lane_dx * 0.5f;
    if (w > 14) w = 14;
    for (size_t i = 0; i <= m->n_faults; i++) {
        const viz_fault *ft = i < m->n_faults ? &m->faults[i] : NULL;
        int64_t t = ft ? ft->t_ns : f->t1;
        if (part_from >= 0 && (!ft || ft->kind == SIM_REC_PARTITION || ft->kind == SIM_REC_HEAL) && t > f->t0) {
            float y0 = ty(f, part_from > f->t0 ? part_from : f->t0), y1 = ty(f, t);
            viz_gfx_rect(g, (float)a->lay.net.x, y0, (float)a->lay.net.w, y1 - y0, VIZ_ALPHA(C_BAD, 24));
            viz_gfx_text(g, VIZ_FONT_SMALL, (float)a->lay.net.x + 8, y0 + 2, C_BAD, VIZ_LEFT, "partition");
        }
        if (ft && (ft->kind == SIM_REC_PARTITION || ft->kind == SIM_REC_HEAL))
            part_from = ft->kind == SIM_REC_PARTITION ? ft->t_ns : -1;
        if (!ft || (ft->kind != SIM_REC_CRASH && ft->kind != SIM_REC_PAUSE)) continue;
        int64_t end = f->t1;                    /* until the matching restart/resume */
        uint8_t back = ft->kind == SIM_REC_CRASH ? SIM_REC_RESTART : SIM_REC_RESUME;
        for (size_t j = i + 1; j < m->n_faults; j++)
            if (m->faults[j].node == ft->node && m->faults[j].kind == back) {
                end = m->faults[j].t_ns;
                break;
            }
        if (end < f->t0) continue;
        float y0 = ty(f, ft->t_ns > f->t0 ? ft->t_ns : f->t0), y1 = ty(f, end);
        viz_gfx_rect(g, lane(a, ft->node) - w / 2, y0, w, y1 - y0,
                     VIZ_ALPHA(ft->kind == SIM_REC_CRASH ? C_DOWN_RING : C_WARN, 110));
    }
}

static void arrow(viz_app *a, float x0, float y0, float x1, float y1, viz_color c, bool dashed)
{
    if (dashed) viz_gfx_dashed(&a->gfx, x0, y0, x1, y1, 1.6f, 5, 4, c);
    else viz_gfx_line(&a->gfx, x0, y0, x1, y1, 1.6f, c);
    viz_gfx_arrowhead(&a->gfx, x0, y0, x1, y1, 8, c);
}

static void messages(viz_app *a, const frame *f)
{
    viz_gfx *g = &a->gfx;
    size_t lo = viz_store_lower(&a->store, f->t0), hi = a->model.applied;
    if (hi > lo + MAX_SCAN) lo = hi - MAX_SCAN;
    for (size_t i = lo; i < hi; i++) {
        const viz_rec *r = &a->store.recs[i];
        if (r->node == VIZ_NONE || r->node >= a->lay.n) continue;
        float xn = lane(a, r->node), y = ty(f, r->t_ns);
        if (r->kind == SIM_REC_TIMER) viz_gfx_disc(g, xn, y, 2.5f, C_FAINT);
        if (r->kind == SIM_REC_CRASH) viz_gfx_textf(g, VIZ_FONT_BOLD, xn, y - 8, C_BAD, VIZ_CENTER, "X");
        if ((r->kind != SIM_REC_DELIVER && r->kind != SIM_REC_DROP) || r->peer >= a->lay.n) continue;
        float xp = lane(a, r->peer), ys = ty(f, r->num1);
        viz_color c = viz_type_color(a, r->name);
        if (r->kind == SIM_REC_DELIVER) {
            arrow(a, xp, ys, xn, y, c, false);
            continue;
        }
        float xe = r->t_ns == r->num1 ? xp + (xn - xp) * 0.3f : xn, ye = r->t_ns == r->num1 ? ys + 10 : y;
        viz_gfx_line(g, xp, ys, xe, ye, 1.6f, VIZ_ALPHA(c, 160));
        viz_gfx_line(g, xe - 5, ye - 5, xe + 5, ye + 5, 2.5f, C_BAD);
        viz_gfx_line(g, xe - 5, ye + 5, xe + 5, ye - 5, 2.5f, C_BAD);
    }
    for (size_t i = 0; i < a->model.n_flights; i++) {
        const viz_flight *fl = &a->model.flights[i];
        if (fl->from >= a->lay.n || fl->to >= a->lay.n) continue;
        int64_t span = fl->arrive_ns - fl->sent_ns;
        float p = span > 0 ? (float)((double)(a->t_ns - fl->sent_ns) / (double)span) : 1.0f;
        if (p > 1) p = 1;
        float x0 = lane(a, fl->from), x1 = x0 + (lane(a, fl->to) - x0) * p;
        arrow(a, x0, ty(f, fl->sent_ns), x1, ty(f, a->t_ns), viz_type_color(a, fl->type), true);
    }
}

static void lanes_and_axis(viz_app *a, const frame *f)
{
    viz_gfx *g = &a->gfx;
    for (uint32_t i = 0; i < a->lay.n; i++) {
        float x = lane(a, i);
        const viz_node_state *n = &a->model.nodes[i];
        viz_gfx_rect(g, x - 0.75f, f->y0, 1.5f, f->y1 - f->y0, C_FAINT);
        if (a->lay.n <= 40 || i == a->hover_node)
            viz_gfx_text(g, VIZ_FONT_BOLD, x, (float)a->lay.net.y + 12,
                         n->status == SIM_NODE_DOWN ? C_BAD : n->status == SIM_NODE_PAUSED ? C_WARN : C_TEXT,
                         VIZ_CENTER, viz_store_node_name(&a->store, i));
    }
    for (int k = 0; k <= 5; k++) {
        int64_t t = f->t0 + (f->t1 - f->t0) * k / 5;
        char label[48];
        viz_format_time(t, label, sizeof(label));
        float y = ty(f, t);
        viz_gfx_rect(g, (float)a->lay.net.x + 8, y, 6, 1, C_FAINT);
        viz_gfx_text(g, VIZ_FONT_SMALL, (float)a->lay.net.x + 8, y - 14, C_MUTED, VIZ_LEFT, label);
    }
    viz_gfx_rect(g, (float)a->lay.net.x, ty(f, a->t_ns), (float)a->lay.net.w, 1.5f, C_ACCENT);
}

void viz_draw_lamport(viz_app *a)
{
    const SDL_Rect *r = &a->lay.net;
    viz_gfx_clip(&a->gfx, r->x, r->y, r->w, r->h);
    int64_t window = a->spacetime_ns > 0 ? a->spacetime_ns : a->speed * 3;
    if (window < SIM_NS_PER_US) window = SIM_NS_PER_US;
    int64_t t1 = a->t_ns > window ? a->t_ns : window;     /* the first window starts at 0 */
    frame f = { t1 - window, t1, a->lay.lane_y0, a->lay.lane_y1 };
    bands(a, &f);
    lanes_and_axis(a, &f);
    viz_gfx_clip(&a->gfx, r->x, (int)f.y0 - 6, r->w, (int)(f.y1 - f.y0) + 8);
    messages(a, &f);
    viz_gfx_clip(&a->gfx, r->x, r->y, r->w, r->h);
    viz_gfx_text(&a->gfx, VIZ_FONT_SMALL, (float)r->x + 10, (float)(r->y + r->h) - 20, C_MUTED, VIZ_LEFT,
                 "space-time diagram, time flows down to now  (l: network view)");
}
