/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/PID/numa_maps parser and per-node accounting in numastat's categories. */
#include "core/numamaps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

static const char *const policy_names[NUMAMAPS_POLICY_COUNT_] = {
	[NUMAMAPS_POLICY_DEFAULT] = "default",
	[NUMAMAPS_POLICY_LOCAL] = "local",
	[NUMAMAPS_POLICY_BIND] = "bind",
	[NUMAMAPS_POLICY_PREFER] = "prefer",
	[NUMAMAPS_POLICY_PREFER_MANY] = "prefer (many)",
	[NUMAMAPS_POLICY_INTERLEAVE] = "interleave",
	[NUMAMAPS_POLICY_WEIGHTED_INTERLEAVE] = "weighted interleave",
};

const char *numamaps_policy_name(enum numamaps_policy p)
{
	return p < NUMAMAPS_POLICY_COUNT_ ? policy_names[p] : "unknown";
}

void numamaps_entry_release(struct numamaps_entry *e)
{
	cpuset_release(&e->policy_nodes);
	free(e->nodes);
	memset(e, 0, sizeof(*e));
}

static void entry_reset(struct numamaps_entry *e)
{
	struct cpuset keep = e->policy_nodes;
	struct numamaps_node_pages *nodes = e->nodes;
	size_t alloc = e->nodes_alloc;

	cpuset_clear(&keep);
	memset(e, 0, sizeof(*e));
	e->policy_nodes = keep;
	e->nodes = nodes;
	e->nodes_alloc = alloc;
}

/* A token as a NUL-terminated copy in buf (tokens longer than buf are cut). */
static void tok_copy(char *buf, size_t bufsz, const char *s, size_t n)
{
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static int parse_u64_n(const char *s, size_t n, uint64_t *ret)
{
	char buf[32];

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	tok_copy(buf, sizeof(buf), s, n);
	return parse_u64(buf, ret);
}

/* Hex address at the start of a line. */
static int parse_addr(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 16)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned x;

		if (c >= '0' && c <= '9')
			x = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = (v << 4) | x;
	}
	*ret = v;
	return 0;
}

/*
 * "bind:0-1", "bind=static:0", "interleave=relative:0-3", "prefer:1",
 * "preferred", "local", "default"; the name may already have been split off
 * for the two-word names.  tok/n is what follows the name.
 */
static int parse_policy_rest(const char *tok, size_t n, struct numamaps_entry *e, struct diag *d)
{
	char buf[256];
	const char *colon;

	if (n && tok[0] == '=') { /* mode flags: "=static", "=relative" */
		colon = memchr(tok, ':', n);
		size_t flen = colon ? (size_t)(colon - tok) : n;

		if (flen < 2)
			return -EINVAL;
		n -= flen;
		tok += flen;
	}
	if (n == 0)
		return 0;
	if (tok[0] != ':' || n == 1 || n >= sizeof(buf))
		return -EINVAL;
	tok_copy(buf, sizeof(buf), tok + 1, n - 1);
	return cpuset_parse_list(buf, &e->policy_nodes, d);
}

static int parse_policy(const char *tok, size_t n, const char *next, size_t next_n,
			bool *ret_used_next, struct numamaps_entry *e, struct diag *d)
{
	static const struct {
		const char *name;
		enum numamaps_policy p;
	} one_word[] = {
		{"default", NUMAMAPS_POLICY_DEFAULT}, {"local", NUMAMAPS_POLICY_LOCAL},
		{"bind", NUMAMAPS_POLICY_BIND},	      {"preferred", NUMAMAPS_POLICY_PREFER},
		{"prefer", NUMAMAPS_POLICY_PREFER},   {"interleave", NUMAMAPS_POLICY_INTERLEAVE},
	};

	*ret_used_next = false;
	/* Two-word names: "prefer (many):0-1", "weighted interleave:0-1". */
	if (n == 6 && memcmp(tok, "prefer", 6) == 0 && next_n >= 6 &&
	    memcmp(next, "(many)", 6) == 0) {
		e->policy = NUMAMAPS_POLICY_PREFER_MANY;
		*ret_used_next = true;
		return parse_policy_rest(next + 6, next_n - 6, e, d);
	}
	if (n == 8 && memcmp(tok, "weighted", 8) == 0 && next_n >= 10 &&
	    memcmp(next, "interleave", 10) == 0) {
		e->policy = NUMAMAPS_POLICY_WEIGHTED_INTERLEAVE;
		*ret_used_next = true;
		return parse_policy_rest(next + 10, next_n - 10, e, d);
	}
	for (size_t i = 0; i < sizeof(one_word) / sizeof(one_word[0]); i++) {
		size_t l = strlen(one_word[i].name);

		if (n >= l && memcmp(tok, one_word[i].name, l) == 0 &&
		    (n == l || tok[l] == ':' || tok[l] == '=')) {
			e->policy = one_word[i].p;
			return parse_policy_rest(tok + l, n - l, e, d);
		}
	}
	return -EINVAL;
}

