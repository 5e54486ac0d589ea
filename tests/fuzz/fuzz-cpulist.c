/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: cpulist and mask parsers, with a round-trip check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct cpuset s = CPUSET_INIT, t = CPUSET_INIT;

	if (cpuset_parse_list(text, &s, NULL) == 0) {
		char *out = cpuset_to_list(&s);

		/* The canonical form must parse back to the same set. */
		if (cpuset_parse_list(out, &t, NULL) != 0 || !cpuset_equal(&s, &t))
			abort();
		free(out);
	}
	(void)cpuset_parse_mask(text, &s, NULL);
	cpuset_release(&s);
	cpuset_release(&t);
	free(text);
	return 0;
}
