/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of procstat's QEMU command-line helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/procstat.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_name),
		cmocka_unit_test(test_is_qemu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
