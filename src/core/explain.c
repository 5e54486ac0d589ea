/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Log matcher for `kvmtune explain`: a table of error texts (QEMU 7.2 and
 * older spellings, libvirt, numactl), each with a function that explains it
 * on this host with evidence read now.  The text is normalised first so
 * that messages wrapped over lines (virt-manager dialogs) still match.
 */
#include "core/explain.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/check.h"
#include "core/cpuset.h"
#include "core/explain-internal.h"
#include "core/host.h"
#include "core/model.h"
#include "core/qemu-user.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

char *explain_normalize(const char *text, size_t len, size_t *ret_len)
{
	char *out = xmalloc(len + 1);
	size_t n = 0;
	bool space = true; /* drop leading blanks */

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch < 0x20 || ch == 0x7f || ch == ' ') {
			if (!space)
				out[n++] = ' ';
			space = true;
			continue;
		}
		out[n++] = (char)ch;
		space = false;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	*ret_len = n;
	return out;
}

/* ---- small text helpers ---- */

static const char *const errno_texts[] = {
	"Permission denied",
	"No such file or directory",
	"Cannot allocate memory",
	"Invalid argument",
	"No such device",
	"Bad address",
	"Read-only file system",
	"No space left on device",
	"Operation not permitted",
	"Device or resource busy",
	"Is a directory",
	"Not a directory",
	"Too many open files",
	"Function not implemented",
	"Input/output error",
	"Operation not supported",
	"Resource temporarily unavailable",
};

/* The strerror text at p, or NULL. */
const char *explain_errno_at(const char *p)
{
	for (size_t i = 0; i < sizeof(errno_texts) / sizeof(errno_texts[0]); i++)
		if (strncmp(p, errno_texts[i], strlen(errno_texts[i])) == 0)
			return errno_texts[i];
	return NULL;
}

/* A run of characters from p not in stop (at most max), newly allocated. */
char *explain_token(const char *p, const char *stop, size_t max)
{
	size_t n = strcspn(p, stop);

	return xstrndup(p, n > max ? max : n);
}

/*
 * The value of a QEMU property in the text, in command-line form
 * ("host-nodes=1-2,") or JSON form ("host-nodes":[1,2]): the first one.
 */
char *explain_param(const char *text, const char *key)
{
	AUTOFREE char *plain = xasprintf("%s=", key);
	AUTOFREE char *json = xasprintf("\"%s\":", key);
	const char *p;

	for (p = strstr(text, plain); p; p = strstr(p + 1, plain))
		if (p == text || strchr(" ,-", p[-1]))
			return explain_token(p + strlen(plain), ", '\"", 256);
	p = strstr(text, json);
	if (!p)
		return NULL;
	p += strlen(json);
	while (*p == ' ')
		p++;
	if (*p == '"')
		return explain_token(p + 1, "\"", 256);
	if (*p == '[')
		return explain_token(p + 1, "]", 256);
	return explain_token(p, ",} ", 64);
}

/* The host nodes named in the log (host-nodes=), into ret; false when absent. */
bool explain_log_host_nodes(struct explain_ctx *c, struct cpuset *ret)
{
	AUTOFREE char *v = explain_param(c->text, "host-nodes");

	return v && cpuset_parse_list(v, ret, NULL) == 0 && !cpuset_empty(ret);
}

/* ---- host evidence ---- */

void explain_ev_pools(struct explain_ctx *c, struct finding *fd, uint64_t only_kib)
{
	bool any = false;

	if (!c->have_model)
		return;
	for (size_t i = 0; i < c->m.npools; i++) {
		const struct pool *p = &c->m.pools[i];
		AUTOFREE char *f = NULL;

		if (only_kib && p->size_kib != only_kib)
			continue;
		f = xasprintf("/sys/kernel/mm/hugepages/hugepages-%llukB",
			      (unsigned long long)p->size_kib);
		finding_evidence(fd, f, "nr_hugepages %lld, free_hugepages %lld",
				 (long long)p->total, (long long)p->free);
		any = true;
		if (c->m.nnodes < 2)
			continue;
		for (size_t j = 0; j < c->m.nnodes; j++) {
			const struct pool *np = node_find_pool(&c->m.nodes[j], p->size_kib);

			AUTOFREE char *nf = NULL;

			if (!np)
				continue;
			nf = xasprintf("/sys/devices/system/node/node%d/hugepages/hugepages-%llukB",
				       c->m.nodes[j].node, (unsigned long long)p->size_kib);
			finding_evidence(fd, nf, "nr_hugepages %lld, free_hugepages %lld",
					 (long long)np->total, (long long)np->free);
		}
	}
	if (!any) {
		char b[32];

		if (only_kib)
			finding_evidence(fd, "/sys/kernel/mm/hugepages",
					 "no pool of %s pages on this host",
					 format_size_kib(only_kib, b, sizeof(b)));
		else
			finding_evidence(fd, "/sys/kernel/mm/hugepages", "no hugepage pools");
	}
}

