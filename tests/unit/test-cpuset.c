/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the cpulist/mask codec. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cpuset.h"
#include "util/diag.h"

/* Parse text as a list and return its canonical list form (caller frees). */
static char *roundtrip(const char *text, int *ret)
{
	struct cpuset s = CPUSET_INIT;
	struct diag d = {0};
	char *out;

	*ret = cpuset_parse_list(text, &s, &d);
	out = cpuset_to_list(&s);
	cpuset_release(&s);
	return out;
}

static void test_list_valid(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"0-3,8,10-11", "0-3,8,10-11"},
		{"", ""},
		{"\n", ""},
		{"5\n", "5"},
		{"3,2,1,0", "0-3"},
		{"0-7:2", "0,2,4,6"},
		{"  0-1 ", "0-1"},
		{"65535", "65535"},
		{"0,0,0", "0"},
	};
	int r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = roundtrip(cases[i].in, &r);

		assert_int_equal(r, 0);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

static void test_list_malformed(void **state)
{
	static const char *bad[] = {"0-",  "-3",    "3-1",   "a",	"0,,1", "0,",
				    "1 2", "0-3:0", "65536", "0-70000", "0x3",	",1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cpuset s = CPUSET_INIT;
		struct diag d = {0};
		int r = cpuset_parse_list(bad[i], &s, &d);

		assert_true(r == -EINVAL || r == -ERANGE);
		assert_true(strlen(d.msg) > 0);
		assert_true(cpuset_empty(&s)); /* untouched on failure */
		cpuset_release(&s);
	}
}

static void test_mask(void **state)
{
	struct cpuset s = CPUSET_INIT;
	struct diag d = {0};
	char *out;

	assert_int_equal(cpuset_parse_mask("00000000,0000ff00\n", &s, &d), 0);
	out = cpuset_to_list(&s);
	assert_string_equal(out, "8-15");
	free(out);
	assert_int_equal(cpuset_parse_mask("1,00000001", &s, &d), 0);
	out = cpuset_to_list(&s);
	assert_string_equal(out, "0,32");
	free(out);
	assert_int_equal(cpuset_parse_mask("0", &s, &d), 0);
	assert_true(cpuset_empty(&s));
	assert_int_equal(cpuset_parse_mask("xyz", &s, &d), -EINVAL);
	assert_int_equal(cpuset_parse_mask("", &s, &d), -EINVAL);
	assert_int_equal(cpuset_parse_mask("ff,", &s, &d), -EINVAL);
	assert_int_equal(cpuset_parse_mask("f,ff", &s, &d), -EINVAL);
	cpuset_release(&s);
}

static void test_ops(void **state)
{
	struct cpuset a = CPUSET_INIT, b = CPUSET_INIT;
	int i, n = 0;

	assert_int_equal(cpuset_parse_list("0-3,100", &a, NULL), 0);
	assert_int_equal(cpuset_parse_list("2-5", &b, NULL), 0);
	assert_int_equal(cpuset_count(&a), 5);
	assert_int_equal(cpuset_last(&a), 100);
	cpuset_foreach (i, &a)
		n++;
	assert_int_equal(n, 5);
	assert_false(cpuset_subset(&b, &a));
	cpuset_and(&b, &a);
	assert_true(cpuset_subset(&b, &a));
	assert_int_equal(cpuset_count(&b), 2);
	cpuset_or(&b, &a);
	assert_true(cpuset_equal(&a, &b));
	cpuset_release(&a);
	cpuset_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_valid),
		cmocka_unit_test(test_list_malformed),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
