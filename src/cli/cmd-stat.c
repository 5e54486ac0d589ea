/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmtune stat: per-process and per-VM NUMA memory statistics, numastat-compatible. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "cli/stat-render.h"
#include "core/cgstat.h"
#include "core/host.h"
#include "core/model.h"
#include "core/nodestat.h"
#include "core/pagesize.h"
#include "core/procstat.h"
#include "core/userfile.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

static void stat_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] stat [-c] [-m] [-n] [-s[NODE]] [-v] [-z] "
		"[--numastat]\n"
		"                                 [--vms]\n"
		"                                 [--json | --prometheus [--output FILE]] "
		"[--no-cgroup]\n"
		"                                 [--interval SECONDS] [--count N]\n"
		"                                 [[-p] PID|PATTERN ...]\n\n"
		"Per-node memory of processes in MB, split as numastat splits it (Huge, Heap,\n"
		"Stack, Private), each hugepage mapping counted at its own page size.  A\n"
		"PATTERN matches the command name or command line, as in numastat.  Without\n"
		"arguments, the QEMU processes on the host (as with --vms).\n\n"
		"  -c, --compact   narrow columns, whole MB\n"
		"  -m, --meminfo   per-node system memory (numastat -m)\n"
		"  -n              per-node NUMA allocation counters in MB (numastat -n)\n"
		"  -s[NODE]        sort the rows by the Total column (or NODE's), largest first\n"
		"  -v              one table per process even for several\n"
		"  -z              leave out rows and columns that are all zero\n"
		"  --numastat      numastat's output and nothing else; without arguments, its\n"
		"                  page-count table of allocation counters\n"
		"  --vms           one row per QEMU process: memory per node, hugepage share\n"
		"                  and size, policy nodes, the CPUs and nodes its vCPU threads\n"
		"                  last ran on, locality (share of memory on those nodes), flags\n"
		"                  'spread' (memory on several nodes) and 'vcpus-away' (< 90 %%)\n"
		"  --json          processes as JSON (sizes in KiB)\n"
		"  --prometheus    VM metrics in the Prometheus text format (kvmtune_vm_*; the\n"
		"                  list is in kvmtune(1))\n"
		"  --output FILE   write the metrics to FILE atomically (a temporary file\n"
		"                  renamed over it: node_exporter's textfile collector); with\n"
		"                  --interval, rewritten every sample\n"
		"  --no-cgroup     always walk /proc/PID/numa_maps; by default the VM views read\n"
		"                  the numa_stat files (cgroup v2 or v1) of a VM alone in its\n"
		"                  cgroup\n"
		"  --interval SECONDS  sample again every SECONDS (a fraction is fine) until\n"
		"                  interrupted or --count samples; text samples start with a\n"
		"                  '# TIME' line, JSON samples are one line each; 0 = no pause\n"
		"  --count N       stop after N samples (default with --interval: no limit;\n"
		"                  alone: one second apart)\n\n"
		"Exit codes: 0 ok, 2 bad usage or a PID/PATTERN that matches no process.\n");
}

struct stat_opts {
	bool compact, meminfo, counters, numastat, vms, prometheus, no_cgroup, hide_zero, sort;
	int sort_node;
	const char *output; /* --output FILE for --prometheus */
	double interval;    /* seconds between samples; < 0: one sample */
	uint64_t count;	    /* samples; 0: no limit */
	char **sel;
	size_t nsel;
	/* what stays the same over the samples of a watch, read once */
	int self_pid;		      /* kvmtune itself, never a process it shows */
	struct cgstat_mounts cgroups; /* the cgroup hierarchies, for the VM views */
	bool cgroups_loaded;
};

