/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hugepage words of the kernel command line: parsed as mm/hugetlb.c's
 * hugepagesz_setup/hugepages_setup read them, merged with grub's settings,
 * checked against the length limit.
 */
#include "core/hugepages-cmdline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/model.h"
#include "core/pagesize.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define GRUB_DEFAULTS "/etc/default/grub"
#define GRUB_DEFAULTS_DIR "/etc/default/grub.d"

/* The next word of *p (a double-quoted part keeps its blanks); its length, 0 at the end. */
static size_t next_word(const char **p, const char **ret_word)
{
	const char *s = *p;
	bool quoted = false;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	*ret_word = s;
	for (; *s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n')); s++)
		if (*s == '"')
			quoted = !quoted;
	*p = s;
	return (size_t)(s - *ret_word);
}

static bool has_prefix(const char *word, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(word, prefix, n) == 0;
}

bool hp_cmdline_is_hugepage_word(const char *word, size_t len)
{
	return has_prefix(word, len, "hugepages=") || has_prefix(word, len, "hugepagesz=") ||
	       has_prefix(word, len, "default_hugepagesz=");
}

static bool parse_size_word(const char *val, size_t len, uint64_t *ret)
{
	char buf[32];

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, val, len);
	buf[len] = '\0';
	return parse_size_kib(buf, ret) == 0 && *ret > 0;
}

static void pool_add(struct hp_wants *w, int node, uint64_t size_kib, int64_t pages)
{
	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = (struct hp_want){node, size_kib, pages};
}

static bool size_seen(const struct hp_wants *w, uint64_t size_kib)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].size_kib == size_kib)
			return true;
	return false;
}

/* "512" or "0:8,1:8" for one size; false (nothing added) when malformed. */
static bool parse_counts(const char *val, size_t len, uint64_t size_kib, struct hp_wants *out)
{
	struct hp_wants got = {0};
	char buf[256], *p = buf;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, val, len);
	buf[len] = '\0';
	while (*p) {
		char *colon = strchr(p, ':'), *comma = strchr(p, ',');
		uint64_t node = 0, pages;

		if (comma)
			*comma = '\0';
		if (colon && (!comma || colon < comma)) {
			*colon = '\0';
			if (parse_u64(p, &node) < 0 || node > CPUSET_MAX)
				break;
			p = colon + 1;
		} else if (p != buf || comma) {
			break; /* a plain count is the whole value */
		}
		if (parse_u64(p, &pages) < 0 || pages > INT64_MAX)
			break;
		pool_add(&got, colon ? (int)node : -1, size_kib, (int64_t)pages);
		if (!comma) {
			for (size_t i = 0; i < got.n; i++)
				pool_add(out, got.v[i].node, got.v[i].size_kib, got.v[i].pages);
			hp_wants_release(&got);
			return true;
		}
		p = comma + 1;
	}
	hp_wants_release(&got);
	return false;
}

void hp_cmdline_parse(const char *cmdline, uint64_t arch_default_kib, struct hp_boot_pools *ret)
{
	const char *p = cmdline ? cmdline : "", *word;
	uint64_t cur = 0; /* the size of the last valid hugepagesz=, 0 before any */
	bool valid = true, counted = false;
	size_t len;

	/* default_hugepagesz= counts wherever it stands */
	while ((len = next_word(&p, &word)) > 0)
		if (has_prefix(word, len, "default_hugepagesz=") && !ret->default_kib &&
		    !parse_size_word(word + 19, len - 19, &ret->default_kib))
			ret->ignored_words++;
	for (p = cmdline ? cmdline : ""; (len = next_word(&p, &word)) > 0;) {
		uint64_t size;

		if (has_prefix(word, len, "hugepagesz=")) {
			valid = parse_size_word(word + 11, len - 11, &size) &&
				!size_seen(&ret->pools, size);
			cur = valid ? size : cur;
			counted = false;
			ret->ignored_words += !valid;
		} else if (has_prefix(word, len, "hugepages=")) {
			size = cur ? cur : ret->default_kib ? ret->default_kib : arch_default_kib;
			if (!valid || counted || !size || size_seen(&ret->pools, size) ||
			    !parse_counts(word + 10, len - 10, size, &ret->pools))
				ret->ignored_words++;
			counted = true;
		}
	}
}

