/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading the host model: CPUs, nodes, memory, hugepage pools, mounts and
 * knobs.  CPU/cache topology comes from hwloc (topology.c); everything that
 * hwloc does not give reliably for a fixture root is read here directly.
 */
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/meminfo.h"
#include "core/pagesize.h"
#include "core/topology.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define NODE_DIR "/sys/devices/system/node"
#define CPU_DIR "/sys/devices/system/cpu"
#define HUGEPAGES_DIR "/sys/kernel/mm/hugepages"

/* Read a file if present: 1 when read, 0 when absent, -errno on error. */
static int read_optional_impl(struct host *h, const char *path, bool records, char **ret,
			      struct diag *d)
{
	int r = records ? host_read(h, path, ret, NULL, d) : host_read_attr(h, path, ret, NULL, d);

	if (r == -ENOENT) {
		diag_clear(d);
		return 0;
	}
	return r < 0 ? r : 1;
}

/* A sysfs attribute or single-show proc file (see host_read_attr). */
static int read_optional(struct host *h, const char *path, char **ret, struct diag *d)
{
	return read_optional_impl(h, path, false, ret, d);
}

/* A file of records (/proc/cpuinfo, /proc/mounts). */
static int read_optional_records(struct host *h, const char *path, char **ret, struct diag *d)
{
	return read_optional_impl(h, path, true, ret, d);
}

/* "node12" -> 12; -1 for other names. */
static int name_number(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix);
	uint32_t v;

	if (strncmp(name, prefix, plen) != 0 || parse_u32(name + plen, &v) < 0 || v > CPUSET_MAX)
		return -1;
	return (int)v;
}

/* "hugepages-2048kB" -> 2048; 0 for other names. */
static uint64_t pool_dir_size(const char *name)
{
	char num[32];
	const char *p = name + strlen("hugepages-");
	size_t len;
	uint64_t v;

	if (strncmp(name, "hugepages-", 10) != 0)
		return 0;
	len = strlen(p);
	if (len < 3 || len - 2 >= sizeof(num) || strcmp(p + len - 2, "kB") != 0)
		return 0;
	memcpy(num, p, len - 2);
	num[len - 2] = '\0';
	/* no real page is larger than 4 EiB: such a directory is no pool we know */
	return parse_u64(num, &v) < 0 || v > SIZE_MAX_KIB ? 0 : v;
}