static bool parse_opts(struct cli *c, int argc, char **argv, struct stat_opts *o, int *ret_exit)
{
	enum {
		OPT_NUMASTAT = 256,
		OPT_VMS,
		OPT_PROM,
		OPT_NO_CGROUP,
		OPT_INTERVAL,
		OPT_COUNT,
		OPT_OUTPUT
	};
	static const struct option opts[] = {
		{"compact", no_argument, NULL, 'c'},
		{"meminfo", no_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"numastat", no_argument, NULL, OPT_NUMASTAT},
		{"vms", no_argument, NULL, OPT_VMS},
		{"prometheus", no_argument, NULL, OPT_PROM},
		{"no-cgroup", no_argument, NULL, OPT_NO_CGROUP},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"count", required_argument, NULL, OPT_COUNT},
		{"output", required_argument, NULL, OPT_OUTPUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	o->sel = xcalloc((size_t)argc + 1, sizeof(char *));
	o->interval = -1;
	o->count = 1;
	while ((opt = getopt_long(argc, argv, "cmnp:s::vzh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->compact = true;
			break;
		case 'm':
			o->meminfo = true;
			break;
		case 'n':
			o->counters = true;
			break;
		case 'p':
			o->sel[o->nsel++] = optarg;
			break;
		case 'v':
			c->verbose++;
			break;
		case 'z':
			o->hide_zero = true;
			break;
		case 's':
			o->sort = true;
			o->sort_node = -1;
			if (optarg && parse_int(optarg, &o->sort_node) < 0) {
				cli_error("-s%s: expected a node number after -s", optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			break;
		case 'j':
			c->json = true;
			break;
		case OPT_NUMASTAT:
			o->numastat = true;
			break;
		case OPT_VMS:
			o->vms = true;
			break;
		case OPT_PROM:
			o->prometheus = true;
			break;
		case OPT_NO_CGROUP:
			o->no_cgroup = true;
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case OPT_INTERVAL: {
			char *end;

			errno = 0;
			o->interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->interval >= 0) ||
			    o->interval > 86400) {
				cli_error("--interval '%s': expected seconds from 0 to 86400",
					  optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			if (o->count == 1)
				o->count = 0;
			break;
		}
		case OPT_COUNT:
			if (parse_u64(optarg, &o->count) < 0 || !o->count) {
				cli_error("--count '%s': expected a number of samples >= 1",
					  optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			if (o->interval < 0)
				o->interval = 1;
			break;
		case 'h':
			stat_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		default:
			stat_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	while (optind < argc)
		o->sel[o->nsel++] = argv[optind++];
	if (c->json && o->prometheus) {
		cli_error("--json and --prometheus exclude each other");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if ((c->json || o->prometheus) && (o->meminfo || o->counters || o->numastat)) {
		cli_error("-m, -n and --numastat print tables; they do not combine with --json or "
			  "--prometheus");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (o->output && !o->prometheus) {
		cli_error("--output writes the --prometheus metrics; add --prometheus");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (o->numastat && o->vms) {
		cli_error("--vms has no numastat form; drop --numastat");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

/* Which processes to collect, and how. */
static void collect_opts(const struct cli *c, struct stat_opts *o, const struct host_model *m,
			 struct host *h, struct procstat_opts *po, bool *ret_vm_view)
{
	bool vm_view = o->vms || o->prometheus ||
		       (!o->nsel && !o->numastat && !o->meminfo && !o->counters);

	memset(po, 0, sizeof(*po));
	if (vm_view)
		po->flags |= PROCSTAT_QEMU_ONLY;
	if (vm_view && !o->nsel)
		po->flags |= PROCSTAT_ALL;
	if (vm_view && !o->no_cgroup) {
		po->flags |= PROCSTAT_CGROUP;
		/* cgroup hierarchies are not remounted under running VMs: /proc/mounts once */
		if (!o->cgroups_loaded)
			o->cgroups_loaded = cgstat_mounts_load(h, &o->cgroups, NULL) >= 0;
		if (o->cgroups_loaded)
			po->cgroups = &o->cgroups;
	}
	if (c->json)
		po->flags |= PROCSTAT_THREADS;
	if (vm_view || c->json)
		po->flags |= PROCSTAT_VCPUS;
	po->self_pid = o->self_pid;
	po->base_page_kib = m->base_page_kib;
	po->default_huge_kib =
		m->default_hugepage_kib ? m->default_hugepage_kib : PAGE_HUGE_FALLBACK_KIB;
	*ret_vm_view = vm_view;
}

/*
 * The metrics into o->output atomically (core/userfile.h), as node_exporter's
 * textfile collector needs: it never reads half a file.  A relative path is
 * taken from the current directory; --root does not move it.
 */
static int write_prometheus(const struct stat_opts *o, struct stat_view *v)
{
	AUTOFREE char *text = NULL;
	struct diag d = {0};
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int r;

	if (!mem) {
		cli_error("--output: %s", strerror(errno));
		return -ENOMEM;
	}
	stat_print_prometheus(v, mem);
	(void)fclose(mem);
	r = userfile_write_output(o->output, text, len, 0644, &d);
	if (r < 0)
		cli_error_diag(&d, r);
	return r;
}

/* Print one sample as the options ask; 0, or -errno when --output failed (said). */
static int render(struct cli *c, const struct stat_opts *o, struct stat_view *v, bool vm_view,
		  bool collected)
{
	bool loop = o->count != 1;

	if (c->json && loop) {
		struct json_object *j = stat_json(v);

		json_object_object_add(j, "time", json_object_new_int64((int64_t)time(NULL)));
		render_json_print_line(j, stdout);
		return 0;
	}
	if (c->json) {
		render_json_print(stat_json(v), stdout);
		return 0;
	}
	if (o->prometheus && o->output)
		return write_prometheus(o, v);
	if (o->prometheus) {
		stat_print_prometheus(v, stdout);
		return 0;
	}
	if (loop) {
		char when[64];
		time_t now = time(NULL);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime_r(&now, &tm));
		printf("# %s\n", when);
	}
	if (vm_view)
		stat_print_vms(v, stdout);
	else if (collected)
		stat_print_procs(v, stdout);
	if (o->meminfo)
		stat_print_meminfo(v, stdout);
	if (o->counters)
		stat_print_numastat_counters(v, false, stdout);
	else if (o->numastat && !collected && !o->meminfo)
		stat_print_numastat_counters(v, true, stdout);
	return 0;
}

/* The per-node system tables the options ask for (-m, -n, --numastat alone). */
static int read_node_tables(const struct stat_opts *o, struct host *h, const struct host_model *m,
			    bool collected, struct nodestat *mi, struct nodestat *ctr,
			    struct diag *d)
{
	int r = 0;

	if (o->meminfo)
		r = nodestat_meminfo(h, m, mi, d);
	if (r >= 0 && (o->counters || (o->numastat && !collected && !o->meminfo)))
		r = nodestat_counters(h, m, ctr, d);
	return r;
}

/* One sample: read the host and the processes, print them.  An exit code. */
static int sample(struct cli *c, struct stat_opts *o, struct host *h, bool first)
{
	struct host_model m = {0};
	struct procstat ps = {0};
	struct nodestat mi = {0}, ctr = {0};
	struct procstat_opts po;
	struct diag d = {0};
	struct stat_view v;
	bool vm_view, collect;
	int r;

	/* stat is run often, by scrapers too: only nodes, their CPUs and the pool sizes,
	 * unless -m shows the per-node pools */
	r = host_model_load_flags(h,
				  o->meminfo ? HOST_MODEL_NO_TOPOLOGY | HOST_MODEL_NO_PROCESSES |
						       HOST_MODEL_NO_CPUINFO |
						       HOST_MODEL_NO_MOUNTS | HOST_MODEL_NO_KNOBS
					     : HOST_MODEL_NODES_ONLY,
				  &m, &d);
	if (r < 0)
		return cli_fail_host(&d, r);
	collect_opts(c, o, &m, h, &po, &vm_view);
	collect = o->nsel || vm_view;
	if (collect) {
		r = procstat_collect(h, &m, o->sel, o->nsel, &po, &ps, &d);
		if (r >= 0 && o->nsel && !ps.nprocs) {
			r = -ESRCH;
			diag_set(&d, ESRCH, "stat", "no %sprocess matches '%s'%s",
				 vm_view ? "QEMU " : "", o->sel[0],
				 o->nsel == 1 ? "" : " or the others");
		}
		if (r < 0) {
			cli_error_diag(&d, r);
			host_model_release(&m);
			/* later samples: what was watched is gone, which ends the watch */
			return r != -ESRCH ? EXIT_FAILED : first ? EXIT_USAGE : EXIT_FAILED;
		}
	}
	r = read_node_tables(o, h, &m, collect, &mi, &ctr, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		procstat_release(&ps);
		host_model_release(&m);
		return EXIT_FAILED;
	}
	v = (struct stat_view){.m = &m,
			       .ps = &ps,
			       .meminfo = &mi,
			       .counters = &ctr,
			       .compact = o->compact,
			       .verbose = c->verbose > 0,
			       .numastat = o->numastat,
			       .hide_zero = o->hide_zero,
			       .sort = o->sort,
			       .sort_node = o->sort_node};
	r = render(c, o, &v, vm_view, collect);
	fflush(stdout);
	nodestat_release(&mi);
	nodestat_release(&ctr);
	procstat_release(&ps);
	host_model_release(&m);
	return r < 0 ? EXIT_FAILED : EXIT_OK; /* --output could not be written */
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Sleep seconds, or less when a stop is requested; no system call for 0. */
static void pause_for(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};

	while (seconds > 0 && !stop_requested && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cmd_stat(struct cli *c, int argc, char **argv)
{
	struct stat_opts o = {0};
	struct sigaction sa = {0};
	struct diag d = {0};
	struct host *h;
	int r, ret;

	if (parse_opts(c, argc, argv, &o, &ret)) {
		free(o.sel);
		return ret;
	}
	r = cli_host(c, &h, &d);
	if (r < 0) {
		free(o.sel);
		return cli_fail(&d, r);
	}
	o.self_pid = host_is_live(h) ? (int)getpid() : 0;
	if (o.count != 1) {
		/* end a watch at the end of a sample, with status 0 */
		sa.sa_handler = on_stop;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	ret = sample(c, &o, h, true);
	for (uint64_t n = 1; ret == EXIT_OK && (!o.count || n < o.count); n++) {
		pause_for(o.interval);
		if (stop_requested)
			break;
		if (!c->json && !o.prometheus)
			putchar('\n');
		ret = sample(c, &o, h, false);
	}
	cgstat_mounts_release(&o.cgroups);
	free(o.sel);
	return ret;
}
