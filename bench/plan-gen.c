/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench/plan: generated placement instances on fixture topologies. */
#include "plan-gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/host.h"
#include "core/model.h"
#include "core/topology.h"
#include "core/vmspec.h"
#include "util/xalloc.h"

#define GIB (1024ULL * 1024)

uint64_t bench_rand(struct bench_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t bench_below(struct bench_rng *r, uint64_t n)
{
	return n ? bench_rand(r) % n : 0;
}

int bench_load_topology(const char *path, struct host_model *ret)
{
	struct host *h = NULL;
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return topology_load_xml(path, ret, NULL);
	r = host_open(path, &h, NULL);
	if (r >= 0)
		r = host_model_load(h, ret, NULL);
	host_free(h);
	return r;
}

/* Per node: some cores already held, pools and memory drawn as shares of the node. */
static void draw_node(struct bench_instance *in, size_t i, struct bench_rng *rng)
{
	struct place_node *n = &in->host.nodes[i];
	uint64_t mem = n->mem_total_kib > 0 ? (uint64_t)n->mem_total_kib : 16 * GIB;
	uint64_t p2 = mem * (20 + bench_below(rng, 50)) / 100;
	uint64_t p1 = mem * bench_below(rng, 30) / 100;

	n->npools = 2;
	n->pools[0] = (struct place_pool){2048, (int64_t)(p2 / 2048), (int64_t)(p2 / 2048), true};
	n->pools[1] = (struct place_pool){GIB, (int64_t)(p1 / GIB), (int64_t)(p1 / GIB), true};
	n->mem_kib = (int64_t)(mem * (5 + bench_below(rng, 25)) / 100);
	in->numad_free_kib[i] = n->mem_kib + (int64_t)(mem * bench_below(rng, 10) / 100);
	for (size_t c = 0; c < in->host.ncores; c++)
		if (in->host.cores[c].node_idx == i && in->host.cores[c].owner == PLACE_CORE_FREE &&
		    bench_below(rng, 100) < 20) {
			in->host.cores[c].owner = PLACE_CORE_TAKEN;
			n->free_cores--;
		}
}

/* One VM around the average share of the host's free memory and cores. */
static void draw_vm(struct bench_rng *rng, size_t idx, double avg_kib, double avg_cores,
		    unsigned max_vcpus, unsigned node_cpus, unsigned shared_pct,
		    struct place_req *r)
{
	static const double spread[] = {0.25, 0.5, 0.75, 1, 1, 1.25, 1.5, 2, 3};
	unsigned kind = (unsigned)bench_below(rng, 100);
	uint64_t mem = (uint64_t)(avg_kib * spread[bench_below(rng, 9)]);
	double cores = avg_cores * spread[bench_below(rng, 9)];
	unsigned vcpus;

	place_req_init(r);
	(void)snprintf(r->name, sizeof(r->name), "vm%zu", idx);
	if (bench_below(rng, 100) < shared_pct)
		r->pin = PLACE_PIN_SHARED;
	else if (bench_below(rng, 100) < 15)
		r->threads = PLACE_THREADS_ISOLATE;
	vcpus = (unsigned)(cores * (r->threads == PLACE_THREADS_ISOLATE ? 1 : 2) + 0.5);
	/* most VMs fit a node's CPUs; a few ask for up to twice as many */
	if (bench_below(rng, 100) < 90 && vcpus > node_cpus)
		vcpus = node_cpus;
	r->vcpus = vcpus < 1		   ? 1
		   : vcpus > max_vcpus	   ? max_vcpus
		   : vcpus > 2 * node_cpus ? 2 * node_cpus
					   : vcpus;
	r->page_kib = kind < 60 ? 2048 : kind < 85 ? GIB : VM_PAGE_NORMAL;
	if (r->page_kib == GIB && mem < GIB)
		r->page_kib = 2048;
	mem = r->page_kib == GIB ? (mem + GIB / 2) / GIB * GIB : (mem + 1024) / 2048 * 2048;
	r->mem_kib = mem ? mem : 2048;
	if (bench_below(rng, 100) < 10 && r->vcpus >= 2)
		r->cells = 2;
}

void bench_gen(const struct host_model *m, struct bench_rng *rng, size_t nvms, double load,
	       struct bench_instance *ret)
{
	struct place_host_opts ho = {-1, 1};
	uint64_t free_kib = 0, free_cores = 0;
	unsigned cpus = 0, shared_pct = 10, node_cpus = 0;

	memset(ret, 0, sizeof(*ret));
	(void)place_host_build(m, NULL, NULL, &ho, &ret->host, NULL);
	free(ret->host.page_sizes);
	ret->host.page_sizes = xcalloc(2, sizeof(uint64_t));
	ret->host.page_sizes[0] = 2048;
	ret->host.page_sizes[1] = GIB;
	ret->host.npage_sizes = 2;
	ret->host.default_hugepage_kib = 2048;
	ret->numad_free_kib = xcalloc(ret->host.nnodes + 1, sizeof(int64_t));
	for (size_t i = 0; i < ret->host.nnodes; i++) {
		const struct place_node *n = &ret->host.nodes[i];

		draw_node(ret, i, rng);
		if (!n->ncores)
			continue;
		cpus += cpuset_count(&n->cpus);
		if (cpuset_count(&n->cpus) > node_cpus)
			node_cpus = cpuset_count(&n->cpus);
		free_cores += n->free_cores;
		free_kib += (uint64_t)n->mem_kib + (uint64_t)n->pools[0].free_pages * 2048 +
			    (uint64_t)n->pools[1].free_pages * GIB;
	}
	if (!nvms) {
		nvms = 4 + (size_t)bench_below(rng, 9);
		load = 0.5 + (double)bench_below(rng, 71) / 100;
	}
	/* a dense host carries many small VMs on shared CPUs: no core each */
	if (nvms > free_cores)
		shared_pct = (unsigned)(100 - 50 * free_cores / nvms);
	ret->reqs = xcalloc(nvms + 1, sizeof(*ret->reqs));
	for (size_t i = 0; i < nvms; i++)
		draw_vm(rng, i, load * (double)free_kib / (double)nvms,
			load * (double)free_cores / ((double)nvms * (100 - shared_pct) / 100),
			cpus ? cpus : 1, node_cpus ? node_cpus : 1, shared_pct, &ret->reqs[i]);
	ret->n = nvms;
}

void bench_instance_release(struct bench_instance *in)
{
	place_host_release(&in->host);
	free(in->reqs);
	free(in->numad_free_kib);
	memset(in, 0, sizeof(*in));
}
