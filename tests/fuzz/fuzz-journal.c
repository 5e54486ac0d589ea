/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: undo journal entries (JSON read back from disk) and base64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"
#include "util/base64.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct journal_entry e;
	char *dec = NULL;
	size_t n;

	if (journal_entry_parse((const char *)data, size, &e, NULL) == 0) {
		char *again = journal_entry_format(&e);
		struct journal_entry e2;

		/* what we write, we read back */
		if (journal_entry_parse(again, strlen(again), &e2, NULL) != 0)
			abort();
		journal_entry_release(&e2);
		free(again);
		journal_entry_release(&e);
	}
	if (base64_decode(text, &dec, &n) == 0)
		free(dec);
	free(text);
	return 0;
}
