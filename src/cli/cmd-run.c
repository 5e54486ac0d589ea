/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune run [options] -- QEMU ARGS...: start a VM the right way in one
 * step: place it (--nodes), reserve its hugepages (owner = the VM's name),
 * add the memory arguments the QEMU version accepts, start QEMU paused with
 * its own QMP socket, pin its vCPU and emulator threads, resume it, wait,
 * and release the pages whatever the exit.  QEMU's exit status is run's.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd-hugepages.h"
#include "cli/qemu-target.h"
#include "cli/render.h"
#include "cli/run-report.h"
#include "core/host.h"
#include "core/hugepages-reserve.h"
#include "core/hugepages-txn.h"
#include "core/model.h"
#include "core/qemu-args.h"
#include "core/vmspec.h"
#include "run/run-argv.h"
#include "run/run-launch.h"
#include "run/run-place.h"
#include "run/run-plan.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune run [--nodes LIST] [--page SIZE] [--mem SIZE] [--vcpus N]\n"
		"                   [--name NAME] [--hugetlbfs DIR] [--qemu-version X.Y]\n"
		"                   [--keep-free SIZE] [--timeout S] [--quiet] [--dry-run] "
		"[--json]\n"
		"                   -- qemu-system-x86_64 ARGS...\n\n"
		"Start a VM the right way in one step: place it (--nodes, else the planner's\n"
		"choice as 'kvmtune plan' makes it; one node: memory bound there; several:\n"
		"one guest NUMA cell per node), reserve its hugepages\n"
		"(owner: the VM's name), add the memory arguments this QEMU version accepts\n"
		"(as 'kvmtune qemu-args'), start QEMU paused with a QMP socket of its own, pin\n"
		"each vCPU thread to its node's CPUs and QEMU's other threads to the nodes' CPUs,\n"
		"resume it (unless ARGS have -S), and wait.  SIGINT, SIGTERM, SIGHUP and SIGQUIT\n"
		"are passed to QEMU; its exit status is run's (128+N when signal N ended it).\n"
		"The pages are released however QEMU ends; if run itself is killed, QEMU gets\n"
		"SIGTERM and the record left is released by the next run or 'hugepages\n"
		"release'.  The VM's size and vCPUs come from -m and -smp unless given here;\n"
		"ARGS may not set the memory layout (-mem-path, -mem-prealloc, -numa, memory\n"
		"backends, -machine memory-backend=) nor -daemonize.\n\n"
		"  --nodes LIST       host NUMA nodes (default: where the planner puts the VM,\n"
		"                     counting the VMs and reservations already there)\n"
		"  --page SIZE        2M, 1G, 'default' (the host's default hugepage size,\n"
		"                     the default) or 'none'\n"
		"  --mem SIZE         guest memory (else -m; both must agree)\n"
		"  --vcpus N          vCPUs (else -smp; default 1)\n"
		"  --name NAME        the VM's name and reservation owner: 1-64 letters, digits\n"
		"                     or '_.@:-' (else -name guest=, or run-PID)\n"
		"  --hugetlbfs DIR    the hugetlbfs mount for the backends\n"
		"  --qemu-version X.Y instead of asking the binary for its version\n"
		"  --keep-free SIZE   memory each node keeps out of the pools (as hugepages set)\n"
		"  --timeout S        seconds to find the pages (default 60)\n"
		"  --quiet            no progress lines on stderr\n"
		"  --dry-run          print the command line, the pins and the reservation\n"
		"  --json             a JSON report on stdout (after QEMU ends)\n");
}

struct run_opts {
	const char *nodes, *page, *mem, *vcpus, *name, *hugetlbfs, *qemu_version;
	int64_t keep_free_kib;
	unsigned timeout_s;
	bool quiet;
};

