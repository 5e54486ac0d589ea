/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-node meminfo rows and NUMA allocation counters for kvmtune stat. */
#include "core/nodestat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/meminfo.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* numastat -m rows, in its order. */
static const char *const meminfo_rows[] = {
	"MemTotal",	  "MemFree",	    "MemUsed",	       "HighTotal",	 "HighFree",
	"LowTotal",	  "LowFree",	    "Active",	       "Inactive",	 "Active(anon)",
	"Inactive(anon)", "Active(file)",   "Inactive(file)",  "Unevictable",	 "Mlocked",
	"Dirty",	  "Writeback",	    "FilePages",       "Mapped",	 "AnonPages",
	"Shmem",	  "KernelStack",    "PageTables",      "NFS_Unstable",	 "Bounce",
	"WritebackTmp",	  "Slab",	    "SReclaimable",    "SUnreclaim",	 "AnonHugePages",
	"ShmemHugePages", "ShmemPmdMapped", "HugePages_Total", "HugePages_Free", "HugePages_Surp",
	"KReclaimable",
};
#define NMEMINFO_ROWS (sizeof(meminfo_rows) / sizeof(meminfo_rows[0]))

static const char *const counter_rows[] = {"numa_hit",	     "numa_miss",  "numa_foreign",
					   "interleave_hit", "local_node", "other_node"};
#define NCOUNTER_ROWS (sizeof(counter_rows) / sizeof(counter_rows[0]))

static void table_init(struct nodestat *s, size_t nrows, size_t nnodes, uint64_t unit_kib)
{
	memset(s, 0, sizeof(*s));
	s->nrows = nrows;
	s->nnodes = nnodes;
	s->keys = xcalloc(nrows ? nrows : 1, sizeof(*s->keys));
	s->values = xcalloc(nrows * nnodes + 1, sizeof(*s->values));
	for (size_t i = 0; i < nrows * nnodes; i++)
		s->values[i] = NODESTAT_UNKNOWN;
	s->unit_kib = unit_kib;
}

int64_t nodestat_get(const struct nodestat *s, size_t row, size_t idx)
{
	if (row >= s->nrows || idx >= s->nnodes)
		return NODESTAT_UNKNOWN;
	return s->values[row * s->nnodes + idx];
}

void nodestat_release(struct nodestat *s)
{
	free(s->keys);
	free(s->values);
	memset(s, 0, sizeof(*s));
}

/* 0: the HugePages_Total row, 1: _Free, 2: _Surp; -1 for other keys. */
static int huge_row(const char *key)
{
	return strcmp(key, "HugePages_Total") == 0  ? 0
	       : strcmp(key, "HugePages_Free") == 0 ? 1
	       : strcmp(key, "HugePages_Surp") == 0 ? 2
						    : -1;
}

/* KiB in the node's pools of every size; unknown when a pool lacks that counter. */
static int64_t pools_kib(const struct numa_node *n, int which)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n->npools; i++) {
		const struct pool *p = &n->pools[i];
		int64_t c = which == 0 ? p->total : which == 1 ? p->free : p->surplus;
		uint64_t kib;

		if (c < 0)
			return NODESTAT_UNKNOWN;
		if (!safe_mul_u64((uint64_t)c, p->size_kib, &kib) || !safe_add_u64(sum, kib, &sum))
			return NODESTAT_UNKNOWN;
	}
	return sum > INT64_MAX ? NODESTAT_UNKNOWN : (int64_t)sum;
}

/* One row's KiB on one node from its meminfo (and pools), or NODESTAT_UNKNOWN. */
static int64_t meminfo_kib(const struct meminfo *mi, const struct host_model *m,
			   const struct numa_node *n, const char *key)
{
	int which = huge_row(key);
	uint64_t v, kib;

	if (which >= 0 && n->npools)
		return pools_kib(n, which);
	if (!meminfo_get(mi, key, &v))
		return NODESTAT_UNKNOWN;
	for (size_t i = 0; i < mi->count; i++) {
		if (strcmp(mi->entries[i].key, key) != 0 || mi->entries[i].kib)
			continue;
		/* a page count (HugePages_*): pages of the default size */
		if (!m->default_hugepage_kib || !safe_mul_u64(v, m->default_hugepage_kib, &kib))
			return NODESTAT_UNKNOWN;
		v = kib;
	}
	return v > INT64_MAX ? NODESTAT_UNKNOWN : (int64_t)v;
}

