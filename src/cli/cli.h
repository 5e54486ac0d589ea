/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every subcommand gets from main: the global options and the host
 * seam, opened lazily.  Exit codes are shared by all commands.
 */
#ifndef KVMTUNE_CLI_CLI_H
#define KVMTUNE_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct diag;
struct host;

enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,  /* the command ran and found errors, or failed */
	EXIT_USAGE = 2,	  /* bad usage or bad input: nothing was changed */
	EXIT_PARTIAL = 3, /* partly applied (a shortfall), or applied and rolled back */
};

struct cli {
	const char *root; /* --root, NULL for "/" */
	bool json;
	bool dry_run;
	int verbose;
	struct host *host;
};

/* Open cli->host if needed; prints the error and returns -errno on failure. */
int cli_host(struct cli *c, struct host **ret);
/* Print "kvmtune: <msg>" (and the diag's sentence) on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_error_diag(const struct diag *d, int err);
/*
 * Exit code for a failed core call: EXIT_USAGE for bad input (-EINVAL,
 * -ERANGE, -ENOENT of an input file, -ENOTSUP for what the target cannot
 * express), EXIT_FAILED otherwise.
 */
int cli_exit_for(int err);

/*
 * Options of a command that takes only --json and --help and no arguments:
 * returns -1 to go on, or the exit code to return (help shown, bad usage).
 */
int cli_simple_options(struct cli *c, const char *name, int argc, char **argv,
		       void (*usage)(FILE *out));

int cmd_status(struct cli *c, int argc, char **argv);
int cmd_hugepages(struct cli *c, int argc, char **argv);
int cmd_qemu_args(struct cli *c, int argc, char **argv);
int cmd_xml(struct cli *c, int argc, char **argv);
int cmd_lint(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_explain(struct cli *c, int argc, char **argv);
int cmd_stat(struct cli *c, int argc, char **argv);
int cmd_run(struct cli *c, int argc, char **argv);
int cmd_hook(struct cli *c, int argc, char **argv);
int cmd_complete(struct cli *c, int argc, char **argv);

/* Every command's name (and "help"), one per line. */
void cli_print_command_names(FILE *out);

#endif