static void add_node_pages(struct numamaps_entry *e, int node, uint64_t pages)
{
	if (e->nnodes == e->nodes_alloc) {
		e->nodes_alloc = e->nodes_alloc ? 2 * e->nodes_alloc : 8;
		e->nodes = xreallocarray(e->nodes, e->nodes_alloc, sizeof(*e->nodes));
	}
	e->nodes[e->nnodes].node = node;
	e->nodes[e->nnodes].pages = pages;
	e->nnodes++;
}

/* "N3=120": node and pages. */
static int parse_node_tok(const char *tok, size_t n, struct numamaps_entry *e)
{
	const char *eq = memchr(tok, '=', n);
	uint64_t node, pages;

	if (!eq || parse_u64_n(tok + 1, (size_t)(eq - tok - 1), &node) < 0 ||
	    parse_u64_n(eq + 1, n - (size_t)(eq + 1 - tok), &pages) < 0 || node > CPUSET_MAX)
		return -EINVAL;
	add_node_pages(e, (int)node, pages);
	return 0;
}

static int parse_key_tok(const char *tok, size_t n, struct numamaps_entry *e)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{"anon=", offsetof(struct numamaps_entry, anon)},
		{"dirty=", offsetof(struct numamaps_entry, dirty)},
		{"mapped=", offsetof(struct numamaps_entry, mapped)},
		{"mapmax=", offsetof(struct numamaps_entry, mapmax)},
		{"swapcache=", offsetof(struct numamaps_entry, swapcache)},
		{"active=", offsetof(struct numamaps_entry, active)},
		{"writeback=", offsetof(struct numamaps_entry, writeback)},
		{"kernelpagesize_kB=", offsetof(struct numamaps_entry, kernelpagesize_kib)},
	};

	if (n > 5 && memcmp(tok, "file=", 5) == 0) {
		e->file = tok + 5;
		e->file_len = n - 5;
		return 0;
	}
	if (n > 1 && tok[0] == 'N' && ((tok[1] >= '0' && tok[1] <= '9') || tok[1] == '='))
		return parse_node_tok(tok, n, e);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t l = strlen(keys[i].key);

		if (n >= l && memcmp(tok, keys[i].key, l) == 0)
			return parse_u64_n(tok + l, n - l, (uint64_t *)((char *)e + keys[i].off));
	}
	return 0; /* an unknown key=value from a newer kernel */
}

static void parse_word_tok(const char *tok, size_t n, struct numamaps_entry *e)
{
	if (n == 4 && memcmp(tok, "heap", 4) == 0)
		e->heap = true;
	else if (n == 4 && memcmp(tok, "huge", 4) == 0)
		e->huge = true;
	/* "stack", and "stack:TID" of kernels before 4.5 */
	else if ((n == 5 && memcmp(tok, "stack", 5) == 0) ||
		 (n > 5 && memcmp(tok, "stack:", 6) == 0))
		e->stack = true;
}

/* Next blank-separated token of [*p, end); returns its length, 0 at the end. */
static size_t next_tok(const char **p, const char *end, const char **ret_tok)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	*ret_tok = s;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
		s++;
	*p = s;
	return (size_t)(s - *ret_tok);
}

