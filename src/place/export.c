/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Planned VMs as vm_spec (libvirt XML, QEMU arguments), taskset pins, Proxmox lines. */
#include "place/export.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmspec.h"
#include "place/plan.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Proxmox's limits: numa0..numa7 (MAX_NUMA), hugepages 2 or 1024 MiB. */
#define PROXMOX_MAX_NUMA 8

static void clear_cells(struct vm_spec *vm)
{
	for (size_t i = 0; i < vm->ncells; i++) {
		cpuset_release(&vm->cells[i].cpus);
		cpuset_release(&vm->cells[i].host_nodes);
		free(vm->cells[i].distances);
	}
	free(vm->cells);
	vm->cells = NULL;
	vm->ncells = 0;
}

static void clear_pins(struct vm_spec *vm)
{
	for (size_t i = 0; i < vm->tune.nvcpupin; i++)
		cpuset_release(&vm->tune.vcpupin[i]);
	for (size_t i = 0; i < vm->tune.niothreadpin; i++)
		cpuset_release(&vm->tune.iothreadpin[i]);
	cpuset_clear(&vm->tune.emulatorpin);
	cpuset_clear(&vm->vcpu_cpuset);
}

static void export_cells(const struct place_host *h, const struct place_vm_plan *v,
			 struct vm_spec *vm)
{
	const struct place_choice *c = &v->choice;

	for (size_t i = 0; i < c->ncells; i++) {
		const struct place_cell *pc = &c->cells[i];
		struct vm_cell *cell = vm_spec_add_cell(vm, (unsigned)i);

		cell->mem_kib = pc->mem_kib;
		for (unsigned k = 0; k < pc->vcpus; k++)
			cpuset_set(&cell->cpus, pc->first_vcpu + k);
		cell->page_kib = v->req.page_kib;
		cell->has_memnode = true;
		cell->policy = VM_POLICY_BIND;
		cpuset_set(&cell->host_nodes, (unsigned)h->nodes[pc->node_idx].node);
		cpuset_set(&vm->host_nodes, (unsigned)h->nodes[pc->node_idx].node);
		if (c->nnodes < 2)
			continue;
		/* the guest sees its cells as far apart as their host nodes are */
		cell->distances = xcalloc(c->ncells, sizeof(*cell->distances));
		cell->ndistances = c->ncells;
		for (size_t j = 0; j < c->ncells; j++) {
			uint32_t cost = h->cost[pc->node_idx * h->nnodes + c->cells[j].node_idx];

			cell->distances[j] = i == j ? 10 : cost < 10 ? 10 : cost > 255 ? 255 : cost;
			if (i != j && c->cells[j].node_idx == pc->node_idx)
				cell->distances[j] = 10;
		}
	}
}

static void export_topology(const struct place_vm_plan *v, struct vm_spec *vm)
{
	unsigned cells = (unsigned)v->choice.ncells, t = v->pins.guest_threads;

	if (!cells || v->req.vcpus % cells) {
		memset(&vm->topology, 0, sizeof(vm->topology));
		return;
	}
	if (!t || (v->req.vcpus / cells) % t)
		t = 1;
	vm->topology = (struct vm_topology){cells, 1, 0, v->req.vcpus / cells / t, t};
}

void place_export_vm_spec(const struct place_host *h, const struct place_vm_plan *v,
			  struct vm_spec *vm)
{
	if (!vm->name)
		vm->name = xstrdup(v->req.name);
	clear_cells(vm);
	clear_pins(vm);
	cpuset_clear(&vm->host_nodes);
	vm->mem_kib = v->req.mem_kib;
	vm->mem_declared_kib = v->req.mem_kib;
	vm->page_kib = v->req.page_kib;
	vm->policy = VM_POLICY_BIND;
	vm->placement = VM_PLACEMENT_STATIC;
	vm->placement_given = true;
	vm->vcpu_placement = VM_PLACEMENT_STATIC;
	vm->vcpus = v->req.vcpus;
	vm->iothreads = v->req.iothreads;
	if (v->req.page_kib != VM_PAGE_NORMAL)
		vm->prealloc = true;
	export_cells(h, v, vm);
	for (unsigned i = 0; i < v->pins.nvcpus; i++)
		cpuset_copy(vm_spec_vcpupin(vm, i), &v->pins.vcpu[i]);
	cpuset_copy(&vm->tune.emulatorpin, &v->pins.emulator);
	for (unsigned i = 1; i <= v->req.iothreads; i++)
		cpuset_copy(vm_spec_iothreadpin(vm, i), &v->pins.iothreads);
	export_topology(v, vm);
}

