/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The views of one placement plan: text, JSON, libvirt XML, QEMU, Proxmox, pool commands. */
#ifndef KVMTUNE_CLI_PLAN_RENDER_H
#define KVMTUNE_CLI_PLAN_RENDER_H

#include <stdbool.h>

struct host_model;
struct place_capacity;
struct place_host;
struct place_plan;
struct place_req;
struct place_usage;
struct qemu_target;
struct vm_spec;

struct plan_outputs {
	const char *format;    /* NULL or "text", "xml", "qemu", "proxmox", "hugepages" */
	const char *hugetlbfs; /* for the QEMU arguments, may be NULL */
	const struct host_model *m;
	struct vm_spec *specs;	 /* per VM: its domain (or an empty spec); exported into */
	const bool *from_domain; /* per VM */
	const struct place_usage *existing; /* the VMs already counted (may be NULL) */
	const struct qemu_target *qemu;	    /* the QEMU of --format qemu (NULL: the newest) */
};

/*
 * Print the plan; returns EXIT_OK, EXIT_USAGE when the target QEMU cannot
 * express a VM's memory (qemu_args_build refused it), or EXIT_FAILED when
 * another form could not be built.
 */
int plan_render(bool json, const struct place_host *h, const struct place_plan *p,
		const struct plan_outputs *o);
/* Free cores and pages per node; with a shape (and its counts), how many more fit. */
void plan_render_capacity(bool json, const struct place_host *h, const struct place_req *shape,
			  const struct place_capacity *cap);

#endif
