/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/meminfo and per-node meminfo parser. */
#include "meminfo.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

void meminfo_release(struct meminfo *m)
{
	free(m->entries);
	free(m->text);
	m->text = NULL;
	m->entries = NULL;
	m->count = 0;
	m->node = -1;
}

bool meminfo_get(const struct meminfo *m, const char *key, uint64_t *ret)
{
	for (size_t i = 0; i < m->count; i++) {
		if (strcmp(m->entries[i].key, key) == 0) {
			*ret = m->entries[i].value;
			return true;
		}
	}
	return false;
}

/* Split "  123 kB" into value and unit; returns -EINVAL on junk. */
static int parse_value(char *s, uint64_t *ret, bool *ret_kib)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s;
	while (isdigit((unsigned char)*end))
		end++;
	if (end == s)
		return -EINVAL;
	if (*end) {
		char *unit = end;

		*unit++ = '\0';
		while (*unit == ' ' || *unit == '\t')
			unit++;
		if (strcmp(unit, "kB") != 0)
			return -EINVAL;
		*ret_kib = true;
	} else {
		*ret_kib = false;
	}
	return parse_u64(s, ret);
}

static int parse_line(char *line, int *node, struct meminfo_entry *ret)
{
	char *colon, *key = line, *end;
	uint64_t v;
	bool kib;
	int this_node = -1;

	if (strncmp(line, "Node ", 5) == 0) {
		char *p = line + 5;
		uint64_t n;
		char save;

		end = p;
		while (isdigit((unsigned char)*end))
			end++;
		if (end == p || *end != ' ')
			return -EINVAL;
		save = *end;
		*end = '\0';
		if (parse_u64(p, &n) < 0 || n > 65535)
			return -EINVAL;
		*end = save;
		this_node = (int)n;
		key = end + 1;
		while (*key == ' ')
			key++;
	}
	colon = strchr(key, ':');
	if (!colon || colon == key)
		return -EINVAL;
	*colon = '\0';
	for (char *p = key; *p; p++)
		if (isspace((unsigned char)*p))
			return -EINVAL;
	end = colon + 1 + strlen(colon + 1);
	while (end > colon + 1 && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (parse_value(colon + 1, &v, &kib) < 0)
		return -EINVAL;
	if (v > SIZE_MAX_KIB)
		return -ERANGE;
	if (*node == -2)
		*node = this_node;
	else if (*node != this_node)
		return -EINVAL;
	ret->key = key;
	ret->value = v;
	ret->kib = kib;
	return 0;
}

int meminfo_parse(const char *text, struct meminfo *ret, struct diag *d)
{
	struct meminfo m = MEMINFO_INIT;
	char *line;
	int node = -2;
	unsigned lineno = 0;
	size_t lines = 1;

	/* one allocation for the entries: growing them line by line scattered a
	 * dozen heap pages, and a page fault is what a short run pays most for */
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	m.entries = xcalloc(lines, sizeof(*m.entries));
	m.text = line = xstrdup(text);

	while (line && *line) {
		char *nl = strchr(line, '\n');
		char orig[128];

		if (nl)
			*nl = '\0';
		lineno++;
		if (*line) {
			struct meminfo_entry e;

			(void)snprintf(orig, sizeof(orig), "%s", line);
			int r = parse_line(line, &node, &e);

			if (r == -ERANGE) {
				meminfo_release(&m);
				return diag_set(d, ERANGE, "meminfo",
						"line %u '%s': the number is too large (over "
						"2^52)",
						lineno, orig);
			}
			if (r < 0) {
				meminfo_release(&m);
				return diag_set(d, EINVAL, "meminfo",
						"line %u '%s': expected 'Key: <number> [kB]'",
						lineno, orig);
			}
			m.entries[m.count++] = e;
		}
		line = nl ? nl + 1 : NULL;
	}
	m.node = node == -2 ? -1 : node;
	meminfo_release(ret);
	*ret = m;
	return 0;
}
