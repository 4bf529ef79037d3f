/*
 * Placeholder for the viewer until viz/ lands: --viz, --frames and replay answer
 * with a clear error.
 */
#include "lua/host.h"

int viz_drive(sim *s, int64_t until_ns, const dsim_run_opts *opts)
{
    (void)s; (void)until_ns; (void)opts;
    return SIM_ESTATE;
}

int viz_replay(const char *trace_path, const dsim_run_opts *opts)
{
    (void)trace_path; (void)opts;
    return SIM_ESTATE;
}
