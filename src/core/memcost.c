/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Measured memory costs: the saved file of 'kvmtune bench memory --save'
 * (format in memcost.h), its parser, writer and look-ups.
 */
#include "core/memcost.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define MAX_WORDS 32

int memcost_page_parse(const char *text, struct memcost_page *ret)
{
	uint64_t kib;

	if (strcmp(text, "THP") == 0 || strcmp(text, "thp") == 0) {
		*ret = (struct memcost_page){.size_kib = 4, .thp = true};
		return 0;
	}
	/* a page size: a power of two from 4 KiB to 16 GiB */
	if (parse_size_kib(text, &kib) < 0 || kib < 4 || kib > (16ULL << 20) || (kib & (kib - 1)))
		return -EINVAL;
	*ret = (struct memcost_page){.size_kib = kib, .thp = false};
	return 0;
}

const char *memcost_page_name(const struct memcost_page *p, char *buf, size_t bufsz)
{
	if (p->thp)
		(void)snprintf(buf, bufsz, "THP");
	else
		(void)format_pagesize(p->size_kib, buf, (unsigned)bufsz);
	return buf;
}

bool memcost_page_equal(const struct memcost_page *a, const struct memcost_page *b)
{
	return a->size_kib == b->size_kib && a->thp == b->thp;
}

void memcost_add(struct memcost *c, const struct memcost_cell *cell)
{
	c->cells = xreallocarray(c->cells, c->ncells + 1, sizeof(*c->cells));
	c->cells[c->ncells++] = *cell;
}

void memcost_release(struct memcost *c)
{
	free(c->cells);
	memset(c, 0, sizeof(*c));
}

void memcost_format(const struct memcost *c, struct sbuf *out)
{
	char page[16];

	sbuf_adds(out, "# kvmtune measured memory costs (kvmtune bench memory --save); see "
		       "kvmtune(1)\n");
	sbuf_addf(out, "format %d\ntime %" PRId64 "\nkernel %s\nbuffer_kib %" PRIu64 "\n",
		  MEMCOST_FORMAT, c->time, c->kernel[0] ? c->kernel : "unknown", c->buffer_kib);
	for (size_t i = 0; i < c->ncells; i++) {
		const struct memcost_cell *x = &c->cells[i];

		sbuf_addf(out,
			  "cell page %s cpu_node %d mem_node %d latency_ns %.1f p10_ns %.1f "
			  "p90_ns %.1f read_mbps %.0f on_node %.3f huge %.3f slit %d\n",
			  memcost_page_name(&x->page, page, sizeof(page)), x->cpu_node, x->mem_node,
			  x->latency_ns, x->p10_ns, x->p90_ns, x->read_mbps, x->on_node, x->huge,
			  x->slit);
	}
}

