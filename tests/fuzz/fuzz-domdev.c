/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: a domain's devices, CPU model and topology, and their lint. */
#include <stdint.h>
#include <stdlib.h>

#include "core/domdev.h"
#include "core/lint-devices.h"
#include "core/lint.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host_model m = {0};
	struct lint_report r = {0};
	struct vm_devices dv;
	struct vm_spec vm;

	if (domdev_parse((const char *)data, size, &dv, NULL) != 0)
		return 0;
	/* a host with SMT pairs (0,1) and (2,3), and a 2-cell guest */
	m.threads_per_core = 2;
	m.ncore_groups = 2;
	m.core_groups = xcalloc(2, sizeof(*m.core_groups));
	for (unsigned i = 0; i < 4; i++)
		cpuset_set(&m.core_groups[i / 2].cpus, i);
	vm_spec_init(&vm);
	cpuset_set(&vm_spec_add_cell(&vm, 0)->cpus, 0);
	cpuset_set(&vm_spec_add_cell(&vm, 1)->cpus, 1);
	lint_devices(&dv, &vm, &m, &r);
	lint_report_release(&r);
	vm_spec_release(&vm);
	host_model_release(&m);
	domdev_release(&dv);
	return 0;
}
