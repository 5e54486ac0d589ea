/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a VM started by 'kvmtune run' goes: its memory layout (a struct
 * vm_spec: one host node, or one guest NUMA cell per host node) and the host
 * CPUs of each vCPU thread and of QEMU's other threads.  The one seam between
 * 'run' and a placement policy: the nodes come from --nodes or from the
 * planner (run/run-plan.c), whose split over them is the same.  Pure.
 */
#ifndef KVMTUNE_RUN_RUN_PLACE_H
#define KVMTUNE_RUN_RUN_PLACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"

struct diag;
struct host_model;
struct vm_spec;

struct run_place_req {
	const struct cpuset *nodes; /* host nodes (--nodes or the planner's choice) */
	uint64_t mem_kib;
	uint64_t page_kib; /* VM_PAGE_* or a size */
	unsigned vcpus;
};

struct run_pins {
	struct cpuset *vcpus; /* per vCPU index: its host CPUs (empty: left alone) */
	int *vcpu_nodes;      /* per vCPU index: the host node of its memory */
	size_t nvcpus;
	struct cpuset emulator; /* QEMU's other threads (empty: left alone) */
};

/*
 * Fill vm (initialised by the caller; its name and other settings are kept)
 * and pins for req on m.  One node: the VM's memory bound there, no guest
 * cells.  Several: one guest cell per node in node order, memory split
 * in whole pages (1 MiB units without hugepages) and vCPUs in contiguous
 * runs, the first cells taking the remainders, each cell bound ('bind') to
 * its node.  vCPUs run on their cell's node's CPUs (all chosen nodes' CPUs
 * for a CPU-less node), the emulator on all chosen nodes' CPUs.  -EINVAL
 * with a diag for a node the host lacks or one without memory, memory that
 * does not divide into whole pages per node, no nodes.
 */
int run_place(const struct host_model *m, const struct run_place_req *req, struct vm_spec *vm,
	      struct run_pins *pins, struct diag *d);
void run_pins_release(struct run_pins *p);

#endif
