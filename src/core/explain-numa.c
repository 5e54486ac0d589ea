/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The explanations behind `kvmtune explain` for NUMA placement: host-nodes,
 * memory policy (mbind, set_mempolicy, libnuma, cpuset.mems) and libvirt's
 * page, nodeset and numad errors, with the host's nodes read now.
 */
#include <stdio.h>
#include <string.h>

#include "core/check.h"
#include "core/cpuset.h"
#include "core/explain-internal.h"
#include "core/explain.h"
#include "core/host.h"
#include "util/cleanup.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* ---- host nodes and memory policy ---- */

/* "3 (does not exist)" or "2 (no memory)" for each bad node of set into sb. */
static bool bad_nodes(struct explain_ctx *c, const struct cpuset *set, struct sbuf *sb)
{
	bool any = false;
	int n;

	cpuset_foreach (n, set) {
		const struct numa_node *node = model_find_node(&c->m, n);

		if (node && node->mem_total_kib != 0)
			continue;
		sbuf_addf(sb, "%snode %d %s", any ? ", " : "", n,
			  node ? "has no memory" : "does not exist here");
		any = true;
	}
	return any;
}

void explain_bind(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		  const char *after)
{
	struct cpuset nodes = CPUSET_INIT;
	struct sbuf bad = SBUF_INIT;
	struct sbuf good = SBUF_INIT;
	AUTOFREE char *quote = NULL;
	AUTOFREE char *num = NULL;
	bool invalid = strcmp(r->id, "host-nodes-invalid") == 0;
	bool numactl = strcmp(r->id, "memory-policy") == 0;
	bool known;
	const char *e = NULL;
	struct finding *fd;

	if (invalid || numactl) {
		num = explain_token(after, " ", 12);
		if (!*num || strspn(num, "0123456789") != strlen(num))
			return;
		quote = numactl ? xasprintf("libnuma: Warning: node argument %s is out of range",
					    num)
				: xasprintf("Invalid host-nodes value: %s", num);
		known = cpuset_parse_list(num, &nodes, NULL) == 0;
	} else {
		e = strncmp(after, ": ", 2) == 0 ? explain_errno_at(after + 2) : NULL;
		quote = xasprintf("cannot bind memory to host NUMA nodes%s%s", e ? ": " : "",
				  e ? e : "");
		known = explain_log_host_nodes(c, &nodes);
	}
	if (c->have_model)
		explain_nodes_text(c, &good, true);
	if (invalid && known && cpuset_last(&nodes) >= 128)
		fd = explain_add(
			c, r->id, quote,
			"QEMU takes host node numbers below 128 (its MAX_NODES), and %s is "
			"not; nodes with memory here: %s",
			num, c->have_model ? good.buf : "(host not read)");
	else if (known && c->have_model && bad_nodes(c, &nodes, &bad))
		fd = explain_add(c, r->id, quote,
				 "%s: memory can only be bound to nodes with memory: %s", bad.buf,
				 good.buf);
	else
		fd = explain_add(
			c, r->id, quote,
			"%s names a host node that does not exist, has no memory, or is "
			"outside the cpuset.mems of QEMU's cgroup; nodes with memory here: "
			"%s",
			numactl ? "the node list" : "host-nodes",
			c->have_model ? good.buf : "(host not read)");
	if (fd) {
		explain_ev_nodes(c, fd);
		finding_fix(fd,
			    "bind to nodes that have memory: host-nodes=%s (libvirt: virsh "
			    "numatune VM --config --nodeset %s, or <numatune><memory "
			    "nodeset='%s'/>)",
			    good.len ? good.buf : "0", good.len ? good.buf : "0",
			    good.len ? good.buf : "0");
	}
	sbuf_release(&bad);
	sbuf_release(&good);
	cpuset_release(&nodes);
}

void explain_policy_nodes(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			  const char *after)
{
	AUTOFREE char *policy = explain_token(after, " ,.", 16);
	AUTOFREE char *quote = xasprintf("host-nodes must be set for policy %s", policy);
	struct sbuf good = SBUF_INIT;
	struct finding *fd;

	if (c->have_model)
		explain_nodes_text(c, &good, true);
	fd = explain_add(c, r->id, quote,
			 "the memory backend has policy=%s but no host-nodes: the policy needs "
			 "the nodes it applies to",
			 policy);
	if (fd) {
		explain_ev_nodes(c, fd);
		finding_fix(fd,
			    "add host-nodes=%s,policy=%s to the -object memory-backend-... "
			    "argument, or drop policy=",
			    good.len ? good.buf : "0", policy);
	}
	sbuf_release(&good);
}

