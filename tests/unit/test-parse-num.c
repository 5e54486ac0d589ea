/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the strict number and size parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/parse-num.h"

static void test_u64(void **state)
{
	uint64_t v = 7;

	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	v = 7;
	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64("+1", &v), -EINVAL);
	assert_int_equal(parse_u64("12abc", &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched on failure */
	assert_int_equal(parse_u64_trim(" 42\n", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64_trim("\n", &v), -EINVAL);
}

static void test_i64_octal(void **state)
{
	int64_t i;
	uint32_t m;

	assert_int_equal(parse_i64("-5", &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(parse_i64("-", &i), -EINVAL);
	assert_int_equal(parse_octal("1770", &m), 0);
	assert_int_equal(m, 01770);
	assert_int_equal(parse_octal("01770", &m), 0);
	assert_int_equal(m, 01770);
	assert_int_equal(parse_octal("1780", &m), -EINVAL);
	assert_int_equal(parse_octal("17777", &m), -ERANGE);
}

static void test_size(void **state)
{
	static const struct {
		const char *in;
		uint64_t kib;
	} ok[] = {
		{"2M", 2048},	   {"2MiB", 2048},     {"2mb", 2048},	{"1G", 1048576},
		{"1GiB", 1048576}, {"2048kB", 2048},   {"2048k", 2048}, {"4096", 4},
		{"64K", 64},	   {"1T", 1073741824}, {"0", 0},
	};
	static const char *bad[] = {"", "M", "2X", "-1M", "1.5G", "1023", "2 M", "abc"};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_size_kib(ok[i].in, &v), 0);
		assert_int_equal(v, ok[i].kib);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(parse_size_kib(bad[i], &v), 0);
	assert_int_equal(parse_size_kib("99999999999999999999G", &v), -ERANGE);
}

static void test_format(void **state)
{
	char buf[32];

	assert_string_equal(format_pagesize(2048, buf, sizeof(buf)), "2M");
	assert_string_equal(format_pagesize(1048576, buf, sizeof(buf)), "1G");
	assert_string_equal(format_pagesize(64, buf, sizeof(buf)), "64K");
	assert_string_equal(format_size_kib(2048, buf, sizeof(buf)), "2 MiB");
	assert_string_equal(format_size_kib(1572864, buf, sizeof(buf)), "1.5 GiB");
	assert_string_equal(format_size_kib(512, buf, sizeof(buf)), "512 KiB");
	/* 8388604 KiB is 7.99999 GiB: rounds to 8, not 7.9. */
	assert_string_equal(format_size_kib(8388604, buf, sizeof(buf)), "8 GiB");
	assert_string_equal(format_size_kib(1023, buf, sizeof(buf)), "1023 KiB");
	assert_string_equal(format_size_kib(1048575, buf, sizeof(buf)), "1024 MiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_i64_octal),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
