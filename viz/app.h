/*
 * One viewer session: the record store and the model built from it, the time the
 * picture shows, the controls' state, the faults made by hand, and the canvas.
 * Live runs (viz/live.c) and replays (viz/replay.c) both build a viz_app and hand
 * it to the window loop (viz/window.c) or to the headless frame writer
 * (viz/frames.c); everything drawn comes from the app (viz/draw*.c).
 *
 * Time: the picture shows t_ns with the first model.applied records applied. Play
 * moves t_ns forward by `speed` simulated ns per wall second and applies every
 * record up to it, asking the live simulation for more when the store runs out.
 * Stepping moves one record at a time and sets t_ns to that record's time.
 *
 * Branches (viz/branch.c): a fault made by hand while stepped back starts a new
 * branch by re-running the scenario; the branch shown lends its store and fault
 * list to the app, so the rest of the viewer only ever sees one of each.
 */
#ifndef VIZ_APP_H
#define VIZ_APP_H

#include "lua/cli/host.h"
#include "viz/gfx.h"
#include "viz/model.h"
#include "viz/viz.h"

#define VIZ_DEFAULT_W 1280
#define VIZ_DEFAULT_H 800

typedef struct viz_hand {           /* one fault made by hand, as applied */
    int64_t t_ns;
    uint8_t kind;                   /* SIM_REC_CRASH, _RESTART, _PAUSE, _RESUME, _CUT, _UNCUT,
                                       _PARTITION or _HEAL */
    uint32_t node, peer;
    char groups[256];               /* partition: "n1,n2 | n3,n4,n5" */
} viz_hand;

typedef struct viz_layout {
    int w, h;
    SDL_Rect top, net, panel, timeline;
    float *x, *y;                   /* node centres in the network view */
    size_t n, cap;
    float node_r;
    float lane_x0, lane_dx;         /* space-time view: lane of node i at lane_x0 + i*lane_dx */
    float lane_y0, lane_y1;
} viz_layout;

typedef struct viz_script viz_script;

/* One branch of history (viz/branch.c): a live run's fault schedule and records.
 * The branch the viewer shows lends its store and schedule to the app; the
 * others keep theirs here, read-only. */
typedef struct viz_branch {
    char name[24];                  /* "b1", "b2", ... */
    viz_store store;                /* its records (empty while lent to the app) */
    viz_hand *hand;                 /* its faults made by hand, in time order */
    size_t n_hand, cap_hand;
    size_t parent;                  /* the branch it forked from (itself for b1) */
    int64_t fork_ns;                /* its first own fault's time (-1 for b1) */
} viz_branch;

typedef struct viz_app {
    const dsim_run_opts *opts;
    sim *s;                         /* the live simulation; NULL in a replay */
    int64_t end_ns;                 /* where the run (or the trace) ends */
    bool sim_done;                  /* live: nothing more to run before end_ns */
    bool stop_on_record;            /* live: stop the kernel after the next record */
    viz_store store;
    viz_model model;
    viz_gfx gfx;
    viz_layout lay;
    int64_t t_ns;
    int64_t speed;                  /* simulated ns per wall second */
    int64_t mark_life_ns;           /* how long a drop/dup/corrupt marker shows */
    int64_t spacetime_ns;           /* the space-time view's window; 0: 3 s of wall time */
    bool paused, lamport, help, quit, headless;
    size_t failed_seen;             /* failed checks already paused for */
    size_t highlight_rec;           /* the failed check being highlighted, or SIZE_MAX */
    int mouse_x, mouse_y;
    uint32_t hover_node;            /* VIZ_NONE when none */
    size_t hover_flight;            /* index into model.flights, or SIZE_MAX */
    uint32_t drag_from;             /* VIZ_NONE when not dragging */
    bool drag_one_way;
    uint8_t *selected;              /* per node: chosen for a partition (ctrl-click) */
    size_t selected_cap;
    char note[256];                 /* the status line */
    int note_frames;
    bool note_bad;
    viz_hand *hand;
    size_t n_hand, cap_hand;
    viz_script *script;
    sim *live_s;                    /* the live simulation, also while an old branch is shown */
    bool restart;                   /* a new branch was made: viz_drive returns VIZ_RESTART */
    uint64_t frame;
    char title[160];
} viz_app;

