/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Hugepage reservations for VMs (what Proxmox does at VM start and stop):
 * 'reserve' grows a pool by exactly what one owner needs and records it under
 * /run/kvmtune/hugepages/OWNER; 'release' shrinks the pool by the same amount,
 * never below what other owners or running processes hold.
 */
#ifndef KVMTUNE_CORE_HUGEPAGES_RESERVE_H
#define KVMTUNE_CORE_HUGEPAGES_RESERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;
struct host_model;
struct hp_mem;
struct hp_plan;

#define HP_RESV_DIR "/run/kvmtune/hugepages"
#define HP_OWNER_MAX 64

/* One owner's pages in one pool (node -1: the host-wide pool). */
struct hp_resv {
	char owner[HP_OWNER_MAX + 1];
	int node;
	uint64_t page_kib;
	int64_t pages;
	/*
	 * Of pages, how many the reservation added to the pool (the rest were
	 * free pages it claimed); release shrinks the pool by this much only.
	 */
	int64_t grown;
	/*
	 * The process holding the reservation ('kvmtune run', the hook), 0 for
	 * none (a manual 'hugepages reserve'), and its start time (/proc/PID/stat
	 * field 22), so that a recycled PID is not taken for it.
	 */
	int holder_pid;
	uint64_t holder_start;
};

struct hp_resv_list {
	struct hp_resv *v;
	size_t n;
};

/* Owner names are 1-64 of [A-Za-z0-9_.@:-], not starting with '.'.  -EINVAL otherwise. */
int hp_owner_check(const char *owner, struct diag *d);

/*
 * Read every record below HP_RESV_DIR (absent directory: none).  A record
 * file holds lines "node N page_kb K pages P [grown G]" (N is -1 for the
 * host-wide pool; G <= P is how many of the pages the pool grew by, P when
 * absent as in records written before the field) and optionally one "pid PID start TICKS" line
 * naming the process that holds them.  -EINVAL with a diag naming file and line on a malformed
 * record.
 */
int hp_resv_load(struct host *h, struct hp_resv_list *ret, struct diag *d);
void hp_resv_release(struct hp_resv_list *l);

/*
 * Replace owner's rows of l with the record text (NULL: the owner holds
 * nothing), as hp_resv_load would read it; path names the record in messages.
 * -EINVAL with a diag on a malformed record (l then keeps the rows read so far).
 */
int hp_resv_set_owner(struct hp_resv_list *l, const char *owner, const char *path, const char *text,
		      struct diag *d);

/* Pages held in one pool by every owner except except_owner (NULL: all). */
int64_t hp_resv_held(const struct hp_resv_list *l, int node, uint64_t page_kib,
		     const char *except_owner);

/*
 * Refuse a plan of 'hugepages set' that would shrink a pool below the pages
 * owners have reserved in it (a host-wide pool: below all reservations of
 * that size): -EEXIST with a diag naming the pool, an owner and the pages.
 */
int hp_resv_check_plan(const struct hp_resv_list *l, const struct hp_plan *p, struct diag *d);

/* The record text of owner's entries in l ("" when it has none; caller frees). */
char *hp_resv_format_owner(const struct hp_resv_list *l, const char *owner);

/*
 * Decide a reservation of size_kib (rounded up to whole pages of page_kib)
 * for owner in one pool.  When the owner already holds exactly that, sets
 * *ret_already and returns an empty plan (reserving is idempotent); when it
 * holds a different amount there, -EEXIST (release first).  Otherwise the
 * reservation first claims the pool's unclaimed free pages (free, less
 * surplus and reserved-for-a-mapping pages, less the pages of every record
 * on that pool) and the plan grows the pool only by the shortfall (a change
 * with old == new when nothing is short), checked by hugepages_decide()
 * (sizes, node, keep-free guard); l gains the new entry with its grown
 * count (to be saved once the pages are there).  keep_free_kib is
 * --keep-free or -1.
 */
int hugepages_decide_reserve(const struct host_model *m, const struct hp_mem *mem,
			     struct hp_resv_list *l, const char *owner, int node, uint64_t page_kib,
			     uint64_t size_kib, int64_t keep_free_kib, struct hp_plan *ret,
			     bool *ret_already, struct diag *d);

/* Set the holder process of every entry of owner (pid 0: none). */
void hp_resv_set_holder(struct hp_resv_list *l, const char *owner, int pid, uint64_t start);

/*
 * The start time of process pid (/proc/PID/stat field 22, clock ticks after
 * boot).  -ENOENT when there is no such process, -EINVAL on a malformed file.
 */
int hp_proc_start_time(struct host *h, int pid, uint64_t *ret, struct diag *d);

/*
 * The owners whose holder process is gone (no such PID, or the PID now
 * belongs to a process started at another time): records a SIGKILLed 'run'
 * or a crashed hook left.  Returns the count; *ret is a NULL-terminated array
 * (free with host_names_free()).
 */
size_t hp_resv_stale_owners(struct host *h, const struct hp_resv_list *l, char ***ret);

/*
 * Decide the release of everything owner holds: each pool shrinks by the
 * pages the owner grew it by (its entries' grown: pages it claimed free stay
 * in the pool) but not below the pages other owners hold nor below the pages
 * in use (total - free, plus reserved for host-wide pools).  The entries are
 * removed from l.  *ret_kept_pages sums what could not be given back because
 * it is in use.  An owner without records gives an empty plan.
 */
int hugepages_decide_release(const struct host_model *m, struct hp_resv_list *l, const char *owner,
			     struct hp_plan *ret, int64_t *ret_kept_pages, struct diag *d);
/* The same for several owners at once (one change per pool); owners may repeat. */
int hugepages_decide_release_owners(const struct host_model *m, struct hp_resv_list *l,
				    char *const *owners, size_t nowners, struct hp_plan *ret,
				    int64_t *ret_kept_pages, struct diag *d);

/*
 * Save owner's entries of l to HP_RESV_DIR/owner atomically, or remove the
 * file when it has none.  Through host_mkdir_p/host_write_file_atomic.
 */
int hp_resv_save_owner(struct host *h, const struct hp_resv_list *l, const char *owner,
		       struct diag *d);

#endif
