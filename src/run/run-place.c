/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Placement for 'kvmtune run': --nodes to cells and pins (the planner's seam). */
#include "run/run-place.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

static int check_nodes(const struct host_model *m, const struct cpuset *nodes, struct diag *d)
{
	int node;

	cpuset_foreach (node, nodes) {
		const struct numa_node *n = model_find_node(m, node);

		if (!n)
			return diag_set(d, EINVAL, "--nodes",
					"--nodes: this host has no NUMA node %d", node);
		if (n->mem_total_kib == 0)
			return diag_set(d, EINVAL, "--nodes", "--nodes: node %d has no memory",
					node);
	}
	return 0;
}

/* The unit memory is split in: a page, or 1 MiB for normal pages. */
static int split_unit(const struct host_model *m, uint64_t page_kib, uint64_t *ret, struct diag *d)
{
	if (page_kib == VM_PAGE_HOST_DEFAULT && !m->default_hugepage_kib)
		return diag_set(d, EINVAL, "--page",
				"--page default: the host has no default "
				"hugepage size");
	*ret = page_kib == VM_PAGE_NORMAL	  ? 1024
	       : page_kib == VM_PAGE_HOST_DEFAULT ? m->default_hugepage_kib
						  : page_kib;
	return 0;
}

static void place_cells(const struct run_place_req *req, uint64_t unit, struct vm_spec *vm,
			const unsigned *node_of)
{
	unsigned k = cpuset_count(req->nodes), next_vcpu = 0;
	uint64_t units = req->mem_kib / unit;

	for (unsigned i = 0; i < k; i++) {
		struct vm_cell *c = vm_spec_add_cell(vm, i);
		unsigned nv = req->vcpus / k + (i < req->vcpus % k);

		c->mem_kib = (units / k + (i < units % k)) * unit;
		c->page_kib = req->page_kib;
		for (unsigned v = 0; v < nv; v++)
			cpuset_set(&c->cpus, next_vcpu++);
		c->has_memnode = true;
		c->policy = VM_POLICY_BIND;
		cpuset_set(&c->host_nodes, node_of[i]);
	}
}

static void place_pins(const struct host_model *m, const struct run_place_req *req,
		       const unsigned *node_of, struct run_pins *pins)
{
	unsigned k = cpuset_count(req->nodes), v = 0;
	int node;

	cpuset_foreach (node, req->nodes)
		cpuset_or(&pins->emulator, &model_find_node(m, node)->cpus);
	pins->nvcpus = req->vcpus;
	pins->vcpus = xcalloc(req->vcpus ? req->vcpus : 1, sizeof(*pins->vcpus));
	pins->vcpu_nodes = xcalloc(req->vcpus ? req->vcpus : 1, sizeof(*pins->vcpu_nodes));
	for (unsigned i = 0; i < k; i++) {
		const struct numa_node *n = model_find_node(m, (int)node_of[i]);
		unsigned nv = req->vcpus / k + (i < req->vcpus % k);

		for (unsigned j = 0; j < nv; j++, v++) {
			cpuset_copy(&pins->vcpus[v],
				    cpuset_empty(&n->cpus) ? &pins->emulator : &n->cpus);
			pins->vcpu_nodes[v] = n->node;
		}
	}
}

int run_place(const struct host_model *m, const struct run_place_req *req, struct vm_spec *vm,
	      struct run_pins *pins, struct diag *d)
{
	AUTOFREE unsigned *node_of = NULL;
	unsigned k, i = 0;
	uint64_t unit = 0;
	char b[32], u[32];
	int node, r;

	if (!req->nodes || cpuset_empty(req->nodes))
		return diag_set(d, EINVAL, "--nodes",
				"no host nodes to place the VM on (--nodes, or the planner's "
				"choice)");
	r = check_nodes(m, req->nodes, d);
	if (r >= 0)
		r = split_unit(m, req->page_kib, &unit, d);
	if (r < 0)
		return r;
	k = cpuset_count(req->nodes);
	if (req->mem_kib % unit || req->mem_kib / unit < k)
		return diag_set(d, EINVAL, "memory",
				"%s of memory does not split into whole %s units over %u node%s",
				format_size_kib(req->mem_kib, b, sizeof(b)),
				unit == 1024 ? "1M" : format_pagesize(unit, u, sizeof(u)), k,
				k > 1 ? "s" : "");
	node_of = xcalloc(k, sizeof(*node_of));
	cpuset_foreach (node, req->nodes)
		node_of[i++] = (unsigned)node;
	vm->mem_kib = req->mem_kib;
	vm->page_kib = req->page_kib;
	vm->vcpus = req->vcpus;
	if (k == 1) {
		vm->policy = VM_POLICY_BIND;
		cpuset_set(&vm->host_nodes, node_of[0]);
	} else {
		place_cells(req, unit, vm, node_of);
	}
	place_pins(m, req, node_of, pins);
	return 0;
}

void run_pins_release(struct run_pins *p)
{
	for (size_t i = 0; i < p->nvcpus; i++)
		cpuset_release(&p->vcpus[i]);
	free(p->vcpus);
	free(p->vcpu_nodes);
	cpuset_release(&p->emulator);
	memset(p, 0, sizeof(*p));
}
