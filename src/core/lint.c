/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Memory-configuration lint: one function per finding. */
#include "lint.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/domxml-write.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

void lint_add(struct lint_report *r, const char *id, enum lint_severity sev, const char *evidence,
	      const char *fix)
{
	struct lint_finding *f;

	r->findings = xreallocarray(r->findings, r->count + 1, sizeof(*r->findings));
	f = &r->findings[r->count++];
	f->id = id;
	f->severity = sev;
	f->evidence = xstrdup(evidence);
	f->fix = xstrdup(fix);
}

void lint_report_release(struct lint_report *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->findings[i].evidence);
		free(r->findings[i].fix);
	}
	free(r->findings);
	r->findings = NULL;
	r->count = 0;
}

const char *lint_severity_name(enum lint_severity s)
{
	return s == LINT_ERROR ? "error" : s == LINT_WARNING ? "warning" : "info";
}

void lint_addf(struct lint_report *r, const char *id, enum lint_severity sev, const char *fix,
	       const char *fmt, ...)
{
	AUTOFREE char *ev = NULL;
	va_list ap;

	va_start(ap, fmt);
	ev = xvasprintf(fmt, ap);
	va_end(ap);
	lint_add(r, id, sev, ev, fix);
}

static uint64_t page_of(const struct host_model *m, uint64_t page)
{
	if (page == VM_PAGE_HOST_DEFAULT)
		return m->default_hugepage_kib;
	return page == m->base_page_kib ? VM_PAGE_NORMAL : page;
}

/*
 * Hugepages + <numatune><memory nodeset> and no guest cells: libvirt built
 * such a VM with -mem-path, which carries no host nodes, so the policy was
 * lost (libvirt list, Oct 2016, "qemu: host NUMA hugepage policy without
 * guest NUMA").
 */
static void check_nodeset_without_cells(const struct vm_spec *vm, struct lint_report *r)
{
	AUTOFREE char *nodes = cpuset_to_list(&vm->host_nodes);

	if (vm->ncells || vm->page_kib == VM_PAGE_NORMAL || cpuset_empty(&vm->host_nodes) ||
	    vm->policy == VM_POLICY_NONE || vm->policy == VM_POLICY_RESTRICTIVE)
		return;
	lint_addf(
		r, "hugepages-nodeset-without-cells", LINT_WARNING,
		"add one guest NUMA cell (<cpu><numa><cell id='0' cpus='...' memory='...'/>) with "
		"<memnode cellid='0' mode='strict' nodeset='...'/>, or check that the running QEMU "
		"has a memory-backend-file with host-nodes (kvmtune qemu-args shows what it should "
		"be)",
		"hugepage-backed memory bound to host nodes %s without guest NUMA cells: libvirt "
		"releases that still use -mem-path for this case silently drop the policy",
		nodes);
}

/*
 * libvirt's formatdomain (memoryBacking, locked): QEMU's own memory is locked
 * too and libvirt cannot know how much it is, so without <hard_limit> it
 * removes the locked-memory limit altogether; the host then cannot reclaim
 * the memory and a guest can lock as much as it likes.  With <hard_limit>
 * libvirt uses it as the limit.  The domain starts either way: a warning.
 */
static void check_locked(const struct vm_spec *vm, struct lint_report *r)
{
	char fix[200];

	if (!vm->locked || vm->hard_limit_given)
		return;
	(void)snprintf(fix, sizeof(fix),
		       "add <memtune><hard_limit unit='KiB'>%llu</hard_limit></memtune> (guest "
		       "memory + 1 GiB for QEMU itself; kvmtune xml --locked writes it)",
		       (unsigned long long)(vm->mem_kib + DOMXML_LOCK_OVERHEAD_KIB));
	lint_add(r, "locked-without-hard-limit", LINT_WARNING,
		 "<memoryBacking><locked/> without <memtune><hard_limit>: QEMU's own memory is "
		 "locked too and libvirt cannot know its size, so it removes the locked-memory "
		 "limit altogether: the host cannot reclaim that memory and a guest can lock as "
		 "much as it likes",
		 fix);
}

static bool any_bind(const struct vm_spec *vm)
{
	if (vm->policy == VM_POLICY_BIND)
		return true;
	for (size_t i = 0; i < vm->ncells; i++)
		if (vm->cells[i].has_memnode && vm->cells[i].policy == VM_POLICY_BIND)
			return true;
	return false;
}

static void check_strict_swap(const struct vm_spec *vm, const struct host_model *m,
			      struct lint_report *r)
{
	if (!any_bind(vm) || m->swap_total_kib != 0)
		return;
	lint_add(r, "strict-without-swap", LINT_WARNING,
		 "numatune mode 'strict' and the host has no swap: when the bound nodes run out of "
		 "memory the kernel kills processes instead of spilling to another node",
		 "use mode='preferred' with a single node, or add swap, or make sure the bound "
		 "nodes "
		 "have room (hugepages reserved up front)");
}

