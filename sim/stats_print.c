/*
 * The text summary of a run: time, events, messages by type and fate, latency
 * percentiles. Durations print in human units (sim/units.h).
 */
#include <inttypes.h>

#include "sim/stats.h"
#include "sim/trace.h"
#include "sim/units.h"

/* Latencies are bucketed, so three significant digits say all there is. */
static void print_approx(FILE *out, int64_t ns)
{
    if (ns < 0) fprintf(out, "-");
    else if (ns < 1000) fprintf(out, "%" PRId64 "ns", ns);
    else if (ns < SIM_NS_PER_MS) fprintf(out, "%.3gus", (double)ns / 1e3);
    else if (ns < SIM_NS_PER_S) fprintf(out, "%.3gms", (double)ns / 1e6);
    else fprintf(out, "%.3gs", (double)ns / 1e9);
}

static void print_duration(FILE *out, int64_t ns)
{
    char text[64];
    if (ns < 0 || sim_duration_format(ns, text, sizeof(text)) != 0) fprintf(out, "-");
    else fprintf(out, "%s", text);
}

static void print_row(FILE *out, const char *name, const sim_type_stats *t)
{
    fprintf(out, "  %-18s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %6" PRIu64 " %6" PRIu64,
            name, t->sent, t->delivered, t->dropped, t->duplicated, t->corrupted);
    const char *sep = "  (";
    for (int k = 0; k < SIM_DROP_REASONS; k++) {
        if (!t->dropped_by[k]) continue;
        fprintf(out, "%s%s %" PRIu64, sep, sim_drop_reason_name(k), t->dropped_by[k]);
        sep = ", ";
    }
    fprintf(out, "%s\n", sep[0] == ',' ? ")" : "");
}

void sim_stats_print(sim_stats *st, const sim *s, FILE *out)
{
    fprintf(out, "simulated time: ");
    print_duration(out, sim_now_ns(s));
    fprintf(out, "\nevents: %" PRIu64 "   trace records: %" PRIu64 "   nodes: %zu   seed: %" PRIu64 "\n",
            sim_events_run(s), sim_trace_records(s), sim_node_count(s), sim_seed(s));
    fprintf(out, "messages:            %10s %10s %10s %6s %6s\n", "sent", "delivered", "dropped", "dup",
            "corrupt");
    size_t n;
    const sim_type_stats *rows = sim_stats_types(st, &n);
    for (size_t i = 0; i < n; i++) print_row(out, rows[i].type, &rows[i]);
    sim_type_stats total = sim_stats_total(st);
    print_row(out, "total", &total);
    fprintf(out, "latency: ");
    static const double pcts[] = { 50, 90, 99, 100 };
    static const char *const labels[] = { "p50", "p90", "p99", "max" };
    for (int i = 0; i < 4; i++) {
        fprintf(out, "%s%s ", i ? "  " : "", labels[i]);
        print_approx(out, sim_stats_latency_ns(st, pcts[i]));
    }
    fprintf(out, "\n");
}
