/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libvirt domain XML → struct vm_spec (memory, backing, NUMA tuning, cells). */
#include "domxml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/domxml-internal.h"
#include "core/xmlapi.h"

#include "core/cpuset.h"
#include "core/domxml-internal.h"
#include "core/userfile.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* libvirt's limit for memory sizes: LLONG_MAX bytes, in KiB. */
/*
 * libvirt's largest size, 2^53 - 1 KiB, which also means "unlimited" for
 * <hard_limit>.  Memory sizes past SIZE_MAX_KIB are refused by
 * vm_spec_validate() as too large.
 */
#define DOMXML_MAX_KIB 9007199254740991ULL
/* libvirt rounds guest memory (and each cell) up to this on x86. */
#define DOMXML_ALIGN_KIB 1024ULL

char *domxml_attr(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *r;

	if (!v)
		return NULL;
	r = xstrdup((const char *)v);
	xmlFree(v);
	return r;
}

char *domxml_text(xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *r, *s, *e;

	if (!v)
		return xstrdup("");
	s = (char *)v;
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	r = xstrdup(s);
	xmlFree(v);
	e = r + strlen(r);
	while (e > r && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return r;
}

bool domxml_is_elem(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNode *domxml_child(xmlNode *parent, const char *name)
{
	for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next)
		if (domxml_is_elem(n, name))
			return n;
	return NULL;
}

static const struct {
	char c;
	unsigned shift; /* power of 1024 */
} scale_prefixes[] = {{'k', 1}, {'m', 2}, {'g', 3}, {'t', 4}, {'p', 5}, {'e', 6}};

/* Bytes per unit, as libvirt's virScaleInteger; 0 for an unknown unit. */
static uint64_t unit_bytes(const char *unit)
{
	uint64_t base = 1024, mult = 1;
	char c;

	if (!unit || !*unit)
		return 1024;
	if (strcasecmp(unit, "b") == 0 || strcasecmp(unit, "byte") == 0 ||
	    strcasecmp(unit, "bytes") == 0)
		return 1;
	c = (char)(unit[0] | 0x20);
	if (unit[1] == '\0' || strcmp(unit + 1, "iB") == 0)
		base = 1024;
	else if (strcmp(unit + 1, "B") == 0)
		base = 1000;
	else
		return 0;
	for (size_t i = 0; i < sizeof(scale_prefixes) / sizeof(scale_prefixes[0]); i++)
		if (scale_prefixes[i].c == c) {
			for (unsigned k = 0; k < scale_prefixes[i].shift; k++)
				mult *= base;
			return mult;
		}
	return 0;
}

int domxml_scale_kib(const char *value, const char *unit, uint64_t *ret_kib)
{
	uint64_t v, per = unit_bytes(unit), kib;

	if (per == 0 || !value || parse_u64(value, &v) < 0)
		return -EINVAL;
	if (per >= 1024 && per % 1024 == 0) {
		if (v > DOMXML_MAX_KIB / (per / 1024))
			return -ERANGE;
		kib = v * (per / 1024);
	} else {
		if (v > UINT64_MAX / per)
			return -ERANGE;
		kib = (v * per + 1023) / 1024;
	}
	if (kib > DOMXML_MAX_KIB)
		return -ERANGE;
	*ret_kib = kib;
	return 0;
}

/* A size element or attribute pair; obj names it in the diag. */
static int scale_or_fail(const char *obj, const char *value, const char *unit, uint64_t *ret,
			 struct diag *d)
{
	int r = domxml_scale_kib(value, unit, ret);

	if (r == -ERANGE)
		return diag_set(d, EINVAL, obj, "%s: size '%s %s' is too large", obj, value,
				unit ? unit : "KiB");
	if (r < 0 && unit_bytes(unit) == 0)
		return diag_set(d, EINVAL, obj,
				"%s: unknown unit '%s' (expected b, KiB, MiB, GiB, ...)", obj,
				unit);
	if (r < 0)
		return diag_set(d, EINVAL, obj, "%s: '%s' is not a size (expected a whole number)",
				obj, value ? value : "");
	return 0;
}

static int size_element(xmlNode *n, const char *obj, uint64_t *ret, struct diag *d)
{
	AUTOFREE char *unit = domxml_attr(n, "unit");
	AUTOFREE char *value = domxml_text(n);

	return scale_or_fail(obj, value, unit, ret, d);
}

/* libvirt nodeset/cpuset syntax: "0-3,^2" (exclusions start with '^'). */
int domxml_parse_set(const char *obj, const char *text, struct cpuset *ret, struct diag *d)
{
	struct cpuset set = CPUSET_INIT, part = CPUSET_INIT;
	AUTOFREE char *copy = xstrdup(text ? text : "");
	char *item = copy, *next;
	int r = 0, i;

	for (; item && r >= 0; item = next) {
		bool neg = item[0] == '^';

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		r = cpuset_parse_list(neg ? item + 1 : item, &part, NULL);
		if (r >= 0 && cpuset_empty(&part))
			r = -EINVAL;
		if (r < 0)
			break;
		cpuset_foreach (i, &part) {
			if (neg)
				cpuset_unset(&set, (unsigned)i);
			else
				cpuset_set(&set, (unsigned)i);
		}
	}
	if (r >= 0 && cpuset_empty(&set))
		r = -EINVAL;
	cpuset_release(&part);
	if (r < 0) {
		cpuset_release(&set);
		return diag_set(d, EINVAL, obj, "%s: invalid value of 'nodeset': '%s'", obj,
				text ? text : "");
	}
	cpuset_release(ret);
	*ret = set;
	return 0;
}

static int tristate_attr(xmlNode *n, const char *name, const char *yes, const char *no,
			 const char *obj, enum vm_tristate *ret, struct diag *d)
{
	AUTOFREE char *v = domxml_attr(n, name);

	if (!v)
		return 0;
	if (strcmp(v, yes) == 0)
		*ret = VM_YES;
	else if (strcmp(v, no) == 0)
		*ret = VM_NO;
	else
		return diag_set(d, EINVAL, obj, "%s: invalid value for attribute '%s': '%s'", obj,
				name, v);
	return 0;
}

static int parse_page(xmlNode *p, struct vm_spec *vm, struct diag *d)
{
	AUTOFREE char *size = domxml_attr(p, "size");
	AUTOFREE char *unit = domxml_attr(p, "unit");
	AUTOFREE char *nodeset = domxml_attr(p, "nodeset");
	struct cpuset cells = CPUSET_INIT;
	uint64_t kib;
	int r, i;

	if (!size)
		return diag_set(d, EINVAL, "page",
				"hugepages page: the 'size' attribute is missing");
	r = scale_or_fail("hugepages page size", size, unit, &kib, d);
	if (r < 0)
		return r;
	if (kib < 4)
		return diag_set(d, EINVAL, "page", "hugepages page: size '%s' is too small", size);
	if (!nodeset) {
		if (vm->page_kib != VM_PAGE_NORMAL && vm->page_kib != VM_PAGE_HOST_DEFAULT &&
		    vm->page_kib != kib)
			return diag_set(d, EINVAL, "page",
					"hugepages: two default page sizes: %llu and %llu KiB",
					(unsigned long long)vm->page_kib, (unsigned long long)kib);
		vm->page_kib = kib;
		return 0;
	}
	r = domxml_parse_set("hugepages page", nodeset, &cells, d);
	if (r < 0)
		return r;
	cpuset_foreach (i, &cells) {
		struct vm_cell *c = vm_spec_find_cell(vm, (unsigned)i);

		if (!c && vm->ncells == 0 && i == 0) {
			/* no guest NUMA: nodeset '0' means the whole VM */
			if (vm->page_kib != VM_PAGE_NORMAL && vm->page_kib != kib) {
				r = diag_set(d, EINVAL, "page",
					     "hugepages: two page sizes for the whole VM: %llu and "
					     "%llu KiB",
					     (unsigned long long)vm->page_kib,
					     (unsigned long long)kib);
				break;
			}
			vm->page_kib = kib;
			continue;
		}
		if (!c) {
			r = diag_set(d, EINVAL, "page",
				     "hugepages page nodeset '%s': guest NUMA node %d not found",
				     nodeset, i);
			break;
		}
		c->page_kib = kib;
	}
	cpuset_release(&cells);
	return r;
}

/* Marks a cell no <page nodeset> named; never a real size (pages are >= 4 KiB). */
#define PAGE_UNSET 3

/*
 * <hugepages/> alone: the host's default size everywhere.  With <page>
 * elements (libvirt's rules): a page with a nodeset sets those cells, a page
 * without one sets the rest, and cells no page names get normal pages.
 */
static int parse_hugepages(xmlNode *hp, struct vm_spec *vm, struct diag *d)
{
	int r;

	vm->page_kib = domxml_child(hp, "page") ? VM_PAGE_NORMAL : VM_PAGE_HOST_DEFAULT;
	for (size_t i = 0; i < vm->ncells; i++)
		vm->cells[i].page_kib = PAGE_UNSET;
	for (xmlNode *p = hp->children; p; p = p->next) {
		if (!domxml_is_elem(p, "page"))
			continue;
		r = parse_page(p, vm, d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < vm->ncells; i++)
		if (vm->cells[i].page_kib == PAGE_UNSET)
			vm->cells[i].page_kib = vm->page_kib;
	return 0;
}

static int parse_memory_backing(xmlNode *mb, struct vm_spec *vm, struct diag *d)
{
	xmlNode *n;
	int r;

	if (!mb)
		return 0;
	if ((n = domxml_child(mb, "hugepages"))) {
		r = parse_hugepages(n, vm, d);
		if (r < 0)
			return r;
	}
	vm->locked = domxml_child(mb, "locked") != NULL;
	vm->nosharepages = domxml_child(mb, "nosharepages") != NULL;
	if (domxml_child(mb, "discard"))
		vm->discard = VM_YES;
	if ((n = domxml_child(mb, "source"))) {
		AUTOFREE char *type = domxml_attr(n, "type");

		if (type && vm_source_parse(type, &vm->source) < 0)
			return diag_set(d, EINVAL, "source",
					"memoryBacking source: unknown type '%s' (expected file, "
					"anonymous or memfd)",
					type);
	}
	if ((n = domxml_child(mb, "access"))) {
		r = tristate_attr(n, "mode", "shared", "private", "memoryBacking access",
				  &vm->share, d);
		if (r < 0)
			return r;
	}
	if ((n = domxml_child(mb, "allocation"))) {
		AUTOFREE char *mode = domxml_attr(n, "mode");
		AUTOFREE char *threads = domxml_attr(n, "threads");

		if (mode && strcmp(mode, "immediate") == 0)
			vm->prealloc = true;
		else if (mode && strcmp(mode, "ondemand") != 0)
			return diag_set(d, EINVAL, "allocation",
					"memoryBacking allocation: unknown mode '%s' (expected "
					"immediate or ondemand)",
					mode);
		if (threads && parse_u32(threads, &vm->prealloc_threads) < 0)
			return diag_set(d, EINVAL, "allocation",
					"memoryBacking allocation: threads '%s' is not a number",
					threads);
	}
	return 0;
}

static int parse_policy_attrs(xmlNode *n, const char *obj, enum vm_policy *ret_policy,
			      struct cpuset *ret_nodes, struct diag *d)
{
	AUTOFREE char *mode = domxml_attr(n, "mode");
	AUTOFREE char *nodeset = domxml_attr(n, "nodeset");

	*ret_policy = VM_POLICY_BIND; /* libvirt's default mode is strict */
	if (mode && vm_policy_parse(mode, ret_policy) < 0)
		return diag_set(d, EINVAL, obj,
				"%s: unknown mode '%s' (expected strict, preferred, interleave or "
				"restrictive)",
				obj, mode);
	if (nodeset)
		return domxml_parse_set(obj, nodeset, ret_nodes, d);
	return 0;
}

static int parse_memnode(xmlNode *n, struct vm_spec *vm, struct diag *d)
{
	AUTOFREE char *cellid = domxml_attr(n, "cellid");
	struct vm_cell *c;
	unsigned id;

	if (vm->ncells == 0)
		return diag_set(d, EINVAL, "memnode",
				"numatune memnode: invalid without guest NUMA cells (<cpu><numa>)");
	if (!cellid || parse_u32(cellid, &id) < 0)
		return diag_set(d, EINVAL, "memnode", "numatune memnode: bad cellid '%s'",
				cellid ? cellid : "");
	c = vm_spec_find_cell(vm, id);
	if (!c)
		return diag_set(d, EINVAL, "memnode",
				"numatune memnode cellid '%u': the guest has no such NUMA cell "
				"(cells 0-%zu)",
				id, vm->ncells - 1);
	if (c->has_memnode)
		return diag_set(d, EINVAL, "memnode", "numatune memnode cellid '%u' given twice",
				id);
	c->has_memnode = true;
	return parse_policy_attrs(n, "numatune memnode", &c->policy, &c->host_nodes, d);
}

static int parse_numatune(xmlNode *nt, struct vm_spec *vm, struct diag *d)
{
	int r;

	for (xmlNode *n = nt ? nt->children : NULL; n; n = n->next) {
		if (domxml_is_elem(n, "memory")) {
			AUTOFREE char *placement = domxml_attr(n, "placement");

			r = parse_policy_attrs(n, "numatune memory", &vm->policy, &vm->host_nodes,
					       d);
			if (r < 0)
				return r;
			if (placement) {
				vm->placement_given = true;
				if (strcmp(placement, "auto") == 0)
					vm->placement = VM_PLACEMENT_AUTO;
				else if (strcmp(placement, "static") == 0)
					vm->placement = VM_PLACEMENT_STATIC;
				else
					return diag_set(d, EINVAL, "memory",
							"numatune memory: unknown placement '%s' "
							"(expected static or auto)",
							placement);
			}
		} else if (domxml_is_elem(n, "memnode")) {
			r = parse_memnode(n, vm, d);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int parse_distances(xmlNode *dist, struct vm_cell *c, struct diag *d)
{
	for (xmlNode *s = dist ? dist->children : NULL; s; s = s->next) {
		AUTOFREE char *id = NULL;
		AUTOFREE char *value = NULL;
		unsigned sid, val;

		if (!domxml_is_elem(s, "sibling"))
			continue;
		id = domxml_attr(s, "id");
		value = domxml_attr(s, "value");
		if (!id || parse_u32(id, &sid) < 0 || sid > 4095)
			return diag_set(d, EINVAL, "sibling",
					"cell %u distances: bad sibling id '%s'", c->id,
					id ? id : "");
		if (!value || parse_u32(value, &val) < 0 || val < 10 || val > 255)
			return diag_set(d, EINVAL, "sibling",
					"cell %u distances: sibling %u value '%s' is not 10-255",
					c->id, sid, value ? value : "");
		if (sid >= c->ndistances) {
			c->distances = xreallocarray(c->distances, sid + 1, sizeof(*c->distances));
			memset(c->distances + c->ndistances, 0,
			       (sid + 1 - c->ndistances) * sizeof(*c->distances));
			c->ndistances = sid + 1;
		}
		c->distances[sid] = val;
	}
	return 0;
}

static int parse_cell(xmlNode *n, size_t idx, struct vm_spec *vm, struct diag *d)
{
	AUTOFREE char *id = domxml_attr(n, "id");
	AUTOFREE char *cpus = domxml_attr(n, "cpus");
	AUTOFREE char *mem = domxml_attr(n, "memory");
	AUTOFREE char *unit = domxml_attr(n, "unit");
	struct vm_cell *c;
	unsigned cid = (unsigned)idx;
	int r;

	if (id && (parse_u32(id, &cid) < 0 || cid > 4095))
		return diag_set(d, EINVAL, "cell", "cpu numa cell: bad id '%s'", id);
	if (vm_spec_find_cell(vm, cid))
		return diag_set(d, EINVAL, "cell",
				"cpu numa cell: id '%u' given twice (exactly one cell element per "
				"guest NUMA cell)",
				cid);
	c = vm_spec_add_cell(vm, cid);
	if (cpus && *cpus) {
		r = domxml_parse_set("cpu numa cell cpus", cpus, &c->cpus, d);
		if (r < 0)
			return r;
	}
	if (!mem)
		return diag_set(d, EINVAL, "cell",
				"cpu numa cell %u: the 'memory' attribute is missing", cid);
	r = scale_or_fail("cpu numa cell memory", mem, unit, &c->mem_kib, d);
	if (r < 0)
		return r;
	r = tristate_attr(n, "memAccess", "shared", "private", "cell", &c->share, d);
	if (r < 0)
		return r;
	r = tristate_attr(n, "discard", "yes", "no", "cell", &c->discard, d);
	if (r < 0)
		return r;
	return parse_distances(domxml_child(n, "distances"), c, d);
}

static int cmp_cell(const void *a, const void *b)
{
	const struct vm_cell *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int parse_cells(xmlNode *numa, struct vm_spec *vm, struct diag *d)
{
	size_t idx = 0;
	int r;

	for (xmlNode *n = numa ? numa->children : NULL; n; n = n->next) {
		if (!domxml_is_elem(n, "cell"))
			continue;
		r = parse_cell(n, idx++, vm, d);
		if (r < 0)
			return r;
	}
	if (vm->ncells)
		qsort(vm->cells, vm->ncells, sizeof(*vm->cells), cmp_cell);
	for (size_t i = 0; i < vm->ncells; i++)
		if (vm->cells[i].id != i)
			return diag_set(d, EINVAL, "cell",
					"cpu numa cell id '%u': exactly one cell element per guest "
					"NUMA cell, numbered from 0 without gaps",
					vm->cells[i].id);
	return 0;
}

/* libvirt's placement defaults: numatune follows vcpu unless a nodeset is given. */
static void resolve_placement(struct vm_spec *vm, bool have_numatune_memory)
{
	if (!have_numatune_memory) {
		if (vm->vcpu_placement == VM_PLACEMENT_AUTO) {
			vm->policy = VM_POLICY_BIND;
			vm->placement = VM_PLACEMENT_AUTO;
		}
		return;
	}
	if (!vm->placement_given)
		vm->placement =
			cpuset_empty(&vm->host_nodes) ? vm->vcpu_placement : VM_PLACEMENT_STATIC;
	if (vm->placement == VM_PLACEMENT_AUTO)
		cpuset_clear(&vm->host_nodes); /* an explicit nodeset is ignored */
}

static uint64_t align_up(uint64_t v)
{
	return (v + DOMXML_ALIGN_KIB - 1) / DOMXML_ALIGN_KIB * DOMXML_ALIGN_KIB;
}

/*
 * Round sizes up as libvirt does.  With cells, libvirt takes the guest's RAM
 * from the cells and ignores <memory> (which also counts hotplugged DIMMs);
 * the lint reports a mismatch, the size here is the cells' sum.
 */
static int resolve_sizes(struct vm_spec *vm, struct diag *d)
{
	uint64_t sum = 0;

	vm->mem_declared_kib = vm->mem_kib;
	if (!vm->ncells) {
		if (vm->mem_kib == 0)
			return diag_set(d, EINVAL, "memory",
					"memory: the <memory> element is missing");
		vm->mem_kib = align_up(vm->mem_kib);
		if (vm->mem_kib > DOMXML_MAX_KIB)
			return diag_set(d, EINVAL, "memory",
					"memory: the size overflowed after alignment to 1 MiB");
		return 0;
	}
	for (size_t i = 0; i < vm->ncells; i++) {
		struct vm_cell *c = &vm->cells[i];

		c->mem_kib = align_up(c->mem_kib);
		if (c->mem_kib > DOMXML_MAX_KIB || sum + c->mem_kib > DOMXML_MAX_KIB)
			return diag_set(
				d, EINVAL, "cell",
				"memory size of NUMA cell %u overflowed after alignment to 1 "
				"MiB",
				c->id);
		sum += c->mem_kib;
	}
	vm->mem_kib = sum;
	return 0;
}

/* libvirt puts vCPUs that no cell names into cell 0. */
static void assign_leftover_vcpus(struct vm_spec *vm)
{
	struct cpuset all = CPUSET_INIT;

	if (!vm->ncells || !vm->vcpus)
		return;
	for (size_t i = 0; i < vm->ncells; i++)
		cpuset_or(&all, &vm->cells[i].cpus);
	for (unsigned cpu = 0; cpu < vm->vcpus; cpu++)
		if (!cpuset_isset(&all, cpu))
			cpuset_set(&vm->cells[0].cpus, cpu);
	cpuset_release(&all);
}

/* libvirt completes distances: 10 to itself, and symmetric where only one way is given. */
static void complete_distances(struct vm_spec *vm)
{
	bool any = false;

	for (size_t i = 0; i < vm->ncells; i++)
		any = any || vm->cells[i].ndistances;
	if (!any)
		return;
	for (size_t i = 0; i < vm->ncells; i++) {
		struct vm_cell *c = &vm->cells[i];

		if (c->ndistances < vm->ncells) {
			c->distances =
				xreallocarray(c->distances, vm->ncells, sizeof(*c->distances));
			memset(c->distances + c->ndistances, 0,
			       (vm->ncells - c->ndistances) * sizeof(*c->distances));
			c->ndistances = vm->ncells;
		}
	}
	for (size_t i = 0; i < vm->ncells; i++)
		for (size_t j = 0; j < vm->ncells; j++) {
			unsigned *dij = &vm->cells[i].distances[j];

			if (*dij)
				continue;
			if (i == j)
				*dij = 10;
			else if (vm->cells[j].distances[i])
				*dij = vm->cells[j].distances[i];
		}
}

static int parse_domain(xmlNode *root, struct vm_spec *vm, struct diag *d)
{
	xmlNode *n, *cpu = NULL, *numatune;
	int r;

	if (!root || !domxml_is_elem(root, "domain"))
		return diag_set(d, EINVAL, "domain", "the root element is not <domain>");
	if ((n = domxml_child(root, "name")))
		vm->name = domxml_text(n);
	if ((n = domxml_child(root, "memory")) &&
	    (r = size_element(n, "memory", &vm->mem_kib, d)) < 0)
		return r;
	if ((n = domxml_child(root, "maxMemory"))) {
		AUTOFREE char *slots = domxml_attr(n, "slots");

		r = size_element(n, "maxMemory", &vm->max_mem_kib, d);
		if (r < 0)
			return r;
		if (slots && parse_u32(slots, &vm->slots) < 0)
			return diag_set(d, EINVAL, "maxMemory",
					"maxMemory: slots '%s' is not a number", slots);
	}
	if ((n = domxml_child(root, "memtune")) && (n = domxml_child(n, "hard_limit"))) {
		r = size_element(n, "memtune hard_limit", &vm->hard_limit_kib, d);
		if (r < 0)
			return r;
		vm->hard_limit_given = true;
	}
	cpu = domxml_child(root, "cpu");
	r = parse_cells(domxml_child(cpu, "numa"), vm, d);
	if (r < 0)
		return r;
	r = parse_memory_backing(domxml_child(root, "memoryBacking"), vm, d);
	if (r < 0)
		return r;
	r = domxml_parse_cpu(root, vm, d);
	if (r < 0)
		return r;
	numatune = domxml_child(root, "numatune");
	r = parse_numatune(numatune, vm, d);
	if (r < 0)
		return r;
	resolve_placement(vm, domxml_child(numatune, "memory") != NULL);
	assign_leftover_vcpus(vm);
	r = resolve_sizes(vm, d);
	if (r < 0)
		return r;
	for (size_t i = 0; i < vm->ncells; i++)
		for (size_t j = 0; j < vm->cells[i].ndistances; j++)
			if (vm->cells[i].distances[j] && j >= vm->ncells)
				return diag_set(
					d, EINVAL, "sibling",
					"cell %u distances: sibling id %zu is not a guest NUMA "
					"cell",
					vm->cells[i].id, j);
	complete_distances(vm);
	return vm_spec_validate(vm, d);
}

int domxml_read_doc(const char *text, size_t len, xmlDoc **ret, struct diag *d)
{
	xmlDoc *doc;
	int r;

	if (len > DOMXML_MAX_FILE_BYTES || len > (size_t)INT32_MAX)
		return diag_set(d, EINVAL, "domain", "domain XML is larger than %u bytes",
				DOMXML_MAX_FILE_BYTES);
	r = xmlapi_load(d);
	if (r < 0)
		return r;
	doc = xmlReadMemory(text, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return domxml_parse_error("domain", d);
	*ret = doc;
	return 0;
}

int domxml_parse(const char *text, size_t len, struct vm_spec *ret, struct diag *d)
{
	xmlDoc *doc = NULL;
	int r;

	r = domxml_read_doc(text, len, &doc, d);
	if (r < 0)
		return r;
	r = parse_domain(xmlDocGetRootElement(doc), ret, d);
	xmlFreeDoc(doc);
	return r;
}

int domxml_parse_error(const char *object, struct diag *d)
{
	const xmlError *e = xmlGetLastError();
	const char *msg = e && e->message ? e->message : "parse error";
	AUTOFREE char *shown = NULL;

	shown = xstrndup(msg, strcspn(msg, "\n"));
	return diag_set(d, EINVAL, object, "malformed XML at line %d: %s", e ? e->line : 0, shown);
}

int domxml_parse_file(const char *path, struct vm_spec *ret, struct diag *d)
{
	AUTOFREE char *text = NULL;
	size_t len = 0;
	int r;

	r = userfile_read(path, DOMXML_MAX_FILE_BYTES, &text, &len, d);
	if (r < 0)
		return r;
	r = domxml_parse(text, len, ret, d);
	if (r < 0 && d)
		diag_prefix(d, "%s: ", path);
	return r;
}
