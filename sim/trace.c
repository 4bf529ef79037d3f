/*
 * Trace records: numbering, the stable trace hash, and the observers.
 *
 * The hash folds every field of every record in a fixed little-endian encoding
 * (never the struct's bytes, whose padding is undefined; never a pointer), so two
 * runs with the same seed hash the same on any machine. Strings fold by content.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

static const char *const kind_names[SIM_REC_KIND_COUNT] = {
    [SIM_REC_NODE] = "node",         [SIM_REC_START] = "start",
    [SIM_REC_SEND] = "send",         [SIM_REC_DELIVER] = "deliver",
    [SIM_REC_DROP] = "drop",         [SIM_REC_DUPLICATE] = "duplicate",
    [SIM_REC_CORRUPT] = "corrupt",   [SIM_REC_TIMER_SET] = "timer-set",
    [SIM_REC_TIMER] = "timer",       [SIM_REC_TIMER_CANCEL] = "timer-cancel",
    [SIM_REC_CRASH] = "crash",       [SIM_REC_RESTART] = "restart",
    [SIM_REC_PAUSE] = "pause",       [SIM_REC_RESUME] = "resume",
    [SIM_REC_PARTITION] = "partition", [SIM_REC_CUT] = "cut",
    [SIM_REC_UNCUT] = "uncut",       [SIM_REC_HEAL] = "heal",
    [SIM_REC_CLOCK] = "clock",       [SIM_REC_NET] = "net",
    [SIM_REC_ANNOTATE] = "annotate", [SIM_REC_LOG] = "log",
    [SIM_REC_INVOKE] = "invoke",     [SIM_REC_COMPLETE] = "complete",
    [SIM_REC_CHECK] = "check",
};

const char *sim_record_kind_name(sim_record_kind kind)
{
    return (unsigned)kind < SIM_REC_KIND_COUNT ? kind_names[kind] : "?";
}

sim_record_kind sim_record_kind_from_name(const char *name)
{
    for (int k = 0; k < SIM_REC_KIND_COUNT; k++)
        if (name && strcmp(kind_names[k], name) == 0) return (sim_record_kind)k;
    return SIM_REC_KIND_COUNT;
}

/* One multiply per word (the FxHash step): a rotation, an xor and a multiply by
 * an odd constant are each invertible, so a change in any word changes the state;
 * sim_trace_hash() applies the full splitmix64 finaliser on top. Measured: the
 * finaliser per word cost 11% of the random-msgs benchmark; this step, under 3%. */
static inline uint64_t fold(uint64_t h, uint64_t word)
{
    return (((h << 23) | (h >> 41)) ^ word) * UINT64_C(0x9E3779B97F4A7C15);
}

static uint64_t fold_bytes(uint64_t h, const uint8_t *p, size_t len)
{
    h = fold(h, len);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; b--) w = (w << 8) | p[i + (size_t)b];
        h = fold(h, w);
    }
    uint64_t tail = 0;
    for (size_t b = len; b > i; b--) tail = (tail << 8) | p[b - 1];
    return fold(h, tail);
}

static uint64_t fold_record(const sim *s, uint64_t h, const sim_record *r)
{
    h = fold(h, (uint64_t)r->kind | ((uint64_t)r->flags << 8));
    h = fold(h, (uint64_t)r->time_ns);
    h = fold(h, ((uint64_t)r->node << 32) | r->peer);
    h = fold(h, r->id);
    h = fold(h, (uint64_t)r->num1);
    h = fold(h, (uint64_t)r->num2);
    if (r->name_id != UINT32_MAX) h = fold(h, intern_hash_of(s, r->name_id));
    else if (r->name) h = fold_bytes(h, (const uint8_t *)r->name, strlen(r->name));
    if (r->detail) h = fold_bytes(h, (const uint8_t *)r->detail, strlen(r->detail));
    /* A body is folded once, with its send; later records of the same message
     * (deliver, drop, duplicate) carry the same bytes, or bytes the corrupt
     * record already determines, so their id stands for them. */
    if (r->body_len && r->kind == SIM_REC_SEND) h = fold_bytes(h, r->body, r->body_len);
    return h;
}

void trace_emit(sim *s, sim_record *r)
{
    r->index = s->record_count++;
    r->time_ns = s->now_ns;
    if (r->name_id != UINT32_MAX) r->name = s->intern_text[r->name_id];
    s->trace_hash = fold_record(s, s->trace_hash, r);
    for (size_t i = 0; i < s->observer_count; i++)
        s->observers[i].fn(s, r, s->observers[i].ctx);
}

int sim_observe(sim *s, sim_observer_fn fn, void *ctx)
{
    if (!s || !fn) return SIM_EINVAL;
    if (s->observer_count == s->observer_cap) {
        size_t cap = s->observer_cap ? s->observer_cap * 2 : 4;
        observer *o = realloc(s->observers, cap * sizeof(observer));
        if (!o) return SIM_ENOMEM;
        s->observers = o;
        s->observer_cap = cap;
    }
    s->observers[s->observer_count++] = (observer){ fn, ctx };
    return 0;
}

int sim_unobserve(sim *s, sim_observer_fn fn, void *ctx)
{
    for (size_t i = 0; i < s->observer_count; i++) {
        if (s->observers[i].fn == fn && s->observers[i].ctx == ctx) {
            memmove(&s->observers[i], &s->observers[i + 1],
                    (s->observer_count - i - 1) * sizeof(observer));
            s->observer_count--;
            return 0;
        }
    }
    return SIM_ENOENT;
}

uint64_t sim_trace_hash(const sim *s) { return sim_mix64(s->trace_hash ^ s->record_count); }
uint64_t sim_trace_records(const sim *s) { return s->record_count; }
