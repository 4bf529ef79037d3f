/*
 * DSIM_VIZ_SCRIPT: scripted input for tests of the window. The script is a list
 * of commands separated by ';' that the window loop runs one per frame, each by
 * pushing the very SDL events a user would make (SDL_PushEvent), so the test goes
 * through the same input code:
 *
 *   pause | play | step | back | heal | save | partition | lamport | help | faster
 *   | slower | home | end | branch the key for it
 *   key NAME                      any key by SDL name ("Space", "H")
 *   click N | shift-click N | ctrl-click N | right-click N | move N   on node N
 *   drag A B | shift-drag A B     from node A to node B
 *   jump T                        click on the timeline at time T ("400ms")
 *   wait K                        let K frames pass
 *   until T                       let frames pass until the picture's time >= T
 *   dump                          print the state line (viz_dump_state) on stdout,
 *                                 ending "branch=SHOWN/COUNT prefix=N" (viz/branch.c)
 *   shot PATH                     write the next frame drawn as a PNG
 *   quit                          close the window
 *
 * With a script, each frame advances a fixed 1/60 s of wall time at the current
 * speed (never the real clock), so a scripted session is the same in every run.
 * A new branch re-runs the scenario and reopens the window; the script goes on
 * where it was (viz_branch_take_script).
 */
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "viz/app.h"
#include "viz/png.h"

struct viz_script {
    char **cmds;
    size_t n, next;
    long wait;
    bool reset_mods;
    char shot[512];             /* write the next frame here */
};

void viz_script_free(viz_script *sc)
{
    if (!sc) return;
    for (size_t i = 0; i < sc->n; i++) free(sc->cmds[i]);
    free(sc->cmds);
    free(sc);
}

viz_script *viz_script_parse(const char *text, char *err, size_t errlen)
{
    viz_script *sc = calloc(1, sizeof(*sc));
    char *copy = strdup(text);
    if (!sc || !copy || !(sc->cmds = calloc(strlen(text) / 2 + 2, sizeof(char *)))) {
        free(copy);
        viz_script_free(sc);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char *save = NULL;
    for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ') tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ') tok[--len] = 0;
        if (len) sc->cmds[sc->n++] = strdup(tok);
    }
    free(copy);
    return sc;
}

static void push_key(SDL_Keycode key, Uint16 mod)
{
    SDL_Event e;
    memset(&e, 0, sizeof(e));
    e.type = SDL_KEYDOWN;
    e.key.state = SDL_PRESSED;
    e.key.keysym.sym = key;
    e.key.keysym.mod = mod;
    SDL_PushEvent(&e);
    e.type = SDL_KEYUP;
    e.key.state = SDL_RELEASED;
    SDL_PushEvent(&e);
}

static void push_mouse(Uint32 type, int x, int y, Uint8 button)
{
    SDL_Event e;
    memset(&e, 0, sizeof(e));
    e.type = type;
    if (type == SDL_MOUSEMOTION) {
        e.motion.x = x;
        e.motion.y = y;
    } else {
        e.button.x = x;
        e.button.y = y;
        e.button.button = button;
        e.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
        e.button.clicks = 1;
    }
    SDL_PushEvent(&e);
}

static bool node_point(const viz_app *a, const char *name, int *x, int *y)
{
    uint32_t i = name ? viz_store_find_node(&a->store, name) : VIZ_NONE;
    if (i == VIZ_NONE || i >= a->lay.n) return false;
    *x = a->lamport ? (int)(a->lay.lane_x0 + (float)i * a->lay.lane_dx) : (int)a->lay.x[i];
    *y = a->lamport ? (int)((a->lay.lane_y0 + a->lay.lane_y1) / 2) : (int)a->lay.y[i];
    return true;
}

static bool pointer(viz_app *a, viz_script *sc, const char *verb, const char *arg1, const char *arg2)
{
    int x, y, x2, y2;
    if (!node_point(a, arg1, &x, &y)) return false;
    bool shift = strncmp(verb, "shift-", 6) == 0, ctrl = strncmp(verb, "ctrl-", 5) == 0;
    if (shift || ctrl) {                        /* mouse events carry no modifiers */
        SDL_SetModState(shift ? KMOD_LSHIFT : KMOD_LCTRL);
        sc->reset_mods = true;
    }
    Uint8 button = strcmp(verb, "right-click") == 0 ? SDL_BUTTON_RIGHT : SDL_BUTTON_LEFT;
    push_mouse(SDL_MOUSEMOTION, x, y, 0);
    if (strcmp(verb, "move") == 0) return true;
    push_mouse(SDL_MOUSEBUTTONDOWN, x, y, button);
    if (strstr(verb, "drag")) {
        if (!node_point(a, arg2, &x2, &y2)) return false;
        push_mouse(SDL_MOUSEMOTION, x2, y2, 0);
        x = x2, y = y2;
    }
    push_mouse(SDL_MOUSEBUTTONUP, x, y, button);
    return true;
}

