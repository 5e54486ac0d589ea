/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune bench memory: measured memory latency and bandwidth per (CPU
 * node, memory node) pair and page kind, side by side with the SLIT
 * distances; --save keeps the costs for placement, --show prints them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/membench.h"
#include "bench/mempages.h"
#include "cli/bench-render.h"
#include "cli/cli.h"
#include "cli/render.h"
#include "core/cpuset.h"
#include "core/host.h"
#include "core/memcost.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define DEFAULT_MIB 1024
#define DEFAULT_SECONDS 60
#define MAX_PAGES 8

static void bench_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune bench memory [--nodes LIST] [--sizes 4K,THP,2M,1G] [--mib N]\n"
		"                            [--seconds S] [--seed N] [--save] [--json]\n"
		"       kvmtune [--root DIR] bench memory --show [--json]\n\n"
		"Measures what a memory access costs on this host: for every CPU node, memory\n"
		"node and page kind, the latency of dependent loads over a random cycle that\n"
		"touches a new 4 KiB page every load (median of short samples, time on the\n"
		"CPU), and the streaming read bandwidth of one thread; the thread is pinned to\n"
		"the CPU node, the buffer bound to the memory node (mbind) and checked there\n"
		"(move_pages).  hugetlb pages are taken for the run through the guarded path\n"
		"of 'hugepages reserve' and given back at the end, also when interrupted.\n"
		"Prints a matrix with each cell's ratio to the best cell next to the SLIT\n"
		"distance, and a second, naive measurement as a check.  Progress on stderr.\n\n"
		"  --nodes LIST    only these nodes (default: all), e.g. 0,1\n"
		"  --sizes LIST    page kinds (default: 4K, THP and every hugetlb size the host\n"
		"                  offers)\n"
		"  --mib N         buffer size in MiB (default %d; at most half the smallest "
		"node)\n"
		"  --seconds S     the whole run's time budget (default %d)\n"
		"  --seed N        the random layout (default 1)\n"
		"  --save          keep the results in %s for placement\n"
		"  --show          print the saved results instead of measuring\n"
		"  --json          machine-readable output\n\n"
		"Exit codes: 0 measured, 1 nothing measured or interrupted, 2 bad usage.\n",
		DEFAULT_MIB, DEFAULT_SECONDS, MEMCOST_PATH);
}

struct bench_opts {
	struct membench_opts run;
	struct memcost_page pages[MAX_PAGES];
	int *nodes;
	bool save, show, sizes_given;
};

static int parse_sizes(const char *list, struct bench_opts *b, struct diag *d)
{
	AUTOFREE char *copy = xstrdup(list);
	char *save = NULL;

	b->run.npages = 0;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		struct memcost_page p;

		if (memcost_page_parse(w, &p) < 0)
			return diag_set(d, EINVAL, "--sizes",
					"--sizes: '%s' is not 4K, THP or a page size such as 2M",
					w);
		for (size_t i = 0; i < b->run.npages; i++)
			if (memcost_page_equal(&b->pages[i], &p))
				return diag_set(d, EINVAL, "--sizes", "--sizes: '%s' given twice",
						w);
		if (b->run.npages == MAX_PAGES)
			return diag_set(d, EINVAL, "--sizes", "--sizes: at most %d kinds",
					MAX_PAGES);
		b->pages[b->run.npages++] = p;
	}
	if (!b->run.npages)
		return diag_set(d, EINVAL, "--sizes", "--sizes: expected a list such as 4K,2M");
	b->sizes_given = true;
	return 0;
}

static int parse_nodes(const char *list, struct bench_opts *b, struct diag *d)
{
	struct cpuset s = {0};
	int n, r;

	r = cpuset_parse_list(list, &s, d);
	if (r < 0 || cpuset_empty(&s) || cpuset_last(&s) > 4095) {
		cpuset_release(&s);
		return diag_set(d, EINVAL, "--nodes",
				"--nodes '%s': expected node numbers such as 0,1", list);
	}
	free(b->nodes);
	b->nodes = xcalloc(cpuset_count(&s), sizeof(int));
	b->run.nnodes = 0;
	cpuset_foreach (n, &s)
		b->nodes[b->run.nnodes++] = n;
	b->run.nodes = b->nodes;
	cpuset_release(&s);
	return 0;
}

