/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-process NUMA memory statistics: find processes by PID or pattern
 * through the host seam, account their memory per node (from numa_maps, or
 * from their cgroup's numa_stat files when those account for exactly that
 * process), and, for QEMU processes, the VM name, the vCPU threads, the CPU
 * and node each last ran on, and the locality of the VM's memory.
 */
#ifndef KVMTUNE_CORE_PROCSTAT_H
#define KVMTUNE_CORE_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpuset.h"
#include "core/numamaps.h"

struct cgstat_mounts;
struct diag;
struct host;
struct host_model;

enum procstat_source {
	PROCSTAT_SOURCE_NUMA_MAPS,
	PROCSTAT_SOURCE_CGROUP, /* memory.numa_stat + hugetlb.<size>.numa_stat */
};

struct procstat_vcpu {
	int tid;
	int index;	       /* n of "CPU n/KVM" */
	int cpu;	       /* the CPU it last ran on (stat field 39), -1 if unknown */
	int node;	       /* that CPU's node, -1 if unknown */
	struct cpuset allowed; /* Cpus_allowed_list (PROCSTAT_AFFINITY), else empty */
};

struct procstat_proc {
	int pid;
	char *name;    /* status "Name:" (comm) */
	char *cmdline; /* arguments joined by spaces (read for QEMU only, else NULL) */
	bool qemu;
	char *vm_name; /* -name guest=NAME or -name NAME; NULL if none */
	enum procstat_source source;
	char *cgroup; /* the memory cgroup directory used (CGROUP source), else NULL */
	struct numamaps_usage usage;
	struct procstat_vcpu *vcpus;
	size_t nvcpus;
	/*
	 * CPUs the vCPU threads last ran on, and their nodes; all threads' for
	 * other processes and for a QEMU without named vCPU threads (nvcpus 0)
	 */
	struct cpuset vcpu_cpus;
	struct cpuset vcpu_nodes;
};

struct procstat {
	struct procstat_proc *procs; /* sorted by PID, no duplicates */
	size_t nprocs;
};

enum procstat_flags {
	PROCSTAT_QEMU_ONLY = 1u << 0, /* keep only QEMU processes (--vms) */
	PROCSTAT_CGROUP = 1u << 1,    /* use cgroup numa_stat where it covers just the process */
	PROCSTAT_ALL = 1u << 2,	      /* no selectors: every user process */
	PROCSTAT_THREADS = 1u << 3,   /* also where other processes' threads ran (locality) */
	PROCSTAT_VCPUS = 1u << 4,    /* QEMU: its vCPU threads and where they ran (VM view, JSON) */
	PROCSTAT_AFFINITY = 1u << 5, /* with VCPUS: each vCPU thread's allowed CPUs (its pin) */
};

struct procstat_opts {
	unsigned flags;		   /* enum procstat_flags */
	int self_pid;		   /* skipped when matching patterns (0: none) */
	uint64_t base_page_kib;	   /* page size of lines without kernelpagesize_kB */
	uint64_t default_huge_kib; /* for huge lines without kernelpagesize_kB */
	/* PROCSTAT_CGROUP: the hierarchies (NULL: procstat_collect reads /proc/mounts) */
	const struct cgstat_mounts *cgroups;
};

/*
 * Collect the processes named by selectors (all digits: a PID; otherwise a
 * pattern matched, as numastat does, against "Name cmdline").  Kernel
 * threads, processes that exit while being read and unreadable entries are
 * skipped silently.  A selector that matches nothing fails with -ESRCH and a
 * diag naming it.  m gives the CPU-to-node map (may be NULL).  ret must be
 * zeroed; release it with procstat_release().
 */
int procstat_collect(struct host *h, const struct host_model *m, char *const *selectors,
		     size_t nselectors, const struct procstat_opts *opts, struct procstat *ret,
		     struct diag *d);
void procstat_release(struct procstat *s);

/* Fill one process (exposed for tests); -ENOENT/-ESRCH when it is gone or a kernel thread. */
int procstat_read_proc(struct host *h, const struct host_model *m, int pid,
		       const struct procstat_opts *opts, struct procstat_proc *ret, struct diag *d);
void procstat_proc_release(struct procstat_proc *p);

/*
 * Field number field (1-based, as proc(5) numbers them; 3 or more: those
 * after the command name) of a /proc/PID/stat line.  -EINVAL when absent
 * or not a number.
 */
int procstat_stat_field(const char *stat, int field, int64_t *ret);
/* The first number of /proc/uptime (seconds since boot), -1 when unreadable. */
double procstat_uptime(struct host *h);
/* The VM name in a QEMU argument vector (NUL-separated, len bytes); NULL if none. */
char *procstat_qemu_name(const char *argv, size_t len);
/* Whether comm (or, when given, argv[0]) looks like QEMU's: "qemu*" or "kvm". */
bool procstat_is_qemu(const char *name, const char *argv, size_t len);

/*
 * Share (0..1) of the process's memory on the nodes its vCPUs (other
 * processes: its threads, with PROCSTAT_THREADS) last ran on; -1 when it has
 * no memory or no known node.
 */
double procstat_locality(const struct procstat_proc *p);
/* Total hugepage-backed KiB. */
uint64_t procstat_huge_kib(const struct procstat_proc *p);

/* A node holding at least this share of a VM's memory counts for "spread". */
#define PROCSTAT_SPREAD_MIN_SHARE 0.05
/* Below this locality the vCPUs run "away" from the memory. */
#define PROCSTAT_AWAY_MAX_LOCALITY 0.90

/* What the VM views flag about a process (stat --vms, JSON, Prometheus). */
enum procstat_vm_flags {
	PROCSTAT_VM_SPREAD = 1u << 0,	     /* memory on several nodes (each >= 5 %) */
	PROCSTAT_VM_VCPUS_AWAY = 1u << 1,    /* locality below 90 % */
	PROCSTAT_VM_NO_HUGEPAGES = 1u << 2,  /* no hugepage-backed memory */
	PROCSTAT_VM_NO_VCPU_NAMES = 1u << 3, /* no "CPU n/KVM" threads: all threads' CPUs */
};
#define PROCSTAT_VM_FLAG_COUNT 4

/* The flags of p (enum procstat_vm_flags). */
unsigned procstat_vm_flags(const struct procstat_proc *p);
/* A flag's name as the views show it ("spread", "vcpus-away", ...); NULL for others. */
const char *procstat_vm_flag_name(unsigned flag);

#endif