void explain_mpol(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		  const char *after)
{
	const char *e = explain_errno_at(after);
	AUTOFREE char *quote = NULL;
	struct sbuf good = SBUF_INIT;
	struct finding *fd;

	if (!e)
		return;
	quote = xasprintf("%.*s%s", (int)(after - at), at, e);
	if (c->have_model)
		explain_nodes_text(c, &good, true);
	fd = explain_add(c, r->id, quote, "a memory policy call failed: %s",
			 strcmp(e, "Invalid argument") == 0
				 ? "the node mask names a node that does not exist, has no memory, "
				   "or is outside the process's cpuset.mems"
				 : "the bound nodes had no free memory of the kind asked for");
	if (fd) {
		explain_ev_nodes(c, fd);
		explain_ev_pools(c, fd, 0);
		finding_fix(fd, "bind to nodes with memory (here: %s) and grow their pools",
			    good.len ? good.buf : "none found");
	}
	sbuf_release(&good);
}

void explain_cpuset_mems(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			 const char *after)
{
	const char *p = strstr(after, ": ");
	const char *e = NULL;
	AUTOFREE char *quote = NULL;
	AUTOFREE char *eff = NULL;
	struct sbuf good = SBUF_INIT;
	struct finding *fd;

	for (; p && p - after < 200 && !e; p = strstr(p + 1, ": "))
		e = explain_errno_at(p + 2);
	if (!e)
		return;
	p = strstr(after, e);
	quote = xasprintf("%.*s%s", (int)(p - at), at, e);
	if (c->have_model)
		explain_nodes_text(c, &good, true);
	fd = explain_add(c, r->id, quote, "libvirt could not set the VM cgroup's cpuset.mems: %s",
			 strcmp(e, "Invalid argument") == 0
				 ? "the nodeset names nodes that do not exist, have no memory, or "
				   "that the parent cgroup does not allow"
				 : "the change was refused while the VM's memory was in use");
	if (!fd) {
		sbuf_release(&good);
		return;
	}
	explain_ev_nodes(c, fd);
	if (c->h && host_read(c->h, "/sys/fs/cgroup/cpuset.mems.effective", &eff, NULL, NULL) == 0)
		finding_evidence(fd, "/sys/fs/cgroup/cpuset.mems.effective", "%.*s",
				 (int)strcspn(eff, "\n"), eff);
	finding_fix(fd, "use a <numatune> nodeset within %s",
		    good.len ? good.buf : "the host's nodes");
	sbuf_release(&good);
}

/* ---- libvirt ---- */

void explain_lv_cell(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		     const char *after)
{
	AUTOFREE char *num = explain_token(after, " ", 12);
	AUTOFREE char *quote = NULL;
	struct finding *fd;

	if (!*num || strspn(num, "0123456789") != strlen(num) ||
	    strncmp(after + strlen(num), " not found", 10) != 0)
		return;
	quote = xasprintf("hugepages: node %s not found", num);
	fd = explain_add(
		c, r->id, quote,
		"<hugepages><page nodeset='...'> names guest NUMA cell %s, which the "
		"domain does not define: page nodesets count guest cells (<cpu><numa><cell "
		"id>), not host nodes",
		num);
	if (fd) {
		finding_fix(fd,
			    "drop %s from the <page nodeset>, or define <cell id='%s'> under "
			    "<cpu><numa> (virsh edit VM)",
			    num, num);
		finding_fix(fd,
			    "to place memory on host node %s use <numatune><memory "
			    "nodeset='%s'/>",
			    num, num);
	}
}

