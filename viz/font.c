/*
 * Text for the viewer: Debian's DejaVu fonts through SDL2_ttf, one coverage mask
 * per glyph rendered once and cached, then blended onto the canvas in any colour.
 * A glyph cache instead of TTF_RenderUTF8 per string: the picture redraws a few
 * thousand characters sixty times a second, and most strings (times) change every
 * frame. Kerning is given up for that; DejaVu at these sizes does not need it.
 *
 * Also the canvas's life (viz_gfx_init/resize/free), which owns the fonts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/errors.h"
#include "viz/gfx.h"
#include "viz/viz.h"

#define FONT_DIR "/usr/share/fonts/truetype/dejavu/"

static const struct {
    const char *file;
    int size;
} font_specs[VIZ_FONT_COUNT] = {
    [VIZ_FONT_SMALL] = { "DejaVuSans.ttf", 11 },
    [VIZ_FONT_UI] = { "DejaVuSans.ttf", 13 },
    [VIZ_FONT_BOLD] = { "DejaVuSans-Bold.ttf", 13 },
    [VIZ_FONT_MONO] = { "DejaVuSansMono.ttf", 12 },
    [VIZ_FONT_TITLE] = { "DejaVuSans-Bold.ttf", 16 },
};

static void render_glyph(viz_font *f, viz_glyph *gl, uint32_t cp);

static int make_canvas(viz_gfx *g, int w, int h)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s) return SIM_ENOMEM;
    if (g->surface) SDL_FreeSurface(g->surface);
    g->surface = s;
    g->px = s->pixels;
    g->w = w;
    g->h = h;
    g->pitch = s->pitch / 4;
    viz_gfx_unclip(g);
    return 0;
}

int viz_gfx_init(viz_gfx *g, int w, int h)
{
    memset(g, 0, sizeof(*g));
    if (!TTF_WasInit() && TTF_Init() != 0) {
        viz_set_error("viewer: SDL2_ttf: %s", TTF_GetError());
        return SIM_EIO;
    }
    for (int i = 0; i < VIZ_FONT_COUNT; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s%s", FONT_DIR, font_specs[i].file);
        g->fonts[i].ttf = TTF_OpenFont(path, font_specs[i].size);
        if (!g->fonts[i].ttf) {
            viz_set_error("viewer: cannot open the font %s (install the Debian package fonts-dejavu-core)",
                          path);
            viz_gfx_free(g);
            return SIM_ENOENT;
        }
        TTF_SetFontHinting(g->fonts[i].ttf, TTF_HINTING_LIGHT);
        g->fonts[i].height = TTF_FontHeight(g->fonts[i].ttf);
        g->fonts[i].ascent = TTF_FontAscent(g->fonts[i].ttf);
        for (uint32_t cp = 32; cp < 127; cp++) render_glyph(&g->fonts[i], &g->fonts[i].glyphs[cp], cp);
    }
    int rc = make_canvas(g, w, h);
    if (rc) viz_gfx_free(g);
    return rc;
}

int viz_gfx_resize(viz_gfx *g, int w, int h)
{
    return (w == g->w && h == g->h) ? 0 : make_canvas(g, w, h);
}

void viz_gfx_free(viz_gfx *g)
{
    for (int i = 0; i < VIZ_FONT_COUNT; i++) {
        for (int k = 0; k < VIZ_GLYPH_SLOTS; k++) free(g->fonts[i].glyphs[k].mask);
        if (g->fonts[i].ttf) TTF_CloseFont(g->fonts[i].ttf);
    }
    if (g->surface) SDL_FreeSurface(g->surface);
    memset(g, 0, sizeof(*g));
    if (TTF_WasInit()) TTF_Quit();
}

/* Renders a glyph's coverage mask once; '?' for code points the font lacks. */
static void render_glyph(viz_font *f, viz_glyph *gl, uint32_t cp)
{
    gl->cp = cp;
    if (!TTF_GlyphIsProvided32(f->ttf, cp)) cp = '?';
    int minx, maxx, miny, maxy, advance = 0;
    TTF_GlyphMetrics32(f->ttf, cp, &minx, &maxx, &miny, &maxy, &advance);
    gl->advance = (int16_t)advance;
    SDL_Surface *s = cp == ' ' ? NULL : TTF_RenderGlyph32_Blended(f->ttf, cp, (SDL_Color){ 255, 255, 255, 255 });
    SDL_Surface *c = s ? SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0) : NULL;
    if (c && (gl->mask = malloc((size_t)c->w * (size_t)c->h)) != NULL) {
        gl->w = (int16_t)c->w;
        gl->h = (int16_t)c->h;
        for (int y = 0; y < c->h; y++) {
            const uint32_t *row = (const uint32_t *)((const uint8_t *)c->pixels + y * c->pitch);
            for (int x = 0; x < c->w; x++) gl->mask[y * c->w + x] = (uint8_t)(row[x] >> 24);
        }
    }
    if (c) SDL_FreeSurface(c);
    if (s) SDL_FreeSurface(s);
}

