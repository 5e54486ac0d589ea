/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A benchmark buffer of one page kind on one NUMA node: mapped (4 KiB
 * pages with THP refused, THP asked for with madvise, or hugetlb pages of
 * a size), bound to the node with mbind before any page exists, populated
 * without SIGBUS (MADV_POPULATE_WRITE), and checked: the share of its
 * pages on the node (move_pages) and, for THP, in huge pages (smaps).
 */
#ifndef KVMTUNE_BENCH_MEMBUF_H
#define KVMTUNE_BENCH_MEMBUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/memcost.h"

struct diag;
struct host;

struct membuf {
	void *map; /* the mapping (may start below buf for alignment) */
	size_t map_bytes;
	void *buf; /* aligned to the page kind's page */
	size_t bytes;
	double on_node; /* share of sampled pages found on the node */
	double huge;	/* share in huge pages */
};

/*
 * Map and populate bytes (a multiple of the page size) of page kind p on
 * node (-1: no binding, first touch).  -ENOMEM when the pages could not be
 * had (hugetlb pool short), -errno otherwise, with a diag.
 */
int membuf_alloc(struct host *h, const struct memcost_page *p, int node, size_t bytes,
		 struct membuf *ret, struct diag *d);
void membuf_free(struct membuf *b);

#endif
