/*
 * The client history and check verdicts. Every client operation is an invoke
 * record and, when it returns, a complete record with its outcome: ok (it took
 * effect), fail (it certainly did not) or unknown (a timeout: it may have). An
 * operation still pending when the run ends counts as unknown, as in Jepsen.
 */
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

static char *dup_or_null(const char *text)
{
    return text ? strdup(text) : NULL;
}

uint64_t sim_history_invoke(sim *s, sim_node_id process, const char *f, const char *args_json)
{
    if (!f || (process != SIM_NODE_NONE && process >= s->node_count)) return 0;
    if (s->op_count == s->op_cap) {
        size_t cap = s->op_cap ? s->op_cap * 2 : 256;
        sim_op *ops = realloc(s->ops, cap * sizeof(sim_op));
        if (!ops) return 0;
        s->ops = ops;
        s->op_cap = cap;
    }
    sim_op *op = &s->ops[s->op_count];
    memset(op, 0, sizeof(*op));
    op->id = s->op_count + 1;
    op->process = process;
    uint32_t f_id = sim_intern(s, f);
    op->f = sim_interned(s, f_id);
    op->args = dup_or_null(args_json);
    op->invoke_ns = s->now_ns;
    op->complete_ns = -1;
    op->outcome = SIM_OP_PENDING;
    s->op_count++;
    sim_record r = trace_record(SIM_REC_INVOKE);
    r.node = process;
    r.id = op->id;
    r.name_id = f_id;
    r.detail = op->args;
    trace_emit(s, &r);
    return op->id;
}

int sim_history_complete(sim *s, uint64_t op_id, sim_outcome outcome, const char *result_json)
{
    if (op_id == 0 || op_id > s->op_count) return SIM_ENOENT;
    if (outcome == SIM_OP_PENDING || outcome > SIM_OP_UNKNOWN) return SIM_EINVAL;
    sim_op *op = &s->ops[op_id - 1];
    if (op->outcome != SIM_OP_PENDING) return SIM_ESTATE;
    op->outcome = outcome;
    op->complete_ns = s->now_ns;
    op->result = dup_or_null(result_json);
    sim_record r = trace_record(SIM_REC_COMPLETE);
    r.node = op->process;
    r.id = op->id;
    r.name_id = sim_intern(s, op->f);
    r.detail = op->result;
    r.num1 = outcome;
    r.num2 = op->invoke_ns;
    trace_emit(s, &r);
    return 0;
}

size_t sim_history_count(const sim *s) { return s->op_count; }

const sim_op *sim_history_get(const sim *s, size_t index)
{
    return index < s->op_count ? &s->ops[index] : NULL;
}

const char *sim_outcome_name(sim_outcome outcome)
{
    switch (outcome) {
    case SIM_OP_PENDING: return "pending";
    case SIM_OP_OK: return "ok";
    case SIM_OP_FAIL: return "fail";
    case SIM_OP_UNKNOWN: return "unknown";
    }
    return "?";
}

void sim_check_report(sim *s, const char *name, bool ok, const char *detail)
{
    s->checks_run++;
    if (!ok) s->checks_failed++;
    sim_record r = trace_record(SIM_REC_CHECK);
    r.name_id = sim_intern(s, name ? name : "check");
    r.detail = detail ? detail : "";
    r.num1 = ok;
    trace_emit(s, &r);
}

size_t sim_checks_failed(const sim *s) { return s->checks_failed; }
size_t sim_checks_run(const sim *s) { return s->checks_run; }
