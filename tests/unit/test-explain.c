/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the explain matcher: normalisation and recognition of real error texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/check.h"
#include "core/explain.h"

#include "util/banned.h"

static void test_normalize(void **state)
{
	static const char in[] = "  a\n\tb\r\n\0c\x01  d  \n";
	size_t len;
	char *out = explain_normalize(in, sizeof(in) - 1, &len);

	(void)state;
	assert_string_equal(out, "a b c d");
	assert_int_equal(len, 7);
	free(out);
	out = explain_normalize("", 0, &len);
	assert_string_equal(out, "");
	free(out);
}

/* Real texts (QEMU 7.2 stderr from tests/integration/explain-real.sh, libvirt 11.3 .err files). */
static const struct {
	const char *text;
	const char *id;
	const char *in_cause; /* a fragment the cause must contain (no host) */
} cases[] = {
	{"qemu-system-x86_64: can't open backing store /dev/hugepages/libvirt/qemu/3-vm for "
	 "guest RAM: Permission denied",
	 "backing-store-permission", "under '/dev/hugepages/libvirt/qemu'"},
	{"qemu-system-x86_64: can't open backing store\n/dev/hugepages1G/libvirt/qemu/1-vm for "
	 "guest RAM: No such file or directory",
	 "backing-store-missing", "1 GiB"},
	{"qemu-system-x86_64: unable to map backing store for guest RAM:\nCannot allocate memory",
	 "map-backing-store", "reserves every page"},
	{"qemu-system-x86_64: qemu_prealloc_mem: preallocating memory failed: Bad address",
	 "prealloc-failed", "hugetlb cgroup limit"},
	{"os_mem_prealloc: Insufficient free host memory pages available to allocate guest RAM",
	 "prealloc-failed", "NUMA node"},
	{"internal error: Unable to find any usable hugetlbfs mount for 5120 KiB",
	 "hugetlbfs-mount-missing", "pagesize=5M"},
	{"qemu-system-x86_64: failed to create memfd with flags 0x78000007: No such device",
	 "memfd-hugetlb", "1 GiB hugepages"},
	{"qemu-system-x86_64: cannot bind memory to host NUMA nodes: Invalid argument",
	 "host-nodes-bind", "does not exist"},
	{"qemu-system-x86_64: Invalid host-nodes value: 200", "host-nodes-invalid", "128"},
	{"qemu-system-x86_64: host-nodes must be set for policy bind", "host-nodes-policy",
	 "policy=bind"},
	{"libnuma: Warning: node argument 3 is out of range", "memory-policy", "node list"},
	{"mbind: Invalid argument", "memory-policy", "does not exist"},
	{"hugepages: node 4 not found", "libvirt-hugepages-cell", "guest NUMA cell 4"},
	{"unsupported configuration: NUMA node 999 is unavailable", "libvirt-node-unavailable",
	 "host node 999"},
	{"two master hugepages detected: 2048 and 1048576", "libvirt-two-default-pages",
	 "2048 and 1048576"},
	{"unsupported configuration: Invalid value of 'nodeset': 0,^0", "libvirt-nodeset-invalid",
	 "'0,^0'"},
	{"unsupported configuration: Per-node binding is not compatible with automatic NUMA "
	 "placement.",
	 "libvirt-memnode-auto", "numad"},
	{"unsupported configuration: nodeset for NUMA memory tuning must be set if 'placement' is "
	 "'static'",
	 "libvirt-nodeset-missing", "nodeset"},
	{"internal error: Advice from numad is needed in case of automatic numa placement",
	 "libvirt-numad", "numad"},
	{"qemu-system-x86_64: memory size 0x1000 must be equal to or larger than page size "
	 "0x200000",
	 "memory-too-small", "0x200000"},
};

static void test_recognise(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct findings f = {0};
		int n = explain_text(NULL, NULL, cases[i].text, strlen(cases[i].text), &f, NULL);

		if (n != 1 || strcmp(f.items[0].id, cases[i].id) != 0 ||
		    !strstr(f.items[0].message, cases[i].in_cause))
			fail_msg("case %zu '%s': got %d explanations, first '%s': %s", i,
				 cases[i].text, n, n > 0 ? f.items[0].id : "",
				 n > 0 ? f.items[0].message : "");
		findings_release(&f);
	}
}

static void test_unrecognised_and_dedupe(void **state)
{
	static const char junk[] = "qemu: -device foo: not a valid device\0\xff\xfe";
	static const char twice[] = "unable to map backing store for guest RAM: Cannot allocate "
				    "memory\nlater: unable to map backing store for guest RAM: "
				    "Cannot allocate memory\nhugepages: node 1 not found";
	struct findings f = {0};

	(void)state;
	assert_int_equal(explain_text(NULL, NULL, junk, sizeof(junk) - 1, &f, NULL), 0);
	assert_int_equal(explain_text(NULL, NULL, "", 0, &f, NULL), 0);
	/* the same error twice is explained once; order follows the log */
	assert_int_equal(explain_text(NULL, NULL, twice, strlen(twice), &f, NULL), 2);
	assert_string_equal(f.items[0].id, "map-backing-store");
	assert_string_equal(f.items[1].id, "libvirt-hugepages-cell");
	findings_release(&f);
}

static void test_host_nodes_from_log(void **state)
{
	static const char log[] =
		"-object {\"qom-type\":\"memory-backend-ram\",\"id\":\"ram\",\"size\":16777216,"
		"\"host-nodes\":[3,5],\"policy\":\"bind\"}\n"
		"qemu-system-x86_64: cannot bind memory to host NUMA nodes: Invalid argument";
	struct findings f = {0};

	(void)state;
	/* Without a host the nodes cannot be judged, but the error is still explained. */
	assert_int_equal(explain_text(NULL, NULL, log, strlen(log), &f, NULL), 1);
	assert_string_equal(f.items[0].quote,
			    "cannot bind memory to host NUMA nodes: Invalid argument");
	findings_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_recognise),
		cmocka_unit_test(test_unrecognised_and_dedupe),
		cmocka_unit_test(test_host_nodes_from_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