/* Nodes of one binding: missing on the host, or without CPUs. */
static void check_nodes(const struct cpuset *nodes, const char *what, const struct host_model *m,
			struct lint_report *r)
{
	int node;

	cpuset_foreach (node, nodes) {
		const struct numa_node *n = model_find_node(m, node);

		if (!n)
			lint_addf(r, "nodeset-missing-node", LINT_ERROR,
				  "name only nodes of this host (kvmtune status lists them)",
				  "%s names host node %d, which this host does not have", what,
				  node);
		else if (cpuset_empty(&n->cpus))
			lint_addf(
				r, "memory-only-node", LINT_WARNING,
				"bind the memory to a node with CPUs and pin the vCPUs there, or "
				"pin "
				"the "
				"vCPUs to the CPUs nearest to it",
				"%s binds memory to host node %d, which has no CPUs (memory-only): "
				"the "
				"vCPUs cannot run beside it",
				what, node);
	}
}

static void check_all_nodes(const struct vm_spec *vm, const struct host_model *m,
			    struct lint_report *r)
{
	char what[64];

	if (vm->placement == VM_PLACEMENT_STATIC)
		check_nodes(&vm->host_nodes, "<numatune><memory nodeset>", m, r);
	for (size_t i = 0; i < vm->ncells; i++) {
		if (!vm->cells[i].has_memnode)
			continue;
		(void)snprintf(what, sizeof(what), "<memnode cellid='%u'>", vm->cells[i].id);
		check_nodes(&vm->cells[i].host_nodes, what, m, r);
	}
}

static void check_page(uint64_t page, const char *what, const struct host_model *m,
		       struct lint_report *r)
{
	char buf[32];

	if (page == VM_PAGE_NORMAL)
		return;
	format_pagesize(page, buf, sizeof(buf));
	if (!model_cpu_supports(m, page) || !model_find_pool(m, page))
		lint_addf(r, "page-size-unsupported", LINT_ERROR,
			  "use a page size the CPU offers (kvmtune status: 'pages')",
			  "%s uses %s pages, which this host's CPU or kernel does not offer", what,
			  buf);
	else if (!model_find_mount(m, page))
		lint_addf(r, "page-size-no-mount", LINT_ERROR,
			  "mount hugetlbfs with pagesize= that size (kvmtune can do it: hugepages "
			  "mount)",
			  "%s uses %s pages, but no hugetlbfs is mounted for that size", what, buf);
}

/* Free pages of size page on nodes (all nodes when empty). */
static int64_t free_pages(const struct host_model *m, uint64_t page, const struct cpuset *nodes)
{
	int64_t total = 0;

	if (cpuset_empty(nodes)) {
		const struct pool *p = model_find_pool(m, page);

		return p && p->free >= 0 ? p->free : 0;
	}
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct pool *p;

		if (!cpuset_isset(nodes, (unsigned)m->nodes[i].node))
			continue;
		p = node_find_pool(&m->nodes[i], page);
		if (p && p->free > 0 && !safe_add_i64(total, p->free, &total))
			total = INT64_MAX;
	}
	return total;
}

static void check_pool(uint64_t page, uint64_t size_kib, const struct cpuset *nodes,
		       const char *what, const struct host_model *m, struct lint_report *r)
{
	AUTOFREE char *list = cpuset_to_list(nodes);
	uint64_t need;
	int64_t have;
	char buf[32];

	if (page == VM_PAGE_NORMAL || !model_find_pool(m, page))
		return;
	need = (size_kib + page - 1) / page;
	have = free_pages(m, page, nodes);
	if (have >= (int64_t)need)
		return;
	format_pagesize(page, buf, sizeof(buf));
	lint_addf(r, "not-enough-free-pages", LINT_ERROR,
		  "reserve the pages first (kvmtune hugepages set), or give the VM less memory",
		  "%s needs %llu free %s pages on %s%s, the host has %lld", what,
		  (unsigned long long)need, buf, *list ? "nodes " : "", *list ? list : "the host",
		  (long long)have);
}

