/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: meminfo parser. */
#include <stdint.h>
#include <stdlib.h>

#include "core/meminfo.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct meminfo m = MEMINFO_INIT;
	uint64_t v;

	if (meminfo_parse(text, &m, NULL) == 0)
		(void)meminfo_get(&m, "MemTotal", &v);
	meminfo_release(&m);
	free(text);
	return 0;
}
