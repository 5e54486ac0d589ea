/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Just enough of libvirt's domain XML for `kvmtune check`: how much memory
 * each defined domain (/etc/libvirt/qemu/NAME.xml) wants, of which page size,
 * bound to which host nodes.  A full domain parser lives elsewhere; this one
 * is small on purpose.
 */
#ifndef KVMTUNE_CORE_CHECK_DOMAINS_H
#define KVMTUNE_CORE_CHECK_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"

struct diag;
struct host;

/* One guest NUMA cell (or the whole guest when it has no cells). */
struct domain_part {
	int cell;	    /* guest cell id, -1 for a guest without cells */
	uint64_t size_kib;  /* memory of the cell */
	uint64_t page_kib;  /* hugepage size, 0 when not hugepage-backed */
	struct cpuset host; /* host nodes it is bound to; empty means any */
	char mode[16];	    /* numatune mode: strict, preferred, interleave, restrictive */
};

struct domain_demand {
	char *name;
	char *file;
	bool memfd;   /* <source type='memfd'/>: needs no hugetlbfs mount */
	bool running; /* /run/libvirt/qemu/NAME.pid exists */
	bool placement_auto;
	struct domain_part *parts;
	size_t nparts;
};

/*
 * Parse a domain XML text.  default_page_kib is the host's default
 * hugepage size (used for <hugepages/> without a <page>).  -EINVAL with a
 * diag when the XML is malformed or a size/nodeset is invalid.
 */
int domain_demand_parse(const char *xml, size_t len, const char *file, uint64_t default_page_kib,
			struct domain_demand *ret, struct diag *d);
void domain_demand_release(struct domain_demand *dd);

/*
 * All domains in /etc/libvirt/qemu/NAME.xml below the root (none when the
 * directory is absent).  A file that does not parse is skipped and named in
 * ret_bad (caller frees, may be NULL).
 */
int domains_load(struct host *h, uint64_t default_page_kib, struct domain_demand **ret,
		 size_t *ret_count, char **ret_bad, struct diag *d);
void domains_free(struct domain_demand *list, size_t n);

#endif
