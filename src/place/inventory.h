/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMs already on a host, as the planner must count them: libvirt domain
 * XMLs of a directory below the root (their nodes, page sizes, vCPU pins),
 * running QEMU processes as 'stat --vms' finds them (memory per node and
 * page size from numa_maps, vCPU threads' allowed CPUs), and kvmtune's
 * hugepage reservation records.  Read through the host seam.
 */
#ifndef KVMTUNE_PLACE_INVENTORY_H
#define KVMTUNE_PLACE_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct host;
struct host_model;
struct place_usage;

#define PLACE_DOMAINS_DIR "/etc/libvirt/qemu"

struct place_inventory_opts {
	const char *domains_dir; /* below the root; NULL: PLACE_DOMAINS_DIR */
	bool no_processes;	 /* do not scan /proc for QEMU */
	/* VMs being placed now: their domains and processes count as free (replanned) */
	const char *const *replan;
	size_t nreplan;
};

/*
 * Gather the existing VMs into ret (zeroed).  A domain file that does not
 * parse is skipped with a note in ret's names ("file: reason" as a VM
 * without usage is not added; the reason goes to notes).  Per VM and page
 * size: memory bound to one node is counted there, other memory as
 * unbound; what a running VM already holds on a node (have) is subtracted
 * from its configured demand (want), and a reservation record raises the
 * want of its owner (or stands alone).  vCPUs pinned to a single CPU (by
 * <vcpupin> or a thread's affinity) mark their CPU dedicated.  notes (may be
 * NULL) gets one line per skipped file.  -errno with a diag when a directory
 * or record cannot be read.
 */
int place_inventory_load(struct host *h, const struct host_model *m,
			 const struct place_inventory_opts *o, struct place_usage *ret,
			 char ***notes, size_t *nnotes, struct diag *d);

#endif
