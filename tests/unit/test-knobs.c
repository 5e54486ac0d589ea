/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the knob table and the THP bracket syntax. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/knobs.h"
#include "util/diag.h"

static void test_bracket(void **state)
{
	char word[32], choices[128];

	assert_int_equal(knob_parse_bracket("always [madvise] never\n", word, sizeof(word), choices,
					    sizeof(choices), NULL),
			 0);
	assert_string_equal(word, "madvise");
	assert_string_equal(choices, "always madvise never");
	assert_int_equal(knob_parse_bracket("[always] defer defer+madvise madvise never", word,
					    sizeof(word), choices, sizeof(choices), NULL),
			 0);
	assert_string_equal(word, "always");
}

static void test_bracket_malformed(void **state)
{
	static const char *bad[] = {"always madvise never",
				    "[always] [never]",
				    "[always",
				    "always] never",
				    "",
				    "[]",
				    "al[ways]"};
	char word[32], choices[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag d = {0};

		assert_int_equal(knob_parse_bracket(bad[i], word, sizeof(word), choices,
						    sizeof(choices), &d),
				 -EINVAL);
		assert_true(d.msg[0] != '\0');
	}
}

static void test_table(void **state)
{
	for (size_t i = 0; i < KNOB_COUNT_; i++) {
		assert_int_equal(knob_table[i].id, i); /* rows in enum order */
		for (size_t j = 0; j < i; j++)	       /* names are unique */
			assert_true(strcmp(knob_table[j].name, knob_table[i].name) != 0);
		assert_true(knob_table[i].path[0] == '/');
		assert_true(strlen(knob_table[i].help) > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bracket),
		cmocka_unit_test(test_bracket_malformed),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
