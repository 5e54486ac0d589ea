/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cgroup fast path of procstat (see cgstat.h).  numa_stat cannot tell
 * heap and stack from other private memory: with this source they are
 * counted in Private.
 */
#include "cgstat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/host.h"
#include "core/mounts.h"
#include "core/numamaps.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Whether the comma-separated list has token. */
static bool list_has(const char *list, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = list; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncmp(p, token, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

int cgstat_mounts_load(struct host *h, struct cgstat_mounts *ret, struct diag *d)
{
	struct cgstat_mounts m = {0};
	AUTOFREE char *text = NULL;
	char *line, *save = NULL;
	int r;

	r = host_read(h, "/proc/mounts", &text, NULL, d);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct mount_entry e = {0};
		char **slot = NULL;

		if (mount_entry_parse(line, &e, NULL) < 0)
			continue;
		if (strcmp(e.fstype, "cgroup2") == 0)
			slot = &m.unified;
		else if (strcmp(e.fstype, "cgroup") == 0 && list_has(e.options, "memory"))
			slot = &m.memory_v1;
		else if (strcmp(e.fstype, "cgroup") == 0 && list_has(e.options, "hugetlb"))
			slot = &m.hugetlb_v1;
		else if (strcmp(e.fstype, "cgroup") == 0 && list_has(e.options, "cpuset"))
			slot = &m.cpuset_v1;
		if (slot && !*slot)
			*slot = STEAL_PTR(e.path);
		mount_entry_release(&e);
	}
	*ret = m;
	return 0;
}

void cgstat_mounts_release(struct cgstat_mounts *m)
{
	free(m->unified);
	free(m->memory_v1);
	free(m->hugetlb_v1);
	free(m->cpuset_v1);
	*m = (struct cgstat_mounts){0};
}

/* Whether every line of text is pid (tids: a thread of pid), or empty. */
static bool lists_only(struct host *h, char *text, int pid, bool tids)
{
	for (char *p = text; *p;) {
		char *nl = strchr(p, '\n');
		int64_t v;

		if (nl)
			*nl = '\0';
		if (*p && parse_i64(p, &v) < 0)
			return false;
		if (*p && !tids && v != pid)
			return false;
		if (*p && tids && v != pid) {
			char task[64];

			snprintf(task, sizeof(task), "/proc/%d/task/%lld", pid, (long long)v);
			if (!host_exists(h, task))
				return false;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return true;
}

/*
 * Whether every cgroup.procs below dir (inclusive) lists only pid (or
 * nothing).  A threaded cgroup refuses to list processes (EOPNOTSUPP): its
 * cgroup.threads must then hold only threads of pid.
 */
static bool subtree_only(struct host *h, const char *dir, int pid, int depth)
{
	AUTOFREE char *procs = NULL, *path = NULL;
	char **names = NULL;
	bool ok = true;

	if (depth > 16)
		return false;
	path = xasprintf("%s/cgroup.procs", dir);
	if (host_read(h, path, &procs, NULL, NULL) >= 0) {
		if (!lists_only(h, procs, pid, false))
			return false;
	} else {
		free(path);
		path = xasprintf("%s/cgroup.threads", dir);
		if (host_read(h, path, &procs, NULL, NULL) < 0 || !lists_only(h, procs, pid, true))
			return false;
	}
	if (host_list_dirs(h, dir, &names, NULL, NULL) < 0)
		return false;
	for (char **n = names; *n && ok; n++) {
		AUTOFREE char *sub = xasprintf("%s/%s", dir, *n);

		ok = subtree_only(h, sub, pid, depth + 1);
	}
	host_names_free(names);
	return ok;
}

static bool name_ends(const char *path, const char *suffix)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(suffix), len;

	base = base ? base + 1 : path;
	len = strlen(base);
	return len > n && strcmp(base + len - n, suffix) == 0;
}

/* A unit of its own: the highest cgroup worth writing for one process. */
static bool is_unit(const char *rel)
{
	return name_ends(rel, ".scope") || name_ends(rel, ".service") ||
	       name_ends(rel, ".libvirt-qemu");
}

/*
 * The highest cgroup under mnt, from rel up, whose subtree holds only pid;
 * units_only: never into a slice, never above a unit (see cgstat_find_unit).
 */
static int climb(struct host *h, const char *mnt, char *rel, int pid, bool units_only,
		 char **ret_dir, struct diag *d)
{
	AUTOFREE char *dir = xasprintf("%s%s", mnt, rel);

	if (!subtree_only(h, dir, pid, 0))
		return diag_set(d, ENOENT, dir, "cgroup '%s' holds other processes", dir);
	for (;;) {
		char *slash = strrchr(rel, '/');
		AUTOFREE char *parent = NULL;

		if (!slash || slash == rel || (units_only && is_unit(rel)))
			break;
		*slash = '\0';
		parent = xasprintf("%s%s", mnt, rel);
		if ((units_only && name_ends(rel, ".slice")) || !subtree_only(h, parent, pid, 0)) {
			*slash = '/';
			break;
		}
	}
	if (units_only && name_ends(rel, ".slice"))
		return diag_set(d, ENOENT, dir, "process %d's cgroup '%s' is a slice", pid, dir);
	*ret_dir = xasprintf("%s%s", mnt, rel);
	return 0;
}

/*
 * The path of pid's cgroup for controller (v1 line "N:...,controller,...:PATH"
 * when v1_mnt is mounted), else of its unified one ("0::PATH").
 */
static char *cgroup_path(char *text, const char *controller, bool v1_mounted, bool *ret_v1)
{
	char *unified = NULL, *line, *save = NULL;

	*ret_v1 = false;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		if (strncmp(line, "0:", 2) == 0 && c2 == c1 + 1)
			unified = c2 + 1;
		else if (v1_mounted && list_has(c1 + 1, controller)) {
			*ret_v1 = true;
			return xstrdup(c2 + 1);
		}
	}
	return unified ? xstrdup(unified) : NULL;
}

static int find_one(struct host *h, int pid, const char *cgroup_text, const char *controller,
		    const char *v1_mnt, const char *unified_mnt, bool units_only, char **ret_dir,
		    bool *ret_v1, struct diag *d)
{
	AUTOFREE char *text = xstrdup(cgroup_text);
	AUTOFREE char *rel = cgroup_path(text, controller, v1_mnt != NULL, ret_v1);
	const char *mnt = *ret_v1 ? v1_mnt : unified_mnt;

	if (!rel || !mnt || strcmp(rel, "/") == 0 || rel[0] != '/')
		return diag_set(d, ENOENT, "cgroup", "process %d has no %s cgroup of its own", pid,
				controller);
	return climb(h, mnt, rel, pid, units_only, ret_dir, d);
}

int cgstat_find(struct host *h, const struct cgstat_mounts *cm, int pid, struct cgstat_dirs *ret,
		struct diag *d)
{
	AUTOFREE char *text = NULL;
	struct cgstat_dirs dirs = {0};
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (host_read_attr(h, path, &text, NULL, NULL) < 0)
		return diag_set(d, ENOENT, path, "cannot read '%s'", path);
	r = find_one(h, pid, text, "memory", cm->memory_v1, cm->unified, false, &dirs.memory,
		     &dirs.memory_v1, d);
	if (r >= 0)
		r = find_one(h, pid, text, "hugetlb", cm->hugetlb_v1, cm->unified, false,
			     &dirs.hugetlb, &dirs.hugetlb_v1, d);
	if (r < 0) {
		cgstat_dirs_release(&dirs);
		return r;
	}
	*ret = dirs;
	return 0;
}

int cgstat_find_unit(struct host *h, const struct cgstat_mounts *cm, int pid,
		     const char *controller, char **ret_dir, bool *ret_v1, struct diag *d)
{
	const char *v1_mnt = strcmp(controller, "cpuset") == 0	  ? cm->cpuset_v1
			     : strcmp(controller, "memory") == 0  ? cm->memory_v1
			     : strcmp(controller, "hugetlb") == 0 ? cm->hugetlb_v1
								  : NULL;
	AUTOFREE char *text = NULL;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (host_read_attr(h, path, &text, NULL, NULL) < 0)
		return diag_set(d, ENOENT, path, "cannot read '%s'", path);
	return find_one(h, pid, text, controller, v1_mnt, cm->unified, true, ret_dir, ret_v1, d);
}

void cgstat_dirs_release(struct cgstat_dirs *dirs)
{
	free(dirs->memory);
	free(dirs->hugetlb);
	*dirs = (struct cgstat_dirs){0};
}

/* Add "N0=count N1=count" tokens of one numa_stat line to u: count x page_kib KiB
 * (page_kib 0: the counts are bytes). */
static int add_node_counts(struct numamaps_usage *u, enum numamaps_cat cat, uint64_t size_kib,
			   char *tokens, uint64_t page_kib, const char *file, struct diag *d)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(tokens, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t node, count;

		if (tok[0] != 'N' || !eq)
			continue;
		*eq = '\0';
		if (parse_u64(tok + 1, &node) < 0 || parse_u64(eq + 1, &count) < 0 ||
		    node > CPUSET_MAX)
			return diag_set(d, EINVAL, file, "'%s': bad node value '%s=%s'", file, tok,
					eq + 1);
		numamaps_usage_add_kib(u, cat, (int)node, size_kib,
				       page_kib ? sat_mul_u64(count, page_kib) : count / 1024);
	}
	return 0;
}