void explain_ev_mounts(struct explain_ctx *c, struct finding *fd)
{
	if (!c->have_model)
		return;
	for (size_t i = 0; i < c->m.nmounts; i++) {
		const struct hugetlbfs_mount *mt = &c->m.mounts[i];
		char ps[16];

		finding_evidence(fd, "/proc/mounts",
				 "%s hugetlbfs pagesize=%s mode=%s uid=%lld gid=%lld", mt->path,
				 format_pagesize(mt->pagesize_kib, ps, sizeof(ps)), mt->mode_text,
				 (long long)mt->uid, (long long)mt->gid);
	}
	if (!c->m.nmounts)
		finding_evidence(fd, "/proc/mounts", "no hugetlbfs mount");
}

/* "0 (23.3 GiB), 1 (no memory)" into sb. */
void explain_nodes_text(struct explain_ctx *c, struct sbuf *sb, bool with_memory_only)
{
	bool first = true;

	for (size_t i = 0; i < c->m.nnodes; i++) {
		const struct numa_node *n = &c->m.nodes[i];
		char b[32];

		if (with_memory_only && n->mem_total_kib <= 0)
			continue;
		sbuf_addf(sb, "%s%d", first ? "" : ",", n->node);
		if (!with_memory_only)
			sbuf_addf(sb, " (%s)",
				  n->mem_total_kib > 0 ? format_size_kib((uint64_t)n->mem_total_kib,
									 b, sizeof(b))
						       : "no memory");
		first = false;
	}
}

void explain_ev_nodes(struct explain_ctx *c, struct finding *fd)
{
	struct sbuf sb = SBUF_INIT;

	if (!c->have_model)
		return;
	explain_nodes_text(c, &sb, false);
	finding_evidence(fd, "/sys/devices/system/node", "nodes %s", sb.buf);
	sbuf_release(&sb);
}

void explain_ev_cpu(struct explain_ctx *c, struct finding *fd)
{
	struct sbuf sb = SBUF_INIT;

	if (!c->have_model || !c->m.ncpu_page_sizes)
		return;
	for (size_t i = 0; i < c->m.ncpu_page_sizes; i++) {
		char ps[16];

		sbuf_addf(&sb, "%s%s", i ? " " : "",
			  format_pagesize(c->m.cpu_page_sizes_kib[i], ps, sizeof(ps)));
	}
	finding_evidence(fd, "/proc/cpuinfo", "CPU page sizes: %s", sb.buf);
	sbuf_release(&sb);
}

/* The mount that holds path (longest prefix), or NULL. */
const struct hugetlbfs_mount *explain_mount_of(struct explain_ctx *c, const char *path)
{
	const struct hugetlbfs_mount *best = NULL;

	if (!c->have_model)
		return NULL;
	for (size_t i = 0; i < c->m.nmounts; i++) {
		const struct hugetlbfs_mount *mt = &c->m.mounts[i];
		size_t l = strlen(mt->path);

		if (strncmp(path, mt->path, l) == 0 && (path[l] == '/' || !path[l]) &&
		    (!best || l > strlen(best->path)))
			best = mt;
	}
	return best;
}

/* ---- the table ---- */

