/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel-value plans: write in order, read back, roll everything back on failure. */
#include "knob-plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/knobs.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

void knob_plan_add(struct knob_plan *p, const char *name, const char *path, const char *old,
		   const char *new_value, enum knob_match match, const char *reason)
{
	struct knob_change *c;

	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	c = &p->v[p->n++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->path = xstrdup(path);
	c->old = xstrdup(old ? old : "");
	c->new = xstrdup(new_value);
	c->reason = xstrdup(reason ? reason : "");
	c->match = match;
	c->status = KC_PLANNED;
}

size_t knob_plan_count_changes(const struct knob_plan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += strcmp(p->v[i].old, p->v[i].new) != 0;
	return n;
}

void knob_plan_release(struct knob_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct knob_change *c = &p->v[i];

		free(c->name);
		free(c->path);
		free(c->old);
		free(c->new);
		free(c->reason);
		free(c->before);
		free(c->got);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

const char *knob_change_status_name(enum knob_change_status s)
{
	static const char *const names[] = {
		[KC_PLANNED] = "planned",	  [KC_UNCHANGED] = "unchanged",
		[KC_WRITTEN] = "written",	  [KC_FAILED] = "failed",
		[KC_ROLLED_BACK] = "rolled-back", [KC_ROLLBACK_FAILED] = "rollback-failed",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* Trim blanks at both ends, in place; returns the start. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int knob_value_read(struct host *h, const char *path, enum knob_match match, char **ret,
		    struct diag *d)
{
	AUTOFREE char *buf = NULL;
	char word[64], choices[256];
	char *t;
	int r;

	r = host_read(h, path, &buf, NULL, d);
	if (r < 0)
		return r;
	t = trim(buf);
	if (match == KNOB_MATCH_BRACKET && strchr(t, '[')) {
		r = knob_parse_bracket(t, word, sizeof(word), choices, sizeof(choices), d);
		if (r < 0) {
			diag_prefix(d, "'%s': ", path);
			return r;
		}
		*ret = xstrdup(word);
		return 0;
	}
	*ret = xstrdup(t);
	return 0;
}

/* Write value to path and read it back into *ret_got (replaced). */
static int write_and_check(struct host *h, const char *path, const char *value,
			   enum knob_match match, char **ret_got, struct diag *d)
{
	struct diag rd = {0};
	char *got = NULL;
	int r, rr;

	r = host_write(h, path, value, d);
	rr = knob_value_read(h, path, match, &got, r < 0 ? &rd : d);
	if (rr < 0 || !got)
		return r < 0 ? r : rr < 0 ? rr : -EIO;
	free(*ret_got);
	*ret_got = got;
	if (strcmp(got, value) == 0) {
		if (r < 0)
			diag_clear(d); /* the write "failed", the value is there: done */
		return 0;
	}
	if (r < 0)
		return r;
	return diag_set(d, EIO, path, "'%s': wrote '%s', reads back '%s'", path, value, got);
}

static void restore(struct host *h, struct knob_change *c)
{
	struct diag rd = {0};
	int r;

	if (!c->before)
		return;
	r = write_and_check(h, c->path, c->before, c->match, &c->got, &rd);
	if (r >= 0) {
		if (c->status == KC_WRITTEN)
			c->status = KC_ROLLED_BACK;
		return;
	}
	c->status = KC_ROLLBACK_FAILED;
	(void)snprintf(c->problem, sizeof(c->problem), "could not restore '%s': %s", c->before,
		       rd.msg[0] ? rd.msg : strerror(-r));
}

/* Restore entries last down to the first that changed their file. */
static void rollback_from(struct host *h, struct knob_plan *p, size_t last)
{
	for (size_t j = last + 1; j-- > 0;) {
		struct knob_change *c = &p->v[j];

		/* written, or failed after changing the value */
		if (c->status == KC_WRITTEN || (c->status == KC_FAILED && c->before && c->got &&
						strcmp(c->got, c->before) != 0))
			restore(h, c);
	}
}

int knob_plan_rollback(struct host *h, struct knob_plan *p)
{
	if (!p->n)
		return 0;
	rollback_from(h, p, p->n - 1);
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].status == KC_ROLLBACK_FAILED)
			return -EIO;
	return 0;
}

int knob_plan_apply(struct host *h, struct knob_plan *p, struct diag *d)
{
	size_t i;
	int r = 0;

	for (i = 0; i < p->n; i++) {
		struct knob_change *c = &p->v[i];

		free(c->before);
		free(c->got);
		c->before = c->got = NULL;
		c->status = KC_PLANNED;
		c->problem[0] = '\0';
	}
	for (i = 0; i < p->n; i++) {
		struct knob_change *c = &p->v[i];

		r = knob_value_read(h, c->path, c->match, &c->before, d);
		if (r < 0)
			goto rollback;
		c->got = xstrdup(c->before);
		if (strcmp(c->before, c->new) == 0) {
			c->status = KC_UNCHANGED;
			continue;
		}
		r = write_and_check(h, c->path, c->new, c->match, &c->got, d);
		if (r < 0)
			goto rollback;
		c->status = KC_WRITTEN;
	}
	return 0;

rollback:
	p->v[i].status = KC_FAILED;
	(void)snprintf(p->v[i].problem, sizeof(p->v[i].problem), "%s",
		       d && d->msg[0] ? d->msg : strerror(-r));
	rollback_from(h, p, i);
	return r;
}
