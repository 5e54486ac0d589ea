/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of procstat: QEMU command-line helpers, numa_maps lines, thread CPUs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cpuset.h"
#include "core/host.h"
#include "core/procstat.h"
#include "util/diag.h"
#include "util/sbuf.h"

#include "util/banned.h"

/* argv written with '|' for NUL (a trailing NUL is added, as in /proc/PID/cmdline). */
static char *name_of(const char *spec)
{
	size_t n = strlen(spec);
	char *argv = malloc(n + 1);
	char *r;

	memcpy(argv, spec, n + 1);
	for (size_t i = 0; i < n; i++)
		if (argv[i] == '|')
			argv[i] = '\0';
	r = procstat_qemu_name(argv, n + 1);
	free(argv);
	return r;
}

static void expect_name(const char *spec, const char *want)
{
	char *got = name_of(spec);

	if (!want) {
		if (got)
			fail_msg("%s: got '%s', want none", spec, got);
		return;
	}
	if (!got)
		fail_msg("%s: got none, want '%s'", spec, want);
	assert_string_equal(got, want);
	free(got);
}

static void test_qemu_name(void **state)
{
	(void)state;
	expect_name("qemu-system-x86_64|-name|guest=web01,debug-threads=on|-m|1024", "web01");
	expect_name("/usr/bin/qemu-kvm|-name|plain", "plain");
	expect_name("qemu|-name|plain,process=qemu:plain", "plain");
	expect_name("qemu|-name|vm,,with,,commas,debug-threads=on", "vm,with,commas");
	expect_name("qemu|-name|process=p,guest=late", "late");
	expect_name("qemu|--name|dashdash", "dashdash");
	expect_name("qemu|-name|debug-threads=on", NULL);
	expect_name("qemu|-m|64", NULL);
	expect_name("qemu|-name", NULL);
	expect_name("qemu|-name|", NULL);
}

static void test_is_qemu(void **state)
{
	static const char argv[] = "/usr/libexec/qemu-kvm\0-m\0"
				   "64";

	(void)state;
	assert_true(procstat_is_qemu("qemu-system-x86", NULL, 0));
	assert_true(procstat_is_qemu("qemu-kvm", NULL, 0));
	assert_true(procstat_is_qemu("kvm", NULL, 0));
	assert_false(procstat_is_qemu("bash", NULL, 0));
	assert_false(procstat_is_qemu("kvmtune", NULL, 0));
	assert_true(procstat_is_qemu("renamed", argv, sizeof(argv)));
	assert_false(procstat_is_qemu("renamed", "/bin/sh\0", 8));
}

static void put(const char *root, const char *rel, const char *content)
{
	char path[512], cmd[600];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s%s", root, rel);
	(void)snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/*
 * numa_maps lines of any length: a 20 KiB file name and 1024 N<node>= fields
 * (larger than the read buffer) count exactly once, as do the lines around.
 */
static void test_long_numa_maps_line(void **state)
{
	struct procstat_opts opts = {.base_page_kib = 4, .default_huge_kib = 2048};
	struct procstat_proc p = {0};
	struct sbuf maps = SBUF_INIT;
	char root[64] = "/tmp/kvmtune-procstat-XXXXXX", cmd[128];
	struct host *h = NULL;
	struct diag d = {0};

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "/proc/cpuinfo", "processor\t: 0\n");
	put(root, "/proc/77/comm", "longmaps\n");
	put(root, "/proc/77/cmdline", "longmaps");
	sbuf_adds(&maps, "7f0000000000 default anon=3 N0=3 kernelpagesize_kB=4\n");
	sbuf_adds(&maps, "7f1000000000 default file=/");
	for (int i = 0; i < 20000; i++)
		sbuf_addc(&maps, 'x');
	for (int n = 0; n < 1024; n++)
		sbuf_addf(&maps, " N%d=1", n);
	sbuf_adds(&maps,
		  " kernelpagesize_kB=4\n7f2000000000 default anon=2 N1=2 kernelpagesize_kB=4");
	put(root, "/proc/77/numa_maps", maps.buf);
	assert_int_equal(host_open(root, &h, &d), 0);
	assert_int_equal(procstat_read_proc(h, NULL, 77, &opts, &p, &d), 0);
	assert_int_equal(p.usage.lines, 3);
	assert_int_equal(p.usage.bad_lines, 0);
	assert_int_equal(numamaps_usage_node_kib(&p.usage, -1, 0), 4 * (3 + 1));
	assert_int_equal(numamaps_usage_node_kib(&p.usage, -1, 1), 4 * (1 + 2));
	assert_int_equal(numamaps_usage_node_kib(&p.usage, -1, 1023), 4);
	assert_int_equal(numamaps_usage_total_kib(&p.usage, -1), 4 * (3 + 1024 + 2));
	procstat_proc_release(&p);
	host_free(h);
	sbuf_release(&maps);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* A stat line of pid whose comm is name, with num_threads and processor set. */
static void put_stat(const char *root, const char *rel, int pid, const char *name, int threads,
		     int cpu)
{
	char line[512];

	/* fields 3-19, num_threads (20), 21-38, processor (39), 40-52 */
	(void)snprintf(line, sizeof(line),
		       "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 %d 0 1234 "
		       "10000000 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 %d 0 0 0 0 0 "
		       "0 0 0 0 0 0 0 0\n",
		       pid, name, pid, pid, threads, cpu);
	put(root, rel, line);
}

/*
 * Where a process's threads ran: one thread from /proc/PID/stat (no task/
 * listing needed, a comm with ') ' in it parsed from its last ')'), several
 * from task/TID/stat each.
 */
static void test_thread_cpus(void **state)
{
	struct procstat_opts opts = {.flags = PROCSTAT_THREADS, .base_page_kib = 4};
	struct procstat_proc p = {0};
	char root[64] = "/tmp/kvmtune-procstat-XXXXXX", cmd[128];
	struct host *h = NULL;
	struct diag d = {0};

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "/proc/cpuinfo", "processor\t: 0\n");
	put(root, "/proc/78/comm", "a) b (c\n");
	put(root, "/proc/78/numa_maps", "7f0000000000 default anon=1 N0=1 kernelpagesize_kB=4\n");
	put_stat(root, "/proc/78/stat", 78, "a) b (c", 1, 3);
	put(root, "/proc/79/comm", "two\n");
	put(root, "/proc/79/numa_maps", "7f0000000000 default anon=1 N0=1 kernelpagesize_kB=4\n");
	put_stat(root, "/proc/79/stat", 79, "two", 2, 5);
	put_stat(root, "/proc/79/task/79/stat", 79, "two", 2, 1);
	put_stat(root, "/proc/79/task/80/stat", 80, "two", 2, 2);
	assert_int_equal(host_open(root, &h, &d), 0);

	assert_int_equal(procstat_read_proc(h, NULL, 78, &opts, &p, &d), 0);
	assert_true(cpuset_isset(&p.vcpu_cpus, 3));
	assert_int_equal(cpuset_count(&p.vcpu_cpus), 1);
	procstat_proc_release(&p);

	assert_int_equal(procstat_read_proc(h, NULL, 79, &opts, &p, &d), 0);
	assert_true(cpuset_isset(&p.vcpu_cpus, 1));
	assert_true(cpuset_isset(&p.vcpu_cpus, 2));
	assert_int_equal(cpuset_count(&p.vcpu_cpus), 2);
	procstat_proc_release(&p);

	host_free(h);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_name),
		cmocka_unit_test(test_is_qemu),
		cmocka_unit_test(test_long_numa_maps_line),
		cmocka_unit_test(test_thread_cpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