static void check_pages(const struct vm_spec *vm, const struct host_model *m, struct lint_report *r)
{
	char what[48];

	if (!vm->ncells) {
		uint64_t page = page_of(m, vm->page_kib);

		check_page(page, "the guest memory", m, r);
		check_pool(page, vm->mem_kib,
			   vm->policy == VM_POLICY_BIND ? &vm->host_nodes
							: &(struct cpuset)CPUSET_INIT,
			   "the guest memory", m, r);
		return;
	}
	for (size_t i = 0; i < vm->ncells; i++) {
		const struct vm_cell *c = &vm->cells[i];
		uint64_t page = page_of(m, c->page_kib);
		const struct cpuset *nodes = c->has_memnode ? &c->host_nodes : &vm->host_nodes;
		enum vm_policy p = c->has_memnode ? c->policy : vm->policy;
		struct cpuset none = CPUSET_INIT;

		(void)snprintf(what, sizeof(what), "guest cell %u", c->id);
		check_page(page, what, m, r);
		check_pool(page, c->mem_kib, p == VM_POLICY_BIND ? nodes : &none, what, m, r);
	}
}

static void check_auto(const struct vm_spec *vm, const struct lint_opts *opts,
		       struct lint_report *r)
{
	if (opts->numad_installed ||
	    (vm->placement != VM_PLACEMENT_AUTO && vm->vcpu_placement != VM_PLACEMENT_AUTO))
		return;
	lint_add(r, "placement-auto-without-numad", LINT_ERROR,
		 "placement='auto' and no placement advisor (numad) on this host: libvirt cannot "
		 "start the domain",
		 "install numad, or use placement='static' with a nodeset (kvmtune xml)");
}

/*
 * <vcpu cpuset>: CPUs the host lacks, and vCPUs pinned away from the nodes
 * their memory is bound to (the mission: vCPUs beside their memory).
 */
static void check_vcpus(const struct vm_spec *vm, const struct host_model *m, struct lint_report *r)
{
	struct cpuset near = CPUSET_INIT, missing = CPUSET_INIT, far = CPUSET_INIT;
	AUTOFREE char *missing_list = NULL;
	AUTOFREE char *far_list = NULL;
	AUTOFREE char *nodes = NULL;
	int cpu, node;

	if (cpuset_empty(&vm->vcpu_cpuset))
		return;
	cpuset_foreach (cpu, &vm->vcpu_cpuset) {
		if (!cpuset_isset(&m->cpus_possible, (unsigned)cpu) &&
		    !cpuset_isset(&m->cpus_online, (unsigned)cpu))
			cpuset_set(&missing, (unsigned)cpu);
	}
	if (vm->policy == VM_POLICY_BIND && vm->placement == VM_PLACEMENT_STATIC && !vm->ncells) {
		cpuset_foreach (node, &vm->host_nodes) {
			const struct numa_node *n = model_find_node(m, node);

			if (n)
				cpuset_or(&near, &n->cpus);
		}
		if (!cpuset_empty(&near))
			cpuset_foreach (cpu, &vm->vcpu_cpuset) {
				if (!cpuset_isset(&near, (unsigned)cpu) &&
				    !cpuset_isset(&missing, (unsigned)cpu))
					cpuset_set(&far, (unsigned)cpu);
			}
	}
	missing_list = cpuset_to_list(&missing);
	far_list = cpuset_to_list(&far);
	nodes = cpuset_to_list(&vm->host_nodes);
	if (!cpuset_empty(&missing))
		lint_addf(r, "vcpu-cpuset-missing-cpu", LINT_ERROR,
			  "pin the vCPUs to CPUs this host has (kvmtune status lists them)",
			  "<vcpu cpuset> names CPUs %s, which this host does not have",
			  missing_list);
	if (!cpuset_empty(&far))
		lint_addf(r, "vcpus-away-from-memory", LINT_WARNING,
			  "pin the vCPUs to CPUs of the nodes the memory is bound to",
			  "<vcpu cpuset> allows CPUs %s, which are not on host nodes %s where the "
			  "memory is bound: those vCPUs reach their memory across the interconnect",
			  far_list, nodes);
	cpuset_release(&near);
	cpuset_release(&missing);
	cpuset_release(&far);
}

static void check_declared(const struct vm_spec *vm, struct lint_report *r)
{
	if (!vm->ncells || !vm->mem_declared_kib || vm->mem_declared_kib == vm->mem_kib)
		return;
	lint_addf(
		r, "memory-cells-mismatch", LINT_INFO,
		"make <memory> the sum of the cells (libvirt uses the cells and ignores <memory>)",
		"<memory> is %llu KiB but the guest NUMA cells add up to %llu KiB",
		(unsigned long long)vm->mem_declared_kib, (unsigned long long)vm->mem_kib);
}

void lint_vm(const struct vm_spec *vm, const struct host_model *m, const struct lint_opts *opts,
	     struct lint_report *ret)
{
	check_nodeset_without_cells(vm, ret);
	check_locked(vm, ret);
	check_strict_swap(vm, m, ret);
	check_all_nodes(vm, m, ret);
	check_pages(vm, m, ret);
	check_auto(vm, opts, ret);
	check_vcpus(vm, m, ret);
	check_declared(vm, ret);
	lint_pins(vm, m, opts, ret);
}