static const struct explain_rule rules[] = {
	{"backing-store-open", "can't open backing store ", explain_backing_open},
	{"map-backing-store", "unable to map backing store for guest RAM", explain_map_enomem},
	{"prealloc-failed", "preallocating memory failed", explain_prealloc},
	{"prealloc-failed", "Insufficient free host memory pages available to allocate guest RAM",
	 explain_prealloc},
	{"hugetlbfs-mount-missing", "Unable to find any usable hugetlbfs mount for ",
	 explain_no_mount},
	{"memfd-hugetlb", "failed to create memfd with flags 0x", explain_memfd},
	{"host-nodes-bind", "cannot bind memory to host NUMA nodes", explain_bind},
	{"host-nodes-invalid", "Invalid host-nodes value: ", explain_bind},
	{"host-nodes-policy", "host-nodes must be set for policy ", explain_policy_nodes},
	{"memory-policy", "libnuma: Warning: node argument ", explain_bind},
	{"memory-policy", "mbind: ", explain_mpol},
	{"memory-policy", "set_mempolicy: ", explain_mpol},
	{"memory-policy", "cpuset.mems", explain_cpuset_mems},
	{"memory-too-small", "must be equal to or larger than page size 0x", explain_too_small},
	{"libvirt-hugepages-cell", "hugepages: node ", explain_lv_cell},
	{"libvirt-node-unavailable", "is unavailable", explain_lv_unavailable},
	{"libvirt-two-default-pages", "two master hugepages detected: ", explain_lv_two_master},
	{"libvirt-nodeset-invalid", "Invalid value of 'nodeset': ", explain_lv_simple},
	{"libvirt-memnode-auto", "Per-node binding is not compatible with automatic NUMA placement",
	 explain_lv_simple},
	{"libvirt-numad", "Advice from numad is needed", explain_lv_numad},
	{"libvirt-numad", "Failed to query numad for the advisory nodeset", explain_lv_numad},
	{"libvirt-nodeset-missing",
	 "nodeset for NUMA memory tuning must be set if 'placement' is "
	 "'static'",
	 explain_lv_simple},
};

/* Whether an explanation with this id and quote exists already. */
static bool seen(const struct findings *f, size_t from, const char *id, const char *quote)
{
	for (size_t i = from; i < f->n; i++)
		if (strcmp(f->items[i].id, id) == 0 && f->items[i].quote &&
		    strcmp(f->items[i].quote, quote) == 0)
			return true;
	return false;
}

struct finding *explain_add(struct explain_ctx *c, const char *id, const char *quote,
			    const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	struct finding *fd;
	va_list ap;

	if (seen(c->out, c->first, id, quote) || c->out->n - c->first >= EXPLAIN_MAX)
		return NULL;
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fd = findings_add(c->out, id, CHECK_ERROR, "%s", sb.buf);
	c->pos = xreallocarray(c->pos, c->out->n - c->first, sizeof(*c->pos));
	c->pos[c->out->n - c->first - 1] = c->cur_pos;
	fd->quote = xstrdup(quote);
	sbuf_release(&sb);
	return fd;
}

/* Insertion sort of this call's explanations by where they occur in the log. */
static void sort_by_position(struct explain_ctx *c)
{
	size_t n = c->out->n - c->first;
	struct finding *items;

	if (n < 2)
		return;
	items = c->out->items + c->first;
	for (size_t i = 1; i < n; i++) {
		struct finding f = items[i];
		size_t p = c->pos[i], j = i;

		for (; j > 0 && c->pos[j - 1] > p; j--) {
			items[j] = items[j - 1];
			c->pos[j] = c->pos[j - 1];
		}
		items[j] = f;
		c->pos[j] = p;
	}
}

int explain_text(struct host *h, const struct explain_opts *opts, const char *text, size_t len,
		 struct findings *ret, struct diag *d)
{
	struct explain_ctx c = {.h = h, .out = ret, .first = ret->n};
	size_t nlen;
	AUTOFREE char *norm = explain_normalize(text, len, &nlen);

	(void)d;
	c.text = norm;
	if (h && host_model_load(h, &c.m, NULL) == 0)
		c.have_model = true;
	if (h && qemu_ident_load_as(h, opts ? opts->user : NULL, &c.q, NULL) == 0)
		c.have_q = true;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const char *p = norm;
		size_t alen = strlen(rules[i].anchor);

		while ((p = strstr(p, rules[i].anchor)) != NULL) {
			c.cur_pos = (size_t)(p - norm);
			rules[i].fn(&c, &rules[i], p, p + alen);
			p += alen;
			if (ret->n - c.first >= EXPLAIN_MAX)
				break;
		}
	}
	sort_by_position(&c);
	free(c.pos);
	if (c.have_model)
		host_model_release(&c.m);
	if (c.have_q)
		qemu_ident_release(&c.q);
	return (int)(ret->n - c.first);
}
