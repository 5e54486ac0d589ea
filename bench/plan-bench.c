/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/plan: kvmtune's planner against the exact optimum (branch and
 * bound), first fit (Nova-like) and numad's rule, side by side on seeded
 * instances drawn on fixture topologies (2 to 8 nodes, up to 12 VMs), and
 * the planner's speed on large batches (256 VMs x 8 nodes, 1024 VMs x 64
 * nodes: the whole plan, pins included).  Run through bench/plan, which
 * builds it without sanitizers and keeps the table in bench/results/plan.txt.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "core/model.h"
#include "place/plan.h"
#include "plan-exact.h"
#include "plan-gen.h"
#include "plan-peers.h"

struct topo {
	const char *label;
	const char *path; /* below the fixtures directory */
};

static const struct topo small_topos[] = {
	{"2 nodes, 2-socket SMT Intel", "machines/32intel64-2p8co2t+8ve"},
	{"4 nodes, AMD 4 cores each", "machines/16amd64-4n4c-cgroup-distance-merge"},
	{"8 nodes, AMD 2 cores each", "machines/16amd64-8n2c"},
	{"8 nodes, Intel irregular groups", "hwloc-xml/64intel64-3g2n+2n-irregulargroups+pci.xml"},
};

struct speed_case {
	const char *label;
	const char *path;
	size_t nvms;
	double limit_ms; /* 0: no target */
};

static const struct speed_case speed_cases[] = {
	{"256 VMs x 8 nodes", "hwloc-xml/64intel64-3g2n+2n-irregulargroups+pci.xml", 256, 10},
	{"512 VMs x 24 nodes", "hwloc-xml/192em64t-24n8c2t.xml", 512, 0},
	{"1024 VMs x 64 nodes", "machines/256ia64-64n2s2c", 1024, 200},
};

enum method {
	M_EXACT,
	M_KVMTUNE,
	M_FIRST_FIT,
	M_NUMAD,
	M_COUNT
};
static const char *const method_names[] = {"exact (branch and bound)", "kvmtune plan",
					   "first fit (Nova-like)", "numad's rule"};

struct tally {
	unsigned instances, incomplete, vms;
	unsigned optimal[M_COUNT];
	unsigned long unplaced[M_COUNT], split[M_COUNT], distance[M_COUNT];
	unsigned kvmtune_worse_than_ff;
};

static unsigned show_left;   /* --show: instances still to print */
static uint64_t work_budget; /* --budget: the planner's work budget (0: its default) */
static bool check_exact;     /* --check-exact: search again from first fit's objective */
static unsigned exact_disagreements;
static unsigned infeasible; /* kvmtune plans that do not replay from scratch */

/* Replay the choices from the instance's own state: each must still fit in turn. */
static bool feasible(const struct bench_instance *in, const struct place_choice *ch,
		     const struct place_opts *o)
{
	struct place_state s;
	struct place_choice c;
	bool ok = true;

	place_state_init(&s, &in->host);
	for (size_t i = 0; i < in->n && ok; i++) {
		if (!ch[i].placed)
			continue;
		ok = place_try(&in->host, &s, &in->reqs[i], o, ch[i].nodes, ch[i].nnodes, &c);
		if (ok)
			place_apply(&in->host, &s, &in->reqs[i], &c, 1);
	}
	place_state_release(&s);
	return ok;
}

static void show_choice(const struct place_host *h, const struct place_choice *c)
{
	if (!c->placed) {
		printf(" -");
		return;
	}
	printf(" ");
	for (size_t j = 0; j < c->nnodes; j++)
		printf("%s%d", j ? "+" : "", h->nodes[c->nodes[j]].node);
}

static void show(const struct bench_instance *in, const struct place_choice *mine,
		 const struct place_choice *best, const struct place_objective *a,
		 const struct place_objective *b)
{
	printf("\n--- mismatch: kvmtune (%u,%u,%lu) exact (%u,%u,%lu)\n", a->placed, a->split,
	       (unsigned long)a->distance, b->placed, b->split, (unsigned long)b->distance);
	for (size_t i = 0; i < in->host.nnodes; i++) {
		const struct place_node *n = &in->host.nodes[i];

		printf("node %d: cores %u free (t%u), mem %lld MiB, 2M %lld, 1G %lld\n", n->node,
		       n->free_cores, n->min_threads, (long long)n->mem_kib / 1024,
		       (long long)n->pools[0].free_pages, (long long)n->pools[1].free_pages);
	}
	for (size_t i = 0; i < in->n; i++) {
		const struct place_req *r = &in->reqs[i];

		printf("%s: %u vcpus %s %s cells %u, %llu MiB page %llu:", r->name, r->vcpus,
		       place_pin_name(r->pin), place_threads_name(r->threads), r->cells,
		       (unsigned long long)r->mem_kib / 1024, (unsigned long long)r->page_kib);
		show_choice(&in->host, &mine[i]);
		printf(" /");
		show_choice(&in->host, &best[i]);
		printf("\n");
	}
}

