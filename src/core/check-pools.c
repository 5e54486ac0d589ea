/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pools vs demand for `kvmtune check`: what the defined libvirt domains ask
 * for, per page size and host nodeset, against the free pages there.
 */
#include <stdio.h>
#include <string.h>

#include "core/check-domains.h"
#include "core/check-internal.h"
#include "core/check.h"
#include "core/cpuset.h"
#include "core/pagesize.h"
#include "util/cleanup.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

static bool part_bound(const struct domain_part *p)
{
	return !cpuset_empty(&p->host) &&
	       (strcmp(p->mode, "strict") == 0 || strcmp(p->mode, "restrictive") == 0);
}

static bool same_key(const struct domain_part *a, const struct domain_part *b)
{
	if (a->page_kib != b->page_kib || part_bound(a) != part_bound(b))
		return false;
	return !part_bound(a) || cpuset_equal(&a->host, &b->host);
}

static bool has_pool(const struct host_model *m, uint64_t kib)
{
	if (model_find_pool(m, kib))
		return true;
	for (size_t i = 0; i < m->nnodes; i++)
		if (node_find_pool(&m->nodes[i], kib))
			return true;
	return false;
}

/* Free pages of kib on the nodes of set; -1 (and *missing) when a node does not exist. */
static int64_t nodes_free(const struct host_model *m, const struct cpuset *set, uint64_t kib,
			  int *missing, int64_t *first_total)
{
	int64_t sum = 0;
	int n;

	*first_total = -1;
	cpuset_foreach (n, set) {
		const struct numa_node *node = model_find_node(m, n);
		const struct pool *p = node ? node_find_pool(node, kib) : NULL;

		if (!node) {
			*missing = n;
			return -1;
		}
		if (*first_total < 0)
			*first_total = p && p->total > 0 ? p->total : 0;
		/* each below 2^52 (model.c); saturate for absurd node counts */
		if (p && p->free > 0 && !safe_add_i64(sum, p->free, &sum))
			sum = INT64_MAX;
	}
	return sum;
}

static void demand_missing_node(struct check_ctx *c, const struct domain_demand *dd,
				const struct domain_part *p, int node)
{
	AUTOFREE char *ns = cpuset_to_list(&p->host);
	struct finding *fd;
	struct sbuf have = SBUF_INIT;

	for (size_t i = 0; i < c->m.nnodes; i++)
		sbuf_addf(&have, "%s%d", i ? "," : "", c->m.nodes[i].node);
	fd = findings_add(c->out, "domain-node-missing", CHECK_ERROR,
			  "VM %s binds memory to host node %d, which does not exist: it fails "
			  "with 'NUMA node %d is unavailable'",
			  dd->name, node, node);
	finding_evidence(fd, dd->file, "numatune nodeset %s", ns);
	finding_evidence(fd, NODE_DIR, "nodes %s", have.buf);
	finding_fix(fd,
		    "virsh numatune %s --config --nodeset %d (a node that exists), or "
		    "edit <numatune> with 'virsh edit %s'",
		    dd->name, c->m.nnodes ? c->m.nodes[0].node : 0, dd->name);
	sbuf_release(&have);
}

/*
 * The guarded commands: reserve grows a pool by exactly what is missing,
 * on one node or host-wide (steps, compaction, the keep-free guard, all or
 * nothing); set sizes each of several nodes.
 */
static void demand_fix(const struct domain_demand *dd, const struct domain_part *p,
		       int64_t shortfall, const char *ns, struct finding *fd)
{
	uint64_t kib = 0;
	char ps[16], size[32];
	bool one_node = ns && cpuset_count(&p->host) == 1;

	format_pagesize(p->page_kib, ps, sizeof(ps));
	(void)safe_mul_u64((uint64_t)shortfall, p->page_kib, &kib);
	format_pagesize(kib, size, sizeof(size));
	if (!ns || one_node)
		finding_fix(fd,
			    "kvmtune hugepages reserve --size %s --page %s%s%s --owner %s (grows "
			    "the pool by the %lld missing pages, all or nothing; --dry-run shows "
			    "the plan)",
			    size, ps, one_node ? " --node " : "", one_node ? ns : "", dd->name,
			    (long long)shortfall);
	else
		finding_fix(fd,
			    "kvmtune hugepages set %s=<pages per node> --node %s (grows each "
			    "listed node's pool, compacting as needed; --dry-run shows the plan): "
			    "%lld pages are missing over these nodes",
			    ps, ns, (long long)shortfall);
	if (p->page_kib >= PAGE_GIGANTIC_MIN_KIB)
		finding_fix(fd, "pages this large are best reserved at boot: kvmtune hugepages "
				"persist writes the kernel command line");
}

