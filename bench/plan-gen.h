/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/plan: seeded, reproducible placement instances on a real topology
 * (a fixture's nodes, cores, SMT siblings and distances): each node's free
 * cores, 2M and 1G pages and memory drawn at random, and a batch of VMs of
 * mixed shapes (vCPUs and memory around the average share of the host at a
 * load factor, page size, cells, threads policy).  Also numad's view of each
 * node (MemFree + Inactive(file)).
 */
#ifndef KVMTUNE_BENCH_PLAN_GEN_H
#define KVMTUNE_BENCH_PLAN_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "place/host.h"
#include "place/request.h"

struct host_model;

struct bench_rng {
	uint64_t s;
};

/* splitmix64: the same sequence on every machine for one seed. */
uint64_t bench_rand(struct bench_rng *r);
/* Uniform in [0, n). */
uint64_t bench_below(struct bench_rng *r, uint64_t n);

struct bench_instance {
	struct place_host host;
	struct place_req *reqs;
	size_t n;
	int64_t *numad_free_kib; /* per node: what numad takes as free memory */
};

/*
 * Draw an instance on m's topology: nvms VMs whose memory and cores add up
 * to about load x the host's free memory and free cores (nvms 0: 4-12 VMs
 * at a load of 0.5-1.2, drawn too).  ret must be zeroed; release with
 * bench_instance_release().
 */
void bench_gen(const struct host_model *m, struct bench_rng *rng, size_t nvms, double load,
	       struct bench_instance *ret);
void bench_instance_release(struct bench_instance *in);

/* Load a topology: a /sys+/proc tree (directory) or an hwloc XML file.  0 or -errno. */
int bench_load_topology(const char *path, struct host_model *ret);

#endif
