/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Measured memory costs: what 'kvmtune bench memory' found on this host,
 * per page kind and (CPU node, memory node) pair, kept under
 * /var/lib/kvmtune so that placement and the daemon can use measured
 * costs instead of the firmware's SLIT distances.  The file is text, one
 * record a line (doc/kvmtune.1, "MEASURED COSTS"):
 *
 *   format 1
 *   time 1764575123
 *   kernel 6.18.44
 *   buffer_kib 2097152
 *   cell page 4K cpu_node 0 mem_node 1 latency_ns 345.2 p10_ns 330.1 p90_ns 360.4
 *        read_mbps 9780 on_node 1.000 huge 0.000 slit 20      (one line)
 *
 * '#' lines and blank lines are comments.  Unknown record words are an
 * error (a newer format number is refused as a whole).
 */
#ifndef KVMTUNE_CORE_MEMCOST_H
#define KVMTUNE_CORE_MEMCOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;
struct sbuf;

#define MEMCOST_DIR "/var/lib/kvmtune"
#define MEMCOST_PATH "/var/lib/kvmtune/memory-costs"
#define MEMCOST_FORMAT 1

/* A page kind: 4 KiB pages, transparent huge pages, or hugetlb pages of a size. */
struct memcost_page {
	uint64_t size_kib; /* 4 for 4K and THP */
	bool thp;
};

struct memcost_cell {
	struct memcost_page page;
	int cpu_node, mem_node;
	double latency_ns; /* median of the samples */
	double p10_ns, p90_ns;
	double read_mbps; /* streaming read, one thread, MB/s (10^6 bytes) */
	double on_node;	  /* share (0..1) of the buffer found on mem_node */
	double huge;	  /* share in huge pages (THP: AnonHugePages; hugetlb: 1) */
	int slit;	  /* the firmware's distance for the pair, -1 unknown */
};

struct memcost {
	int64_t time; /* seconds since the epoch, of the measurement */
	char kernel[128];
	uint64_t buffer_kib;
	struct memcost_cell *cells;
	size_t ncells;
};

/* "4K", "THP", "2M", "1G" (also "64K", "16M", ...); -EINVAL otherwise. */
int memcost_page_parse(const char *text, struct memcost_page *ret);
/* The short name of a page kind into buf ("THP", "2M"); returns buf. */
const char *memcost_page_name(const struct memcost_page *p, char *buf, size_t bufsz);
bool memcost_page_equal(const struct memcost_page *a, const struct memcost_page *b);

/* Append a cell (copied). */
void memcost_add(struct memcost *c, const struct memcost_cell *cell);
void memcost_release(struct memcost *c);

/* The file text of c into out. */
void memcost_format(const struct memcost *c, struct sbuf *out);
/*
 * Parse the file text (len bytes; NULs refused).  -EINVAL with a diag
 * naming the line on anything unexpected, -ENOTSUP for another format.
 * ret must be zeroed; released on failure.
 */
int memcost_parse(const char *text, size_t len, struct memcost *ret, struct diag *d);

/* Read MEMCOST_PATH below the root: -ENOENT when nothing was saved. */
int memcost_load(struct host *h, struct memcost *ret, struct diag *d);
/* Write c to MEMCOST_PATH atomically (through the host's write functions). */
int memcost_save(struct host *h, const struct memcost *c, struct diag *d);

/* The cell for a page kind and pair, or NULL. */
const struct memcost_cell *memcost_find(const struct memcost *c, const struct memcost_page *page,
					int cpu_node, int mem_node);
/*
 * Measured cost of reaching mem_node from cpu_node relative to cpu_node's
 * own memory, for one page kind: latency ratio (1.0 local, 1.6 = 60 %
 * slower); -1 when either cell was not measured.  What a planner uses in
 * place of SLIT distance / 10.
 */
double memcost_node_ratio(const struct memcost *c, const struct memcost_page *page, int cpu_node,
			  int mem_node);

#endif
