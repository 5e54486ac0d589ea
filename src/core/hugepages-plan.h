/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deciding hugepage pool sizes: a request ("2M=64 1G=8 on nodes 0,1") and
 * the host model become a plan of {path, old, new, reason} entries, or a
 * refusal with the numbers.  Pure except for hugepages_mem_load(), the read
 * step that gathers the memory each node could still give up.
 */
#ifndef KVMTUNE_CORE_HUGEPAGES_PLAN_H
#define KVMTUNE_CORE_HUGEPAGES_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;
struct host_model;

/* One "SIZE=COUNT" of a request. */
struct hp_ask {
	uint64_t size_kib;
	uint64_t count_pages;
	char text[64]; /* the argument as given, for messages */
};

struct hp_request {
	struct hp_ask *asks;
	size_t nasks;
	int *nodes; /* --node: the count is per listed node; none: whole host */
	size_t nnodes;
	int64_t keep_free_kib; /* --keep-free per node, -1 for the default */
};

#define HP_REQUEST_INIT              \
	{                            \
		NULL, 0, NULL, 0, -1 \
	}

/*
 * Parse "SIZE=COUNT" ("2M=64", "2048kB=1", "1G=0") and append it.  Checks
 * syntax only (a size, '=', an unsigned count); whether the host has that
 * size is checked by hugepages_decide().  -EINVAL/-ERANGE with a diag naming
 * the argument; -EEXIST when the size was already given.
 */
int hp_request_add(struct hp_request *req, const char *arg, struct diag *d);
/* Parse a --node list ("1", "0,1", "0-3").  -EINVAL with a diag on bad syntax. */
int hp_request_set_nodes(struct hp_request *req, const char *list, struct diag *d);
void hp_request_release(struct hp_request *req);

/* What a node can give up: memory that is free or reclaimable (clean caches). */
struct hp_node_mem {
	int node;
	int64_t total_kib; /* MemTotal, -1 unknown */
	int64_t avail_kib; /* MemFree + FilePages - Shmem + SReclaimable, -1 unknown */
};

struct hp_mem {
	struct hp_node_mem *nodes; /* in model node order */
	size_t nnodes;
	int64_t total_kib;    /* /proc/meminfo MemTotal, -1 unknown */
	int64_t avail_kib;    /* MemAvailable (or MemFree), -1 unknown */
	int64_t min_free_kib; /* vm.min_free_kbytes, 0 when absent */
};

/*
 * Read what each node of m could give up, from node meminfo files (falling
 * back to the model's MemFree).  -errno with a diag on unreadable or malformed
 * files.  Release with hugepages_mem_release().
 */
int hugepages_mem_load(struct host *h, const struct host_model *m, struct hp_mem *ret,
		       struct diag *d);
void hugepages_mem_release(struct hp_mem *mem);

/*
 * The memory a node keeps out of hugepage pools: keep_free_kib when set, else
 * max(5% of its MemTotal, 512 MiB); plus its share of vm.min_free_kbytes
 * (by MemTotal).  In KiB.
 */
uint64_t hugepages_keep_free_kib(const struct hp_mem *mem, const struct hp_node_mem *n,
				 int64_t keep_free_kib);

/* One entry of the plan: a pool's nr_hugepages file, before and after. */
struct hp_change {
	char path[192];
	int node; /* -1: the host-wide pool */
	uint64_t size_kib;
	int64_t old_pages;
	int64_t new_pages;
	char reason[160];
};

struct hp_plan {
	struct hp_change *changes; /* shrinks first, then grows; unchanged pools too */
	size_t nchanges;
};

/*
 * Decide: turn req into a plan against m and mem.  Refuses (nothing to
 * apply) with a diag naming the problem:
 *   -EINVAL  a size that is not a hugepage size of this CPU or kernel, a node
 *            that does not exist, has no memory or no per-node pool, or whose
 *            free memory is unknown (the guard fails closed);
 *   -ERANGE  a request that would leave a node (or the host) with less than
 *            its keep-free memory, with the numbers.
 * ret is replaced; release it with hp_plan_release().
 */
int hugepages_decide(const struct host_model *m, const struct hp_mem *mem,
		     const struct hp_request *req, struct hp_plan *ret, struct diag *d);
void hp_plan_release(struct hp_plan *plan);
/* Append a change of one pool (node -1: host-wide) with its path and reason. */
void hp_plan_add(struct hp_plan *p, int node, uint64_t size_kib, int64_t old_pages,
		 int64_t new_pages);

/* The sysfs nr_hugepages file of a pool: node -1 for the host-wide pool. */
void hugepages_pool_path(int node, uint64_t size_kib, char *buf, size_t bufsz);

#endif