static int parse_opt(struct cli *c, int opt, struct run_opts *o)
{
	uint64_t v;

	switch (opt) {
	case 'N':
		o->nodes = optarg;
		break;
	case 'p':
		o->page = optarg;
		break;
	case 'm':
		o->mem = optarg;
		break;
	case 'c':
		o->vcpus = optarg;
		break;
	case 'n':
		o->name = optarg;
		break;
	case 'H':
		o->hugetlbfs = optarg;
		break;
	case 'V':
		o->qemu_version = optarg;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'd':
		c->dry_run = true;
		break;
	case 'j':
		c->json = true;
		break;
	case 'k':
		if (parse_size_kib(optarg, &v) < 0 || v > INT64_MAX / 2) {
			cli_error("--keep-free: expected a size such as 512M, got '%s'", optarg);
			return EXIT_USAGE;
		}
		o->keep_free_kib = (int64_t)v;
		break;
	case 't':
		if (parse_u64(optarg, &v) < 0 || v == 0 || v > 86400) {
			cli_error("--timeout: expected whole seconds, 1 to 86400, got '%s'",
				  optarg);
			return EXIT_USAGE;
		}
		o->timeout_s = (unsigned)v;
		break;
	default:
		run_usage(stderr);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * Options up to '--'; *ret_first is the index of the QEMU binary.  True to
 * stop now with *ret_exit (help shown, bad usage).
 */
static bool parse_opts(struct cli *c, int argc, char **argv, struct run_opts *o, int *ret_first,
		       int *ret_exit)
{
	static const struct option opts[] = {
		{"nodes", required_argument, NULL, 'N'},
		{"page", required_argument, NULL, 'p'},
		{"mem", required_argument, NULL, 'm'},
		{"vcpus", required_argument, NULL, 'c'},
		{"name", required_argument, NULL, 'n'},
		{"hugetlbfs", required_argument, NULL, 'H'},
		{"qemu-version", required_argument, NULL, 'V'},
		{"keep-free", required_argument, NULL, 'k'},
		{"timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"dry-run", no_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	*o = (struct run_opts){.keep_free_kib = -1, .timeout_s = 60};
	*ret_exit = EXIT_USAGE;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (opt == 'h') {
			run_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		}
		if (parse_opt(c, opt, o) != EXIT_OK)
			return true;
	}
	if (optind >= argc) {
		cli_error("run: give the QEMU command after '--' (see --help)");
		return true;
	}
	if (optind < 1 || strcmp(argv[optind - 1], "--") != 0) {
		AUTOFREE char *got = str_escape(argv[optind], 200);

		cli_error("run: put '--' before the QEMU command, got '%s'", got);
		return true;
	}
	*ret_first = optind;
	return false;
}

/* The VM's size, vCPUs and name from the options and ARGS; conflicts refused. */
static int vm_shape(const struct run_opts *o, const struct run_argv *a, struct run_state *s)
{
	uint64_t mem = 0;
	uint32_t n = 0;

	if (o->mem && (parse_size_kib(o->mem, &mem) < 0 || mem == 0)) {
		cli_error("--mem: expected a size such as 4G, got '%s'", o->mem);
		return EXIT_USAGE;
	}
	if (o->mem && a->mem_kib && mem != a->mem_kib) {
		cli_error("run: --mem %s and QEMU's -m (%llu KiB) disagree", o->mem,
			  (unsigned long long)a->mem_kib);
		return EXIT_USAGE;
	}
	s->mem_kib = mem ? mem : a->mem_kib;
	if (!s->mem_kib) {
		cli_error("run: give the VM's memory with --mem or QEMU's -m");
		return EXIT_USAGE;
	}
	if (o->vcpus && (parse_u32(o->vcpus, &n) < 0 || n == 0 || n > 16384)) {
		cli_error("--vcpus: expected 1 to 16384, got '%s'", o->vcpus);
		return EXIT_USAGE;
	}
	if (n && a->vcpus && n != a->vcpus) {
		cli_error("run: --vcpus %u and QEMU's -smp (%u CPUs) disagree", n, a->vcpus);
		return EXIT_USAGE;
	}
	s->vcpus = n ? n : a->vcpus ? a->vcpus : 1;
	if (o->name && a->name && strcmp(o->name, a->name) != 0) {
		AUTOFREE char *opt = str_escape(o->name, 200);
		AUTOFREE char *arg = str_escape(a->name, 200);

		cli_error("run: --name '%s' and QEMU's -name '%s' disagree", opt, arg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * The reservation owner: the VM's name where it is a valid owner, else
 * run-PID (run's own PID; the dry run shows "run-PID").  A --name that is
 * not a valid owner is refused (EXIT_USAGE): it was asked for by name.
 */
static int pick_owner(struct cli *c, const struct run_opts *o, const struct run_argv *a,
		      struct run_state *s)
{
	const char *name = o->name ? o->name : a->name;

	if (o->name && hp_owner_check(o->name, NULL) < 0) {
		AUTOFREE char *got = str_escape(o->name, 200);

		cli_error("--name '%s': not a valid name: it is the owner of the VM's hugepage "
			  "reservation, 1-%d letters, digits or '_.@:-', not starting with '.'",
			  got, HP_OWNER_MAX);
		return EXIT_USAGE;
	}
	if (name && hp_owner_check(name, NULL) == 0)
		(void)snprintf(s->owner, sizeof(s->owner), "%s", name);
	else if (c->dry_run)
		(void)snprintf(s->owner, sizeof(s->owner), "run-PID");
	else
		(void)snprintf(s->owner, sizeof(s->owner), "run-%d", (int)getpid());
	return EXIT_OK;
}

static void add_arg(struct run_state *s, const char *arg)
{
	s->argv = xreallocarray(s->argv, s->argc + 2, sizeof(*s->argv));
	s->argv[s->argc++] = xstrdup(arg);
	s->argv[s->argc] = NULL;
}

/* ARGS without -m, then -smp/-name when given only here, the memory, -S, the QMP socket. */
static void final_argv(const struct run_opts *o, const struct run_argv *a,
		       const struct qemu_mem_args *mem, struct run_state *s)
{
	for (size_t i = 0; i < a->nrest; i++)
		add_arg(s, a->rest[i]);
	if (!a->has_smp && s->vcpus > 1) {
		AUTOFREE char *smp = xasprintf("%u", s->vcpus);

		add_arg(s, "-smp");
		add_arg(s, smp);
	}
	if (o->name && !a->name) {
		struct sbuf name = SBUF_INIT;

		sbuf_adds(&name, "guest=");
		for (const char *p = o->name; *p; p++) {
			if (*p == ',') /* QemuOpts: ',' is written ',,' */
				sbuf_addc(&name, ',');
			sbuf_addc(&name, *p);
		}
		sbuf_adds(&name, ",debug-threads=on");
		add_arg(s, "-name");
		add_arg(s, name.buf);
		sbuf_release(&name);
	}
	for (size_t i = 0; i < mem->argc; i++)
		add_arg(s, mem->argv[i]);
	if (!a->paused)
		add_arg(s, "-S");
	add_arg(s, "-qmp");
	{
		AUTOFREE char *qmp = xasprintf("unix:%s,server=on,wait=off", s->qmp_path);

		add_arg(s, qmp);
	}
}

static int parse_page(const struct run_opts *o, uint64_t *ret)
{
	if (!o->page || strcmp(o->page, "default") == 0)
		*ret = VM_PAGE_HOST_DEFAULT;
	else if (strcmp(o->page, "none") == 0)
		*ret = VM_PAGE_NORMAL;
	else if (parse_size_kib(o->page, ret) < 0 || *ret < 4 || (*ret & (*ret - 1))) {
		cli_error("--page: '%s' is not a page size (2M, 1G, default, none)", o->page);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * No --nodes: the planner's choice (run/run-plan.c) into *nodes.  A VM the
 * planner places nowhere is refused (exit 2, its reason per node); *ret_r
 * gets -errno when the host or the request could not be read.
 */
static int ask_planner(const struct run_opts *o, struct run_state *s,
		       const struct run_place_req *req, struct cpuset *nodes, struct diag *d,
		       int *ret_r)
{
	struct run_plan_opts po = {s->owner, o->keep_free_kib};
	char sz[32], ps[16];

	*ret_r = run_plan_nodes(s->h, &s->m, req, &po, &s->plan, d);
	if (*ret_r < 0 || s->plan.placed) {
		cpuset_copy(nodes, &s->plan.nodes);
		return EXIT_OK;
	}
	cli_error("run: the planner finds no node set for '%s' (%u vCPU%s, %s of %s pages); "
		  "nothing was started or reserved:",
		  s->owner, s->vcpus, s->vcpus == 1 ? "" : "s",
		  format_size_kib(s->mem_kib, sz, sizeof(sz)),
		  req->page_kib == VM_PAGE_NORMAL ? "normal"
		  : req->page_kib == VM_PAGE_HOST_DEFAULT
			  ? format_pagesize(s->m.default_hugepage_kib, ps, sizeof(ps))
			  : format_pagesize(req->page_kib, ps, sizeof(ps)));
	for (size_t i = 0; i < s->plan.nlines; i++)
		cli_error("  node %d: %s", s->plan.lines[i].node, s->plan.lines[i].text);
	if (s->plan.reason[0])
		cli_error("  fix: %s", s->plan.reason);
	return EXIT_USAGE;
}

/* Read, place, build the arguments and the needs: everything before a change. */
static int prepare(struct cli *c, const struct run_opts *o, struct run_argv *a, struct run_state *s)
{
	struct run_place_req req = {0};
	struct qemu_args_opts qo = {0};
	struct cpuset nodes = CPUSET_INIT;
	struct diag d = {0};
	int r, rc;

	rc = vm_shape(o, a, s);
	if (rc == EXIT_OK)
		rc = parse_page(o, &req.page_kib);
	if (rc == EXIT_OK)
		rc = pick_owner(c, o, a, s);
	if (rc != EXIT_OK)
		return rc;
	if (o->nodes && (cpuset_parse_list(o->nodes, &nodes, NULL) < 0 || cpuset_empty(&nodes))) {
		cli_error("--nodes: '%s' is not a node list (0, 0-1, 1,3)", o->nodes);
		return EXIT_USAGE;
	}
	rc = qemu_target_resolve(o->qemu_version ? NULL : a->binary, o->qemu_version, &s->qemu);
	if (rc == EXIT_OK) {
		r = cli_host(c, &s->h, &d);
		if (r < 0)
			rc = cli_fail(&d, r);
	}
	if (rc != EXIT_OK) {
		cpuset_release(&nodes);
		return rc;
	}
	/* the planner needs the cores (topology); --nodes only the nodes */
	r = host_model_load_flags(
		s->h, (o->nodes ? HOST_MODEL_NO_TOPOLOGY : 0) | HOST_MODEL_NO_PROCESSES, &s->m, &d);
	req.nodes = &nodes;
	req.mem_kib = s->mem_kib;
	req.vcpus = s->vcpus;
	/* plan and reserve as one step: under the lock every reservation is in place */
	if (r >= 0 && !o->nodes && !c->dry_run) {
		r = host_lock(s->h, "hugepages", HP_CLI_LOCK_WAIT_MS, &d);
		s->plan_lock = r;
	}
	if (r >= 0 && !o->nodes) {
		rc = ask_planner(o, s, &req, &nodes, &d, &r);
		if (rc != EXIT_OK) {
			cpuset_release(&nodes);
			return rc;
		}
	}
	if (r >= 0)
		r = run_place(&s->m, &req, &s->vm, &s->pins, &d);
	s->planned = !o->nodes;
	if (r >= 0 && o->nodes)
		cpuset_copy(&s->plan.nodes, &nodes);
	qo.caps = &s->qemu.caps;
	qo.hugetlbfs_dir = o->hugetlbfs;
	if (r >= 0)
		r = qemu_args_build(&s->vm, &s->m, &qo, &s->mem, &d);
	if (r >= 0)
		r = hp_needs_from_backends(&s->mem, &s->needs, &d);
	cpuset_release(&nodes);
	if (r < 0) {
		cli_error_diag(&d, r);
		return cli_exit_for(r);
	}
	final_argv(o, a, &s->mem, s);
	return EXIT_OK;
}

static struct hp_txn_opts txn_opts(struct cli *c, const struct run_opts *o, bool reserve)
{
	struct hp_txn_opts t = {.lock_timeout_ms = HP_CLI_LOCK_WAIT_MS,
				.keep_free_kib = o->keep_free_kib,
				.dry_run = c->dry_run,
				.clean_stale = true};

	t.apply.timeout_s = reserve ? o->timeout_s : 60;
	return t;
}

static int reserve(struct cli *c, const struct run_opts *o, struct run_state *s)
{
	struct hp_txn_opts t = txn_opts(c, o, true);
	struct diag d = {0};
	const char *result;
	int r;

	t.locked = s->plan_lock >= 0;
	t.holder_pid = c->dry_run ? 0 : (int)getpid();
	if (!c->dry_run && hp_proc_start_time(s->h, t.holder_pid, &t.holder_start, &d) < 0) {
		cli_error_diag(&d, -EINVAL);
		return EXIT_FAILED;
	}
	r = hp_txn_reserve(s->h, s->owner, &s->needs, &t, &s->resv, &d);
	if (r < 0)
		cli_error_diag(&d, r);
	else if (r > 0)
		cli_error("run: too few free %s pages could be found for '%s'; the pools were put "
			  "back (see 'kvmtune hugepages')",
			  "huge", s->owner);
	s->reserved = r == 0 && !c->dry_run && !s->resv.already;
	/* refused 2, a bad host file 1, pools put back 3: as 'hugepages reserve' */
	return hp_cli_reserve_outcome(r, &s->resv, c->dry_run, &result);
}

static int release(struct cli *c, const struct run_opts *o, struct run_state *s)
{
	struct hp_txn_opts t = txn_opts(c, o, false);
	char *owners[] = {s->owner};
	struct diag d = {0};
	int r;

	r = hp_txn_release(s->h, owners, 1, &t, &s->rel, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		cli_error(
			"run: the pages of '%s' stay reserved: 'kvmtune hugepages release --owner "
			"%s' gives them back",
			s->owner, s->owner);
	}
	s->released = r >= 0;
	return r;
}

/* Start, pin, wait; the reservation is released on every path. */
static int launch(struct cli *c, const struct run_opts *o, struct run_state *s, const sigset_t *old)
{
	struct diag d = {0};
	int r;

	s->launch.argv = s->argv;
	s->launch.qmp_path = s->qmp_path;
	s->launch.resume = !s->user_paused;
	s->launch.pins = &s->pins;
	s->launch.qmp_timeout_ms = 60000;
	r = run_launch_start(s->h, &s->launch, old, &d);
	if (r < 0)
		cli_error_diag(&d, r);
	else
		run_report_started(c, s, o->quiet);
	if (r >= 0)
		r = run_launch_wait(&s->launch, &d);
	return r < 0 ? r : 0;
}

int cmd_run(struct cli *c, int argc, char **argv)
{
	struct run_state s = {0};
	struct run_argv a = {0};
	struct run_opts o;
	struct diag d = {0};
	sigset_t old;
	int first = 0, rc, r;

	if (parse_opts(c, argc, argv, &o, &first, &rc))
		return rc;
	if (run_argv_parse(argc - first, argv + first, &a, &d) < 0) {
		cli_error_diag(&d, -EINVAL);
		return EXIT_USAGE;
	}
	vm_spec_init(&s.vm);
	s.plan_lock = -1;
	s.user_paused = a.paused;
	/* QEMU's QMP socket, in a directory only root can enter */
	(void)snprintf(s.qmp_dir, sizeof(s.qmp_dir), "/tmp/kvmtune-run.XXXXXX");
	if (!c->dry_run && !mkdtemp(s.qmp_dir)) {
		cli_error("run: cannot create a directory for the QMP socket: %s", strerror(errno));
		run_argv_release(&a);
		return EXIT_FAILED;
	}
	(void)snprintf(s.qmp_path, sizeof(s.qmp_path), "%s/qmp.sock", s.qmp_dir);
	rc = prepare(c, &o, &a, &s);
	if (rc == EXIT_OK && !c->dry_run && !host_is_live(s.h)) {
		cli_error("run starts QEMU on this machine: --root works only with --dry-run");
		rc = EXIT_USAGE;
	}
	if (rc == EXIT_OK && !c->dry_run)
		run_signals_block(&old);
	if (rc == EXIT_OK)
		rc = reserve(c, &o, &s);
	if (s.plan_lock >= 0) /* never held while QEMU runs */
		(void)close(s.plan_lock);
	s.plan_lock = -1;
	if (rc == EXIT_OK && c->dry_run) {
		run_report_dry_run(c, &s);
	} else if (rc == EXIT_OK) {
		r = launch(c, &o, &s, &old);
		/* QEMU's status, also when it failed on its own before it was pinned */
		rc = r < 0 && !s.launch.ended_early ? EXIT_FAILED : s.launch.exit_code;
		if (r < 0 && rc == EXIT_OK)
			rc = EXIT_FAILED;
		/* a reservation run found in place (hugepages reserve) stays its owner's */
		if (s.reserved && release(c, &o, &s) < 0 && rc == EXIT_OK)
			rc = EXIT_FAILED;
		run_report_ended(c, &s, o.quiet);
	}
	if (!c->dry_run) {
		(void)unlink(s.qmp_path);
		(void)rmdir(s.qmp_dir);
	}
	run_state_release(&s);
	run_argv_release(&a);
	return rc;
}
