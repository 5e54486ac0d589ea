/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the check helpers: the domain XML reader, QEMU's access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/check-domains.h"
#include "core/check.h"
#include "core/qemu-user.h"
#include "util/diag.h"

#include "util/banned.h"

static const char *const dom_cells =
	"<domain><name>db</name><memory unit='GiB'>6</memory>"
	"<memoryBacking><hugepages><page size='1' unit='G' nodeset='1'/>"
	"<page size='2048'/></hugepages></memoryBacking>"
	"<numatune><memory mode='preferred' nodeset='0-1'/>"
	"<memnode cellid='1' mode='strict' nodeset='1'/></numatune>"
	"<cpu><numa><cell id='0' cpus='0' memory='2' unit='GiB'/>"
	"<cell id='1' cpus='1' memory='4194304000' unit='b'/></numa></cpu></domain>";

static void test_domain_cells(void **state)
{
	struct domain_demand dd;
	struct diag d = {0};

	(void)state;
	assert_int_equal(domain_demand_parse(dom_cells, strlen(dom_cells), "x.xml", 2048, &dd, &d),
			 0);
	assert_string_equal(dd.name, "db");
	assert_int_equal(dd.nparts, 2);
	assert_int_equal(dd.parts[0].cell, 0);
	assert_int_equal(dd.parts[0].size_kib, 2097152);
	assert_int_equal(dd.parts[0].page_kib, 2048); /* the <page> without nodeset */
	assert_string_equal(dd.parts[0].mode, "preferred");
	assert_int_equal(dd.parts[1].page_kib, 1048576);
	assert_int_equal(dd.parts[1].size_kib, 4096000); /* 4194304000 bytes */
	assert_string_equal(dd.parts[1].mode, "strict");
	assert_true(cpuset_isset(&dd.parts[1].host, 1));
	assert_false(cpuset_isset(&dd.parts[1].host, 0));
	domain_demand_release(&dd);
}

static void test_domain_plain(void **state)
{
	static const char xml[] = "<domain><name>a</name><memory unit='KB'>1000000</memory>"
				  "<memoryBacking><hugepages/></memoryBacking></domain>";
	static const char nohuge[] = "<domain><name>b</name><memory>1024</memory></domain>";
	struct domain_demand dd;

	(void)state;
	assert_int_equal(domain_demand_parse(xml, strlen(xml), "a.xml", 2048, &dd, NULL), 0);
	assert_int_equal(dd.nparts, 1);
	assert_int_equal(dd.parts[0].size_kib, 976563); /* 10^9 bytes, rounded up */
	assert_int_equal(dd.parts[0].page_kib, 2048);
	assert_true(cpuset_empty(&dd.parts[0].host));
	domain_demand_release(&dd);
	assert_int_equal(domain_demand_parse(nohuge, strlen(nohuge), "b.xml", 2048, &dd, NULL), 0);
	assert_int_equal(dd.parts[0].page_kib, 0);
	domain_demand_release(&dd);
}

static void test_domain_exclusion(void **state)
{
	static const char xml[] =
		"<domain><name>x</name><memory>1048576</memory>"
		"<numatune><memory mode='strict' nodeset='0-3'/>"
		"<memnode cellid='0' mode='strict' nodeset='0-2,^1'/></numatune>"
		"<cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB'/>"
		"<cell id='1' cpus='1' memory='512' unit='MiB'/></numa></cpu></domain>";
	static const char autox[] = "<domain><name>a</name><memory>1024</memory>"
				    "<numatune><memory mode='strict' placement='auto' "
				    "nodeset='1'/></numatune></domain>";
	struct domain_demand dd;

	(void)state;
	assert_int_equal(domain_demand_parse(xml, strlen(xml), "x.xml", 2048, &dd, NULL), 0);
	assert_int_equal(dd.nparts, 2);
	assert_int_equal(cpuset_count(&dd.parts[0].host), 2); /* 0 and 2 */
	assert_true(cpuset_isset(&dd.parts[0].host, 2));
	assert_false(cpuset_isset(&dd.parts[0].host, 1));
	assert_int_equal(cpuset_count(&dd.parts[1].host), 4); /* the domain's 0-3 */
	domain_demand_release(&dd);
	assert_int_equal(domain_demand_parse(autox, strlen(autox), "a.xml", 2048, &dd, NULL), 0);
	assert_true(dd.placement_auto);
	assert_true(cpuset_empty(&dd.parts[0].host));
	domain_demand_release(&dd);
}

static void test_domain_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"<domain>",
		"<notdomain/>",
		"<domain><name>x</name></domain>",
		"<domain><memory unit='parsec'>1</memory></domain>",
		"<domain><memory>99999999999999999999</memory></domain>",
		"<domain><memory unit='EiB'>99999</memory></domain>",
	};
	struct domain_demand dd;
	struct diag d = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(domain_demand_parse(bad[i], strlen(bad[i]), "bad.xml", 2048, &dd, &d) <
			    0);
}

static void test_access(void **state)
{
	int64_t groups[] = {108};
	struct qemu_ident q = {.uid = 64055, .gid = 108, .groups = groups, .ngroups = 1};

	(void)state;
	assert_int_equal(qemu_ident_access(&q, 01770, 0, 108), 7);
	assert_int_equal(qemu_ident_access(&q, 0755, 0, 0), 5);
	assert_int_equal(qemu_ident_access(&q, 01352, 0, 108), 5);
	assert_int_equal(qemu_ident_access(&q, 0700, 64055, 0), 7);
	q.uid = -1;
	assert_int_equal(qemu_ident_access(&q, 0777, 0, 0), -1);
	q.uid = 0;
	assert_int_equal(qemu_ident_access(&q, 0, 5, 5), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_cells),	 cmocka_unit_test(test_domain_plain),
		cmocka_unit_test(test_domain_exclusion), cmocka_unit_test(test_domain_bad),
		cmocka_unit_test(test_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
