/*
 * The system registry and the option helpers that every system's configure uses.
 * Add a system by declaring its sim_system in its own folder and one line in
 * systems.def.
 */
#include "sim/systems/system.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"

#define SYSTEM(x) extern const sim_system sim_system_##x;
#include "sim/systems/systems.def"
#undef SYSTEM

/* In name order (systems.def keeps them so). */
static const sim_system *const systems[] = {
#define SYSTEM(x) &sim_system_##x,
#include "sim/systems/systems.def"
#undef SYSTEM
};

const sim_system *sim_system_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(systems) / sizeof(systems[0]); i++)
        if (strcmp(systems[i]->name, name) == 0) return systems[i];
    return NULL;
}

const sim_system *sim_system_of_node(const sim *s, sim_node_id id)
{
    const sim_program *p = sim_node_program(s, id);
    for (size_t i = 0; p && i < sizeof(systems) / sizeof(systems[0]); i++)
        if (systems[i]->program == p) return systems[i];
    return NULL;
}

const sim_system *sim_system_at(size_t i)
{
    return i < sizeof(systems) / sizeof(systems[0]) ? systems[i] : NULL;
}

size_t sim_cluster_peers(sim_node *node, sim_node_id *out, size_t max)
{
    sim *s = sim_of(node);
    size_t n = 0;
    const sim_program *mine = sim_node_program(s, sim_self(node));
    for (sim_node_id id = 0; id < sim_node_count(s); id++) {
        if (id == sim_self(node) || sim_node_cluster(s, id) != sim_self_cluster(node)) continue;
        if (sim_node_program(s, id) != mine) continue;
        if (n < max) out[n] = id;
        n++;
    }
    return n;
}

int sim_option_check_known(const cJSON *options, const char *const *known, char *err, size_t errlen)
{
    if (!options) return 0;
    if (!cJSON_IsObject(options)) {
        snprintf(err, errlen, "options must be a table of name = value");
        return SIM_EINVAL;
    }
    for (const cJSON *c = options->child; c; c = c->next) {
        bool found = false;
        for (size_t i = 0; known[i] && !found; i++) found = strcmp(known[i], c->string) == 0;
        if (!found) {
            snprintf(err, errlen, "unknown option '%s'", c->string);
            return SIM_EINVAL;
        }
    }
    return 0;
}

int sim_option_duration(const cJSON *options, const char *key, int64_t *out_ns, char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    if (cJSON_IsString(v) && sim_duration_parse(v->valuestring, out_ns) == 0) return 0;
    snprintf(err, errlen, "option '%s' must be a duration like \"100ms\"", key);
    return SIM_EINVAL;
}

int sim_option_int(const cJSON *options, const char *key, int64_t min, int64_t max, int64_t *out,
                   char *err, size_t errlen)
{
    const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, key) : NULL;
    if (!v) return 0;
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1e300;
    if (d >= (double)min && d <= (double)max && d == (double)(int64_t)d) {
        *out = (int64_t)d;
        return 0;
    }
    snprintf(err, errlen, "option '%s' must be an integer in %lld..%lld", key, (long long)min,
             (long long)max);
    return SIM_EINVAL;
}

int sim_config_copy(const void *parsed, size_t bytes, void **config)
{
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy) return SIM_ENOMEM;
    memcpy(copy, parsed, bytes);
    *config = copy;
    return 0;
}
