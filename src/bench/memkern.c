/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The measuring kernels of 'kvmtune bench memory'.  Built with -O2 and
 * without sanitizer instrumentation (src/meson.build, and the attributes
 * below for other builds): a shadow-memory check on every load would be
 * measured with it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/memkern.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define KERNEL __attribute__((noinline, no_sanitize("address", "undefined")))

/* splitmix64: a well-mixed 64-bit sequence from a seed. */
static uint64_t mix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Address of slot i: its stride, and a cache line inside it chosen from i and the seed. */
static char *slot_addr(char *base, size_t i, size_t stride_bytes, uint64_t seed)
{
	uint64_t st = seed ^ ((uint64_t)i * 0xd1b54a32d192ed03ULL);
	size_t lines = stride_bytes / MEMKERN_LINE_BYTES;

	return base + i * stride_bytes + (size_t)(mix64(&st) % lines) * MEMKERN_LINE_BYTES;
}

KERNEL int memkern_chase_build(void *buf, size_t size_bytes, size_t stride_bytes, uint64_t seed,
			       void **ret_start)
{
	char *base = buf;
	uint32_t *next;
	size_t n;
	uint64_t rng = seed;

	if (stride_bytes < MEMKERN_LINE_BYTES || stride_bytes % MEMKERN_LINE_BYTES)
		return -EINVAL;
	n = size_bytes / stride_bytes;
	if (n < 2 || n > UINT32_MAX)
		return -EINVAL;
	next = xreallocarray(NULL, n, sizeof(*next));
	for (size_t i = 0; i < n; i++)
		next[i] = (uint32_t)i;
	/* Sattolo: swapping only with a lower index makes i -> next[i] one n-cycle. */
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(mix64(&rng) % i);
		uint32_t t = next[i];

		next[i] = next[j];
		next[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		*(void **)slot_addr(base, i, stride_bytes, seed) =
			slot_addr(base, next[i], stride_bytes, seed);
	free(next);
	*ret_start = slot_addr(base, 0, stride_bytes, seed);
	return (int)(n > INT32_MAX ? INT32_MAX : n);
}

#define STEP1 p = (void **)*p;
#define STEP4 STEP1 STEP1 STEP1 STEP1
#define STEP16 STEP4 STEP4 STEP4 STEP4

KERNEL void *memkern_chase_run(void *start, uint64_t nloads)
{
	void **p = start;

	for (uint64_t i = nloads / 16; i; i--) {
		STEP16
	}
	return p;
}

KERNEL uint64_t memkern_read(const void *buf, size_t size_bytes)
{
	const uint64_t *w = buf;
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;

	for (size_t i = 0; i + 8 <= size_bytes / 8; i += 8) {
		s0 += w[i] + w[i + 4];
		s1 += w[i + 1] + w[i + 5];
		s2 += w[i + 2] + w[i + 6];
		s3 += w[i + 3] + w[i + 7];
	}
	return s0 + s1 + s2 + s3;
}

#define NAIVE_WORDS_PER_PAGE (4096 / sizeof(uint64_t))

KERNEL size_t memkern_naive_build(uint64_t *words, size_t npages, uint64_t seed)
{
	size_t *order = xreallocarray(NULL, npages ? npages : 1, sizeof(*order));
	uint64_t rng = seed;
	size_t first;

	/* fill the buffer first, in address order, as a program would: first touches in
	 * random order cost far more on some hosts (measured: 44 us a page on a VM) */
	for (size_t i = 0; i < npages; i++) {
		words[i * NAIVE_WORDS_PER_PAGE] = 0;
		order[i] = i;
	}
	for (size_t i = npages; i > 1; i--) {
		size_t j = (size_t)(mix64(&rng) % i), t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (size_t k = 0; k < npages; k++)
		words[order[k] * NAIVE_WORDS_PER_PAGE] =
			order[(k + 1) % npages] * NAIVE_WORDS_PER_PAGE;
	first = npages ? order[0] * NAIVE_WORDS_PER_PAGE : 0;
	free(order);
	return first;
}

KERNEL size_t memkern_naive_run(const uint64_t *words, size_t idx, uint64_t nloads)
{
	for (uint64_t i = 0; i < nloads; i++)
		idx = (size_t)words[idx];
	return idx;
}