static void demand_short(struct check_ctx *c, const struct domain_demand *dd,
			 const struct domain_part *p, uint64_t need_kib, int64_t pages,
			 int64_t avail, int64_t first_total)
{
	AUTOFREE char *ns = part_bound(p) ? cpuset_to_list(&p->host) : NULL;
	bool many = ns && cpuset_count(&p->host) > 1;
	char b1[32], b2[32], ps[16];
	struct finding *fd;
	int64_t shortfall = pages - avail;

	format_pagesize(p->page_kib, ps, sizeof(ps));
	fd = findings_add(c->out, "pool-short", CHECK_ERROR,
			  "VM %s needs %s of %s pages (%lld pages)%s%s; %s%s has %lld free",
			  dd->name, psz(need_kib, b1, sizeof(b1)), psz(p->page_kib, b2, sizeof(b2)),
			  (long long)pages, ns ? (many ? " on nodes " : " on node ") : "",
			  ns ? ns : "", ns ? (many ? "nodes " : "node ") : "the host", ns ? ns : "",
			  (long long)avail);
	if (ns)
		finding_evidence(fd, dd->file, "memory %s, %s pages, numatune %s nodeset %s", b1,
				 ps, p->mode, ns);
	else
		finding_evidence(fd, dd->file, "memory %s, %s pages", b1, ps);
	if (ns) {
		int n;

		cpuset_foreach (n, &p->host) {
			const struct pool *np =
				node_find_pool(model_find_node(&c->m, n), p->page_kib);

			AUTOFREE char *f = xasprintf(NODE_DIR "/node%d/hugepages/hugepages-%llukB/"
							      "free_hugepages",
						     n, (unsigned long long)p->page_kib);

			finding_evidence(fd, f, "%lld (of nr_hugepages %lld)",
					 (long long)(np ? np->free : 0),
					 (long long)(np ? np->total : 0));
		}
	} else {
		const struct pool *g = model_find_pool(&c->m, p->page_kib);
		int64_t total = g && g->total > 0 ? g->total : 0;

		AUTOFREE char *f = xasprintf(HP_DIR "/hugepages-%llukB/free_hugepages",
					     (unsigned long long)p->page_kib);

		finding_evidence(fd, f, "%lld (of nr_hugepages %lld)", (long long)avail,
				 (long long)total);
	}
	demand_fix(dd, p, shortfall, ns, fd);
}

static void demand_one(struct check_ctx *c, const struct domain_demand *dd, size_t j)
{
	const struct domain_part *p = &dd->parts[j];
	uint64_t need_kib = 0;
	int64_t pages, avail, first_total = -1;
	int missing = -1;

	for (size_t k = 0; k < j; k++)
		if (same_key(&dd->parts[k], p))
			return; /* counted with the earlier part */
	for (size_t k = j; k < dd->nparts; k++)
		if (same_key(&dd->parts[k], p))
			need_kib = sat_add_u64(need_kib, dd->parts[k].size_kib);
	if (part_bound(p)) {
		avail = nodes_free(&c->m, &p->host, p->page_kib, &missing, &first_total);
		if (missing >= 0) {
			demand_missing_node(c, dd, p, missing);
			return;
		}
	} else {
		avail = pool_pages(&c->m, p->page_kib, true);
		if (avail < 0)
			avail = 0;
	}
	if (!p->page_kib || dd->running)
		return;
	pages = (int64_t)((need_kib + p->page_kib - 1) / p->page_kib);
	if (pages > avail)
		demand_short(c, dd, p, need_kib, pages, avail, first_total);
}

/* The x86 CPU flags rule the size out (the cpu-pagesize check reports it). */
static bool cpu_says_no(const struct check_ctx *c, uint64_t kib)
{
	return (kib == PAGE_2M_KIB || kib == PAGE_1G_KIB) && c->m.ncpu_page_sizes &&
	       !model_cpu_supports(&c->m, kib);
}

void check_pools_demand(struct check_ctx *c)
{
	if (!c->ndoms && !c->bad_domains) {
		struct finding *fd = findings_add(
			c->out, "pools-demand", CHECK_NOT_CHECKED,
			"whether the pools hold what the VMs need: no libvirt domain is defined "
			"in /etc/libvirt/qemu (VMs started another way are not known here)");

		finding_evidence(fd, "/etc/libvirt/qemu", "no *.xml");
		return;
	}
	for (size_t i = 0; i < c->ndoms; i++) {
		const struct domain_demand *dd = &c->doms[i];

		for (size_t j = 0; j < dd->nparts; j++) {
			const struct domain_part *p = &dd->parts[j];
			char b[32];

			if (p->page_kib && !has_pool(&c->m, p->page_kib)) {
				struct finding *fd;

				if (cpu_says_no(c, p->page_kib))
					continue; /* cpu-pagesize says why */
				fd = findings_add(c->out, "pool-missing-size", CHECK_ERROR,
						  "VM %s asks for %s pages, a size this kernel "
						  "offers no pool for",
						  dd->name, psz(p->page_kib, b, sizeof(b)));
				finding_evidence(fd, dd->file, "page size %llu KiB",
						 (unsigned long long)p->page_kib);
				finding_evidence(fd, HP_DIR, "no hugepages-%llukB directory",
						 (unsigned long long)p->page_kib);
				finding_fix(fd,
					    "use a size the host has (ls %s), or add "
					    "hugepagesz=<size> to the kernel command line",
					    HP_DIR);
				break;
			}
			if (!cpu_says_no(c, p->page_kib))
				demand_one(c, dd, j);
		}
	}
}
