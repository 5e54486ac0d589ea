/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Configuration-file plans: read old contents, write atomically, roll back. */
#include "file-plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

void file_plan_add(struct file_plan *p, const char *path, const char *content, mode_t mode,
		   const char *reason)
{
	struct file_change *c;

	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	c = &p->v[p->n++];
	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	c->new_content = xstrdup(content);
	c->mode = mode;
	(void)snprintf(c->reason, sizeof(c->reason), "%s", reason);
}

bool file_change_needed(const struct file_change *c)
{
	return !c->old_content || strcmp(c->old_content, c->new_content) != 0;
}

int file_plan_load_old(struct host *h, struct file_plan *p, struct diag *d)
{
	for (size_t i = 0; i < p->n; i++) {
		char *text = NULL;
		int r = host_read(h, p->v[i].path, &text, NULL, d);

		if (r == -ENOENT) {
			diag_clear(d);
			continue;
		}
		if (r < 0)
			return r;
		free(p->v[i].old_content);
		p->v[i].old_content = text;
	}
	return 0;
}

/* The directory part of path ("/etc/sysctl.d/x.conf" -> "/etc/sysctl.d"). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash != path ? xstrndup(path, (size_t)(slash - path)) : xstrdup("/");
}

/* Restore entries [0, end) that were written, newest first. */
static void restore_written(struct host *h, struct file_plan *p, size_t end)
{
	for (size_t i = end; i-- > 0;) {
		struct file_change *c = &p->v[i];

		if (!c->written)
			continue;
		if (c->old_content)
			(void)host_write_file_atomic(h, c->path, c->old_content, c->mode, NULL);
		else
			(void)host_unlink(h, c->path, NULL);
		c->written = false;
	}
}

int file_plan_apply(struct host *h, struct file_plan *p, struct diag *d)
{
	size_t i;
	int r = 0;

	for (i = 0; i < p->n; i++) {
		struct file_change *c = &p->v[i];
		AUTOFREE char *dir = NULL;

		if (!file_change_needed(c))
			continue;
		dir = dir_of(c->path);
		r = host_mkdir_p(h, dir, 0755, d);
		if (r >= 0)
			r = host_write_file_atomic(h, c->path, c->new_content, c->mode, d);
		if (r < 0)
			goto rollback;
		c->written = true;
	}
	return 0;

rollback:
	restore_written(h, p, i);
	return r;
}

void file_plan_rollback(struct host *h, struct file_plan *p)
{
	restore_written(h, p, p->n);
}

void file_plan_release(struct file_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].old_content);
		free(p->v[i].new_content);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}