void hp_boot_pools_release(struct hp_boot_pools *p)
{
	hp_wants_release(&p->pools);
	memset(p, 0, sizeof(*p));
}

int64_t hp_boot_pools_get(const struct hp_boot_pools *p, int node, uint64_t size_kib)
{
	for (size_t i = 0; i < p->pools.n; i++)
		if (p->pools.v[i].node == node && p->pools.v[i].size_kib == size_kib)
			return p->pools.v[i].pages;
	return -1;
}

/* The words of cmdline that are (or, !hugepage, are not) hugepage words, appended to out. */
static void filter_words(const char *cmdline, bool hugepage, struct sbuf *out)
{
	const char *p = cmdline ? cmdline : "", *word;
	size_t len;

	while ((len = next_word(&p, &word)) > 0) {
		if (hp_cmdline_is_hugepage_word(word, len) != hugepage)
			continue;
		if (out->len && out->buf[out->len - 1] != ' ')
			sbuf_addc(out, ' ');
		sbuf_add(out, word, len);
	}
}

void hp_cmdline_strip(const char *cmdline, struct sbuf *kept)
{
	filter_words(cmdline, false, kept);
}

void hp_cmdline_hugepage_words(const char *cmdline, struct sbuf *out)
{
	filter_words(cmdline, true, out);
}

bool hp_cmdline_per_node_supported(const char *kernel_release)
{
	unsigned major = 0, minor = 0;

	/* COMPAT(kernel < 5.16): see the header */
	if (!kernel_release || sscanf(kernel_release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 16);
}

/* ---- grub's defaults ---- */

/* value (len bytes, quotes included) with $GRUB_CMDLINE_LINUX[_DEFAULT] expanded. */
static void grub_value(const char *val, size_t len, const struct hp_grub *g, struct sbuf *out)
{
	char quote = 0;

	for (size_t i = 0; i < len; i++) {
		char c = val[i];
		const char *name = val + i + 1;
		size_t rest = len - i - 1, nlen;
		bool brace;

		if ((c == '"' || c == '\'') && (!quote || quote == c)) {
			quote = quote ? 0 : c;
			continue;
		}
		if (c != '$' || quote == '\'') {
			sbuf_addc(out, c);
			continue;
		}
		brace = rest && *name == '{';
		name += brace;
		rest -= brace;
		for (nlen = 0;
		     nlen < rest && (name[nlen] == '_' || (name[nlen] >= 'A' && name[nlen] <= 'Z'));
		     nlen++)
			;
		if (nlen == 26 && memcmp(name, "GRUB_CMDLINE_LINUX_DEFAULT", 26) == 0)
			sbuf_adds(out, g->default_args);
		else if (nlen == 18 && memcmp(name, "GRUB_CMDLINE_LINUX", 18) == 0)
			sbuf_adds(out, g->linux_args);
		else {
			sbuf_addc(out, c); /* another variable: left for grub's shell */
			continue;
		}
		i += brace + nlen + (brace && nlen < rest && name[nlen] == '}');
	}
}

/* Apply the assignments of one file's text to g. */
static void grub_assignments(const char *text, struct hp_grub *g)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n"), vlen;
		const char *s = line, *eq;
		char **target = NULL;
		struct sbuf v = SBUF_INIT;

		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "export ", 7) == 0)
			s += 7;
		eq = memchr(s, '=', len - (size_t)(s - line));
		if (eq && eq - s == 26 && memcmp(s, "GRUB_CMDLINE_LINUX_DEFAULT", 26) == 0)
			target = &g->default_args;
		else if (eq && eq - s == 18 && memcmp(s, "GRUB_CMDLINE_LINUX", 18) == 0)
			target = &g->linux_args;
		if (target) {
			vlen = len - (size_t)(eq + 1 - line);
			while (vlen && (eq[vlen] == ' ' || eq[vlen] == '\t' || eq[vlen] == '\r'))
				vlen--;
			grub_value(eq + 1, vlen, g, &v);
			free(*target);
			*target = sbuf_detach(&v, NULL);
		}
		line += len + (line[len] == '\n');
	}
}

