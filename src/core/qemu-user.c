/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's identity under libvirt (qemu.conf user/group) resolved through the
 * root's passwd and group files, and the access it gets to an inode.
 */
#include "core/qemu-user.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define QEMU_CONF "/etc/libvirt/qemu.conf"

static int read_opt(struct host *h, const char *path, char **ret, struct diag *d)
{
	int r = host_read(h, path, ret, NULL, d);

	if (r == -ENOENT) {
		diag_clear(d);
		*ret = NULL;
		return 0;
	}
	return r < 0 ? r : 1;
}

/* 'key = "value"' in qemu.conf (comments start with #). */
static void conf_value(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, klen) == 0) {
			p += klen;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '=') {
				const char *q;

				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				if (*p == '"') {
					p++;
					q = strchr(p, '"');
					if (q && (!nl || q < nl) && (size_t)(q - p) < size)
						(void)snprintf(out, size, "%.*s", (int)(q - p), p);
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* Field idx (0-based) of a colon-separated line into out. */
static bool field(const char *line, const char *end, int idx, char *out, size_t size)
{
	const char *p = line;

	for (int i = 0; i < idx; i++) {
		p = memchr(p, ':', (size_t)(end - p));
		if (!p)
			return false;
		p++;
	}
	const char *q = memchr(p, ':', (size_t)(end - p));

	if (!q)
		q = end;
	(void)snprintf(out, size, "%.*s", (int)(q - p), p);
	return true;
}

/* Find the line whose field key_idx equals key; copy field want_idx. */
static bool etc_lookup(const char *text, int key_idx, const char *key, int want_idx, char *out,
		       size_t size)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		char k[256];

		if (*line != '#' && field(line, end, key_idx, k, sizeof(k)) && strcmp(k, key) == 0)
			return field(line, end, want_idx, out, size);
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static int64_t id_of(const char *text, const char *name)
{
	char buf[32];
	uint32_t v;

	if (name[0] == '+')
		return parse_u32(name + 1, &v) == 0 ? (int64_t)v : -1;
	if (!text || !etc_lookup(text, 0, name, 2, buf, sizeof(buf)))
		return -1;
	return parse_u32(buf, &v) == 0 ? (int64_t)v : -1;
}

static void add_group(struct qemu_ident *q, int64_t gid)
{
	if (gid < 0 || qemu_ident_in_group(q, gid))
		return;
	q->groups = xreallocarray(q->groups, q->ngroups + 1, sizeof(*q->groups));
	q->groups[q->ngroups++] = gid;
}

/* Every group whose member list names user. */
static void add_member_groups(struct qemu_ident *q, const char *group_text)
{
	for (const char *line = group_text; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		char members[1024], gidbuf[32];
		uint32_t gid;

		if (field(line, end, 3, members, sizeof(members)) &&
		    field(line, end, 2, gidbuf, sizeof(gidbuf)) && parse_u32(gidbuf, &gid) == 0) {
			AUTOFREE char *padded = xasprintf(",%s,", members);
			AUTOFREE char *needle = xasprintf(",%s,", q->user);

			if (strstr(padded, needle))
				add_group(q, gid);
		}
		line = nl ? nl + 1 : NULL;
	}
}

int qemu_ident_load(struct host *h, struct qemu_ident *ret, struct diag *d)
{
	return qemu_ident_load_as(h, NULL, ret, d);
}

int qemu_ident_load_as(struct host *h, const char *user, struct qemu_ident *ret, struct diag *d)
{
	AUTOFREE char *conf = NULL;
	AUTOFREE char *passwd = NULL;
	AUTOFREE char *group = NULL;
	struct qemu_ident q = {0};
	int r;

	(void)snprintf(q.user, sizeof(q.user), "libvirt-qemu");
	(void)snprintf(q.group, sizeof(q.group), "kvm");
	(void)snprintf(q.source, sizeof(q.source), "debian default");
	r = user ? 0 : read_opt(h, QEMU_CONF, &conf, d);
	if (r < 0)
		return r;
	if (user) {
		(void)snprintf(q.user, sizeof(q.user), "%s", user);
		(void)snprintf(q.source, sizeof(q.source), "--user");
	} else if (conf) {
		conf_value(conf, "user", q.user, sizeof(q.user));
		conf_value(conf, "group", q.group, sizeof(q.group));
		(void)snprintf(q.source, sizeof(q.source), "%s", QEMU_CONF);
	}
	r = read_opt(h, "/etc/passwd", &passwd, d);
	if (r < 0)
		return r;
	r = read_opt(h, "/etc/group", &group, d);
	if (r < 0)
		return r;
	q.have_passwd = passwd != NULL;
	if (user && passwd) {
		/* The user's primary group, by name when /etc/group has it. */
		char gidbuf[32];
		uint32_t g;

		if (etc_lookup(passwd, 0, user, 3, gidbuf, sizeof(gidbuf)) &&
		    parse_u32(gidbuf, &g) == 0) {
			if (!group || !etc_lookup(group, 2, gidbuf, 0, q.group, sizeof(q.group)))
				(void)snprintf(q.group, sizeof(q.group), "+%u", g);
		}
	}
	q.uid = id_of(passwd, q.user);
	q.gid = id_of(group, q.group);
	add_group(&q, q.gid);
	if (passwd && q.user[0] != '+') {
		char buf[32];
		uint32_t v;

		if (etc_lookup(passwd, 0, q.user, 3, buf, sizeof(buf)) && parse_u32(buf, &v) == 0)
			add_group(&q, v);
	}
	if (group)
		add_member_groups(&q, group);
	*ret = q;
	return 0;
}

void qemu_ident_release(struct qemu_ident *q)
{
	free(q->groups);
	q->groups = NULL;
	q->ngroups = 0;
}

bool qemu_ident_in_group(const struct qemu_ident *q, int64_t gid)
{
	for (size_t i = 0; i < q->ngroups; i++)
		if (q->groups[i] == gid)
			return true;
	return false;
}

int qemu_ident_access(const struct qemu_ident *q, uint32_t mode, int64_t uid, int64_t gid)
{
	if (q->uid < 0)
		return -1;
	if (q->uid == 0)
		return 7;
	if (q->uid == uid)
		return (int)((mode >> 6) & 7);
	if (qemu_ident_in_group(q, gid))
		return (int)((mode >> 3) & 7);
	return (int)(mode & 7);
}

static const char *etc_name(struct host *h, const char *file, int64_t id, char *buf, size_t size)
{
	AUTOFREE char *text = NULL;
	char idbuf[32];

	(void)snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	if (host_read(h, file, &text, NULL, NULL) < 0 || !etc_lookup(text, 2, idbuf, 0, buf, size))
		(void)snprintf(buf, size, "%s", idbuf);
	return buf;
}

const char *etc_group_name(struct host *h, int64_t gid, char *buf, size_t size)
{
	return etc_name(h, "/etc/group", gid, buf, size);
}

const char *etc_user_name(struct host *h, int64_t uid, char *buf, size_t size)
{
	return etc_name(h, "/etc/passwd", uid, buf, size);
}