/*
 * numastat's Private: v2 "anon N0=BYTES ..." and "file_mapped N0=BYTES ...";
 * v1 "hierarchical_anon=PAGES N0=PAGES ..." (v1 has no per-node mapped files,
 * and its anon includes shmem, such as memfd guest RAM).
 */
int cgstat_parse_memory(char *text, bool v1, uint64_t base_page_kib, const char *file,
			struct numamaps_usage *u, struct diag *d)
{
	char *line, *save = NULL;
	bool found = false;
	int r;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		if (v1 ? strncmp(line, "hierarchical_anon=", 18) == 0
		       : strcmp(line, "anon") == 0 || strcmp(line, "file_mapped") == 0) {
			r = add_node_counts(u, NUMAMAPS_CAT_PRIVATE, 0, sp + 1,
					    v1 ? base_page_kib : 0, file, d);
			if (r < 0)
				return r;
			found = true;
		}
	}
	if (!found)
		return diag_set(d, EINVAL, file, "'%s': no %s line", file,
				v1 ? "hierarchical_anon=" : "anon");
	return 0;
}

static int read_memory_numa_stat(struct host *h, const char *dir, bool v1, uint64_t base_page_kib,
				 struct numamaps_usage *u, struct diag *d)
{
	AUTOFREE char *path = xasprintf("%s/memory.numa_stat", dir);
	AUTOFREE char *text = NULL;
	int r;