/* A non-negative finite number (share: also at most 1). */
static int parse_measure(const char *s, bool share, double *ret)
{
	double v;

	if (parse_double(s, &v) < 0 || !isfinite(v) || v < 0 || (share && v > 1) || v > 1e12)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Fill one field of a cell from "key value"; -EINVAL on a bad value, -ENOENT on a bad key. */
static int cell_field(struct memcost_cell *x, const char *key, const char *val, unsigned *seen)
{
	static const char *const keys[] = {"page",   "cpu_node", "mem_node",  "latency_ns",
					   "p10_ns", "p90_ns",	 "read_mbps", "on_node",
					   "huge",   "slit"};
	double *dbl[] = {NULL,	     NULL,	    NULL,	 &x->latency_ns, &x->p10_ns,
			 &x->p90_ns, &x->read_mbps, &x->on_node, &x->huge,	 NULL};
	size_t k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (strcmp(key, keys[k]) == 0)
			break;
	if (k == sizeof(keys) / sizeof(keys[0]) || (*seen & (1u << k)))
		return -ENOENT;
	*seen |= 1u << k;
	if (dbl[k])
		return parse_measure(val, k == 7 || k == 8, dbl[k]);
	if (k == 0)
		return memcost_page_parse(val, &x->page);
	if (k == 1 || k == 2) {
		int *node = k == 1 ? &x->cpu_node : &x->mem_node;

		return parse_int(val, node) < 0 || *node < 0 || *node > 65535 ? -EINVAL : 0;
	}
	return parse_int(val, &x->slit) < 0 || x->slit < -1 || x->slit > 255 ? -EINVAL : 0;
}

static int parse_cell(char **w, int nw, struct memcost *c, const char *line, unsigned lineno,
		      struct diag *d)
{
	struct memcost_cell x = {.slit = -1};
	unsigned seen = 0;

	if (nw % 2 == 0)
		return diag_set(d, EINVAL, MEMCOST_PATH,
				"%s line %u: a cell is 'cell' and key-value pairs, got '%s'",
				MEMCOST_PATH, lineno, line);
	for (int i = 1; i < nw; i += 2) {
		int r = cell_field(&x, w[i], w[i + 1], &seen);

		if (r == -ENOENT)
			return diag_set(d, EINVAL, MEMCOST_PATH,
					"%s line %u: unknown or repeated key '%s'", MEMCOST_PATH,
					lineno, w[i]);
		if (r < 0)
			return diag_set(d, EINVAL, MEMCOST_PATH,
					"%s line %u: %s '%s' is not a valid value", MEMCOST_PATH,
					lineno, w[i], w[i + 1]);
	}
	/* all but slit are required */
	if ((seen & 0x1ff) != 0x1ff)
		return diag_set(d, EINVAL, MEMCOST_PATH,
				"%s line %u: a cell needs page, cpu_node, mem_node, latency_ns, "
				"p10_ns, p90_ns, read_mbps, on_node and huge",
				MEMCOST_PATH, lineno);
	if (memcost_find(c, &x.page, x.cpu_node, x.mem_node))
		return diag_set(d, EINVAL, MEMCOST_PATH,
				"%s line %u: a second cell for the same page and nodes",
				MEMCOST_PATH, lineno);
	memcost_add(c, &x);
	return 0;
}

static int parse_header(char **w, int nw, struct memcost *c, bool *have_format, unsigned lineno,
			struct diag *d)
{
	uint64_t v;
	int64_t t;

	if (nw != 2)
		return diag_set(d, EINVAL, MEMCOST_PATH, "%s line %u: expected '%s VALUE'",
				MEMCOST_PATH, lineno, w[0]);
	if (strcmp(w[0], "format") == 0) {
		if (parse_u64(w[1], &v) < 0 || v != MEMCOST_FORMAT)
			return diag_set(d, ENOTSUP, MEMCOST_PATH,
					"%s: format '%s', this kvmtune reads format %d",
					MEMCOST_PATH, w[1], MEMCOST_FORMAT);
		*have_format = true;
	} else if (strcmp(w[0], "time") == 0) {
		if (parse_i64(w[1], &t) < 0 || t < 0)
			return diag_set(d, EINVAL, MEMCOST_PATH, "%s line %u: bad time '%s'",
					MEMCOST_PATH, lineno, w[1]);
		c->time = t;
	} else if (strcmp(w[0], "kernel") == 0) {
		(void)snprintf(c->kernel, sizeof(c->kernel), "%s", w[1]);
	} else if (strcmp(w[0], "buffer_kib") == 0) {
		if (parse_u64(w[1], &c->buffer_kib) < 0)
			return diag_set(d, EINVAL, MEMCOST_PATH, "%s line %u: bad buffer_kib '%s'",
					MEMCOST_PATH, lineno, w[1]);
	} else {
		return diag_set(d, EINVAL, MEMCOST_PATH, "%s line %u: unknown record '%s'",
				MEMCOST_PATH, lineno, w[0]);
	}
	return 0;
}

static int parse_line(char *line, struct memcost *c, bool *have_format, unsigned lineno,
		      struct diag *d)
{
	AUTOFREE char *copy = xstrdup(line);
	char *w[MAX_WORDS];
	int nw = 0;

	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (nw == MAX_WORDS)
			return diag_set(d, EINVAL, MEMCOST_PATH, "%s line %u: too many words",
					MEMCOST_PATH, lineno);
		w[nw++] = p;
		p += strcspn(p, " \t");
	}
	if (nw == 0 || w[0][0] == '#')
		return 0;
	if (!*have_format && strcmp(w[0], "format") != 0)
		return diag_set(d, EINVAL, MEMCOST_PATH,
				"%s line %u: expected the 'format' record first, got '%s'",
				MEMCOST_PATH, lineno, w[0]);
	if (strcmp(w[0], "cell") == 0)
		return parse_cell(w, nw, c, copy, lineno, d);
	return parse_header(w, nw, c, have_format, lineno, d);
}

int memcost_parse(const char *text, size_t len, struct memcost *ret, struct diag *d)
{
	AUTOFREE char *buf = NULL;
	bool have_format = false;
	unsigned lineno = 0;
	char *line, *next;
	int r = 0;

	if (memchr(text, '\0', len))
		return diag_set(d, EINVAL, MEMCOST_PATH, "%s: not a text file", MEMCOST_PATH);
	buf = xstrndup(text, len);
	for (line = buf; line && r >= 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line && !next)
			break;
		lineno++;
		r = parse_line(line, ret, &have_format, lineno, d);
	}
	if (r >= 0 && !have_format)
		r = diag_set(d, EINVAL, MEMCOST_PATH, "%s: no 'format' record", MEMCOST_PATH);
	if (r < 0)
		memcost_release(ret);
	return r;
}

int memcost_load(struct host *h, struct memcost *ret, struct diag *d)
{
	AUTOFREE char *text = NULL;
	size_t len;
	int r;

	r = host_read(h, MEMCOST_PATH, &text, &len, d);
	if (r < 0)
		return r;
	return memcost_parse(text, len, ret, d);
}

int memcost_save(struct host *h, const struct memcost *c, struct diag *d)
{
	struct sbuf out = SBUF_INIT;
	int r;

	memcost_format(c, &out);
	r = host_mkdir_p(h, MEMCOST_DIR, 0755, d);
	if (r >= 0)
		r = host_write_file_atomic(h, MEMCOST_PATH, out.buf, 0644, d);
	sbuf_release(&out);
	return r;
}

const struct memcost_cell *memcost_find(const struct memcost *c, const struct memcost_page *page,
					int cpu_node, int mem_node)
{
	for (size_t i = 0; i < c->ncells; i++)
		if (c->cells[i].cpu_node == cpu_node && c->cells[i].mem_node == mem_node &&
		    memcost_page_equal(&c->cells[i].page, page))
			return &c->cells[i];
	return NULL;
}

double memcost_node_ratio(const struct memcost *c, const struct memcost_page *page, int cpu_node,
			  int mem_node)
{
	const struct memcost_cell *local = memcost_find(c, page, cpu_node, cpu_node);
	const struct memcost_cell *x = memcost_find(c, page, cpu_node, mem_node);

	if (!local || !x || local->latency_ns <= 0)
		return -1;
	return x->latency_ns / local->latency_ns;
}
