/*
 * The network view: partition groups as soft coloured regions, links (cut links
 * dashed red with a gap between two bars, one-way cuts with an arrow in the
 * blocked direction),
 * every message in flight at its true simulated progress between its send and
 * its arrival, short-lived markers where messages were dropped, duplicated or
 * corrupted, and the nodes with their names, status and annotations.
 *
 * A message travels on the right-hand side of its link, so that traffic both ways
 * between two nodes does not overlap.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "viz/app.h"
#include "viz/theme.h"

#define LANE 4.0f

static bool node_xy(const viz_app *a, uint32_t i, float *x, float *y)
{
    if (i == VIZ_NONE || i >= a->lay.n) return false;
    *x = a->lay.x[i];
    *y = a->lay.y[i];
    return true;
}

/* Point at fraction f of the way from node i's rim to node j's rim, on i->j's lane. */
static bool along(const viz_app *a, uint32_t i, uint32_t j, float f, float *x, float *y)
{
    float x0, y0, x1, y1;
    if (!node_xy(a, i, &x0, &y0) || !node_xy(a, j, &x1, &y1)) return false;
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1) return false;
    dx /= len;
    dy /= len;
    float r = a->lay.node_r + 5, span = len - 2 * r;
    if (span < 0) span = 0;
    *x = x0 + dx * (r + span * f) - dy * LANE;
    *y = y0 + dy * (r + span * f) + dx * LANE;
    return true;
}

bool viz_flight_pos(const viz_app *a, const viz_flight *f, float *x, float *y)
{
    int64_t span = f->arrive_ns - f->sent_ns, age = a->t_ns - f->sent_ns;
    float p = span <= 0 || age >= span ? 1.0f : age <= 0 ? 0.0f : (float)((double)age / (double)span);
    return along(a, f->from, f->to, p, x, y);
}

/* ---- partition groups -------------------------------------------------------------- */

static float cross3(const float *o, const float *p, const float *q)
{
    return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0]);
}

/* Convex hull (monotone chain) of n points in pts (sorted in place); returns its size. */
static int hull(float (*pts)[2], int n, float (*out)[2])
{
    for (int i = 1; i < n; i++)                 /* insertion sort: n is small */
        for (int j = i; j > 0 && (pts[j][0] < pts[j - 1][0] ||
                                  (pts[j][0] == pts[j - 1][0] && pts[j][1] < pts[j - 1][1])); j--) {
            float t0 = pts[j][0], t1 = pts[j][1];
            pts[j][0] = pts[j - 1][0], pts[j][1] = pts[j - 1][1];
            pts[j - 1][0] = t0, pts[j - 1][1] = t1;
        }
    if (n < 3) {
        for (int i = 0; i < n; i++) out[i][0] = pts[i][0], out[i][1] = pts[i][1];
        return n;
    }
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross3(out[k - 2], out[k - 1], pts[i]) <= 0) k--;
        out[k][0] = pts[i][0], out[k][1] = pts[i][1], k++;
    }
    for (int i = n - 2, lower = k + 1; i >= 0; i--) {
        while (k >= lower && cross3(out[k - 2], out[k - 1], pts[i]) <= 0) k--;
        out[k][0] = pts[i][0], out[k][1] = pts[i][1], k++;
    }
    return k - 1;
}

/* The hull grown by r: polygon, discs at corners, bands along edges. */
static void fat_hull(viz_gfx *g, float (*h)[2], int n, float r, viz_color c)
{
    float flat[128];
    for (int i = 0; i < n && i < 64; i++) flat[2 * i] = h[i][0], flat[2 * i + 1] = h[i][1];
    if (n >= 3) viz_gfx_poly(g, flat, n < 64 ? n : 64, c);
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        viz_gfx_line(g, h[i][0], h[i][1], h[j][0], h[j][1], 2 * r, c);
    }
}

