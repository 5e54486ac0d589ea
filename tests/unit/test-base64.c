/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for base64: RFC 4648 test vectors, every byte value, strict decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"

#include "util/banned.h"

static void test_vectors(void **state)
{
	static const char *const v[][2] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = base64_encode(v[i][0], strlen(v[i][0])), *dec = NULL;
		size_t n = 0;

		assert_string_equal(e, v[i][1]);
		assert_int_equal(base64_decode(e, &dec, &n), 0);
		assert_int_equal(n, strlen(v[i][0]));
		assert_memory_equal(dec, v[i][0], n);
		free(e);
		free(dec);
	}
}

static void test_all_bytes(void **state)
{
	unsigned char bytes[256 * 3 + 2];
	char *e, *dec = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7 + (i >> 8));
	for (size_t len = 0; len <= sizeof(bytes); len += 1 + len / 3) {
		e = base64_encode(bytes, len);
		assert_int_equal(base64_decode(e, &dec, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(dec, bytes, len);
		assert_int_equal(dec[len], '\0');
		free(e);
		free(dec);
	}
}

static void test_strict(void **state)
{
	static const char *const bad[] = {"Zg=",      "Zg",   "Z===",	"Zh==", "Zm9=", "Zm 9v",
					  "Zg==Zg==", "=Zm9", "Zm9v\n", "Zm-v", "A"};
	char *dec = NULL;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(base64_decode(bad[i], &dec, &n), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_all_bytes),
		cmocka_unit_test(test_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
