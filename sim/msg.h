/*
 * Messages as JSON values: the one encoding every node program uses, C or Lua, so
 * that a student's Lua node and a reference C node talk to each other and the
 * trace shows every field. The encoding is canonical: object keys in byte order,
 * no spaces, integers (|v| < 2^53) without a fraction, other numbers with 17
 * significant digits. Equal values therefore always encode to equal bytes.
 */
#ifndef SIM_MSG_H
#define SIM_MSG_H

#include <cJSON.h>

#include "sim/sim.h"

/* Canonical text of v (malloc'ed), or NULL when out of memory. */
char *sim_json_encode(const cJSON *v);
/* Sends msg (an object whose "type" string names the message type). */
int sim_json_send(sim_node *node, sim_node_id to, const cJSON *msg);
/* Parses a received body; NULL when it is not JSON (e.g. corrupted in flight). */
cJSON *sim_json_parse(const sim_msg *msg);
/* msg[key] as an integer, or fallback when absent or not a number. */
int64_t sim_json_int(const cJSON *msg, const char *key, int64_t fallback);
/* msg[key] into *out when it is a number with an integer value; else false. */
bool sim_json_get_int(const cJSON *msg, const char *key, int64_t *out);
/* msg[key] as canonical JSON text (malloc'ed), or NULL when absent: how node
 * programs keep keys and values they do not interpret. */
char *sim_json_field_text(const cJSON *msg, const char *key);
/* obj[key] = the value that canonical text encodes; nothing when text is NULL. */
void sim_json_add_text(cJSON *obj, const char *key, const char *text);

#endif
