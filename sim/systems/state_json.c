/*
 * The small pieces every system's state_json (what a scenario reads as h.state)
 * uses: values a node keeps as JSON text decoded for Lua, node ids as names.
 */
#include <cJSON.h>

#include "sim/systems/system.h"

cJSON *sim_state_text(const char *text)
{
    if (!text) return cJSON_CreateNull();
    cJSON *v = cJSON_Parse(text);
    return v ? v : cJSON_CreateString(text);
}

void sim_state_add_text(cJSON *obj, const char *key, const char *text)
{
    cJSON_AddItemToObject(obj, key, sim_state_text(text));
}

void sim_state_add_node(const sim *s, cJSON *obj, const char *key, sim_node_id id)
{
    if (id == SIM_NODE_NONE || id >= sim_node_count(s)) cJSON_AddNullToObject(obj, key);
    else cJSON_AddStringToObject(obj, key, sim_node_name(s, id));
}
