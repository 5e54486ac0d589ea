/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One tick's decision (pure): which VM to move where, and why the others stay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmspec.h"
#include "daemon/config.h"
#include "daemon/reconcile.h"
#include "place/host.h"
#include "place/request.h"
#include "place/solve.h"
#include "util/cleanup.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

const char *rc_verdict_name(enum rc_verdict v)
{
	static const char *const names[] = {"small",  "pinned",	 "cooling", "settled",
					    "no fit", "waiting", "move"};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

void rc_vm_release(struct rc_vm *v)
{
	free(v->node_kib);
	v->node_kib = NULL;
	cpuset_release(&v->allowed);
	cpuset_release(&v->mems);
}

/* Whether v's memory nodes hold the nodes it may need: every node (free), or those of idx. */
static bool mems_follow(const struct place_host *h, const struct rc_vm *v, const size_t *idx,
			size_t n, bool free_vm)
{
	if (cpuset_empty(&v->mems))
		return true;
	for (size_t i = 0; i < (free_vm ? h->nnodes : n); i++) {
		int node = h->nodes[free_vm ? i : idx[i]].node;

		if (node >= 0 && !cpuset_isset(&v->mems, (unsigned)node))
			return false;
	}
	return true;
}

/*
 * The node indexes whose CPUs make up allowed exactly: returns their count
 * (*ret_free when that is every node with CPUs, of several), or 0 when
 * allowed is not a union of whole nodes (an explicit pin).
 */
static size_t confined_nodes(const struct place_host *h, const struct cpuset *allowed, size_t *idx,
			     bool *ret_free)
{
	struct cpuset all = {0}, part = {0};
	size_t n = 0, ncpu_nodes = 0;
	bool whole = true;

	for (size_t i = 0; i < h->nnodes; i++) {
		const struct cpuset *c = &h->nodes[i].cpus;

		if (cpuset_empty(c))
			continue;
		ncpu_nodes++;
		cpuset_or(&all, c);
		cpuset_copy(&part, c);
		cpuset_and(&part, allowed);
		if (cpuset_equal(&part, c)) {
			if (n < PLACE_MAX_SPAN)
				idx[n] = i;
			n++;
		} else if (!cpuset_empty(&part)) {
			whole = false;
		}
	}
	cpuset_copy(&part, allowed);
	cpuset_and(&part, &all);
	*ret_free = n == ncpu_nodes && ncpu_nodes > 1; /* free to run anywhere */
	if (*ret_free)
		n = ncpu_nodes;
	else if (!whole || n == 0 || n > PLACE_MAX_SPAN || cpuset_empty(&part))
		n = 0;
	cpuset_release(&all);
	cpuset_release(&part);
	return n;
}

static uint64_t kib_on(const struct rc_vm *v, const size_t *idx, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v->node_kib[idx[i]];
	return sum;
}

static void set_target(const struct place_host *h, const struct rc_vm *v, const size_t *idx,
		       size_t n, bool affinity, struct rc_move *m)
{
	cpuset_clear(&m->cpus);
	m->nnodes = n;
	m->set_affinity = affinity;
	m->grow_pages = 0;
	m->move_kib = v->total_kib - kib_on(v, idx, n);
	for (size_t i = 0; i < n; i++) {
		const struct place_node *pn = &h->nodes[idx[i]];

		m->nodes[i] = pn->node;
		cpuset_or(&m->cpus, &pn->cpus);
	}
	if (v->page_kib != VM_PAGE_NORMAL && n == 1) {
		const struct place_pool *p = place_node_pool_c(&h->nodes[idx[0]], v->page_kib);
		uint64_t need = m->move_kib / v->page_kib;
		uint64_t have = p && p->free_pages > 0 ? (uint64_t)p->free_pages : 0;

		m->grow_pages = need > have ? need - have : 0;
	}
}

/* Whether the node set can take the memory missing there (after its keep-free guard). */
static bool room_for(const struct place_host *h, const struct rc_vm *v, const size_t *idx, size_t n,
		     uint64_t move_kib)
{
	int64_t room = 0;

	for (size_t i = 0; i < n; i++) {
		const struct place_node *pn = &h->nodes[idx[i]];
		const struct place_pool *p = place_node_pool_c(pn, v->page_kib);

		if (v->page_kib == VM_PAGE_NORMAL) {
			room += pn->mem_kib;
		} else if (p) {
			room += p->free_pages * (int64_t)v->page_kib;
			if (p->per_node)
				room += pn->mem_kib / (int64_t)v->page_kib * (int64_t)v->page_kib;
		}
	}
	return room >= 0 && (uint64_t)room >= move_kib;
}

/*
 * The CPUs of each node index that VMs confined to CPUs there use (a pinned
 * VM's or one placed before): its use shared by its allowed CPUs' nodes.  A
 * free VM's use is not counted anywhere: it may run anywhere, and is itself
 * the one to place.
 */
static void cpu_committed(const struct place_host *h, const struct rc_vm *vms, size_t nvms,
			  double *used)
{
	struct cpuset all = {0}, part = {0};

	for (size_t i = 0; i < h->nnodes; i++) {
		used[i] = 0;
		cpuset_or(&all, &h->nodes[i].cpus);
	}
	for (size_t k = 0; k < nvms; k++) {
		const struct rc_vm *v = &vms[k];
		unsigned n;

		cpuset_copy(&part, &v->allowed);
		cpuset_and(&part, &all);
		n = cpuset_count(&part);
		if (v->cpu_use <= 0 || n == 0 || cpuset_equal(&part, &all))
			continue;
		for (size_t i = 0; i < h->nnodes; i++) {
			cpuset_copy(&part, &v->allowed);
			cpuset_and(&part, &h->nodes[i].cpus);
			used[i] += v->cpu_use * (double)cpuset_count(&part) / (double)n;
		}
	}
	cpuset_release(&all);
	cpuset_release(&part);
}

/* CPUs v would lack on the node set (its use shared evenly), beyond a tolerance: 0 when it fits. */
#define RC_CPU_SLACK 0.1
static double cpu_over(const struct place_host *h, const double *used, const struct rc_vm *v,
		       const size_t *idx, size_t n)
{
	double worst = 0;

	for (size_t i = 0; v->cpu_use > 0 && i < n; i++) {
		double over = used[idx[i]] + v->cpu_use / (double)n -
			      (double)cpuset_count(&h->nodes[idx[i]].cpus) - RC_CPU_SLACK;

		if (over > worst)
			worst = over;
	}
	return worst;
}

/*
 * A VM free to run anywhere: the planner's best node set where its threads
 * have CPU time to spare (used: what other VMs use of each node's CPUs),
 * then where most of its memory already is.
 */
static bool place_free_vm(const struct place_host *h, const double *used, const struct rc_vm *v,
			  struct rc_move *m)
{
	struct place_opts o = {.grow_pools = true};
	struct place_state s = {0};
	struct place_candidate *c = NULL;
	struct place_req r;
	size_t nc = 0, best = SIZE_MAX, maxcpu = 1;
	uint64_t best_kib = 0;
	double best_over = 0;
	bool ok = false;

	place_req_init(&r);
	snprintf(r.name, sizeof(r.name), "%s", v->name);
	r.pin = PLACE_PIN_SHARED;
	r.page_kib = v->page_kib;
	for (size_t i = 0; i < h->nnodes; i++)
		if (cpuset_count(&h->nodes[i].cpus) > maxcpu)
			maxcpu = cpuset_count(&h->nodes[i].cpus);
	/* its vCPUs, at most a node's CPUs (vCPUs may share them), unless it keeps more
	 * CPUs than a node has busy: then as many as it keeps busy, over several nodes */
	r.vcpus = v->vcpus < maxcpu ? (v->vcpus ? v->vcpus : 1) : (unsigned)maxcpu;
	if (v->vcpus > maxcpu && v->cpu_use - RC_CPU_SLACK > (double)maxcpu) {
		double busy = v->cpu_use - RC_CPU_SLACK;

		r.vcpus = busy >= (double)v->vcpus ? v->vcpus : (unsigned)busy + 1;
	}
	r.mem_kib = v->total_kib;
	if (v->page_kib != VM_PAGE_NORMAL && r.mem_kib % v->page_kib)
		r.mem_kib += v->page_kib - r.mem_kib % v->page_kib;
	if (r.mem_kib == 0)
		r.mem_kib = v->page_kib ? v->page_kib : 4;
	if (place_req_resolve(&r, h, NULL) < 0)
		return false;
	place_state_init(&s, h);
	for (size_t i = 0; i < h->nnodes; i++) { /* give back what the VM holds */
		if (v->page_kib == VM_PAGE_NORMAL) {
			s.n[i].mem_kib += (int64_t)v->node_kib[i];
			continue;
		}
		for (size_t k = 0; k < h->nodes[i].npools; k++)
			if (h->nodes[i].pools[k].size_kib == v->page_kib)
				s.n[i].pool_free[k] += (int64_t)(v->node_kib[i] / v->page_kib);
	}
	place_one(h, &s, &r, &o, &c, &nc);
	/* no node holds it alone; its threads can still all run on a node set that
	 * does: the smallest (the planner gives each node of a VM's set a vCPU, so
	 * a set of k nodes is asked for with k) */
	for (unsigned k = r.vcpus + 1;
	     (nc == 0 || !c[0].fits) && k <= h->nnodes && k <= PLACE_MAX_SPAN; k++) {
		r.vcpus = k;
		free(c);
		c = NULL;
		nc = 0;
		if (place_req_resolve(&r, h, NULL) >= 0)
			place_one(h, &s, &r, &o, &c, &nc);
	}
	for (size_t i = 0; i < nc && c[i].fits; i++) {
		uint64_t kib;
		double over;

		if (c[i].choice.nnodes != c[0].choice.nnodes)
			break;
		kib = kib_on(v, c[i].choice.nodes, c[i].choice.nnodes);
		over = cpu_over(h, used, v, c[i].choice.nodes, c[i].choice.nnodes);
		if (best == SIZE_MAX || over < best_over || (over <= best_over && kib > best_kib)) {
			best = i;
			best_kib = kib;
			best_over = over;
		}
	}
	if (best != SIZE_MAX) {
		set_target(h, v, c[best].choice.nodes, c[best].choice.nnodes, true, m);
		ok = true;
	}
	free(c);
	place_state_release(&s);
	return ok;
}

static void nodes_text(const struct rc_move *m, char *buf, size_t bufsz)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->nnodes && off < bufsz; i++)
		off += (size_t)snprintf(buf + off, bufsz - off, "%s%d", i ? "," : "", m->nodes[i]);
}