/* CPU time of this process: the other load of a shared host does not count. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void add_result(struct tally *t, enum method m, const struct place_objective *obj,
		       const struct place_objective *opt, size_t n)
{
	t->optimal[m] += place_objective_cmp(obj, opt) == 0;
	t->unplaced[m] += n - obj->placed;
	t->split[m] += obj->split;
	t->distance[m] += obj->distance;
}

static void one_instance(const struct host_model *m, uint64_t seed, struct tally *t)
{
	struct bench_rng rng = {seed};
	struct bench_instance in;
	struct place_opts o = {.work_budget = work_budget};
	struct place_objective obj[M_COUNT], inc;
	struct place_choice *ch, *best;

	bench_gen(m, &rng, 0, 0, &in);
	ch = calloc(in.n + 1, sizeof(*ch));
	place_batch(&in.host, in.reqs, in.n, &o, ch);
	obj[M_KVMTUNE] = place_objective_of(ch, in.n);
	infeasible += !feasible(&in, ch, &o);
	obj[M_FIRST_FIT] = peer_first_fit(&in.host, in.reqs, in.n, &o);
	obj[M_NUMAD] = peer_numad(&in.host, in.reqs, in.n, &o, in.numad_free_kib);
	inc = obj[M_KVMTUNE];
	for (int k = M_FIRST_FIT; k < M_COUNT; k++)
		if (place_objective_cmp(&obj[k], &inc) < 0)
			inc = obj[k];
	t->instances++;
	t->vms += (unsigned)in.n;
	best = calloc(in.n + 1, sizeof(*best));
	if (!exact_solve_choices(&in.host, in.reqs, in.n, &o, &inc, 3000000, &obj[M_EXACT], best)) {
		t->incomplete++;
		goto out;
	}
	if (check_exact) {
		struct place_objective again;
		struct place_choice *ach = calloc(in.n + 1, sizeof(*ach));

		if (exact_solve_choices(&in.host, in.reqs, in.n, &o, &obj[M_FIRST_FIT], 20000000,
					&again, ach) &&
		    place_objective_cmp(&again, &obj[M_EXACT]) != 0) {
			printf("# the first-fit-seeded exact plan replays: %s\n",
			       feasible(&in, ach, &o) ? "yes" : "NO");
			show(&in, ach, best, &again, &obj[M_EXACT]);
			exact_disagreements++;
			printf("# exact disagrees: from first fit (%u,%u,%lu), from the best "
			       "(%u,%u,%lu), kvmtune (%u,%u,%lu)\n",
			       again.placed, again.split, (unsigned long)again.distance,
			       obj[M_EXACT].placed, obj[M_EXACT].split,
			       (unsigned long)obj[M_EXACT].distance, obj[M_KVMTUNE].placed,
			       obj[M_KVMTUNE].split, (unsigned long)obj[M_KVMTUNE].distance);
			show(&in, ch, best, &obj[M_KVMTUNE], &obj[M_EXACT]);
		}
		free(ach);
	}
	for (int k = 0; k < M_COUNT; k++)
		add_result(t, (enum method)k, &obj[k], &obj[M_EXACT], in.n);
	t->kvmtune_worse_than_ff += place_objective_cmp(&obj[M_KVMTUNE], &obj[M_FIRST_FIT]) > 0;
	if (show_left && place_objective_cmp(&obj[M_KVMTUNE], &obj[M_EXACT])) {
		show_left--;
		show(&in, ch, best, &obj[M_KVMTUNE], &obj[M_EXACT]);
	}
out:
	free(best);
	free(ch);
	bench_instance_release(&in);
}

static void print_tally(const char *label, const struct tally *t)
{
	unsigned done = t->instances - t->incomplete;

	printf("\n%s: %u instances, %u VMs", label, t->instances, t->vms);
	if (t->incomplete)
		printf(" (%u left out: the exact search hit its limit)", t->incomplete);
	printf("\n  %-26s %9s %10s %8s %10s\n", "method", "optimal", "unplaced", "split",
	       "distance");
	for (int k = 0; k < M_COUNT; k++)
		printf("  %-26s %8.1f%% %10lu %8lu %10lu\n", method_names[k],
		       done ? 100.0 * t->optimal[k] / done : 0.0, t->unplaced[k], t->split[k],
		       t->distance[k]);
	printf("  kvmtune worse than first fit: %u instance%s\n", t->kvmtune_worse_than_ff,
	       t->kvmtune_worse_than_ff == 1 ? "" : "s");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int speed(const char *fixtures, uint64_t seed, unsigned reps, int only_case)
{
	int fail = 0;

	printf("\nspeed: the whole plan (solve, repair, pins), CPU time, %u runs each, median and "
	       "max\n",
	       reps);
	for (size_t i = 0; i < sizeof(speed_cases) / sizeof(speed_cases[0]); i++) {
		const struct speed_case *sc = &speed_cases[i];
		char path[4096];
		struct host_model m = {0};
		struct bench_rng rng = {seed + i};
		struct bench_instance in;
		struct place_opts o = {0};
		double t[64];
		unsigned placed = 0, split = 0;

		if (only_case >= 0 && (size_t)only_case != i)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", fixtures, sc->path);
		if (bench_load_topology(path, &m) < 0) {
			printf("  %-22s skipped: cannot load '%s'\n", sc->label, path);
			continue;
		}
		bench_gen(&m, &rng, sc->nvms, 0.75, &in);
		for (unsigned r = 0; r < reps && r < 64; r++) {
			struct place_host copy;
			struct place_plan plan = {0};
			double t0;

			place_host_copy(&copy, &in.host);
			t0 = now_ms();
			place_plan_build(&copy, in.reqs, in.n, &o, &plan);
			t[r] = now_ms() - t0;
			placed = plan.objective.placed;
			split = plan.objective.split;
			place_plan_release(&plan);
			place_host_release(&copy);
		}
		qsort(t, reps, sizeof(t[0]), cmp_double);
		printf("  %-22s %8.2f ms median %8.2f ms max", sc->label, t[reps / 2], t[reps - 1]);
		if (sc->limit_ms) {
			printf("  (target <= %.0f ms: %s)", sc->limit_ms,
			       t[reps / 2] <= sc->limit_ms ? "met" : "MISSED");
			fail |= t[reps / 2] > sc->limit_ms;
		}
		printf("  placed %u of %zu, %u split\n", placed, in.n, split);
		bench_instance_release(&in);
		host_model_release(&m);
	}
	return fail;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seed", required_argument, NULL, 's'},
		{"instances", required_argument, NULL, 'n'},
		{"fixtures", required_argument, NULL, 'f'},
		{"reps", required_argument, NULL, 'r'},
		{"show", required_argument, NULL, 'S'},
		{"only", required_argument, NULL, 'o'},
		{"case", required_argument, NULL, 'c'},
		{"check-exact", no_argument, NULL, 'x'},
		{"budget", required_argument, NULL, 'b'},
		{NULL, 0, NULL, 0},
	};
	const char *fixtures = "../shared/fixtures", *only = "";
	unsigned long seed = 12, instances = 150, reps = 15;
	int only_case = -1;
	struct tally total = {0};
	struct utsname u;
	int opt, fail;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 's')
			seed = strtoul(optarg, NULL, 10);
		else if (opt == 'n')
			instances = strtoul(optarg, NULL, 10);
		else if (opt == 'f')
			fixtures = optarg;
		else if (opt == 'S')
			show_left = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'o')
			only = optarg;
		else if (opt == 'c')
			only_case = atoi(optarg);
		else if (opt == 'x')
			check_exact = true;
		else if (opt == 'b')
			work_budget = strtoull(optarg, NULL, 10);
		else if (opt == 'r')
			reps = strtoul(optarg, NULL, 10) % 64 ? strtoul(optarg, NULL, 10) % 64 : 1;
		else {
			fprintf(stderr,
				"usage: %s [--seed N] [--instances N] [--reps N] "
				"[--fixtures DIR] [--only quality|speed] [--case N] [--show N] "
				"[--check-exact] [--budget N]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	(void)uname(&u);
	printf("bench/plan  seed %lu, %lu instances per topology, host %s %s\n", seed, instances,
	       u.nodename, u.release);
	printf("quality: 4-12 VMs per instance (2M/1G/normal pages, 1-2 cells, threads "
	       "prefer/isolate), free cores and pools drawn per node; optimal = same "
	       "(placed, split, distance) as the exact optimum\n");
	for (size_t i = 0;
	     i < sizeof(small_topos) / sizeof(small_topos[0]) && strcmp(only, "speed") != 0; i++) {
		struct host_model m = {0};
		struct tally t = {0};
		char path[4096];

		(void)snprintf(path, sizeof(path), "%s/%s", fixtures, small_topos[i].path);
		if (bench_load_topology(path, &m) < 0) {
			printf("\n%s: skipped, cannot load '%s'\n", small_topos[i].label, path);
			continue;
		}
		for (unsigned long k = 0; k < instances; k++)
			one_instance(&m, seed * 1000003ULL + i * 100000ULL + k, &t);
		print_tally(small_topos[i].label, &t);
		total.instances += t.instances;
		total.incomplete += t.incomplete;
		total.vms += t.vms;
		total.kvmtune_worse_than_ff += t.kvmtune_worse_than_ff;
		for (int k = 0; k < M_COUNT; k++) {
			total.optimal[k] += t.optimal[k];
			total.unplaced[k] += t.unplaced[k];
			total.split[k] += t.split[k];
			total.distance[k] += t.distance[k];
		}
		host_model_release(&m);
	}
	if (strcmp(only, "speed") != 0)
		print_tally("all topologies", &total);
	printf("kvmtune plans that do not replay from scratch: %u\n", infeasible);
	if (check_exact)
		printf("exact searched again from first fit's objective: %u disagreement%s\n",
		       exact_disagreements, exact_disagreements == 1 ? "" : "s");
	fail = strcmp(only, "quality") != 0 ? speed(fixtures, seed, (unsigned)reps, only_case) : 0;
	return fail ? 1 : 0;
}
