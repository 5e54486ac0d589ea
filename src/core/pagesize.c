/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The base page size of the running system. */
#include "core/pagesize.h"

#include <unistd.h>

#include "util/banned.h"

uint64_t pagesize_base_kib(void)
{
	long bytes = sysconf(_SC_PAGESIZE);

	/* POSIX requires it; 4 KiB is the smallest any Linux port uses */
	return bytes >= 4096 ? (uint64_t)bytes / 1024 : 4;
}
