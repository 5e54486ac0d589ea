/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Overflow-checked arithmetic on sizes and counts.  Every product or sum of
 * numbers that came from outside (a --size, a pool count from sysfs, a
 * domain's <memory>, a spec) goes through these: they return false instead
 * of wrapping, and leave *ret untouched then.
 */
#ifndef KVMTUNE_UTIL_SAFE_MATH_H
#define KVMTUNE_UTIL_SAFE_MATH_H

#include <stdbool.h>
#include <stdint.h>

static inline bool safe_mul_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	uint64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}

static inline bool safe_add_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	uint64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}

/* a - b, false when b > a. */
static inline bool safe_sub_u64(uint64_t a, uint64_t b, uint64_t *ret)
{
	if (b > a)
		return false;
	*ret = a - b;
	return true;
}

static inline bool safe_mul_i64(int64_t a, int64_t b, int64_t *ret)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}

static inline bool safe_add_i64(int64_t a, int64_t b, int64_t *ret)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return false;
	*ret = r;
	return true;
}

/*
 * Saturating forms, for totals that are only shown or compared (memory per
 * node summed over a hostile numa_maps, free pages over many nodes): they
 * stick at UINT64_MAX instead of wrapping to a small, wrong number.
 */
static inline uint64_t sat_add_u64(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t sat_mul_u64(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Round a up to a multiple of align (> 0); false on overflow. */
static inline bool safe_round_up_u64(uint64_t a, uint64_t align, uint64_t *ret)
{
	uint64_t rem = a % align;

	if (rem == 0) {
		*ret = a;
		return true;
	}
	return safe_add_u64(a, align - rem, ret);
}

#endif
