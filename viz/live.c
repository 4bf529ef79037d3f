/*
 * viz_drive: a live run in the viewer (dsim run ... --viz or --frames DIR). The
 * viewer subscribes to the kernel's records, lets the user (or the frame writer)
 * drive the run, then unsubscribes and completes the run to until_ns without
 * drawing, so that the summary and the trace hash are those of the whole run,
 * the same as without the viewer when nothing was changed by hand.
 *
 * A fault made by hand while stepped back starts a new branch (viz/branch.c):
 * viz_drive then returns VIZ_RESTART without completing the run, and the host
 * runs the scenario again from the start; the next viz_drive applies the new
 * branch's schedule and reopens the window at the branch point. The summary and
 * trace hash printed after the window closes are those of the branch that was
 * live (the newest one) when it closed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "viz/app.h"

static int schedule_env_faults(sim *s)
{
    const char *path = getenv("DSIM_VIZ_FAULTS");
    if (!path || !*path) return 0;
    int rc = viz_hand_schedule_file(s, path);
    if (rc) viz_set_error("DSIM_VIZ_FAULTS: cannot use '%s': %s", path, sim_strerror(rc));
    return rc;
}

int viz_drive(sim *s, int64_t until_ns, const dsim_run_opts *opts)
{
    int rc = schedule_env_faults(s);
    if (rc) return rc;
    viz_app *a = calloc(1, sizeof(*a));
    if (!a) return SIM_ENOMEM;
    rc = viz_app_init(a, opts, s, until_ns, opts->frames_dir != NULL);
    if (rc) {
        viz_app_free(a);
        free(a);
        return rc;
    }
    viz_app_attach(a);
    viz_branch_begin(a);                 /* the title; a new branch's schedule and fork */
    rc = opts->frames_dir ? viz_frames_run(a, opts->frames_dir, opts->fps) : viz_window_run(a);
    viz_branch_end(a);
    viz_app_detach(a);
    bool restart = a->restart;
    viz_app_free(a);
    free(a);
    if (rc) return rc;
    return restart ? VIZ_RESTART : sim_run_until(s, until_ns);
}
