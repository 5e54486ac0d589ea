/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for /proc/mounts and hugetlbfs option parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mounts.h"
#include "util/diag.h"

static void test_hugetlbfs(void **state)
{
	struct hugetlbfs_mount *list = NULL;
	size_t n = 0;

	assert_int_equal(mounts_parse_hugetlbfs(
				 "sysfs /sys sysfs rw,nosuid 0 0\n"
				 "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"
				 "none /dev/huge\\0401G hugetlbfs "
				 "rw,relatime,mode=1770,gid=36,pagesize=1024M 0 0\n"
				 "cgroup /sys/fs/cgroup/hugetlb cgroup rw,hugetlb 0 0\n"
				 "hugetlbfs /mnt/old hugetlbfs rw,uid=107,mode=3352 0 0\n",
				 2048, &list, &n, NULL),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].path, "/dev/hugepages");
	assert_int_equal(list[0].pagesize_kib, 2048);
	assert_int_equal(list[0].mode, 0755);
	assert_string_equal(list[0].mode_text, "755");
	assert_string_equal(list[1].path, "/dev/huge 1G");
	assert_int_equal(list[1].pagesize_kib, 1048576);
	assert_int_equal(list[1].mode, 01770);
	assert_string_equal(list[1].mode_text, "1770");
	assert_int_equal(list[1].gid, 36);
	/* No pagesize option: the default size. */
	assert_int_equal(list[2].pagesize_kib, 2048);
	assert_int_equal(list[2].uid, 107);
	assert_string_equal(list[2].mode_text, "3352");
	for (size_t i = 0; i < n; i++)
		hugetlbfs_mount_release(&list[i]);
	free(list);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"hugetlbfs /dev/hugepages hugetlbfs rw,pagesize=2X 0 0\n",
		"hugetlbfs /dev/hugepages hugetlbfs rw,mode=999 0 0\n",
		"hugetlbfs /dev/hugepages hugetlbfs rw,gid=abc 0 0\n",
		"hugetlbfs /dev/hugepages\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hugetlbfs_mount *list = NULL;
		size_t n = 0;
		struct diag d = {0};

		assert_int_equal(mounts_parse_hugetlbfs(bad[i], 2048, &list, &n, &d), -EINVAL);
		assert_true(d.msg[0] != '\0');
	}
}

static void test_mode_typo(void **state)
{
	char facts[400];

	(void)state;
	/* tests/integration/hugetlbfs-mode.sh: a mount given mode=3352 shows 1352 */
	assert_int_equal(mounts_mode_as_decimal(01770), 03352);
	assert_int_equal(mounts_mode_typo(01352), 01770);
	assert_int_equal(mounts_mode_typo(01770), 0);
	assert_int_equal(mounts_mode_typo(0755), 0);
	assert_int_equal(mounts_mode_typo(0777), 0);
	/* 770 decimal = 01402; 1777 decimal = 03361 -> 01361 */
	assert_int_equal(mounts_mode_typo(01402), 0770);
	assert_int_equal(mounts_mode_typo(01361), 01777);
	/* the text states what is known, and that the kernel reads mode=1770 as octal */
	mounts_mode_typo_facts(01352, 01770, facts, sizeof(facts));
	assert_non_null(strstr(facts, "given mode=3352 shows 1352"));
	assert_non_null(strstr(facts, "Debian hugepages guide"));
	assert_non_null(strstr(facts, "reads mode=1770 as octal"));
	assert_null(strstr(facts, "seed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_typo),
		cmocka_unit_test(test_hugetlbfs),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