/* "; it uses 1.0 CPUs, other VMs 0.2 of node 1's 2" when its use is known, else "". */
static const char *cpu_text(const struct place_host *h, const double *used, const struct rc_vm *v,
			    const struct rc_move *m, char *buf, size_t bufsz)
{
	double others = 0;
	unsigned ncpu = 0;

	if (v->cpu_use < 0)
		return "";
	for (size_t i = 0; i < h->nnodes; i++)
		for (size_t j = 0; j < m->nnodes; j++)
			if (h->nodes[i].node == m->nodes[j]) {
				others += used[i];
				ncpu += cpuset_count(&h->nodes[i].cpus);
			}
	snprintf(buf, bufsz, "; it uses %.1f CPUs, other VMs %.1f of the %u there", v->cpu_use,
		 others, ncpu);
	return buf;
}

/* A VM that needs a move but was moved recently waits (hysteresis). */
static bool cooling(const struct daemon_config *cfg, struct rc_vm *v)
{
	if (!v->cooling)
		return false;
	v->verdict = RC_COOLING;
	snprintf(v->why, sizeof(v->why), "moved less than %u s ago", cfg->cooldown_s);
	return true;
}

/* Classify one VM; true (with m filled) when it needs a move. */
static bool judge(const struct place_host *h, const struct daemon_config *cfg, const double *used,
		  struct rc_vm *v, struct rc_move *m)
{
	size_t idx[PLACE_MAX_SPAN], n;
	char sz[32], nodes[64], cpus[96];
	bool free_vm = false;

