/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Lint of a VM's CPU pins (<cputune>) against the host, its memory binding and other VMs. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cpuset.h"
#include "core/lint.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* The CPUs of the cores (SMT siblings) that hold any CPU of cpus. */
static void cores_of(const struct host_model *m, const struct cpuset *cpus, struct cpuset *ret)
{
	cpuset_or(ret, cpus);
	for (size_t i = 0; i < m->ncore_groups; i++) {
		struct cpuset both = CPUSET_INIT;

		cpuset_copy(&both, &m->core_groups[i].cpus);
		cpuset_and(&both, cpus);
		if (!cpuset_empty(&both))
			cpuset_or(ret, &m->core_groups[i].cpus);
		cpuset_release(&both);
	}
}

/* The nodes a vCPU's memory is strictly bound to (its cell's memnode, else the VM's). */
static const struct cpuset *vcpu_nodes(const struct vm_spec *vm, unsigned vcpu)
{
	for (size_t i = 0; i < vm->ncells; i++) {
		const struct vm_cell *c = &vm->cells[i];

		if (!cpuset_isset(&c->cpus, vcpu))
			continue;
		if (c->has_memnode)
			return c->policy == VM_POLICY_BIND ? &c->host_nodes : NULL;
		break;
	}
	return vm->policy == VM_POLICY_BIND && vm->placement == VM_PLACEMENT_STATIC
		       ? &vm->host_nodes
		       : NULL;
}

static void node_cpus(const struct host_model *m, const struct cpuset *nodes, struct cpuset *ret)
{
	int node;

	cpuset_foreach (node, nodes) {
		const struct numa_node *n = model_find_node(m, node);

		if (n)
			cpuset_or(ret, &n->cpus);
	}
}

static void check_vcpupins(const struct vm_spec *vm, const struct host_model *m,
			   struct lint_report *r)
{
	struct cpuset seen = CPUSET_INIT;

	for (size_t i = 0; i < vm->tune.nvcpupin; i++) {
		const struct cpuset *pin = &vm->tune.vcpupin[i];
		const struct cpuset *nodes = vcpu_nodes(vm, (unsigned)i);
		struct cpuset missing = CPUSET_INIT, near = CPUSET_INIT, far = CPUSET_INIT;
		int cpu;

		cpuset_foreach (cpu, pin) {
			if (!cpuset_isset(&m->cpus_online, (unsigned)cpu))
				cpuset_set(&missing, (unsigned)cpu);
			if (cpuset_count(pin) == 1 && cpuset_isset(&seen, (unsigned)cpu))
				lint_addf(r, "vcpupin-shared-cpu", LINT_WARNING,
					  "give every vCPU a CPU of its own (kvmtune plan assigns "
					  "them)",
					  "vCPU %zu is pinned to CPU %d, which another of its "
					  "vCPUs has "
					  "too",
					  i, cpu);
			if (cpuset_count(pin) == 1)
				cpuset_set(&seen, (unsigned)cpu);
		}
		if (nodes && !cpuset_empty(nodes)) {
			node_cpus(m, nodes, &near);
			cpuset_foreach (cpu, pin)
				if (!cpuset_isset(&near, (unsigned)cpu) &&
				    cpuset_isset(&m->cpus_online, (unsigned)cpu))
					cpuset_set(&far, (unsigned)cpu);
		}
		if (!cpuset_empty(&missing)) {
			AUTOFREE char *l = cpuset_to_list(&missing);

			lint_addf(r, "vcpupin-missing-cpu", LINT_ERROR,
				  "pin to CPUs this host has online (kvmtune status lists them)",
				  "vCPU %zu is pinned to CPUs %s, which this host does not have "
				  "online",
				  i, l);
		}
		if (!cpuset_empty(&far) && !cpuset_empty(&near)) {
			AUTOFREE char *l = cpuset_to_list(&far);
			AUTOFREE char *nl = cpuset_to_list(nodes);

			lint_addf(r, "vcpus-pinned-away-from-memory", LINT_WARNING,
				  "pin each vCPU to CPUs of the node its cell's memory is bound to "
				  "(kvmtune plan --domain FILE --write)",
				  "vCPU %zu is pinned to CPUs %s, which are not on host nodes %s "
				  "where "
				  "its "
				  "memory is bound: every access crosses the interconnect",
				  i, l, nl);
		}
		cpuset_release(&missing);
		cpuset_release(&near);
		cpuset_release(&far);
	}
	cpuset_release(&seen);
}

