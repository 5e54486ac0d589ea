/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A VM's hugepage reservation as one transaction: under host_lock
 * "hugepages", read the pools and records, drop the records of holders that
 * are gone (a SIGKILLed 'kvmtune run'), decide, grow every pool the VM needs
 * or none (a shortfall is rolled back), and save the owner's record with its
 * holder process; with a journal command, what changed goes into the undo
 * journal, or everything is put back.  Release is the same in reverse.  Used by 'hugepages
 * reserve/release', 'run' and the libvirt hook.
 */
#ifndef KVMTUNE_CORE_HUGEPAGES_TXN_H
#define KVMTUNE_CORE_HUGEPAGES_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"

struct diag;
struct host;
struct qemu_mem_args;
struct host_model;
struct vm_spec;

/* Pages a VM needs in one pool (node -1: the host-wide pool). */
struct hp_need {
	int node;
	uint64_t page_kib;
	int64_t pages;
};

struct hp_needs {
	struct hp_need *v; /* one entry per pool */
	size_t n;
};

/*
 * Add size_kib (rounded up to whole pages) to a pool's need.  -ERANGE with a
 * diag when the sum overflows.
 */
int hp_needs_add(struct hp_needs *n, int node, uint64_t page_kib, uint64_t size_kib,
		 struct diag *d);
void hp_needs_release(struct hp_needs *n);

/*
 * The hugepages the backends of a built VM need: a backend bound to one
 * host node needs its pages there; bound ('bind') or interleaved over
 * several, split evenly in whole pages (the first nodes take the remainder);
 * 'preferred' takes them from its first node; without host nodes (no policy,
 * 'restrictive') from the host-wide pool.  Normal-page backends need none.
 */
int hp_needs_from_backends(const struct qemu_mem_args *a, struct hp_needs *ret, struct diag *d);

/*
 * The same for a VM as described (a libvirt domain, for the hook), without
 * building its arguments: per cell (or for the whole VM) its page size
 * (<hugepages/> alone: the host's default), its nodes (the cell's
 * <memnode>, else the <numatune> nodeset; 'restrictive' counts as bound;
 * placement='auto' and no nodeset: the host-wide pool).  -EINVAL with a
 * diag when hugepages of the default size are asked for on a host without
 * one.
 */
int hp_needs_from_vm(const struct vm_spec *vm, const struct host_model *m, struct hp_needs *ret,
		     struct diag *d);

struct hp_txn_opts {
	unsigned lock_timeout_ms;
	struct hp_apply_opts apply;
	int64_t keep_free_kib; /* -1: the default guard */
	bool dry_run;	       /* decide only: nothing is written */
	bool clean_stale;      /* release the records of holders that are gone first */
	/* the caller holds the "hugepages" lock already (it decided under it,
	 * e.g. run's placement): the transaction does not take it again */
	bool locked;
	int holder_pid; /* the process holding the reservation, 0: none */
	/* non-NULL: record what changed (pools, records) in the undo journal
	 * (core/journal.h) under this command line; when it cannot be recorded,
	 * every change is put back (kvmtune makes no change undo cannot revert) */
	const char *journal_command;
	uint64_t holder_start;
};

/* Where a transaction that returned -errno stopped (for the report and the exit code). */
enum hp_txn_fail {
	HP_TXN_FAIL_NONE,   /* not failed, or refused before reading the host (lock, owner) */
	HP_TXN_FAIL_READ,   /* reading the host (model, pools, records) failed: nothing changed */
	HP_TXN_FAIL_DECIDE, /* refused by the guard, the sizes or another holder: nothing changed */
	HP_TXN_FAIL_APPLY,  /* resizing a pool failed: hugepages_outcome() of plan and res */
	HP_TXN_FAIL_RECORD, /* the record could not be written after the pools changed */
	HP_TXN_FAIL_STALE,  /* releasing stale records failed: outcome of stale_plan, stale_res */
	HP_TXN_FAIL_JOURNAL, /* the undo journal could not record it: every change was put back */
	HP_TXN_FAIL_UNJOURNALED, /* ... and putting the changes back failed too (d says which) */
};

struct hp_txn_result {
	enum hp_txn_fail fail;	   /* where it stopped when it returned -errno */
	struct hp_plan stale_plan; /* releases of stale records (clean_stale) */
	struct hp_result *stale_res;
	char **stale;	       /* their owners (NULL-terminated) */
	struct hp_plan plan;   /* the reservation or release */
	struct hp_result *res; /* NULL on a dry run */
	bool already;	       /* reserve: the owner holds exactly this already */
	int64_t kept_pages;    /* release: pages left in pools (in use, held by others) */
	char *record;	       /* the owner's record text after the transaction */
	uint64_t journal_id;   /* the undo journal's entry for what changed, 0: none */
};

void hp_txn_result_release(struct hp_txn_result *r);

/*
 * Reserve needs for owner.  0: reserved (or already held, or planned on a
 * dry run); 1: too few pages could be found, every pool was put back;
 * -ENOSPC/-EINVAL with a diag when refused by the guard or the sizes
 * (nothing changed); -EEXIST when owner holds a different reservation;
 * -EBUSY when another live process holds owner's reservation;
 * -EAGAIN when the lock was busy for lock_timeout_ms; other -errno on a
 * failed read or write (a write is rolled back; the record failing after
 * the pools grew puts them back too).  ret->fail says where it stopped.
 */
int hp_txn_reserve(struct host *h, const char *owner, const struct hp_needs *needs,
		   const struct hp_txn_opts *o, struct hp_txn_result *ret, struct diag *d);

/*
 * Release everything the owners hold (nowners 0 with clean_stale: only the
 * stale records).  0 on success (also when there was nothing), -errno with
 * ret->fail saying where it stopped (HP_TXN_FAIL_RECORD: the pools shrank
 * but a record could not be removed).
 */
int hp_txn_release(struct host *h, char *const *owners, size_t nowners, const struct hp_txn_opts *o,
		   struct hp_txn_result *ret, struct diag *d);

/*
 * Hand owner's reservation to another holder process (pid, its start time;
 * the libvirt hook: from libvirtd at 'prepare' to QEMU at 'started'), under
 * the "hugepages" lock within lock_timeout_ms: the record is rewritten with
 * the new "pid PID start TICKS" line, the pools are not touched.  -ENOENT
 * (no diag) when owner holds nothing; -EAGAIN when the lock was busy; other
 * -errno with a diag when a record cannot be read or written.
 */
int hp_txn_set_holder(struct host *h, const char *owner, int pid, uint64_t start,
		      unsigned lock_timeout_ms, struct diag *d);

#endif
