/*
 * Nodes in the network view. A server is a circle, a client (a program whose name
 * says "client") a rounded square. Up: white with a dark ring; crashed: grey with a
 * red cross and "crashed"; paused: amber with two bars and "paused"; a skewed or
 * drifting clock shows as a violet badge. Under each node: its annotations, the
 * latest value of each key, as the node program published them.
 */
#include <stdio.h>
#include <string.h>

#include "sim/units.h"
#include "viz/app.h"
#include "viz/theme.h"

void viz_draw_nodes(viz_app *a);

static bool involved_in_failure(const viz_app *a, uint32_t node)
{
    if (a->highlight_rec == SIZE_MAX || a->highlight_rec >= a->model.applied) return false;
    const char *msg = a->store.recs[a->highlight_rec].detail;
    const char *name = viz_store_node_name(&a->store, node);
    size_t len = strlen(name);
    for (const char *p = msg ? strstr(msg, name) : NULL; p; p = strstr(p + 1, name)) {
        bool left = p == msg || !(p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
                                  ((p[-1] | 32) >= 'a' && (p[-1] | 32) <= 'z'));
        bool right = !(p[len] == '_' || (p[len] >= '0' && p[len] <= '9') ||
                       ((p[len] | 32) >= 'a' && (p[len] | 32) <= 'z'));
        if (left && right) return true;
    }
    return false;
}

static void shape(viz_gfx *g, bool square, float x, float y, float r, viz_color c)
{
    if (square) viz_gfx_round_rect(g, x - r, y - r, 2 * r, 2 * r, r * 0.35f, c);
    else viz_gfx_disc(g, x, y, r, c);
}

static void clock_badge(viz_app *a, const viz_node_state *n, float x, float y)
{
    char text[64], off[32];
    if (!n->clock_offset_ns && !n->drift_ppm) return;
    sim_duration_format(n->clock_offset_ns, off, sizeof(off));
    if (n->drift_ppm) snprintf(text, sizeof(text), "clock %s%s %+lldppm", n->clock_offset_ns >= 0 ? "+" : "",
                               off, (long long)n->drift_ppm);
    else snprintf(text, sizeof(text), "clock %s%s", n->clock_offset_ns >= 0 ? "+" : "", off);
    int w = viz_gfx_text_width(&a->gfx, VIZ_FONT_SMALL, text);
    viz_gfx_round_rect(&a->gfx, x - (float)w / 2 - 5, y, (float)w + 10, 16, 8, C_SKEW);
    viz_gfx_text(&a->gfx, VIZ_FONT_SMALL, x, y + 1, VIZ_RGB(0xffffff), VIZ_CENTER, text);
}

/* Status word, clock badge and annotations under the node; returns the next y. */
static void node_words(viz_app *a, uint32_t i, const viz_node_state *n, float x, float y)
{
    viz_gfx *g = &a->gfx;
    if (n->status == SIM_NODE_DOWN) {
        viz_gfx_text(g, VIZ_FONT_BOLD, x, y, C_BAD, VIZ_CENTER, "crashed");
        y += 18;
    } else if (n->status == SIM_NODE_PAUSED) {
        viz_gfx_text(g, VIZ_FONT_BOLD, x, y, C_WARN, VIZ_CENTER, "paused");
        y += 18;
    }
    if (n->clock_offset_ns || n->drift_ppm) {
        clock_badge(a, n, x, y);
        y += 19;
    }
    if (a->lay.n > 24) return;
    for (uint32_t k = 0; k < n->nannots && k < 4; k++) {
        char line[160], fit[160];
        snprintf(line, sizeof(line), "%s: %s", viz_store_str(&a->store, n->annots[k].key), n->annots[k].value);
        viz_gfx_fit(g, VIZ_FONT_SMALL, line, 170, fit, sizeof(fit));
        viz_gfx_text(g, VIZ_FONT_SMALL, x, y, n->status == SIM_NODE_DOWN ? C_FAINT : C_TEXT, VIZ_CENTER, fit);
        y += 14;
    }
    if (n->nannots > 4) viz_gfx_textf(g, VIZ_FONT_SMALL, x, y, C_MUTED, VIZ_CENTER, "+%u more (hover)", n->nannots - 4);
}

