/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM memory description: lifecycle, names and host-independent checks. */
#include "vmspec.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

void vm_spec_init(struct vm_spec *vm)
{
	memset(vm, 0, sizeof(*vm));
}

void vm_spec_release(struct vm_spec *vm)
{
	for (size_t i = 0; i < vm->ncells; i++) {
		cpuset_release(&vm->cells[i].cpus);
		cpuset_release(&vm->cells[i].host_nodes);
		free(vm->cells[i].distances);
	}
	free(vm->cells);
	free(vm->name);
	for (size_t i = 0; i < vm->tune.nvcpupin; i++)
		cpuset_release(&vm->tune.vcpupin[i]);
	free(vm->tune.vcpupin);
	for (size_t i = 0; i < vm->tune.niothreadpin; i++)
		cpuset_release(&vm->tune.iothreadpin[i]);
	free(vm->tune.iothreadpin);
	cpuset_release(&vm->tune.emulatorpin);
	cpuset_release(&vm->host_nodes);
	cpuset_release(&vm->vcpu_cpuset);
	vm_spec_init(vm);
}

struct vm_cell *vm_spec_add_cell(struct vm_spec *vm, unsigned id)
{
	struct vm_cell *c;

	vm->cells = xreallocarray(vm->cells, vm->ncells + 1, sizeof(*vm->cells));
	c = &vm->cells[vm->ncells++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	return c;
}

struct vm_cell *vm_spec_find_cell(const struct vm_spec *vm, unsigned id)
{
	for (size_t i = 0; i < vm->ncells; i++)
		if (vm->cells[i].id == id)
			return &vm->cells[i];
	return NULL;
}

/* Grow an array of cpusets to hold index idx. */
static struct cpuset *pin_slot(struct cpuset **arr, size_t *n, size_t idx)
{
	if (idx >= *n) {
		*arr = xreallocarray(*arr, idx + 1, sizeof(**arr));
		memset(*arr + *n, 0, (idx + 1 - *n) * sizeof(**arr));
		*n = idx + 1;
	}
	return &(*arr)[idx];
}

struct cpuset *vm_spec_vcpupin(struct vm_spec *vm, unsigned vcpu)
{
	return pin_slot(&vm->tune.vcpupin, &vm->tune.nvcpupin, vcpu);
}

struct cpuset *vm_spec_iothreadpin(struct vm_spec *vm, unsigned id)
{
	assert(id >= 1);
	return pin_slot(&vm->tune.iothreadpin, &vm->tune.niothreadpin, id - 1);
}

bool vm_spec_has_pins(const struct vm_spec *vm)
{
	if (!cpuset_empty(&vm->tune.emulatorpin))
		return true;
	for (size_t i = 0; i < vm->tune.nvcpupin; i++)
		if (!cpuset_empty(&vm->tune.vcpupin[i]))
			return true;
	for (size_t i = 0; i < vm->tune.niothreadpin; i++)
		if (!cpuset_empty(&vm->tune.iothreadpin[i]))
			return true;
	return false;
}

static int validate_cell(const struct vm_spec *vm, const struct vm_cell *c, size_t idx,
			 struct cpuset *seen, struct diag *d)
{
	int cpu;

