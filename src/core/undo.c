/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reverting a journal entry: check what changed since, revert all or nothing, mark it undone. */
#include "undo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
#include "core/hugepages-reserve.h"
#include "core/knob-plan.h"
#include "core/safe-write.h"
#include "core/userfile.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Largest user file (domain XML) undo reads back. */
#define UNDO_MAX_USER_FILE (64u << 20)

const char *undo_status_name(enum undo_status s)
{
	static const char *const names[] = {
		[UNDO_PLANNED] = "planned",	    [UNDO_CURRENT] = "current",
		[UNDO_REVERTED] = "reverted",	    [UNDO_FAILED] = "failed",
		[UNDO_ROLLED_BACK] = "rolled-back", [UNDO_STILL_CHANGED] = "still-changed",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void undo_report_release(struct undo_report *r)
{
	journal_entry_release(&r->entry);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/* What a path holds now: bytes (NUL-terminated) or absent. */
struct now {
	char *buf;
	size_t len;
	bool absent;
};

static int read_user_file(const char *path, struct now *ret, struct diag *d)
{
	int r = safe_read_at(AT_FDCWD, path, path, UNDO_MAX_USER_FILE, 1, &ret->buf, &ret->len, d);

	if (r == -ENOENT) {
		diag_clear(d);
		ret->absent = true;
		return 0;
	}
	return r;
}

static int read_now(struct host *h, const struct journal_change *c, struct now *ret, struct diag *d)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	switch (c->kind) {
	case JOURNAL_VALUE:
	case JOURNAL_POOL:
		r = knob_value_read(h, c->path,
				    c->kind == JOURNAL_VALUE ? c->match : KNOB_MATCH_EXACT,
				    &ret->buf, d);
		if (r >= 0)
			ret->len = strlen(ret->buf);
		return r;
	case JOURNAL_FILE:
		r = host_read(h, c->path, &ret->buf, &ret->len, d);
		if (r == -ENOENT) {
			diag_clear(d);
			ret->absent = true;
			return 0;
		}
		return r;
	case JOURNAL_USER_FILE:
		return read_user_file(c->path, ret, d);
	}
	return -EINVAL;
}

static bool now_is(const struct now *n, const char *bytes, size_t len)
{
	if (!bytes)
		return n->absent;
	return !n->absent && n->len == len && memcmp(n->buf, bytes, len) == 0;
}

static void summarise(const struct journal_change *c, const struct now *n, char *buf, size_t sz)
{
	if (c->kind == JOURNAL_VALUE || c->kind == JOURNAL_POOL)
		(void)snprintf(buf, sz, "%s", n->buf);
	else if (n->absent)
		(void)snprintf(buf, sz, "absent");
	else
		(void)snprintf(buf, sz, "%zu bytes", n->len);
}

struct path_idx {
	const char *path;
	size_t i;
};

static int path_idx_cmp(const void *a, const void *b)
{
	const struct path_idx *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * For each change, the index of the first and the last change of the entry
 * naming its path: sorted once, O(n log n) (an entry may hold 100,000 changes).
 */
static void path_spans(const struct journal_entry *e, size_t *ret_first, size_t *ret_last)
{
	size_t n = e->nchanges;
	AUTOFREE struct path_idx *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = (struct path_idx){e->changes[i].path, i};
	qsort(v, n, sizeof(*v), path_idx_cmp);
	for (size_t a = 0, b; a < n; a = b) {
		for (b = a + 1; b < n && strcmp(v[a].path, v[b].path) == 0; b++)
			;
		for (size_t k = a; k < b; k++) {
			ret_first[v[k].i] = v[a].i;
			ret_last[v[k].i] = v[b - 1].i;
		}
	}
}

/*
 * Compare each path with the entry: at its last new value (to revert), at
 * its first old value (nothing to do), or something else (a conflict).
 */
static int check_items(struct host *h, struct undo_report *rep, struct diag *d)
{
	const struct journal_entry *e = &rep->entry;
	AUTOFREE size_t *firsts = xcalloc(e->nchanges ? e->nchanges : 1, sizeof(size_t));
	AUTOFREE size_t *lasts = xcalloc(e->nchanges ? e->nchanges : 1, sizeof(size_t));

	path_spans(e, firsts, lasts);
	for (size_t i = 0; i < e->nchanges; i++) {
		const struct journal_change *c = &e->changes[i], *fc, *lc;
		struct undo_item *it = &rep->items[i];
		struct now n;
		size_t last = lasts[i];
		int r;

		fc = &e->changes[firsts[i]];
		lc = &e->changes[last];
		if (firsts[i] != i) { /* the path was read for its first change: same verdict */
			const struct undo_item *f = &rep->items[firsts[i]];

			memcpy(it->now, f->now, sizeof(it->now));
			it->status = f->status;
			it->conflict = f->conflict;
			rep->nconflicts += it->conflict && i == last;
			continue;
		}
		r = read_now(h, c, &n, d);
		if (r < 0)
			return r;
		summarise(c, &n, it->now, sizeof(it->now));
		if (now_is(&n, lc->new, lc->new_len)) {
			it->status = UNDO_PLANNED;
		} else if (now_is(&n, fc->old, fc->old_len)) {
			it->status = UNDO_CURRENT;
		} else {
			it->conflict = true;
			rep->nconflicts += i == last;
		}
		free(n.buf);
	}
	return 0;
}

/* Pools: node and size from the path, which must be the canonical one. */
static int pool_of(const char *path, int *ret_node, uint64_t *ret_kib, struct diag *d)
{
	char canon[192], node_s[12] = "", kib_s[24] = "";
	int node = -1;
	uint64_t kib = 0;

	/* digits as text, then parse-num: sscanf's %d/%llu do not report overflow */
	if (sscanf(path, "/sys/devices/system/node/node%11[0-9]/hugepages/hugepages-%23[0-9]kB/",
		   node_s, kib_s) != 2 &&
	    (node_s[0] = '\0',
	     sscanf(path, "/sys/kernel/mm/hugepages/hugepages-%23[0-9]kB/", kib_s)) != 1)
		return diag_set(d, EINVAL, path, "'%s' is not a hugepage pool", path);
	if ((node_s[0] && parse_int(node_s, &node) < 0) || parse_u64(kib_s, &kib) < 0)
		return diag_set(d, EINVAL, path, "'%s' is not a hugepage pool", path);
	hugepages_pool_path(node, kib, canon, sizeof(canon));
	if (node < -1 || kib == 0 || strcmp(canon, path) != 0)
		return diag_set(d, EINVAL, path, "'%s' is not a hugepage pool", path);
	*ret_node = node;
	*ret_kib = kib;
	return 0;
}

/* A user's file back as it was: replaced safely (owner kept, no backup), or removed. */
static int write_user_file(const char *path, const char *bytes, size_t len, mode_t mode,
			   struct diag *d)
{
	AUTOFREE char *dir = xstrdup(path);
	AUTOCLOSE int dirfd = -1;
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : path;

	if (!bytes) {
		if (unlink(path) < 0 && errno != ENOENT)
			return diag_set(d, errno, path, "cannot remove '%s': %s", path,
					strerror(errno));
		return 0;
	}
	if (slash)
		*slash = '\0';
	dirfd = open(slash ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return diag_set(d, errno, path, "cannot open the directory of '%s': %s", path,
				strerror(errno));
	return safe_write_at(dirfd, base, path, bytes, len, mode ? mode : 0600,
			     SAFE_WRITE_KEEP_OWNER, NULL, d);
}

static int put_file(struct host *h, const struct journal_change *c, bool to_old, struct diag *d)
{
	const char *bytes = to_old ? c->old : c->new;
	size_t len = to_old ? c->old_len : c->new_len;

	if (c->kind == JOURNAL_USER_FILE)
		return write_user_file(c->path, bytes, len, c->mode, d);
	if (!bytes)
		return host_unlink(h, c->path, d);
	if (memchr(bytes, '\0', len))
		return diag_set(d, EINVAL, c->path, "'%s': the journal holds binary content",
				c->path);
	return host_write_file_atomic(h, c->path, bytes, c->mode ? c->mode : 0644, d);
}

/* A user file of a captured tree's journal must lie inside that tree. */
static int check_user_file(struct host *h, const char *path, struct diag *d)
{
	AUTOFREE char *dir = xstrdup(path);
	char root[PATH_MAX], real[PATH_MAX];
	char *slash = strrchr(dir, '/');
	size_t n;

	if (host_is_live(h))
		return 0;
	if (slash)
		*slash = '\0';
	if (!realpath(host_root(h), root) || !realpath(*dir ? dir : "/", real))
		return diag_set(d, EPERM, path, "'%s': cannot resolve its directory", path);
	n = strlen(root);
	if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0'))
		return diag_set(d, EPERM, path,
				"'%s' lies outside the root '%s': undo of a captured tree's "
				"journal writes only files inside it",
				path, host_root(h));
	return 0;
}

struct revert {
	struct knob_plan values;
	size_t *value_item; /* item index of each values entry */
	struct hp_plan pools;
	struct hp_result *pool_res;
	size_t *pool_item;
	size_t *files; /* item indices of the files, newest first */
	size_t nfiles, files_done;
};

static void revert_release(struct revert *rv)
{
	knob_plan_release(&rv->values);
	hp_plan_release(&rv->pools);
	free(rv->value_item);
	free(rv->pool_res);
	free(rv->pool_item);
	free(rv->files);
}

/* Plan the revert, newest change first, skipping paths already back at their old value. */
static int plan_revert(struct host *h, struct undo_report *rep, bool trusted, struct revert *rv,
		       struct diag *d)
{
	const struct journal_entry *e = &rep->entry;
	size_t n = e->nchanges;
	int r;

	rv->value_item = xcalloc(n, sizeof(size_t));
	rv->pool_item = xcalloc(n, sizeof(size_t));
	rv->files = xcalloc(n, sizeof(size_t));
	for (size_t k = n; k-- > 0;) {
		const struct journal_change *c = &e->changes[k];
		int node = -1;
		uint64_t kib = 0;
		int64_t old_pages = 0, new_pages = 0;

		if (rep->items[k].status == UNDO_CURRENT)
			continue;
		switch (c->kind) {
		case JOURNAL_VALUE:
			rv->value_item[rv->values.n] = k;
			knob_plan_add(&rv->values, c->path, c->path, c->new, c->old, c->match,
				      "undo");
			break;
		case JOURNAL_POOL:
			r = pool_of(c->path, &node, &kib, d);
			if (r >= 0 && (parse_i64(c->old, &old_pages) < 0 ||
				       parse_i64(c->new, &new_pages) < 0))
				r = diag_set(d, EINVAL, c->path, "'%s': bad pool sizes", c->path);
			if (r < 0)
				return r;
			rv->pool_item[rv->pools.nchanges] = k;
			hp_plan_add(&rv->pools, node, kib, new_pages, old_pages);
			break;
		case JOURNAL_USER_FILE:
			r = trusted ? 0 : check_user_file(h, c->path, d);
			if (r < 0)
				return r;
			/* fall through */
		case JOURNAL_FILE:
			rv->files[rv->nfiles++] = k;
			break;
		}
	}
	rv->pool_res = xcalloc(rv->pools.nchanges + 1, sizeof(*rv->pool_res));
	return 0;
}

/*
 * A pool may shrink only down to the pages VMs have reserved in it, as for
 * 'hugepages set' (main's guard): the reservations as they will be once the
 * entry's own record files are back (undoing a reserve frees its pages).
 * Refused with -EEXIST even with --force: release the owner first.
 */
static int check_reservations(struct host *h, const struct undo_report *rep,
			      const struct revert *rv, struct diag *d)
{
	static const char dir[] = HP_RESV_DIR "/";
	struct hp_resv_list l = {0};
	int r;

	if (!rv->pools.nchanges)
		return 0;
	r = hp_resv_load(h, &l, d);
	for (size_t j = 0; r >= 0 && j < rv->nfiles; j++) {
		const struct journal_change *c = rep->items[rv->files[j]].change;
		const char *owner = c->path + sizeof(dir) - 1;

		if (c->kind == JOURNAL_FILE && strncmp(c->path, dir, sizeof(dir) - 1) == 0 &&
		    hp_owner_check(owner, NULL) >= 0)
			r = hp_resv_set_owner(&l, owner, c->path, c->old, d);
	}
	if (r >= 0)
		r = hp_resv_check_plan(&l, &rv->pools, d);
	hp_resv_release(&l);
	return r;
}

static void put_files_back(struct host *h, struct undo_report *rep, struct revert *rv)
{
	for (size_t j = rv->files_done; j-- > 0;) {
		struct undo_item *it = &rep->items[rv->files[j]];
		struct diag rd = {0};

		if (put_file(h, it->change, false, &rd) < 0) {
			it->status = UNDO_STILL_CHANGED;
			(void)snprintf(it->detail, sizeof(it->detail), "%s", rd.msg);
		} else {
			it->status = UNDO_ROLLED_BACK;
		}
	}
}

static void mark_values(struct undo_report *rep, struct revert *rv)
{
	for (size_t j = 0; j < rv->values.n; j++) {
		const struct knob_change *kc = &rv->values.v[j];
		struct undo_item *it = &rep->items[rv->value_item[j]];

		it->status = kc->status == KC_WRITTEN || kc->status == KC_UNCHANGED ? UNDO_REVERTED
			     : kc->status == KC_ROLLED_BACK	? UNDO_ROLLED_BACK
			     : kc->status == KC_ROLLBACK_FAILED ? UNDO_STILL_CHANGED
			     : kc->status == KC_FAILED		? UNDO_FAILED
								: UNDO_PLANNED;
		(void)snprintf(it->detail, sizeof(it->detail), "%s", kc->problem);
	}
}

static void mark_pools(struct undo_report *rep, struct revert *rv)
{
	for (size_t j = 0; j < rv->pools.nchanges; j++) {
		const struct hp_result *pr = &rv->pool_res[j];
		struct undo_item *it = &rep->items[rv->pool_item[j]];

		it->status = pr->status == HP_MET || pr->status == HP_UNCHANGED ? UNDO_REVERTED
			     : pr->status == HP_ROLLED_BACK			? UNDO_ROLLED_BACK
			     : pr->status == HP_ROLLBACK_FAILED			? UNDO_STILL_CHANGED
			     : pr->status == HP_PLANNED				? UNDO_PLANNED
										: UNDO_FAILED;
		(void)snprintf(it->detail, sizeof(it->detail), "%s", pr->reason);
	}
}

/* Values, then pools, then files; a failure puts back what was already reverted. */
static int apply_revert(struct host *h, struct undo_report *rep, struct revert *rv,
			unsigned timeout_s, struct diag *d)
{
	struct hp_apply_opts po = {.timeout_s = timeout_s ? timeout_s : 60};
	int r;

	r = knob_plan_apply(h, &rv->values, d);
	if (r >= 0 && rv->pools.nchanges) {
		r = hugepages_apply(h, &rv->pools, &po, rv->pool_res, d);
		if (r > 0) {
			(void)hugepages_rollback(h, &rv->pools, rv->pool_res);
			r = diag_set(d, EBUSY, "pool",
				     "a pool could not go back to its old size (pages in use, or "
				     "memory fragmented): nothing was undone");
		}
		if (r < 0)
			(void)knob_plan_rollback(h, &rv->values);
	}
	for (; r >= 0 && rv->files_done < rv->nfiles; rv->files_done++) {
		struct undo_item *it = &rep->items[rv->files[rv->files_done]];

		r = put_file(h, it->change, true, d);
		if (r < 0) {
			it->status = UNDO_FAILED;
			(void)snprintf(it->detail, sizeof(it->detail), "%s", d ? d->msg : "");
			put_files_back(h, rep, rv);
			(void)hugepages_rollback(h, &rv->pools, rv->pool_res);
			(void)knob_plan_rollback(h, &rv->values);
			break;
		}
		it->status = UNDO_REVERTED;
	}
	mark_values(rep, rv);
	mark_pools(rep, rv);
	return r;
}

static void rollback_all(struct host *h, struct undo_report *rep, struct revert *rv)
{
	put_files_back(h, rep, rv);
	(void)hugepages_rollback(h, &rv->pools, rv->pool_res);
	(void)knob_plan_rollback(h, &rv->values);
	mark_values(rep, rv);
	mark_pools(rep, rv);
}

/* Find the entry to undo in the list; moves it into rep->entry. */
static int take_entry(struct journal_entry *v, size_t n, uint64_t id, struct undo_report *rep,
		      struct diag *d)
{
	size_t k = SIZE_MAX;

	for (size_t i = n; i-- > 0;) {
		if (id ? v[i].id == id : !v[i].undone_by) {
			k = i;
			break;
		}
	}
	if (k == SIZE_MAX && id)
		return diag_set(d, ENOENT, "journal", "the journal has no entry %" PRIu64, id);
	if (k == SIZE_MAX)
		return diag_set(d, ENOENT, "journal", "%s",
				n ? "nothing to undo: every journal entry is undone already"
				  : "nothing to undo: the journal is empty");
	rep->entry = v[k];
	memset(&v[k], 0, sizeof(v[k]));
	rep->items = xcalloc(rep->entry.nchanges, sizeof(*rep->items));
	rep->nitems = rep->entry.nchanges;
	for (size_t i = 0; i < rep->nitems; i++)
		rep->items[i].change = &rep->entry.changes[i];
	if (rep->entry.undone_by)
		return diag_set(d, EALREADY, "journal",
				"journal entry %" PRIu64 " was undone already (by '%s')",
				rep->entry.id, rep->entry.undone_by);
	return 0;
}

static bool has_kind(const struct journal_entry *v, size_t n, enum journal_kind kind)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].nchanges; j++)
			if (v[i].changes[j].kind == kind)
				return true;
	return false;
}

/* The locks undo holds: domain-file directories, then the host's. */
struct undo_locks {
	char **dirs;
	int *fds;
	size_t ndirs;
	int host[3]; /* "hugepages", "profile", "journal"; -1 when not taken */
};

/* The directory of the file path resolves to (caller frees), NULL if none. */
static char *user_dir(const char *path)
{
	AUTOFREE char *real = realpath(path, NULL);
	const char *slash = real ? strrchr(real, '/') : NULL;

	if (!slash)
		return NULL;
	return slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash - real));
}

