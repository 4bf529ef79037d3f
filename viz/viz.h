/*
 * The viewer's public face beyond lua/host.h (which declares viz_drive and
 * viz_replay): the drawing benchmark that `dsim bench` reports.
 *
 * The viewer is linked into dsim but costs nothing without --viz, --frames or
 * `dsim replay`: no observer is subscribed, no SDL or font is opened.
 */
#ifndef VIZ_VIZ_H
#define VIZ_VIZ_H

/* Draws `nodes` nodes with `messages` messages in flight on the 1280x800 canvas
 * with the software rasterizer for about a second of wall time, moving the
 * messages every frame, and stores frames per second in *fps. Needs no display.
 * Returns 0, or a negative SIM_E* code (fonts missing, out of memory). */
int viz_bench_fps(int nodes, int messages, double *fps);

#endif