static void status_glyph(viz_gfx *g, const viz_node_state *n, float x, float y, float r)
{
    if (n->status == SIM_NODE_DOWN) {
        float s = r * 0.62f;
        viz_gfx_line(g, x - s, y - s, x + s, y + s, r > 12 ? 3.5f : 2.0f, VIZ_ALPHA(C_BAD, 220));
        viz_gfx_line(g, x - s, y + s, x + s, y - s, r > 12 ? 3.5f : 2.0f, VIZ_ALPHA(C_BAD, 220));
    } else if (n->status == SIM_NODE_PAUSED && r > 12) {
        viz_gfx_rect(g, x + r * 0.55f, y - r - 2, 4, 11, C_WARN);
        viz_gfx_rect(g, x + r * 0.55f + 6, y - r - 2, 4, 11, C_WARN);
    }
}

static void draw_node(viz_app *a, uint32_t i)
{
    viz_gfx *g = &a->gfx;
    const viz_node_state *n = &a->model.nodes[i];
    float x = a->lay.x[i], y = a->lay.y[i], r = a->lay.node_r;
    const char *prog = n->program != VIZ_NONE ? viz_store_str(&a->store, n->program) : "";
    bool square = strstr(prog, "client") != NULL;
    bool recent = n->last_recv_ns != INT64_MIN && a->t_ns - n->last_recv_ns < a->mark_life_ns / 2;
    if (involved_in_failure(a, i)) shape(g, square, x, y, r + 9, VIZ_ALPHA(C_BAD, 110));
    if (i == a->hover_node) shape(g, square, x, y, r + 6, VIZ_ALPHA(C_ACCENT, 70));
    if (i < a->selected_cap && a->selected[i]) viz_gfx_ring(g, x, y, r + 6, 2.5f, C_ACCENT);
    viz_color fill = n->status == SIM_NODE_DOWN ? C_DOWN_FILL : n->status == SIM_NODE_PAUSED ? C_PAUSE_FILL : C_NODE;
    viz_color ring = n->status == SIM_NODE_DOWN ? C_DOWN_RING : n->status == SIM_NODE_PAUSED ? C_WARN
                     : square ? C_CLIENT_RING : C_NODE_RING;
    shape(g, square, x, y, r, ring);
    shape(g, square, x, y, r - (recent ? 4.0f : 2.5f), fill);
    status_glyph(g, n, x, y, r);
    const char *name = viz_store_node_name(&a->store, i);
    viz_color tc = n->status == SIM_NODE_DOWN ? VIZ_RGB(0x4b5563) : C_TEXT;
    if (r >= 14) {
        char fit[64];
        viz_gfx_fit(g, VIZ_FONT_BOLD, name, (int)(2 * r) - 4, fit, sizeof(fit));
        if (n->status == SIM_NODE_DOWN) {       /* keep the name legible over the cross */
            float w = (float)viz_gfx_text_width(g, VIZ_FONT_BOLD, fit) + 8;
            viz_gfx_round_rect(g, x - w / 2, y - 9, w, 18, 5, VIZ_ALPHA(0xffffff, 210));
        }
        viz_gfx_text(g, VIZ_FONT_BOLD, x, y - 8, tc, VIZ_CENTER, fit);
        node_words(a, i, n, x, y + r + 5);
    } else if (a->lay.n <= 60 || i == a->hover_node) {
        viz_gfx_text(g, VIZ_FONT_SMALL, x, y + r + 2, tc, VIZ_CENTER, name);
    }
}

void viz_draw_nodes(viz_app *a)
{
    for (uint32_t i = 0; i < a->lay.n; i++) draw_node(a, i);
}
