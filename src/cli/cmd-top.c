/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune top: a live view per VM (curses-free: ANSI redraws on a
 * terminal, frames one after another with --batch, JSON lines with
 * --json): memory per node and page size, vCPUs and where they ran,
 * locality, memory that changed node, and KVM exit rates by reason.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "cli/stat-render.h"
#include "core/host.h"
#include "core/model.h"
#include "core/vmtop.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define DEFAULT_DELAY_S 2.0
#define TOP_EXITS 3 /* exit reasons named per row */

static void top_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] top [-b|--batch] [-n N] [-d SECONDS]\n"
		"                               [-o mem|locality|exits] [--no-cgroup] [--json]\n\n"
		"A live view of the VMs (QEMU processes) on this host, one row each: vCPU\n"
		"threads and the CPUs (nodes) they last ran on, memory per NUMA node, hugepage\n"
		"share and size, locality (share of memory on the vCPUs' nodes), memory that\n"
		"changed node since the last frame (a lower bound), and KVM exits per second\n"
		"with the busiest reasons (halt, io, mmio, irq_window, ...) from KVM's per-VM\n"
		"statistics in debugfs (%s).  The first frame gives the rates since\n"
		"each VM started.  When the statistics cannot be read, a line says why.\n\n"
		"  -b, --batch     frames one after another, no screen control (for logs)\n"
		"  -n N            stop after N frames (default: until 'q' or interrupted;\n"
		"                  with --batch or --json and no -n: 1)\n"
		"  -d SECONDS      between frames (default %.0f; a fraction is fine, 0 = none)\n"
		"  -o, --order KEY sort by mem (largest first, the default), locality (worst\n"
		"                  first) or exits (most first); keys m, l, e on a terminal\n"
		"  --no-cgroup     always read /proc/PID/numa_maps (as stat --no-cgroup)\n"
		"  --json          one JSON document per frame, one line each\n\n"
		"Exit codes: 0 ok, 1 the host could not be read, 2 bad usage.\n",
		KVMSTAT_DIR, DEFAULT_DELAY_S);
}

struct top_opts {
	bool batch, no_cgroup;
	uint64_t frames; /* 0: no limit */
	double delay_s;
	enum vmtop_order order;
};

