/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * After a reboot: did what 'hugepages persist' wrote take?  The pools its
 * files ask for (the sysctl.d file, the grub drop-in's command line, the
 * oneshot unit's ExecStart lines) against the running pools per node and
 * size, each shortfall naming the boot parameter or unit behind it.
 */
#ifndef KVMTUNE_CORE_HUGEPAGES_VERIFY_H
#define KVMTUNE_CORE_HUGEPAGES_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;
struct host_model;

enum hp_verify_source {
	HP_VERIFY_SYSCTL = 1u << 0,  /* vm.nr_hugepages in the sysctl.d file */
	HP_VERIFY_CMDLINE = 1u << 1, /* hugepages= in the grub drop-in */
	HP_VERIFY_UNIT = 1u << 2,    /* an ExecStart=... hugepages set of the oneshot unit */
};

/* One persisted pool: node -1 is host-wide. */
struct hp_verify_item {
	int node;
	uint64_t size_kib;
	int64_t persisted; /* pages the files ask for at boot */
	int64_t running;   /* pages in the pool now, -1 when unknown */
	unsigned sources;  /* enum hp_verify_source: who sets it at boot */
	bool ok;	   /* running >= persisted */
	char problem[600]; /* when not ok: what did not take, and what to do */
};

struct hp_verify {
	struct hp_verify_item *v;
	size_t n;
	unsigned files;		 /* enum hp_verify_source: which files exist */
	bool cmdline_not_booted; /* the drop-in's words are not on /proc/cmdline */
	char cmdline_words[512]; /* the drop-in's hugepage words ("" when none) */
};

/*
 * Read the persist files below h's root and compare with m's pools.  The
 * unit runs last at boot, so its count wins over the command line's, which
 * wins over sysctl's.  Absent files persist nothing (v->files says which
 * exist); -errno with d when one exists but cannot be read.
 */
int hugepages_persist_verify(struct host *h, const struct host_model *m, struct hp_verify *ret,
			     struct diag *d);
/* Count of items that did not take. */
size_t hp_verify_failures(const struct hp_verify *v);
void hp_verify_release(struct hp_verify *v);

#endif
