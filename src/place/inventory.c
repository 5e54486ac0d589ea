/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Existing VMs for the planner: domain files, running QEMUs, hugepage reservations. */
#include "place/inventory.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cpuset.h"
#include "core/domxml.h"
#include "core/host.h"
#include "core/hugepages-reserve.h"
#include "core/model.h"
#include "core/procstat.h"
#include "core/vmspec.h"
#include "place/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

struct notes {
	char ***v;
	size_t *n;
};

static void note(struct notes *nt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct notes *nt, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	if (!nt->v)
		return;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	*nt->v = xreallocarray(*nt->v, *nt->n + 1, sizeof(**nt->v));
	(*nt->v)[(*nt->n)++] = s;
}

static bool replanned(const struct place_inventory_opts *o, const char *name)
{
	for (size_t i = 0; name && o && i < o->nreplan; i++)
		if (strcmp(o->replan[i], name) == 0)
			return true;
	return false;
}

static struct place_vm_use *find_use(struct place_usage *u, const char *name)
{
	for (size_t i = 0; i < u->nvms; i++)
		if (strcmp(u->vms[i].name, name) == 0)
			return &u->vms[i];
	return NULL;
}

static uint64_t resolve_page(uint64_t page_kib, const struct host_model *m)
{
	if (page_kib == VM_PAGE_HOST_DEFAULT)
		return m->default_hugepage_kib;
	return page_kib <= 4 ? 0 : page_kib;
}

/* The one node a binding puts memory on, or -1 (several nodes, interleave, none). */
static int bound_node(const struct vm_spec *vm, const struct vm_cell *c)
{
	const struct cpuset *nodes = c && c->has_memnode ? &c->host_nodes : &vm->host_nodes;
	enum vm_policy p = c && c->has_memnode ? c->policy : vm->policy;

	if (p == VM_POLICY_NONE || p == VM_POLICY_INTERLEAVE ||
	    (!(c && c->has_memnode) && vm->placement == VM_PLACEMENT_AUTO) ||
	    cpuset_count(nodes) != 1)
		return -1;
	return cpuset_next(nodes, 0);
}

static void domain_use(const struct vm_spec *vm, const struct host_model *m, struct place_vm_use *u)
{
	u->defined = true;
	if (!vm->ncells)
		place_vm_use_add_mem(u, bound_node(vm, NULL), resolve_page(vm->page_kib, m),
				     vm->mem_kib, 0);
	for (size_t i = 0; i < vm->ncells; i++)
		place_vm_use_add_mem(u, bound_node(vm, &vm->cells[i]),
				     resolve_page(vm->cells[i].page_kib, m), vm->cells[i].mem_kib,
				     0);
	for (size_t i = 0; i < vm->tune.nvcpupin; i++)
		if (cpuset_count(&vm->tune.vcpupin[i]) == 1)
			cpuset_or(&u->dedicated, &vm->tune.vcpupin[i]);
}

static int load_domains(struct host *h, const struct host_model *m,
			const struct place_inventory_opts *o, struct place_usage *u,
			struct notes *nt, struct diag *d)
{
	const char *dir = o && o->domains_dir ? o->domains_dir : PLACE_DOMAINS_DIR;
	char **names = NULL;
	int r;

	r = host_list_optional(h, dir, &names, NULL, d);
	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		size_t len = strlen(*p);
		AUTOFREE char *path = NULL;
		AUTOFREE char *text = NULL;
		struct diag pd = {0};
		struct vm_spec vm;
		size_t tlen = 0;

		if (len < 5 || strcmp(*p + len - 4, ".xml") != 0)
			continue;
		path = xasprintf("%s/%s", dir, *p);
		vm_spec_init(&vm);
		r = host_read(h, path, &text, &tlen, &pd);
		if (r >= 0)
			r = domxml_parse(text, tlen, &vm, &pd);
		if (r < 0)
			note(nt, "'%s' skipped: %s", path, pd.msg);
		else if (!replanned(o, vm.name))
			domain_use(&vm, m, place_usage_add(u, vm.name ? vm.name : *p));
		vm_spec_release(&vm);
	}
	host_names_free(names);
	return 0;
}

