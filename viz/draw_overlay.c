/*
 * What floats over the picture: the tooltip of the node or message under the
 * mouse (all its fields), the banner of a failed check and a magenta ring
 * around the client node of each operation it names (the ops its " [ops ...]"
 * lists, framed in the same colour on the timeline), the banner of a branch
 * whose records differ from its parent's before the fork (viz/branch.c), the
 * status line (what a key just did, or why it was refused), and the list of keys
 * (`?`).
 */
#include <stdio.h>
#include <string.h>

#include "sim/units.h"
#include "viz/app.h"
#include "viz/theme.h"

#define TIP_LINES 16
#define C_OP_MARKED VIZ_RGB(0xdb2777)   /* as in viz/draw_timeline.c */

static const char *const keys[][2] = {
    { "space", "pause / resume" },
    { "right", "step one event forward" },
    { "left", "step one event back (exact)" },
    { "+ / -", "faster / slower (simulated time per second)" },
    { "Home / End", "jump to the start / to the newest event" },
    { "click timeline", "jump to that time" },
    { "l or Tab", "network view / space-time diagram" },
    { "[ / ]", "space-time diagram: zoom in / out" },
    { "click node", "crash it, or restart it (live runs)" },
    { "shift+click", "pause / resume the node" },
    { "drag node -> node", "cut / restore that link (both ways)" },
    { "shift+drag", "cut / restore one way only" },
    { "ctrl+click, p", "select nodes, partition them off" },
    { "h", "heal: remove the partition and all cuts" },
    { "s", "save this branch's faults by hand (.lua, .json)" },
    { "b", "next branch of history (old ones are read-only)" },
    { "stepped back", "a fault starts a new branch (a re-run)" },
    { "hover", "a node's state, a message's fields" },
    { "?", "this list" },
    { "q / Esc", "close (the run then completes)" },
};

static void box_lines(viz_app *a, float x, float y, char lines[][200], int n, viz_color head)
{
    viz_gfx *g = &a->gfx;
    int w = 0;
    for (int i = 0; i < n; i++) {
        int lw = viz_gfx_text_width(g, i ? VIZ_FONT_MONO : VIZ_FONT_BOLD, lines[i]);
        if (lw > w) w = lw;
    }
    float bw = (float)w + 20, bh = (float)n * 17 + 14;
    if (x + bw > (float)g->w - 4) x = (float)g->w - 4 - bw;
    if (y + bh > (float)g->h - 4) y = (float)g->h - 4 - bh;
    viz_gfx_round_rect(g, x + 2, y + 3, bw, bh, 6, VIZ_ALPHA(0x000000, 40));
    viz_gfx_round_rect(g, x, y, bw, bh, 6, VIZ_RGB(0xffffff));
    viz_gfx_rect(g, x, y, bw, 3, head);
    for (int i = 0; i < n; i++)
        viz_gfx_text(g, i ? VIZ_FONT_MONO : VIZ_FONT_BOLD, x + 10, y + 8 + (float)i * 17, C_TEXT, VIZ_LEFT, lines[i]);
}

static int node_tip(const viz_app *a, uint32_t i, char lines[][200])
{
    const viz_node_state *n = &a->model.nodes[i];
    static const char *const status[] = { "up", "crashed", "paused" };
    char off[32];
    int k = 0;
    snprintf(lines[k++], 200, "%s  (%s, cluster %lld)", viz_store_node_name(&a->store, i),
             n->program != VIZ_NONE ? viz_store_str(&a->store, n->program) : "?", (long long)n->cluster);
    snprintf(lines[k++], 200, "status: %s%s", status[n->status % 3], n->group ? "" : "");
    if (n->group) snprintf(lines[k++], 200, "partition group: %u", n->group);
    sim_duration_format(n->clock_offset_ns, off, sizeof(off));
    snprintf(lines[k++], 200, "clock: %s offset, %lld ppm drift", off, (long long)n->drift_ppm);
    size_t out = 0, in = 0;
    for (size_t f = 0; f < a->model.n_flights; f++) {
        out += a->model.flights[f].from == i;
        in += a->model.flights[f].to == i;
    }
    snprintf(lines[k++], 200, "in flight: %zu from it, %zu to it", out, in);
    for (uint32_t j = 0; j < n->nannots && k < TIP_LINES; j++)
        snprintf(lines[k++], 200, "%s = %.160s", viz_store_str(&a->store, n->annots[j].key), n->annots[j].value);
    return k;
}

