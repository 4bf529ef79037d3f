/*
 * The viewer's public face beyond lua/cli/host.h (which declares viz_drive and
 * viz_replay): the drawing benchmark that `dsim bench` reports.
 *
 * The viewer is linked into dsim but costs nothing without --viz, --frames or
 * `dsim replay`: no observer is subscribed, no SDL or font is opened.
 */
#ifndef VIZ_VIZ_H
#define VIZ_VIZ_H

#include <stdarg.h>

/* Draws `nodes` nodes with `messages` messages in flight on the 1280x800 canvas
 * with the software rasterizer for about a second of wall time, moving the
 * messages every frame, and stores frames per second in *fps. Needs no display.
 * Returns 0, or a negative SIM_E* code (fonts missing, out of memory). */
int viz_bench_fps(int nodes, int messages, double *fps);

/* Why the last viz_drive / viz_replay / viz_bench_fps failed, as one phrase that
 * names the flag at fault ("--viz: no display ..."); the caller prints it in its
 * own one-line error. */
const char *viz_last_error(void);
void viz_set_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
