/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune hook qemu NAME OPERATION SUB-OPERATION EXTRA: libvirt's QEMU hook
 * (/etc/libvirt/hooks/qemu.d/kvmtune calls it), the domain XML on stdin.
 * 'prepare' reserves the domain's hugepages on its nodes, refusing (exit 1,
 * the reason on stderr, which libvirt puts in its error) when the host would
 * starve; 'started' hands the reservation's record to QEMU (holder PID from
 * /run/libvirt/qemu/NAME.pid), so 'hugepages release --stale' frees it once
 * QEMU is gone even when libvirtd never calls 'release' (it crashed);
 * 'release' gives them back.  Other operations do nothing.  Nothing
 * goes to stdout: libvirt would take it as a new domain XML for some
 * operations.  Every wait is bounded (--timeout, and an alarm behind it).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd-hugepages.h"
#include "cli/render.h"
#include "core/domxml.h"
#include "core/host.h"
#include "core/hugepages-reserve.h"
#include "core/hugepages-txn.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* The most domain XML read from stdin. */
#define HOOK_XML_MAX (16u << 20)
/* Where libvirt's QEMU driver keeps NAME.pid (below the root). */
#define HOOK_LIBVIRT_RUN_DIR "/run/libvirt/qemu"

static void hook_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune hook [--timeout S] [--keep-free SIZE] [--dry-run] [--json]\n"
		"                    qemu NAME OPERATION SUB-OPERATION EXTRA < DOMAIN.xml\n\n"
		"libvirt's QEMU hook, as /etc/libvirt/hooks/qemu.d/kvmtune calls it (the\n"
		"domain XML on stdin).  'prepare': reserve the domain's hugepages on its nodes\n"
		"(its <memnode>s, else its <numatune> nodeset, else the host-wide pool; owner:\n"
		"the domain's name), all or nothing; a request that would leave a node less\n"
		"than its keep-free memory is refused with exit 1 and the reason on stderr,\n"
		"which libvirt reports as the start's error; the record's holder is the hook's\n"
		"parent, libvirtd (the hook must be exec'd).  'started': the holder becomes\n"
		"QEMU (/run/libvirt/qemu/NAME.pid), so 'hugepages release --stale' frees the\n"
		"pages once QEMU is gone, also after a libvirtd crash.  'release': give them\n"
		"back.  Every other operation does nothing.  Output goes to stderr only, and\n"
		"the whole hook ends within --timeout seconds (default 30) plus 15 s.\n\n"
		"  --timeout S        seconds for the lock and the pool growth (default 30)\n"
		"  --keep-free SIZE   memory each node keeps out of the pools (default\n"
		"                     max(5%% of the node, 512 MiB))\n"
		"  --dry-run          decide only; print the plan (on stderr)\n"
		"  --json             the report as JSON (on stderr)\n");
}

struct hook_opts {
	unsigned timeout_s;
	int64_t keep_free_kib;
};