/*
 * Lock the directories of the user files (domain XMLs) the journal names, as
 * their writers do (xml --write, plan --write: the file's directory, then the
 * host's locks), so that no writer changes one between undo's check and its
 * write.  One lock per directory: a second flock of it would wait on the first.
 */
static int lock_user_dirs(const struct journal_entry *v, size_t n, struct undo_locks *ul,
			  struct diag *d)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].nchanges; j++) {
			const struct journal_change *c = &v[i].changes[j];
			char *dir;
			bool seen = false;
			int fd;

			if (c->kind != JOURNAL_USER_FILE || !(dir = user_dir(c->path)))
				continue;
			for (size_t k = 0; k < ul->ndirs && !seen; k++)
				seen = strcmp(ul->dirs[k], dir) == 0;
			if (seen) {
				free(dir);
				continue;
			}
			fd = userfile_lock(c->path, JOURNAL_LOCK_TIMEOUT_MS, d);
			if (fd < 0) {
				free(dir);
				return fd;
			}
			ul->dirs = xreallocarray(ul->dirs, ul->ndirs + 1, sizeof(*ul->dirs));
			ul->fds = xreallocarray(ul->fds, ul->ndirs + 1, sizeof(*ul->fds));
			ul->dirs[ul->ndirs] = dir;
			ul->fds[ul->ndirs++] = fd;
		}
	return 0;
}

