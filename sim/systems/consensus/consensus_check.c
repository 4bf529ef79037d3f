/*
 * The consensus invariant checker (see consensus_check.h). It keeps, for every
 * key (slot or transaction), the first decision any node made (value, node,
 * time), for every prefix length the first chain hash a replica reached, and for
 * every watched node how many of its decisions it has read in this incarnation.
 * Keys and prefix lengths are small dense integers, so plain arrays indexed by
 * them replace any hash table (and iterate in a stable order).
 */
#include "sim/systems/consensus/consensus_check.h"

#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"
#include "sim/systems/consensus/consensus_util.h"

#define KEY_MAX (INT64_C(1) << 24)   /* far above any run's slots or transactions */
#define VALUE_SHOWN 120              /* characters of a value quoted in a message */

enum { CHECK_AGREEMENT, CHECK_VALIDITY, CHECK_PREFIX, CHECK_KINDS };

typedef struct first_decision {
    char *value;                     /* NULL: undecided so far */
    sim_node_id node;
    int64_t time_ns;
} first_decision;

typedef struct first_chain {
    uint64_t hash;
    sim_node_id node;
    bool set;
} first_chain;

struct consensus_check {
    sim *s;
    const sim_program *program;
    const consensus_probe *probe;
    size_t *read;                    /* per node id: decisions read this incarnation */
    size_t nread;
    first_decision *keys;
    size_t nkeys, ndecided;
    first_chain *chain;              /* index: applied prefix length */
    size_t nchain;
    char **proposed;                 /* values of "proposed" annotations, sorted */
    size_t nproposed, proposed_cap;
    uint32_t proposed_id;
    sim_node_id prev;
    bool failed[CHECK_KINDS];
    bool reporting;
    uint64_t checked;                /* decisions checked */
};

static const char *const check_names[CHECK_KINDS] = { NULL, "validity", "log-prefix" };

/* Grows *arr (of elem bytes each, *n of them) to hold index i, zeroing the new part. */
static void *grow(void *arr, size_t *n, size_t i, size_t elem)
{
    if (i < *n) return arr;
    size_t cap = *n ? *n : 16;
    while (cap <= i) cap *= 2;
    arr = realloc(arr, cap * elem);
    SIM_ASSERT(arr != NULL);
    memset((char *)arr + *n * elem, 0, (cap - *n) * elem);
    *n = cap;
    return arr;
}

static void fail(consensus_check *c, int kind, const char *what)
{
    char name[64], detail[512];
    snprintf(name, sizeof(name), "%s-%s", c->probe->system,
             kind == CHECK_AGREEMENT ? c->probe->agreement : check_names[kind]);
    snprintf(detail, sizeof(detail), "%s", what);     /* the FAILED line adds time and seed */
    c->failed[kind] = true;
    c->reporting = true;                     /* our own check record must not re-enter */
    sim_check_report(c->s, name, false, detail);
    c->reporting = false;
    sim_halt(c->s);
}

static bool any_failed(const consensus_check *c)
{
    return c->failed[CHECK_AGREEMENT] || c->failed[CHECK_VALIDITY] || c->failed[CHECK_PREFIX];
}

static void check_decision(consensus_check *c, sim_node_id id, int64_t key, const char *value)
{
    SIM_ASSERT(key >= 0 && key < KEY_MAX && value != NULL);
    c->keys = grow(c->keys, &c->nkeys, (size_t)key, sizeof(first_decision));
    first_decision *d = &c->keys[key];
    char what[400], when[32];
    c->checked++;
    if (!d->value) {
        char why[200] = "";
        if (c->probe->valid && !c->probe->valid(c, key, value, why, sizeof(why))) {
            snprintf(what, sizeof(what), "%s %lld: %s %s %.*s, but %s", c->probe->key_name,
                     (long long)key, sim_node_name(c->s, id), c->probe->decided, VALUE_SHOWN, value, why);
            fail(c, CHECK_VALIDITY, what);
        }
        *d = (first_decision){ strdup(value), id, sim_now_ns(c->s) };
        SIM_ASSERT(d->value != NULL);
        c->ndecided++;
        return;
    }
    if (strcmp(d->value, value) == 0) return;
    cons_time_text(d->time_ns, when, sizeof(when));
    snprintf(what, sizeof(what), "%s %lld: %s %s %.*s at %s, but %s %s %.*s", c->probe->key_name,
             (long long)key, sim_node_name(c->s, d->node), c->probe->decided, VALUE_SHOWN, d->value,
             when, sim_node_name(c->s, id), c->probe->decided, VALUE_SHOWN, value);
    fail(c, CHECK_AGREEMENT, what);
}

static void check_chain(consensus_check *c, sim_node_id id, int64_t length, uint64_t hash)
{
    SIM_ASSERT(length >= 0 && length < KEY_MAX);
    c->chain = grow(c->chain, &c->nchain, (size_t)length, sizeof(first_chain));
    first_chain *f = &c->chain[length];
    if (!f->set) {
        *f = (first_chain){ hash, id, true };
        return;
    }
    if (f->hash == hash) return;
    char what[300];
    snprintf(what, sizeof(what), "%s and %s both applied %lld slots, but not the same commands "
             "(chain hash %016llx vs %016llx)", sim_node_name(c->s, f->node), sim_node_name(c->s, id),
             (long long)length, (unsigned long long)f->hash, (unsigned long long)hash);
    fail(c, CHECK_PREFIX, what);
}