static const struct {
    const char *verb;
    SDL_Keycode key;
} key_verbs[] = {
    { "step", SDLK_RIGHT }, { "back", SDLK_LEFT },    { "heal", SDLK_h },     { "save", SDLK_s },
    { "partition", SDLK_p }, { "lamport", SDLK_l },   { "help", SDLK_QUESTION }, { "faster", SDLK_PLUS },
    { "slower", SDLK_MINUS }, { "home", SDLK_HOME },  { "end", SDLK_END },     { "branch", SDLK_b },
};

/* Runs one command; false when it is malformed (reported, then skipped). */
static bool run(viz_app *a, viz_script *sc, char *cmd)
{
    char verb[32] = "", arg1[64] = "", arg2[64] = "";
    sscanf(cmd, "%31s %63s %63s", verb, arg1, arg2);
    for (size_t i = 0; i < sizeof(key_verbs) / sizeof(key_verbs[0]); i++)
        if (strcmp(verb, key_verbs[i].verb) == 0) return push_key(key_verbs[i].key, 0), true;
    int64_t t;
    if (strcmp(verb, "pause") == 0 || strcmp(verb, "play") == 0) {
        if (a->paused != (strcmp(verb, "pause") == 0)) push_key(SDLK_SPACE, 0);
    } else if (strcmp(verb, "key") == 0) {
        SDL_Keycode k = SDL_GetKeyFromName(arg1);
        if (k == SDLK_UNKNOWN) return false;
        push_key(k, 0);
    } else if (strstr(verb, "click") || strstr(verb, "drag") || strcmp(verb, "move") == 0) {
        return pointer(a, sc, verb, arg1, arg2);
    } else if (strcmp(verb, "jump") == 0 && sim_duration_parse(arg1, &t) == 0) {
        int x = (int)viz_timeline_x(a, t), y = a->lay.timeline.y + a->lay.timeline.h / 2;
        push_mouse(SDL_MOUSEBUTTONDOWN, x, y, SDL_BUTTON_LEFT);
        push_mouse(SDL_MOUSEBUTTONUP, x, y, SDL_BUTTON_LEFT);
    } else if (strcmp(verb, "wait") == 0) {
        sc->wait = atol(arg1);
    } else if (strcmp(verb, "shot") == 0 && arg1[0]) {
        snprintf(sc->shot, sizeof(sc->shot), "%s", cmd + 5);
    } else if (strcmp(verb, "dump") == 0) {
        viz_dump_state(a, stdout);
    } else if (strcmp(verb, "quit") == 0) {
        SDL_Event e = { .type = SDL_QUIT };
        SDL_PushEvent(&e);
    } else {
        return false;
    }
    return true;
}

bool viz_script_tick(viz_app *a)
{
    viz_script *sc = a->script;
    if (sc->reset_mods) {
        SDL_SetModState(KMOD_NONE);
        sc->reset_mods = false;
    }
    if (sc->wait > 0) {
        sc->wait--;
        return true;
    }
    if (sc->next >= sc->n) return false;
    char *cmd = sc->cmds[sc->next];
    int64_t t;
    if (strncmp(cmd, "until ", 6) == 0 && sim_duration_parse(cmd + 6, &t) == 0) {
        if (a->t_ns < t && a->t_ns < a->end_ns && !a->paused) return true;
        sc->next++;
        return true;
    }
    sc->next++;
    if (!run(a, sc, cmd)) fprintf(stderr, "dsim: DSIM_VIZ_SCRIPT: cannot run '%s'\n", cmd);
    return true;
}

void viz_script_after_draw(viz_app *a)
{
    viz_script *sc = a->script;
    if (!sc || !sc->shot[0]) return;
    int rc = viz_png_write(sc->shot, a->gfx.px, a->gfx.w, a->gfx.h, a->gfx.pitch);
    if (rc) fprintf(stderr, "dsim: DSIM_VIZ_SCRIPT: cannot write '%s': %s\n", sc->shot, sim_strerror(rc));
    sc->shot[0] = 0;
}
