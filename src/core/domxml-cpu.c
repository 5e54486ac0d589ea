/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvirt domain XML → struct vm_spec, the CPU side: <vcpu> (count,
 * placement, cpuset), <iothreads>, <cputune> vcpupin/emulatorpin/iothreadpin
 * and <cpu><topology>.  Checked as libvirt checks them: a pin for a vCPU or
 * I/O thread the domain lacks, a vCPU pinned twice, a topology that does not
 * multiply to the vCPU count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/domxml-internal.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

/* libvirt's own limits (VIR_DOMAIN_... / QEMU): far beyond any host. */
#define DOMXML_MAX_VCPUS 16384
#define DOMXML_MAX_IOTHREADS 4096

static int parse_vcpu(xmlNode *n, struct vm_spec *vm, struct diag *d)
{
	AUTOFREE char *placement = NULL;
	AUTOFREE char *cpuset = NULL;
	AUTOFREE char *count = NULL;

	if (!n)
		return 0;
	placement = domxml_attr(n, "placement");
	cpuset = domxml_attr(n, "cpuset");
	count = domxml_text(n);
	if (parse_u32(count, &vm->vcpus) < 0 || vm->vcpus > DOMXML_MAX_VCPUS)
		return diag_set(d, EINVAL, "vcpu", "vcpu: '%s' is not a number of vCPUs (1-%u)",
				count, DOMXML_MAX_VCPUS);
	if (placement && strcmp(placement, "auto") == 0)
		vm->vcpu_placement = VM_PLACEMENT_AUTO;
	else if (placement && strcmp(placement, "static") != 0)
		return diag_set(d, EINVAL, "vcpu",
				"vcpu: unknown placement '%s' (expected static or auto)",
				placement);
	if (cpuset)
		return domxml_parse_set("vcpu cpuset", cpuset, &vm->vcpu_cpuset, d);
	return 0;
}

static int parse_iothreads(xmlNode *n, struct vm_spec *vm, struct diag *d)
{
	AUTOFREE char *count = NULL;

	if (!n)
		return 0;
	count = domxml_text(n);
	if (parse_u32(count, &vm->iothreads) < 0 || vm->iothreads > DOMXML_MAX_IOTHREADS)
		return diag_set(d, EINVAL, "iothreads",
				"iothreads: '%s' is not a number of I/O threads (0-%u)", count,
				DOMXML_MAX_IOTHREADS);
	return 0;
}

/* One <vcpupin vcpu='N' cpuset='...'/> or <iothreadpin iothread='N' cpuset='...'/>. */
static int parse_pin(xmlNode *n, struct vm_spec *vm, bool iothread, struct diag *d)
{
	const char *what = iothread ? "cputune iothreadpin" : "cputune vcpupin";
	AUTOFREE char *id = domxml_attr(n, iothread ? "iothread" : "vcpu");
	AUTOFREE char *set = domxml_attr(n, "cpuset");
	unsigned v, limit = iothread ? DOMXML_MAX_IOTHREADS : DOMXML_MAX_VCPUS;
	struct cpuset *slot;

	if (!id || parse_u32(id, &v) < 0 || v >= limit || (iothread && v == 0))
		return diag_set(d, EINVAL, what, "%s: bad %s '%s'", what,
				iothread ? "iothread" : "vcpu", id ? id : "");
	if (!set)
		return diag_set(d, EINVAL, what, "%s %u: the 'cpuset' attribute is missing", what,
				v);
	slot = iothread ? vm_spec_iothreadpin(vm, v) : vm_spec_vcpupin(vm, v);
	if (!cpuset_empty(slot))
		return diag_set(d, EINVAL, what, "%s: %s %u is pinned twice", what,
				iothread ? "iothread" : "vcpu", v);
	return domxml_parse_set(what, set, slot, d);
}

static int parse_cputune(xmlNode *ct, struct vm_spec *vm, struct diag *d)
{
	bool emulator = false;
	int r;

	for (xmlNode *n = ct ? ct->children : NULL; n; n = n->next) {
		if (domxml_is_elem(n, "vcpupin") || domxml_is_elem(n, "iothreadpin")) {
			r = parse_pin(n, vm, domxml_is_elem(n, "iothreadpin"), d);
		} else if (domxml_is_elem(n, "emulatorpin")) {
			AUTOFREE char *set = domxml_attr(n, "cpuset");

			if (emulator)
				return diag_set(d, EINVAL, "emulatorpin",
						"cputune: more than one emulatorpin");
			emulator = true;
			r = set ? domxml_parse_set("cputune emulatorpin", set,
						   &vm->tune.emulatorpin, d)
				: diag_set(d, EINVAL, "emulatorpin",
					   "cputune emulatorpin: the 'cpuset' attribute is "
					   "missing");
		} else {
			continue;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int topology_attr(xmlNode *t, const char *name, unsigned *ret, struct diag *d)
{
	AUTOFREE char *v = domxml_attr(t, name);

	if (!v)
		return 0;
	if (parse_u32(v, ret) < 0 || *ret == 0 || *ret > DOMXML_MAX_VCPUS)
		return diag_set(d, EINVAL, "topology", "cpu topology: %s '%s' is not 1-%u", name, v,
				DOMXML_MAX_VCPUS);
	return 0;
}

static int parse_topology(xmlNode *t, struct vm_spec *vm, struct diag *d)
{
	struct vm_topology *tp = &vm->topology;
	int r;

	if (!t)
		return 0;
	if ((r = topology_attr(t, "sockets", &tp->sockets, d)) < 0 ||
	    (r = topology_attr(t, "dies", &tp->dies, d)) < 0 ||
	    (r = topology_attr(t, "clusters", &tp->clusters, d)) < 0 ||
	    (r = topology_attr(t, "cores", &tp->cores, d)) < 0 ||
	    (r = topology_attr(t, "threads", &tp->threads, d)) < 0)
		return r;
	if (!tp->sockets || !tp->cores || !tp->threads)
		return diag_set(d, EINVAL, "topology",
				"cpu topology: sockets, cores and threads must all be given");
	return 0;
}

int domxml_parse_cpu(xmlNode *root, struct vm_spec *vm, struct diag *d)
{
	int r = parse_vcpu(domxml_child(root, "vcpu"), vm, d);

	if (r >= 0)
		r = parse_iothreads(domxml_child(root, "iothreads"), vm, d);
	if (r >= 0)
		r = parse_cputune(domxml_child(root, "cputune"), vm, d);
	if (r >= 0)
		r = parse_topology(domxml_child(domxml_child(root, "cpu"), "topology"), vm, d);
	return r;
}
