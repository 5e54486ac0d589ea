/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The measuring kernels of 'kvmtune bench memory': a pointer chase over a
 * random single cycle (dependent loads: latency), a streaming read
 * (bandwidth), and a second, naive lat_mem_rd-style strided list as a
 * sanity check.  Pure computation on memory the caller owns: no I/O, no
 * allocation but the index scratch of memkern_chase_build().
 */
#ifndef KVMTUNE_BENCH_MEMKERN_H
#define KVMTUNE_BENCH_MEMKERN_H

#include <stddef.h>
#include <stdint.h>

/* Cache line size assumed for slot placement (x86, most arm64). */
#define MEMKERN_LINE_BYTES 64u

/*
 * Lay a random single cycle of pointers over buf (size_bytes): one slot
 * per stride_bytes (a multiple of MEMKERN_LINE_BYTES, at least one line),
 * at a pseudo-random cache line inside its stride so that slots spread
 * over the cache sets; the visiting order is a random cyclic permutation
 * (Sattolo's algorithm), so every load depends on the one before and the
 * prefetchers see no pattern.  With stride_bytes 4096 every load touches
 * a new 4 KiB page: a TLB miss for 4 KiB pages, a hit for large ones.
 * seed makes the layout repeatable.  Returns the number of slots (>= 2) and
 * the first slot in *ret_start, or -EINVAL when buf holds fewer than two
 * slots or more than 2^32, -ENOMEM never (scratch is xmalloc'd: OOM aborts).
 */
int memkern_chase_build(void *buf, size_t size_bytes, size_t stride_bytes, uint64_t seed,
			void **ret_start);
/*
 * Follow nloads pointers from start (a multiple of 16 is followed exactly;
 * the rest is rounded down).  Returns where it stopped, to go on from
 * there and so that the loads cannot be optimised away.
 */
void *memkern_chase_run(void *start, uint64_t nloads);
/* Read every 8-byte word of buf once (size_bytes a multiple of 64); the sum. */
uint64_t memkern_read(const void *buf, size_t size_bytes);
/*
 * The naive second implementation, written the plain way as a check on the
 * first: the pages of words are written in address order (first touch),
 * then one 64-bit index at the start of every 4 KiB page (npages pages),
 * the pages put in random order by a Fisher-Yates shuffle, each
 * pointing to the next in that order; followed as idx = words[idx].
 * Returns the first index.
 */
size_t memkern_naive_build(uint64_t *words, size_t npages, uint64_t seed);
/* Follow nloads indices from idx; returns where it stopped. */
size_t memkern_naive_run(const uint64_t *words, size_t idx, uint64_t nloads);

#endif