/* The hugepage words kvmtune's own drop-in (skip_path) set, into g->own_args. */
static int grub_own(struct host *h, const char *skip_path, struct hp_grub *g, struct diag *d)
{
	struct hp_grub own = {xstrdup(""), xstrdup(""), NULL, false};
	AUTOFREE char *text = NULL;
	int r = skip_path ? host_read(h, skip_path, &text, NULL, d) : -ENOENT;

	if (r == -ENOENT) {
		diag_clear(d);
		r = 0;
	} else if (r >= 0) {
		grub_assignments(text, &own);
	}
	g->own_args = xasprintf("%s %s", own.linux_args, own.default_args);
	hp_grub_release(&own);
	return r;
}

int hp_grub_load(struct host *h, const char *skip_path, struct hp_grub *ret, struct diag *d)
{
	struct hp_grub g = {xstrdup(""), xstrdup(""), NULL, false};
	char **names = NULL;
	int r;

	for (int pass = 0; pass < 2; pass++) {
		r = pass ? host_list_optional(h, GRUB_DEFAULTS_DIR, &names, NULL, d) : 0;
		for (size_t i = 0; r >= 0 && (pass == 0 ? i < 1 : names[i] != NULL); i++) {
			AUTOFREE char *path = pass ? xasprintf(GRUB_DEFAULTS_DIR "/%s", names[i])
						   : xstrdup(GRUB_DEFAULTS);
			AUTOFREE char *text = NULL;
			size_t n = strlen(path);

			if (pass && (n < 4 || strcmp(path + n - 4, ".cfg") != 0 ||
				     (skip_path && strcmp(path, skip_path) == 0)))
				continue;
			r = host_read(h, path, &text, NULL, d);
			if (r == -ENOENT) {
				diag_clear(d);
				r = 0;
				continue;
			}
			if (r >= 0) {
				g.found = g.found || !pass;
				grub_assignments(text, &g);
			}
		}
		host_names_free(names);
		names = NULL;
		if (r < 0) {
			hp_grub_release(&g);
			return r;
		}
	}
	r = grub_own(h, skip_path, &g, d);
	if (r < 0) {
		hp_grub_release(&g);
		return r;
	}
	*ret = g;
	return 0;
}

void hp_grub_release(struct hp_grub *g)
{
	free(g->linux_args);
	free(g->default_args);
	free(g->own_args);
	memset(g, 0, sizeof(*g));
}

/* ---- building the command line ---- */

static void note(struct hp_cmdline *c, char *msg)
{
	c->notes = xreallocarray(c->notes, c->nnotes + 2, sizeof(*c->notes));
	c->notes[c->nnotes++] = msg;
	c->notes[c->nnotes] = NULL;
}

