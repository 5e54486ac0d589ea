/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the kernel's bracket syntax ("always [madvise] never"). */
#include <stdint.h>
#include <stdlib.h>

#include "core/knobs.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	char word[32], choices[128];

	(void)knob_parse_bracket(text, word, sizeof(word), choices, sizeof(choices), NULL);
	free(text);
	return 0;
}
