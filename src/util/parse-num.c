/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict number and size parsers. */
#include "parse-num.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "banned.h"

static int parse_u64_base(const char *s, int base, uint64_t *ret)
{
	unsigned long long v;
	char *end = NULL;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || end == s || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_u64(const char *s, uint64_t *ret)
{
	return parse_u64_base(s, 10, ret);
}

int parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, &v);

	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int parse_i64(const char *s, int64_t *ret)
{
	long long v;
	char *end = NULL;
	const char *p = s;

	if (!s)
		return -EINVAL;
	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_int(const char *s, int *ret)
{
	int64_t v;
	int r = parse_i64(s, &v);

	if (r < 0)
		return r;
	if (v < INT_MIN || v > INT_MAX)
		return -ERANGE;
	*ret = (int)v;
	return 0;
}

int parse_u64_trim(const char *s, uint64_t *ret)
{
	char buf[64];
	size_t len;

	if (!s)
		return -EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return parse_u64(buf, ret);
}

int parse_double(const char *s, double *ret)
{
	char *end;
	double v;

	/* strtod would also take "nan", "inf", hex floats and leading blanks */
	if (!s || !*s || strspn(s, "0123456789+-.eE") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*ret = v;
	return 0;
}

int parse_octal(const char *s, uint32_t *ret)
{
	uint64_t v;
	const char *p;
	int r;

	if (!s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (*p < '0' || *p > '7')
			return -EINVAL;
	r = parse_u64_base(s, 8, &v);
	if (r < 0)
		return r;
	if (v > 07777)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t shift; /* relative to bytes */
} size_units[] = {
	{"", 0},     {"b", 0},	{"k", 10},  {"kb", 10},	 {"kib", 10}, {"m", 20},  {"mb", 20},
	{"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40},   {"tb", 40}, {"tib", 40},
};

int parse_size_kib(const char *s, uint64_t *ret_kib)
{
	char num[32];
	const char *p = s;
	uint64_t v, bytes_shift = 0;
	size_t n, i;
	int r, found = 0;

	if (!s)
		return -EINVAL;
	while (isdigit((unsigned char)*p))
		p++;
	n = (size_t)(p - s);
	if (n == 0 || n >= sizeof(num))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(num, s, n);
	num[n] = '\0';
	r = parse_u64(num, &v);
	if (r < 0)
		return r;
	for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
		if (strcasecmp(p, size_units[i].suffix) == 0) {
			bytes_shift = size_units[i].shift;
			found = 1;
			break;
		}
	}
	if (!found)
		return -EINVAL;
	if (bytes_shift < 10) {
		if (v % 1024)
			return -EINVAL;
		v /= 1024;
	} else {
		if (v > (SIZE_MAX_KIB >> (bytes_shift - 10)))
			return -ERANGE;
		v <<= bytes_shift - 10;
	}
	if (v > SIZE_MAX_KIB)
		return -ERANGE;
	*ret_kib = v;
	return 0;
}

const char *format_size_kib(uint64_t size_kib, char *buf, unsigned bufsz)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	unsigned u = 0;
	uint64_t div = 1, tenths;

	while (size_kib >= div * 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		div *= 1024;
		u++;
	}
	/* Round to one decimal; drop it when it is .0 or the number is large. */
	tenths = size_kib / div * 10 + ((size_kib % div) * 10 + div / 2) / div;
	if (tenths % 10 == 0 || tenths >= 1000)
		(void)snprintf(buf, bufsz, "%" PRIu64 " %s", (tenths + 5) / 10, units[u]);
	else
		(void)snprintf(buf, bufsz, "%" PRIu64 ".%" PRIu64 " %s", tenths / 10, tenths % 10,
			       units[u]);
	return buf;
}

const char *format_pagesize(uint64_t size_kib, char *buf, unsigned bufsz)
{
	if (size_kib >= 1048576 && size_kib % 1048576 == 0)
		(void)snprintf(buf, bufsz, "%" PRIu64 "G", size_kib / 1048576);
	else if (size_kib >= 1024 && size_kib % 1024 == 0)
		(void)snprintf(buf, bufsz, "%" PRIu64 "M", size_kib / 1024);
	else
		(void)snprintf(buf, bufsz, "%" PRIu64 "K", size_kib);
	return buf;
}
