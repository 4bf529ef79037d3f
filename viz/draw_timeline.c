/*
 * The timeline under the picture: the whole run from 0 to its end, with network
 * faults (partition bands, cuts), node faults (crash, restart, pause, resume),
 * client operations as invoke-to-complete bars (green ok, red fail, amber
 * unknown, grey still pending), check verdicts, and the current time. Only what
 * has happened by the current record is drawn, so stepping back un-draws it.
 * The operations a failed check names (its " [ops ...]", viz/model.c marks
 * them) get a magenta frame (C_OP_MARKED), drawn over the other bars.
 * Clicking in it jumps to that time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "viz/app.h"
#include "viz/theme.h"

#define LABEL_W 96
#define OP_ROWS 6
#define C_OP_MARKED VIZ_RGB(0xdb2777)   /* tests/check_session.c looks for it */

static float axis_x0(const viz_app *a) { return (float)a->lay.timeline.x + LABEL_W; }
static float axis_x1(const viz_app *a) { return (float)(a->lay.timeline.x + a->lay.timeline.w) - 24; }

float viz_timeline_x(const viz_app *a, int64_t t_ns)
{
    double f = a->end_ns > 0 ? (double)t_ns / (double)a->end_ns : 0.0;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return axis_x0(a) + (float)(f * (double)(axis_x1(a) - axis_x0(a)));
}

int64_t viz_timeline_time(const viz_app *a, int x)
{
    double f = ((double)x - (double)axis_x0(a)) / (double)(axis_x1(a) - axis_x0(a));
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return (int64_t)(f * (double)a->end_ns);
}

static void axis(viz_app *a, float y)
{
    viz_gfx *g = &a->gfx;
    int64_t step = 0;                            /* 1-2-5 steps, at most 12 ticks */
    for (int64_t p = 1; !step && p < INT64_MAX / 10; p *= 10) {
        if (a->end_ns / p <= 12) step = p;
        else if (a->end_ns / (2 * p) <= 12) step = 2 * p;
        else if (a->end_ns / (5 * p) <= 12) step = 5 * p;
    }
    if (!step) step = 1;
    viz_gfx_rect(g, axis_x0(a), y, axis_x1(a) - axis_x0(a), 1, C_FAINT);
    for (int64_t t = 0; t <= a->end_ns; t += step) {
        float x = viz_timeline_x(a, t);
        char label[48];
        sim_duration_format(t, label, sizeof(label));
        viz_gfx_rect(g, x, y, 1, 5, C_FAINT);
        viz_gfx_text(g, VIZ_FONT_SMALL, x, y + 7, C_MUTED, VIZ_CENTER, label);
    }
}

static void row_label(viz_app *a, float y, const char *text)
{
    viz_gfx_text(&a->gfx, VIZ_FONT_SMALL, (float)a->lay.timeline.x + 14, y, C_MUTED, VIZ_LEFT, text);
}

/* Partition bands and cut ticks (y: row top, 18 px high). */
static void network_row(viz_app *a, float y)
{
    viz_gfx *g = &a->gfx;
    const viz_model *m = &a->model;
    row_label(a, y + 2, "network");
    int64_t open = -1;
    for (size_t i = 0; i <= m->n_faults; i++) {
        const viz_fault *f = i < m->n_faults ? &m->faults[i] : NULL;
        bool ends = !f || f->kind == SIM_REC_PARTITION || f->kind == SIM_REC_HEAL;
        if (open >= 0 && ends) {
            float x0 = viz_timeline_x(a, open), x1 = viz_timeline_x(a, f ? f->t_ns : a->t_ns);
            viz_gfx_rect(g, x0, y, x1 - x0 < 2 ? 2 : x1 - x0, 18, VIZ_ALPHA(C_BAD, 46));
            viz_gfx_rect(g, x0, y, 2, 18, C_BAD);
            if (x1 - x0 > 60) viz_gfx_text(g, VIZ_FONT_SMALL, x0 + 6, y + 2, C_BAD, VIZ_LEFT, "partition");
            open = -1;
        }
        if (f && f->kind == SIM_REC_PARTITION) open = f->t_ns;
        if (f && f->kind == SIM_REC_HEAL) viz_gfx_rect(g, viz_timeline_x(a, f->t_ns), y, 2, 18, C_OK);
        if (f && (f->kind == SIM_REC_CUT || f->kind == SIM_REC_UNCUT))
            viz_gfx_rect(g, viz_timeline_x(a, f->t_ns), y + 3, 2, 12, f->kind == SIM_REC_CUT ? C_BAD : C_OK);
    }
}