static void draw_groups(viz_app *a)
{
    float pts[64][2], h[130][2], r = a->lay.node_r + 22;
    for (uint32_t grp = 1; grp <= a->model.ngroups; grp++) {
        int n = 0;
        float top_x = 0, top_y = 1e9f;
        for (uint32_t i = 0; i < a->lay.n && n < 64; i++) {
            if (a->model.nodes[i].group != grp) continue;
            pts[n][0] = a->lay.x[i], pts[n][1] = a->lay.y[i];
            if (pts[n][1] < top_y) top_x = pts[n][0], top_y = pts[n][1];
            n++;
        }
        if (!n) continue;
        int k = hull(pts, n, h);
        viz_color edge = viz_group_edge[(grp - 1) % 8], fill = viz_group_fill[(grp - 1) % 8];
        fat_hull(&a->gfx, h, k, r + 2, VIZ_ALPHA(edge, 200));
        fat_hull(&a->gfx, h, k, r, fill);
        viz_gfx_textf(&a->gfx, VIZ_FONT_BOLD, top_x, top_y - r - 18, edge, VIZ_CENTER, "group %u", grp);
    }
}

/* ---- links ------------------------------------------------------------------------- */

static void cross_mark(viz_gfx *g, float x, float y, float s, float w, viz_color c)
{
    viz_gfx_line(g, x - s, y - s, x + s, y + s, w, c);
    viz_gfx_line(g, x - s, y + s, x + s, y - s, w, c);
}

/* i -> j cannot pass: dashed red, arrow at j when only that way is cut. */
static void broken_link(viz_app *a, uint32_t i, uint32_t j, bool both)
{
    float x0, y0, x1, y1;
    if (!along(a, i, j, 0.0f, &x0, &y0) || !along(a, i, j, 1.0f, &x1, &y1)) return;
    if (both) {                                 /* centre line, no lane offset */
        node_xy(a, i, &x0, &y0), node_xy(a, j, &x1, &y1);
        float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy), r = a->lay.node_r + 4;
        x0 += dx / len * r, y0 += dy / len * r, x1 -= dx / len * r, y1 -= dy / len * r;
    }
    float mx = (x0 + x1) / 2, my = (y0 + y1) / 2, dx = x1 - x0, dy = y1 - y0;
    float len = sqrtf(dx * dx + dy * dy), gap = 11;
    if (len < 3 * gap) return;
    float ux = dx / len, uy = dy / len;
    viz_gfx_dashed(&a->gfx, x0, y0, mx - ux * gap, my - uy * gap, 2.0f, 7, 5, C_BROKEN);
    viz_gfx_dashed(&a->gfx, x1, y1, mx + ux * gap, my + uy * gap, 2.0f, 7, 5, C_BROKEN);
    for (int side = -1; side <= 1; side += 2) {  /* the cut: a gap between two bars */
        float bx = mx + ux * gap * (float)side, by = my + uy * gap * (float)side;
        viz_gfx_line(&a->gfx, bx - uy * 7, by + ux * 7, bx + uy * 7, by - ux * 7, 2.5f, C_BROKEN);
    }
    if (!both) viz_gfx_arrowhead(&a->gfx, x0, y0, x1, y1, 10, C_BROKEN);
}

static void draw_links(viz_app *a)
{
    const viz_model *m = &a->model;
    size_t n = a->lay.n;
    if (n > 16) {                               /* too many pairs: only explicit cuts */
        for (size_t c = 0; c < m->n_cuts && c < 400; c++)
            broken_link(a, m->cuts[c].from, m->cuts[c].to, false);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            bool ij = viz_model_blocked(m, i, j), ji = viz_model_blocked(m, j, i);
            if (!ij || !ji) viz_gfx_line(&a->gfx, a->lay.x[i], a->lay.y[i], a->lay.x[j], a->lay.y[j], 1.3f, C_LINK);
            if (ij && ji) broken_link(a, i, j, true);
            else if (ij) broken_link(a, i, j, false);
            else if (ji) broken_link(a, j, i, false);
        }
}

/* ---- messages and markers ---------------------------------------------------------- */

