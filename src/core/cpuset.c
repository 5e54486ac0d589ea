/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CPU/node bitmaps and the kernel's list and mask formats. */
#include "cpuset.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/diag.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

void cpuset_release(struct cpuset *s)
{
	free(s->bits);
	s->bits = NULL;
	s->nwords = 0;
}

void cpuset_clear(struct cpuset *s)
{
	if (s->nwords)
		memset(s->bits, 0, s->nwords * sizeof(uint64_t));
}

static void cpuset_reserve(struct cpuset *s, unsigned int n)
{
	size_t want = n / 64 + 1;

	if (want <= s->nwords)
		return;
	s->bits = xreallocarray(s->bits, want, sizeof(uint64_t));
	memset(s->bits + s->nwords, 0, (want - s->nwords) * sizeof(uint64_t));
	s->nwords = want;
}

void cpuset_set(struct cpuset *s, unsigned int n)
{
	cpuset_reserve(s, n);
	s->bits[n / 64] |= UINT64_C(1) << (n % 64);
}

void cpuset_unset(struct cpuset *s, unsigned int n)
{
	if (n / 64 < s->nwords)
		s->bits[n / 64] &= ~(UINT64_C(1) << (n % 64));
}

bool cpuset_isset(const struct cpuset *s, unsigned int n)
{
	return n / 64 < s->nwords && (s->bits[n / 64] >> (n % 64)) & 1;
}

unsigned int cpuset_count(const struct cpuset *s)
{
	unsigned int c = 0;
	size_t i;

	for (i = 0; i < s->nwords; i++)
		c += (unsigned int)__builtin_popcountll(s->bits[i]);
	return c;
}

bool cpuset_empty(const struct cpuset *s)
{
	return cpuset_count(s) == 0;
}

int cpuset_last(const struct cpuset *s)
{
	size_t i = s->nwords;

	while (i-- > 0)
		if (s->bits[i])
			return (int)(i * 64 + 63 - (size_t)__builtin_clzll(s->bits[i]));
	return -1;
}

int cpuset_next(const struct cpuset *s, int from)
{
	size_t w;
	uint64_t word;

	if (from < 0)
		from = 0;
	w = (size_t)from / 64;
	if (w >= s->nwords)
		return -1;
	word = s->bits[w] & (~UINT64_C(0) << (from % 64));
	for (;;) {
		if (word)
			return (int)(w * 64 + (size_t)__builtin_ctzll(word));
		if (++w >= s->nwords)
			return -1;
		word = s->bits[w];
	}
}

void cpuset_copy(struct cpuset *dst, const struct cpuset *src)
{
	if (dst == src)
		return;
	cpuset_release(dst);
	if (!src->nwords)
		return;
	dst->bits = xcalloc(src->nwords, sizeof(uint64_t));
	memcpy(dst->bits, src->bits, src->nwords * sizeof(uint64_t));
	dst->nwords = src->nwords;
}

void cpuset_or(struct cpuset *dst, const struct cpuset *src)
{
	size_t i;

	if (src->nwords)
		cpuset_reserve(dst, (unsigned int)(src->nwords * 64 - 1));
	for (i = 0; i < src->nwords; i++)
		dst->bits[i] |= src->bits[i];
}

void cpuset_and(struct cpuset *dst, const struct cpuset *src)
{
	size_t i;

	for (i = 0; i < dst->nwords; i++)
		dst->bits[i] &= i < src->nwords ? src->bits[i] : 0;
}

bool cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
	size_t i, n = a->nwords > b->nwords ? a->nwords : b->nwords;

	for (i = 0; i < n; i++) {
		uint64_t x = i < a->nwords ? a->bits[i] : 0;
		uint64_t y = i < b->nwords ? b->bits[i] : 0;

		if (x != y)
			return false;
	}
	return true;
}

bool cpuset_subset(const struct cpuset *a, const struct cpuset *b)
{
	size_t i;

	for (i = 0; i < a->nwords; i++) {
		uint64_t y = i < b->nwords ? b->bits[i] : 0;

		if (a->bits[i] & ~y)
			return false;
	}
	return true;
}

