/* The bittorrent systems' configuration, shared with `dsim bench bittorrent`. */
#ifndef SIM_SYSTEMS_BITTORRENT_SYSTEM_H
#define SIM_SYSTEMS_BITTORRENT_SYSTEM_H

#include <cJSON.h>

#include "sim/systems/bittorrent/bittorrent.h"

/* Options -> config (no metainfo yet); 0 or SIM_EINVAL with err. */
int bt_parse(const cJSON *options, bt_config *c, char *err, size_t errlen);
/* A heap copy with the metainfo's piece hashes (one free releases both). */
bt_config *bt_config_make(const bt_config *parsed);
uint32_t bt_tracker_size(const sim *s, sim_node_id id);

#endif
