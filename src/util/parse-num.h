/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict number and size parsers.  They reject empty input, trailing junk,
 * overflow and signs on unsigned values, and return -EINVAL or -ERANGE.
 * Outputs (ret_*) are untouched on failure.
 */
#ifndef KVMTUNE_UTIL_PARSE_NUM_H
#define KVMTUNE_UTIL_PARSE_NUM_H

#include <stdint.h>

/*
 * The largest memory size (in KiB) and page count kvmtune accepts from
 * anywhere, argv or host files alike: 2^52 KiB = 4 EiB, far beyond any
 * machine (x86-64 with 5-level paging addresses 4 PiB).  Numbers past it
 * are refused with -ERANGE ("too large") where they enter, so that sums of
 * a few such values cannot overflow int64_t; sums of unbounded many use
 * util/safe-math.h.
 */
#define SIZE_MAX_KIB (1ULL << 52)
#define COUNT_MAX (1ULL << 52)

/* Decimal unsigned integer; leading/trailing white space is not allowed. */
int parse_u64(const char *s, uint64_t *ret);
int parse_u32(const char *s, uint32_t *ret);
/* Decimal signed integer. */
int parse_i64(const char *s, int64_t *ret);
int parse_int(const char *s, int *ret);
/* Like parse_u64 but ignores one trailing newline and surrounding blanks (sysfs files). */
int parse_u64_trim(const char *s, uint64_t *ret);
/*
 * A decimal floating-point number ("345.2", "1e3", "-0.5"): no blanks,
 * no "nan"/"inf", no hex.  -ERANGE on overflow.
 */
int parse_double(const char *s, double *ret);
/* Octal unsigned (mode strings such as "1770" or "01770"). */
int parse_octal(const char *s, uint32_t *ret);
/*
 * A memory size with an optional unit: plain bytes, or k/K/kB/KiB, M/MB/MiB,
 * G/GB/GiB, T/TB/TiB (all binary multiples, as the kernel and QEMU use
 * them).  Result in KiB; sizes that are not a whole number of KiB are
 * refused with -EINVAL, sizes above SIZE_MAX_KIB with -ERANGE.
 */
int parse_size_kib(const char *s, uint64_t *ret_kib);
/*
 * Format size_kib in human units ("2 MiB", "1 GiB", "1.5 GiB", "512 KiB")
 * into buf.  Returns buf.
 */
const char *format_size_kib(uint64_t size_kib, char *buf, unsigned bufsz);
/* Short page-size form: 2048 -> "2M", 1048576 -> "1G", 64 -> "64K". */
const char *format_pagesize(uint64_t size_kib, char *buf, unsigned bufsz);

#endif