/* Options and the five arguments: true to stop now with *ret_exit (help, bad usage). */
static bool parse_opts(struct cli *c, int argc, char **argv, struct hook_opts *o, int *ret_exit)
{
	static const struct option opts[] = {
		{"timeout", required_argument, NULL, 't'},
		{"keep-free", required_argument, NULL, 'k'},
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int opt;

	*o = (struct hook_opts){.timeout_s = 30, .keep_free_kib = -1};
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_u64(optarg, &v) < 0 || v == 0 || v > 3600) {
				cli_error("--timeout: expected whole seconds, 1 to 3600, got '%s'",
					  optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			o->timeout_s = (unsigned)v;
			break;
		case 'k':
			if (parse_size_kib(optarg, &v) < 0 || v > INT64_MAX / 2) {
				cli_error("--keep-free: expected a size such as 512M, got '%s'",
					  optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			o->keep_free_kib = (int64_t)v;
			break;
		case 'n':
			c->dry_run = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			hook_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		default:
			hook_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	if (argc - optind != 5 || strcmp(argv[optind], "qemu") != 0) {
		cli_error("hook: expected 'qemu NAME OPERATION SUB-OPERATION EXTRA' as libvirt "
			  "calls /etc/libvirt/hooks/qemu (see --help)");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

/*
 * The owner for a domain name: the name where it is a valid owner, else its
 * characters outside [A-Za-z0-9_.@:-] as '_', a leading '.' as '_', cut to
 * HP_OWNER_MAX.
 */
static void hook_owner(const char *name, char *buf, size_t bufsz)
{
	static const char ok[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@:-";
	size_t n = 0;

	for (const char *p = name; *p && n + 1 < bufsz && n < HP_OWNER_MAX; p++) {
		if (strchr(ok, *p))
			buf[n++] = *p;
		else
			buf[n++] = '_';
	}
	buf[n] = '\0';
	if (n == 0)
		(void)snprintf(buf, bufsz, "_");
	if (buf[0] == '.')
		buf[0] = '_';
}

static int read_stdin(char **ret, size_t *ret_len)
{
	struct sbuf sb = SBUF_INIT;
	char chunk[65536];
	ssize_t n;

	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || sb.len + (size_t)n > HOOK_XML_MAX) {
			sbuf_release(&sb);
			return n < 0 ? -errno : -EFBIG;
		}
		sbuf_add(&sb, chunk, (size_t)n);
	}
	*ret = sbuf_detach(&sb, ret_len);
	return 0;
}

/* stdout is libvirt's (a new domain XML for some operations): reports go to stderr. */
static int to_stderr(void)
{
	int saved = dup(1);

	(void)fflush(stdout);
	if (saved >= 0)
		(void)dup2(2, 1);
	return saved;
}

static void restore_stdout(int saved)
{
	(void)fflush(stdout);
	if (saved >= 0) {
		(void)dup2(saved, 1);
		(void)close(saved);
	}
}

static struct hp_txn_opts txn_opts(struct cli *c, const struct hook_opts *o)
{
	struct hp_txn_opts t = {
		.keep_free_kib = o->keep_free_kib, .dry_run = c->dry_run, .clean_stale = true};

	t.lock_timeout_ms = o->timeout_s * 1000 / 3;
	t.apply.timeout_s =
		o->timeout_s - o->timeout_s / 3 > 0 ? o->timeout_s - o->timeout_s / 3 : 1;
	return t;
}

/*
 * The holder of a record the hook writes at 'prepare': its parent, libvirtd
 * (the packaged script execs kvmtune).  None under --root: the parent is a
 * process of this machine, not of the tree.
 */
static void prepare_holder(struct host *h, struct hp_txn_opts *t)
{
	int ppid = (int)getppid();
	uint64_t start = 0;

	if (!host_is_live(h) || t->dry_run || ppid <= 1 ||
	    hp_proc_start_time(h, ppid, &start, NULL) < 0)
		return;
	t->holder_pid = ppid;
	t->holder_start = start;
}

static int hook_prepare(struct cli *c, const struct hook_opts *o, const char *owner)
{
	AUTOFREE char *xml = NULL;
	struct hp_txn_opts t = txn_opts(c, o);
	struct hp_needs needs = {0};
	struct host_model m = {0};
	struct vm_spec vm;
	struct diag d = {0};
	struct host *h;
	size_t len = 0;
	int r, rc;

	r = read_stdin(&xml, &len);
	if (r < 0) {
		cli_error("hook: reading the domain XML from stdin: %s", strerror(-r));
		return EXIT_USAGE;
	}
	r = cli_host(c, &h, &d);
	if (r < 0) {
		(void)cli_fail(&d, r);
		return EXIT_FAILED;
	}
	vm_spec_init(&vm);
	r = domxml_parse(xml, len, &vm, &d);
	if (r >= 0)
		r = host_model_load_flags(h, HOST_MODEL_NO_TOPOLOGY | HOST_MODEL_NO_PROCESSES, &m,
					  &d);
	if (r >= 0)
		r = hp_needs_from_vm(&vm, &m, &needs, &d);
	prepare_holder(h, &t);
	if (r < 0) {
		cli_error_diag(&d, r);
		rc = cli_exit_for(r);
	} else if (!needs.n) {
		rc = EXIT_OK; /* no hugepages: nothing to reserve */
	} else {
		rc = hp_cli_reserve(c, owner, &needs, &t, true);
	}
	hp_needs_release(&needs);
	host_model_release(&m);
	vm_spec_release(&vm);
	/* libvirt stops the start on any non-zero status; 1 reads as "refused" in its log */
	return rc == EXIT_OK ? EXIT_OK : EXIT_FAILED;
}

/* QEMU's PID from libvirt's PID file for domain name (through the seam), and its start time. */
static int qemu_pid_of(struct host *h, const char *name, int *ret_pid, uint64_t *ret_start,
		       struct diag *d)
{
	AUTOFREE char *path = NULL;
	AUTOFREE char *text = NULL;
	int r;

	/* libvirt's names never hold '/'; a hostile one must not leave the directory */
	if (!*name || strchr(name, '/') || name[0] == '.')
		return diag_set(d, EINVAL, "NAME",
				"domain name '%s': no PID file of libvirt's can have that name",
				name);
	path = xasprintf("%s/%s.pid", HOOK_LIBVIRT_RUN_DIR, name);
	r = host_read_attr(h, path, &text, NULL, d);
	if (r == -ENOENT)
		return diag_set(d, ESRCH, path, "'%s': no such PID file", path);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	if (parse_int(text, ret_pid) < 0 || *ret_pid <= 1) {
		AUTOFREE char *got = str_escape(text, 32);

		return diag_set(d, EINVAL, path, "'%s': expected a PID, got '%s'", path, got);
	}
	r = hp_proc_start_time(h, *ret_pid, ret_start, d);
	if (r == -ENOENT)
		return diag_set(d, ESRCH, path, "'%s': QEMU's PID %d is not running", path,
				*ret_pid);
	return r;
}

/* Whether owner has a reservation record (a bad record directory: say yes, the update reports it).
 */
static bool has_record(struct host *h, const char *owner)
{
	struct hp_resv_list l = {0};
	bool found = hp_resv_load(h, &l, NULL) < 0;

	for (size_t i = 0; i < l.n; i++)
		found = found || strcmp(l.v[i].owner, owner) == 0;
	hp_resv_release(&l);
	return found;
}

/*
 * 'started': the domain's reservation record gets QEMU as its holder.  Never
 * fails the start (libvirt would stop the domain): a failure is reported on
 * stderr and the record keeps libvirtd as its holder.  A domain without a
 * reservation has nothing to hand over.
 */
static int hook_started(struct cli *c, const struct hook_opts *o, const char *name,
			const char *owner)
{
	struct diag d = {0};
	struct host *h;
	uint64_t start = 0;
	int pid = 0, r;

	r = cli_host(c, &h, &d);
	if (r >= 0 && !has_record(h, owner))
		return EXIT_OK; /* no hugepages reserved for it */
	if (r >= 0)
		r = qemu_pid_of(h, name, &pid, &start, &d);
	if (r >= 0 && c->dry_run) {
		printf("dry run: the reservation of '%s', if any, would be held by QEMU pid %d\n",
		       owner, pid);
		return EXIT_OK;
	}
	if (r >= 0)
		r = hp_txn_set_holder(h, owner, pid, start, o->timeout_s * 1000 / 3, &d);
	if (r == -ENOENT)
		return EXIT_OK; /* released meanwhile */
	if (r < 0) {
		cli_error_diag(&d, r);
		cli_error("hook: '%s': the reservation's holder stays libvirtd (the start goes on)",
			  owner);
		return EXIT_OK;
	}
	if (c->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "owner", json_object_new_string(owner));
		json_object_object_add(j, "holder_pid", json_object_new_int(pid));
		json_object_object_add(j, "holder_start", json_object_new_int64((int64_t)start));
		json_object_object_add(j, "dry_run", json_object_new_boolean(false));
		render_json_print(j, stdout);
	} else {
		printf("reservation of '%s' now held by QEMU pid %d\n", owner, pid);
	}
	return EXIT_OK;
}

int cmd_hook(struct cli *c, int argc, char **argv)
{
	char owner[HP_OWNER_MAX + 1];
	struct hook_opts o;
	const char *op;
	int rc, saved;

	if (parse_opts(c, argc, argv, &o, &rc))
		return rc;
	/* the backstop: libvirt waits for its hooks, this one never hangs it */
	(void)alarm(o.timeout_s + 15);
	hook_owner(argv[optind + 1], owner, sizeof(owner));
	op = argv[optind + 2];
	saved = to_stderr();
	if (strcmp(op, "prepare") == 0) {
		rc = hook_prepare(c, &o, owner);
	} else if (strcmp(op, "started") == 0) {
		rc = hook_started(c, &o, argv[optind + 1], owner);
	} else if (strcmp(op, "release") == 0) {
		struct hp_txn_opts t = txn_opts(c, &o);
		char *owners[] = {owner};

		rc = hp_cli_release(c, owners, 1, &t);
	} else {
		rc = EXIT_OK; /* start, stopped, migrate, restore, reconnect, attach */
	}
	restore_stdout(saved);
	return rc;
}
