/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hugetlb pages for a benchmark: grow one node's pool by exactly what a
 * buffer needs, through the same guarded path as 'kvmtune hugepages
 * reserve' (host_lock "hugepages", keep-free guard, all or nothing, a
 * record under /run/kvmtune/hugepages/OWNER), and give them back.  A run
 * that was killed outright leaves its record; mempages_reap() gives back
 * the pages of such owners whose process is gone.
 */
#ifndef KVMTUNE_BENCH_MEMPAGES_H
#define KVMTUNE_BENCH_MEMPAGES_H

#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;

/* Owners are "PREFIX<pid>". */
#define MEMPAGES_OWNER_PREFIX "bench-memory."
/* How long to wait for another writer of the pools. */
#define MEMPAGES_LOCK_MS 30000

/*
 * Reserve size_kib in pages of page_kib on node for owner.  -ERANGE when
 * the keep-free guard refuses, -ENOSPC when the kernel could not find every
 * page (the pool is put back; d says which), -EAGAIN when another writer
 * holds the pools longer than MEMPAGES_LOCK_MS, other -errno on failure.
 */
int mempages_take(struct host *h, const char *owner, int node, uint64_t page_kib, uint64_t size_kib,
		  unsigned timeout_s, struct diag *d);
/*
 * Give back everything owner holds (no record: nothing to do).  The
 * caller must have unmapped its pages first.
 */
int mempages_give_back(struct host *h, const char *owner, struct diag *d);
/*
 * Give back the pages of every MEMPAGES_OWNER_PREFIX owner whose process
 * no longer exists.  *ret_reaped (may be NULL) counts those owners.
 */
int mempages_reap(struct host *h, size_t *ret_reaped, struct diag *d);

#endif
