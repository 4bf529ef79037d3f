/*
 * Drawing for the viewer: a small anti-aliased software rasterizer on a 32-bit
 * canvas (an SDL_Surface, ARGB8888), plus text from SDL2_ttf glyph masks.
 *
 * Why our own rasterizer and not SDL's software renderer: SDL_Renderer draws
 * lines and triangles without anti-aliasing, and the window and the headless
 * frames must show the same pixels. Every primitive here is integer or
 * single-expression float arithmetic (built with -ffp-contract=off), so a frame is
 * the same bytes on every run; the window simply shows the canvas (viz/window.c).
 *
 * Colours are 0xAARRGGBB; alpha 255 is opaque. Coordinates are floats in pixels,
 * pixel (x, y) covering [x, x+1) x [y, y+1).
 */
#ifndef VIZ_GFX_H
#define VIZ_GFX_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

typedef uint32_t viz_color;
#define VIZ_RGB(c) ((viz_color)(0xff000000u | (uint32_t)(c)))
#define VIZ_ALPHA(c, a) (((viz_color)(c) & 0xffffffu) | ((uint32_t)(a) << 24))

enum viz_font_id {
    VIZ_FONT_SMALL,             /* 11 px: annotations, axis labels */
    VIZ_FONT_UI,                /* 13 px: panels */
    VIZ_FONT_BOLD,              /* 13 px bold: node names, headings */
    VIZ_FONT_MONO,              /* 12 px mono: event list, fields */
    VIZ_FONT_TITLE,             /* 16 px bold: the top bar */
    VIZ_FONT_COUNT
};

enum viz_align { VIZ_LEFT, VIZ_CENTER, VIZ_RIGHT };

typedef struct viz_glyph {
    uint32_t cp;                /* code point; 0 = empty slot */
    uint8_t *mask;              /* w*h coverage */
    int16_t w, h, advance;
} viz_glyph;

#define VIZ_GLYPH_SLOTS 256     /* per font: ASCII and a few symbols */

typedef struct viz_font {
    TTF_Font *ttf;
    int height, ascent;
    viz_glyph glyphs[VIZ_GLYPH_SLOTS];
} viz_font;

typedef struct viz_gfx {
    SDL_Surface *surface;       /* the canvas */
    uint32_t *px;
    int w, h, pitch;            /* pitch in pixels */
    int cx0, cy0, cx1, cy1;     /* clip rectangle [cx0, cx1) x [cy0, cy1) */
    viz_font fonts[VIZ_FONT_COUNT];
} viz_gfx;

/* Opens the fonts and a w x h canvas. Returns 0, or SIM_ENOENT after printing
 * which font file is missing (Debian package fonts-dejavu-core), or SIM_ENOMEM. */
int viz_gfx_init(viz_gfx *g, int w, int h);
void viz_gfx_free(viz_gfx *g);
int viz_gfx_resize(viz_gfx *g, int w, int h);

void viz_gfx_clip(viz_gfx *g, int x, int y, int w, int h);
void viz_gfx_unclip(viz_gfx *g);

void viz_gfx_clear(viz_gfx *g, viz_color c);
void viz_gfx_rect(viz_gfx *g, float x, float y, float w, float h, viz_color c);
void viz_gfx_frame(viz_gfx *g, float x, float y, float w, float h, float width, viz_color c);
void viz_gfx_round_rect(viz_gfx *g, float x, float y, float w, float h, float radius, viz_color c);
void viz_gfx_disc(viz_gfx *g, float x, float y, float r, viz_color c);
void viz_gfx_ring(viz_gfx *g, float x, float y, float r, float width, viz_color c);
/* A segment with round caps. */
void viz_gfx_line(viz_gfx *g, float x0, float y0, float x1, float y1, float width, viz_color c);
void viz_gfx_dashed(viz_gfx *g, float x0, float y0, float x1, float y1, float width, float on,
                    float off, viz_color c);
/* A filled convex polygon (points in either winding). */
void viz_gfx_poly(viz_gfx *g, const float *xy, int n, viz_color c);
/* A filled arrowhead with its tip at (x1, y1), pointing from (x0, y0). */
void viz_gfx_arrowhead(viz_gfx *g, float x0, float y0, float x1, float y1, float size, viz_color c);

/* Text (UTF-8); y is the top of the line. Returns the width drawn in pixels. */
int viz_gfx_text(viz_gfx *g, int font, float x, float y, viz_color c, int align, const char *text);
int viz_gfx_textf(viz_gfx *g, int font, float x, float y, viz_color c, int align, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;
int viz_gfx_text_width(viz_gfx *g, int font, const char *text);
int viz_gfx_line_height(const viz_gfx *g, int font);
/* Copies text into buf, cut with "..." to fit max_w pixels. */
void viz_gfx_fit(viz_gfx *g, int font, const char *text, int max_w, char *buf, size_t n);

#endif
