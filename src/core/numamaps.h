/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser of /proc/PID/numa_maps lines and per-node accounting of a process's
 * memory in numastat's categories (Huge, Heap, Stack, Private).  Each mapping
 * is counted at its own kernelpagesize_kB, so a 1 GiB mapping on a host whose
 * default hugepage size is 2 MiB is not undercounted (numastat <= 2.0.16 and
 * numad multiply every huge mapping by the default size: numactl issue 147).
 */
#ifndef KVMTUNE_CORE_NUMAMAPS_H
#define KVMTUNE_CORE_NUMAMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"

struct diag;

enum numamaps_policy {
	NUMAMAPS_POLICY_DEFAULT,
	NUMAMAPS_POLICY_LOCAL,
	NUMAMAPS_POLICY_BIND,
	NUMAMAPS_POLICY_PREFER,	     /* "prefer:N" and "preferred" (MPOL_PREFERRED) */
	NUMAMAPS_POLICY_PREFER_MANY, /* "prefer (many):N-M" */
	NUMAMAPS_POLICY_INTERLEAVE,
	NUMAMAPS_POLICY_WEIGHTED_INTERLEAVE,
	NUMAMAPS_POLICY_COUNT_,
};

/* numastat's categories, in its row order. */
enum numamaps_cat {
	NUMAMAPS_CAT_HUGE,
	NUMAMAPS_CAT_HEAP,
	NUMAMAPS_CAT_STACK,
	NUMAMAPS_CAT_PRIVATE,
	NUMAMAPS_CAT_COUNT_,
};

struct numamaps_node_pages {
	int node;
	uint64_t pages;
};

/* One parsed line.  Initialise with NUMAMAPS_ENTRY_INIT; reuse it across lines. */
struct numamaps_entry {
	uint64_t addr;
	enum numamaps_policy policy;
	struct cpuset policy_nodes; /* empty for default/local/"preferred" */
	bool heap, stack, huge;
	const char *file; /* points into the parsed line, not NUL-terminated; NULL if none */
	size_t file_len;
	uint64_t anon, dirty, mapped, mapmax, swapcache, active, writeback; /* pages */
	uint64_t kernelpagesize_kib;					    /* 0 when absent */
	struct numamaps_node_pages *nodes;				    /* N<node>=<pages> */
	size_t nnodes, nodes_alloc;
};

#define NUMAMAPS_ENTRY_INIT \
	{                   \
		0           \
	}

void numamaps_entry_release(struct numamaps_entry *e);

/*
 * Parse one line (len bytes, no newline needed) into e.  Unknown key=value
 * tokens and unknown bare words are ignored (the kernel adds fields over
 * time); a line without an address, with a bad policy, a bad number in a
 * known key or an N<node>= token that is not two numbers fails with -EINVAL
 * and a diag quoting the token.  e's previous contents are replaced.
 */
int numamaps_parse_line(const char *line, size_t len, struct numamaps_entry *e, struct diag *d);

/* The category numastat gives this mapping. */
enum numamaps_cat numamaps_entry_cat(const struct numamaps_entry *e);

/* KiB held on each node by the huge mappings of one page size. */
struct numamaps_huge_size {
	uint64_t size_kib;
	uint64_t *kib; /* indexed by node, nnodes long (see struct numamaps_usage) */
};

/*
 * A process's memory per node.  Arrays are indexed by node number and are
 * nnodes long (the highest node seen + 1).  Initialise with
 * NUMAMAPS_USAGE_INIT.
 */
struct numamaps_usage {
	size_t nnodes;
	uint64_t *cat_kib[NUMAMAPS_CAT_COUNT_]; /* per category, per node */
	struct numamaps_huge_size *huge;	/* per huge page size, sorted by size */
	size_t nhuge;
	uint64_t total_kib;			     /* over all nodes and categories */
	uint64_t policy_kib[NUMAMAPS_POLICY_COUNT_]; /* memory by the policy of its mapping */
	struct cpuset policy_nodes[NUMAMAPS_POLICY_COUNT_]; /* nodes named by each policy kind */
	unsigned lines, bad_lines;
};

#define NUMAMAPS_USAGE_INIT \
	{                   \
		0           \
	}

void numamaps_usage_release(struct numamaps_usage *u);

/*
 * Add one mapping to u.  Pages count at the mapping's kernelpagesize_kB; a
 * line without it counts at base_page_kib (huge lines at default_huge_kib).
 * -ERANGE, adding nothing, when its KiB or any total would pass INT64_MAX
 * (no real process has that much: the line is not to be believed).
 */
int numamaps_usage_add(struct numamaps_usage *u, const struct numamaps_entry *e,
		       uint64_t base_page_kib, uint64_t default_huge_kib);

/*
 * Parse a whole numa_maps text and add it to u.  Malformed lines are
 * counted in u->bad_lines and skipped; the first one's reason goes to d.
 * Returns the number of bad lines (>= 0).
 */
int numamaps_usage_parse(struct numamaps_usage *u, const char *text, size_t len,
			 uint64_t base_page_kib, uint64_t default_huge_kib, struct diag *d);

/* KiB on node (0 when node >= nnodes), for one category or all (cat < 0). */
uint64_t numamaps_usage_node_kib(const struct numamaps_usage *u, int cat, int node);
/* KiB over all nodes, for one category or all (cat < 0). */
uint64_t numamaps_usage_total_kib(const struct numamaps_usage *u, int cat);
/* Make sure the per-node arrays cover node (used when merging other sources). */
void numamaps_usage_reserve(struct numamaps_usage *u, size_t nnodes);
/* Add kib on node to category cat (and to the huge size size_kib when cat is HUGE). */
void numamaps_usage_add_kib(struct numamaps_usage *u, enum numamaps_cat cat, int node,
			    uint64_t size_kib, uint64_t kib);

/* The policy's numa_maps spelling ("bind", "prefer", ...). */
const char *numamaps_policy_name(enum numamaps_policy p);

#endif
