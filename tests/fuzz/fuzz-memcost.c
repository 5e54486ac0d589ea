/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the saved memory costs (/var/lib/kvmtune/memory-costs) parser. */
#include <stdint.h>
#include <stdlib.h>

#include "core/memcost.h"
#include "util/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memcost c = {0};
	struct memcost_page p = {.size_kib = 4};

	if (memcost_parse((const char *)data, size, &c, NULL) == 0) {
		struct sbuf out = SBUF_INIT;

		memcost_format(&c, &out);
		(void)memcost_node_ratio(&c, &p, 0, 1);
		sbuf_release(&out);
	}
	memcost_release(&c);
	return 0;
}