static void undo_locks_release(struct undo_locks *ul)
{
	for (size_t k = 0; k < ul->ndirs; k++) {
		(void)close(ul->fds[k]);
		free(ul->dirs[k]);
	}
	free(ul->dirs);
	free(ul->fds);
	for (int i = 0; i < 3; i++)
		if (ul->host[i] >= 0)
			(void)close(ul->host[i]);
}

/*
 * Lock as the writers do, in their order: the domain files' directories, then
 * "hugepages" (pools), "profile" (kernel values), then "journal".  Which are
 * needed is known only from the journal, so it is read once before and again
 * under the locks.
 */
static int load_locked(struct host *h, const struct undo_opts *o, struct undo_report *rep,
		       struct undo_locks *ul, struct diag *d)
{
	static const char *const names[3] = {"hugepages", "profile", "journal"};
	struct journal_entry *v = NULL;
	bool need[3] = {false, false, true};
	size_t n = 0;
	int r;

	r = journal_list(h, &v, &n, d);
	if (r >= 0) {
		need[0] = has_kind(v, n, JOURNAL_POOL);
		need[1] = has_kind(v, n, JOURNAL_VALUE);
		r = lock_user_dirs(v, n, ul, d);
	}
	journal_list_free(v, n);
	for (int i = 0; r >= 0 && i < 3; i++)
		if (need[i]) {
			ul->host[i] = host_lock(h, names[i], JOURNAL_LOCK_TIMEOUT_MS, d);
			r = ul->host[i];
		}
	if (r >= 0)
		r = journal_list(h, &v, &n, d); /* again, under the locks */
	if (r < 0)
		return r;
	r = take_entry(v, n, o->id, rep, d);
	journal_list_free(v, n);
	return r;
}