/* The node's meminfo (the host's for a model without NUMA in sysfs); absent: empty. */
static int read_node_meminfo(struct host *h, const struct host_model *m, int node,
			     struct meminfo *mi, struct diag *d)
{
	AUTOFREE char *text = NULL;
	char path[96];
	int r;

	if (m->numa_sysfs)
		(void)snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", node);
	else
		(void)snprintf(path, sizeof(path), "/proc/meminfo");
	r = host_read_attr(h, path, &text, NULL, d);
	if (r == -ENOENT) {
		diag_clear(d);
		return 0;
	}
	if (r >= 0)
		r = meminfo_parse(text, mi, d);
	if (r < 0)
		diag_prefix(d, "'%s': ", path);
	return r;
}

int nodestat_meminfo(struct host *h, const struct host_model *m, struct nodestat *ret,
		     struct diag *d)
{
	struct meminfo *mi = xcalloc(m->nnodes ? m->nnodes : 1, sizeof(*mi));
	int64_t *all = xcalloc(NMEMINFO_ROWS * (m->nnodes ? m->nnodes : 1), sizeof(*all));
	struct nodestat s;
	size_t row = 0;
	int r = 0;

	for (size_t i = 0; i < m->nnodes; i++)
		mi[i] = (struct meminfo)MEMINFO_INIT;
	for (size_t i = 0; i < m->nnodes && r >= 0; i++)
		r = read_node_meminfo(h, m, m->nodes[i].node, &mi[i], d);
	for (size_t k = 0; r >= 0 && k < NMEMINFO_ROWS; k++)
		for (size_t i = 0; i < m->nnodes; i++)
			all[k * m->nnodes + i] =
				meminfo_kib(&mi[i], m, &m->nodes[i], meminfo_rows[k]);
	for (size_t i = 0; i < m->nnodes; i++)
		meminfo_release(&mi[i]);
	free(mi);
	if (r < 0) {
		free(all);
		return r;
	}
	table_init(&s, NMEMINFO_ROWS, m->nnodes, 1);
	for (size_t k = 0; k < NMEMINFO_ROWS; k++) {
		bool known = false;

		for (size_t i = 0; i < m->nnodes; i++)
			known = known || all[k * m->nnodes + i] != NODESTAT_UNKNOWN;
		if (!known)
			continue; /* no node has the line: numastat leaves the row out */
		s.keys[row] = meminfo_rows[k];
		memcpy(&s.values[row * m->nnodes], &all[k * m->nnodes], m->nnodes * sizeof(*all));
		row++;
	}
	s.nrows = row;
	free(all);
	*ret = s;
	return 0;
}

/* The counters of one node's numastat text ("numa_hit 123\n..."). */
static int parse_counters(const char *path, const char *text, int64_t *col, size_t stride,
			  struct diag *d)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n"), klen = strcspn(line, " \t\n");
		const char *num = line + klen;
		char buf[32];
		uint64_t v;

		while (*num == ' ' || *num == '\t')
			num++;
		for (size_t k = 0; k < NCOUNTER_ROWS; k++) {
			size_t nlen = len - (size_t)(num - line);

			if (strlen(counter_rows[k]) != klen || strncmp(line, counter_rows[k], klen))
				continue;
			(void)snprintf(buf, sizeof(buf), "%.*s", (int)nlen, num);
			if (nlen >= sizeof(buf) || parse_u64_trim(buf, &v) < 0 || v > INT64_MAX)
				return diag_set(d, EINVAL, path,
						"'%s': %s '%.*s' is not a count of pages", path,
						counter_rows[k], (int)(nlen > 40 ? 40 : nlen), num);
			col[k * stride] = (int64_t)v;
		}
		line += len + (line[len] == '\n');
	}
	return 0;
}

int nodestat_counters(struct host *h, const struct host_model *m, struct nodestat *ret,
		      struct diag *d)
{
	struct nodestat s;

	table_init(&s, NCOUNTER_ROWS, m->nnodes, m->base_page_kib ? m->base_page_kib : 4);
	for (size_t k = 0; k < NCOUNTER_ROWS; k++)
		s.keys[k] = counter_rows[k];
	for (size_t i = 0; i < m->nnodes; i++) {
		AUTOFREE char *text = NULL;
		char path[96];
		int r;

		(void)snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/numastat",
			       m->nodes[i].node);
		r = host_read_attr(h, path, &text, NULL, d);
		if (r == -ENOENT) {
			diag_clear(d);
			continue;
		}
		if (r >= 0)
			r = parse_counters(path, text, &s.values[i], s.nnodes, d);
		if (r < 0) {
			nodestat_release(&s);
			return r;
		}
	}
	*ret = s;
	return 0;
}
