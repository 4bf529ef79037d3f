/*
 * Trace records in words, for the panel of latest events and for tooltips:
 * "n1 -> n3 gossip #42, arrives 14.203ms", "drop gossip #43 n2 -> n4: partition".
 */
#include <stdio.h>
#include <string.h>

#include "viz/app.h"

static void short_time(int64_t ns, char *buf, size_t n)
{
    int64_t us = (ns < 0 ? -ns : ns) / SIM_NS_PER_US;
    snprintf(buf, n, "%s%lld.%03lldms", ns < 0 ? "-" : "", (long long)(us / 1000), (long long)(us % 1000));
}

static const char *flags_words(uint8_t flags)
{
    if ((flags & SIM_FLAG_DUPLICATE) && (flags & SIM_FLAG_CORRUPTED)) return " (copy, corrupted)";
    if (flags & SIM_FLAG_DUPLICATE) return " (copy)";
    if (flags & SIM_FLAG_CORRUPTED) return " (corrupted)";
    return "";
}

static void message_words(const viz_app *a, const viz_rec *r, char *buf, size_t n)
{
    const char *N = viz_store_node_name(&a->store, r->node), *P = viz_store_node_name(&a->store, r->peer);
    const char *T = viz_store_str(&a->store, r->name);
    unsigned long long id = (unsigned long long)r->id;
    char t[32];
    switch (r->kind) {
    case SIM_REC_SEND:
        if (r->num1 < 0) {
            snprintf(buf, n, "%s -> %s %s #%llu (never leaves)", N, P, T, id);
            return;
        }
        short_time(r->num1, t, sizeof(t));
        snprintf(buf, n, "%s -> %s %s #%llu, arrives %s", N, P, T, id, t);
        return;
    case SIM_REC_DELIVER: snprintf(buf, n, "%s <- %s %s #%llu%s", N, P, T, id, flags_words(r->flags)); return;
    case SIM_REC_DROP:
        snprintf(buf, n, "DROP %s #%llu %s -> %s: %s", T, id, P, N, r->detail ? r->detail : "?");
        return;
    case SIM_REC_DUPLICATE: snprintf(buf, n, "net duplicates %s #%llu %s -> %s", T, id, N, P); return;
    case SIM_REC_CORRUPT: snprintf(buf, n, "net corrupts %s #%llu %s -> %s", T, id, N, P); return;
    default: buf[0] = 0; return;
    }
}

static void fault_words(const viz_app *a, const viz_rec *r, char *buf, size_t n)
{
    const char *N = viz_store_node_name(&a->store, r->node), *P = viz_store_node_name(&a->store, r->peer);
    char t[32];
    switch (r->kind) {
    case SIM_REC_CRASH: snprintf(buf, n, "%s CRASHES", N); return;
    case SIM_REC_RESTART: snprintf(buf, n, "%s restarts", N); return;
    case SIM_REC_PAUSE: snprintf(buf, n, "%s PAUSES", N); return;
    case SIM_REC_RESUME: snprintf(buf, n, "%s resumes (%lld held)", N, (long long)r->num1); return;
    case SIM_REC_PARTITION: snprintf(buf, n, "PARTITION %s", r->detail ? r->detail : ""); return;
    case SIM_REC_CUT: snprintf(buf, n, "CUT %s -> %s", N, P); return;
    case SIM_REC_UNCUT: snprintf(buf, n, "restore %s -> %s", N, P); return;
    case SIM_REC_HEAL: snprintf(buf, n, "HEAL: the network is whole again"); return;
    case SIM_REC_CLOCK:
        short_time(r->num1, t, sizeof(t));
        snprintf(buf, n, "%s clock offset %s, drift %lld ppm", N, t, (long long)r->num2);
        return;
    default: buf[0] = 0; return;
    }
}

void viz_record_words(const viz_app *a, const viz_rec *r, char *buf, size_t n)
{
    const char *N = viz_store_node_name(&a->store, r->node), *T = viz_store_str(&a->store, r->name);
    const char *D = r->detail ? r->detail : "";
    char t[32];
    switch (r->kind) {
    case SIM_REC_NODE: snprintf(buf, n, "%s joins (%s, cluster %lld)", N, T, (long long)r->num1); return;
    case SIM_REC_START: snprintf(buf, n, "%s %s", N, r->num1 ? "starts again" : "starts"); return;
    case SIM_REC_TIMER_SET:
        short_time(r->num1, t, sizeof(t));
        snprintf(buf, n, "%s sets timer %s for %s", N, T, t);
        return;
    case SIM_REC_TIMER: snprintf(buf, n, "%s timer %s fires", N, T); return;
    case SIM_REC_TIMER_CANCEL: snprintf(buf, n, "%s cancels timer %s", N, T); return;
    case SIM_REC_NET: snprintf(buf, n, "network %s", D); return;
    case SIM_REC_ANNOTATE: snprintf(buf, n, "%s %s = %s", N, T, D); return;
    case SIM_REC_LOG: snprintf(buf, n, "%s: %s", N, D); return;
    case SIM_REC_INVOKE: snprintf(buf, n, "%s invokes %s %s", N, T, D); return;
    case SIM_REC_COMPLETE:
        snprintf(buf, n, "%s %s %s %s", N, T, sim_outcome_name((sim_outcome)r->num1), D);
        return;
    case SIM_REC_CHECK: snprintf(buf, n, "check %s %s%s%s", T, r->num1 ? "ok" : "FAILED", *D ? ": " : "", D); return;
    default: break;
    }
    message_words(a, r, buf, n);
    if (!buf[0]) fault_words(a, r, buf, n);
}
