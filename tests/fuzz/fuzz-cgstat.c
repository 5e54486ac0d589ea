/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: cgroup numa_stat parsers (memory and hugetlb, v1 and v2). */
#include <stdint.h>
#include <stdlib.h>

#include "core/cgstat.h"
#include "core/numamaps.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct numamaps_usage u = NUMAMAPS_USAGE_INIT;
	unsigned mode = size ? data[0] & 3 : 0;
	char *text = size ? xstrndup((const char *)data + 1, size - 1) : xstrndup("", 0);

	/* the first byte picks the file: memory v2, memory v1, hugetlb v2, hugetlb v1 */
	if (mode < 2)
		(void)cgstat_parse_memory(text, mode == 1, 4, "memory.numa_stat", &u, NULL);
	else
		(void)cgstat_parse_hugetlb(text, mode == 3, 2048, "hugetlb.2MB.numa_stat", &u,
					   NULL);
	(void)numamaps_usage_total_kib(&u, -1);
	numamaps_usage_release(&u);
	free(text);
	return 0;
}