static void add_word(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_word(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	if (sb->len)
		sbuf_addc(sb, ' ');
	va_start(ap, fmt);
	sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

/* "hugepagesz=S hugepages=..." for the pools of size in p (nodes or host-wide). */
static void size_words(const struct hp_wants *p, uint64_t size, struct sbuf *out)
{
	char ps[16];
	bool first = true;

	for (size_t i = 0; i < p->n; i++) {
		const struct hp_want *x = &p->v[i];

		if (x->size_kib != size)
			continue;
		if (first)
			add_word(out,
				 "hugepagesz=%s hugepages=", format_pagesize(size, ps, sizeof(ps)));
		if (x->node >= 0)
			sbuf_addf(out, "%s%d:%" PRId64, first ? "" : ",", x->node, x->pages);
		else
			sbuf_addf(out, "%" PRId64, x->pages);
		first = false;
	}
}

static bool needs_cmdline(const struct hp_want *x)
{
	return x->node >= 0 || x->size_kib >= PAGE_GIGANTIC_MIN_KIB;
}

/*
 * The boot pools of one size from w, in the form this kernel reads: per
 * node, or (old kernels) gigantic pools as a host-wide total; none when the
 * size needs no command line.
 */
static void wanted_pools(const struct host_model *m, const struct hp_wants *w, uint64_t size,
			 bool per_node, struct hp_wants *out, struct hp_cmdline *c)
{
	int64_t total = 0;
	bool any = false, nodes = false;
	char ps[16];

	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].size_kib != size || !needs_cmdline(&w->v[i]))
			continue;
		any = true;
		nodes = nodes || w->v[i].node >= 0;
		if (w->v[i].node < 0 || per_node)
			pool_add(out, w->v[i].node, size, w->v[i].pages);
		else
			total += w->v[i].pages;
	}
	if (!any || !nodes || per_node)
		return;
	format_pagesize(size, ps, sizeof(ps));
	if (size < PAGE_GIGANTIC_MIN_KIB)
		return; /* the oneshot unit sets them per node, right after boot */
	pool_add(out, -1, size, total);
	if (m->kernel_release[0])
		note(c,
		     xasprintf(
			     "kernel %s does not read per-node hugepages=N:count (5.16 and "
			     "later do): the command line reserves all %" PRId64 " %s pages "
			     "host-wide, spread over the nodes by the kernel, and the oneshot "
			     "unit then sets each node, which may fall short for pages this large",
			     m->kernel_release, total, ps));
	else
		note(c,
		     xasprintf(
			     "the kernel release is unknown (no /proc/sys/kernel/osrelease), "
			     "so per-node hugepages=N:count (kernel 5.16 and later) is not used: "
			     "the command line reserves all %" PRId64 " %s pages host-wide, "
			     "spread over the nodes by the kernel, and the oneshot unit then sets "
			     "each node, which may fall short for pages this large",
			     total, ps));
}

/* Every page size that matters: the host's pools and those grub already sets, sorted. */
static size_t all_sizes(const struct host_model *m, const struct hp_boot_pools *grub, uint64_t *out,
			size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->npools && n < max; i++)
		out[n++] = m->pools[i].size_kib;
	for (size_t i = 0; i < grub->pools.n && n < max; i++) {
		size_t k = 0;

		while (k < n && out[k] != grub->pools.v[i].size_kib)
			k++;
		if (k < n)
			continue;
		/* insertion, keeping the order */
		for (k = n; k > 0 && out[k - 1] > grub->pools.v[i].size_kib; k--)
			out[k] = out[k - 1];
		out[k] = grub->pools.v[i].size_kib;
		n++;
	}
	return n;
}

/* Words of the running command line that grub's files (and kvmtune's drop-in) do not hold. */
static void foreign_words(const struct host_model *m, const struct hp_grub *grub,
			  const char *proc_cmdline, struct hp_cmdline *c)
{
	struct hp_boot_pools running = {0}, known = {0};
	AUTOFREE char *all = xasprintf("%s %s %s", grub ? grub->linux_args : "",
				       grub ? grub->default_args : "", grub ? grub->own_args : "");
	char ps[16];

	if (!proc_cmdline)
		return;
	hp_cmdline_parse(proc_cmdline, m->default_hugepage_kib, &running);
	hp_cmdline_parse(all, m->default_hugepage_kib, &known);
	for (size_t i = 0; i < running.pools.n; i++) {
		uint64_t size = running.pools.v[i].size_kib;

		if (size_seen(&known.pools, size) || (i && running.pools.v[i - 1].size_kib == size))
			continue;
		note(c, xasprintf("the running kernel was booted with hugepage words for %s pages "
				  "that no grub file holds (another boot entry or loader?): the "
				  "kernel keeps the first hugepagesz= of a size, so remove them "
				  "where they are set, or the words written here for that size may "
				  "be ignored",
				  format_pagesize(size, ps, sizeof(ps))));
	}
	hp_boot_pools_release(&running);
	hp_boot_pools_release(&known);
}