	if (c->id != idx)
		return diag_set(d, EINVAL, "cell",
				"cell id %u: cells must be numbered 0..%zu once each, in order",
				c->id, vm->ncells - 1);
	if (c->mem_kib == 0)
		return diag_set(d, EINVAL, "cell", "cell %u: memory must not be 0", c->id);
	cpuset_foreach (cpu, &c->cpus) {
		if (cpuset_isset(seen, (unsigned)cpu))
			return diag_set(d, EINVAL, "cell",
					"cell %u: vCPU %d is already in another cell", c->id, cpu);
		cpuset_set(seen, (unsigned)cpu);
	}
	for (size_t j = 0; j < c->ndistances; j++)
		if (c->distances[j] && j >= vm->ncells)
			return diag_set(d, EINVAL, "sibling",
					"cell %u: distance to cell %zu, which does not exist",
					c->id, j);
	return 0;
}

static int validate_cells(const struct vm_spec *vm, struct diag *d)
{
	struct cpuset seen = CPUSET_INIT;
	uint64_t sum = 0;
	int r = 0;

	for (size_t i = 0; i < vm->ncells && r >= 0; i++) {
		r = validate_cell(vm, &vm->cells[i], i, &seen, d);
		if (r >= 0 &&
		    (!safe_add_u64(sum, vm->cells[i].mem_kib, &sum) || sum > SIZE_MAX_KIB))
			r = diag_set(d, ERANGE, "cell",
				     "the cells add up to more than 4 EiB: too large");
	}
	cpuset_release(&seen);
	if (r < 0)
		return r;
	if (vm->ncells && sum != vm->mem_kib)
		return diag_set(d, EINVAL, "cell",
				"the cells add up to %llu KiB, but the memory is %llu KiB",
				(unsigned long long)sum, (unsigned long long)vm->mem_kib);
	return 0;
}

static int validate_policy(const struct vm_spec *vm, struct diag *d)
{
	bool any_memnode = false, restrictive_node = false, other_node = false;

	for (size_t i = 0; i < vm->ncells; i++) {
		const struct vm_cell *c = &vm->cells[i];

		if (!c->has_memnode)
			continue;
		any_memnode = true;
		if (c->policy == VM_POLICY_RESTRICTIVE)
			restrictive_node = true;
		else
			other_node = true;
		if (cpuset_empty(&c->host_nodes))
			return diag_set(d, EINVAL, "memnode", "memnode cellid %u: nodeset is empty",
					c->id);
	}
	if (any_memnode && vm->placement == VM_PLACEMENT_AUTO)
		return diag_set(
			d, EINVAL, "memnode",
			"memnode: per-cell binding is not compatible with placement 'auto'");
	if (vm->policy == VM_POLICY_RESTRICTIVE && other_node)
		return diag_set(d, EINVAL, "memnode",
				"memnode: mode must be 'restrictive' when the memory mode is "
				"'restrictive'");
	if (restrictive_node && vm->policy != VM_POLICY_RESTRICTIVE)
		return diag_set(
			d, EINVAL, "memory",
			"numatune memory: mode must be 'restrictive' when a memnode mode is "
			"'restrictive'");
	if (vm->policy != VM_POLICY_NONE && vm->placement == VM_PLACEMENT_STATIC &&
	    cpuset_empty(&vm->host_nodes))
		return diag_set(d, EINVAL, "memory",
				"numatune memory: a nodeset must be given when placement is "
				"'static'");
	return 0;
}

/* libvirt's rules for <cputune> and <cpu><topology> against <vcpu> and <iothreads>. */
static int validate_cpu(const struct vm_spec *vm, struct diag *d)
{
	const struct vm_topology *t = &vm->topology;
	uint64_t product = 1;
	unsigned f[] = {t->sockets, t->dies, t->clusters, t->cores, t->threads};

	for (size_t i = 0; i < vm->tune.nvcpupin; i++)
		if (!cpuset_empty(&vm->tune.vcpupin[i]) && i >= vm->vcpus)
			return diag_set(d, EINVAL, "vcpupin",
					"cputune vcpupin: vCPU %zu does not exist (the VM has %u)",
					i, vm->vcpus);
	for (size_t i = 0; i < vm->tune.niothreadpin; i++)
		if (!cpuset_empty(&vm->tune.iothreadpin[i]) && i >= vm->iothreads)
			return diag_set(d, EINVAL, "iothreadpin",
					"cputune iothreadpin: iothread %zu does not exist (the VM "
					"has %u)",
					i + 1, vm->iothreads);
	if (!t->sockets && !t->cores && !t->threads)
		return 0;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!safe_mul_u64(product, f[i] ? f[i] : 1, &product))
			product = 0; /* cannot match any vCPU count */
	if (!t->sockets || !t->cores || !t->threads || (vm->vcpus && product != vm->vcpus))
		return diag_set(d, EINVAL, "topology",
				"cpu topology: sockets %u x dies %u x clusters %u x cores %u x "
				"threads %u does not match the %u vCPUs",
				t->sockets, t->dies ? t->dies : 1, t->clusters ? t->clusters : 1,
				t->cores, t->threads, vm->vcpus);
	return 0;
}

int vm_spec_validate(const struct vm_spec *vm, struct diag *d)
{
	int r;

	if (vm->mem_kib > SIZE_MAX_KIB || vm->max_mem_kib > SIZE_MAX_KIB)
		return diag_set(d, ERANGE, "memory",
				"the memory size is more than 4 EiB: too large");
	if (vm->mem_kib == 0)
		return diag_set(d, EINVAL, "memory", "memory: the VM needs a non-zero size");
	r = validate_cells(vm, d);
	if (r < 0)
		return r;
	r = validate_policy(vm, d);
	if (r < 0)
		return r;
	r = validate_cpu(vm, d);
	if (r < 0)
		return r;
	if (vm->max_mem_kib && vm->max_mem_kib < vm->mem_kib)
		return diag_set(d, EINVAL, "maxMemory",
				"maxMemory %llu KiB is smaller than the memory %llu KiB",
				(unsigned long long)vm->max_mem_kib,
				(unsigned long long)vm->mem_kib);
	return 0;
}

static const char *const policy_names[] = {
	[VM_POLICY_NONE] = "none",
	[VM_POLICY_BIND] = "bind",
	[VM_POLICY_PREFERRED] = "preferred",
	[VM_POLICY_INTERLEAVE] = "interleave",
	[VM_POLICY_RESTRICTIVE] = "restrictive",
};

const char *vm_policy_name(enum vm_policy p)
{
	return policy_names[p];
}

const char *vm_policy_libvirt_mode(enum vm_policy p)
{
	return p == VM_POLICY_BIND ? "strict" : policy_names[p];
}

int vm_policy_parse(const char *s, enum vm_policy *ret)
{
	if (strcmp(s, "strict") == 0 || strcmp(s, "bind") == 0)
		*ret = VM_POLICY_BIND;
	else if (strcmp(s, "preferred") == 0)
		*ret = VM_POLICY_PREFERRED;
	else if (strcmp(s, "interleave") == 0)
		*ret = VM_POLICY_INTERLEAVE;
	else if (strcmp(s, "restrictive") == 0)
		*ret = VM_POLICY_RESTRICTIVE;
	else
		return -EINVAL;
	return 0;
}

static const char *const source_names[] = {
	[VM_SOURCE_DEFAULT] = "default",
	[VM_SOURCE_RAM] = "ram",
	[VM_SOURCE_FILE] = "file",
	[VM_SOURCE_MEMFD] = "memfd",
};

const char *vm_source_name(enum vm_source s)
{
	return source_names[s];
}

int vm_source_parse(const char *s, enum vm_source *ret)
{
	for (size_t i = 1; i < sizeof(source_names) / sizeof(source_names[0]); i++)
		if (strcmp(s, source_names[i]) == 0) {
			*ret = (enum vm_source)i;
			return 0;
		}
	/* libvirt's <source type='anonymous'> is plain RAM */
	if (strcmp(s, "anonymous") == 0) {
		*ret = VM_SOURCE_RAM;
		return 0;
	}
	return -EINVAL;
}
