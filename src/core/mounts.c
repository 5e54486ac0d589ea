/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/mounts and hugetlbfs mount options. */
#include "mounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Decode the kernel's \ooo escapes (space, tab, newline, backslash). */
static char *unescape(const char *s, size_t len)
{
	char *out = xmalloc(len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len + 1 && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 +
				      (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

void mount_entry_release(struct mount_entry *e)
{
	free(e->source);
	free(e->path);
	free(e->fstype);
	free(e->options);
	memset(e, 0, sizeof(*e));
}

int mount_entry_parse(const char *line, struct mount_entry *ret, struct diag *d)
{
	const char *f[4];
	size_t flen[4];
	const char *p = line;
	int n;

	for (n = 0; n < 4; n++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			break;
		f[n] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		flen[n] = (size_t)(p - f[n]);
	}
	if (n < 4) {
		(void)diag_set(d, EINVAL, "mounts",
			       "'%.120s': expected 'source path fstype options ...'", line);
		return -EINVAL;
	}
	ret->source = unescape(f[0], flen[0]);
	ret->path = unescape(f[1], flen[1]);
	ret->fstype = xstrndup(f[2], flen[2]);
	ret->options = xstrndup(f[3], flen[3]);
	return 0;
}

void hugetlbfs_mount_release(struct hugetlbfs_mount *m)
{
	free(m->path);
	m->path = NULL;
}

static int parse_id(const char *v, int64_t *ret)
{
	uint32_t id;
	int r = parse_u32(v, &id);

	if (r < 0)
		return r;
	*ret = id;
	return 0;
}

int hugetlbfs_options_parse(const char *options, uint64_t default_pagesize_kib,
			    struct hugetlbfs_mount *ret, struct diag *d)
{
	AUTOFREE char *copy = xstrdup(options);
	struct hugetlbfs_mount m = {0};
	char *opt = copy;

	m.pagesize_kib = default_pagesize_kib;
	m.mode = 0755;
	(void)snprintf(m.mode_text, sizeof(m.mode_text), "755");
	m.size_limit_kib = -1;
	while (opt) {
		char *comma = strchr(opt, ',');
		char *eq;
		int r = 0;

		if (comma)
			*comma = '\0';
		eq = strchr(opt, '=');
		if (eq) {
			*eq = '\0';
			if (strcmp(opt, "pagesize") == 0) {
				r = parse_size_kib(eq + 1, &m.pagesize_kib);
			} else if (strcmp(opt, "mode") == 0) {
				r = parse_octal(eq + 1, &m.mode);
				if (r == 0)
					(void)snprintf(m.mode_text, sizeof(m.mode_text), "%o",
						       m.mode);
			} else if (strcmp(opt, "uid") == 0) {
				r = parse_id(eq + 1, &m.uid);
			} else if (strcmp(opt, "gid") == 0) {
				r = parse_id(eq + 1, &m.gid);
			} else if (strcmp(opt, "size") == 0) {
				uint64_t v;

				if (parse_size_kib(eq + 1, &v) == 0)
					m.size_limit_kib = (int64_t)v;
			}
			if (r < 0)
				return diag_set(d, EINVAL, "mounts",
						"hugetlbfs option %s='%s' is malformed", opt,
						eq + 1);
		}
		opt = comma ? comma + 1 : NULL;
	}
	*ret = m;
	return 0;
}

static int free_mounts(struct hugetlbfs_mount *list, size_t n, int r)
{
	for (size_t i = 0; i < n; i++)
		hugetlbfs_mount_release(&list[i]);
	free(list);
	return r;
}

int mounts_parse_hugetlbfs(const char *text, uint64_t default_pagesize_kib,
			   struct hugetlbfs_mount **ret, size_t *ret_count, struct diag *d)
{
	struct hugetlbfs_mount *list = NULL;
	size_t n = 0;
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		AUTOFREE char *one = xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
		struct mount_entry e = {0};
		struct hugetlbfs_mount m;
		int r;

		line = nl ? nl + 1 : NULL;
		if (!*one)
			continue;
		r = mount_entry_parse(one, &e, d);
		if (r < 0)
			return free_mounts(list, n, r);
		if (strcmp(e.fstype, "hugetlbfs") != 0) {
			mount_entry_release(&e);
			continue;
		}
		r = hugetlbfs_options_parse(e.options, default_pagesize_kib, &m, d);
		if (r < 0) {
			diag_prefix(d, "mount '%s': ", e.path);
			mount_entry_release(&e);
			return free_mounts(list, n, r);
		}
		m.path = STEAL_PTR(e.path);
		mount_entry_release(&e);
		list = xreallocarray(list, n + 1, sizeof(*list));
		list[n++] = m;
	}
	*ret = list;
	*ret_count = n;
	return 0;
}

unsigned mounts_mode_as_decimal(unsigned meant)
{
	char digits[16];
	uint32_t v = 0;

	(void)snprintf(digits, sizeof(digits), "%o", meant);
	(void)parse_u32(digits, &v);
	return v;
}

unsigned mounts_mode_typo(unsigned shown)
{
	/* Directory modes people write for a hugetlbfs mount, as octal. */
	static const unsigned meant[] = {01770, 0770, 01777, 0777, 0775, 0755, 0750, 0700};

	for (size_t i = 0; i < sizeof(meant) / sizeof(meant[0]); i++)
		if ((mounts_mode_as_decimal(meant[i]) & 01777u) == shown && shown != meant[i])
			return meant[i];
	return 0;
}

void mounts_mode_typo_facts(unsigned shown, unsigned meant, char *buf, size_t n)
{
	unsigned dec = mounts_mode_as_decimal(meant);

	(void)snprintf(buf, n,
		       "a hugetlbfs mount given mode=%o shows %o (the kernel keeps the 01777 "
		       "bits), and %o is %o read as a decimal number: the mode %o was taken as "
		       "decimal on its way to the mount; the Debian hugepages guide saw %o after "
		       "writing Options=mode=%o, without the leading 0, in a systemd override, "
		       "while the kernel itself reads mode=%o as octal",
		       dec, shown, dec, meant, meant, shown, meant, meant);
}
