/*
 * The registry of C node programs ("systems"): each has a name, a one-line
 * summary, its program, and a configure function that turns scenario options (a
 * JSON object, from Lua or a built-in scenario) into the config handed to every
 * node of the cluster. An unknown or malformed option is an error that names it.
 */
#ifndef SIM_SYSTEMS_SYSTEM_H
#define SIM_SYSTEMS_SYSTEM_H

#include <cJSON.h>

#include "sim/sim.h"

typedef struct sim_system {
    const char *name;
    const char *summary;
    const sim_program *program;
    /* options may be NULL (all defaults). On error returns SIM_EINVAL and writes
     * e.g. "unknown option 'gossip_every'" or "option 'interval' must be a
     * duration like \"100ms\"" into err. */
    int (*configure)(const cJSON *options, void **config, char *err, size_t errlen);
    void (*release)(void *config);
    /* What a scenario reads as a node's `.state` (Lua: h.state): a new JSON object
     * describing the node's volatile state (roles, logs, values; whatever its
     * checks and chapter talk about), or NULL when the node has none (down).
     * The caller frees it. Optional: NULL means `.state` is nil. */
    cJSON *(*state_json)(const sim *s, sim_node_id id);
} sim_system;

const sim_system *sim_system_find(const char *name);
/* The system whose program a node runs, or NULL (a Lua node, a harness program). */
const sim_system *sim_system_of_node(const sim *s, sim_node_id id);
/* The i-th system in name order; NULL past the end. */
const sim_system *sim_system_at(size_t i);

/* The other nodes of the caller's cluster that run the same program, in id order. */
size_t sim_cluster_peers(sim_node *node, sim_node_id *out, size_t max);

/* The end of every configure(): a heap copy of the parsed config (freed by the
 * system's release, usually free) in *config; 0 or SIM_ENOMEM. */
int sim_config_copy(const void *parsed, size_t bytes, void **config);

/* Helpers for configure(): each returns 0, or SIM_EINVAL with a message in err. */
int sim_option_check_known(const cJSON *options, const char *const *known, char *err, size_t errlen);
int sim_option_duration(const cJSON *options, const char *key, int64_t *out_ns, char *err, size_t errlen);
int sim_option_int(const cJSON *options, const char *key, int64_t min, int64_t max, int64_t *out,
                   char *err, size_t errlen);

/* Helpers for state_json (state_json.c): JSON text held by a node (a value, a
 * command) as the value it encodes, or as a string when it is not JSON; NULL
 * text gives JSON null. Never NULL. */
cJSON *sim_state_text(const char *text);
/* obj[key] = sim_state_text(text). */
void sim_state_add_text(cJSON *obj, const char *key, const char *text);
/* obj[key] = the node's name, or null for SIM_NODE_NONE. */
void sim_state_add_node(const sim *s, cJSON *obj, const char *key, sim_node_id id);

#endif
