/*
 * viz_replay: `dsim replay TRACE.jsonl` draws a recorded run (window, or
 * --frames DIR). The whole trace is read into the store first; the run ends at its
 * last record. A replay is read-only: faults by hand need a live run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz/app.h"

int viz_replay(const char *trace_path, const dsim_run_opts *opts)
{
    viz_app *a = calloc(1, sizeof(*a));
    if (!a) return SIM_ENOMEM;
    int rc = viz_app_init(a, opts, NULL, 0, opts->frames_dir != NULL);
    char err[200] = "";
    if (rc == 0) rc = viz_store_load_jsonl(&a->store, trace_path, err, sizeof(err));
    if (rc == SIM_EINVAL) viz_set_error("replay: %s: %s", trace_path, err);
    else if (rc == SIM_ENOENT) viz_set_error("replay: cannot read '%s'", trace_path);
    if (rc == 0) {
        int64_t end = a->store.count ? a->store.recs[a->store.count - 1].t_ns : 0;
        viz_app_set_end(a, end > 0 ? end : 1);
        const char *slash = strrchr(trace_path, '/');
        snprintf(a->title, sizeof(a->title), "replay of %s   %zu records", slash ? slash + 1 : trace_path,
                 a->store.count);
        rc = opts->frames_dir ? viz_frames_run(a, opts->frames_dir, opts->fps) : viz_window_run(a);
    }
    viz_app_free(a);
    free(a);
    return rc;
}
