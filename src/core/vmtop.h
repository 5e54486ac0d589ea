/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-VM view of 'kvmtune top': a sample is stat's view of the QEMU
 * processes (memory per node and page size, vCPU threads and where they
 * ran, locality: core/procstat.c) with their KVM counters and the time;
 * rows compare two samples (rates of KVM exits by reason, memory that
 * changed node, vCPUs that changed node) or, for the first sample, give
 * the rates since each VM started.
 */
#ifndef KVMTUNE_CORE_VMTOP_H
#define KVMTUNE_CORE_VMTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kvmstat.h"
#include "core/procstat.h"

struct diag;
struct host;
struct host_model;

struct vmtop_sample {
	double uptime_s; /* /proc/uptime when sampled, -1 unknown */
	struct procstat ps;
	double *start_s; /* per process: start, seconds after boot; -1 unknown */
	struct kvmstat ks;
};

/*
 * Read one sample: every QEMU process (cgroup numa_stat fast path unless
 * no_cgroup) and the KVM statistics.  ret must be zeroed; release with
 * vmtop_sample_release().
 */
int vmtop_sample(struct host *h, const struct host_model *m, bool no_cgroup,
		 struct vmtop_sample *ret, struct diag *d);
void vmtop_sample_release(struct vmtop_sample *s);

struct vmtop_row {
	const struct procstat_proc *p; /* into the current sample */
	double locality;	       /* procstat_locality(), -1 unknown */
	bool kvm;		       /* the process has KVM counters */
	bool since_start;	       /* rates since the VM started (no earlier sample) */
	double interval_s;	       /* what the rates are over; <= 0: no rates */
	double rate[KVMSTAT_COUNT_];   /* events per second; gauges: the current level */
	double exits_per_s;	       /* all exits per second, -1 unknown */
	int64_t moved_kib; /* memory that changed node since the last sample, -1 unknown */
	int vcpu_moves;	   /* vCPU threads now on another node, -1 unknown */
};

enum vmtop_order {
	VMTOP_ORDER_MEM,      /* total memory, largest first */
	VMTOP_ORDER_LOCALITY, /* locality, worst first */
	VMTOP_ORDER_EXITS,    /* exits per second, most first */
};

/* Parse "mem", "locality" or "exits"; -EINVAL otherwise. */
int vmtop_order_parse(const char *text, enum vmtop_order *ret);

/*
 * The rows of cur (prev: the sample before, or NULL), sorted by order
 * (ties by PID).  Caller frees *ret_rows; they point into cur.
 */
void vmtop_rows(const struct vmtop_sample *prev, const struct vmtop_sample *cur,
		enum vmtop_order order, struct vmtop_row **ret_rows, size_t *ret_n);

/*
 * Memory that changed node between two per-node accounts of one process:
 * (sum over nodes of |change| - |change of the total|) / 2, a lower bound
 * (a page that left and one that came in on the same node cancel out).
 */
uint64_t vmtop_moved_kib(const struct numamaps_usage *before, const struct numamaps_usage *after);

#endif