	v->local_pct = 0;
	for (size_t i = 0; i < h->nnodes && v->total_kib; i++)
		if (v->node_kib[i] * 100 / v->total_kib > v->local_pct)
			v->local_pct = (unsigned)(v->node_kib[i] * 100 / v->total_kib);
	if (v->total_kib < cfg->min_mem_kib) {
		v->verdict = RC_SMALL;
		snprintf(v->why, sizeof(v->why), "%s, below min_mem",
			 format_size_kib(v->total_kib, sz, sizeof(sz)));
		return false;
	}
	n = confined_nodes(h, &v->allowed, idx, &free_vm);
	if (n == 0 || v->narrowed_vcpu || v->bind_policy || !mems_follow(h, v, idx, n, free_vm)) {
		v->verdict = RC_PINNED;
		snprintf(v->why, sizeof(v->why), "pinned by its owner (%s): left alone",
			 v->bind_policy				    ? "memory policy"
			 : n && !mems_follow(h, v, idx, n, free_vm) ? "memory nodes"
								    : "CPU affinity");
		return false;
	}
	if (!free_vm) { /* confined to whole nodes: bring its memory there */
		uint64_t on = kib_on(v, idx, n);

		v->local_pct = v->total_kib ? (unsigned)(on * 100 / v->total_kib) : 100;

		set_target(h, v, idx, n, false, m);
		nodes_text(m, nodes, sizeof(nodes));
		if (v->total_kib == 0 ||
		    on * 100 >= (uint64_t)cfg->min_locality_pct * v->total_kib) {
			v->verdict = RC_SETTLED;
			snprintf(v->why, sizeof(v->why), "%.0f %% of its memory on node %s",
				 v->total_kib ? 100.0 * (double)on / (double)v->total_kib : 100.0,
				 nodes);
			return false;
		}
		if (cooling(cfg, v))
			return false;
		if (!room_for(h, v, idx, n, m->move_kib)) {
			v->verdict = RC_NO_FIT;
			snprintf(v->why, sizeof(v->why),
				 "node %s cannot take %s more without going below keep-free", nodes,
				 format_size_kib(m->move_kib, sz, sizeof(sz)));
			return false;
		}
		snprintf(m->reason, sizeof(m->reason),
			 "its threads run on node %s but %.0f %% of its memory is elsewhere", nodes,
			 100.0 - 100.0 * (double)on / (double)v->total_kib);
		return true;
	}
	if (cooling(cfg, v))
		return false;
	if (!place_free_vm(h, used, v, m)) {
		v->verdict = RC_NO_FIT;
		snprintf(v->why, sizeof(v->why), "no node set can hold it after keep-free");
		return false;
	}
	nodes_text(m, nodes, sizeof(nodes));
	snprintf(m->reason, sizeof(m->reason),
		 "its threads may run anywhere: node %s fits it best and holds %.0f %% of its "
		 "memory%s",
		 nodes,
		 v->total_kib ? 100.0 - 100.0 * (double)m->move_kib / (double)v->total_kib : 100.0,
		 cpu_text(h, used, v, m, cpus, sizeof(cpus)));
	return true;
}