int undo_run(struct host *h, const struct undo_opts *o, struct undo_report *rep, struct diag *d)
{
	struct undo_locks ul = {.host = {-1, -1, -1}};
	struct revert rv = {0};
	int r;

	memset(rep, 0, sizeof(*rep));
	r = load_locked(h, o, rep, &ul, d);
	if (r >= 0)
		r = check_items(h, rep, d);
	if (r >= 0 && rep->nconflicts && !o->force)
		r = diag_set(d, ESTALE, "journal",
			     "journal entry %" PRIu64 ": %zu path%s changed since (see 'now'); "
			     "nothing was undone (--force reverts anyway)",
			     rep->entry.id, rep->nconflicts, rep->nconflicts == 1 ? "" : "s");
	if (r >= 0)
		r = plan_revert(h, rep, false, &rv, d);
	if (r >= 0)
		r = check_reservations(h, rep, &rv, d);
	if (r >= 0 && !o->dry_run) {
		r = apply_revert(h, rep, &rv, o->timeout_s, d);
		if (r >= 0) {
			rep->entry.undone_s = (int64_t)time(NULL);
			rep->entry.undone_by = xstrdup(o->command ? o->command : "kvmtune undo");
			r = journal_save(h, &rep->entry, d);
			if (r < 0) {
				diag_prefix(d, "undo journal: ");
				free(rep->entry.undone_by);
				rep->entry.undone_by = NULL;
				rollback_all(h, rep, &rv);
			}
		}
	}
	revert_release(&rv);
	undo_locks_release(&ul);
	return r;
}

int undo_revert_unrecorded(struct host *h, const struct journal_entry *e, struct diag *d)
{
	struct undo_report rep = {.entry = *e, .nitems = e->nchanges};
	struct revert rv = {0};
	int r;

	rep.items = xcalloc(e->nchanges + 1, sizeof(*rep.items));
	for (size_t i = 0; i < e->nchanges; i++)
		rep.items[i].change = &e->changes[i];
	r = plan_revert(h, &rep, true, &rv, d);
	if (r >= 0)
		r = apply_revert(h, &rep, &rv, 60, d);
	revert_release(&rv);
	free(rep.items); /* the entry stays the caller's */
	return r;
}
