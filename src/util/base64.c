/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Base64 encode and strict decode (RFC 4648 section 4). */
#include "base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#include "banned.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	size_t groups = len / 3 + (len % 3 != 0);
	char *out, *p;

	/* groups + 1 quads: room for the NUL; xreallocarray refuses an overflow */
	out = xreallocarray(NULL, groups + 1, 4);
	p = out;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		p[0] = '=';
		p[1] = '=';
		if (left > 1)
			p[0] = alphabet[(v >> 6) & 63];
		if (left > 2)
			p[1] = alphabet[v & 63];
		p += 2;
	}
	*p = '\0';
	return out;
}

/* The 6-bit value of c, or -1. */
static int sextet(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

int base64_decode(const char *text, char **ret, size_t *ret_len)
{
	size_t n = strlen(text), pad = 0, len = 0;
	char *out;

	if (n % 4)
		return -EINVAL;
	if (n && text[n - 1] == '=')
		pad = n >= 2 && text[n - 2] == '=' ? 2 : 1;
	out = xmalloc(n / 4 * 3 + 1);
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int s = sextet(text[i + j]);

			if (s < 0 && !(last && text[i + j] == '=' && j >= 4 - pad)) {
				free(out);
				return -EINVAL;
			}
			v = v << 6 | (uint32_t)(s < 0 ? 0 : s);
		}
		/* bits under the padding must be zero (one encoding per input) */
		if (last && ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))) {
			free(out);
			return -EINVAL;
		}
		out[len++] = (char)(v >> 16);
		if (!last || pad < 2)
			out[len++] = (char)(v >> 8 & 0xff);
		if (!last || pad < 1)
			out[len++] = (char)(v & 0xff);
	}
	out[len] = '\0';
	*ret = out;
	*ret_len = len;
	return 0;
}