static void nodes_row(viz_app *a, float y)
{
    viz_gfx *g = &a->gfx;
    const viz_model *m = &a->model;
    row_label(a, y + 2, "nodes");
    float last_label = -1e9f;
    for (size_t i = 0; i < m->n_faults; i++) {
        const viz_fault *f = &m->faults[i];
        float x = viz_timeline_x(a, f->t_ns);
        viz_color c;
        switch (f->kind) {
        case SIM_REC_CRASH: c = C_BAD; break;
        case SIM_REC_PAUSE: c = C_WARN; break;
        case SIM_REC_RESTART: case SIM_REC_RESUME: c = C_OK; break;
        case SIM_REC_CLOCK: c = C_SKEW; break;
        default: continue;
        }
        viz_gfx_disc(g, x, y + 9, 4.5f, c);
        if (x - last_label < 40) continue;
        viz_gfx_text(g, VIZ_FONT_SMALL, x + 7, y + 2, c, VIZ_LEFT, viz_store_node_name(&a->store, f->node));
        last_label = x;
    }
}

/* One op's bar in its row (marked: framed in magenta, at least 8 px wide). */
static void op_bar(viz_app *a, const viz_op *op, float x0, float x1, float y)
{
    viz_color c = op->outcome == SIM_OP_OK ? C_OK : op->outcome == SIM_OP_FAIL ? C_BAD
                  : op->outcome == SIM_OP_UNKNOWN ? C_WARN : C_OP_PENDING;
    if (op->marked) {
        float w = x1 - x0 + 4 < 8 ? 8 : x1 - x0 + 4;
        viz_gfx_rect(&a->gfx, (x0 + x1) / 2 - w / 2, y - 2, w, 12, C_OP_MARKED);
    }
    viz_gfx_rect(&a->gfx, x0, y, x1 - x0, 8, c);
}

static void ops_rows(viz_app *a, float y)
{
    const viz_model *m = &a->model;
    row_label(a, y + 2, "client ops");
    float row_end[OP_ROWS];
    for (int r = 0; r < OP_ROWS; r++) row_end[r] = -1e9f;
    int *rows = m->n_ops ? malloc(m->n_ops * sizeof(int)) : NULL;
    for (int pass = 0; pass < 2; pass++)         /* the marked ones last, on top */
        for (size_t i = 0; i < m->n_ops; i++) {
            const viz_op *op = &m->ops[i];
            float x0 = viz_timeline_x(a, op->invoke_ns);
            float x1 = viz_timeline_x(a, op->complete_ns >= 0 ? op->complete_ns : a->t_ns);
            if (x1 < x0 + 2) x1 = x0 + 2;
            if (pass == 0) {
                int row = 0;
                while (row < OP_ROWS - 1 && row_end[row] > x0 - 1) row++;
                row_end[row] = x1;
                if (rows) rows[i] = row;
            }
            if (op->marked == (pass == 1)) op_bar(a, op, x0, x1, y + 2 + (float)(rows ? rows[i] : 0) * 11);
        }
    free(rows);
}

static void checks_row(viz_app *a, float y)
{
    const viz_model *m = &a->model;
    row_label(a, y, "checks");
    for (size_t i = 0; i < m->n_checks; i++) {
        const viz_check *c = &m->checks[i];
        viz_gfx_disc(&a->gfx, viz_timeline_x(a, c->t_ns), y + 7, 4.5f, c->ok ? C_OK : C_BAD);
    }
}

void viz_draw_timeline(viz_app *a)
{
    viz_gfx *g = &a->gfx;
    const SDL_Rect *r = &a->lay.timeline;
    viz_gfx_clip(g, r->x, r->y, r->w, r->h);
    viz_gfx_rect(g, (float)r->x, (float)r->y, (float)r->w, (float)r->h, C_PANEL);
    viz_gfx_rect(g, (float)r->x, (float)r->y, (float)r->w, 1, C_BORDER);
    float y = (float)r->y;
    viz_gfx_text(g, VIZ_FONT_BOLD, (float)r->x + 14, y + 8, C_TEXT, VIZ_LEFT, "Timeline");
    viz_gfx_text(g, VIZ_FONT_SMALL, (float)r->x + 90, y + 10, C_MUTED, VIZ_LEFT, "click to jump to a time");
    float now = viz_timeline_x(a, a->t_ns);
    viz_gfx_rect(g, now, y + 30, axis_x1(a) - now, (float)r->h - 62, VIZ_RGB(0xf3f4f6));
    network_row(a, y + 32);
    nodes_row(a, y + 54);
    ops_rows(a, y + 76);
    checks_row(a, y + 76 + OP_ROWS * 11 + 6);
    axis(a, (float)(r->y + r->h) - 26);
    viz_gfx_rect(g, now - 1, y + 28, 2, (float)r->h - 52, C_ACCENT);
    viz_gfx_disc(g, now, y + 28, 4, C_ACCENT);
    viz_gfx_unclip(g);
}