/* Read a decimal number at *p, advancing it; -1 when there is none or it is too big. */
static long read_num(const char **p)
{
	long v = 0;

	if (!isdigit((unsigned char)**p))
		return -1;
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		if (v > CPUSET_MAX)
			return -2;
		(*p)++;
	}
	return v;
}

static size_t trimmed_len(const char **text)
{
	const char *s = *text;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	*text = s;
	return len;
}

int cpuset_parse_list(const char *text, struct cpuset *ret, struct diag *d)
{
	struct cpuset s = CPUSET_INIT;
	const char *p = text;
	size_t len = trimmed_len(&p);
	AUTOFREE char *copy = NULL;
	const char *q;

	copy = xstrndup(p, len);
	q = copy;
	while (*q) {
		long a, b, stride = 1;

		a = read_num(&q);
		b = a;
		if (a >= 0 && *q == '-') {
			q++;
			b = read_num(&q);
			if (b >= 0 && *q == ':') {
				q++;
				stride = read_num(&q);
				if (stride == 0)
					stride = -1;
			}
		}
		if (a == -2 || b == -2 || stride == -2) {
			cpuset_release(&s);
			return diag_set(d, ERANGE, "cpulist", "'%s': number above %d", copy,
					CPUSET_MAX);
		}
		if (a < 0 || b < 0 || stride < 0 || b < a || (*q && *q != ',') ||
		    (*q == ',' && !q[1])) {
			cpuset_release(&s);
			return diag_set(d, EINVAL, "cpulist",
					"'%s': expected a list such as '0-3,8,10-11'", copy);
		}
		for (long i = a; i <= b; i += stride)
			cpuset_set(&s, (unsigned int)i);
		if (*q == ',')
			q++;
	}
	cpuset_release(ret);
	*ret = s;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cpuset_parse_mask(const char *text, struct cpuset *ret, struct diag *d)
{
	struct cpuset s = CPUSET_INIT;
	const char *p = text;
	size_t len = trimmed_len(&p), i;
	unsigned int bit = 0;
	int digits = 0;

	if (len == 0)
		return diag_set(d, EINVAL, "cpumask",
				"empty mask, expected hex words such as 'ff,00000001'");
	/* Walk from the least significant (rightmost) digit. */
	for (i = len; i-- > 0;) {
		int v;

		if (p[i] == ',') {
			if (digits != 8 && i + 1 < len) {
				cpuset_release(&s);
				return diag_set(
					d, EINVAL, "cpumask",
					"'%.*s': expected 32-bit hex words separated by ','",
					(int)len, p);
			}
			digits = 0;
			continue;
		}
		v = hexval(p[i]);
		if (v < 0) {
			cpuset_release(&s);
			return diag_set(d, EINVAL, "cpumask", "'%.*s': '%c' is not a hex digit",
					(int)len, p, p[i]);
		}
		for (int b = 0; b < 4; b++) {
			if (v & (1 << b)) {
				if (bit + (unsigned int)b > CPUSET_MAX) {
					cpuset_release(&s);
					return diag_set(d, ERANGE, "cpumask",
							"mask wider than %d bits", CPUSET_MAX + 1);
				}
				cpuset_set(&s, bit + (unsigned int)b);
			}
		}
		bit += 4;
		digits++;
	}
	if (p[0] == ',' || p[len - 1] == ',') {
		cpuset_release(&s);
		return diag_set(d, EINVAL, "cpumask", "'%.*s': stray ','", (int)len, p);
	}
	cpuset_release(ret);
	*ret = s;
	return 0;
}

void cpuset_format_list(const struct cpuset *s, struct sbuf *out)
{
	int i = cpuset_next(s, 0);
	bool first = true;

	while (i >= 0) {
		int j = i;

		while (cpuset_isset(s, (unsigned int)j + 1))
			j++;
		if (!first)
			sbuf_addc(out, ',');
		first = false;
		if (j == i)
			sbuf_addf(out, "%d", i);
		else
			sbuf_addf(out, "%d-%d", i, j);
		i = cpuset_next(s, j + 1);
	}
}

char *cpuset_to_list(const struct cpuset *s)
{
	struct sbuf sb = SBUF_INIT;

	cpuset_format_list(s, &sb);
	return sbuf_detach(&sb, NULL);
}
