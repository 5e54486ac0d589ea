/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: QEMU version text (--qemu-version, a binary's --version output). */
#include <stdint.h>
#include <stdlib.h>

#include "core/qemu-version.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct qemu_version v;
	struct qemu_caps c;
	char buf[48];

	if (qemu_version_parse(text, &v, NULL) == 0) {
		(void)qemu_version_format(&v, buf, sizeof(buf));
		(void)qemu_caps_for(&v, &c, NULL);
	}
	free(text);
	return 0;
}
