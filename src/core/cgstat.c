/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup v2 fast path of procstat: a process's memory per node from its
 * cgroup's memory.numa_stat and hugetlb.<size>.numa_stat instead of walking
 * its page tables through /proc/PID/numa_maps.  Only used for a cgroup whose
 * whole subtree holds that one process (a libvirt machine scope, a systemd
 * unit of its own), so that the cgroup's numbers are the process's.
 * numa_stat cannot tell heap and stack from other private memory: with this
 * source they are counted in Private.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/mounts.h"
#include "core/procstat.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* The first cgroup2 mount point in /proc/mounts. */
static char *cgroup2_mount(struct host *h)
{
	AUTOFREE char *text = NULL;
	char *line, *save = NULL;

	if (host_read(h, "/proc/mounts", &text, NULL, NULL) < 0)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mount_entry e = {0};

		if (mount_entry_parse(line, &e, NULL) < 0)
			continue;
		if (strcmp(e.fstype, "cgroup2") == 0) {
			char *p = STEAL_PTR(e.path);

			mount_entry_release(&e);
			return p;
		}
		mount_entry_release(&e);
	}
	return NULL;
}

/* Whether every cgroup.procs below dir (inclusive) lists only pid (or nothing). */
static bool subtree_only(struct host *h, const char *dir, int pid, int depth)
{
	AUTOFREE char *procs = NULL, *path = NULL;
	char **names = NULL;
	bool ok = true;

	if (depth > 16)
		return false;
	path = xasprintf("%s/cgroup.procs", dir);
	if (host_read(h, path, &procs, NULL, NULL) < 0)
		return false;
	for (char *p = procs; *p;) {
		char *nl = strchr(p, '\n');
		int64_t v;

		if (nl)
			*nl = '\0';
		if (*p && (parse_i64(p, &v) < 0 || v != pid))
			return false;
		if (!nl)
			break;
		p = nl + 1;
	}
	if (host_list(h, dir, &names, NULL, NULL) < 0)
		return false;
	for (char **n = names; *n && ok; n++) {
		AUTOFREE char *sub = xasprintf("%s/%s", dir, *n);
		AUTOFREE char *subprocs = xasprintf("%s/cgroup.procs", sub);

		if (host_exists(h, subprocs))
			ok = subtree_only(h, sub, pid, depth + 1);
	}
	host_names_free(names);
	return ok;
}

int cgstat_find_dir(struct host *h, int pid, char **ret_dir, struct diag *d)
{
	AUTOFREE char *text = NULL, *mnt = NULL, *rel = NULL;
	char path[64], *line, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (host_read(h, path, &text, NULL, NULL) < 0)
		return diag_set(d, ENOENT, path, "cannot read '%s'", path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "0::", 3) == 0)
			rel = xstrdup(line + 3);
	if (!rel || strcmp(rel, "/") == 0 || rel[0] != '/')
		return diag_set(d, ENOENT, path, "process %d has no cgroup v2 of its own", pid);
	mnt = cgroup2_mount(h);
	if (!mnt)
		return diag_set(d, ENOENT, "/proc/mounts", "no cgroup2 mount");
	{
		AUTOFREE char *dir = xasprintf("%s%s", mnt, rel);

		if (!subtree_only(h, dir, pid, 0))
			return diag_set(d, ENOENT, dir, "cgroup '%s' holds other processes", dir);
	}
	/* climb while the parent's subtree still holds only this process */
	for (;;) {
		char *slash = strrchr(rel, '/');
		AUTOFREE char *parent = NULL;

		if (!slash || slash == rel)
			break;
		*slash = '\0';
		parent = xasprintf("%s%s", mnt, rel);
		if (!subtree_only(h, parent, pid, 0)) {
			*slash = '/';
			break;
		}
	}
	*ret_dir = xasprintf("%s%s", mnt, rel);
	return 0;
}

/* Add "N0=bytes N1=bytes" tokens of one numa_stat line to u as KiB. */
static int add_node_bytes(struct numamaps_usage *u, enum numamaps_cat cat, uint64_t size_kib,
			  char *tokens, const char *file, struct diag *d)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(tokens, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t node, bytes;

		if (tok[0] != 'N' || !eq)
			continue;
		*eq = '\0';
		if (parse_u64(tok + 1, &node) < 0 || parse_u64(eq + 1, &bytes) < 0 ||
		    node > CPUSET_MAX)
			return diag_set(d, EINVAL, file, "'%s': bad node value '%s=%s'", file, tok,
					eq + 1);
		numamaps_usage_add_kib(u, cat, (int)node, size_kib, bytes / 1024);
	}
	return 0;
}

static int read_memory_numa_stat(struct host *h, const char *dir, struct numamaps_usage *u,
				 struct diag *d)
{
	AUTOFREE char *path = xasprintf("%s/memory.numa_stat", dir);
	AUTOFREE char *text = NULL;
	char *line, *save = NULL;
	int r;

	r = host_read(h, path, &text, NULL, d);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		/* numastat's Private: anonymous memory and mapped file pages */
		if (strcmp(line, "anon") == 0 || strcmp(line, "file_mapped") == 0) {
			r = add_node_bytes(u, NUMAMAPS_CAT_PRIVATE, 0, sp + 1, path, d);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The kernel's name of a size in hugetlb cgroup files: 2048 -> "2MB". */
static void hugetlb_size_name(uint64_t size_kib, char *buf, size_t bufsz)
{
	if (size_kib >= 1024 * 1024)
		snprintf(buf, bufsz, "%lluGB", (unsigned long long)(size_kib >> 20));
	else if (size_kib >= 1024)
		snprintf(buf, bufsz, "%lluMB", (unsigned long long)(size_kib >> 10));
	else
		snprintf(buf, bufsz, "%lluKB", (unsigned long long)size_kib);
}

static int read_hugetlb_numa_stat(struct host *h, const char *dir, uint64_t size_kib,
				  struct numamaps_usage *u, struct diag *d)
{
	AUTOFREE char *path = NULL, *text = NULL;
	char name[32], *line, *save = NULL;
	int r;

	hugetlb_size_name(size_kib, name, sizeof(name));
	path = xasprintf("%s/hugetlb.%s.numa_stat", dir, name);
	r = host_read(h, path, &text, NULL, d);
	if (r < 0)
		return r;
	/* "total=BYTES N0=BYTES ..." (v1 adds a "hierarchical_total=" line) */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "total=", 6) == 0)
			return add_node_bytes(u, NUMAMAPS_CAT_HUGE, size_kib, line, path, d);
	return diag_set(d, EINVAL, path, "'%s': no total= line", path);
}

int cgstat_read(struct host *h, const char *dir, const uint64_t *huge_sizes_kib, size_t nhuge_sizes,
		struct numamaps_usage *u, struct diag *d)
{
	int r;

	r = read_memory_numa_stat(h, dir, u, d);
	for (size_t i = 0; r >= 0 && i < nhuge_sizes; i++)
		r = read_hugetlb_numa_stat(h, dir, huge_sizes_kib[i], u, d);
	return r < 0 ? r : 0;
}
