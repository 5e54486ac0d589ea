/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune: global options, the command table and dispatch.  The only file
 * allowed to exit the process for usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/daemon-entry.h"
#include "core/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/sbuf.h"

#include "util/banned.h"

#ifndef KVMTUNE_VERSION
#define KVMTUNE_VERSION "0.0"
#endif

enum cmd_flags {
	CMD_NEEDS_HOST = 1u << 0, /* reads the host through --root */
	CMD_WRITES = 1u << 1,	  /* may change the host: supports --dry-run */
};

/* The daemon's commands live in src/daemon, reached through core/daemon-entry.h. */
static int cmd_daemon(struct cli *c, int argc, char **argv)
{
	struct daemon_entry e = {c->root, c->json, c->dry_run, c->verbose};

	return daemon_cmd_main(&e, argc, argv);
}

static int cmd_numad(struct cli *c, int argc, char **argv)
{
	struct daemon_entry e = {c->root, c->json, c->dry_run, c->verbose};

	return numad_cmd_main(&e, argc, argv);
}

struct command {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	unsigned flags;
	const char *summary;
};

static const struct command commands[] = {
	{"status", cmd_status, CMD_NEEDS_HOST,
	 "show CPUs, NUMA nodes, memory, hugepage pools, mounts and memory knobs"},
	{"hugepages", cmd_hugepages, CMD_NEEDS_HOST | CMD_WRITES,
	 "show and size hugepage pools per node, despite fragmentation"},
	{"qemu-args", cmd_qemu_args, CMD_NEEDS_HOST,
	 "print a VM's memory as QEMU arguments (from flags or a libvirt domain XML)"},
	{"xml", cmd_xml, CMD_NEEDS_HOST | CMD_WRITES,
	 "print a VM's memory as libvirt XML, or merge it into a domain file"},
	{"lint", cmd_lint, CMD_NEEDS_HOST,
	 "check a VM's memory configuration (domain XML or flags) against this host"},
	{"check", cmd_check, CMD_NEEDS_HOST,
	 "validate the host for hugepage-backed, NUMA-local VMs (findings with fixes)"},
	{"explain", cmd_explain, CMD_NEEDS_HOST,
	 "explain QEMU/libvirt memory errors from a log: cause on this host and fix"},
	{"stat", cmd_stat, CMD_NEEDS_HOST,
	 "per-process and per-VM memory per NUMA node (numastat-compatible)"},
	{"run", cmd_run, CMD_NEEDS_HOST | CMD_WRITES,
	 "start a QEMU VM placed, hugepage-backed and pinned; release its pages at exit"},
	{"hook", cmd_hook, CMD_NEEDS_HOST | CMD_WRITES,
	 "libvirt's QEMU hook: reserve a domain's hugepages on prepare, release them"},
	{"complete", cmd_complete, CMD_NEEDS_HOST,
	 "words for shell completion: commands, nodes, page sizes, reservation owners"},
	{"profile", cmd_profile, CMD_NEEDS_HOST | CMD_WRITES,
	 "verify, diff or apply a host profile (sysctls, THP, KSM, I/O schedulers, CPU)"},
	{"undo", cmd_undo, CMD_NEEDS_HOST | CMD_WRITES,
	 "list the changes kvmtune made, or revert one (from the undo journal)"},
	{"plan", cmd_plan, CMD_NEEDS_HOST | CMD_WRITES,
	 "place VMs on NUMA nodes: nodes, pins, hugepages per node; or what still fits"},
	{"top", cmd_top, CMD_NEEDS_HOST,
	 "live per-VM view: memory per node, locality, vCPUs, KVM exit rates"},
	{"bench", cmd_bench, CMD_NEEDS_HOST,
	 "measure memory latency and bandwidth per NUMA node pair and page size"},
	{"daemon", cmd_daemon, CMD_NEEDS_HOST | CMD_WRITES,
	 "keep each VM's memory and vCPUs on one NUMA node (numad's successor)"},
	{"numad", cmd_numad, CMD_NEEDS_HOST,
	 "numad -w NCPUS:MB: a node set for libvirt's placement='auto'"},
};

void cli_print_command_names(FILE *out)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "%s\n", commands[i].name);
	fprintf(out, "help\n");
}

static void usage(FILE *out)
{
	fprintf(out, "usage: kvmtune [--root DIR] [--json] [--dry-run] [-v] <command> [<args>]\n"
		     "       kvmtune --version | help [<command>]\n\n"
		     "Hugepage-backed, NUMA-local memory for QEMU/KVM virtual machines.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\nGlobal options:\n"
		"  --root DIR   read and write the host below DIR instead of / (a captured tree)\n"
		"  --json       machine-readable output\n"
		"  --dry-run    print the plan of changes, change nothing\n"
		"  -v, --verbose  more detail (repeatable)\n"
		"  --version    print the version\n\n"
		"Exit codes: 0 ok, 1 failed or errors found (also: a host file below / or --root\n"
		"is unreadable or malformed), 2 bad usage or bad input on the command line\n"
		"(nothing changed), 3 partly applied or rolled back.\n"
		"'kvmtune <command> --help' describes a command.\n");
}