static void draw_flights(viz_app *a)
{
    const viz_model *m = &a->model;
    float r = m->n_flights > 400 || a->lay.n > 60 ? 3.0f : 5.0f;
    for (size_t i = 0; i < m->n_flights; i++) {
        const viz_flight *f = &m->flights[i];
        float x, y;
        if (!viz_flight_pos(a, f, &x, &y)) continue;
        viz_color c = viz_type_color(a, f->type);
        if (f->flags & SIM_FLAG_DUPLICATE) viz_gfx_ring(&a->gfx, x, y, r + 3, 1.5f, c);
        if (f->flags & SIM_FLAG_CORRUPTED) viz_gfx_ring(&a->gfx, x, y, r + 2.5f, 2.0f, C_BAD);
        viz_gfx_disc(&a->gfx, x, y, r + 1, VIZ_RGB(0xffffff));
        viz_gfx_disc(&a->gfx, x, y, r, c);
        if (i == a->hover_flight) viz_gfx_ring(&a->gfx, x, y, r + 5, 2.0f, C_ACCENT);
    }
}

static void draw_marks(viz_app *a)
{
    const viz_model *m = &a->model;
    size_t first = m->nmarks > VIZ_MARKS ? m->nmarks - VIZ_MARKS : 0;
    bool words = a->lay.n <= 24;
    for (size_t k = first; k < m->nmarks; k++) {
        const viz_mark *mk = &m->marks[k % VIZ_MARKS];
        int64_t age = a->t_ns - mk->t_ns;
        if (age < 0 || age >= a->mark_life_ns) continue;
        unsigned alpha = (unsigned)(255 - 200 * age / a->mark_life_ns);
        float x, y;
        if (!along(a, mk->from, mk->to, mk->frac, &x, &y) && !node_xy(a, mk->to, &x, &y)) continue;
        const viz_rec *r = &a->store.recs[mk->rec];
        if (mk->kind == VIZ_MARK_DROP) {
            cross_mark(&a->gfx, x, y, 6, 3.0f, VIZ_ALPHA(C_BAD, alpha));
            bool obvious = r->detail && (!strcmp(r->detail, "partition") || !strcmp(r->detail, "cut"));
            if (words && r->detail && !obvious)
                viz_gfx_text(&a->gfx, VIZ_FONT_SMALL, x + 9, y - 7, VIZ_ALPHA(C_BAD, alpha), VIZ_LEFT, r->detail);
        } else if (mk->kind == VIZ_MARK_DUP) {
            viz_color c = viz_type_color(a, mk->type);
            viz_gfx_ring(&a->gfx, x, y, 9, 2.0f, VIZ_ALPHA(c, alpha));
            viz_gfx_text(&a->gfx, VIZ_FONT_BOLD, x + 11, y - 8, VIZ_ALPHA(c, alpha), VIZ_LEFT, "x2");
        } else {
            viz_gfx_disc(&a->gfx, x, y, 8, VIZ_ALPHA(C_BAD, alpha));
            viz_gfx_text(&a->gfx, VIZ_FONT_BOLD, x, y - 8, VIZ_ALPHA(VIZ_RGB(0xffffff), alpha), VIZ_CENTER, "!");
            if (words) viz_gfx_text(&a->gfx, VIZ_FONT_SMALL, x + 11, y - 7, VIZ_ALPHA(C_BAD, alpha), VIZ_LEFT, "corrupted");
        }
    }
}

void viz_draw_nodes(viz_app *a);

void viz_draw_network(viz_app *a)
{
    const SDL_Rect *r = &a->lay.net;
    viz_gfx_clip(&a->gfx, r->x, r->y, r->w, r->h);
    draw_groups(a);
    draw_links(a);
    draw_flights(a);
    draw_marks(a);
    viz_draw_nodes(a);
    if (a->drag_from != VIZ_NONE && a->drag_from < a->lay.n)
        viz_gfx_dashed(&a->gfx, a->lay.x[a->drag_from], a->lay.y[a->drag_from], (float)a->mouse_x,
                       (float)a->mouse_y, 2.0f, 6, 4, C_ACCENT);
    viz_gfx_text(&a->gfx, VIZ_FONT_SMALL, (float)r->x + 10, (float)(r->y + r->h) - 20, C_MUTED, VIZ_LEFT,
                 "network view  (l: space-time diagram)");
}
