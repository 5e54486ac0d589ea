/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's cgroup cpuset placement on fixture cgroup trees built in a
 * temporary root: v2 (a libvirt machine scope with threaded libvirt/emulator
 * and vcpuN children), v1 (the cpuset hierarchy's scope/emulator/vcpuN), a
 * child wider than the new parent, a child pinned narrower, no cpuset to use
 * (root cgroup, no controller, a shared cgroup), a write failing mid-way and
 * a write that does not read back (everything restored).  A write hook plays
 * the v1 kernel: it refuses a child wider than its parent and a parent
 * narrower than a child, so the order of the writes is checked too.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/cpuset.h"
#include "core/host.h"
#include "daemon/cgplace.h"
#include "util/diag.h"
#include "util/xalloc.h"

#define V2_SCOPE "/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dtest.scope"
#define V1_SCOPE "/sys/fs/cgroup/cpuset/machine.slice/machine-qemu\\x2d2\\x2dvm.scope"

struct fx {
	char root[64];
	struct host *h;
	bool v1_rules;	    /* the hook refuses what a v1 kernel refuses */
	int fail_at;	    /* fail the n-th write (1-based) with -EIO; 0 never */
	const char *ignore; /* a path whose write is silently dropped */
	int writes;
	char order[32][160]; /* paths written, in order (below the root) */
};

static void put(const char *root, const char *path, const char *content)
{
	char full[512];
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	for (char *s = strchr(full + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	(void)fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static char *get(const char *root, const char *path)
{
	char full[512], buf[256] = "";
	FILE *f;
	size_t n;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	if (!f)
		return xstrdup("<absent>");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	(void)fclose(f);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return xstrdup(buf);
}

static void group(const char *root, const char *dir, const char *cpus, const char *mems,
		  const char *procs)
{
	char p[400];

	(void)snprintf(p, sizeof(p), "%s/cpuset.cpus", dir);
	put(root, p, cpus);
	(void)snprintf(p, sizeof(p), "%s/cpuset.mems", dir);
	put(root, p, mems);
	(void)snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	if (procs)
		put(root, p, procs);
}

static bool parse_file(const char *root, const char *path, struct cpuset *s)
{
	char *text = get(root, path);
	bool ok = strcmp(text, "<absent>") != 0 && cpuset_parse_list(text, s, NULL) >= 0;

	free(text);
	return ok;
}

/* v1: value must fit in the parent's and hold every child's. */
static int v1_check(struct fx *f, const char *path, const char *value)
{
	char dir[400], sib[512];
	const char *base = strrchr(path, '/');
	struct cpuset want = CPUSET_INIT, other = CPUSET_INIT;
	int r = 0;

	assert_int_equal(cpuset_parse_list(value, &want, NULL), 0);
	(void)snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
	(void)snprintf(sib, sizeof(sib), "%.*s%s", (int)(strrchr(dir, '/') - dir), dir, base);
	if (parse_file(f->root, sib, &other) && !cpuset_empty(&other) &&
	    !cpuset_subset(&want, &other))
		r = -EINVAL; /* wider than the parent */
	for (size_t i = 0; i < 3 && r == 0; i++) {
		static const char *const kids[] = {"emulator", "vcpu0", "vcpu1"};

		(void)snprintf(sib, sizeof(sib), "%s/%s%s", dir, kids[i], base);
		cpuset_clear(&other);
		if (parse_file(f->root, sib, &other) && !cpuset_subset(&other, &want))
			r = -EBUSY; /* narrower than a child */
	}
	cpuset_release(&want);
	cpuset_release(&other);
	return r;
}

static int hook(void *userdata, const char *path, const char *value)
{
	struct fx *f = userdata;

	f->writes++;
	if (f->writes <= 32)
		(void)snprintf(f->order[f->writes - 1], sizeof(f->order[0]), "%s", path);
	if (f->fail_at && f->writes == f->fail_at)
		return -EIO;
	if (f->ignore && strcmp(path, f->ignore) == 0)
		return 1;
	return f->v1_rules ? v1_check(f, path, value) : 0;
}

static struct fx *fx_new(void)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	(void)snprintf(f->root, sizeof(f->root), "/tmp/test-cgplace.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	put(f->root, "/proc/cpuinfo", "processor\t: 0\n");
	put(f->root, "/sys/devices/system/cpu/online", "0-3\n");
	return f;
}

static void fx_open(struct fx *f)
{
	struct diag d = {0};

	assert_int_equal(host_open(f->root, &f->h, &d), 0);
	host_set_write_hook(f->h, hook, f);
}

static void fx_free(struct fx *f)
{
	char cmd[128];

	host_free(f->h);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
}

/* libvirt on v2: scope/libvirt (domain), libvirt/emulator and vcpu0 (threaded). */
static struct fx *v2_libvirt(const char *scope_cpus, const char *emu_cpus)
{
	struct fx *f = fx_new();

	put(f->root, "/proc/mounts", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n");
	put(f->root, "/proc/100/cgroup",
	    "0::/machine.slice/machine-qemu\\x2d1\\x2dtest.scope/"
	    "libvirt/emulator\n");
	put(f->root, "/proc/100/task/100/stat", "");
	put(f->root, "/proc/100/task/101/stat", "");
	group(f->root, "/sys/fs/cgroup/machine.slice", "", "", "");
	group(f->root, V2_SCOPE, scope_cpus, "", "");
	group(f->root, V2_SCOPE "/libvirt", "", "", "");
	group(f->root, V2_SCOPE "/libvirt/emulator", emu_cpus, "", NULL);
	put(f->root, V2_SCOPE "/libvirt/emulator/cgroup.threads", "100\n");
	group(f->root, V2_SCOPE "/libvirt/vcpu0", "", "", NULL);
	put(f->root, V2_SCOPE "/libvirt/vcpu0/cgroup.threads", "101\n");
	put(f->root, V2_SCOPE "/libvirt/vcpu0/cpu.max", "max\n"); /* not a cgroup */
	fx_open(f);
	return f;
}

/* libvirt on v1: the cpuset hierarchy's scope with emulator, vcpu0, vcpu1. */
static struct fx *v1_libvirt(const char *cpus, const char *mems)
{
	struct fx *f = fx_new();

	put(f->root, "/proc/mounts",
	    "cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0\n"
	    "cgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n");
	put(f->root, "/proc/200/cgroup",
	    "6:cpuset:/machine.slice/machine-qemu\\x2d2\\x2dvm.scope/"
	    "emulator\n0::/user.slice\n");
	group(f->root, "/sys/fs/cgroup/cpuset", "0-3", "0-1", "1\n200\n");
	group(f->root, "/sys/fs/cgroup/cpuset/machine.slice", "0-3", "0-1", "");
	group(f->root, V1_SCOPE, cpus, mems, "");
	group(f->root, V1_SCOPE "/emulator", cpus, mems, "200\n");
	group(f->root, V1_SCOPE "/vcpu0", cpus, mems, "200\n");
	group(f->root, V1_SCOPE "/vcpu1", cpus, mems, "200\n");
	fx_open(f);
	f->v1_rules = true;
	return f;
}

/* Decide and apply a start with cpus on nodes; returns cgp_apply's result. */
static int start(struct fx *f, int pid, const char *cpus, const char *nodes, struct cgp_plan *ret,
		 struct diag *d)
{
	struct cgp_tree t = {0};
	struct cpuset c = CPUSET_INIT, n = CPUSET_INIT;
	int r;

	assert_int_equal(cpuset_parse_list(cpus, &c, NULL), 0);
	assert_int_equal(cpuset_parse_list(nodes, &n, NULL), 0);
	assert_int_equal(cgp_read(f->h, pid, &t, d), 0);
	assert_int_equal(cgp_decide_start(&t, &c, &n, ret, d), 0);
	r = cgp_apply(f->h, ret, d);
	cgp_tree_release(&t);
	cpuset_release(&c);
	cpuset_release(&n);
	return r;
}

static int finish(struct fx *f, int pid, const char *nodes, struct cgp_plan *ret, struct diag *d)
{
	struct cgp_tree t = {0};
	struct cpuset n = CPUSET_INIT;
	int r;

	assert_int_equal(cpuset_parse_list(nodes, &n, NULL), 0);
	assert_int_equal(cgp_read(f->h, pid, &t, d), 0);
	cgp_decide_finish(&t, &n, ret);
	r = cgp_apply(f->h, ret, d);
	cgp_tree_release(&t);
	cpuset_release(&n);
	return r;
}

static void assert_file(struct fx *f, const char *path, const char *want)
{
	char *got = get(f->root, path);

	assert_string_equal(got, want);
	free(got);
}

static void test_v2_libvirt_scope(void **state)
{
	struct fx *f = v2_libvirt("", "");
	struct cgp_tree t = {0};
	struct cgp_plan p = {0};
	struct diag d = {0};

	(void)state;
	/* the scope, never machine.slice (it holds no other process, but is a slice) */
	assert_int_equal(cgp_read(f->h, 100, &t, &d), 0);
	assert_false(t.v1);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.groups[0].dir, V2_SCOPE);
	assert_string_equal(t.groups[2].dir, V2_SCOPE "/libvirt/emulator");
	cgp_tree_release(&t);
	/* inherited values: one write, the scope's CPUs; no mems to widen */
	assert_int_equal(start(f, 100, "2-3", "1", &p, &d), 0);
	assert_int_equal(p.n, 1);
	assert_file(f, V2_SCOPE "/cpuset.cpus", "2-3");
	assert_file(f, V2_SCOPE "/cpuset.mems", "");
	assert_file(f, V2_SCOPE "/libvirt/emulator/cpuset.cpus", "");
	cgp_plan_release(&p);
	assert_int_equal(finish(f, 100, "1", &p, &d), 0);
	assert_int_equal(p.n, 1);
	assert_file(f, V2_SCOPE "/cpuset.mems", "1");
	cgp_plan_release(&p);
	fx_free(f);
}

/* A child wider than the new parent (v2 allows it) is narrowed before the parent. */
static void test_v2_child_wider(void **state)
{
	struct fx *f = v2_libvirt("0-3", "0-3");
	struct cgp_plan p = {0};
	struct diag d = {0};

	(void)state;
	assert_int_equal(start(f, 100, "2-3", "1", &p, &d), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(f->order[0], V2_SCOPE "/libvirt/emulator/cpuset.cpus");
	assert_string_equal(f->order[1], V2_SCOPE "/cpuset.cpus");
	assert_file(f, V2_SCOPE "/libvirt/emulator/cpuset.cpus", "2-3");
	assert_file(f, V2_SCOPE "/cpuset.cpus", "2-3");
	cgp_plan_release(&p);
	fx_free(f);
}

static void test_v1_nested(void **state)
{
	struct fx *f = v1_libvirt("0-1", "0");
	struct cgp_plan p = {0};
	struct diag d = {0};
	static const char *const groups[] = {V1_SCOPE, V1_SCOPE "/emulator", V1_SCOPE "/vcpu0",
					     V1_SCOPE "/vcpu1"};
	char path[256];

	(void)state;
	/* disjoint: mems widened (parents first), CPUs widened then narrowed; the hook is v1 */
	assert_int_equal(start(f, 200, "2-3", "1", &p, &d), 0);
	assert_int_equal(p.n, 4 + 4 + 4);
	for (size_t i = 0; i < 4; i++) {
		(void)snprintf(path, sizeof(path), "%s/cpuset.cpus", groups[i]);
		assert_file(f, path, "2-3");
		(void)snprintf(path, sizeof(path), "%s/cpuset.mems", groups[i]);
		assert_file(f, path, "0-1");
	}
	cgp_plan_release(&p);
	assert_int_equal(finish(f, 200, "1", &p, &d), 0);
	assert_int_equal(p.n, 4);
	assert_string_equal(f->order[f->writes - 1], V1_SCOPE "/cpuset.mems"); /* parent last */
	for (size_t i = 0; i < 4; i++) {
		(void)snprintf(path, sizeof(path), "%s/cpuset.mems", groups[i]);
		assert_file(f, path, "1");
	}
	cgp_plan_release(&p);
	fx_free(f);
}

/* Without the two passes the v1 hook refuses: it is a real check of the order. */
static void test_v1_hook_refuses_bad_order(void **state)
{
	struct fx *f = v1_libvirt("0-1", "0");
	struct diag d = {0};

	(void)state;
	assert_int_equal(host_write(f->h, V1_SCOPE "/emulator/cpuset.cpus", "2-3", &d), -EINVAL);
	assert_int_equal(host_write(f->h, V1_SCOPE "/cpuset.cpus", "2-3", &d), -EBUSY);
	fx_free(f);
}

static void test_fail_midway_restores(void **state)
{
	for (int at = 1; at <= 12; at++) {
		struct fx *f = v1_libvirt("0-1", "0");
		struct cgp_plan p = {0};
		struct diag d = {0};
		char *before[8], path[256];
		static const char *const groups[] = {V1_SCOPE, V1_SCOPE "/emulator",
						     V1_SCOPE "/vcpu0", V1_SCOPE "/vcpu1"};

		(void)state;
		f->fail_at = at;
		assert_int_equal(start(f, 200, "2-3", "1", &p, &d), -EIO);
		assert_non_null(strstr(d.msg, "cpuset."));
		for (size_t i = 0; i < 4; i++) {
			(void)snprintf(path, sizeof(path), "%s/cpuset.cpus", groups[i]);
			before[i] = get(f->root, path);
			assert_string_equal(before[i], "0-1");
			(void)snprintf(path, sizeof(path), "%s/cpuset.mems", groups[i]);
			before[4 + i] = get(f->root, path);
			assert_string_equal(before[4 + i], "0");
		}
		for (size_t i = 0; i < 8; i++)
			free(before[i]);
		cgp_plan_release(&p);
		fx_free(f);
	}
}

static void test_readback_mismatch_restores(void **state)
{
	struct fx *f = v2_libvirt("0-3", "0-3");
	struct cgp_plan p = {0};
	struct diag d = {0};

	(void)state;
	f->ignore = V2_SCOPE "/cpuset.cpus"; /* the kernel "took" it but kept the old value */
	assert_int_equal(start(f, 100, "2-3", "1", &p, &d), -EIO);
	assert_non_null(strstr(d.msg, "reads back '0-3'"));
	assert_file(f, V2_SCOPE "/libvirt/emulator/cpuset.cpus", "0-3");
	cgp_plan_release(&p);
	fx_free(f);
}

static void test_pinned_child_refused(void **state)
{
	struct fx *f = v1_libvirt("0-3", "0-1");
	struct cgp_tree t = {0};
	struct cgp_plan p = {0};
	struct cpuset c = CPUSET_INIT, n = CPUSET_INIT;
	struct diag d = {0};

	(void)state;
	put(f->root, V1_SCOPE "/vcpu1/cpuset.cpus", "1\n"); /* <vcpupin vcpu='1' cpuset='1'/> */
	assert_int_equal(cgp_read(f->h, 200, &t, &d), 0);
	assert_int_equal(cpuset_parse_list("2-3", &c, NULL), 0);
	assert_int_equal(cpuset_parse_list("1", &n, NULL), 0);
	assert_int_equal(cgp_decide_start(&t, &c, &n, &p, &d), -EPERM);
	assert_non_null(strstr(d.msg, "pinned by its owner"));
	assert_int_equal(p.n, 0);
	assert_int_equal(f->writes, 0);
	cgp_tree_release(&t);
	cpuset_release(&c);
	cpuset_release(&n);
	fx_free(f);
}

static void test_no_cpuset_falls_back(void **state)
{
	struct fx *f = v2_libvirt("", "");
	struct cgp_tree t = {0};
	struct diag d = {0};

	(void)state;
	/* the root cgroup */
	put(f->root, "/proc/300/cgroup", "0::/\n");
	assert_int_equal(cgp_read(f->h, 300, &t, &d), -ENOENT);
	/* a cgroup without the cpuset controller */
	put(f->root, "/proc/301/cgroup", "0::/system.slice/x.service\n");
	put(f->root, "/sys/fs/cgroup/system.slice/x.service/cgroup.procs", "301\n");
	put(f->root, "/sys/fs/cgroup/system.slice/cgroup.procs", "");
	assert_int_equal(cgp_read(f->h, 301, &t, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "no cpuset controller"));
	/* a cgroup shared with another process */
	put(f->root, "/proc/302/cgroup", "0::/user.slice/session.scope\n");
	group(f->root, "/sys/fs/cgroup/user.slice/session.scope", "", "", "302\n303\n");
	assert_int_equal(cgp_read(f->h, 302, &t, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "other processes"));
	/* a threaded sibling holding a thread of someone else: only the emulator is its own */
	put(f->root, V2_SCOPE "/libvirt/vcpu0/cgroup.threads", "101\n999\n");
	assert_int_equal(cgp_read(f->h, 100, &t, &d), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.groups[0].dir, V2_SCOPE "/libvirt/emulator");
	cgp_tree_release(&t);
	assert_int_equal(f->writes, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_libvirt_scope),
		cmocka_unit_test(test_v2_child_wider),
		cmocka_unit_test(test_v1_nested),
		cmocka_unit_test(test_v1_hook_refuses_bad_order),
		cmocka_unit_test(test_fail_midway_restores),
		cmocka_unit_test(test_readback_mismatch_restores),
		cmocka_unit_test(test_pinned_child_refused),
		cmocka_unit_test(test_no_cpuset_falls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
