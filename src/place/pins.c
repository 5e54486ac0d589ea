/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPU pins for a placement: cores per cell (cache-aware), vCPU threads, emulator and I/O threads.
 */
#include "place/pins.h"

#include <stdlib.h>
#include <string.h>

#include "place/host.h"
#include "place/request.h"
#include "place/solve.h"
#include "util/xalloc.h"

#include "util/banned.h"

void place_pins_release(struct place_pins *p)
{
	for (unsigned i = 0; i < p->nvcpus; i++)
		cpuset_release(&p->vcpu[i]);
	free(p->vcpu);
	cpuset_release(&p->emulator);
	cpuset_release(&p->iothreads);
	cpuset_release(&p->cores);
	memset(p, 0, sizeof(*p));
}

/* Free cores of node idx in cache group g (g < -1: any group). */
static unsigned free_in(const struct place_host *h, size_t idx, int g)
{
	unsigned n = 0;

	for (size_t c = 0; c < h->ncores; c++)
		if (h->cores[c].node_idx == idx && h->cores[c].owner == PLACE_CORE_FREE &&
		    (g < -1 || h->cores[c].cache == g))
			n++;
	return n;
}

/* The cache group to take `need` cores from: the fullest one that has room; else -2 (any). */
static int pick_cache(const struct place_host *h, size_t idx, unsigned need)
{
	int best = -2;
	unsigned best_free = 0;

	for (size_t c = 0; c < h->ncores; c++) {
		const struct place_core *core = &h->cores[c];
		unsigned f;

		if (core->node_idx != idx || core->owner != PLACE_CORE_FREE)
			continue;
		f = free_in(h, idx, core->cache);
		if (f >= need && (best == -2 || f < best_free)) {
			best = core->cache;
			best_free = f;
		}
	}
	return best;
}

/* Take `need` free cores of node idx for VM owner; their indexes go to ret. */
static size_t take_cores(struct place_host *h, size_t idx, unsigned need, int owner, size_t *ret)
{
	int g = pick_cache(h, idx, need);
	size_t got = 0;

	/* one cache group when one has room, else fill the fullest groups first */
	while (got < need) {
		int from = g;

		if (g == -2) {
			unsigned most = 0;

			for (size_t c = 0; c < h->ncores; c++)
				if (h->cores[c].node_idx == idx &&
				    h->cores[c].owner == PLACE_CORE_FREE &&
				    free_in(h, idx, h->cores[c].cache) > most) {
					most = free_in(h, idx, h->cores[c].cache);
					from = h->cores[c].cache;
				}
			if (!most)
				break;
		}
		for (size_t c = 0; c < h->ncores && got < need; c++)
			if (h->cores[c].node_idx == idx && h->cores[c].owner == PLACE_CORE_FREE &&
			    h->cores[c].cache == from) {
				h->cores[c].owner = owner;
				ret[got++] = c;
			}
		if (g != -2)
			break;
	}
	return got;
}

/* The n-th CPU of a core. */
static int nth_cpu(const struct place_core *c, unsigned n)
{
	int cpu;

	cpuset_foreach (cpu, &c->cpus)
		if (n-- == 0)
			return cpu;
	return cpuset_next(&c->cpus, 0);
}

static void pin_cell(struct place_host *h, const struct place_req *r, const struct place_cell *cell,
		     int owner, struct place_pins *p)
{
	size_t *cores = xcalloc(cell->cores + 1, sizeof(*cores));
	size_t got = take_cores(h, cell->node_idx, cell->cores, owner, cores);
	unsigned per = got ? (cell->vcpus + (unsigned)got - 1) / (unsigned)got : 1;

	if (r->threads == PLACE_THREADS_ISOLATE)
		per = 1;
	for (size_t i = 0; i < got; i++)
		cpuset_or(&p->cores, &h->cores[cores[i]].cpus);
	for (unsigned v = 0; v < cell->vcpus && got; v++) {
		const struct place_core *c = &h->cores[cores[(v / per) % got]];

		cpuset_set(&p->vcpu[cell->first_vcpu + v], (unsigned)nth_cpu(c, v % per));
	}
	if (per > 1 && cell->vcpus % per == 0 && (p->guest_threads == 0 || p->guest_threads == per))
		p->guest_threads = per;
	else
		p->guest_threads = 1;
	free(cores);
}