void explain_lv_unavailable(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			    const char *after)
{
	const char *p = at;
	AUTOFREE char *quote = NULL;
	struct sbuf good = SBUF_INIT;
	struct finding *fd;
	int node;

	/* "NUMA node %d is unavailable": the number precedes the anchor. */
	if (p - c->text < 12 || p[-1] != ' ')
		return;
	p -= 2;
	while (p > c->text && *p >= '0' && *p <= '9')
		p--;
	if (p - c->text < 9 || *p != ' ' || strncmp(p - 9, "NUMA node", 9) != 0)
		return;
	AUTOFREE char *num = xstrndup(p + 1, (size_t)(at - 1 - (p + 1)));

	if (parse_int(num, &node) < 0)
		return;
	quote = xasprintf("NUMA node %d is unavailable", node);
	if (c->have_model)
		explain_nodes_text(c, &good, true);
	fd = explain_add(c, r->id, quote,
			 "<numatune> names host node %d, which %s; nodes with memory here: %s",
			 node,
			 !c->have_model			? "this host may not have"
			 : model_find_node(&c->m, node) ? "has no memory on this host"
							: "this host does not have",
			 c->have_model ? good.buf : "(host not read)");
	if (fd) {
		explain_ev_nodes(c, fd);
		finding_fix(fd,
			    "virsh numatune VM --config --nodeset %s (or edit <numatune> and "
			    "<memnode> with virsh edit VM)",
			    good.len ? good.buf : "0");
	}
	sbuf_release(&good);
}

void explain_lv_two_master(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			   const char *after)
{
	AUTOFREE char *a = explain_token(after, " ", 20);
	AUTOFREE char *b = NULL;
	AUTOFREE char *quote = NULL;
	const char *p = after + strlen(a);
	struct finding *fd;

	if (strncmp(p, " and ", 5) != 0)
		return;
	b = explain_token(p + 5, " ", 20);
	quote = xasprintf("two master hugepages detected: %s and %s", a, b);
	fd = explain_add(c, r->id, quote,
			 "two page sizes (%s and %s KiB) apply to the whole domain: more than one "
			 "<page> without nodeset, or one that covers every guest cell",
			 a, b);
	if (fd)
		finding_fix(fd, "keep one <page> without nodeset (the default size); give the "
				"others a nodeset of guest cells that leaves some cell out");
}

void explain_lv_simple(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		       const char *after)
{
	AUTOFREE char *quote = NULL;
	AUTOFREE char *val = NULL;
	struct finding *fd;

	if (strcmp(r->id, "libvirt-nodeset-invalid") == 0) {
		val = explain_token(after, " ", 64);
		quote = xasprintf("Invalid value of 'nodeset': %s", val);
		fd = explain_add(c, r->id, quote,
				 "the nodeset '%s' is empty or malformed once exclusions (^N) are "
				 "applied",
				 val);
		if (fd)
			finding_fix(fd, "write the nodes as a list such as '0-1' or '0,2'");
		return;
	}
	quote = xstrndup(at, (size_t)(after - at));
	if (strcmp(r->id, "libvirt-memnode-auto") == 0) {
		fd = explain_add(c, r->id, quote,
				 "<memnode> binds guest cells to host nodes while <memory "
				 "placement='auto'> asks numad to choose the nodes");
		if (fd)
			finding_fix(fd, "drop the <memnode> elements, or use <memory mode='strict' "
					"placement='static' nodeset='...'/>");
		return;
	}
	fd = explain_add(c, r->id, quote,
			 "<numatune><memory placement='static'> needs a nodeset (or the vCPUs' "
			 "placement is 'auto' while numatune is static)");
	if (fd)
		finding_fix(fd, "add nodeset='...' to <numatune><memory>, or use placement='auto' "
				"with numad running");
}

void explain_lv_numad(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		      const char *after)
{
	AUTOFREE char *quote = xstrndup(at, (size_t)(after - at));
	struct finding *fd;

	fd = explain_add(c, r->id, quote, "placement='auto' asks numad for the nodes, and numad %s",
			 !c->have_model	  ? "did not answer"
			 : c->m.numad_pid ? "runs now but did not answer then"
					  : "is not running on this host");
	if (!fd)
		return;
	if (c->have_model)
		finding_evidence(fd, "/proc",
				 c->m.numad_pid ? "numad runs as pid %d" : "no numad process%.0d",
				 c->m.numad_pid);
	finding_fix(fd, "apt-get install numad && numad (or placement='static' with a nodeset)");
}
