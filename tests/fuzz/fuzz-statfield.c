/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: /proc/PID/stat fields (procstat_stat_field) and KVM debugfs directory names. */
#include <stdint.h>
#include <stdlib.h>

#include "core/kvmstat.h"
#include "core/procstat.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	int64_t v;
	int pid, fd;

	for (int field = 1; field <= 52; field++)
		(void)procstat_stat_field(text, field, &v);
	(void)kvmstat_parse_dirname(text, &pid, &fd);
	free(text);
	return 0;
}
