/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: number, size and octal parsers. */
#include <stdint.h>
#include <stdlib.h>

#include "util/parse-num.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	uint64_t v;
	int64_t i;
	uint32_t m;
	char buf[32];

	if (parse_size_kib(text, &v) == 0)
		(void)format_size_kib(v, buf, sizeof(buf));
	(void)parse_u64(text, &v);
	(void)parse_i64(text, &i);
	(void)parse_octal(text, &m);
	free(text);
	return 0;
}
