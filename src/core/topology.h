/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU topology (packages, cores, SMT threads) from hwloc, which reads the
 * same root as struct host through HWLOC_FSROOT.
 */
#ifndef KVMTUNE_CORE_TOPOLOGY_H
#define KVMTUNE_CORE_TOPOLOGY_H

#include <stddef.h>

struct diag;
struct host;
struct host_model;

/*
 * Fill m->pus, packages, cores and threads_per_core.  Needs m->nodes and
 * m->cpus_online loaded.  When hwloc cannot load the root, every online CPU
 * becomes its own core and package is unknown; topology_from_hwloc says which.
 */
void topology_load(struct host *h, struct host_model *m);
/*
 * A whole host model from an hwloc XML export (lstopo --of xml): nodes with
 * their CPUs (a CPU covered by several nodes goes to the plain one, so that
 * MCDRAM/CXL nodes are CPU-less as in sysfs), memory (local_memory, all of it
 * taken as free: the XML has no free count), pools from each node's
 * page_type counts (all free), distances from hwloc's NUMA distance matrix
 * (10/20 without one), cores, packages and caches.  The CPU's page sizes are
 * the pool sizes.  ret must be zeroed.  The file is read as a user file
 * (regular, at most 64 MiB).  -EINVAL with a diag naming the file when hwloc
 * cannot read it or it has no node or PU, -EFBIG for a larger file, -errno
 * of open/read; -ELIBACC without hwloc.
 */
int topology_load_xml(const char *path, struct host_model *ret, struct diag *d);
/* Free an array of groups (accepts NULL). */
struct cpu_group;
void topology_groups_free(struct cpu_group *groups, size_t n);

#endif