static int flight_tip(const viz_app *a, const viz_flight *f, char lines[][200])
{
    const viz_rec *r = &a->store.recs[f->rec];
    char sent[48], arrive[48];
    int k = 0;
    viz_format_time(f->sent_ns, sent, sizeof(sent));
    viz_format_time(f->arrive_ns, arrive, sizeof(arrive));
    snprintf(lines[k++], 200, "%s #%llu%s%s", viz_store_str(&a->store, f->type), (unsigned long long)(f->key >> 1),
             f->flags & SIM_FLAG_DUPLICATE ? "  (network copy)" : "",
             f->flags & SIM_FLAG_CORRUPTED ? "  CORRUPTED" : "");
    snprintf(lines[k++], 200, "%s -> %s", viz_store_node_name(&a->store, f->from), viz_store_node_name(&a->store, f->to));
    snprintf(lines[k++], 200, "sent    %s", sent);
    snprintf(lines[k++], 200, "arrives %s", arrive);
    snprintf(lines[k++], 200, "size    %lld bytes", (long long)r->num2);
    const char *body = r->body ? r->body : "";
    for (size_t off = 0, len = strlen(body); off < len && k < TIP_LINES; off += 56)
        snprintf(lines[k++], 200, "%s%.56s", off ? "  " : "body ", body + off);
    return k;
}

static void help(viz_app *a)
{
    viz_gfx *g = &a->gfx;
    int n = (int)(sizeof(keys) / sizeof(keys[0]));
    float w = 520, h = (float)n * 20 + 60, x = ((float)g->w - w) / 2, y = ((float)g->h - h) / 2;
    viz_gfx_rect(g, 0, 0, (float)g->w, (float)g->h, VIZ_ALPHA(0x1f2430, 90));
    viz_gfx_round_rect(g, x, y, w, h, 10, VIZ_RGB(0xffffff));
    viz_gfx_text(g, VIZ_FONT_TITLE, x + 20, y + 16, C_TEXT, VIZ_LEFT, "Keys");
    for (int i = 0; i < n; i++) {
        viz_gfx_text(g, VIZ_FONT_BOLD, x + 20, y + 48 + (float)i * 20, C_ACCENT, VIZ_LEFT, keys[i][0]);
        viz_gfx_text(g, VIZ_FONT_UI, x + 180, y + 48 + (float)i * 20, C_TEXT, VIZ_LEFT, keys[i][1]);
    }
}

static void banner_text(viz_app *a, const char *text, float y)
{
    viz_gfx *g = &a->gfx;
    char fit[400];
    viz_gfx_fit(g, VIZ_FONT_BOLD, text, a->lay.net.w - 40, fit, sizeof(fit));
    viz_gfx_rect(g, (float)a->lay.net.x, y, (float)a->lay.net.w, 28, C_BAD);
    viz_gfx_text(g, VIZ_FONT_BOLD, (float)a->lay.net.x + 14, y + 6, VIZ_RGB(0xffffff), VIZ_LEFT, fit);
}

static void banner(viz_app *a)
{
    const viz_rec *r = &a->store.recs[a->highlight_rec];
    char text[400];
    snprintf(text, sizeof(text), "CHECK FAILED  %s: %s", viz_store_str(&a->store, r->name), r->detail ? r->detail : "");
    banner_text(a, text, (float)(a->lay.net.y + a->lay.net.h) - 28);
}

static void note(viz_app *a)
{
    viz_gfx *g = &a->gfx;
    char fit[300];
    viz_gfx_fit(g, VIZ_FONT_UI, a->note, a->lay.net.w - 60, fit, sizeof(fit));
    float w = (float)viz_gfx_text_width(g, VIZ_FONT_UI, fit) + 24;
    float x = (float)a->lay.net.x + ((float)a->lay.net.w - w) / 2, y = (float)(a->lay.net.y + a->lay.net.h) - 62;
    viz_gfx_round_rect(g, x, y, w, 26, 13, a->note_bad ? VIZ_RGB(0xfde2e2) : VIZ_RGB(0xe0ecff));
    viz_gfx_text(g, VIZ_FONT_UI, x + 12, y + 5, a->note_bad ? C_BAD : C_ACCENT, VIZ_LEFT, fit);
}

/* Rings the process (client node) of every op the failed check marked. */
static void ring_marked_processes(viz_app *a)
{
    for (size_t i = 0; i < a->model.n_ops; i++) {
        uint32_t p = a->model.ops[i].process;
        if (!a->model.ops[i].marked || p >= a->lay.n) continue;
        viz_gfx_ring(&a->gfx, a->lay.x[p], a->lay.y[p], a->lay.node_r + 11, 3.0f, C_OP_MARKED);
    }
}

void viz_draw_overlays(viz_app *a)
{
    if (a->highlight_rec != SIZE_MAX && a->highlight_rec < a->model.applied) {
        if (!a->lamport) ring_marked_processes(a);
        banner(a);
    }
    if (viz_branch_error()[0]) banner_text(a, viz_branch_error(), (float)a->lay.net.y);
    if (a->note_frames > 0 && a->note[0]) note(a);
    char lines[TIP_LINES][200];
    int n = 0;
    if (a->hover_node != VIZ_NONE && a->hover_node < a->model.nnodes) n = node_tip(a, a->hover_node, lines);
    else if (a->hover_flight < a->model.n_flights) n = flight_tip(a, &a->model.flights[a->hover_flight], lines);
    if (n) box_lines(a, (float)a->mouse_x + 16, (float)a->mouse_y + 12, lines, n, C_ACCENT);
    if (a->help) help(a);
}
