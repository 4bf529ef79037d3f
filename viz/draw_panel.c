/*
 * The side panel: the legend (message types in their colours, with how many are
 * in flight, and the fault symbols), the checks with their latest verdicts, and
 * the latest events in words, newest first; the top line is the record the
 * picture has just applied, which is what "step" and "back" move.
 */
#include <stdio.h>
#include <string.h>

#include "viz/app.h"
#include "viz/theme.h"

#define PAD 14

static float heading(viz_app *a, float x, float y, float w, const char *text)
{
    viz_gfx_text(&a->gfx, VIZ_FONT_BOLD, x, y, C_TEXT, VIZ_LEFT, text);
    viz_gfx_rect(&a->gfx, x, y + 19, w, 1, C_BORDER);
    return y + 26;
}

static float legend(viz_app *a, float x, float y, float w)
{
    viz_gfx *g = &a->gfx;
    const viz_model *m = &a->model;
    y = heading(a, x, y, w, "Messages in flight");
    size_t shown = m->n_types < 8 ? m->n_types : 8;
    for (size_t i = 0; i < shown; i++) {
        size_t count = 0;
        for (size_t k = 0; k < m->n_flights; k++) count += m->flights[k].type == m->types[i];
        float cx = x + (float)(i % 2) * (w / 2), cy = y + (float)(i / 2) * 18;
        char name[64];
        viz_gfx_fit(g, VIZ_FONT_UI, viz_store_str(&a->store, m->types[i]), (int)(w / 2) - 60, name, sizeof(name));
        viz_gfx_disc(g, cx + 6, cy + 8, 5, viz_type_palette[i % 10]);
        int tw = viz_gfx_text(g, VIZ_FONT_UI, cx + 16, cy, C_TEXT, VIZ_LEFT, name);
        viz_gfx_textf(g, VIZ_FONT_UI, cx + 22 + (float)tw, cy, C_MUTED, VIZ_LEFT, "%zu", count);
    }
    if (!shown) viz_gfx_text(g, VIZ_FONT_UI, x, y, C_MUTED, VIZ_LEFT, "none sent yet");
    y += (float)((shown + 1) / 2 > 0 ? (shown + 1) / 2 : 1) * 18 + 6;
    /* symbols */
    float sx = x;
    viz_gfx_line(g, sx, y + 4, sx + 10, y + 14, 2.5f, C_BAD);
    viz_gfx_line(g, sx, y + 14, sx + 10, y + 4, 2.5f, C_BAD);
    sx += 16 + (float)viz_gfx_text(g, VIZ_FONT_SMALL, sx + 16, y + 2, C_MUTED, VIZ_LEFT, "dropped");
    viz_gfx_ring(g, sx + 14, y + 9, 6, 1.5f, viz_type_palette[0]);
    viz_gfx_disc(g, sx + 14, y + 9, 3, viz_type_palette[0]);
    sx += 26 + (float)viz_gfx_text(g, VIZ_FONT_SMALL, sx + 24, y + 2, C_MUTED, VIZ_LEFT, "copy");
    viz_gfx_ring(g, sx + 14, y + 9, 6, 2.0f, C_BAD);
    viz_gfx_disc(g, sx + 14, y + 9, 3, viz_type_palette[0]);
    sx += 26 + (float)viz_gfx_text(g, VIZ_FONT_SMALL, sx + 24, y + 2, C_MUTED, VIZ_LEFT, "corrupted");
    viz_gfx_line(g, sx + 8, y + 9, sx + 17, y + 9, 2.0f, C_BROKEN);
    viz_gfx_line(g, sx + 19, y + 3, sx + 19, y + 15, 2.0f, C_BROKEN);
    viz_gfx_line(g, sx + 27, y + 3, sx + 27, y + 15, 2.0f, C_BROKEN);
    viz_gfx_line(g, sx + 29, y + 9, sx + 38, y + 9, 2.0f, C_BROKEN);
    viz_gfx_text(g, VIZ_FONT_SMALL, sx + 44, y + 2, C_MUTED, VIZ_LEFT, "cut link");
    y += 22;
    if (m->net_policy) {
        char fit[200];
        viz_gfx_fit(g, VIZ_FONT_SMALL, m->net_policy, (int)w, fit, sizeof(fit));
        viz_gfx_text(g, VIZ_FONT_SMALL, x, y, C_MUTED, VIZ_LEFT, fit);
        y += 16;
    }
    return y + 8;
}