static const viz_glyph *glyph(viz_gfx *g, int font, uint32_t cp)
{
    viz_font *f = &g->fonts[font];
    uint32_t slot = cp < 128 ? cp : 128 + (cp * 2654435761u >> 25);
    for (uint32_t probe = 0; probe < VIZ_GLYPH_SLOTS; probe++) {
        viz_glyph *gl = &f->glyphs[(slot + probe) % VIZ_GLYPH_SLOTS];
        if (gl->cp == cp) return gl;
        if (gl->cp == 0) {
            render_glyph(f, gl, cp);
            return gl;
        }
    }
    return &f->glyphs['?'];                    /* rendered at start-up */
}

/* Decodes one UTF-8 code point; invalid bytes read as '?'. */
static uint32_t next_cp(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    uint32_t cp = '?';
    int n = 1;
    if (s[0] < 0x80) cp = s[0];
    else if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f), n = 2;
    else if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80)
        cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f), n = 3;
    *p += n;
    return cp ? cp : '?';
}

int viz_gfx_text_width(viz_gfx *g, int font, const char *text)
{
    int w = 0;
    for (const char *p = text; *p;) w += glyph(g, font, next_cp(&p))->advance;
    return w;
}

int viz_gfx_line_height(const viz_gfx *g, int font) { return g->fonts[font].height; }

static void blit_mask(viz_gfx *g, const viz_glyph *gl, int x, int y, viz_color c)
{
    unsigned alpha = c >> 24;
    for (int gy = 0; gy < gl->h; gy++) {
        int py = y + gy;
        if (py < g->cy0 || py >= g->cy1) continue;
        uint32_t *row = g->px + (size_t)py * (size_t)g->pitch;
        for (int gx = 0; gx < gl->w; gx++) {
            int px = x + gx;
            unsigned m = gl->mask[gy * gl->w + gx];
            if (!m || px < g->cx0 || px >= g->cx1) continue;
            unsigned a = (alpha * m + 127) / 255;
            uint32_t d = row[px];
            unsigned ia = 255 - a;
            unsigned r = (((c >> 16) & 255) * a + ((d >> 16) & 255) * ia + 127) / 255;
            unsigned gr = (((c >> 8) & 255) * a + ((d >> 8) & 255) * ia + 127) / 255;
            unsigned b = ((c & 255) * a + (d & 255) * ia + 127) / 255;
            row[px] = 0xff000000u | r << 16 | gr << 8 | b;
        }
    }
}

int viz_gfx_text(viz_gfx *g, int font, float x, float y, viz_color c, int align, const char *text)
{
    int w = viz_gfx_text_width(g, font, text);
    int pen = (int)(x + 0.5f) - (align == VIZ_CENTER ? w / 2 : align == VIZ_RIGHT ? w : 0);
    int top = (int)(y + 0.5f);
    for (const char *p = text; *p;) {
        const viz_glyph *gl = glyph(g, font, next_cp(&p));
        if (gl->mask) blit_mask(g, gl, pen, top, c);
        pen += gl->advance;
    }
    return w;
}

int viz_gfx_textf(viz_gfx *g, int font, float x, float y, viz_color c, int align, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return viz_gfx_text(g, font, x, y, c, align, buf);
}

void viz_gfx_fit(viz_gfx *g, int font, const char *text, int max_w, char *buf, size_t n)
{
    snprintf(buf, n, "%s", text);
    if (viz_gfx_text_width(g, font, buf) <= max_w) return;
    size_t len = strlen(buf);
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)buf[len] & 0xc0) == 0x80) len--;   /* whole code points */
        if (len + 4 > n) continue;
        memcpy(buf + len, "...", 4);
        if (viz_gfx_text_width(g, font, buf) <= max_w) return;
    }
    buf[0] = 0;
}
