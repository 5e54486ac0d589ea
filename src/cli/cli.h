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
	const char *cmdline; /* the whole command line, for the undo journal */
	/* KVMTUNE_TEST_FAIL_WRITE=K: the K-th host write fails (fault injection in tests) */
	unsigned fail_write_at;
	unsigned writes_seen;
};

/*
 * The one return convention of the CLI.  A command handler returns an
 * enum exit_code, nothing else.  Core calls return >= 0 or -errno with a
 * struct diag; the command prints the diag once (cli_error_diag) and returns
 * cli_exit_for(-errno).  Option parsers return true when the command must
 * stop now (help shown, or a usage error printed) with the exit code in
 * *ret_exit, false to go on: no sentinel values that could collide with an
 * -errno.
 */

/* Open cli->host if needed (nothing printed); -errno with d filled on failure. */
int cli_host(struct cli *c, struct host **ret, struct diag *d);
/* Print "kvmtune: <msg>" (and the diag's sentence) on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_error_diag(const struct diag *d, int err);
/*
 * Exit code for a failed core call, one rule for every command: EXIT_USAGE
 * (2) when the input or the request is at fault and nothing was changed
 * (-EINVAL malformed, -ERANGE too large or refused by the keep-free guard,
 * -ENOENT/-ENOTDIR missing, -EEXIST contradicting what is there, -EFBIG an
 * input file over its limit, -ELOOP a symlink where a file must be, -EDOM a request the target,
 * a QEMU version, cannot express); EXIT_FAILED (1) when the command could not do its work
 * (permissions, I/O, a lock held by another kvmtune, ...).
 * A failure reading the host (a file below / or --root that is missing,
 * unreadable or malformed) is EXIT_FAILED whatever its errno: callers use
 * cli_fail_host() for it (see enum exit_code).
 */
int cli_exit_for(int err);

/*
 * Options of a command that takes only --json and --help and no arguments:
 * true to stop with *ret_exit (help shown, bad usage), false to go on.
 */
bool cli_simple_options(struct cli *c, const char *name, int argc, char **argv,
			void (*usage)(FILE *out), int *ret_exit);
/* Print d (or strerror(err)) and return the exit code for err: the usual failure path. */
int cli_fail(const struct diag *d, int err);
/* Print d (or strerror(err)); EXIT_FAILED: reading the host failed (see enum exit_code). */
int cli_fail_host(const struct diag *d, int err);

int cmd_status(struct cli *c, int argc, char **argv);
int cmd_hugepages(struct cli *c, int argc, char **argv);
int cmd_qemu_args(struct cli *c, int argc, char **argv);
int cmd_xml(struct cli *c, int argc, char **argv);
int cmd_lint(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_explain(struct cli *c, int argc, char **argv);
int cmd_stat(struct cli *c, int argc, char **argv);
int cmd_profile(struct cli *c, int argc, char **argv);
int cmd_undo(struct cli *c, int argc, char **argv);
int cmd_plan(struct cli *c, int argc, char **argv);
int cmd_bench(struct cli *c, int argc, char **argv);
int cmd_top(struct cli *c, int argc, char **argv);
int cmd_run(struct cli *c, int argc, char **argv);
int cmd_hook(struct cli *c, int argc, char **argv);
int cmd_complete(struct cli *c, int argc, char **argv);

/* Every command's name (and "help"), one per line. */
void cli_print_command_names(FILE *out);

#endif
