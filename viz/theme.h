/*
 * The viewer's colours, in one place so that the picture stays consistent: a light
 * theme (it prints well in the textbook), saturated colours for messages, soft
 * fills for partition groups, red reserved for what went wrong.
 */
#ifndef VIZ_THEME_H
#define VIZ_THEME_H

#include "viz/gfx.h"

#define C_BG          VIZ_RGB(0xf4f5f7)
#define C_PANEL       VIZ_RGB(0xffffff)
#define C_BORDER      VIZ_RGB(0xd5d9e0)
#define C_TEXT        VIZ_RGB(0x1f2430)
#define C_MUTED       VIZ_RGB(0x6b7280)
#define C_FAINT       VIZ_RGB(0xa7adb8)
#define C_LINK        VIZ_RGB(0xd3d7de)
#define C_TOPBAR      VIZ_RGB(0x1f2430)
#define C_TOPTEXT     VIZ_RGB(0xf4f5f7)
#define C_ACCENT      VIZ_RGB(0x2563eb)
#define C_BAD         VIZ_RGB(0xd62728)
#define C_BROKEN      VIZ_RGB(0xd62728)
#define C_OK          VIZ_RGB(0x2ca02c)
#define C_WARN        VIZ_RGB(0xe69500)
#define C_NODE        VIZ_RGB(0xffffff)
#define C_NODE_RING   VIZ_RGB(0x334155)
#define C_CLIENT_RING VIZ_RGB(0x0f766e)
#define C_DOWN_FILL   VIZ_RGB(0xc9ccd1)
#define C_DOWN_RING   VIZ_RGB(0x8a8f98)
#define C_PAUSE_FILL  VIZ_RGB(0xfff1cc)
#define C_SKEW        VIZ_RGB(0x7c3aed)
#define C_OP_PENDING  VIZ_RGB(0x9ca3af)

/* Partition groups: a soft fill and a strong edge for each. */
static const viz_color viz_group_fill[8] = {
    VIZ_RGB(0xdbeafe), VIZ_RGB(0xffe4c4), VIZ_RGB(0xdcfce7), VIZ_RGB(0xf3e8ff),
    VIZ_RGB(0xfef9c3), VIZ_RGB(0xfce7f3), VIZ_RGB(0xe0f2fe), VIZ_RGB(0xede9e4),
};
static const viz_color viz_group_edge[8] = {
    VIZ_RGB(0x3b82f6), VIZ_RGB(0xea7c0c), VIZ_RGB(0x16a34a), VIZ_RGB(0x9333ea),
    VIZ_RGB(0xca8a04), VIZ_RGB(0xdb2777), VIZ_RGB(0x0284c7), VIZ_RGB(0x78716c),
};

/* Message types, in order of first send (no red: red means a fault). */
static const viz_color viz_type_palette[10] = {
    VIZ_RGB(0x1f77b4), VIZ_RGB(0x2ca02c), VIZ_RGB(0x9467bd), VIZ_RGB(0xff7f0e),
    VIZ_RGB(0x17becf), VIZ_RGB(0x8c564b), VIZ_RGB(0xe377c2), VIZ_RGB(0xbcbd22),
    VIZ_RGB(0x393b79), VIZ_RGB(0x637939),
};

#endif
