/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: libvirt domain XML → vm_spec, and the spec → QEMU arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/domxml.h"
#include "core/model.h"
#include "core/qemu-args.h"
#include "core/vmspec.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_model m = {0};
	struct vm_spec vm;
	struct qemu_mem_args a = {0};

	vm_spec_init(&vm);
	if (domxml_parse((const char *)data, size, &vm, NULL) == 0) {
		/* a 1-node host with a 2M mount: exercises the builder on every parsed spec */
		m.nnodes = 1;
		m.nodes = xcalloc(1, sizeof(*m.nodes));
		m.nodes[0].mem_total_kib = 1 << 20;
		m.npools = 1;
		m.pools = xcalloc(1, sizeof(*m.pools));
		m.pools[0].size_kib = 2048;
		m.default_hugepage_kib = 2048;
		m.nmounts = 1;
		m.mounts = xcalloc(1, sizeof(*m.mounts));
		m.mounts[0].path = xstrdup("/hp");
		m.mounts[0].pagesize_kib = 2048;
		if (qemu_args_build(&vm, &m, NULL, &a, NULL) == 0)
			qemu_mem_args_release(&a);
		host_model_release(&m);
	}
	vm_spec_release(&vm);
	return 0;
}