	r = host_read_attr(h, path, &text, NULL, d);
	if (r < 0)
		return r;
	return cgstat_parse_memory(text, v1, base_page_kib, path, u, d);
}

/* The kernel's name of a size in hugetlb cgroup files: 2048 -> "2MB". */
static void hugetlb_size_name(uint64_t size_kib, char *buf, size_t bufsz)
{
	if (size_kib >= 1024ULL * 1024)
		snprintf(buf, bufsz, "%lluGB", (unsigned long long)(size_kib >> 20));
	else if (size_kib >= 1024)
		snprintf(buf, bufsz, "%lluMB", (unsigned long long)(size_kib >> 10));
	else
		snprintf(buf, bufsz, "%lluKB", (unsigned long long)size_kib);
}

/* "total=BYTES N0=BYTES ..." on v2; v1 prints this cgroup's own first, then
 * "hierarchical_total=BYTES ...", which includes its children. */
int cgstat_parse_hugetlb(char *text, bool v1, uint64_t size_kib, const char *file,
			 struct numamaps_usage *u, struct diag *d)
{
	const char *want = v1 ? "hierarchical_total=" : "total=";
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, want, strlen(want)) == 0)
			return add_node_counts(u, NUMAMAPS_CAT_HUGE, size_kib, line, 0, file, d);
	return diag_set(d, EINVAL, file, "'%s': no %s line", file, want);
}

static int read_hugetlb_numa_stat(struct host *h, const char *dir, bool v1, uint64_t size_kib,
				  struct numamaps_usage *u, struct diag *d)
{
	AUTOFREE char *path = NULL, *text = NULL;
	char name[32];
	int r;

	hugetlb_size_name(size_kib, name, sizeof(name));
	path = xasprintf("%s/hugetlb.%s.numa_stat", dir, name);
	r = host_read_attr(h, path, &text, NULL, d);
	if (r < 0)
		return r;
	return cgstat_parse_hugetlb(text, v1, size_kib, path, u, d);
}

int cgstat_read(struct host *h, const struct cgstat_dirs *dirs, uint64_t base_page_kib,
		const uint64_t *huge_sizes_kib, size_t nhuge_sizes, struct numamaps_usage *u,
		struct diag *d)
{
	int r;

	r = read_memory_numa_stat(h, dirs->memory, dirs->memory_v1, base_page_kib, u, d);
	for (size_t i = 0; r >= 0 && i < nhuge_sizes; i++)
		r = read_hugetlb_numa_stat(h, dirs->hugetlb, dirs->hugetlb_v1, huge_sizes_kib[i], u,
					   d);
	return r < 0 ? r : 0;
}