/* True when the command must stop now, with *ret_exit (help shown, bad usage). */
static bool parse_opts(struct cli *c, int argc, char **argv, struct top_opts *o, int *ret_exit)
{
	static const struct option opts[] = {
		{"batch", no_argument, NULL, 'b'},	 {"no-cgroup", no_argument, NULL, 'C'},
		{"json", no_argument, NULL, 'j'},	 {"help", no_argument, NULL, 'h'},
		{"order", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
	};
	bool frames_given = false;
	int opt;

	*o = (struct top_opts){.delay_s = DEFAULT_DELAY_S};
	optind = 0;
	while ((opt = getopt_long(argc, argv, "bn:d:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			o->batch = true;
			break;
		case 'C':
			o->no_cgroup = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'n':
			if (parse_u64(optarg, &o->frames) < 0 || !o->frames) {
				cli_error("top: -n '%s': expected a number of frames, 1 or more",
					  optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			frames_given = true;
			break;
		case 'd':
			if (parse_double(optarg, &o->delay_s) < 0 || !(o->delay_s >= 0) ||
			    o->delay_s > 86400) {
				cli_error("top: -d '%s': expected seconds from 0 to 86400", optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			break;
		case 'o':
			if (vmtop_order_parse(optarg, &o->order) < 0) {
				cli_error("top: -o '%s': expected mem, locality or exits", optarg);
				*ret_exit = EXIT_USAGE;
				return true;
			}
			break;
		case 'h':
			top_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		default:
			top_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	if (optind < argc) {
		cli_error("top: unexpected argument '%s'", argv[optind]);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (c->json)
		o->batch = true;
	if (o->batch && !frames_given)
		o->frames = 1;
	return false;
}

static const char *order_name(enum vmtop_order o)
{
	return o == VMTOP_ORDER_LOCALITY ? "locality" : o == VMTOP_ORDER_EXITS ? "exits" : "mem";
}

/* "halt 812 io 301 mmio 12": the busiest exit reasons of a row. */
static void exits_summary(const struct vmtop_row *r, struct sbuf *out)
{
	bool used[KVMSTAT_COUNT_] = {0};

	for (int shown = 0; shown < TOP_EXITS; shown++) {
		int best = -1;

		for (int k = 0; k < KVMSTAT_COUNT_; k++)
			if (kvmstat_defs[k].exit_reason && !used[k] && r->rate[k] > 0 &&
			    (best < 0 || r->rate[k] > r->rate[best]))
				best = k;
		if (best < 0)
			break;
		used[best] = true;
		sbuf_addf(out, "%s%s %.0f", out->len ? " " : "", kvmstat_defs[best].label,
			  r->rate[best]);
	}
}

static const char *vm_label(const struct procstat_proc *p)
{
	return p->vm_name ? p->vm_name : p->name;
}

/* The VM column: as wide as the longest name (at least 12). */
static int name_width(const struct vmtop_sample *s)
{
	int w = 12;

	for (size_t i = 0; i < s->ps.nprocs; i++)
		if ((int)strlen(vm_label(&s->ps.procs[i])) > w)
			w = (int)strlen(vm_label(&s->ps.procs[i]));
	return w;
}

static void print_header(const struct host_model *m, const struct vmtop_sample *s,
			 const struct top_opts *o, bool live, bool first, FILE *out)
{
	char when[64] = "";

	if (live) {
		time_t now = time(NULL);
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z - ", localtime_r(&now, &tm));
	}
	fprintf(out, "kvmtune top - %s", when);
	if (s->uptime_s >= 0)
		fprintf(out, "up %.0f s - ", s->uptime_s);
	fprintf(out, "%zu VM%s - every %.1f s - sorted by %s\n", s->ps.nprocs,
		s->ps.nprocs == 1 ? "" : "s", o->delay_s, order_name(o->order));
	if (s->ks.state != KVMSTAT_OK)
		fprintf(out, "%s\n", s->ks.reason);
	else
		fprintf(out, "KVM exits per second %s\n",
			first ? "since each VM started" : "over the last frame");
	fprintf(out, "%-8s %-*s %-12s", "PID", name_width(s), "VM", "vCPU CPUs");
	for (size_t k = 0; k < m->nnodes; k++) {
		char h[16];

		(void)snprintf(h, sizeof(h), "Node %d MB", m->nodes[k].node);
		fprintf(out, " %10s", h);
	}
	fprintf(out, " %10s  %-14s %5s %9s %8s  %s\n", "Total MB", "Huge", "Local", "Moved MB",
		"Exits/s", "Busiest exits/s");
}

static void print_row(const struct host_model *m, const struct vmtop_row *r,
		      const struct kvmstat *ks, int namew, FILE *out)
{
	const struct procstat_proc *p = r->p;
	struct sbuf cpus = SBUF_INIT, huge = SBUF_INIT, exits = SBUF_INIT;
	char loc[16] = "-", moved[32] = "-", rate[32] = "-";

	stat_vm_cpus_summary(p, &cpus);
	stat_vm_huge_summary(p, &huge);
	if (r->locality >= 0)
		(void)snprintf(loc, sizeof(loc), "%.0f%%", r->locality * 100);
	if (r->moved_kib >= 0)
		(void)snprintf(moved, sizeof(moved), "%.1f", (double)r->moved_kib / 1024);
	if (r->exits_per_s >= 0)
		(void)snprintf(rate, sizeof(rate), "%.0f", r->exits_per_s);
	else if (ks->state == KVMSTAT_OK && !r->kvm)
		(void)snprintf(rate, sizeof(rate), "no KVM");
	exits_summary(r, &exits);
	fprintf(out, "%-8d %-*s %-12s", p->pid, namew, vm_label(p), cpus.buf);
	for (size_t k = 0; k < m->nnodes; k++)
		fprintf(out, " %10.1f",
			(double)numamaps_usage_node_kib(&p->usage, -1, m->nodes[k].node) / 1024.0);
	fprintf(out, " %10.1f  %-14s %5s %9s %8s  %s\n",
		(double)numamaps_usage_total_kib(&p->usage, -1) / 1024.0, huge.buf, loc, moved,
		rate, exits.len ? exits.buf : "-");
	sbuf_release(&cpus);
	sbuf_release(&huge);
	sbuf_release(&exits);
}

static const char *state_name(enum kvmstat_state s)
{
	static const char *const names[] = {"ok", "no-debugfs", "no-kvm", "denied"};

	return names[s];
}

static struct json_object *row_kvm_json(const struct vmtop_row *r)
{
	struct json_object *o = json_object_new_object(), *rates = json_object_new_object(),
			   *pages = json_object_new_object();

	json_object_object_add(o, "since_start", json_object_new_boolean(r->since_start));
	json_object_object_add(o, "interval_s",
			       r->interval_s > 0 ? json_object_new_double(r->interval_s) : NULL);
	json_object_object_add(o, "exits_per_s",
			       r->exits_per_s >= 0 ? json_object_new_double(r->exits_per_s) : NULL);
	for (int k = 0; k < KVMSTAT_COUNT_; k++) {
		struct json_object *v =
			r->rate[k] >= 0 ? (kvmstat_defs[k].gauge
						   ? json_object_new_int64((int64_t)r->rate[k])
						   : json_object_new_double(r->rate[k]))
					: NULL;

		json_object_object_add(kvmstat_defs[k].gauge ? pages : rates, kvmstat_defs[k].label,
				       v);
	}
	/* per second, by reason; pages: KVM's own mappings of guest memory by size */
	json_object_object_add(o, "per_s", rates);
	json_object_object_add(o, "mapped", pages);
	return o;
}

static struct json_object *frame_json(const struct host_model *m, const struct vmtop_sample *s,
				      const struct vmtop_row *rows, size_t n,
				      const struct top_opts *o, bool live)
{
	struct json_object *j = json_object_new_object(), *vms = json_object_new_array(),
			   *k = json_object_new_object();

	json_object_object_add(j, "time", live ? json_object_new_int64((int64_t)time(NULL)) : NULL);
	json_object_object_add(j, "uptime_s",
			       s->uptime_s >= 0 ? json_object_new_double(s->uptime_s) : NULL);
	json_object_object_add(j, "order", json_object_new_string(order_name(o->order)));
	json_object_object_add(k, "state", json_object_new_string(state_name(s->ks.state)));
	json_object_object_add(k, "reason",
			       s->ks.state != KVMSTAT_OK ? json_object_new_string(s->ks.reason)
							 : NULL);
	json_object_object_add(j, "kvm_stats", k);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = stat_proc_json(m, rows[i].p);

		json_object_object_add(
			v, "moved_kib",
			rows[i].moved_kib >= 0 ? json_object_new_int64(rows[i].moved_kib) : NULL);
		json_object_object_add(
			v, "vcpu_node_changes",
			rows[i].vcpu_moves >= 0 ? json_object_new_int(rows[i].vcpu_moves) : NULL);
		json_object_object_add(v, "kvm", rows[i].kvm ? row_kvm_json(&rows[i]) : NULL);
		json_object_array_add(vms, v);
	}
	json_object_object_add(j, "vms", vms);
	return j;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* A terminal on stdin in non-canonical mode, for single keys. */
struct term {
	bool raw;
	struct termios saved;
};

static void term_raw(struct term *t)
{
	struct termios tio;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t->saved) < 0)
		return;
	tio = t->saved;
	tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	t->raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
}

static void term_restore(struct term *t)
{
	if (t->raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	t->raw = false;
}

/* Wait delay_s, or less: returns a key pressed on the terminal, 0 for none. */
static int wait_key(const struct term *t, double delay_s)
{
	struct timespec ts = {(time_t)delay_s, (long)((delay_s - (double)(time_t)delay_s) * 1e9)};
	struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
	char key;

	if (!t->raw) {
		while (!stop_requested && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		return 0;
	}
	if (poll(&pfd, 1, (int)(delay_s * 1000)) > 0 && read(STDIN_FILENO, &key, 1) == 1)
		return key;
	return 0;
}

static void show_frame(struct cli *c, const struct host_model *m, const struct top_opts *o,
		       const struct vmtop_sample *prev, const struct vmtop_sample *cur, bool live,
		       bool interactive)
{
	struct vmtop_row *rows;
	size_t n;

	vmtop_rows(prev, cur, o->order, &rows, &n);
	if (c->json) {
		render_json_print_line(frame_json(m, cur, rows, n, o, live), stdout);
	} else {
		if (interactive)
			fputs("\033[H\033[2J", stdout);
		print_header(m, cur, o, live, prev == NULL, stdout);
		for (size_t i = 0; i < n; i++)
			print_row(m, &rows[i], &cur->ks, name_width(cur), stdout);
		if (!n)
			printf("(no QEMU processes)\n");
		if (interactive)
			printf("\n\033[7m q quit  m/l/e sort by mem/locality/exits \033[0m\n");
	}
	fflush(stdout);
	free(rows);
}

static int run(struct cli *c, struct host *h, const struct host_model *m, struct top_opts *o)
{
	struct vmtop_sample s[2] = {{0}, {0}};
	bool interactive = !o->batch && isatty(STDOUT_FILENO), live = host_is_live(h);
	struct term t = {0};
	struct diag d = {0};
	int cur = 0, rc = EXIT_OK;

	if (interactive)
		term_raw(&t);
	for (uint64_t n = 0; !stop_requested; n++) {
		int r = vmtop_sample(h, m, o->no_cgroup, &s[cur], &d), key;

		if (r < 0) {
			cli_error_diag(&d, r);
			rc = EXIT_FAILED;
			break;
		}
		if (n && !c->json && !interactive)
			putchar('\n');
		show_frame(c, m, o, n ? &s[!cur] : NULL, &s[cur], live, interactive);
		if (o->frames && n + 1 >= o->frames)
			break;
		key = wait_key(&t, o->delay_s);
		if (key == 'q')
			break;
		if (key == 'm' || key == 'l' || key == 'e')
			o->order = key == 'm'	? VMTOP_ORDER_MEM
				   : key == 'l' ? VMTOP_ORDER_LOCALITY
						: VMTOP_ORDER_EXITS;
		cur = !cur;
		vmtop_sample_release(&s[cur]);
	}
	term_restore(&t);
	vmtop_sample_release(&s[0]);
	vmtop_sample_release(&s[1]);
	return rc;
}

int cmd_top(struct cli *c, int argc, char **argv)
{
	struct host_model m = {0};
	struct sigaction sa = {.sa_handler = on_stop};
	struct top_opts o;
	struct diag d = {0};
	struct host *h = NULL;
	int r, rc = EXIT_OK;

	if (parse_opts(c, argc, argv, &o, &rc))
		return rc;
	r = cli_host(c, &h, &d);
	if (r >= 0)
		r = host_model_load_flags(h, HOST_MODEL_NODES_ONLY, &m, &d);
	if (r < 0)
		return cli_fail(&d, r);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = run(c, h, &m, &o);
	host_model_release(&m);
	return rc;
}