/* viz/app.c */
int viz_app_init(viz_app *a, const dsim_run_opts *opts, sim *s, int64_t end_ns, bool headless);
void viz_app_free(viz_app *a);
void viz_app_set_end(viz_app *a, int64_t end_ns);   /* and the default speed */
void viz_app_attach(viz_app *a);                 /* live: subscribe to the kernel */
void viz_app_detach(viz_app *a);
void viz_app_advance(viz_app *a, int64_t t_ns);  /* play up to t_ns */
bool viz_app_step(viz_app *a);                   /* one record forward */
bool viz_app_back(viz_app *a);                   /* one record back */
void viz_app_jump(viz_app *a, int64_t t_ns);     /* to a time, either way */
bool viz_app_at_edge(const viz_app *a);          /* showing the newest record of a live run */
void viz_app_note(viz_app *a, bool bad, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Speed steps 1-2-5 (simulated time per wall second). */
int64_t viz_speed_step(int64_t speed, int dir);
void viz_format_time(int64_t ns, char *buf, size_t n);

/* viz/hand.c: faults made by hand (live runs only) */
void viz_hand_crash_toggle(viz_app *a, uint32_t node);
void viz_hand_pause_toggle(viz_app *a, uint32_t node);
void viz_hand_link_toggle(viz_app *a, uint32_t from, uint32_t to, bool one_way);
void viz_hand_partition_selected(viz_app *a);
void viz_hand_heal(viz_app *a);
int viz_hand_save(viz_app *a);
/* DSIM_VIZ_FAULTS=F.json: schedules a saved list into a live run before it starts. */
int viz_hand_schedule_file(sim *s, const char *path);
/* The same, in memory: a list of faults made by hand, node names from st. */
int viz_hand_schedule_list(sim *s, const viz_store *st, const viz_hand *h, size_t n);

/* viz/branch.c: branches of history, by deterministic re-execution. The list is
 * process-global: it outlives the run that viz_drive returns VIZ_RESTART from. */
void viz_branch_begin(viz_app *a);               /* viz_drive, once the app is attached */
void viz_branch_end(viz_app *a);                 /* viz_drive, before the app is freed */
/* Makes a new branch whose schedule is the shown branch's faults before the first
 * quiet nanosecond F >= the picture's time, plus h at F; asks for a restart. */
void viz_branch_fork(viz_app *a, const viz_hand *h);
void viz_branch_cycle(viz_app *a);               /* key b: show the next branch */
size_t viz_branch_count(void);
size_t viz_branch_shown(void);
long viz_branch_prefix(void);                    /* records checked equal at the fork; -1: differ */
const char *viz_branch_error(void);              /* "" when the check held */
viz_script *viz_branch_take_script(void);        /* the script carried across a restart */
bool viz_rec_equal(const viz_store *sa, const viz_rec *ra, const viz_store *sb, const viz_rec *rb);

/* viz/draw*.c */
void viz_draw(viz_app *a);
void viz_layout_update(viz_app *a);
void viz_draw_network(viz_app *a);
void viz_draw_lamport(viz_app *a);
void viz_draw_panel(viz_app *a);
void viz_draw_timeline(viz_app *a);
void viz_draw_overlays(viz_app *a);
float viz_timeline_x(const viz_app *a, int64_t t_ns);
int64_t viz_timeline_time(const viz_app *a, int x);
/* Where a message in flight is drawn at time t (false if it is not visible). */
bool viz_flight_pos(const viz_app *a, const viz_flight *f, float *x, float *y);
viz_color viz_type_color(const viz_app *a, uint32_t type);
/* A record in words ("n1 -> n3 gossip #42 (arrives 14.2ms)"). */
void viz_record_words(const viz_app *a, const viz_rec *r, char *buf, size_t n);

/* viz/input.c */
void viz_input_event(viz_app *a, const SDL_Event *e);
uint32_t viz_node_at(const viz_app *a, int x, int y);
void viz_update_hover(viz_app *a);
/* The state line of the script command "dump". */
void viz_dump_state(const viz_app *a, FILE *out);

/* viz/script.c: DSIM_VIZ_SCRIPT (tests drive the window with it) */
viz_script *viz_script_parse(const char *text, char *err, size_t errlen);
void viz_script_free(viz_script *sc);
/* Pushes the next command's SDL events; false when the script is over. */
bool viz_script_tick(viz_app *a);
/* Writes the frame just drawn when the script asked for it ("shot PATH"). */
void viz_script_after_draw(viz_app *a);

/* viz/window.c and viz/frames.c */
int viz_window_run(viz_app *a);
int viz_frames_run(viz_app *a, const char *dir, int fps);

#endif
