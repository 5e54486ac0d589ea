/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner's host as plan, run and the daemon read it, built in one
 * place: the memory each node could give up (the hugepages guard), the VMs
 * already there (reservation records, defined domains, running QEMUs) counted
 * as used, the planner's host with the keep-free guard, and the measured
 * costs between nodes when saved.  What differs between callers is an option.
 */
#ifndef KVMTUNE_PLACE_ENV_H
#define KVMTUNE_PLACE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hugepages-plan.h"
#include "place/host.h"

struct diag;
struct host;
struct host_model;

struct place_env_opts {
	/* memory from the model alone, every node idle (an hwloc XML topology):
	 * no /proc/meminfo or pools are read */
	bool idle;
	/* inventory: libvirt domains below the root (NULL: PLACE_DOMAINS_DIR) */
	const char *domains_dir;
	bool no_processes; /* running QEMU processes do not count */
	/* VMs placed now: what their owners hold counts as free */
	const char *const *replan;
	size_t nreplan;
	int64_t keep_free_kib; /* per node, -1: the hugepages guard's default */
	unsigned host_cores;   /* cores per node kept from dedicated vCPUs */
	bool note_used;	       /* a note per existing VM counted as used */
	bool saved_costs;      /* the host's saved measured costs (MEMCOST_PATH) over SLIT */
};

struct place_env {
	struct hp_mem mem;	  /* what each node could give up */
	struct place_usage usage; /* the existing VMs (empty without a host) */
	struct place_host ph;	  /* the planner's host; its notes say how usage was counted */
};

/*
 * Build ret (zeroed) for the model m of host h.  h may be NULL only with
 * o->idle: then no existing VM is counted.  Notes on ret->ph, in this order:
 * with note_used, "counted as used: NAME (running|defined|reserved pages)"
 * per VM not replanned; one per domain file the inventory skipped; with
 * saved_costs, whether the saved costs replaced SLIT or why not (none when
 * no costs are saved).  -errno with a diag when the host, a domain directory
 * or a record cannot be read; ret is then to be released all the same.
 */
int place_env_load(struct host *h, const struct host_model *m, const struct place_env_opts *o,
		   struct place_env *ret, struct diag *d);
void place_env_release(struct place_env *e);

#endif
