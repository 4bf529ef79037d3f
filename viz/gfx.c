/*
 * The viewer's anti-aliased rasterizer (viz/gfx.h). Each shape computes, per pixel
 * of its bounding box (or of a narrower span per row), the distance from the pixel
 * centre to the shape's edge and turns it into a coverage in [0, 1]: a one-pixel
 * soft edge, which is what makes small discs and thin diagonal links look clean.
 * Cost is proportional to the pixels touched; a 5 px message disc is ~120 pixels.
 */
#include <math.h>
#include <string.h>

#include "viz/gfx.h"

static inline void blend(uint32_t *p, viz_color c, unsigned cov)
{
    unsigned a = ((c >> 24) * cov + 127) / 255;
    if (!a) return;
    if (a == 255) {
        *p = c | 0xff000000u;
        return;
    }
    uint32_t d = *p;
    unsigned ia = 255 - a;
    unsigned r = (((c >> 16) & 255) * a + ((d >> 16) & 255) * ia + 127) / 255;
    unsigned gr = (((c >> 8) & 255) * a + ((d >> 8) & 255) * ia + 127) / 255;
    unsigned b = ((c & 255) * a + (d & 255) * ia + 127) / 255;
    *p = 0xff000000u | r << 16 | gr << 8 | b;
}

static inline unsigned coverage(float f)
{
    if (f <= 0.0f) return 0;
    if (f >= 1.0f) return 255;
    return (unsigned)(f * 255.0f + 0.5f);
}

/* The pixel box [*x0, *x1) x [*y0, *y1) of [fx0, fx1] x [fy0, fy1], clipped; false if empty. */
static bool box(const viz_gfx *g, float fx0, float fy0, float fx1, float fy1, int *x0, int *y0,
                int *x1, int *y1)
{
    *x0 = (int)floorf(fx0);
    *y0 = (int)floorf(fy0);
    *x1 = (int)ceilf(fx1);
    *y1 = (int)ceilf(fy1);
    if (*x0 < g->cx0) *x0 = g->cx0;
    if (*y0 < g->cy0) *y0 = g->cy0;
    if (*x1 > g->cx1) *x1 = g->cx1;
    if (*y1 > g->cy1) *y1 = g->cy1;
    return *x0 < *x1 && *y0 < *y1;
}

void viz_gfx_clip(viz_gfx *g, int x, int y, int w, int h)
{
    g->cx0 = x < 0 ? 0 : x;
    g->cy0 = y < 0 ? 0 : y;
    g->cx1 = x + w > g->w ? g->w : x + w;
    g->cy1 = y + h > g->h ? g->h : y + h;
}

void viz_gfx_unclip(viz_gfx *g) { viz_gfx_clip(g, 0, 0, g->w, g->h); }

void viz_gfx_clear(viz_gfx *g, viz_color c)
{
    for (int y = 0; y < g->h; y++) {
        uint32_t *row = g->px + (size_t)y * (size_t)g->pitch;
        for (int x = 0; x < g->w; x++) row[x] = c | 0xff000000u;
    }
}

void viz_gfx_rect(viz_gfx *g, float x, float y, float w, float h, viz_color c)
{
    int x0, y0, x1, y1;
    if (!box(g, roundf(x), roundf(y), roundf(x + w), roundf(y + h), &x0, &y0, &x1, &y1)) return;
    for (int py = y0; py < y1; py++) {
        uint32_t *row = g->px + (size_t)py * (size_t)g->pitch;
        for (int px = x0; px < x1; px++) blend(&row[px], c, 255);
    }
}

void viz_gfx_frame(viz_gfx *g, float x, float y, float w, float h, float width, viz_color c)
{
    viz_gfx_rect(g, x, y, w, width, c);
    viz_gfx_rect(g, x, y + h - width, w, width, c);
    viz_gfx_rect(g, x, y + width, width, h - 2 * width, c);
    viz_gfx_rect(g, x + w - width, y + width, width, h - 2 * width, c);
}