/* This VM's dedicated CPUs: each vCPU pinned to one CPU. */
static void dedicated(const struct vm_spec *vm, struct cpuset *ret)
{
	for (size_t i = 0; i < vm->tune.nvcpupin; i++)
		if (cpuset_count(&vm->tune.vcpupin[i]) == 1)
			cpuset_or(ret, &vm->tune.vcpupin[i]);
}

static void check_cores(const struct vm_spec *vm, const struct host_model *m,
			const struct lint_opts *opts, struct lint_report *r)
{
	struct cpuset mine = CPUSET_INIT, mine_cores = CPUSET_INIT;

	dedicated(vm, &mine);
	cores_of(m, &mine, &mine_cores);
	for (size_t i = 0; opts && i < opts->nothers && !cpuset_empty(&mine); i++) {
		struct cpuset both = CPUSET_INIT;

		cpuset_copy(&both, &opts->others[i].dedicated);
		cpuset_and(&both, &mine_cores);
		if (!cpuset_empty(&both)) {
			AUTOFREE char *l = cpuset_to_list(&both);

			lint_addf(r, "dedicated-core-shared", LINT_WARNING,
				  "give each VM whole cores of its own (kvmtune plan keeps cores "
				  "apart)",
				  "CPUs %s hold dedicated vCPUs of '%s' on the same cores as this "
				  "VM's: "
				  "SMT siblings share the core's caches and pipeline",
				  l, opts->others[i].name);
		}
		cpuset_release(&both);
	}
	if (!cpuset_empty(&vm->tune.emulatorpin) && !cpuset_empty(&mine)) {
		struct cpuset both = CPUSET_INIT;

		cpuset_copy(&both, &vm->tune.emulatorpin);
		cpuset_and(&both, &mine_cores);
		if (!cpuset_empty(&both)) {
			AUTOFREE char *l = cpuset_to_list(&both);

			lint_addf(
				r, "emulator-on-vcpu-core", LINT_WARNING,
				"pin the emulator to CPUs of the node that no vCPU's core uses (a "
				"housekeeping core; kvmtune plan keeps one per node)",
				"<emulatorpin> allows CPUs %s, on the cores of the VM's own "
				"dedicated "
				"vCPUs: QEMU's main loop and I/O compete with them",
				l);
		}
		cpuset_release(&both);
	}
	cpuset_release(&mine);
	cpuset_release(&mine_cores);
}

/* Memory strictly bound to nodes whose whole memory is smaller: no pool size helps. */
static void check_bound_size(const uint64_t need_kib, const struct cpuset *nodes, const char *what,
			     const struct host_model *m, struct lint_report *r)
{
	uint64_t total = 0;
	char a[32], b[32];
	int node;

	cpuset_foreach (node, nodes) {
		const struct numa_node *n = model_find_node(m, node);

		if (!n || n->mem_total_kib < 0)
			return; /* unknown: other findings cover a missing node */
		if (!safe_add_u64(total, (uint64_t)n->mem_total_kib, &total))
			return;
	}
	if (cpuset_empty(nodes) || need_kib <= total)
		return;
	{
		AUTOFREE char *l = cpuset_to_list(nodes);

		lint_addf(r, "bound-nodes-too-small", LINT_ERROR,
			  "bind the memory to more or larger nodes, or give the VM less memory "
			  "(kvmtune plan finds nodes that hold it)",
			  "%s needs %s strictly bound to host nodes %s, which have %s of memory in "
			  "all: it cannot start there",
			  what, format_size_kib(need_kib, a, sizeof(a)), l,
			  format_size_kib(total, b, sizeof(b)));
	}
}

void lint_pins(const struct vm_spec *vm, const struct host_model *m, const struct lint_opts *opts,
	       struct lint_report *ret)
{
	char what[48];

	check_vcpupins(vm, m, ret);
	check_cores(vm, m, opts, ret);
	if (!vm->ncells && vm->policy == VM_POLICY_BIND && vm->placement == VM_PLACEMENT_STATIC)
		check_bound_size(vm->mem_kib, &vm->host_nodes, "the guest memory", m, ret);
	for (size_t i = 0; i < vm->ncells; i++) {
		const struct vm_cell *c = &vm->cells[i];
		const struct cpuset *nodes = c->has_memnode ? &c->host_nodes : &vm->host_nodes;
		enum vm_policy p = c->has_memnode ? c->policy : vm->policy;

		if (p != VM_POLICY_BIND ||
		    (!c->has_memnode && vm->placement != VM_PLACEMENT_STATIC))
			continue;
		(void)snprintf(what, sizeof(what), "guest cell %u", c->id);
		check_bound_size(c->mem_kib, nodes, what, m, ret);
	}
}