int hp_cmdline_build(const struct host_model *m, const struct hp_wants *w,
		     const struct hp_grub *grub, const char *proc_cmdline, struct hp_cmdline *ret,
		     struct diag *d)
{
	struct hp_cmdline c = {SBUF_INIT, false, SBUF_INIT, SBUF_INIT, 0, NULL, 0};
	struct hp_boot_pools existing = {0};
	struct sbuf per_size = SBUF_INIT, base = SBUF_INIT;
	AUTOFREE char *grub_all =
		xasprintf("%s %s", grub ? grub->linux_args : "", grub ? grub->default_args : "");
	bool per_node = hp_cmdline_per_node_supported(m->kernel_release);
	uint64_t sizes[64], deflt;
	size_t nsizes;
	char ps[16];

	hp_cmdline_parse(grub_all, m->default_hugepage_kib, &existing);
	nsizes = all_sizes(m, &existing, sizes, sizeof(sizes) / sizeof(sizes[0]));
	for (size_t i = 0; i < nsizes; i++) {
		struct hp_wants mine = {0};

		wanted_pools(m, w, sizes[i], per_node, &mine, &c);
		/* the admin's own words for a size kvmtune does not set are kept */
		size_words(mine.n ? &mine : &existing.pools, sizes[i], &per_size);
		hp_wants_release(&mine);
	}
	deflt = existing.default_kib ? existing.default_kib : m->default_hugepage_kib;
	if (per_size.len && deflt)
		add_word(&c.words, "default_hugepagesz=%s", format_pagesize(deflt, ps, sizeof(ps)));
	if (per_size.len)
		add_word(&c.words, "%s", per_size.buf);
	c.rewrite = grub && (existing.pools.n || existing.default_kib || existing.ignored_words);
	if (c.rewrite) {
		struct sbuf old = SBUF_INIT;

		hp_cmdline_hugepage_words(grub_all, &old);
		hp_cmdline_strip(grub->linux_args, &c.grub_linux);
		if (c.words.len)
			add_word(&c.grub_linux, "%s", c.words.buf);
		hp_cmdline_strip(grub->default_args, &c.grub_default);
		note(&c,
		     xasprintf("grub's files already set hugepage words ('%s'): the drop-in sets "
			       "GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT anew without "
			       "them, and the words above keep one hugepagesz= per size",
			       old.buf));
		sbuf_release(&old);
	}
	foreign_words(m, grub, proc_cmdline, &c);
	/* the next boot: what the running kernel got, with these hugepage words instead */
	hp_cmdline_strip(proc_cmdline ? proc_cmdline : grub_all, &base);
	c.boot_len = base.len + (base.len && c.words.len) + c.words.len;
	sbuf_release(&base);
	sbuf_release(&per_size);
	hp_boot_pools_release(&existing);
	if (c.boot_len > HP_CMDLINE_MAX_LEN) {
		size_t len = c.boot_len;

		hp_cmdline_release(&c);
		return diag_set(d, E2BIG, "kernel command line",
				"the kernel command line would be %zu bytes, more than the %d the "
				"kernel takes: too large; shorten it first",
				len, HP_CMDLINE_MAX_LEN);
	}
	*ret = c;
	return 0;
}

void hp_cmdline_release(struct hp_cmdline *c)
{
	sbuf_release(&c->words);
	sbuf_release(&c->grub_linux);
	sbuf_release(&c->grub_default);
	for (size_t i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	memset(c, 0, sizeof(*c));
}
