/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Escaping outside text for the terminal; see escape.h. */
#include "escape.h"

#include <stdio.h>

#include "util/sbuf.h"

#include "util/banned.h"

static bool needs_escape(unsigned char ch)
{
	return ch == '\\' || ch < 0x20 || ch == 0x7f;
}

void sbuf_add_escaped(struct sbuf *sb, const char *text, size_t max_bytes)
{
	size_t i;

	for (i = 0; text[i] && i < max_bytes; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (!needs_escape(ch))
			sbuf_addc(sb, (char)ch);
		else if (ch == '\\')
			sbuf_adds(sb, "\\\\");
		else if (ch == '\n')
			sbuf_adds(sb, "\\n");
		else if (ch == '\t')
			sbuf_adds(sb, "\\t");
		else if (ch == '\r')
			sbuf_adds(sb, "\\r");
		else
			sbuf_addf(sb, "\\x%02x", ch);
	}
	if (text[i])
		sbuf_adds(sb, "...");
}

char *str_escape(const char *text, size_t max_bytes)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_add_escaped(&sb, text, max_bytes);
	return sbuf_detach(&sb, NULL);
}

bool str_is_printable(const char *text)
{
	for (; *text; text++)
		if (needs_escape((unsigned char)*text))
			return false;
	return true;
}