void viz_gfx_round_rect(viz_gfx *g, float x, float y, float w, float h, float rad, viz_color c)
{
    int x0, y0, x1, y1;
    if (!box(g, x, y, x + w, y + h, &x0, &y0, &x1, &y1)) return;
    for (int py = y0; py < y1; py++) {
        uint32_t *row = g->px + (size_t)py * (size_t)g->pitch;
        float fy = (float)py + 0.5f;
        float dy = fmaxf(fmaxf(y + rad - fy, fy - (y + h - rad)), 0.0f);
        float ey = fminf(fy - y, y + h - fy);
        for (int px = x0; px < x1; px++) {
            float fx = (float)px + 0.5f;
            float dx = fmaxf(fmaxf(x + rad - fx, fx - (x + w - rad)), 0.0f);
            float edge = fminf(fx - x, x + w - fx);
            float cov = (dx > 0 && dy > 0) ? rad + 0.5f - sqrtf(dx * dx + dy * dy)
                                           : fminf(edge, ey) + 0.5f;
            blend(&row[px], c, coverage(cov));
        }
    }
}

/* Discs and rings share one loop: coverage of the annulus r_in <= d <= r_out. */
static void annulus(viz_gfx *g, float cx, float cy, float r_in, float r_out, viz_color c)
{
    int x0, y0, x1, y1;
    if (r_out <= 0 || !box(g, cx - r_out - 1, cy - r_out - 1, cx + r_out + 1, cy + r_out + 1,
                           &x0, &y0, &x1, &y1))
        return;
    float out2 = (r_out + 0.5f) * (r_out + 0.5f);
    float full_out = r_out > 0.5f ? (r_out - 0.5f) * (r_out - 0.5f) : 0.0f;
    float full_in = (r_in + 0.5f) * (r_in + 0.5f);
    float none_in = r_in > 0.5f ? (r_in - 0.5f) * (r_in - 0.5f) : -1.0f;
    for (int py = y0; py < y1; py++) {
        uint32_t *row = g->px + (size_t)py * (size_t)g->pitch;
        float dy = (float)py + 0.5f - cy;
        for (int px = x0; px < x1; px++) {
            float dx = (float)px + 0.5f - cx, d2 = dx * dx + dy * dy;
            if (d2 >= out2 || d2 <= none_in) continue;
            if (d2 <= full_out && (r_in <= 0 || d2 >= full_in)) {
                blend(&row[px], c, 255);
                continue;
            }
            float d = sqrtf(d2);
            float cov = fminf(r_out + 0.5f - d, r_in > 0 ? d - r_in + 0.5f : 1.0f);
            blend(&row[px], c, coverage(cov));
        }
    }
}

void viz_gfx_disc(viz_gfx *g, float x, float y, float r, viz_color c) { annulus(g, x, y, 0, r, c); }

void viz_gfx_ring(viz_gfx *g, float x, float y, float r, float width, viz_color c)
{
    annulus(g, x, y, r - width / 2, r + width / 2, c);
}

/* The x range of row centre fy inside the strip |cross(d, p - a)| <= reach * len. */
static void strip_span(float ax, float ay, float dx, float dy, float len, float reach, float fy,
                       float *lo, float *hi)
{
    if (fabsf(dy) < 1e-4f) {
        if (fabsf(dx * (fy - ay)) > reach * len) *lo = 1.0f, *hi = 0.0f;
        return;
    }
    float xa = ax + (dx * (fy - ay) - reach * len) / dy;
    float xb = ax + (dx * (fy - ay) + reach * len) / dy;
    *lo = fmaxf(*lo, fminf(xa, xb));
    *hi = fminf(*hi, fmaxf(xa, xb));
}

