/*
 * The dsim command: one binary, subcommands (see `dsim help`). This file only
 * dispatches; each command lives in its own lua/cmd_*.c.
 */
#include <string.h>

#include "lua/cli/commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    { "run", dsim_cmd_run },         { "demo", dsim_cmd_demo },
    { "bench", dsim_cmd_bench },     { "replay", dsim_cmd_replay },
    { "list", dsim_cmd_list },       { "help", dsim_cmd_help },
    { "version", dsim_cmd_version }, { "sweep", dsim_cmd_sweep },
    { "sweep-merge", dsim_cmd_sweep_merge }, { "check", dsim_cmd_check },
    { "grade", dsim_cmd_grade },     { "lab", dsim_cmd_lab },
};

int main(int argc, char **argv)
{
    if (argc < 2) return dsim_cmd_help(0, NULL);
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) return dsim_cmd_help(0, NULL);
    if (strcmp(name, "--version") == 0) return dsim_cmd_version(0, NULL);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0) return commands[i].run(argc - 2, argv + 2);
    return dsim_usage_error("'%s' is not a command (commands: run, demo, sweep, sweep-merge, check, bench, "
                            "replay, list, grade, lab, help, version; see 'dsim help')", name);
}
