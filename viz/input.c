/*
 * Keys and mouse (the list is in viz/draw_overlay.c and viz/README.md). A press on
 * a node starts a gesture that its release decides: released on the same node it
 * is a click (crash/restart; shift: pause/resume; ctrl: select), on another node a
 * drag (cut/restore that link; shift: one way). Faults go through viz/hand.c,
 * which refuses them in a replay and starts a new branch (viz/branch.c) when
 * made while stepped back; `b` shows the next branch.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "viz/app.h"

uint32_t viz_node_at(const viz_app *a, int x, int y)
{
    uint32_t best = VIZ_NONE;
    if (a->lamport) {                           /* the lane under the mouse */
        float f = ((float)x - a->lay.lane_x0) / (a->lay.lane_dx > 0 ? a->lay.lane_dx : 1);
        long i = lroundf(f);
        if (y >= a->lay.net.y && y < a->lay.net.y + a->lay.net.h && i >= 0 && (size_t)i < a->lay.n &&
            fabsf(f - (float)i) < 0.3f)
            best = (uint32_t)i;
        return best;
    }
    float best_d = (a->lay.node_r + 5) * (a->lay.node_r + 5);
    for (uint32_t i = 0; i < a->lay.n; i++) {
        float dx = a->lay.x[i] - (float)x, dy = a->lay.y[i] - (float)y, d = dx * dx + dy * dy;
        if (d <= best_d) best = i, best_d = d;
    }
    return best;
}

void viz_update_hover(viz_app *a)
{
    SDL_Point p = { a->mouse_x, a->mouse_y };
    a->hover_node = VIZ_NONE;
    a->hover_flight = SIZE_MAX;
    if (!SDL_PointInRect(&p, &a->lay.net)) return;
    a->hover_node = viz_node_at(a, p.x, p.y);
    if (a->hover_node != VIZ_NONE || a->lamport) return;
    float best = 9.0f * 9.0f;
    for (size_t i = 0; i < a->model.n_flights; i++) {
        float x, y;
        if (!viz_flight_pos(a, &a->model.flights[i], &x, &y)) continue;
        float d = (x - (float)p.x) * (x - (float)p.x) + (y - (float)p.y) * (y - (float)p.y);
        if (d <= best) best = d, a->hover_flight = i;
    }
}

static void select_toggle(viz_app *a, uint32_t node)
{
    if (node >= a->selected_cap) {
        size_t cap = a->model.nnodes + 16;
        uint8_t *s = realloc(a->selected, cap);
        if (!s) return;
        memset(s + a->selected_cap, 0, cap - a->selected_cap);
        a->selected = s;
        a->selected_cap = cap;
    }
    a->selected[node] ^= 1;
    viz_app_note(a, false, "%s %s; press p to partition the selection from the rest",
                 viz_store_node_name(&a->store, node), a->selected[node] ? "selected" : "unselected");
}

static void mouse_up(viz_app *a, const SDL_MouseButtonEvent *b)
{
    uint32_t from = a->drag_from, to = viz_node_at(a, b->x, b->y);
    a->drag_from = VIZ_NONE;
    if (from == VIZ_NONE || to == VIZ_NONE) return;
    SDL_Keymod mod = SDL_GetModState();
    if (b->button == SDL_BUTTON_RIGHT || (from == to && (mod & KMOD_CTRL))) select_toggle(a, to);
    else if (from != to) viz_hand_link_toggle(a, from, to, a->drag_one_way);
    else if (mod & KMOD_SHIFT) viz_hand_pause_toggle(a, to);
    else viz_hand_crash_toggle(a, to);
}

static void mouse_down(viz_app *a, const SDL_MouseButtonEvent *b)
{
    SDL_Point p = { b->x, b->y };
    if (SDL_PointInRect(&p, &a->lay.timeline) && b->button == SDL_BUTTON_LEFT) {
        a->paused = true;
        viz_app_jump(a, viz_timeline_time(a, b->x));
        return;
    }
    a->drag_from = viz_node_at(a, b->x, b->y);
    a->drag_one_way = (SDL_GetModState() & KMOD_SHIFT) != 0;
}