void cli_error(const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	AUTOFREE char *msg = NULL;
	AUTOFREE char *safe = NULL;
	va_list ap;

	/* Messages quote values from files and argv: made terminal-safe as a whole. */
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	msg = sbuf_detach(&sb, NULL);
	safe = str_term_safe(msg);
	fprintf(stderr, "kvmtune: %s\n", safe);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	char *msg;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	msg = sbuf_detach(&sb, NULL);
	cli_error("%s", msg);
	free(msg); /* exit() runs no cleanup attribute */
	exit(EXIT_USAGE);
}

void cli_error_diag(const struct diag *d, int err)
{
	if (d && d->msg[0])
		cli_error("%s", d->msg);
	else
		cli_error("%s", strerror(err < 0 ? -err : err));
}

int cli_exit_for(int err)
{
	switch (err < 0 ? -err : err) {
	case EINVAL: /* malformed input: a flag, a spec, a file of the tree, a FIFO for a file */
	case ERANGE: /* too large: a size, a count, a request the keep-free guard refuses */
	case ENOENT: /* a file, node, group or owner that does not exist */
	case ENOTDIR:
	case EDOM:   /* a request the target (a QEMU version) cannot express */
	case EEXIST: /* contradicts what is there (an owner's different reservation) */
	case EFBIG:  /* an input file over its size limit */
	case ELOOP:  /* a symlink where a file must be */
		return EXIT_USAGE;
	default:
		return EXIT_FAILED;
	}
}

int cli_fail(const struct diag *d, int err)
{
	cli_error_diag(d, err);
	return cli_exit_for(err);
}

/* Fault injection for tests: the K-th write through the host seam fails with EIO. */
static int fail_write_hook(void *userdata, const char *path, const char *value)
{
	struct cli *c = userdata;

	(void)path;
	(void)value;
	return ++c->writes_seen == c->fail_write_at ? -EIO : 0;
}

int cli_fail_host(const struct diag *d, int err)
{
	cli_error_diag(d, err);
	return EXIT_FAILED;
}

int cli_host(struct cli *c, struct host **ret, struct diag *d)
{
	const char *fail = getenv("KVMTUNE_TEST_FAIL_WRITE");
	int r;

	if (!c->host) {
		unsigned flags = getenv("KVMTUNE_NO_OPENAT2") ? HOST_OPEN_NO_OPENAT2 : 0;

		r = host_open_flags(c->root, flags, &c->host, d);
		if (r < 0)
			return r;
		if (fail && *fail && parse_u32(fail, &c->fail_write_at) >= 0 && c->fail_write_at)
			host_set_write_hook(c->host, fail_write_hook, c);
	}
	*ret = c->host;
	return 0;
}

/*
 * argv as one line for the journal: "kvmtune" for argv[0], words with blanks
 * or shell characters single-quoted, control characters as '?'.
 */
static char *join_argv(int argc, char **argv)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "kvmtune");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool quote = !*a || strpbrk(a, " \t\n'\"\\$`;&|<>*?()[]{}~#!");

		sbuf_addc(&sb, ' ');
		if (quote)
			sbuf_addc(&sb, '\'');
		for (; *a; a++) {
			if (*a == '\'')
				sbuf_adds(&sb, "'\\''");
			else if ((unsigned char)*a < 0x20 || *a == 0x7f)
				sbuf_addc(&sb, '?');
			else
				sbuf_addc(&sb, *a);
		}
		if (quote)
			sbuf_addc(&sb, '\'');
	}
	return sbuf_detach(&sb, NULL);
}

bool cli_simple_options(struct cli *c, const char *name, int argc, char **argv,
			void (*show_usage)(FILE *out), int *ret_exit)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'h':
			show_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		default:
			show_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	if (optind < argc) {
		cli_error("%s takes no arguments, got '%s'", name, argv[optind]);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"dry-run", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cli c = {0};
	const struct command *cmd;
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
	char *cmdline;
	int opt, r;

	/* installed (or bind-mounted) as numad: answer libvirt's 'numad -w N:M' */
	base = base ? base + 1 : argv[0];
	if (base && strcmp(base, "numad") == 0)
		return cmd_numad(&c, argc, argv);

	/* '+': stop at the first non-option, the command name. */
	while ((opt = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			c.root = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 'n':
			c.dry_run = true;
			break;
		case 'v':
			c.verbose++;
			break;
		case 'V':
			printf("kvmtune %s\n", KVMTUNE_VERSION);
			return EXIT_OK;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 < argc) {
			cmd = find_command(argv[optind + 1]);
			if (!cmd)
				die("'%s' is not a kvmtune command; see 'kvmtune help'",
				    argv[optind + 1]);
			char *sub[] = {(char *)cmd->name, (char *)"--help", NULL};

			optind = 0;
			return cmd->fn(&c, 2, sub);
		}
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		die("'%s' is not a kvmtune command; see 'kvmtune help'", argv[optind]);
	if (c.dry_run && !(cmd->flags & CMD_WRITES))
		die("'%s' changes nothing; --dry-run does not apply to it", cmd->name);
	cmdline = join_argv(argc, argv);
	c.cmdline = cmdline;
	argc -= optind;
	argv += optind;
	optind = 0; /* reset getopt for the subcommand (glibc: 0 re-initialises) */
	r = cmd->fn(&c, argc, argv);
	host_free(c.host);
	free(cmdline);
	return r;
}
