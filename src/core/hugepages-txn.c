/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reservation transactions: lock, read, clean stale records, decide, apply
 * all or nothing, record.  See hugepages-txn.h.
 */
#include "hugepages-txn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/hugepages-reserve.h"
#include "core/journal.h"
#include "core/model.h"
#include "core/qemu-args.h"
#include "core/undo.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

int hp_needs_add(struct hp_needs *n, int node, uint64_t page_kib, uint64_t size_kib, struct diag *d)
{
	uint64_t pages = size_kib / page_kib + (size_kib % page_kib != 0);
	struct hp_need *e = NULL;
	int64_t sum;

	for (size_t i = 0; i < n->n && !e; i++)
		if (n->v[i].node == node && n->v[i].page_kib == page_kib)
			e = &n->v[i];
	if (!e) {
		n->v = xreallocarray(n->v, n->n + 1, sizeof(*n->v));
		e = &n->v[n->n++];
		*e = (struct hp_need){node, page_kib, 0};
	}
	if (pages > INT64_MAX / 2 || !safe_add_i64(e->pages, (int64_t)pages, &sum) ||
	    sum > INT64_MAX / 2)
		return diag_set(d, ERANGE, "memory", "hugepages needed: too large");
	e->pages = sum;
	return 0;
}

void hp_needs_release(struct hp_needs *n)
{
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

/* Spread one backend's pages over its host nodes as its policy takes them. */
static int backend_needs(const struct qbackend *b, struct hp_needs *ret, struct diag *d)
{
	uint64_t pages = b->size_kib / b->page_kib + (b->size_kib % b->page_kib != 0);
	unsigned nn = cpuset_count(&b->host_nodes), k = 0;
	int node, r = 0;

	if (nn == 0)
		return hp_needs_add(ret, -1, b->page_kib, b->size_kib, d);
	if (b->policy == VM_POLICY_PREFERRED)
		return hp_needs_add(ret, cpuset_next(&b->host_nodes, 0), b->page_kib, b->size_kib,
				    d);
	cpuset_foreach (node, &b->host_nodes) {
		uint64_t share = pages / nn + (k < pages % nn);

		k++;
		if (share)
			r = hp_needs_add(ret, node, b->page_kib, share * b->page_kib, d);
		if (r < 0)
			return r;
	}
	return 0;
}

int hp_needs_from_backends(const struct qemu_mem_args *a, struct hp_needs *ret, struct diag *d)
{
	struct hp_needs n = {0};
	int r = 0;

	for (size_t i = 0; i < a->nbackends && r >= 0; i++)
		if (a->backends[i].page_kib != VM_PAGE_NORMAL)
			r = backend_needs(&a->backends[i], &n, d);
	if (r < 0) {
		hp_needs_release(&n);
		return r;
	}
	hp_needs_release(ret);
	*ret = n;
	return 0;
}

/* One cell (c) or the whole VM (c NULL) as a backend for backend_needs. */
static int vm_part_needs(const struct vm_spec *vm, const struct vm_cell *c,
			 const struct host_model *m, struct hp_needs *ret, struct diag *d)
{
	struct qbackend b = {0};
	bool memnode = c && c->has_memnode;
	int r;

	b.size_kib = c ? c->mem_kib : vm->mem_kib;
	b.page_kib = c ? c->page_kib : vm->page_kib;
	if (b.page_kib == VM_PAGE_HOST_DEFAULT && !m->default_hugepage_kib)
		return diag_set(d, EINVAL, "hugepages",
				"hugepages of the default size asked for, but the host has no "
				"default hugepage size");
	if (b.page_kib == VM_PAGE_HOST_DEFAULT)
		b.page_kib = m->default_hugepage_kib;
	if (b.page_kib == VM_PAGE_NORMAL || b.page_kib == 4 || !b.size_kib)
		return 0;
	b.policy = memnode ? c->policy : vm->policy;
	if (b.policy != VM_POLICY_NONE && (memnode || vm->placement != VM_PLACEMENT_AUTO))
		cpuset_copy(&b.host_nodes, memnode ? &c->host_nodes : &vm->host_nodes);
	r = backend_needs(&b, ret, d);
	cpuset_release(&b.host_nodes);
	return r;
}

int hp_needs_from_vm(const struct vm_spec *vm, const struct host_model *m, struct hp_needs *ret,
		     struct diag *d)
{
	struct hp_needs n = {0};
	int r = vm->ncells ? 0 : vm_part_needs(vm, NULL, m, &n, d);

	for (size_t i = 0; i < vm->ncells && r >= 0; i++)
		r = vm_part_needs(vm, &vm->cells[i], m, &n, d);
	if (r < 0) {
		hp_needs_release(&n);
		return r;
	}
	hp_needs_release(ret);
	*ret = n;
	return 0;
}

void hp_txn_result_release(struct hp_txn_result *r)
{
	hp_plan_release(&r->stale_plan);
	hp_plan_release(&r->plan);
	free(r->stale_res);
	free(r->res);
	host_names_free(r->stale);
	free(r->record);
	memset(r, 0, sizeof(*r));
}

/* What one transaction reads under the lock. */
struct txn_state {
	struct host_model m;
	struct hp_mem mem;
	struct hp_resv_list l;
};

static void state_release(struct txn_state *s)
{
	hp_resv_release(&s->l);
	hugepages_mem_release(&s->mem);
	host_model_release(&s->m);
}

static int state_load(struct host *h, struct txn_state *s, struct diag *d)
{
	int r;

	state_release(s);
	memset(s, 0, sizeof(*s));
	r = host_model_load_flags(h, HOST_MODEL_NO_TOPOLOGY | HOST_MODEL_NO_PROCESSES, &s->m, d);
	if (r >= 0)
		r = hugepages_mem_load(h, &s->m, &s->mem, d);
	if (r >= 0)
		r = hp_resv_load(h, &s->l, d);
	return r;
}

static void plan_append(struct hp_plan *dst, const struct hp_plan *src)
{
	if (!src->nchanges)
		return;
	dst->changes =
		xreallocarray(dst->changes, dst->nchanges + src->nchanges, sizeof(*dst->changes));
	memcpy(dst->changes + dst->nchanges, src->changes, src->nchanges * sizeof(*src->changes));
	dst->nchanges += src->nchanges;
}

/* Save the records of owners (removed when they hold nothing). */
static int save_owners(struct host *h, const struct hp_resv_list *l, char *const *owners, size_t n,
		       struct diag *d)
{
	for (size_t i = 0; i < n; i++) {
		int r = hp_resv_save_owner(h, l, owners[i], d);

		if (r < 0)
			return r;
	}
	return 0;
}

/* The text of owner's record now (NULL: none, or unreadable). */
static char *record_text(struct host *h, const char *owner)
{
	AUTOFREE char *path = xasprintf(HP_RESV_DIR "/%s", owner);
	char *text = NULL;

	if (host_read(h, path, &text, NULL, NULL) < 0)
		return NULL;
	return text;
}

/* The records of owners now, for the journal (je NULL: not journalled, NULL). */
static char **records_now(struct host *h, const struct journal_entry *je, char *const *owners,
			  size_t n)
{
	char **v = je ? xcalloc(n + 1, sizeof(*v)) : NULL;

	for (size_t i = 0; v && i < n; i++)
		v[i] = record_text(h, owners[i]);
	return v;
}

static void records_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* Add to je the pools an apply of plan changed and the owners' records that changed from old. */
static void journal_changes(struct host *h, struct journal_entry *je, const struct hp_plan *plan,
			    const struct hp_result *res, char *const *owners, size_t n, char **old)
{
	if (!je)
		return;
	journal_add_hp_plan(je, plan, res);
	for (size_t i = 0; i < n; i++) {
		AUTOFREE char *path = xasprintf(HP_RESV_DIR "/%s", owners[i]);
		AUTOFREE char *now = record_text(h, owners[i]);

		if ((old[i] || now) && !(old[i] && now && strcmp(old[i], now) == 0))
			journal_add_file(je, JOURNAL_FILE, path, old[i],
					 old[i] ? strlen(old[i]) : 0, now, now ? strlen(now) : 0,
					 0644);
	}
}

/* The pools of an apply that were put back to their size before, for the report. */
static void mark_put_back(const struct hp_plan *plan, struct hp_result *res)
{
	for (size_t i = 0; res && i < plan->nchanges; i++)
		if (res[i].changed) {
			res[i].status = HP_ROLLED_BACK;
			res[i].got_pages = res[i].before_pages;
		}
}

/*
 * Record je when it holds changes; when the journal cannot take them, put
 * every change back (ret->fail says whether that worked).  r when recorded.
 */
static int txn_journal(struct host *h, struct journal_entry *je, int r, struct hp_txn_result *ret,
		       struct diag *d)
{
	struct diag jd = {0};
	int jr;

	if (!je->nchanges)
		return r;
	jr = journal_record(h, je, &jd);
	if (jr >= 0) {
		ret->journal_id = je->id;
		return r;
	}
	*d = jd;
	ret->fail = HP_TXN_FAIL_JOURNAL;
	free(ret->record); /* put back: reserve's owner holds nothing again */
	ret->record = xstrdup("");
	if (undo_revert_unrecorded(h, je, &jd) < 0) {
		*d = jd;
		ret->fail = HP_TXN_FAIL_UNJOURNALED;
		return jr;
	}
	mark_put_back(&ret->stale_plan, ret->stale_res);
	mark_put_back(&ret->plan, ret->res);
	return jr;
}

/*
 * Decide (and unless dry, apply) the release of owners; l loses their
 * entries.  *ret_fail: where it stopped (apply_fail for a failed resize).
 */
static int release_owners(struct host *h, struct txn_state *s, char *const *owners, size_t n,
			  const struct hp_txn_opts *o, struct hp_plan *plan,
			  struct hp_result **ret_res, int64_t *kept, enum hp_txn_fail apply_fail,
			  enum hp_txn_fail *ret_fail, struct journal_entry *je, struct diag *d)
{
	int r = hugepages_decide_release_owners(&s->m, &s->l, owners, n, plan, kept, d);
	char **old;

	*ret_fail = HP_TXN_FAIL_DECIDE;
	if (r < 0 || o->dry_run)
		return r;
	*ret_res = xcalloc(plan->nchanges + 1, sizeof(**ret_res));
	*ret_fail = apply_fail;
	old = records_now(h, je, owners, n);
	r = hugepages_apply(h, plan, &o->apply, *ret_res, d);
	if (r >= 0) {
		*ret_fail = HP_TXN_FAIL_RECORD;
		r = save_owners(h, &s->l, owners, n, d);
		/* the pools shrank: journalled even when a record stayed */
		journal_changes(h, je, plan, *ret_res, owners, n, old);
	}
	records_free(old, n);
	return r;
}

/* Release stale records first, then read the host again. */
static int clean_stale(struct host *h, struct txn_state *s, const struct hp_txn_opts *o,
		       struct hp_txn_result *ret, struct journal_entry *je, struct diag *d)
{
	size_t n = hp_resv_stale_owners(h, &s->l, &ret->stale);
	int64_t kept = 0;
	int r;

	if (!n)
		return 0;
	r = release_owners(h, s, ret->stale, n, o, &ret->stale_plan, &ret->stale_res, &kept,
			   HP_TXN_FAIL_STALE, &ret->fail, je, d);
	if (r < 0 && ret->fail == HP_TXN_FAIL_RECORD)
		ret->fail = HP_TXN_FAIL_STALE; /* their pools shrank, a record stayed */
	if (r < 0 || o->dry_run)
		return r;
	ret->fail = HP_TXN_FAIL_READ;
	return state_load(h, s, d);
}

/* The plan for needs; *ret_already when the owner holds exactly them. */
static int decide_needs(struct txn_state *s, const char *owner, const struct hp_needs *needs,
			const struct hp_txn_opts *o, struct hp_plan *plan, bool *ret_already,
			struct diag *d)
{
	size_t held = 0, already = 0;
	int r;

	for (size_t i = 0; i < s->l.n; i++) {
		const struct hp_resv *e = &s->l.v[i];

		if (strcmp(e->owner, owner) != 0)
			continue;
		held++;
		/* after clean_stale, a holder still named is a live process */
		if (e->holder_pid > 0 && e->holder_pid != o->holder_pid)
			return diag_set(
				d, EBUSY, owner,
				"owner '%s' is held by process %d (another 'kvmtune run' of "
				"that name?); pick another name",
				owner, e->holder_pid);
	}
	for (size_t i = 0; i < needs->n; i++) {
		const struct hp_need *e = &needs->v[i];
		struct hp_plan one = {0};
		bool same = false;
		uint64_t size_kib;

		if (!safe_mul_u64((uint64_t)e->pages, e->page_kib, &size_kib))
			return diag_set(d, ERANGE, "memory", "hugepages needed: too large");
		r = hugepages_decide_reserve(&s->m, &s->mem, &s->l, owner, e->node, e->page_kib,
					     size_kib, o->keep_free_kib, &one, &same, d);
		plan_append(plan, &one);
		hp_plan_release(&one);
		if (r < 0)
			return r;
		already += same;
	}
	if (held && already != held)
		return diag_set(d, EEXIST, owner,
				"owner '%s' already holds another reservation; release it first",
				owner);
	*ret_already = needs->n && already == needs->n;
	return 0;
}

static int reserve_locked(struct host *h, const char *owner, const struct hp_needs *needs,
			  const struct hp_txn_opts *o, struct journal_entry *je,
			  struct hp_txn_result *ret, struct diag *d)
{
	struct txn_state s = {0};
	char *owners[] = {(char *)owner};
	char **old = NULL;
	int r;

	r = hp_owner_check(owner, d);
	if (r >= 0) {
		ret->fail = HP_TXN_FAIL_READ;
		r = state_load(h, &s, d);
	}
	if (r >= 0 && o->clean_stale)
		r = clean_stale(h, &s, o, ret, je, d);
	/* a refusal reports the record as it stays */
	ret->record = hp_resv_format_owner(&s.l, owner);
	if (r >= 0) {
		ret->fail = HP_TXN_FAIL_DECIDE;
		r = decide_needs(&s, owner, needs, o, &ret->plan, &ret->already, d);
	}
	if (r < 0) {
		hp_plan_release(&ret->plan);
		state_release(&s);
		return r;
	}
	hp_resv_set_holder(&s.l, owner, o->holder_pid, o->holder_start);
	free(ret->record);
	ret->record = hp_resv_format_owner(&s.l, owner);
	if (o->dry_run || ret->already) {
		state_release(&s);
		return 0;
	}
	ret->res = xcalloc(ret->plan.nchanges + 1, sizeof(*ret->res));
	ret->fail = HP_TXN_FAIL_APPLY;
	old = records_now(h, je, owners, 1);
	r = hugepages_apply(h, &ret->plan, &o->apply, ret->res, d);
	if (r > 0) {
		/* A VM needs all its pages: give back the part we got. */
		(void)hugepages_rollback(h, &ret->plan, ret->res);
		r = 1;
	} else if (r == 0) {
		ret->fail = HP_TXN_FAIL_RECORD;
		r = save_owners(h, &s.l, owners, 1, d);
		if (r < 0)
			(void)hugepages_rollback(h, &ret->plan, ret->res);
		else
			journal_changes(h, je, &ret->plan, ret->res, owners, 1, old);
	}
	records_free(old, 1);
	if (r != 0) { /* nothing of it stays: the owner holds nothing (else decide refused) */
		free(ret->record);
		ret->record = xstrdup("");
		state_release(&s);
		return r;
	}
	free(ret->record);
	ret->record = hp_resv_format_owner(&s.l, owner);
	state_release(&s);
	return r;
}

/* The "hugepages" lock, or -1 for a dry run (a plan changes nothing: no need
 * to wait) and when the caller holds it. */
static int txn_lock(struct host *h, const struct hp_txn_opts *o, struct diag *d)
{
	return o->dry_run || o->locked ? -1 : host_lock(h, "hugepages", o->lock_timeout_ms, d);
}

int hp_txn_reserve(struct host *h, const char *owner, const struct hp_needs *needs,
		   const struct hp_txn_opts *o, struct hp_txn_result *ret, struct diag *d)
{
	AUTOCLOSE int lock = txn_lock(h, o, d);
	struct journal_entry je;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (lock < 0 && !o->dry_run && !o->locked)
		return lock;
	journal_entry_init(&je, o->journal_command ? o->journal_command : "");
	r = reserve_locked(h, owner, needs, o, o->journal_command ? &je : NULL, ret, d);
	if (r >= 0)
		ret->fail = HP_TXN_FAIL_NONE;
	r = txn_journal(h, &je, r, ret, d);
	journal_entry_release(&je);
	return r;
}

int hp_txn_release(struct host *h, char *const *owners, size_t nowners, const struct hp_txn_opts *o,
		   struct hp_txn_result *ret, struct diag *d)
{
	AUTOCLOSE int lock = txn_lock(h, o, d);
	struct journal_entry je;
	struct txn_state s = {0};
	char **all;
	size_t n = 0, nstale = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (lock < 0 && !o->dry_run && !o->locked)
		return lock;
	ret->fail = HP_TXN_FAIL_READ;
	r = state_load(h, &s, d);
	if (r < 0) {
		state_release(&s);
		return r;
	}
	if (o->clean_stale)
		nstale = hp_resv_stale_owners(h, &s.l, &ret->stale);
	all = xcalloc(nowners + nstale + 1, sizeof(*all));
	for (size_t i = 0; i < nowners; i++)
		all[n++] = owners[i];
	for (size_t i = 0; i < nstale; i++)
		all[n++] = ret->stale[i];
	journal_entry_init(&je, o->journal_command ? o->journal_command : "");
	r = release_owners(h, &s, all, n, o, &ret->plan, &ret->res, &ret->kept_pages,
			   HP_TXN_FAIL_APPLY, &ret->fail, o->journal_command ? &je : NULL, d);
	if (r >= 0)
		ret->fail = HP_TXN_FAIL_NONE;
	r = txn_journal(h, &je, r, ret, d);
	journal_entry_release(&je);
	ret->record = xstrdup("");
	free(all);
	state_release(&s);
	return r;
}

int hp_txn_set_holder(struct host *h, const char *owner, int pid, uint64_t start,
		      unsigned lock_timeout_ms, struct diag *d)
{
	AUTOCLOSE int lock = -1;
	struct hp_resv_list l = {0};
	bool held = false;
	int r;

	r = hp_owner_check(owner, d);
	if (r < 0)
		return r;
	lock = host_lock(h, "hugepages", lock_timeout_ms, d);
	if (lock < 0)
		return lock;
	r = hp_resv_load(h, &l, d);
	for (size_t i = 0; r >= 0 && i < l.n; i++)
		held = held || strcmp(l.v[i].owner, owner) == 0;
	if (r >= 0 && !held)
		r = -ENOENT;
	if (r >= 0) {
		hp_resv_set_holder(&l, owner, pid, start);
		r = hp_resv_save_owner(h, &l, owner, d);
	}
	hp_resv_release(&l);
	return r;
}