/* What a running QEMU holds per node and page size, and its single-CPU vCPU pins. */
static void process_use(const struct procstat_proc *p, struct place_vm_use *u)
{
	const struct numamaps_usage *us = &p->usage;

	u->pid = p->pid;
	for (size_t n = 0; n < us->nnodes; n++) {
		uint64_t huge = 0, total = numamaps_usage_node_kib(us, -1, (int)n);

		for (size_t i = 0; i < us->nhuge; i++) {
			if (!us->huge[i].kib[n])
				continue;
			place_vm_use_add_mem(u, (int)n, us->huge[i].size_kib, 0,
					     us->huge[i].kib[n]);
			huge += us->huge[i].kib[n];
		}
		if (total > huge)
			place_vm_use_add_mem(u, (int)n, 0, 0, total - huge);
	}
	for (size_t i = 0; i < p->nvcpus; i++)
		if (cpuset_count(&p->vcpus[i].allowed) == 1)
			cpuset_or(&u->dedicated, &p->vcpus[i].allowed);
}

static int load_processes(struct host *h, const struct host_model *m,
			  const struct place_inventory_opts *o, struct place_usage *u,
			  struct diag *d)
{
	struct procstat_opts po = {0};
	struct procstat ps = {0};
	int r;

	po.flags = PROCSTAT_ALL | PROCSTAT_QEMU_ONLY | PROCSTAT_VCPUS | PROCSTAT_AFFINITY;
	po.self_pid = getpid();
	po.base_page_kib = 4;
	po.default_huge_kib = m->default_hugepage_kib ? m->default_hugepage_kib : 2048;
	r = procstat_collect(h, m, NULL, 0, &po, &ps, d);
	if (r == -ENOENT) {
		diag_clear(d);
		return 0; /* a tree without /proc */
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < ps.nprocs; i++) {
		const struct procstat_proc *p = &ps.procs[i];
		AUTOFREE char *name =
			p->vm_name ? xstrdup(p->vm_name) : xasprintf("pid %d", p->pid);
		struct place_vm_use *v = find_use(u, name);

		if (!v)
			v = place_usage_add(u, name);
		v->replanned = replanned(o, name);
		process_use(p, v);
	}
	procstat_release(&ps);
	return 0;
}

/* Unbound demand is served from memory beyond what the bound entries explain. */
static void settle_unbound(struct place_vm_use *v)
{
	for (size_t i = 0; i < v->nmem; i++) {
		struct place_mem_use *unbound = &v->mem[i];
		uint64_t extra = 0;

		if (unbound->node >= 0)
			continue;
		for (size_t j = 0; j < v->nmem; j++) {
			const struct place_mem_use *e = &v->mem[j];

			if (e->node >= 0 && e->page_kib == unbound->page_kib &&
			    e->have_kib > e->want_kib &&
			    !safe_add_u64(extra, e->have_kib - e->want_kib, &extra))
				extra = UINT64_MAX;
		}
		unbound->have_kib = extra;
	}
}

static void add_reservations(const struct hp_resv_list *l, const struct place_inventory_opts *o,
			     struct place_usage *u)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct hp_resv *r = &l->v[i];
		struct place_vm_use *v = find_use(u, r->owner);
		uint64_t kib;
		size_t j;

		if (replanned(o, r->owner) || r->pages <= 0 ||
		    !safe_mul_u64((uint64_t)r->pages, r->page_kib, &kib))
			continue;
		if (!v)
			v = place_usage_add(u, r->owner);
		for (j = 0; j < v->nmem; j++)
			if (v->mem[j].node == r->node && v->mem[j].page_kib == r->page_kib)
				break;
		if (j == v->nmem)
			place_vm_use_add_mem(v, r->node, r->page_kib, kib, 0);
		else if (v->mem[j].want_kib < kib)
			v->mem[j].want_kib = kib; /* the record reserves what the VM will fault */
	}
}

int place_inventory_load(struct host *h, const struct host_model *m,
			 const struct place_inventory_opts *o, struct place_usage *ret,
			 char ***notes, size_t *nnotes, struct diag *d)
{
	struct notes nt = {notes, nnotes};
	struct place_usage u = {0};
	struct hp_resv_list resv = {0};
	int r;

	r = load_domains(h, m, o, &u, &nt, d);
	if (r >= 0 && !(o && o->no_processes))
		r = load_processes(h, m, o, &u, d);
	if (r >= 0)
		r = hp_resv_load(h, &resv, d);
	if (r < 0) {
		place_usage_release(&u);
		return r;
	}
	add_reservations(&resv, o, &u);
	hp_resv_release(&resv);
	for (size_t i = 0; i < u.nvms; i++)
		settle_unbound(&u.vms[i]);
	*ret = u;
	return 0;
}
