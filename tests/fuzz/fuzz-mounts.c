/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: /proc/mounts and hugetlbfs options. */
#include <stdint.h>
#include <stdlib.h>

#include "core/mounts.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct hugetlbfs_mount *list = NULL;
	size_t n = 0;

	if (mounts_parse_hugetlbfs(text, 2048, &list, &n, NULL) == 0) {
		for (size_t i = 0; i < n; i++)
			hugetlbfs_mount_release(&list[i]);
		free(list);
	}
	free(text);
	return 0;
}