static void inspect(consensus_check *c, sim_node_id id)
{
    if (id == SIM_NODE_NONE || id >= sim_node_count(c->s)) return;
    if (sim_node_program(c->s, id) != c->program) return;
    const void *st = sim_node_state(c->s, id);
    if (!st) return;
    c->read = grow(c->read, &c->nread, id, sizeof(size_t));
    size_t n = c->probe->count(st);
    for (size_t i = c->read[id]; i < n && !any_failed(c); i++) {
        int64_t key;
        const char *value;
        c->probe->get(st, i, &key, &value);
        check_decision(c, id, key, value);
    }
    c->read[id] = n;
    int64_t length;
    uint64_t hash;
    if (!any_failed(c) && c->probe->applied && c->probe->applied(st, &length, &hash) && length > 0)
        check_chain(c, id, length, hash);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void add_proposed(consensus_check *c, const char *value)
{
    if (!value || consensus_check_proposed(c, value)) return;
    if (c->nproposed == c->proposed_cap) {
        c->proposed_cap = c->proposed_cap ? c->proposed_cap * 2 : 16;
        c->proposed = realloc(c->proposed, c->proposed_cap * sizeof(char *));
        SIM_ASSERT(c->proposed != NULL);
    }
    c->proposed[c->nproposed] = strdup(value);
    SIM_ASSERT(c->proposed[c->nproposed] != NULL);
    c->nproposed++;
    qsort(c->proposed, c->nproposed, sizeof(char *), cmp_str);
}

static void observe(sim *s, const sim_record *r, void *ctx)
{
    consensus_check *c = ctx;
    if (c->reporting || r->kind == SIM_REC_CHECK) return;
    if (r->kind == SIM_REC_START && r->node != SIM_NODE_NONE) {
        c->read = grow(c->read, &c->nread, r->node, sizeof(size_t));
        c->read[r->node] = 0;                /* a new incarnation reloads its decisions */
    }
    if (r->kind == SIM_REC_ANNOTATE && r->name_id == c->proposed_id) add_proposed(c, r->detail);
    if (any_failed(c)) return;
    inspect(c, r->node);
    if (c->prev != r->node) inspect(c, c->prev);
    c->prev = r->node;
}

int consensus_check_attach(sim *s, const sim_program *program, const consensus_probe *probe,
                           consensus_check **out)
{
    consensus_check *c = calloc(1, sizeof(*c));
    if (!c) return SIM_ENOMEM;
    c->s = s;
    c->program = program;
    c->probe = probe;
    c->prev = SIM_NODE_NONE;
    c->proposed_id = sim_intern(s, "proposed");
    int rc = sim_observe(s, observe, c);
    if (rc) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void consensus_check_detach(consensus_check *c)
{
    if (!c) return;
    sim_unobserve(c->s, observe, c);
    for (size_t i = 0; i < c->nkeys; i++) free(c->keys[i].value);
    for (size_t i = 0; i < c->nproposed; i++) free(c->proposed[i]);
    free(c->keys);
    free(c->chain);
    free(c->proposed);
    free(c->read);
    free(c);
}

void consensus_check_now(consensus_check *c)
{
    for (sim_node_id id = 0; id < sim_node_count(c->s) && !any_failed(c); id++) inspect(c, id);
}

int consensus_check_report(consensus_check *c, FILE *out)
{
    consensus_check_now(c);
    int failed = 0;
    for (int k = 0; k < CHECK_KINDS; k++) {
        if (k == CHECK_PREFIX && !c->probe->applied) continue;
        if (k == CHECK_VALIDITY && !c->probe->valid) continue;
        if (c->failed[k]) {
            failed++;
            continue;
        }
        char name[64], detail[160];
        snprintf(name, sizeof(name), "%s-%s", c->probe->system,
                 k == CHECK_AGREEMENT ? c->probe->agreement : check_names[k]);
        snprintf(detail, sizeof(detail), "%zu %s%s decided, %llu decisions checked", c->ndecided,
                 c->probe->key_name, c->ndecided == 1 ? "" : "s", (unsigned long long)c->checked);
        sim_check_report(c->s, name, true, detail);
    }
    if (out)
        fprintf(out, "%s: %zu %s%s decided; %llu decisions of nodes checked as they were made\n",
                c->probe->system, c->ndecided, c->probe->key_name, c->ndecided == 1 ? "" : "s",
                (unsigned long long)c->checked);
    return failed;
}

bool consensus_check_failed(const consensus_check *c) { return any_failed(c); }
sim *consensus_check_sim(const consensus_check *c) { return c->s; }

bool consensus_check_proposed(const consensus_check *c, const char *value)
{
    return c->nproposed && bsearch(&value, c->proposed, c->nproposed, sizeof(char *), cmp_str) != NULL;
}

const char *consensus_check_value(const consensus_check *c, int64_t key)
{
    return key >= 0 && (size_t)key < c->nkeys ? c->keys[key].value : NULL;
}

size_t consensus_check_keys_decided(const consensus_check *c) { return c->ndecided; }
