/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: profile files (includes of built-ins only: no file access). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile/profile.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct profile p;

	/* a relative include would open a file: keep the fuzzer off the disk */
	if (!strstr(text, "include") || !strchr(text, '/') || !strstr(text, ".conf"))
		if (profile_parse(text, "fuzz", &p, NULL) == 0)
			profile_release(&p);
	free(text);
	return 0;
}