/*
 * Which move goes first: the least memory to move per CPU the VM uses (Smith's
 * rule: the remote accesses waiting are its memory still away times how busy
 * it is).  A VM needing only its affinity is placed at once; among VMs alike
 * the least to move; a busy VM before an idle one unless the idle one's move is
 * twenty times smaller.  Not known: as busy as one CPU.
 */
static double move_order(const struct rc_vm *v, const struct rc_move *m)
{
	double weight = v->cpu_use < 0 ? 1.0 : v->cpu_use < 0.05 ? 0.05 : v->cpu_use;

	return (double)m->move_kib / weight;
}

bool rc_decide(const struct place_host *h, const struct daemon_config *cfg, struct rc_vm *vms,
	       size_t nvms, struct rc_move *ret)
{
	struct rc_move m = {0};
	size_t chosen = SIZE_MAX;
	AUTOFREE double *used = xcalloc(h->nnodes ? h->nnodes : 1, sizeof(*used));

	double best = 0;

	cpu_committed(h, vms, nvms, used);
	for (size_t i = 0; i < nvms; i++) {
		double order;

		if (!judge(h, cfg, used, &vms[i], &m))
			continue;
		/* by move_order, then the largest; the others wait */
		order = move_order(&vms[i], &m);
		if (chosen == SIZE_MAX || order < best ||
		    (order <= best && vms[i].total_kib > vms[chosen].total_kib)) {
			best = order;
			if (chosen != SIZE_MAX) {
				vms[chosen].verdict = RC_WAITING;
				snprintf(vms[chosen].why, sizeof(vms[chosen].why),
					 "needs a move; one VM at a time");
				cpuset_release(&ret->cpus);
			}
			chosen = i;
			*ret = m;
			m = (struct rc_move){0};
			ret->vm = i;
			vms[i].verdict = RC_MOVE;
			snprintf(vms[i].why, sizeof(vms[i].why), "%s", ret->reason);
		} else {
			vms[i].verdict = RC_WAITING;
			snprintf(vms[i].why, sizeof(vms[i].why), "needs a move; one VM at a time");
		}
	}
	cpuset_release(&m.cpus);
	return chosen != SIZE_MAX;
}
