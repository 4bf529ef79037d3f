/*
 * echo: the smallest node program, Maelstrom's first workload. It answers
 *
 *     {"type":"echo","echo":X,"msg_id":K}  with  {"type":"echo_ok","echo":X,"in_reply_to":K}
 *
 * to the sender, X being any JSON value, copied unchanged. A corrupted message
 * (one a checksum would reject) and anything that is not an echo are ignored.
 * The node keeps no state, so a crash loses nothing. It takes no options.
 */
#include <stddef.h>
#include <string.h>

#include "sim/msg.h"
#include "sim/systems/system.h"

static void echo_receive(sim_node *node, void *state, const sim_msg *msg)
{
    if (msg->corrupted) return;
    cJSON *in = sim_json_parse(msg);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "echo") != 0) {
        cJSON_Delete(in);
        return;
    }
    cJSON *out = cJSON_CreateObject();
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(in, "echo");
    cJSON *copy = payload ? cJSON_Duplicate(payload, true) : cJSON_CreateNull();
    SIM_ASSERT(out != NULL && copy != NULL);
    cJSON_AddStringToObject(out, "type", "echo_ok");
    cJSON_AddItemToObject(out, "echo", copy);
    const cJSON *msg_id = cJSON_GetObjectItemCaseSensitive(in, "msg_id");
    if (cJSON_IsNumber(msg_id)) cJSON_AddNumberToObject(out, "in_reply_to", msg_id->valuedouble);
    if (msg->from != SIM_NODE_NONE) sim_json_send(node, msg->from, out);
    cJSON_Delete(out);
    cJSON_Delete(in);
}

static int echo_configure(const cJSON *options, void **config, char *err, size_t errlen)
{
    static const char *const known[] = { NULL };
    *config = NULL;
    return sim_option_check_known(options, known, err, errlen);
}

static void echo_release(void *config) { (void)config; }

static const sim_program echo_program = {
    .name = "echo",
    .state_bytes = 0,
    .receive = echo_receive,
};

const sim_system sim_system_echo = {
    .name = "echo",
    .summary = "replies to every echo with the same payload (Maelstrom's first workload)",
    .program = &echo_program,
    .configure = echo_configure,
    .release = echo_release,
};
