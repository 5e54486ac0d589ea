/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One tick's decision, pure: from the VMs seen (memory per node and page
 * size, where their threads may run) and the planner's host, which one VM
 * to move where, and why each other VM stays.  Hysteresis: a VM whose
 * threads are confined to a node set holding at least min_locality_pct of its
 * memory is settled; a VM moved recently cools down; one move at a time.
 * Never a VM the admin pinned (threads narrowed to CPUs that are not a whole
 * node set, a bind memory policy, or memory nodes narrowed (a cgroup's
 * cpuset.mems, libvirt's strict numatune) so that its memory cannot follow its
 * CPUs: a free VM needs every node, a VM confined to whole nodes needs those),
 * never a move the target cannot hold
 * after its keep-free guard (the planner's fit).
 */
#ifndef KVMTUNE_DAEMON_RECONCILE_H
#define KVMTUNE_DAEMON_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"

struct daemon_config;
struct place_host;

#define RC_NAME_MAX 64

enum rc_verdict {
	RC_SMALL,   /* below min_mem */
	RC_PINNED,  /* the admin pinned it: left alone */
	RC_COOLING, /* moved recently */
	RC_SETTLED, /* local enough */
	RC_NO_FIT,  /* no node set can hold it */
	RC_WAITING, /* needs a move, another VM goes first */
	RC_MOVE,    /* the one chosen this tick */
};

struct rc_vm {
	int pid;
	char name[RC_NAME_MAX + 1];
	unsigned vcpus;	    /* vCPU threads (other processes: 1) */
	uint64_t page_kib;  /* page size of most of its memory (0: normal) */
	uint64_t total_kib; /* memory of that page size */
	uint64_t rss_kib;   /* QEMU: resident plus hugetlb (status), for the KSM governor; else 0 */
	uint64_t *node_kib; /* that memory per node index of the place_host */
	struct cpuset allowed; /* CPUs its threads may run on (union) */
	struct cpuset mems;    /* memory nodes it may use (cpuset.mems; empty: not known) */
	bool narrowed_vcpu;    /* a vCPU thread's affinity differs from the others' */
	bool bind_policy;      /* memory with an explicit bind/preferred policy */
	bool cooling;	       /* moved less than cooldown_s ago */
	double cpu_use;	       /* CPUs its threads used since the last tick (< 0: not known) */
	/* decided */
	unsigned local_pct; /* share on its node set (free VMs: its best single node) */
	enum rc_verdict verdict;
	char why[200];
};

struct rc_move {
	size_t vm; /* index into the VMs */
	size_t nnodes;
	int nodes[8];	     /* target kernel nodes */
	struct cpuset cpus;  /* their CPUs: the new affinity */
	bool set_affinity;   /* false when its threads are already confined there */
	uint64_t move_kib;   /* memory off the target set */
	uint64_t grow_pages; /* hugepages the target pool must grow by */
	char reason[256];
};

/*
 * Decide one tick: fills each VM's verdict and why, and ret for the one VM
 * to move (returns true), or false when none needs one.  h is the planner's
 * host with every VM counted where its memory is.
 */
bool rc_decide(const struct place_host *h, const struct daemon_config *cfg, struct rc_vm *vms,
	       size_t nvms, struct rc_move *ret);

const char *rc_verdict_name(enum rc_verdict v);
void rc_vm_release(struct rc_vm *v);

#endif
