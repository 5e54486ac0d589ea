/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the log matcher of `kvmtune explain`: any bytes, with
 * no host (the matcher, param extraction and explanations without evidence)
 * and with the host of the fixture root in KVMTUNE_FUZZ_ROOT when set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/check.h"
#include "core/explain.h"
#include "core/host.h"

#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct host *h;
	static int opened;
	struct findings f = {0};
	struct explain_opts eo = {.user = NULL};

	if (!opened) {
		const char *root = getenv("KVMTUNE_FUZZ_ROOT");

		opened = 1;
		if (root && host_open(root, &h, NULL) < 0)
			h = NULL;
	}
	(void)explain_text(NULL, &eo, (const char *)data, size, &f, NULL);
	if (h)
		(void)explain_text(h, &eo, (const char *)data, size, &f, NULL);
	findings_release(&f);
	return 0;
}
