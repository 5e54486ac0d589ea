/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for escaping outside text for the terminal and for JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "util/escape.h"

static void check(char *(*fn)(const char *), const char *in, const char *want)
{
	char *got = fn(in);

	assert_string_equal(got, want);
	free(got);
}

static char *esc(const char *text)
{
	return str_escape(text, 4096);
}

/* C0 controls, DEL, C1 controls (U+0080..U+009F, here CSI U+009B) and bytes that are
 * not UTF-8 (a lone 0xff, a raw 8-bit CSI 0x9b, an overlong '/', a surrogate, a cut
 * sequence) never reach a terminal raw; printable UTF-8 (é, the euro sign) passes. */
static void test_escape(void **state)
{
	(void)state;
	check(esc, "a\\b\n\t\r\x1b[2J\x7f", "a\\\\b\\n\\t\\r\\x1b[2J\\x7f");
	check(esc,
	      "x\xc2\x9b"
	      "31m",
	      "x\\xc2\\x9b31m");
	check(esc, "\xff\x9b", "\\xff\\x9b");
	check(esc, "\xc0\xaf|\xed\xa0\x80|\xe2\x82", "\\xc0\\xaf|\\xed\\xa0\\x80|\\xe2\\x82");
	check(esc, "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
	assert_true(str_is_printable("caf\xc3\xa9"));
	assert_false(str_is_printable("x\xc2\x9b"));
	assert_false(str_is_printable("\xff"));
	assert_false(str_is_printable("a\\b"));
}

/* A message kvmtune composed keeps its backslashes, newlines and tabs. */
static void test_term_safe(void **state)
{
	(void)state;
	check(str_term_safe, "'x\\x1b' at\tline\n2", "'x\\x1b' at\tline\n2");
	check(str_term_safe, "x\x1b]0;t\x07\r\xc2\x9b\xff", "x\\x1b]0;t\\x07\\r\\xc2\\x9b\\xff");
}

/* json-c's text: bytes >= 0x7f are inside strings; the result is valid UTF-8. */
static void test_json_safe(void **state)
{
	(void)state;
	check(str_json_safe, "{ \"a\": \"x\\u001b\xc2\x9b\xff\x7f\xc3\xa9\" }",
	      "{ \"a\": \"x\\u001b\\u009b\\ufffd\\u007f\xc3\xa9\" }");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_term_safe),
		cmocka_unit_test(test_json_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
