/*
 * The viewer's last error, kept as text for the caller's one-line message (the
 * viewer never prints an error itself, so a failure is said exactly once).
 */
#include <stdio.h>

#include "viz/viz.h"

static char last_error[512];

void viz_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
}

const char *viz_last_error(void)
{
    return last_error[0] ? last_error : "the viewer failed";
}