static void verdict_icon(viz_gfx *g, float x, float y, bool ok)
{
    viz_gfx_disc(g, x + 7, y + 8, 7, ok ? C_OK : C_BAD);
    if (ok) {
        viz_gfx_line(g, x + 3.5f, y + 8.5f, x + 6, y + 11, 1.8f, VIZ_RGB(0xffffff));
        viz_gfx_line(g, x + 6, y + 11, x + 10.5f, y + 5, 1.8f, VIZ_RGB(0xffffff));
    } else {
        viz_gfx_line(g, x + 4.5f, y + 5.5f, x + 9.5f, y + 10.5f, 1.8f, VIZ_RGB(0xffffff));
        viz_gfx_line(g, x + 4.5f, y + 10.5f, x + 9.5f, y + 5.5f, 1.8f, VIZ_RGB(0xffffff));
    }
}

static float checks(viz_app *a, float x, float y, float w)
{
    viz_gfx *g = &a->gfx;
    const viz_model *m = &a->model;
    char head[96];
    snprintf(head, sizeof(head), "Checks   %zu failed", m->checks_failed);
    y = heading(a, x, y, w, m->n_checks ? head : "Checks");
    if (!m->n_checks) {
        viz_gfx_text(g, VIZ_FONT_UI, x, y, C_MUTED, VIZ_LEFT, "no verdict yet");
        return y + 26;
    }
    size_t first = m->n_checks > 4 ? m->n_checks - 4 : 0;
    for (size_t i = first; i < m->n_checks; i++) {
        const viz_check *c = &m->checks[i];
        char line[300], fit[300];
        snprintf(line, sizeof(line), "%s%s%s", viz_store_str(&a->store, c->name), c->message[0] ? ": " : "",
                 c->message);
        viz_gfx_fit(g, VIZ_FONT_UI, line, (int)w - 22, fit, sizeof(fit));
        verdict_icon(g, x, y, c->ok);
        viz_gfx_text(g, VIZ_FONT_UI, x + 22, y, c->ok ? C_TEXT : C_BAD, VIZ_LEFT, fit);
        y += 19;
    }
    return y + 8;
}

static viz_color event_color(const viz_app *a, const viz_rec *r)
{
    switch (r->kind) {
    case SIM_REC_SEND: case SIM_REC_DELIVER: case SIM_REC_DUPLICATE: return viz_type_color(a, r->name);
    case SIM_REC_DROP: case SIM_REC_CORRUPT: case SIM_REC_CRASH: case SIM_REC_PAUSE:
    case SIM_REC_PARTITION: case SIM_REC_CUT: return C_BAD;
    case SIM_REC_CHECK: return r->num1 ? C_OK : C_BAD;
    case SIM_REC_RESTART: case SIM_REC_RESUME: case SIM_REC_HEAL: case SIM_REC_UNCUT: return C_OK;
    default: return C_MUTED;
    }
}

static void events(viz_app *a, float x, float y, float w, float bottom)
{
    viz_gfx *g = &a->gfx;
    y = heading(a, x, y, w, "Latest events");
    float lh = 17;
    size_t i = a->model.applied;
    for (bool first = true; i > 0 && y + lh <= bottom; first = false) {
        const viz_rec *r = &a->store.recs[--i];
        char when[32], words[400], fit[400];
        int64_t us = r->t_ns / SIM_NS_PER_US;
        snprintf(when, sizeof(when), "%5lld.%03lld", (long long)(us / 1000), (long long)(us % 1000));
        viz_record_words(a, r, words, sizeof(words));
        if (first) viz_gfx_rect(g, x - 6, y - 1, w + 12, lh, VIZ_RGB(0xe8efff));
        viz_gfx_text(g, VIZ_FONT_MONO, x, y, C_MUTED, VIZ_LEFT, when);
        viz_gfx_disc(g, x + 75, y + 8, 3, event_color(a, r));
        viz_gfx_fit(g, VIZ_FONT_MONO, words, (int)w - 84, fit, sizeof(fit));
        viz_gfx_text(g, VIZ_FONT_MONO, x + 84, y, r->kind == SIM_REC_DROP || (r->kind == SIM_REC_CHECK && !r->num1)
                     ? C_BAD : C_TEXT, VIZ_LEFT, fit);
        y += lh;
    }
}

void viz_draw_panel(viz_app *a)
{
    const SDL_Rect *r = &a->lay.panel;
    viz_gfx *g = &a->gfx;
    viz_gfx_clip(g, r->x, r->y, r->w, r->h);
    viz_gfx_rect(g, (float)r->x, (float)r->y, (float)r->w, (float)r->h, C_PANEL);
    viz_gfx_rect(g, (float)r->x, (float)r->y, 1, (float)r->h, C_BORDER);
    float x = (float)r->x + PAD, w = (float)r->w - 2 * PAD, y = (float)r->y + 12;
    y = legend(a, x, y, w);
    y = checks(a, x, y, w);
    events(a, x, y, w, (float)(r->y + r->h) - 6);
    viz_gfx_unclip(g);
}
