/*
 * The frame as a whole: the layout of its four areas (top bar, network or
 * space-time view, side panel, timeline), the node positions, and the top bar.
 *
 *   +--------------------------------------------------------------+
 *   | dsim  broadcast  seed 1  live      t = 512.300 ms   paused   |
 *   +------------------------------------------+-------------------+
 *   |  clients   (  servers on a circle  )     | legend, checks,   |
 *   |                                          | latest events     |
 *   +------------------------------------------+-------------------+
 *   | timeline: faults, client operations, checks, now             |
 *   +--------------------------------------------------------------+
 *
 * Nothing here reads the wall clock: a frame is a function of the app's state.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "viz/app.h"
#include "viz/theme.h"

#define TOP_H 40
#define TIMELINE_H 190
#define PANEL_W 390
#define VIZ_PI 3.14159265358979f

viz_color viz_type_color(const viz_app *a, uint32_t type)
{
    int i = viz_model_type_index(&a->model, type);
    return i < 0 ? C_MUTED : viz_type_palette[i % 10];
}

static bool is_client(const viz_app *a, uint32_t node)
{
    const viz_node_state *n = viz_model_node(&a->model, node);
    return n && n->program != VIZ_NONE && strstr(viz_store_str(&a->store, n->program), "client");
}

static bool ensure_positions(viz_layout *l, size_t n)
{
    if (n <= l->cap) return true;
    float *x = realloc(l->x, n * sizeof(float)), *y = x ? realloc(l->y, n * sizeof(float)) : NULL;
    if (x) l->x = x;
    if (!y) return false;
    l->y = y;
    l->cap = n;
    return true;
}

/* Servers on a circle (node 0 at the top, clockwise); clients in a column at the
 * left, so that the client does not sit inside a partition drawing. */
static void place_nodes(viz_app *a)
{
    viz_layout *l = &a->lay;
    size_t n = a->model.nnodes, nclients = 0;
    if (!ensure_positions(l, n)) return;
    l->n = n;
    for (uint32_t i = 0; i < n; i++) nclients += is_client(a, i);
    if (nclients == n) nclients = 0;                 /* nothing but clients: a circle */
    size_t nserv = n - nclients;
    float left = (float)l->net.x + (nclients ? 110.0f : 0.0f);
    float cw = (float)l->net.x + (float)l->net.w - left, ch = (float)l->net.h;
    float cx = left + cw / 2, cy = (float)l->net.y + ch / 2;
    float R = fminf(cw, ch) / 2 - (n <= 24 ? 82.0f : 40.0f);
    float spacing = nserv ? 2 * VIZ_PI * R / (float)nserv : R;
    l->node_r = fmaxf(3.0f, fminf(26.0f, spacing * 0.3f));
    size_t ks = 0, kc = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (nclients && is_client(a, i)) {
            l->x[i] = (float)l->net.x + 55.0f;
            l->y[i] = (float)l->net.y + ch * (float)(2 * kc++ + 1) / (float)(2 * nclients);
            continue;
        }
        float ang = -VIZ_PI / 2 + 2 * VIZ_PI * (float)ks++ / (float)(nserv ? nserv : 1);
        l->x[i] = cx + R * cosf(ang);
        l->y[i] = cy + R * sinf(ang);
    }
}

void viz_layout_update(viz_app *a)
{
    viz_layout *l = &a->lay;
    l->w = a->gfx.w;
    l->h = a->gfx.h;
    int panel_w = l->w >= 1000 ? PANEL_W : l->w * 2 / 5;
    int timeline_h = l->h >= 640 ? TIMELINE_H : l->h / 4;
    l->top = (SDL_Rect){ 0, 0, l->w, TOP_H };
    l->timeline = (SDL_Rect){ 0, l->h - timeline_h, l->w, timeline_h };
    l->panel = (SDL_Rect){ l->w - panel_w, TOP_H, panel_w, l->h - TOP_H - timeline_h };
    l->net = (SDL_Rect){ 0, TOP_H, l->w - panel_w, l->panel.h };
    place_nodes(a);
    size_t n = a->model.nnodes ? a->model.nnodes : 1;
    l->lane_dx = (float)(l->net.w - 90) / (float)n;
    l->lane_x0 = (float)l->net.x + 70 + l->lane_dx / 2;
    l->lane_y0 = (float)l->net.y + 44;
    l->lane_y1 = (float)(l->net.y + l->net.h) - 34;
}

static void draw_state_icon(viz_app *a, float x, float y, bool playing)
{
    if (playing) {
        float pts[6] = { x, y, x, y + 14, x + 12, y + 7 };
        viz_gfx_poly(&a->gfx, pts, 3, C_OK);
    } else {
        viz_gfx_rect(&a->gfx, x, y, 4, 14, C_WARN);
        viz_gfx_rect(&a->gfx, x + 7, y, 4, 14, C_WARN);
    }
}

static void draw_top(viz_app *a)
{
    viz_gfx *g = &a->gfx;
    const SDL_Rect *r = &a->lay.top;
    viz_gfx_rect(g, (float)r->x, (float)r->y, (float)r->w, (float)r->h, C_TOPBAR);
    int x = 14 + viz_gfx_text(g, VIZ_FONT_TITLE, 14, 10, C_TOPTEXT, VIZ_LEFT, "dsim");
    viz_gfx_text(g, VIZ_FONT_UI, (float)x + 12, 12, VIZ_RGB(0xc7ccd6), VIZ_LEFT, a->title);
    char now[48], end[48];
    viz_format_time(a->t_ns, now, sizeof(now));
    viz_format_time(a->end_ns, end, sizeof(end));
    float mid = (float)a->lay.net.w / 2 + 40;
    int tw = viz_gfx_textf(g, VIZ_FONT_TITLE, mid, 10, C_TOPTEXT, VIZ_CENTER, "t = %s", now);
    viz_gfx_textf(g, VIZ_FONT_UI, mid + (float)tw / 2 + 10, 13, VIZ_RGB(0x9aa3b2), VIZ_LEFT, "of %s", end);
    float rx = (float)r->w - 16;
    rx -= (float)viz_gfx_text(g, VIZ_FONT_UI, rx, 12, VIZ_RGB(0x9aa3b2), VIZ_RIGHT, "?  keys") + 24;
    char state[128];
    bool back = a->s && a->model.applied < a->store.count && a->paused;
    if (a->headless)
        snprintf(state, sizeof(state), "record %zu", a->model.applied);
    else if (back || (!a->s && a->paused))
        snprintf(state, sizeof(state), "%s record %zu of %zu", back ? "stepped back:" : "paused", a->model.applied,
                 a->store.count);
    else {
        char speed[48];
        sim_duration_format(a->speed, speed, sizeof(speed));
        snprintf(state, sizeof(state), "%s  %s/s", a->paused ? "paused" : "playing", speed);
    }
    rx -= (float)viz_gfx_text(g, VIZ_FONT_UI, rx, 12, C_TOPTEXT, VIZ_RIGHT, state);
    if (!a->headless) draw_state_icon(a, rx - 22, 13, !a->paused);
}

void viz_draw(viz_app *a)
{
    viz_gfx *g = &a->gfx;
    viz_layout_update(a);
    viz_gfx_unclip(g);
    viz_gfx_clear(g, C_BG);
    if (a->lamport) viz_draw_lamport(a);
    else viz_draw_network(a);
    viz_gfx_unclip(g);
    viz_draw_panel(a);
    viz_draw_timeline(a);
    draw_top(a);
    viz_draw_overlays(a);
}
