/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the meminfo parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/meminfo.h"
#include "util/diag.h"

static void test_global(void **state)
{
	struct meminfo m = MEMINFO_INIT;
	uint64_t v;

	assert_int_equal(meminfo_parse("MemTotal:       24683620 kB\n"
				       "HugePages_Total:       4\n"
				       "Hugepagesize:       2048 kB\n"
				       "DirectMap1G:     2097152 kB\n",
				       &m, NULL),
			 0);
	assert_int_equal(m.node, -1);
	assert_true(meminfo_get(&m, "MemTotal", &v));
	assert_int_equal(v, 24683620);
	assert_true(meminfo_get(&m, "HugePages_Total", &v));
	assert_int_equal(v, 4);
	assert_false(meminfo_get(&m, "MemFree", &v));
	assert_true(m.entries[0].kib);
	assert_false(m.entries[1].kib);
	meminfo_release(&m);
}

static void test_node(void **state)
{
	struct meminfo m = MEMINFO_INIT;
	uint64_t v;

	assert_int_equal(meminfo_parse("Node 12 MemTotal:       16777216 kB\n"
				       "Node 12 HugePages_Free:     64\n\n",
				       &m, NULL),
			 0);
	assert_int_equal(m.node, 12);
	assert_true(meminfo_get(&m, "HugePages_Free", &v));
	assert_int_equal(v, 64);
	meminfo_release(&m);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"MemTotal: lots\n",
		"MemTotal 12 kB\n",
		"MemTotal: 12 MB\n",
		": 12\n",
		"Node 1 MemTotal: 1 kB\nNode 2 MemFree: 1 kB\n",
		"Node x MemTotal: 1 kB\n",
		"Mem Total: 1 kB\n",
		"MemTotal: -1 kB\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct meminfo m = MEMINFO_INIT;
		struct diag d = {0};

		assert_int_equal(meminfo_parse(bad[i], &m, &d), -EINVAL);
		assert_non_null(strstr(d.msg, "line"));
		assert_int_equal(m.count, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