static int cmp_pool(const void *a, const void *b)
{
	const struct pool *x = a, *y = b;

	return x->size_kib < y->size_kib ? -1 : x->size_kib > y->size_kib;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_node(const void *a, const void *b)
{
	return ((const struct numa_node *)a)->node - ((const struct numa_node *)b)->node;
}

/* Read counter file dir/name into *ret; absent leaves -1.  One open per file. */
static int read_counter(struct host *h, const char *dir, const char *name, int64_t *ret,
			struct diag *d)
{
	AUTOFREE char *path = xasprintf("%s/%s", dir, name);
	unsigned long long v;
	int r;

	r = host_read_u64(h, path, &v, d);
	if (r == -ENOENT) {
		diag_clear(d);
		*ret = -1;
		return 0;
	}
	if (r < 0)
		return r;
	if (v > COUNT_MAX)
		return diag_set(d, ERANGE, path, "'%s' holds %llu pages: too large (over 2^52)",
				path, v);
	*ret = (int64_t)v;
	return 0;
}

/* Every count of a pool times its page size stays below SIZE_MAX_KIB: -ERANGE names it. */
static int check_pool_size(const struct pool *pl, const char *dir, struct diag *d)
{
	const int64_t counts[] = {pl->total, pl->free, pl->surplus, pl->reserved, pl->overcommit};
	uint64_t kib;

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (counts[i] > 0 &&
		    (!safe_mul_u64((uint64_t)counts[i], pl->size_kib, &kib) || kib > SIZE_MAX_KIB))
			return diag_set(d, ERANGE, dir,
					"'%s': a count of %" PRId64 " pages of %" PRIu64
					" KiB is too large (over 4 EiB)",
					dir, counts[i], pl->size_kib);
	return 0;
}

/* Pools below dir (a node's or the global hugepages directory). */
static int load_pool_dir(struct host *h, const char *dir, bool global, bool sizes_only,
			 struct pool **ret, size_t *ret_count, struct diag *d)
{
	char **names = NULL;
	struct pool *pools = NULL;
	size_t n = 0;
	int r;

	r = host_list_optional(h, dir, &names, NULL, d);
	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		uint64_t size = pool_dir_size(*p);
		AUTOFREE char *sub = NULL;
		struct pool pl = {.size_kib = size,
				  .total = -1,
				  .free = -1,
				  .surplus = -1,
				  .reserved = -1,
				  .overcommit = -1};

		if (!size)
			continue;
		sub = xasprintf("%s/%s", dir, *p);
		r = sizes_only ? 0 : read_counter(h, sub, "nr_hugepages", &pl.total, d);
		if (r >= 0 && !sizes_only)
			r = read_counter(h, sub, "free_hugepages", &pl.free, d);
		if (r >= 0 && !sizes_only)
			r = read_counter(h, sub, "surplus_hugepages", &pl.surplus, d);
		if (r >= 0 && global && !sizes_only)
			r = read_counter(h, sub, "resv_hugepages", &pl.reserved, d);
		if (r >= 0 && global && !sizes_only)
			r = read_counter(h, sub, "nr_overcommit_hugepages", &pl.overcommit, d);
		if (r >= 0 && !sizes_only)
			r = check_pool_size(&pl, sub, d);
		if (r < 0) {
			free(pools);
			host_names_free(names);
			return r;
		}
		pools = xreallocarray(pools, n + 1, sizeof(*pools));
		pools[n++] = pl;
	}
	host_names_free(names);
	if (n)
		qsort(pools, n, sizeof(*pools), cmp_pool);
	*ret = pools;
	*ret_count = n;
	return 0;
}

static int load_cpus(struct host *h, struct host_model *m, bool online_only, struct diag *d)
{
	AUTOFREE char *online = NULL;
	AUTOFREE char *possible = NULL;
	int r, found;

	r = found = read_optional(h, CPU_DIR "/online", &online, d);
	if (r > 0)
		r = cpuset_parse_list(online, &m->cpus_online, d);
	if (r < 0) {
		diag_prefix(d, "'%s': ", CPU_DIR "/online");
		return r;
	}
	if (found == 0) {
		/* Old kernels: every cpuN directory whose online file is not 0. */
		char **names = NULL;

		r = host_list(h, CPU_DIR, &names, NULL, d);
		if (r < 0)
			return r;
		for (char **p = names; *p; p++) {
			int cpu = name_number(*p, "cpu");
			AUTOFREE char *f = NULL;
			unsigned long long on = 1;

			if (cpu < 0)
				continue;
			f = xasprintf(CPU_DIR "/%s/online", *p);
			if (host_exists(h, f) && host_read_u64(h, f, &on, NULL) < 0)
				on = 1;
			if (on)
				cpuset_set(&m->cpus_online, (unsigned)cpu);
		}
		host_names_free(names);
	}
	if (online_only)
		return 0;
	r = read_optional(h, CPU_DIR "/possible", &possible, d);
	if (r > 0)
		r = cpuset_parse_list(possible, &m->cpus_possible, d);
	if (r < 0) {
		diag_prefix(d, "'%s': ", CPU_DIR "/possible");
		return r;
	}
	if (r == 0)
		cpuset_copy(&m->cpus_possible, &m->cpus_online);
	return 0;
}

