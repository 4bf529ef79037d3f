/*
 * The window: SDL2 video, one loop of input, time and drawing per frame. The
 * canvas (viz/gfx.h) is drawn in software and copied to the window surface, so
 * the window shows exactly the pixels that --frames would write.
 *
 * Time: while playing, each frame moves the picture forward by the wall time
 * since the last frame (at most 0.1 s) times the speed; with DSIM_VIZ_SCRIPT, by
 * a fixed 1/60 s instead, so scripted sessions do not depend on the machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz/app.h"

static void frame_time(viz_app *a, Uint64 *last)
{
    Uint64 now = SDL_GetPerformanceCounter();
    double dt = a->script ? 1.0 / 60.0 : (double)(now - *last) / (double)SDL_GetPerformanceFrequency();
    *last = now;
    if (dt > 0.1) dt = 0.1;
    if (a->paused || a->help) return;
    int64_t step = (int64_t)(dt * (double)a->speed);
    viz_app_advance(a, a->t_ns + (step > 0 ? step : 1));
    bool over = a->t_ns >= a->end_ns && a->model.applied == a->store.count;
    if (over && !a->paused) {
        a->paused = true;
        viz_app_note(a, false, "the run is over: step back with the left arrow, q closes the window");
    }
}

static bool open_script(viz_app *a)
{
    a->script = viz_branch_take_script();            /* going on after a new branch */
    if (a->script) return true;
    const char *text = getenv("DSIM_VIZ_SCRIPT");
    if (!text || !*text) return true;
    char err[128];
    a->script = viz_script_parse(text, err, sizeof(err));
    if (!a->script) fprintf(stderr, "dsim: DSIM_VIZ_SCRIPT: %s\n", err);
    return a->script != NULL;
}

static void loop(viz_app *a, SDL_Window *win)
{
    Uint64 last = SDL_GetPerformanceCounter();
    while (!a->quit) {
        Uint64 start = SDL_GetPerformanceCounter();
        SDL_Surface *ws = SDL_GetWindowSurface(win);
        if (!ws || viz_gfx_resize(&a->gfx, ws->w, ws->h) != 0) break;
        viz_layout_update(a);
        if (a->script && !viz_script_tick(a)) a->quit = true;     /* script over */
        SDL_Event e;
        while (SDL_PollEvent(&e)) viz_input_event(a, &e);
        frame_time(a, &last);
        if (a->note_frames > 0) a->note_frames--;
        viz_layout_update(a);
        viz_update_hover(a);
        viz_draw(a);
        if (a->script) viz_script_after_draw(a);
        SDL_BlitSurface(a->gfx.surface, NULL, ws, NULL);
        SDL_UpdateWindowSurface(win);
        a->frame++;
        double spent = (double)(SDL_GetPerformanceCounter() - start) / (double)SDL_GetPerformanceFrequency();
        if (!a->script && spent < 1.0 / 60) SDL_Delay((Uint32)((1.0 / 60 - spent) * 1000));
    }
}

/* Without a display SDL falls back to an invisible driver and the window would
 * wait for keys forever; say so before SDL prints anything of its own. */
static bool have_display(void)
{
    const char *vars[] = { "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", "DSIM_VIZ_SCRIPT" };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return true;
    }
    return false;
}

int viz_window_run(viz_app *a)
{
    if (!have_display()) {
        viz_set_error("--viz: no display (DISPLAY is not set); draw PNG frames with --frames DIR instead");
        return SIM_EIO;
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        viz_set_error("--viz: cannot open a window: %s (no display? --frames DIR draws without one)",
                      SDL_GetError());
        return SIM_EIO;
    }
    const char *driver = SDL_GetCurrentVideoDriver(), *asked = getenv("SDL_VIDEODRIVER");
    bool invisible = driver && (strcmp(driver, "offscreen") == 0 || strcmp(driver, "dummy") == 0);
    if (invisible && !(asked && *asked) && !getenv("DSIM_VIZ_SCRIPT")) {   /* would wait for keys forever */
        viz_set_error("--viz: no display (SDL chose its '%s' video driver): set DISPLAY, or draw PNG frames "
                      "with --frames DIR", driver);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        SDL_Quit();
        return SIM_EIO;
    }
    char title[200];
    snprintf(title, sizeof(title), "dsim  %s", a->title);
    SDL_Window *win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, VIZ_DEFAULT_W,
                                       VIZ_DEFAULT_H, SDL_WINDOW_RESIZABLE);
    if (!win) {
        viz_set_error("--viz: cannot open a window: %s", SDL_GetError());
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return SIM_EIO;
    }
    int rc = open_script(a) ? 0 : SIM_EINVAL;
    if (rc == 0) loop(a, win);
    SDL_DestroyWindow(win);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    if (SDL_WasInit(SDL_INIT_EVERYTHING) == 0) SDL_Quit();    /* also closes D-Bus */
    return rc;
}
