/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Escaping outside text for the terminal and for JSON; see escape.h. */
#include "escape.h"

#include <stdint.h>
#include <stdio.h>

#include "util/sbuf.h"

#include "util/banned.h"

enum escape_mode {
	ESCAPE_C,    /* \\, \n, \t, \r and every other control as \xNN */
	ESCAPE_TERM, /* backslash, \n and \t kept, other controls as \xNN */
	ESCAPE_JSON, /* inside json-c's output: C1 and DEL as \u00XX, bad bytes as \ufffd */
};

/*
 * Length (2-4) of the well-formed UTF-8 sequence starting with a byte >= 0x80
 * at s, with its code point in *ret_cp; 0 when the bytes are not UTF-8
 * (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF,
 * a sequence cut short).
 */
static size_t utf8_sequence(const unsigned char *s, uint32_t *ret_cp)
{
	static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len;
	uint32_t cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/* Append one ASCII byte (< 0x80) as the mode wants it. */
static void add_ascii(struct sbuf *sb, unsigned char ch, enum escape_mode mode)
{
	bool control = ch < 0x20 || ch == 0x7f;

	if (mode == ESCAPE_JSON && ch == 0x7f)
		sbuf_adds(sb, "\\u007f");
	else if (mode == ESCAPE_C && ch == '\\')
		sbuf_adds(sb, "\\\\");
	else if (!control || mode == ESCAPE_JSON ||
		 (mode == ESCAPE_TERM && (ch == '\n' || ch == '\t')))
		sbuf_addc(sb, (char)ch);
	else if (ch == '\n')
		sbuf_adds(sb, "\\n");
	else if (ch == '\t')
		sbuf_adds(sb, "\\t");
	else if (ch == '\r')
		sbuf_adds(sb, "\\r");
	else
		sbuf_addf(sb, "\\x%02x", ch);
}

/* Append text (at most max_bytes of it) escaped as mode says; see escape.h. */
static void add_escaped(struct sbuf *sb, const char *text, size_t max_bytes, enum escape_mode mode)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (s[i] && i < max_bytes) {
		uint32_t cp = 0;
		size_t len;

		if (s[i] < 0x80) {
			add_ascii(sb, s[i++], mode);
			continue;
		}
		len = utf8_sequence(s + i, &cp);
		if (len && cp > 0x9f) {
			sbuf_add(sb, s + i, len); /* printable UTF-8 */
		} else if (mode == ESCAPE_JSON) {
			if (len)
				sbuf_addf(sb, "\\u%04x", (unsigned)cp); /* a C1 control */
			else
				sbuf_adds(sb, "\\ufffd");
		} else {
			for (size_t k = 0; k < (len ? len : 1); k++)
				sbuf_addf(sb, "\\x%02x", s[i + k]);
		}
		i += len ? len : 1;
	}
	if (s[i] && mode != ESCAPE_JSON)
		sbuf_adds(sb, "...");
}

void sbuf_add_escaped(struct sbuf *sb, const char *text, size_t max_bytes)
{
	add_escaped(sb, text, max_bytes, ESCAPE_C);
}

char *str_escape(const char *text, size_t max_bytes)
{
	struct sbuf sb = SBUF_INIT;

	add_escaped(&sb, text, max_bytes, ESCAPE_C);
	return sbuf_detach(&sb, NULL);
}

char *str_term_safe(const char *text)
{
	struct sbuf sb = SBUF_INIT;

	add_escaped(&sb, text, SIZE_MAX, ESCAPE_TERM);
	return sbuf_detach(&sb, NULL);
}

char *str_json_safe(const char *json)
{
	struct sbuf sb = SBUF_INIT;

	add_escaped(&sb, json, SIZE_MAX, ESCAPE_JSON);
	return sbuf_detach(&sb, NULL);
}

bool str_is_printable(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;

	while (*s) {
		uint32_t cp = 0;
		size_t len = *s < 0x80 ? 1 : utf8_sequence(s, &cp);

		if ((*s < 0x80 && (*s == '\\' || *s < 0x20 || *s == 0x7f)) ||
		    (*s >= 0x80 && (!len || cp <= 0x9f)))
			return false;
		s += len;
	}
	return true;
}