/* CPUs of node idx that no VM holds (free and host cores). */
static void shared_cpus(const struct place_host *h, size_t idx, struct cpuset *ret)
{
	for (size_t c = 0; c < h->ncores; c++)
		if (h->cores[c].node_idx == idx &&
		    (h->cores[c].owner == PLACE_CORE_FREE || h->cores[c].owner == PLACE_CORE_HOST))
			cpuset_or(ret, &h->cores[c].cpus);
}

/*
 * Where helper threads go on node idx: its host cores, kept for exactly this;
 * without any, the cores no VM holds (a later plan may still take them).
 */
static void helper_cpus(const struct place_host *h, size_t idx, struct cpuset *ret)
{
	for (size_t c = 0; c < h->ncores; c++)
		if (h->cores[c].node_idx == idx && h->cores[c].owner == PLACE_CORE_HOST)
			cpuset_or(ret, &h->cores[c].cpus);
	if (cpuset_empty(ret))
		shared_cpus(h, idx, ret);
}

static void pin_helpers(const struct place_host *h, const struct place_choice *c,
			struct place_pins *p)
{
	for (size_t j = 0; j < c->nnodes; j++)
		helper_cpus(h, c->nodes[j], &p->emulator);
	if (cpuset_empty(&p->emulator)) {
		/* the nearest node that has one, from the VM's first node */
		size_t from = c->nodes[0], best = h->nnodes;

		for (size_t i = 0; i < h->nnodes; i++) {
			struct cpuset s = CPUSET_INIT;

			helper_cpus(h, i, &s);
			if (!cpuset_empty(&s) &&
			    (best == h->nnodes ||
			     h->cost[from * h->nnodes + i] < h->cost[from * h->nnodes + best]))
				best = i;
			cpuset_release(&s);
		}
		if (best < h->nnodes) {
			helper_cpus(h, best, &p->emulator);
			p->emulator_far = true;
		}
	}
	if (cpuset_empty(&p->emulator)) {
		for (unsigned v = 0; v < p->nvcpus; v++)
			cpuset_or(&p->emulator, &p->vcpu[v]);
		p->emulator_on_vcpus = true;
	}
	cpuset_copy(&p->iothreads, &p->emulator);
}

void place_pins_assign(struct place_host *h, const struct place_req *reqs,
		       const struct place_choice *ch, size_t n, struct place_pins *ret)
{
	memset(ret, 0, n * sizeof(*ret));
	for (size_t i = 0; i < n; i++) {
		if (!ch[i].placed)
			continue;
		ret[i].nvcpus = reqs[i].vcpus;
		ret[i].vcpu = xcalloc(reqs[i].vcpus + 1, sizeof(*ret[i].vcpu));
		for (size_t c = 0; c < ch[i].ncells && reqs[i].pin == PLACE_PIN_DEDICATED; c++)
			pin_cell(h, &reqs[i], &ch[i].cells[c], (int)i, &ret[i]);
		if (!ret[i].guest_threads)
			ret[i].guest_threads = 1;
	}
	/* shared vCPUs and helpers once every dedicated core is known */
	for (size_t i = 0; i < n; i++) {
		if (!ch[i].placed)
			continue;
		for (size_t c = 0; c < ch[i].ncells && reqs[i].pin == PLACE_PIN_SHARED; c++) {
			const struct place_cell *cell = &ch[i].cells[c];

			for (unsigned v = 0; v < cell->vcpus; v++)
				shared_cpus(h, cell->node_idx, &ret[i].vcpu[cell->first_vcpu + v]);
		}
		pin_helpers(h, &ch[i], &ret[i]);
	}
}
