/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the QEMU command line given to 'kvmtune run' (NUL- or newline-separated words). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/run-argv.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	char **argv = xcalloc(size + 2, sizeof(*argv));
	struct run_argv a = {0};
	int argc = 0;

	memcpy(text, data, size);
	text[size] = '\0';
	argv[argc++] = text;
	for (size_t i = 0; i < size; i++)
		if (text[i] == '\n' || text[i] == '\0') {
			text[i] = '\0';
			argv[argc++] = text + i + 1;
		}
	argv[argc] = NULL;
	(void)run_argv_parse(argc, argv, &a, NULL);
	run_argv_release(&a);
	free(argv);
	free(text);
	return 0;
}