static void proxmox_numa(const struct place_host *h, const struct place_vm_plan *v,
			 struct sbuf *out)
{
	const struct place_choice *c = &v->choice;

	if (c->ncells > PROXMOX_MAX_NUMA) {
		sbuf_addf(out, "# %zu cells: Proxmox has numa0 to numa%d only\n", c->ncells,
			  PROXMOX_MAX_NUMA - 1);
		return;
	}
	sbuf_adds(out, "numa: 1\n");
	for (size_t i = 0; i < c->ncells; i++) {
		const struct place_cell *pc = &c->cells[i];
		int node = h->nodes[pc->node_idx].node;

		if (pc->vcpus == 1)
			sbuf_addf(out, "numa%zu: cpus=%u", i, pc->first_vcpu);
		else
			sbuf_addf(out, "numa%zu: cpus=%u-%u", i, pc->first_vcpu,
				  pc->first_vcpu + pc->vcpus - 1);
		sbuf_addf(out, ",hostnodes=%d,memory=%" PRIu64 ",policy=bind\n", node,
			  pc->mem_kib / 1024);
		if (node >= 10 && v->req.page_kib != VM_PAGE_NORMAL)
			sbuf_addf(out,
				  "# host node %d: qemu-server refuses host nodes >= 10 with "
				  "hugepages (it accepts one digit)\n",
				  node);
	}
}

char *place_export_proxmox(const struct place_host *h, const struct place_vm_plan *v)
{
	struct sbuf out = SBUF_INIT;
	struct cpuset all = CPUSET_INIT;
	unsigned cells = (unsigned)v->choice.ncells;
	char ps[16];

	sbuf_addf(&out, "# %s\n", v->req.name);
	if (!v->choice.placed) {
		sbuf_adds(&out, "# not placed: no configuration\n");
		return sbuf_detach(&out, NULL);
	}
	sbuf_addf(&out, "memory: %" PRIu64 "\n", v->req.mem_kib / 1024);
	if (cells && v->req.vcpus % cells == 0)
		sbuf_addf(&out, "sockets: %u\ncores: %u\n", cells, v->req.vcpus / cells);
	else
		sbuf_addf(&out, "sockets: 1\ncores: %u\n", v->req.vcpus);
	proxmox_numa(h, v, &out);
	if (v->req.page_kib == 2048 || v->req.page_kib == 1048576)
		sbuf_addf(&out, "hugepages: %" PRIu64 "\n", v->req.page_kib / 1024);
	else if (v->req.page_kib != VM_PAGE_NORMAL)
		sbuf_addf(&out, "# %s pages: Proxmox offers hugepages 2 and 1024 only\n",
			  format_pagesize(v->req.page_kib, ps, sizeof(ps)));
	for (unsigned i = 0; i < v->pins.nvcpus; i++)
		cpuset_or(&all, &v->pins.vcpu[i]);
	cpuset_or(&all, &v->pins.emulator);
	sbuf_adds(&out, "affinity: ");
	cpuset_format_list(&all, &out);
	sbuf_adds(&out, "\n# affinity holds every QEMU thread (Proxmox pins no single vCPU): "
			"the vCPUs' and the emulator's CPUs\n");
	cpuset_release(&all);
	return sbuf_detach(&out, NULL);
}

char *place_export_taskset(const struct place_vm_plan *v)
{
	struct sbuf out = SBUF_INIT;

	if (!v->choice.placed)
		return sbuf_detach(&out, NULL);
	sbuf_adds(&out, "taskset -c ");
	cpuset_format_list(&v->pins.emulator, &out);
	sbuf_adds(&out, " qemu-system-x86_64 ...   # emulator and I/O threads\n");
	for (unsigned i = 0; i < v->pins.nvcpus; i++) {
		sbuf_adds(&out, "taskset -pc ");
		cpuset_format_list(&v->pins.vcpu[i], &out);
		sbuf_addf(&out, " TID   # the thread named 'CPU %u/KVM'\n", i);
	}
	return sbuf_detach(&out, NULL);
}

char *place_export_pool_commands(const struct place_plan *p)
{
	struct sbuf out = SBUF_INIT;
	char ps[16];

	for (size_t i = 0; i < p->nnodes; i++)
		for (size_t j = 0; j < p->nodes[i].npools; j++) {
			const struct place_pool_plan *pp = &p->nodes[i].pools[j];

			if (pp->grow_pages <= 0)
				continue;
			sbuf_addf(&out, "kvmtune hugepages set %s=%" PRId64 " --node %d\n",
				  format_pagesize(pp->size_kib, ps, sizeof(ps)),
				  pp->total_pages + pp->grow_pages, p->nodes[i].node);
		}
	return sbuf_detach(&out, NULL);
}
