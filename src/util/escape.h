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
 * escaped (\xNN), and C1 controls (U+0080..U+009F) and bytes that are not
 * UTF-8 as \xNN per byte; at most max_bytes of text, then "...".
 */
void sbuf_add_escaped(struct sbuf *sb, const char *text, size_t max_bytes);
/* The same into a new string (caller frees). */
char *str_escape(const char *text, size_t max_bytes);
/*
 * A message composed by kvmtune (which may quote escaped values) made safe
 * for a terminal as a whole: controls but \n and \t, C1 controls and bytes
 * that are not UTF-8 as \xNN; backslashes kept (caller frees).
 */
char *str_term_safe(const char *text);
/*
 * json-c's output made valid UTF-8 JSON without terminal controls: C1
 * controls and DEL as \u00XX, bytes that are not UTF-8 as \ufffd (json-c
 * passes bytes >= 0x7f through; they occur only inside strings). Caller frees.
 */
char *str_json_safe(const char *json);
/* Whether text holds nothing that sbuf_add_escaped would change. */
bool str_is_printable(const char *text);

#endif
