/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct cpuset: a growable bitmap of CPU or node numbers, and the only codec
 * for the kernel's list ("0-3,8,10-11") and mask ("0000ff00,000000ff")
 * formats.  Used for CPUs and for nodesets alike.
 */
#ifndef KVMTUNE_CORE_CPUSET_H
#define KVMTUNE_CORE_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct sbuf;

struct cpuset {
	uint64_t *bits;
	size_t nwords;
};

#define CPUSET_INIT     \
	{               \
		NULL, 0 \
	}
/* Largest number accepted in a list or mask: guards against "0-4000000000". */
#define CPUSET_MAX 65535

void cpuset_release(struct cpuset *s);
void cpuset_clear(struct cpuset *s);
void cpuset_set(struct cpuset *s, unsigned int n);
void cpuset_unset(struct cpuset *s, unsigned int n);
bool cpuset_isset(const struct cpuset *s, unsigned int n);
unsigned int cpuset_count(const struct cpuset *s);
bool cpuset_empty(const struct cpuset *s);
/* Highest member, or -1 when empty. */
int cpuset_last(const struct cpuset *s);
/* Next member >= from, or -1. */
int cpuset_next(const struct cpuset *s, int from);
void cpuset_copy(struct cpuset *dst, const struct cpuset *src);
void cpuset_or(struct cpuset *dst, const struct cpuset *src);
void cpuset_and(struct cpuset *dst, const struct cpuset *src);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);
/* True when every member of a is in b. */
bool cpuset_subset(const struct cpuset *a, const struct cpuset *b);

#define cpuset_foreach(i, s) \
	for ((i) = cpuset_next((s), 0); (i) >= 0; (i) = cpuset_next((s), (i) + 1))

/*
 * Parse a list such as "0-3,8,10-11" (white space at either end and one
 * trailing newline allowed; "" is the empty set; "0-7:2" strides as the
 * kernel accepts them).  On failure returns -EINVAL or -ERANGE, fills d, and
 * leaves ret untouched.  ret must be initialised; it is replaced.
 */
int cpuset_parse_list(const char *text, struct cpuset *ret, struct diag *d);
/*
 * Parse a kernel mask such as "ff,00000001" (comma-separated 32-bit hex
 * words, most significant first; optional "0x" is not accepted).
 */
int cpuset_parse_mask(const char *text, struct cpuset *ret, struct diag *d);
/* Append the list form ("0-3,8") to out; empty set appends nothing. */
void cpuset_format_list(const struct cpuset *s, struct sbuf *out);
/* Newly allocated list form. */
char *cpuset_to_list(const struct cpuset *s);

#endif
