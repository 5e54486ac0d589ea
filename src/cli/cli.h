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

/*
 * Which of 1 and 2: exit 2 is for what the caller typed or named (arguments,
 * option values, a file named on the command line such as --domain FILE or
 * explain's log, a --root that is not a Linux tree) and for requests the
 * guards refuse.  A file kvmtune reads from the host, below / or --root
 * (/proc, /sys, /etc, /run), that is missing where needed, unreadable or
 * malformed is exit 1, whatever the command: the caller cannot fix it by
 * changing the command line.
 */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,  /* the command ran and found errors, or failed (also: a bad host file) */
	EXIT_USAGE = 2,	  /* bad usage or bad input on the command line: nothing was changed */
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
 * Exit code for a failed core call on the caller's input (arguments, files
 * named on the command line): EXIT_USAGE for bad input (-EINVAL, -ERANGE,
 * -ENOENT of an input file), EXIT_FAILED otherwise.  Failures reading the
 * host are EXIT_FAILED (see enum exit_code).
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

#endif