static void end_key(viz_app *a)
{
    viz_model_seek(&a->model, a->store.count);
    a->failed_seen = a->model.checks_failed;
    if (a->store.count && a->store.recs[a->store.count - 1].t_ns > a->t_ns)
        a->t_ns = a->store.recs[a->store.count - 1].t_ns;
    if (a->s && sim_now_ns(a->s) > a->t_ns) a->t_ns = sim_now_ns(a->s);
    viz_app_note(a, false, "at the newest event");
}

static void key_down(viz_app *a, const SDL_KeyboardEvent *k)
{
    SDL_Keycode c = k->keysym.sym;
    bool shift = (k->keysym.mod & KMOD_SHIFT) != 0;
    if (a->help && c != SDLK_q) {
        a->help = false;
        if (c == SDLK_ESCAPE || c == SDLK_QUESTION || (c == SDLK_SLASH && shift)) return;
    }
    switch (c) {
    case SDLK_SPACE: a->paused = !a->paused; break;
    case SDLK_RIGHT: a->paused = true; viz_app_step(a); break;
    case SDLK_LEFT: a->paused = true; viz_app_back(a); break;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: a->speed = viz_speed_step(a->speed, +1); break;
    case SDLK_MINUS: case SDLK_KP_MINUS: a->speed = viz_speed_step(a->speed, -1); break;
    case SDLK_HOME: a->paused = true; viz_app_jump(a, 0); break;
    case SDLK_END: end_key(a); break;
    case SDLK_l: case SDLK_TAB: a->lamport = !a->lamport; break;
    case SDLK_LEFTBRACKET: case SDLK_RIGHTBRACKET: {
        int64_t w = a->spacetime_ns > 0 ? a->spacetime_ns : a->speed * 3;
        a->spacetime_ns = c == SDLK_LEFTBRACKET ? (w / 2 > SIM_NS_PER_US ? w / 2 : w) : w * 2;
        break;
    }
    case SDLK_h: viz_hand_heal(a); break;
    case SDLK_p: viz_hand_partition_selected(a); break;
    case SDLK_s: viz_hand_save(a); break;
    case SDLK_b: viz_branch_cycle(a); break;
    case SDLK_QUESTION: case SDLK_F1: a->help = true; break;
    case SDLK_SLASH: if (shift) a->help = true; break;
    case SDLK_q: case SDLK_ESCAPE: a->quit = true; break;
    default: break;
    }
    a->mark_life_ns = a->speed / 2;
}

void viz_input_event(viz_app *a, const SDL_Event *e)
{
    switch (e->type) {
    case SDL_QUIT: a->quit = true; break;
    case SDL_KEYDOWN: key_down(a, &e->key); break;
    case SDL_MOUSEMOTION:
        a->mouse_x = e->motion.x;
        a->mouse_y = e->motion.y;
        break;
    case SDL_MOUSEBUTTONDOWN:
        a->mouse_x = e->button.x;
        a->mouse_y = e->button.y;
        mouse_down(a, &e->button);
        break;
    case SDL_MOUSEBUTTONUP: mouse_up(a, &e->button); break;
    default: break;
    }
}

void viz_dump_state(const viz_app *a, FILE *out)
{
    static const char *const status[] = { "up", "down", "paused" };
    fprintf(out, "viz-state t=%lld applied=%zu records=%zu paused=%d view=%s hand=%zu hover=%s nodes=",
            (long long)a->t_ns, a->model.applied, a->store.count, a->paused ? 1 : 0,
            a->lamport ? "spacetime" : "network", a->n_hand,
            a->hover_node != VIZ_NONE ? viz_store_node_name(&a->store, a->hover_node) : "-");
    for (uint32_t i = 0; i < a->model.nnodes; i++)
        fprintf(out, "%s%s:%s", i ? "," : "", viz_store_node_name(&a->store, i), status[a->model.nodes[i].status % 3]);
    fprintf(out, " cuts=%zu groups=%u branch=%zu/%zu prefix=%ld\n", a->model.n_cuts, a->model.ngroups,
            viz_branch_shown() + 1, viz_branch_count(), viz_branch_prefix());
    fflush(out);
}
