/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text that came from outside (a CPU model name, a mount path, a sysfs
 * value, a domain name) made safe to print on a terminal: control
 * characters and backslashes escaped as C does, so a hostile file cannot
 * move the cursor, clear the screen or fake a line of output.
 */
#ifndef KVMTUNE_UTIL_ESCAPE_H
#define KVMTUNE_UTIL_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf;

/*
 * Append text to sb with \\, \n, \t, \r and other bytes < 0x20 or 0x7f
 * escaped (\xNN); at most max_bytes of text, then "...".
 */
void sbuf_add_escaped(struct sbuf *sb, const char *text, size_t max_bytes);
/* The same into a new string (caller frees). */
char *str_escape(const char *text, size_t max_bytes);
/* Whether text holds nothing that sbuf_add_escaped would change. */
bool str_is_printable(const char *text);

#endif
