/*
 * Headless frames (--frames DIR [--fps N]): frame k shows simulated time k/fps
 * seconds, written as DIR/frame-00000.png, DIR/frame-00001.png, ... up to the end
 * of the run. No display and no video subsystem are needed: the canvas is a plain
 * surface drawn by viz/gfx.c. At most VIZ_FRAMES_MAX frames: a hostile trace's
 * far end must not fill the disk. Nothing drawn depends on the wall clock, so the
 * same scenario and seed give byte-identical files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "viz/app.h"
#include "viz/png.h"

#define VIZ_FRAMES_MAX 200000

int viz_frames_run(viz_app *a, const char *dir, int fps)
{
    if (fps < 1) fps = 30;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        viz_set_error("--frames: cannot create the directory '%s': %s", dir, strerror(errno));
        return SIM_EIO;
    }
    a->mark_life_ns = 2 * SIM_NS_PER_S / fps;      /* a marker lives two frames */
    if (a->end_ns / (SIM_NS_PER_S / fps) >= VIZ_FRAMES_MAX) {
        viz_set_error("--frames: the run lasts %.0fs: more than %d frames at %d per second (lower --fps, or "
                      "replay a shorter trace)", (double)a->end_ns / SIM_NS_PER_S, VIZ_FRAMES_MAX, fps);
        return SIM_EINVAL;
    }
    int k = 0;
    for (;; k++) {
        int64_t t = (int64_t)k * SIM_NS_PER_S / fps;
        if (t > a->end_ns) break;
        viz_app_advance(a, t);
        a->t_ns = t;
        viz_draw(a);
        char path[4096];
        snprintf(path, sizeof(path), "%s/frame-%05d.png", dir, k);
        int rc = viz_png_write(path, a->gfx.px, a->gfx.w, a->gfx.h, a->gfx.pitch);
        if (rc) {
            viz_set_error("--frames: cannot write '%s': %s", path, sim_strerror(rc));
            return rc;
        }
    }
    fprintf(stderr, "viz: wrote %d frames (%dx%d) to %s/, frame k at k/%d s\n", k, a->gfx.w, a->gfx.h, dir, fps);
    return 0;
}
