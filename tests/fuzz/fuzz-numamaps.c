/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of the numa_maps parser and accounting: any input must parse
 * or fail with -EINVAL, never crash, and the totals must add up.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "core/numamaps.h"
#include "util/diag.h"

#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct numamaps_usage u = NUMAMAPS_USAGE_INIT;
	struct diag d = {0};
	uint64_t sum = 0;
	int r;

	if (size > 1 << 20)
		return 0;
	r = numamaps_usage_parse(&u, (const char *)data, size, 4, 2048, &d);
	assert(r >= 0);
	assert(r == 0 || d.err != 0);
	for (int c = 0; c < NUMAMAPS_CAT_COUNT_; c++)
		sum += numamaps_usage_total_kib(&u, c);
	assert(sum == numamaps_usage_total_kib(&u, -1));
	numamaps_usage_release(&u);
	return 0;
}