static int parse_one(int opt, const char *arg, struct cli *c, struct bench_opts *b, struct diag *d)
{
	uint64_t v;

	switch (opt) {
	case 'N':
		return parse_nodes(arg, b, d);
	case 'S':
		return parse_sizes(arg, b, d);
	case 'm': {
		int r = parse_u64(arg, &v);

		if (r == -ERANGE || (r == 0 && !safe_mul_u64(v, 1024, &b->run.buffer_kib)))
			return diag_set(d, ERANGE, "--mib", "--mib '%s': too large", arg);
		if (r < 0 || !v)
			return diag_set(d, EINVAL, "--mib",
					"--mib '%s': expected a number of MiB, 1 or more", arg);
		return 0;
	}
	case 's':
		if (parse_double(arg, &b->run.seconds) < 0 || !(b->run.seconds >= 1) ||
		    b->run.seconds > 86400)
			return diag_set(d, ERANGE, "--seconds",
					"--seconds '%s': expected 1 to 86400", arg);
		return 0;
	case 'r':
		if (parse_u64(arg, &b->run.seed) < 0)
			return diag_set(d, EINVAL, "--seed", "--seed '%s': expected a number", arg);
		return 0;
	case 'w':
		b->save = true;
		return 0;
	case 'o':
		b->show = true;
		return 0;
	case 'j':
		c->json = true;
		return 0;
	}
	return -EINVAL;
}