static int bad_tok(struct diag *d, const char *what, const char *tok, size_t n)
{
	char buf[96];

	tok_copy(buf, sizeof(buf), tok, n);
	return diag_set(d, EINVAL, "numa_maps", "numa_maps: bad %s '%s'", what, buf);
}

int numamaps_parse_line(const char *line, size_t len, struct numamaps_entry *e, struct diag *d)
{
	const char *p = line, *end = line + len, *tok, *next;
	size_t n, next_n;
	bool used_next;

	entry_reset(e);
	n = next_tok(&p, end, &tok);
	if (parse_addr(tok, n, &e->addr) < 0)
		return bad_tok(d, "address", tok, n);
	n = next_tok(&p, end, &tok);
	if (n == 0)
		return diag_set(d, EINVAL, "numa_maps", "numa_maps: line without a policy");
	{
		const char *save = p;

		next_n = next_tok(&p, end, &next);
		if (parse_policy(tok, n, next, next_n, &used_next, e, NULL) < 0)
			return bad_tok(d, "policy", tok, n);
		if (!used_next)
			p = save;
	}
	while ((n = next_tok(&p, end, &tok)) > 0) {
		if (memchr(tok, '=', n)) {
			if (parse_key_tok(tok, n, e) < 0)
				return bad_tok(d, "field", tok, n);
		} else {
			parse_word_tok(tok, n, e);
		}
	}
	return 0;
}

enum numamaps_cat numamaps_entry_cat(const struct numamaps_entry *e)
{
	if (e->huge)
		return NUMAMAPS_CAT_HUGE;
	if (e->heap)
		return NUMAMAPS_CAT_HEAP;
	if (e->stack)
		return NUMAMAPS_CAT_STACK;
	return NUMAMAPS_CAT_PRIVATE;
}

void numamaps_usage_release(struct numamaps_usage *u)
{
	for (int c = 0; c < NUMAMAPS_CAT_COUNT_; c++)
		free(u->cat_kib[c]);
	for (size_t i = 0; i < u->nhuge; i++)
		free(u->huge[i].kib);
	free(u->huge);
	for (int k = 0; k < NUMAMAPS_POLICY_COUNT_; k++)
		cpuset_release(&u->policy_nodes[k]);
	memset(u, 0, sizeof(*u));
}

static void grow(uint64_t **a, size_t old_n, size_t new_n)
{
	*a = xreallocarray(*a, new_n, sizeof(**a));
	memset(*a + old_n, 0, (new_n - old_n) * sizeof(**a));
}

void numamaps_usage_reserve(struct numamaps_usage *u, size_t nnodes)
{
	if (nnodes <= u->nnodes)
		return;
	for (int c = 0; c < NUMAMAPS_CAT_COUNT_; c++)
		grow(&u->cat_kib[c], u->nnodes, nnodes);
	for (size_t i = 0; i < u->nhuge; i++)
		grow(&u->huge[i].kib, u->nnodes, nnodes);
	u->nnodes = nnodes;
}

static struct numamaps_huge_size *huge_size(struct numamaps_usage *u, uint64_t size_kib)
{
	size_t i;

	for (i = 0; i < u->nhuge && u->huge[i].size_kib < size_kib; i++)
		;
	if (i < u->nhuge && u->huge[i].size_kib == size_kib)
		return &u->huge[i];
	u->huge = xreallocarray(u->huge, u->nhuge + 1, sizeof(*u->huge));
	memmove(&u->huge[i + 1], &u->huge[i], (u->nhuge - i) * sizeof(*u->huge));
	u->nhuge++;
	u->huge[i].size_kib = size_kib;
	u->huge[i].kib = xcalloc(u->nnodes ? u->nnodes : 1, sizeof(uint64_t));
	return &u->huge[i];
}

