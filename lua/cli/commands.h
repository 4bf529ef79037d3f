/*
 * The subcommands of `dsim`. Each takes the arguments after its name and returns
 * the process exit code (lua/cli/host.h).
 */
#ifndef DSIM_COMMANDS_H
#define DSIM_COMMANDS_H

#include "lua/cli/host.h"

int dsim_cmd_run(int argc, char **argv);
int dsim_cmd_demo(int argc, char **argv);
int dsim_cmd_bench(int argc, char **argv);
int dsim_cmd_help(int argc, char **argv);
int dsim_cmd_version(int argc, char **argv);
int dsim_cmd_list(int argc, char **argv);
int dsim_cmd_replay(int argc, char **argv);
int dsim_cmd_sweep(int argc, char **argv);
int dsim_cmd_sweep_merge(int argc, char **argv);
int dsim_cmd_check(int argc, char **argv);
int dsim_cmd_grade(int argc, char **argv);
int dsim_cmd_lab(int argc, char **argv);

/* Runs one scenario (built-in or FILE.lua) with parsed options. */
int dsim_run_scenario(const dsim_run_opts *opts);

#define DSIM_VERSION "0.1.0"

#endif