/* True when the command must stop now, with *ret_exit (help shown, bad usage). */
static bool parse_opts(struct cli *c, int argc, char **argv, struct bench_opts *b, int *ret_exit)
{
	static const struct option opts[] = {
		{"nodes", required_argument, NULL, 'N'}, {"sizes", required_argument, NULL, 'S'},
		{"mib", required_argument, NULL, 'm'},	 {"seconds", required_argument, NULL, 's'},
		{"seed", required_argument, NULL, 'r'},	 {"save", no_argument, NULL, 'w'},
		{"show", no_argument, NULL, 'o'},	 {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	struct diag d = {0};
	int opt;

	b->run.buffer_kib = (uint64_t)DEFAULT_MIB * 1024;
	b->run.seconds = DEFAULT_SECONDS;
	b->run.seed = 1;
	b->run.pages = b->pages;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			bench_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		}
		if (opt == '?' || opt == ':') {
			bench_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
		if (parse_one(opt, optarg, c, b, &d) < 0) {
			cli_error_diag(&d, -EINVAL);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	if (optind < argc) {
		cli_error("bench memory: unexpected argument '%s'", argv[optind]);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (b->show && (b->save || b->sizes_given || b->run.nodes)) {
		cli_error("bench memory: --show prints the saved results; it takes only --json");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

/* Default page kinds: 4K, THP, and every hugetlb size with a pool the CPU supports. */
static void default_pages(const struct host_model *m, struct bench_opts *b)
{
	b->run.npages = 0;
	b->pages[b->run.npages++] = (struct memcost_page){.size_kib = 4};
	b->pages[b->run.npages++] = (struct memcost_page){.size_kib = 4, .thp = true};
	for (size_t i = 0; i < m->npools && b->run.npages < MAX_PAGES; i++)
		if (model_cpu_supports(m, m->pools[i].size_kib) &&
		    b->run.buffer_kib % m->pools[i].size_kib == 0)
			b->pages[b->run.npages++] =
				(struct memcost_page){.size_kib = m->pools[i].size_kib};
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_progress(void *userdata, double fraction, const char *what)
{
	const struct timespec *t0 = userdata;
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	fprintf(stderr, "kvmtune: bench memory: %5.1f s [%3.0f%%] %s\n",
		(double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9,
		fraction * 100, what);
}

static int show_saved(struct cli *c, struct host *h)
{
	struct memcost mc = {0};
	struct membench_cell *cells;
	struct bench_view v;
	struct diag d = {0};
	int r;

	r = memcost_load(h, &mc, &d);
	if (r == -ENOENT) {
		cli_error("bench memory: nothing saved: %s does not exist (run 'kvmtune bench "
			  "memory --save')",
			  MEMCOST_PATH);
		return EXIT_FAILED;
	}
	if (r < 0)
		return cli_fail(&d, r);
	cells = xcalloc(mc.ncells + 1, sizeof(*cells));
	for (size_t i = 0; i < mc.ncells; i++) {
		cells[i].c = mc.cells[i];
		cells[i].samples = 1;
	}
	v = (struct bench_view){.cells = cells,
				.ncells = mc.ncells,
				.buffer_kib = mc.buffer_kib,
				.elapsed_s = -1,
				.time = mc.time,
				.kernel = mc.kernel,
				.saved_to = MEMCOST_PATH};
	if (c->json)
		render_json_print(bench_json(&v), stdout);
	else
		bench_print_text(&v, stdout);
	free(cells);
	memcost_release(&mc);
	return EXIT_OK;
}

static int save_costs(struct host *h, const struct host_model *m, const struct bench_opts *b,
		      const struct membench_result *res)
{
	struct memcost mc = {.time = (int64_t)time(NULL), .buffer_kib = b->run.buffer_kib};
	struct diag d = {0};
	int r;

	(void)snprintf(mc.kernel, sizeof(mc.kernel), "%s", m->kernel_release);
	membench_to_costs(res, &mc);
	if (!mc.ncells) {
		cli_error("bench memory: nothing measured, nothing saved");
		return -ENODATA;
	}
	r = memcost_save(h, &mc, &d);
	memcost_release(&mc);
	if (r < 0)
		cli_error_diag(&d, r);
	return r;
}

static void reap_earlier(struct host *h, const struct bench_opts *b)
{
	struct diag d = {0};
	size_t reaped = 0;
	bool hugetlb = false;

	for (size_t i = 0; i < b->run.npages; i++)
		hugetlb |= !b->pages[i].thp && b->pages[i].size_kib > 4;
	if (!hugetlb)
		return;
	if (mempages_reap(h, &reaped, &d) < 0)
		cli_error("bench memory: earlier runs' hugepages: %s, ignoring", d.msg);
	else if (reaped)
		fprintf(stderr,
			"kvmtune: bench memory: gave back the hugepages of %zu earlier run(s) that "
			"ended without giving them back\n",
			reaped);
}

static int measure(struct cli *c, struct host *h, const struct host_model *m, struct bench_opts *b)
{
	struct membench_result res = {0};
	struct timespec t0;
	struct sigaction sa = {.sa_handler = on_stop};
	struct diag d = {0};
	struct bench_view v;
	int r, rc = EXIT_OK;
	size_t measured = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	b->run.stop = &stop_requested;
	b->run.progress = on_progress;
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	b->run.progress_data = &t0;
	reap_earlier(h, b);
	r = membench_run(h, m, &b->run, &res, &d);
	if (r < 0 && r != -EINTR)
		cli_error_diag(&d, r);
	for (size_t i = 0; i < res.ncells; i++)
		measured += res.cells[i].samples > 0;
	if (r == -EINTR)
		cli_error("bench memory: interrupted; every hugepage taken was given back");
	if (r >= 0 && b->save && save_costs(h, m, b, &res) < 0)
		rc = EXIT_FAILED;
	v = (struct bench_view){.cells = res.cells,
				.ncells = res.ncells,
				.naive = &res.naive,
				.buffer_kib = b->run.buffer_kib,
				.elapsed_s = res.elapsed_s,
				.time = (int64_t)time(NULL),
				.kernel = m->kernel_release,
				.saved_to =
					r >= 0 && b->save && rc == EXIT_OK ? MEMCOST_PATH : NULL};
	if (c->json)
		render_json_print(bench_json(&v), stdout);
	else
		bench_print_text(&v, stdout);
	membench_result_release(&res);
	return r < 0 || !measured ? EXIT_FAILED : rc;
}

static int bench_memory(struct cli *c, int argc, char **argv)
{
	struct bench_opts b = {0};
	struct host_model m = {0};
	struct diag d = {0};
	struct host *h = NULL;
	int rc = EXIT_OK, r;

	if (parse_opts(c, argc, argv, &b, &rc)) {
		free(b.nodes);
		return rc;
	}
	r = cli_host(c, &h, &d);
	if (r < 0) {
		rc = cli_fail(&d, r);
	} else if (b.show) {
		rc = show_saved(c, h);
	} else if (!host_is_live(h)) {
		cli_error("bench memory measures this machine; with --root it only shows saved "
			  "results (--show)");
		rc = EXIT_USAGE;
	} else {
		r = host_model_load(h, &m, &d);
		if (r >= 0 && !b.sizes_given)
			default_pages(&m, &b);
		if (r >= 0)
			r = membench_check(&m, &b.run, &d);
		rc = r < 0 ? cli_fail(&d, r) : measure(c, h, &m, &b);
		host_model_release(&m);
	}
	free(b.nodes);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
} verbs[] = {
	{"memory", bench_memory},
};

int cmd_bench(struct cli *c, int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		bench_usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; argc > 1 && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(c, argc - 1, argv + 1);
	cli_error("bench: expected a benchmark: memory");
	bench_usage(stderr);
	return EXIT_USAGE;
}