/* Page sizes from the CPU flags (x86: pse, pdpe1gb), else from the kernel's pools. */
static int load_cpuinfo(struct host *h, struct host_model *m, struct diag *d)
{
	AUTOFREE char *text = NULL;
	bool have_flags = false;
	int r;

	r = read_optional_records(h, "/proc/cpuinfo", &text, d);
	if (r < 0)
		return r;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		char *colon;

		if (nl)
			*nl = '\0';
		colon = strchr(line, ':');
		if (colon) {
			size_t klen = (size_t)(colon - line);
			const char *val = colon + 1;

			while (klen && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
				klen--;
			while (*val == ' ')
				val++;
			if (!m->cpu_model[0] && ((klen == 10 && !strncmp(line, "model name", 10)) ||
						 (klen == 3 && !strncmp(line, "cpu", 3)))) {
				AUTOFREE char *shown = str_escape(val, sizeof(m->cpu_model));

				(void)snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", shown);
			}
			if (!have_flags && klen == 5 && !strncmp(line, "flags", 5)) {
				AUTOFREE char *padded = xasprintf(" %s ", val);

				have_flags = true;
				m->cpu_page_sizes_kib = xcalloc(2, sizeof(uint64_t));
				if (strstr(padded, " pse "))
					m->cpu_page_sizes_kib[m->ncpu_page_sizes++] = PAGE_2M_KIB;
				if (strstr(padded, " pdpe1gb "))
					m->cpu_page_sizes_kib[m->ncpu_page_sizes++] = PAGE_1G_KIB;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!have_flags) {
		/* Not x86: the architecture's sizes are the pools the kernel offers. */
		char **names = NULL;

		r = host_list_optional(h, HUGEPAGES_DIR, &names, NULL, d);
		if (r < 0)
			return r;
		for (char **p = names; *p; p++) {
			uint64_t size = pool_dir_size(*p);

			if (!size)
				continue;
			m->cpu_page_sizes_kib = xreallocarray(
				m->cpu_page_sizes_kib, m->ncpu_page_sizes + 1, sizeof(uint64_t));
			m->cpu_page_sizes_kib[m->ncpu_page_sizes++] = size;
		}
		host_names_free(names);
		if (m->ncpu_page_sizes)
			qsort(m->cpu_page_sizes_kib, m->ncpu_page_sizes, sizeof(uint64_t), cmp_u64);
	}
	return 0;
}

static int load_meminfo(struct host *h, struct host_model *m, struct meminfo *mi, struct diag *d)
{
	AUTOFREE char *text = NULL;
	uint64_t v;
	int r;

	m->mem_total_kib = m->mem_free_kib = m->mem_available_kib = m->swap_total_kib = -1;
	r = read_optional(h, "/proc/meminfo", &text, d);
	if (r <= 0)
		return r;
	r = meminfo_parse(text, mi, d);
	if (r < 0) {
		diag_prefix(d, "'/proc/meminfo': ");
		return r;
	}
	if (meminfo_get(mi, "MemTotal", &v))
		m->mem_total_kib = (int64_t)v;
	if (meminfo_get(mi, "MemFree", &v))
		m->mem_free_kib = (int64_t)v;
	if (meminfo_get(mi, "MemAvailable", &v))
		m->mem_available_kib = (int64_t)v;
	if (meminfo_get(mi, "SwapTotal", &v))
		m->swap_total_kib = (int64_t)v;
	if (meminfo_get(mi, "Hugepagesize", &v))
		m->default_hugepage_kib = v;
	return 0;
}

/* Per-node pools from "Node N HugePages_*" lines, for kernels without per-node dirs. */
static void node_pool_from_meminfo(struct numa_node *n, const struct meminfo *mi,
				   uint64_t default_kib)
{
	uint64_t total, free_pages, surp = 0;

	if (!default_kib || !meminfo_get(mi, "HugePages_Total", &total) ||
	    !meminfo_get(mi, "HugePages_Free", &free_pages))
		return;
	(void)meminfo_get(mi, "HugePages_Surp", &surp);
	n->pools = xcalloc(1, sizeof(*n->pools));
	n->pools[0] = (struct pool){
		default_kib, (int64_t)total, (int64_t)free_pages, (int64_t)surp, -1, -1};
	n->npools = 1;
}

/* One node's CPUs, and unless cpus_only its meminfo and pools. */
static int load_one_node(struct host *h, struct host_model *m, struct numa_node *n, bool cpus_only,
			 struct diag *d)
{
	AUTOFREE char *dir = xasprintf(NODE_DIR "/node%d", n->node);
	AUTOFREE char *path = NULL;
	AUTOFREE char *text = NULL;
	struct meminfo mi = MEMINFO_INIT;
	uint64_t v;
	int r;

	n->mem_total_kib = n->mem_free_kib = -1;
	path = xasprintf("%s/cpulist", dir);
	r = read_optional(h, path, &text, d);
	if (r > 0) {
		r = cpuset_parse_list(text, &n->cpus, d);
	} else if (r == 0) {
		free(path);
		path = xasprintf("%s/cpumap", dir);
		r = read_optional(h, path, &text, d);
		if (r > 0)
			r = cpuset_parse_mask(text, &n->cpus, d);
	}
	if (r < 0) {
		diag_prefix(d, "'%s': ", path);
		return r;
	}
	if (cpus_only)
		return 0;
	free(text);
	text = NULL;
	free(path);
	path = xasprintf("%s/meminfo", dir);
	r = read_optional(h, path, &text, d);
	if (r > 0)
		r = meminfo_parse(text, &mi, d);
	if (r < 0) {
		diag_prefix(d, "'%s': ", path);
		return r;
	}
	if (meminfo_get(&mi, "MemTotal", &v))
		n->mem_total_kib = (int64_t)v;
	if (meminfo_get(&mi, "MemFree", &v))
		n->mem_free_kib = (int64_t)v;
	free(path);
	path = xasprintf("%s/hugepages", dir);
	r = load_pool_dir(h, path, false, false, &n->pools, &n->npools, d);
	if (r >= 0 && !n->npools)
		node_pool_from_meminfo(n, &mi, m->default_hugepage_kib);
	meminfo_release(&mi);
	return r;
}

/* One distance row as the kernel writes it ("10 21 21"), into a new array. */
static int parse_distance_row(const char *path, const char *text, int **ret, size_t *ret_n,
			      struct diag *d)
{
	const char *p = text;
	int *row = NULL;
	size_t n = 0;

	while (*p) {
		char num[16];
		size_t len;
		uint32_t v;

		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (!*p)
			break;
		len = strcspn(p, " \t\n");
		if (len >= sizeof(num))
			len = sizeof(num) - 1;
		memcpy(num, p, len);
		num[len] = '\0';
		if (parse_u32(num, &v) < 0 || v > 255) {
			free(row);
			return diag_set(d, EINVAL, path,
					"'%s': distance '%s' is not a number 0-255", path, num);
		}
		row = xreallocarray(row, n + 1, sizeof(int));
		row[n++] = (int)v;
		p += len;
	}
	*ret = row;
	*ret_n = n;
	return 0;
}

/*
 * The node numbers a row of n distances is about.  The kernel writes one per
 * online node, in node order (drivers/base/node.c, for_each_online_node);
 * trees captured elsewhere may follow the possible nodes or the node
 * directories.  The first of those lists with n members wins; NULL when none
 * has (the row's entries then stay unmatched).
 */
static const struct cpuset *row_order(const struct cpuset *const *lists, size_t nlists, size_t n)
{
	for (size_t i = 0; i < nlists; i++)
		if (lists[i] && !cpuset_empty(lists[i]) && cpuset_count(lists[i]) == n)
			return lists[i];
	return NULL;
}

/* n->distances in model order from a row over the nodes of order (NULL: unmatched). */
static void map_distances(struct host_model *m, struct numa_node *n, const int *row, size_t nrow,
			  const struct cpuset *order)
{
	n->distances = xcalloc(m->nnodes, sizeof(int));
	n->ndistances = m->nnodes;
	for (size_t j = 0; j < m->nnodes; j++) {
		size_t pos = 0;
		int id;

		n->distances[j] = -1;
		if (!order || !cpuset_isset(order, (unsigned)m->nodes[j].node))
			continue;
		cpuset_foreach (id, order) {
			if (id == m->nodes[j].node)
				break;
			pos++;
		}
		if (pos < nrow)
			n->distances[j] = row[pos];
	}
}

static int load_distances(struct host *h, struct host_model *m, const struct cpuset *online,
			  struct diag *d)
{
	AUTOFREE char *text = NULL;
	struct cpuset possible = CPUSET_INIT, dirs = CPUSET_INIT;
	int r;

	r = read_optional(h, NODE_DIR "/possible", &text, d);
	if (r > 0)
		r = cpuset_parse_list(text, &possible, d);
	if (r < 0) {
		diag_prefix(d, "'%s': ", NODE_DIR "/possible");
		return r;
	}
	for (size_t i = 0; i < m->nnodes; i++)
		cpuset_set(&dirs, (unsigned)m->nodes[i].node);
	for (size_t i = 0; i < m->nnodes && r >= 0; i++) {
		AUTOFREE char *path = xasprintf(NODE_DIR "/node%d/distance", m->nodes[i].node);
		AUTOFREE char *dist = NULL;
		AUTOFREE int *row = NULL;
		const struct cpuset *lists[] = {online, &possible, &dirs};
		size_t nrow = 0;

		r = read_optional(h, path, &dist, d);
		if (r > 0)
			r = parse_distance_row(path, dist, &row, &nrow, d);
		if (r > 0 || (r == 0 && row))
			map_distances(m, &m->nodes[i], row, nrow, row_order(lists, 3, nrow));
	}
	cpuset_release(&possible);
	cpuset_release(&dirs);
	return r < 0 ? r : 0;
}

/* Split each node's CPUs into online and offline ones; note online CPUs no node has. */
static void split_offline_cpus(struct host_model *m)
{
	struct cpuset in_nodes = CPUSET_INIT;
	int cpu;

	if (cpuset_empty(&m->cpus_online) || !m->nnodes)
		return; /* nothing to compare with (stat's light load), or no nodes to split */
	for (size_t i = 0; i < m->nnodes; i++) {
		struct numa_node *n = &m->nodes[i];

		cpuset_foreach (cpu, &n->cpus)
			if (!cpuset_isset(&m->cpus_online, (unsigned)cpu))
				cpuset_set(&n->cpus_offline, (unsigned)cpu);
		cpuset_and(&n->cpus, &m->cpus_online);
		cpuset_or(&in_nodes, &n->cpus);
	}
	cpuset_foreach (cpu, &m->cpus_online)
		if (!cpuset_isset(&in_nodes, (unsigned)cpu))
			cpuset_set(&m->cpus_nodeless, (unsigned)cpu);
	cpuset_release(&in_nodes);
}

static int load_nodes(struct host *h, struct host_model *m, bool cpus_only, struct diag *d)
{
	struct cpuset online = CPUSET_INIT;
	AUTOFREE char *text = NULL;
	char **names = NULL;
	int r;

	r = host_list_optional(h, NODE_DIR, &names, NULL, d);
	if (r < 0)
		return r;
	r = read_optional(h, NODE_DIR "/online", &text, d);
	if (r > 0)
		r = cpuset_parse_list(text, &online, d);
	if (r < 0) {
		host_names_free(names);
		diag_prefix(d, "'%s': ", NODE_DIR "/online");
		return r;
	}
	for (char **p = names; *p; p++) {
		int node = name_number(*p, "node");

		if (node < 0 || (text && !cpuset_isset(&online, (unsigned)node)))
			continue;
		m->nodes = xreallocarray(m->nodes, m->nnodes + 1, sizeof(*m->nodes));
		memset(&m->nodes[m->nnodes], 0, sizeof(*m->nodes));
		m->nodes[m->nnodes++].node = node;
	}
	host_names_free(names);
	if (m->nnodes)
		qsort(m->nodes, m->nnodes, sizeof(*m->nodes), cmp_node);
	for (size_t i = 0; i < m->nnodes && r >= 0; i++)
		r = load_one_node(h, m, &m->nodes[i], cpus_only, d);
	if (r >= 0 && !cpus_only)
		r = load_distances(h, m, text ? &online : NULL, d);
	cpuset_release(&online);
	if (r < 0)
		return r;
	split_offline_cpus(m);
	m->numa_sysfs = m->nnodes > 0;
	return 0;
}

/* No node directory (non-NUMA kernel): one node 0 holding everything. */
static void synthesise_node(struct host_model *m)
{
	struct numa_node *n;

	m->nodes = xcalloc(1, sizeof(*m->nodes));
	m->nnodes = 1;
	n = &m->nodes[0];
	n->node = 0;
	cpuset_copy(&n->cpus, &m->cpus_online);
	n->mem_total_kib = m->mem_total_kib;
	n->mem_free_kib = m->mem_free_kib;
	n->distances = xcalloc(1, sizeof(int));
	n->distances[0] = 10;
	n->ndistances = 1;
	if (m->npools) {
		n->pools = xcalloc(m->npools, sizeof(*n->pools));
		for (size_t i = 0; i < m->npools; i++) {
			n->pools[i] = m->pools[i];
			n->pools[i].reserved = n->pools[i].overcommit = -1;
		}
		n->npools = m->npools;
	}
}

static void global_pools_fallback(struct host_model *m, const struct meminfo *mi)
{
	uint64_t total, free_pages, resv = 0, surp = 0;
	size_t nglobal = m->npools;

	/* Sizes that only the nodes show: sum them (reserved/overcommit unknown). */
	for (size_t i = 0; i < m->nnodes; i++) {
		for (size_t j = 0; j < m->nodes[i].npools; j++) {
			const struct pool *np = &m->nodes[i].pools[j];
			struct pool *gp = (struct pool *)model_find_pool(m, np->size_kib);

			if (gp && gp < m->pools + nglobal)
				continue; /* the kernel's global counters are authoritative */
			if (!gp) {
				m->pools =
					xreallocarray(m->pools, m->npools + 1, sizeof(*m->pools));
				gp = &m->pools[m->npools++];
				*gp = (struct pool){np->size_kib, 0, 0, 0, -1, -1};
			}
			gp->total += np->total > 0 ? np->total : 0;
			gp->free += np->free > 0 ? np->free : 0;
			gp->surplus += np->surplus > 0 ? np->surplus : 0;
		}
	}
	if (!m->npools && m->default_hugepage_kib && meminfo_get(mi, "HugePages_Total", &total) &&
	    meminfo_get(mi, "HugePages_Free", &free_pages)) {
		(void)meminfo_get(mi, "HugePages_Rsvd", &resv);
		(void)meminfo_get(mi, "HugePages_Surp", &surp);
		m->pools = xcalloc(1, sizeof(*m->pools));
		m->pools[0] =
			(struct pool){m->default_hugepage_kib, (int64_t)total, (int64_t)free_pages,
				      (int64_t)surp,	       (int64_t)resv,  -1};
		m->npools = 1;
	}
	if (m->npools)
		qsort(m->pools, m->npools, sizeof(*m->pools), cmp_pool);
}

static int load_mounts(struct host *h, struct host_model *m, struct diag *d)
{
	AUTOFREE char *text = NULL;
	int r;

	r = read_optional_records(h, "/proc/mounts", &text, d);
	if (r <= 0)
		return r;
	r = mounts_parse_hugetlbfs(text, m->default_hugepage_kib, &m->mounts, &m->nmounts, d);
	if (r < 0)
		diag_prefix(d, "'/proc/mounts': ");
	return r;
}

/* numad's pid, found by scanning /proc/PID/comm (0 when not running). */
static int find_numad(struct host *h)
{
	char **names = NULL;
	int pid = 0;

	if (host_list(h, "/proc", &names, NULL, NULL) < 0)
		return 0;
	for (char **p = names; *p && !pid; p++) {
		AUTOFREE char *path = NULL;
		AUTOFREE char *comm = NULL;
		uint32_t v;

		if (parse_u32(*p, &v) < 0)
			continue;
		path = xasprintf("/proc/%s/comm", *p);
		if (host_read(h, path, &comm, NULL, NULL) < 0)
			continue;
		if (strcmp(comm, "numad\n") == 0 || strcmp(comm, "numad") == 0)
			pid = (int)v;
	}
	host_names_free(names);
	return pid;
}

int host_model_load(struct host *h, struct host_model *ret, struct diag *d)
{
	return host_model_load_flags(h, 0, ret, d);
}

int host_model_load_flags(struct host *h, unsigned flags, struct host_model *ret, struct diag *d)
{
	struct host_model m = {0};
	struct meminfo mi = MEMINFO_INIT;
	AUTOFREE char *release = NULL;
	bool light = flags & HOST_MODEL_NODES_ONLY;
	int r;

	m.base_page_kib = pagesize_base_kib();
	if (light)
		flags |= HOST_MODEL_NO_TOPOLOGY | HOST_MODEL_NO_PROCESSES | HOST_MODEL_NO_CPUINFO |
			 HOST_MODEL_NO_MOUNTS | HOST_MODEL_NO_KNOBS;
	r = light ? 0 : load_cpus(h, &m, false, d);
	if (r >= 0 && !(flags & HOST_MODEL_NO_CPUINFO))
		r = load_cpuinfo(h, &m, d);
	if (r >= 0 && !light)
		r = load_meminfo(h, &m, &mi, d);
	if (r >= 0)
		r = load_pool_dir(h, HUGEPAGES_DIR, true, light, &m.pools, &m.npools, d);
	if (r >= 0)
		r = load_nodes(h, &m, light, d);
	/* light: the online CPUs only for a kernel without node directories */
	if (r >= 0 && light && !m.nnodes)
		r = load_cpus(h, &m, true, d);
	if (r >= 0 && !(flags & HOST_MODEL_NO_MOUNTS))
		r = load_mounts(h, &m, d);
	for (size_t i = 0; r >= 0 && !(flags & HOST_MODEL_NO_KNOBS) && i < KNOB_COUNT_; i++)
		r = knob_read(h, (enum knob_id)i, &m.knobs[i], d);
	if (r < 0) {
		meminfo_release(&mi);
		host_model_release(&m);
		return r;
	}
	global_pools_fallback(&m, &mi);
	meminfo_release(&mi);
	if (!m.nnodes)
		synthesise_node(&m);
	if (!(flags & HOST_MODEL_NO_TOPOLOGY))
		topology_load(h, &m);
	if (!(flags & HOST_MODEL_NO_PROCESSES))
		m.numad_pid = find_numad(h);
	if (!light && read_optional(h, "/proc/sys/kernel/osrelease", &release, NULL) > 0)
		(void)snprintf(m.kernel_release, sizeof(m.kernel_release), "%.*s",
			       (int)strcspn(release, "\n"), release);
	*ret = m;
	return 0;
}

void host_model_release(struct host_model *m)
{
	for (size_t i = 0; i < m->nnodes; i++) {
		cpuset_release(&m->nodes[i].cpus);
		cpuset_release(&m->nodes[i].cpus_offline);
		free(m->nodes[i].distances);
		free(m->nodes[i].pools);
	}
	free(m->nodes);
	cpuset_release(&m->cpus_online);
	cpuset_release(&m->cpus_possible);
	cpuset_release(&m->cpus_nodeless);
	free(m->pus);
	topology_groups_free(m->package_groups, m->npackage_groups);
	topology_groups_free(m->core_groups, m->ncore_groups);
	topology_groups_free(m->cache_groups, m->ncache_groups);
	free(m->cpu_page_sizes_kib);
	free(m->pools);
	for (size_t i = 0; i < m->nmounts; i++)
		hugetlbfs_mount_release(&m->mounts[i]);
	free(m->mounts);
	memset(m, 0, sizeof(*m));
}

const struct numa_node *model_find_node(const struct host_model *m, int node)
{
	for (size_t i = 0; i < m->nnodes; i++)
		if (m->nodes[i].node == node)
			return &m->nodes[i];
	return NULL;
}

const struct pool *model_find_pool(const struct host_model *m, uint64_t size_kib)
{
	for (size_t i = 0; i < m->npools; i++)
		if (m->pools[i].size_kib == size_kib)
			return &m->pools[i];
	return NULL;
}

const struct pool *node_find_pool(const struct numa_node *n, uint64_t size_kib)
{
	for (size_t i = 0; i < n->npools; i++)
		if (n->pools[i].size_kib == size_kib)
			return &n->pools[i];
	return NULL;
}

bool model_cpu_supports(const struct host_model *m, uint64_t size_kib)
{
	for (size_t i = 0; i < m->ncpu_page_sizes; i++)
		if (m->cpu_page_sizes_kib[i] == size_kib)
			return true;
	return false;
}

const struct hugetlbfs_mount *model_find_mount(const struct host_model *m, uint64_t size_kib)
{
	for (size_t i = 0; i < m->nmounts; i++)
		if (m->mounts[i].pagesize_kib == size_kib)
			return &m->mounts[i];
	return NULL;
}
