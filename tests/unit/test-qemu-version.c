/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for QEMU version parsing, probing (a recorded --version line
 * from tests/golden/qemu-bin) and the capability rules, which must agree
 * with the libvirt evidence in tests/data/qemu-rules.txt.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/qemu-version.h"
#include "util/diag.h"

#define GOLDEN_DIR TEST_DATA_DIR "/../golden"

static void test_parse(void **state)
{
	static const struct {
		const char *text;
		unsigned major, minor, micro;
	} ok[] = {
		{"QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright", 7, 2,
		 22},
		{"QEMU emulator version 6.2.0 (qemu-kvm-6.2.0-49.module+el8.10.0)", 6, 2, 0},
		{"QEMU emulator version 2.11.1(Debian 1:2.11+dfsg-1ubuntu7.42)", 2, 11, 1},
		{"QEMU emulator version 10.0.0\n", 10, 0, 0},
		{"QEMU emulator version 9.2.50 (v9.2.0-1234-gabcdef)", 9, 2, 50},
		{"8.2", 8, 2, 0},
		{"5.2.1", 5, 2, 1},
	};
	static const char *bad[] = {
		"",
		"7",
		"7.",
		"x7.2",
		"7.2x",
		"7.2.3.4",
		"-1.2",
		"99999999999.1",
		"busybox v1.35.0",
		"QEMU emulator version ",
		"QEMU emulator version abc",
	};
	struct qemu_version v;
	struct diag d = {0};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(qemu_version_parse(ok[i].text, &v, NULL), 0);
		assert_int_equal(v.major, ok[i].major);
		assert_int_equal(v.minor, ok[i].minor);
		assert_int_equal(v.micro, ok[i].micro);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(qemu_version_parse(bad[i], &v, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "is not a QEMU version"));
}

static void test_probe(void **state)
{
	struct qemu_version v;
	struct diag d = {0};

	assert_int_equal(qemu_version_probe(GOLDEN_DIR "/qemu-bin/6.2-rhel8/qemu-system-x86_64",
					    5000, &v, NULL),
			 0);
	assert_int_equal(v.major, 6);
	assert_int_equal(v.minor, 2);
	assert_int_equal(qemu_version_probe(GOLDEN_DIR "/qemu-bin/not-qemu", 5000, &v, &d),
			 -EINVAL);
	assert_int_equal(qemu_version_probe("/nonexistent/qemu", 5000, &v, &d), -ENOENT);
	assert_int_equal(qemu_version_probe("/bin/cat", 2000, &v, &d), -EINVAL);
	/* a binary that never answers is killed at the deadline */
	assert_int_equal(qemu_version_probe(TEST_DATA_DIR "/qemu-hangs", 200, &v, &d), -ETIMEDOUT);
	assert_non_null(strstr(d.msg, "gave no answer within 200 ms"));
}

static void test_caps(void **state)
{
	struct qemu_version v41 = {4, 1, 0}, v42 = {4, 2, 0}, v51 = {5, 1, 0}, v52 = {5, 2, 0},
			    v62 = {6, 2, 0}, v71 = {7, 1, 0}, v72 = {7, 2, 0}, v10 = {10, 0, 0};
	struct qemu_caps c;

	assert_int_equal(qemu_caps_for(&v41, &c, NULL), -EDOM);
	assert_int_equal(qemu_caps_for(&v42, &c, NULL), 0);
	assert_false(c.has[QEMU_CAP_PREALLOC_THREADS]);
	assert_false(c.has[QEMU_CAP_MACHINE_MEMORY_BACKEND]);
	assert_int_equal(qemu_caps_for(&v51, &c, NULL), 0);
	assert_true(c.has[QEMU_CAP_PREALLOC_THREADS]);
	assert_false(c.has[QEMU_CAP_MACHINE_MEMORY_BACKEND]);
	assert_int_equal(qemu_caps_for(&v52, &c, NULL), 0);
	assert_true(c.has[QEMU_CAP_MACHINE_MEMORY_BACKEND]);
	assert_false(c.has[QEMU_CAP_OBJECT_JSON]);
	assert_int_equal(qemu_caps_for(&v62, &c, NULL), 0);
	assert_true(c.has[QEMU_CAP_OBJECT_JSON]);
	assert_false(c.has[QEMU_CAP_THREAD_CONTEXT]);
	assert_int_equal(qemu_caps_for(&v71, &c, NULL), 0);
	assert_false(c.has[QEMU_CAP_THREAD_CONTEXT]);
	assert_int_equal(qemu_caps_for(&v72, &c, NULL), 0);
	assert_true(c.has[QEMU_CAP_THREAD_CONTEXT]);
	assert_int_equal(qemu_caps_for(&v10, &c, NULL), 0);
	for (int i = 0; i < QEMU_CAP_COUNT_; i++)
		assert_true(c.has[i]);
}

/* Every rule has its row in tests/data/qemu-rules.txt with the same release and libvirt name. */
static void test_rules_file(void **state)
{
	const struct qemu_cap_rule *rules = qemu_cap_rules();
	FILE *f = fopen(TEST_DATA_DIR "/qemu-rules.txt", "re");
	char line[2048];
	unsigned seen = 0;
	bool min_seen = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64], libvirt[128];
		unsigned major, minor;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_int_equal(sscanf(line, "%63s %u.%u %127s", name, &major, &minor, libvirt),
				 4);
		if (strcmp(name, "minimum") == 0) {
			assert_int_equal(major, QEMU_VERSION_MIN_MAJOR);
			assert_int_equal(minor, QEMU_VERSION_MIN_MINOR);
			min_seen = true;
			continue;
		}
		for (int i = 0; i < QEMU_CAP_COUNT_; i++) {
			if (strcmp(rules[i].name, name) != 0)
				continue;
			assert_int_equal(rules[i].major, major);
			assert_int_equal(rules[i].minor, minor);
			assert_string_equal(rules[i].libvirt, libvirt);
			assert_int_equal((int)rules[i].cap, i);
			seen |= 1u << i;
		}
	}
	fclose(f);
	assert_true(min_seen);
	assert_int_equal(seen, (1u << QEMU_CAP_COUNT_) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_rules_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