void viz_gfx_line(viz_gfx *g, float x0, float y0, float x1, float y1, float width, viz_color c)
{
    float dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy, hw = width / 2;
    if (len2 < 1e-6f) {
        viz_gfx_disc(g, x0, y0, hw, c);
        return;
    }
    float len = sqrtf(len2), reach = hw + 1.5f;
    int bx0, by0, bx1, by1;
    if (!box(g, fminf(x0, x1) - reach, fminf(y0, y1) - reach, fmaxf(x0, x1) + reach,
             fmaxf(y0, y1) + reach, &bx0, &by0, &bx1, &by1))
        return;
    for (int py = by0; py < by1; py++) {
        float fy = (float)py + 0.5f, lo = (float)bx0, hi = (float)bx1;
        strip_span(x0, y0, dx, dy, len, reach, fy, &lo, &hi);
        int sx0 = (int)fmaxf(floorf(lo), (float)bx0), sx1 = (int)fminf(ceilf(hi), (float)bx1);
        uint32_t *row = g->px + (size_t)py * (size_t)g->pitch;
        for (int px = sx0; px < sx1; px++) {
            float fx = (float)px + 0.5f;
            float t = ((fx - x0) * dx + (fy - y0) * dy) / len2;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            float ex = fx - (x0 + t * dx), ey = fy - (y0 + t * dy);
            blend(&row[px], c, coverage(hw + 0.5f - sqrtf(ex * ex + ey * ey)));
        }
    }
}

void viz_gfx_dashed(viz_gfx *g, float x0, float y0, float x1, float y1, float width, float on,
                    float off, viz_color c)
{
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-3f) return;
    for (float s = 0; s < len; s += on + off) {
        float e = fminf(s + on, len);
        viz_gfx_line(g, x0 + dx * s / len, y0 + dy * s / len, x0 + dx * e / len, y0 + dy * e / len,
                     width, c);
    }
}

void viz_gfx_poly(viz_gfx *g, const float *xy, int n, viz_color c)
{
    if (n < 3 || n > 64) return;
    float nx[64], ny[64], off[64], area = 0, minx = xy[0], maxx = xy[0], miny = xy[1], maxy = xy[1];
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        area += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
        minx = fminf(minx, xy[2 * i]);
        maxx = fmaxf(maxx, xy[2 * i]);
        miny = fminf(miny, xy[2 * i + 1]);
        maxy = fmaxf(maxy, xy[2 * i + 1]);
    }
    float sign = area > 0 ? 1.0f : -1.0f;
    for (int i = 0; i < n; i++) {          /* inward unit normals: distance > 0 inside */
        int j = (i + 1) % n;
        float ex = xy[2 * j] - xy[2 * i], ey = xy[2 * j + 1] - xy[2 * i + 1];
        float l = sqrtf(ex * ex + ey * ey);
        if (l < 1e-6f) l = 1e-6f;
        nx[i] = -ey / l * sign;
        ny[i] = ex / l * sign;
        off[i] = -(nx[i] * xy[2 * i] + ny[i] * xy[2 * i + 1]);
    }
    int x0, y0, x1, y1;
    if (!box(g, minx - 1, miny - 1, maxx + 1, maxy + 1, &x0, &y0, &x1, &y1)) return;
    for (int py = y0; py < y1; py++) {
        uint32_t *row = g->px + (size_t)py * (size_t)g->pitch;
        float fy = (float)py + 0.5f;
        for (int px = x0; px < x1; px++) {
            float fx = (float)px + 0.5f, m = 1e9f;
            for (int i = 0; i < n && m > -0.5f; i++) m = fminf(m, nx[i] * fx + ny[i] * fy + off[i]);
            blend(&row[px], c, coverage(m + 0.5f));
        }
    }
}

void viz_gfx_arrowhead(viz_gfx *g, float x0, float y0, float x1, float y1, float size, viz_color c)
{
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len < 1e-3f) return;
    dx /= len;
    dy /= len;
    float bx = x1 - dx * size, by = y1 - dy * size, w = size * 0.55f;
    float pts[6] = { x1, y1, bx - dy * w, by + dx * w, bx + dy * w, by - dx * w };
    viz_gfx_poly(g, pts, 3, c);
}