void numamaps_usage_add_kib(struct numamaps_usage *u, enum numamaps_cat cat, int node,
			    uint64_t size_kib, uint64_t kib)
{
	if (node < 0)
		return;
	numamaps_usage_reserve(u, (size_t)node + 1);
	/* numa_maps and cgroup files are outside input: saturate, never wrap */
	u->cat_kib[cat][node] = sat_add_u64(u->cat_kib[cat][node], kib);
	u->total_kib = sat_add_u64(u->total_kib, kib);
	if (cat == NUMAMAPS_CAT_HUGE) {
		uint64_t *h = &huge_size(u, size_kib)->kib[node];

		*h = sat_add_u64(*h, kib);
	}
}

/* Whether adding kib to *acc keeps it within INT64_MAX (what JSON and the tables can show). */
static bool fits(uint64_t acc, uint64_t kib)
{
	uint64_t sum;

	return safe_add_u64(acc, kib, &sum) && sum <= INT64_MAX;
}

int numamaps_usage_add(struct numamaps_usage *u, const struct numamaps_entry *e,
		       uint64_t base_page_kib, uint64_t default_huge_kib)
{
	enum numamaps_cat cat = numamaps_entry_cat(e);
	uint64_t page_kib = e->kernelpagesize_kib, line_kib = 0;
	int node;

	if (!page_kib)
		page_kib = cat == NUMAMAPS_CAT_HUGE ? default_huge_kib : base_page_kib;
	/* a line whose numbers cannot be true (sums past 2^63 KiB) is refused whole */
	for (size_t i = 0; i < e->nnodes; i++) {
		uint64_t kib, node_kib;

		if (!safe_mul_u64(e->nodes[i].pages, page_kib, &kib) || !fits(line_kib, kib))
			return -ERANGE;
		line_kib += kib;
		node_kib = numamaps_usage_node_kib(u, cat, e->nodes[i].node);
		if (!fits(node_kib, kib))
			return -ERANGE;
	}
	if (!fits(u->total_kib, line_kib) || !fits(u->policy_kib[e->policy], line_kib))
		return -ERANGE;
	for (size_t i = 0; i < e->nnodes; i++) {
		uint64_t kib = sat_mul_u64(e->nodes[i].pages, page_kib);

		numamaps_usage_add_kib(u, cat, e->nodes[i].node, page_kib, kib);
		u->policy_kib[e->policy] = sat_add_u64(u->policy_kib[e->policy], kib);
	}
	cpuset_foreach (node, &e->policy_nodes)
		cpuset_set(&u->policy_nodes[e->policy], (unsigned)node);
	u->lines++;
	return 0;
}

int numamaps_usage_parse(struct numamaps_usage *u, const char *text, size_t len,
			 uint64_t base_page_kib, uint64_t default_huge_kib, struct diag *d)
{
	struct numamaps_entry e = NUMAMAPS_ENTRY_INIT;
	const char *p = text, *end = text + len;
	unsigned bad = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0) {
			if (numamaps_parse_line(p, n, &e, bad ? NULL : d) < 0)
				bad++;
			else if (numamaps_usage_add(u, &e, base_page_kib, default_huge_kib) < 0)
				bad += diag_set(bad ? NULL : d, ERANGE, "numa_maps",
						"numa_maps: page counts too large to be true") < 0;
		}
		p += n + 1;
	}
	numamaps_entry_release(&e);
	u->bad_lines += bad;
	return (int)bad;
}

uint64_t numamaps_usage_node_kib(const struct numamaps_usage *u, int cat, int node)
{
	uint64_t sum = 0;

	if (node < 0 || (size_t)node >= u->nnodes)
		return 0;
	for (int c = 0; c < NUMAMAPS_CAT_COUNT_; c++)
		if (cat < 0 || cat == c)
			sum = sat_add_u64(sum, u->cat_kib[c][node]);
	return sum;
}

uint64_t numamaps_usage_total_kib(const struct numamaps_usage *u, int cat)
{
	uint64_t sum = 0;

	for (size_t n = 0; n < u->nnodes; n++)
		sum = sat_add_u64(sum, numamaps_usage_node_kib(u, cat, (int)n));
	return sum;
}
