/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU topology (packages, cores, SMT threads) from hwloc, which reads the
 * same root as struct host through HWLOC_FSROOT.
 */
#ifndef KVMTUNE_CORE_TOPOLOGY_H
#define KVMTUNE_CORE_TOPOLOGY_H

#include <stddef.h>

struct host;
struct host_model;

/*
 * Fill m->pus, packages, cores and threads_per_core.  Needs m->nodes and
 * m->cpus_online loaded.  When hwloc cannot load the root, every online CPU
 * becomes its own core and package is unknown; topology_from_hwloc says which.
 */
void topology_load(struct host *h, struct host_model *m);
/* Free an array of groups (accepts NULL). */
struct cpu_group;
void topology_groups_free(struct cpu_group *groups, size_t n);

#endif
