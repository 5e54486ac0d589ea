/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-node system views of kvmtune stat, read once in core and only rendered
 * by the CLI: the per-node meminfo rows in numastat -m's order (hugepage rows
 * over every pool size) and the NUMA allocation counters of numastat -n and
 * of numastat without arguments.  A value the kernel did not give is unknown
 * (NODESTAT_UNKNOWN), never 0 or -1 on screen.
 */
#ifndef KVMTUNE_CORE_NODESTAT_H
#define KVMTUNE_CORE_NODESTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;
struct host_model;

#define NODESTAT_UNKNOWN (-1)

struct nodestat {
	size_t nrows;
	size_t nnodes;	   /* the model's nodes, in model order */
	const char **keys; /* nrows row names as the kernel spells them (static strings) */
	int64_t *values;   /* nrows * nnodes, row by row; NODESTAT_UNKNOWN when not given */
	uint64_t unit_kib; /* what one value is worth in KiB: 1, or the base page size */
};

/*
 * numastat -m: the rows of numastat's list that at least one node's meminfo
 * has, in KiB.  The HugePages_{Total,Free,Surp} rows add up every pool size
 * of the node (numastat counts only the default size).  A host without NUMA
 * in sysfs has one node, read from /proc/meminfo.  -errno (d names the file)
 * when a node's meminfo is malformed or unreadable; a missing file or line
 * leaves its values unknown.
 */
int nodestat_meminfo(struct host *h, const struct host_model *m, struct nodestat *ret,
		     struct diag *d);

/*
 * numastat -n and numastat without arguments: numa_hit, numa_miss,
 * numa_foreign, interleave_hit, local_node and other_node of each node, in
 * pages of m->base_page_kib (unit_kib).  A node without a numastat file, or
 * a file without the line, leaves its values unknown; a malformed number
 * fails with -EINVAL naming the file.
 */
int nodestat_counters(struct host *h, const struct host_model *m, struct nodestat *ret,
		      struct diag *d);

/* The value of row on the node at idx (model order), or NODESTAT_UNKNOWN. */
int64_t nodestat_get(const struct nodestat *s, size_t row, size_t idx);
void nodestat_release(struct nodestat *s);

#endif
