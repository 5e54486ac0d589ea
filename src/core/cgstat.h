/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup fast path of procstat: a process's memory per node from its
 * cgroup's numa_stat files instead of walking its page tables through
 * /proc/PID/numa_maps.  Works with cgroup v2 (memory.numa_stat,
 * hugetlb.<size>.numa_stat), with cgroup v1 (the same files in the memory
 * and hugetlb hierarchies) and with the hybrid layout of many hosts (v1
 * memory, hugetlb on the unified v2 mount).  Only used for a cgroup whose
 * whole subtree holds that one process (a libvirt machine scope, a systemd
 * unit of its own), so that the cgroup's numbers are the process's.
 */
#ifndef KVMTUNE_CORE_CGSTAT_H
#define KVMTUNE_CORE_CGSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;
struct numamaps_usage;

/* Where the hierarchies are mounted (host paths; NULL when not mounted). */
struct cgstat_mounts {
	char *unified;	  /* the cgroup2 mount */
	char *memory_v1;  /* the v1 hierarchy with the memory controller */
	char *hugetlb_v1; /* the v1 hierarchy with the hugetlb controller */
	char *cpuset_v1;  /* the v1 hierarchy with the cpuset controller */
};

/* Read /proc/mounts once; a host without cgroups gives all NULL. */
int cgstat_mounts_load(struct host *h, struct cgstat_mounts *ret, struct diag *d);
void cgstat_mounts_release(struct cgstat_mounts *m);

/* The directories that account for one process alone. */
struct cgstat_dirs {
	char *memory; /* host path of the memory cgroup */
	bool memory_v1;
	char *hugetlb; /* host path of the hugetlb cgroup */
	bool hugetlb_v1;
};

/*
 * For each controller, pid's cgroup (the v1 hierarchy when the process has
 * one for it, else the unified one), climbed to the highest ancestor whose
 * subtree holds no other process.  -ENOENT (with a diag) when a controller
 * has no cgroup of the process's own.
 */
int cgstat_find(struct host *h, const struct cgstat_mounts *cm, int pid, struct cgstat_dirs *ret,
		struct diag *d);
void cgstat_dirs_release(struct cgstat_dirs *dirs);

/*
 * The cgroup that is pid's own unit for controller ("cpuset"; the v1
 * hierarchy of that controller when mounted, else the unified one), for
 * writing: climbed from pid's cgroup like cgstat_find, but never into a
 * slice (a "*.slice" directory holds every VM started later too) and never
 * above a unit of its own ("*.scope", "*.service", "*.libvirt-qemu": a
 * libvirt machine scope).  Threaded subtrees (libvirt's vcpuN on v2) count
 * as holding pid when every thread in them is one of pid's.  *ret_dir gets
 * the host path; -ENOENT (with a diag) when pid is in the root cgroup or
 * shares its cgroup with other processes.
 */
int cgstat_find_unit(struct host *h, const struct cgstat_mounts *cm, int pid,
		     const char *controller, char **ret_dir, bool *ret_v1, struct diag *d);

/*
 * Fill u (Private: anonymous memory, plus mapped files on v2, which v1 does
 * not count per node; Huge: per size) from the numa_stat files of dirs.
 * huge_sizes_kib lists the host's hugepage sizes; each needs its
 * hugetlb.<size>.numa_stat.  base_page_kib converts v1's page counts.
 * -ENOENT when a file is missing, -EINVAL on malformed content.
 */
int cgstat_read(struct host *h, const struct cgstat_dirs *dirs, uint64_t base_page_kib,
		const uint64_t *huge_sizes_kib, size_t nhuge_sizes, struct numamaps_usage *u,
		struct diag *d);

/*
 * The parsers under cgstat_read (exposed for tests and fuzzing; text is
 * modified).  memory.numa_stat into Private (v1: pages of base_page_kib,
 * v2: bytes); hugetlb.<size>.numa_stat into Huge at size_kib.  -EINVAL with
 * a diag naming file when the expected line is missing or malformed.
 */
int cgstat_parse_memory(char *text, bool v1, uint64_t base_page_kib, const char *file,
			struct numamaps_usage *u, struct diag *d);
int cgstat_parse_hugetlb(char *text, bool v1, uint64_t size_kib, const char *file,
			 struct numamaps_usage *u, struct diag *d);

#endif
