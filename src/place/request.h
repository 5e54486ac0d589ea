/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM to place: vCPUs, memory, page size, guest NUMA cells, how its vCPUs
 * are pinned (dedicated cores or shared CPUs) and how they use SMT siblings
 * (Nova's cpu_thread_policy: prefer, isolate, require), its I/O threads.
 * Parsed from a spec ("name=db,vcpus=8,mem=32G,page=1G,cells=2,
 * pin=dedicated,threads=isolate"), a JSON array of such objects, a capacity
 * shape ("8c:32G:1G") or a libvirt domain.  Every parser here reads outside
 * text and is fuzzed.
 */
#ifndef KVMTUNE_PLACE_REQUEST_H
#define KVMTUNE_PLACE_REQUEST_H

#include <stddef.h>
#include <stdint.h>

struct diag;
struct place_host;
struct vm_spec;

#define PLACE_NAME_MAX 64
/* Far beyond any host, small enough that sums and page counts cannot overflow. */
#define PLACE_MAX_VCPUS 4096
#define PLACE_MAX_MEM_KIB (1ULL << 50) /* 1 EiB */
#define PLACE_MAX_IOTHREADS 64
/* Host nodes a request may name with nodes=. */
#define PLACE_MAX_ONLY_NODES 16

enum place_pin {
	PLACE_PIN_DEDICATED = 0, /* each vCPU on a host CPU of its own; no other VM on its cores */
	PLACE_PIN_SHARED,	 /* vCPUs float on the shared (not dedicated) CPUs of their node */
};

enum place_threads {
	PLACE_THREADS_PREFER =
		0,	       /* guest thread pairs on SMT sibling pairs where the host has them */
	PLACE_THREADS_ISOLATE, /* one vCPU per core, the siblings stay idle */
	PLACE_THREADS_REQUIRE, /* sibling pairs or refuse (the host must have SMT) */
};

struct place_req {
	char name[PLACE_NAME_MAX + 1];
	unsigned vcpus;
	uint64_t mem_kib;
	uint64_t page_kib; /* VM_PAGE_NORMAL, VM_PAGE_HOST_DEFAULT or a size in KiB */
	unsigned cells;	   /* guest NUMA cells; 0: one per host node used, as few as fit */
	enum place_pin pin;
	enum place_threads threads;
	unsigned iothreads;
	/* nodes=: the host nodes it may use (kernel numbers); none listed: any */
	uint16_t only_nodes[PLACE_MAX_ONLY_NODES];
	unsigned nonly_nodes;
	uint64_t allowed_idx; /* resolved: node indexes it may use (bit per index), 0: any */
};

/* Defaults: dedicated, threads prefer, the host's default hugepage size, cells auto. */
void place_req_init(struct place_req *r);

/*
 * Parse "key=value,..." with keys name, vcpus, mem, page (none, default, 2M,
 * 1G, ...), cells, pin (dedicated|shared), threads (prefer|isolate|require),
 * iothreads, nodes (host nodes it may use, "1" or "0-1", separated by ':'
 * or given as a list: nodes=0-1).  vcpus and mem are required; without name,
 * ret->name stays empty (the caller names it).  -EINVAL (unknown key, bad value,
 * 0 vCPUs) or -ERANGE (a size or count too large) with a diag quoting it.
 */
int place_req_parse(const char *spec, struct place_req *ret, struct diag *d);
/* A capacity shape "VCPUSc:MEM[:PAGE]" ("8c:32G:1G"), dedicated, threads prefer. */
int place_req_parse_shape(const char *shape, struct place_req *ret, struct diag *d);
/*
 * A JSON array of objects with the same keys (numbers or strings), len bytes.
 * ret gets a new array of ret_n requests (caller frees).
 */
int place_req_parse_json(const char *text, size_t len, struct place_req **ret, size_t *ret_n,
			 struct diag *d);
/*
 * From a parsed domain: its vCPUs, memory, page size (one for all cells),
 * cell count and I/O threads.  pin and threads keep ret's values.  -EINVAL
 * for a domain without <vcpu> or with cells of different page sizes.
 */
int place_req_from_vm_spec(const struct vm_spec *vm, struct place_req *ret, struct diag *d);
/*
 * What depends on the host: the page size resolved (default) and offered by
 * the CPU and kernel, not more vCPUs than the host has online CPUs, memory a
 * whole number of pages, cells <= vCPUs, nodes= naming nodes the host has
 * (among its first 64).  -EINVAL with a diag naming the VM.
 */
int place_req_resolve(struct place_req *r, const struct place_host *h, struct diag *d);

const char *place_pin_name(enum place_pin p);
const char *place_threads_name(enum place_threads t);

#endif
