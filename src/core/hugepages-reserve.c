/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reservation records and the decide steps of 'hugepages reserve' and
 * 'hugepages release'.  Records are small text files, one per owner, so that
 * an admin can read them and a crashed tool leaves nothing half-written
 * (they are replaced atomically).
 */
#include "hugepages-reserve.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

int hp_owner_check(const char *owner, struct diag *d)
{
	size_t n = strlen(owner);

	if (n == 0 || n > HP_OWNER_MAX || owner[0] == '.' ||
	    strspn(owner, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@:-") !=
		    n)
		return diag_set(d, EINVAL, "--owner",
				"--owner '%s': expected 1-%d letters, digits or '_.@:-', not "
				"starting with '.'",
				owner, HP_OWNER_MAX);
	return 0;
}

static void resv_add(struct hp_resv_list *l, const char *owner, int node, uint64_t page_kib,
		     int64_t pages, int64_t grown)
{
	struct hp_resv *r;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	r = &l->v[l->n++];
	memset(r, 0, sizeof(*r));
	(void)snprintf(r->owner, sizeof(r->owner), "%s", owner);
	r->node = node;
	r->page_kib = page_kib;
	r->pages = pages;
	r->grown = grown;
}

/* "node N page_kb K pages P [grown G]", or "pid PID start TICKS" (into *holder) */
static int parse_line(const char *path, unsigned lineno, char *line, const char *owner,
		      struct hp_resv_list *l, struct hp_resv *holder, struct diag *d)
{
	AUTOFREE char *shown = str_escape(line, 200);
	char *w[9] = {NULL};
	int node, nw = 0;
	uint64_t page_kib, pages, kib, start, grown;

	for (char *p = line; *p && nw < 9;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		w[nw++] = p;
		p += strcspn(p, " \t");
	}
	if (nw == 4 && strcmp(w[0], "pid") == 0 && strcmp(w[2], "start") == 0 &&
	    parse_int(w[1], &node) == 0 && node > 0 && parse_u64(w[3], &start) == 0) {
		holder->holder_pid = node;
		holder->holder_start = start;
		return 0;
	}
	if ((nw != 6 && nw != 8) || strcmp(w[0], "node") != 0 || strcmp(w[2], "page_kb") != 0 ||
	    strcmp(w[4], "pages") != 0 || parse_int(w[1], &node) < 0 || node < -1 ||
	    parse_u64(w[3], &page_kib) < 0 || parse_u64(w[5], &pages) < 0 || page_kib == 0 ||
	    (nw == 8 &&
	     (strcmp(w[6], "grown") != 0 || parse_u64(w[7], &grown) < 0 || grown > pages)))
		return diag_set(d, EINVAL, path,
				"'%s' line %u: expected 'node N page_kb K pages P [grown G]' "
				"(G at most P) or 'pid PID start TICKS', got '%s'",
				path, lineno, shown);
	if (nw == 6) /* written before the field: the pool grew by all of them */
		grown = pages;
	/* Lines of one owner, node and page size are one entry: a record of 20000
	 * lines is not 20000 steps of a plan; their sum is bounded like one line. */
	struct hp_resv *same = NULL;

	for (size_t i = 0; i < l->n && !same; i++)
		if (l->v[i].node == node && l->v[i].page_kib == page_kib &&
		    strcmp(l->v[i].owner, owner) == 0)
			same = &l->v[i];
	if (same && !safe_add_u64(pages, (uint64_t)same->pages, &pages))
		pages = UINT64_MAX;
	if (same && !safe_add_u64(grown, (uint64_t)same->grown, &grown))
		grown = UINT64_MAX;
	if (!safe_mul_u64(pages, page_kib, &kib) || kib > SIZE_MAX_KIB)
		return diag_set(d, ERANGE, path,
				"'%s' line %u: %" PRIu64 " pages of %" PRIu64
				" KiB is too large (over 4 EiB)",
				path, lineno, pages, page_kib);
	/* grown <= pages, and pages is bounded now */
	if (same) {
		same->pages = (int64_t)pages;
		same->grown = (int64_t)grown;
		return 0;
	}
	resv_add(l, owner, node, page_kib, (int64_t)pages, (int64_t)grown);
	return 0;
}

/* Add the rows of owner's record text (modified in place) to l. */
static int parse_record(const char *path, char *text, const char *owner, struct hp_resv_list *l,
			struct diag *d)
{
	struct hp_resv holder = {0};
	unsigned lineno = 0;
	int r;

	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		lineno++;
		if (*line && *line != '#') {
			r = parse_line(path, lineno, line, owner, l, &holder, d);
			if (r < 0)
				return r;
		}
		line = nl ? nl + 1 : NULL;
	}
	hp_resv_set_holder(l, owner, holder.holder_pid, holder.holder_start);
	return 0;
}

static int load_owner(struct host *h, const char *owner, struct hp_resv_list *l, struct diag *d)
{
	AUTOFREE char *path = xasprintf(HP_RESV_DIR "/%s", owner);
	AUTOFREE char *text = NULL;
	int r;

	r = host_read(h, path, &text, NULL, d);
	if (r == -ENOENT) { /* released between the listing and now (a reader without the lock) */
		diag_clear(d);
		return 0;
	}
	if (r < 0)
		return r;
	return parse_record(path, text, owner, l, d);
}

int hp_resv_set_owner(struct hp_resv_list *l, const char *owner, const char *path, const char *text,
		      struct diag *d)
{
	AUTOFREE char *copy = text ? xstrdup(text) : NULL;
	size_t kept = 0;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].owner, owner) != 0)
			l->v[kept++] = l->v[i];
	l->n = kept;
	return copy ? parse_record(path, copy, owner, l, d) : 0;
}

int hp_resv_load(struct host *h, struct hp_resv_list *ret, struct diag *d)
{
	struct hp_resv_list l = {0};
	char **names = NULL;
	int r;

	r = host_list_optional(h, HP_RESV_DIR, &names, NULL, d);
	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		if (hp_owner_check(*p, NULL) < 0)
			continue; /* temporary files of an atomic write, strays */
		r = load_owner(h, *p, &l, d);
		if (r < 0) {
			host_names_free(names);
			hp_resv_release(&l);
			return r;
		}
	}
	host_names_free(names);
	*ret = l;
	return 0;
}

void hp_resv_release(struct hp_resv_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int64_t hp_resv_held(const struct hp_resv_list *l, int node, uint64_t page_kib,
		     const char *except_owner)
{
	uint64_t sum = 0;

	/* saturates at COUNT_MAX: a floor that high only keeps pages, never frees them */
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].node == node && l->v[i].page_kib == page_kib &&
		    (!except_owner || strcmp(l->v[i].owner, except_owner) != 0) &&
		    (!safe_add_u64(sum, (uint64_t)l->v[i].pages, &sum) || sum > COUNT_MAX))
			return (int64_t)COUNT_MAX;
	return (int64_t)sum;
}

/* Pages reserved in a pool: node -1 counts every node's reservations of the size. */
static int64_t held_in_pool(const struct hp_resv_list *l, int node, uint64_t page_kib,
			    const char **ret_owner)
{
	uint64_t sum = 0;

	*ret_owner = NULL;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].page_kib != page_kib || (node >= 0 && l->v[i].node != node))
			continue;
		*ret_owner = l->v[i].owner;
		if (!safe_add_u64(sum, (uint64_t)l->v[i].pages, &sum) || sum > COUNT_MAX)
			return (int64_t)COUNT_MAX;
	}
	return (int64_t)sum;
}

int hp_resv_check_plan(const struct hp_resv_list *l, const struct hp_plan *p, struct diag *d)
{
	for (size_t i = 0; i < p->nchanges; i++) {
		const struct hp_change *c = &p->changes[i];
		const char *owner;
		int64_t held = held_in_pool(l, c->node, c->size_kib, &owner);
		char ps[16], where[32];

		if (c->new_pages >= c->old_pages || c->new_pages >= held)
			continue;
		if (c->node < 0)
			(void)snprintf(where, sizeof(where), "the host");
		else
			(void)snprintf(where, sizeof(where), "node %d", c->node);
		return diag_set(d, EEXIST, c->path,
				"the %s pool of %s holds %" PRId64 " pages reserved for VMs ('%s' "
				"among them), more than the %" PRId64
				" asked; release them first ('kvmtune hugepages release --owner "
				"%s'); nothing was changed",
				format_pagesize(c->size_kib, ps, sizeof(ps)), where, held, owner,
				c->new_pages, owner);
	}
	return 0;
}

char *hp_resv_format_owner(const struct hp_resv_list *l, const char *owner)
{
	struct sbuf sb = SBUF_INIT;
	bool holder = false;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].owner, owner) != 0)
			continue;
		if (!holder && l->v[i].holder_pid > 0)
			sbuf_addf(&sb, "pid %d start %" PRIu64 "\n", l->v[i].holder_pid,
				  l->v[i].holder_start);
		holder = true;
		sbuf_addf(&sb, "node %d page_kb %" PRIu64 " pages %" PRId64, l->v[i].node,
			  l->v[i].page_kib, l->v[i].pages);
		/* "grown" only when some pages were claimed free: older records read the same */
		if (l->v[i].grown != l->v[i].pages)
			sbuf_addf(&sb, " grown %" PRId64, l->v[i].grown);
		sbuf_addc(&sb, '\n');
	}
	return sbuf_detach(&sb, NULL);
}

void hp_resv_set_holder(struct hp_resv_list *l, const char *owner, int pid, uint64_t start)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].owner, owner) == 0) {
			l->v[i].holder_pid = pid;
			l->v[i].holder_start = start;
		}
}

int hp_proc_start_time(struct host *h, int pid, uint64_t *ret, struct diag *d)
{
	AUTOFREE char *path = xasprintf("/proc/%d/stat", pid);
	AUTOFREE char *text = NULL;
	const char *p;
	int r;

	r = host_read_attr(h, path, &text, NULL, NULL);
	if (r < 0)
		return r == -ENOENT || r == -ESRCH
			       ? -ENOENT
			       : diag_set(d, r, path, "'%s': %s", path, strerror(-r));
	/* after the comm's closing parenthesis: state is field 3, starttime field 22 */
	p = strrchr(text, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p) {
		char num[24];
		size_t len = strcspn(p + 1, " \n");

		if (len > 0 && len < sizeof(num)) {
			memcpy(num, p + 1, len);
			num[len] = '\0';
			if (parse_u64(num, ret) == 0)
				return 0;
		}
	}
	return diag_set(d, EINVAL, path, "'%s': no start time in field 22", path);
}

size_t hp_resv_stale_owners(struct host *h, const struct hp_resv_list *l, char ***ret)
{
	char **out = xcalloc(l->n + 1, sizeof(*out));
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct hp_resv *e = &l->v[i];
		uint64_t start;
		bool dup = false;

		if (e->holder_pid <= 0)
			continue;
		for (size_t j = 0; j < n; j++)
			dup = dup || strcmp(out[j], e->owner) == 0;
		if (dup)
			continue;
		if (hp_proc_start_time(h, e->holder_pid, &start, NULL) == -ENOENT ||
		    (hp_proc_start_time(h, e->holder_pid, &start, NULL) == 0 &&
		     start != e->holder_start))
			out[n++] = xstrdup(e->owner);
	}
	*ret = out;
	return n;
}

static struct hp_resv *find_entry(struct hp_resv_list *l, const char *owner, int node,
				  uint64_t page_kib)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].node == node && l->v[i].page_kib == page_kib &&
		    strcmp(l->v[i].owner, owner) == 0)
			return &l->v[i];
	return NULL;
}

static const struct pool *find_pool(const struct host_model *m, int node, uint64_t page_kib)
{
	const struct numa_node *n;

	if (node < 0)
		return model_find_pool(m, page_kib);
	n = model_find_node(m, node);
	return n ? node_find_pool(n, page_kib) : NULL;
}

/*
 * The free pages of a pool no record claims: free, less surplus pages and
 * pages reserved for a mapping (only the host-wide pool reports those; a
 * node pool subtracts the host-wide count, to be safe), less the pages of
 * every record on the pool (for a node: its records and the host-wide ones;
 * records whose QEMU runs count twice, which only claims less).
 */
static int64_t pool_unclaimed(const struct host_model *m, const struct hp_resv_list *l,
			      const struct pool *pl, int node, uint64_t page_kib)
{
	const struct pool *all = model_find_pool(m, page_kib);
	const char *owner;
	int64_t left = pl->free > 0 ? pl->free : 0;

	left -= pl->surplus > 0 ? pl->surplus : 0;
	if (all && all->reserved > 0)
		left -= all->reserved;
	left -= held_in_pool(l, node, page_kib, &owner);
	if (node >= 0)
		left -= hp_resv_held(l, -1, page_kib, NULL);
	return left > 0 ? left : 0;
}

int hugepages_decide_reserve(const struct host_model *m, const struct hp_mem *mem,
			     struct hp_resv_list *l, const char *owner, int node, uint64_t page_kib,
			     uint64_t size_kib, int64_t keep_free_kib, struct hp_plan *ret,
			     bool *ret_already, struct diag *d)
{
	struct hp_request req = HP_REQUEST_INIT;
	const struct hp_resv *have;
	const struct pool *pl;
	int64_t pages, total, claim;
	char ask[64], ps[16];
	int r;

	*ret_already = false;
	r = hp_owner_check(owner, d);
	if (r < 0)
		return r;
	if (page_kib == 0 || size_kib == 0)
		return diag_set(d, EINVAL, "--size", "--size and --page must be more than 0");
	pages = (int64_t)((size_kib + page_kib - 1) / page_kib);
	have = find_entry(l, owner, node, page_kib);
	if (have && have->pages == pages) {
		*ret_already = true;
		hp_plan_release(ret);
		return 0;
	}
	format_pagesize(page_kib, ps, sizeof(ps));
	if (have)
		return diag_set(d, EEXIST, owner,
				"owner '%s' already holds %" PRId64
				" x %s in this pool, not %" PRId64 "; release it first",
				owner, have->pages, ps, pages);
	pl = find_pool(m, node, page_kib);
	total = pl && pl->total > 0 ? pl->total : 0;
	claim = pl ? pool_unclaimed(m, l, pl, node, page_kib) : 0;
	if (claim > pages)
		claim = pages;
	(void)snprintf(ask, sizeof(ask), "%s=%" PRId64, ps, total + pages - claim);
	req.keep_free_kib = keep_free_kib;
	r = hp_request_add(&req, ask, d);
	if (r >= 0 && node >= 0) {
		char nodes[16];

		(void)snprintf(nodes, sizeof(nodes), "%d", node);
		r = hp_request_set_nodes(&req, nodes, d);
	}
	if (r >= 0)
		r = hugepages_decide(m, mem, &req, ret, d);
	hp_request_release(&req);
	if (r < 0)
		return r;
	if (claim > 0)
		(void)snprintf(ret->changes[0].reason, sizeof(ret->changes[0].reason),
			       "reserve %" PRId64 " x %s for '%s', %" PRId64
			       " of them free in the pool",
			       pages, ps, owner, claim);
	else
		(void)snprintf(ret->changes[0].reason, sizeof(ret->changes[0].reason),
			       "reserve %" PRId64 " x %s for '%s'", pages, ps, owner);
	resv_add(l, owner, node, page_kib, pages, pages - claim);
	return 0;
}

/* The pages of a pool that cannot be freed: in use, or reserved by a mapping. */
static int64_t pool_in_use(const struct pool *pl)
{
	int64_t used = pl->total > pl->free && pl->free >= 0 ? pl->total - pl->free : 0;

	return used + (pl->reserved > 0 ? pl->reserved : 0);
}

static bool in_owners(const char *owner, char *const *owners, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(owners[i], owner) == 0)
			return true;
	return false;
}

/* The change for one pool: shrink by mine, not below what others hold or is in use. */
static void release_pool(const struct host_model *m, const struct hp_resv_list *l,
			 char *const *owners, size_t nowners, int node, uint64_t page_kib,
			 struct hp_plan *p, int64_t *kept)
{
	const struct pool *pl = find_pool(m, node, page_kib);
	int64_t total, target, floor, others = 0, mine = 0, new_pages;
	struct sbuf who = SBUF_INIT;
	char ps[16], quoted[HP_OWNER_MAX + 3];

	if (!pl)
		return; /* the pool is gone (node offline): nothing to shrink */
	for (size_t i = 0; i < l->n; i++) {
		const struct hp_resv *e = &l->v[i];

		if (e->node != node || e->page_kib != page_kib)
			continue;
		if (!in_owners(e->owner, owners, nowners)) {
			others += e->pages;
			continue;
		}
		mine += e->grown; /* the pages it claimed free stay in the pool */
		(void)snprintf(quoted, sizeof(quoted), "'%s'", e->owner);
		if (!strstr(who.buf, quoted))
			sbuf_addf(&who, "%s%s", who.len ? ", " : "", quoted);
	}
	total = pl->total > 0 ? pl->total : 0;
	floor = pool_in_use(pl) > others ? pool_in_use(pl) : others;
	target = total - mine > 0 ? total - mine : 0;
	new_pages = target > floor ? target : floor;
	if (new_pages > total)
		new_pages = total;
	*kept += new_pages - target;
	hp_plan_add(p, node, page_kib, total, new_pages);
	(void)snprintf(p->changes[p->nchanges - 1].reason, sizeof(p->changes[0].reason),
		       "release %" PRId64 " x %s of %s%s", mine,
		       format_pagesize(page_kib, ps, sizeof(ps)), who.buf,
		       new_pages > target ? " (some stay: in use or held by others)" : "");
	sbuf_release(&who);
}

int hugepages_decide_release_owners(const struct host_model *m, struct hp_resv_list *l,
				    char *const *owners, size_t nowners, struct hp_plan *ret,
				    int64_t *ret_kept_pages, struct diag *d)
{
	struct hp_plan p = {0};
	int64_t kept = 0;
	size_t k = 0;
	int r;

	for (size_t i = 0; i < nowners; i++) {
		r = hp_owner_check(owners[i], d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct hp_resv *e = &l->v[i];
		bool first = true;

		if (!in_owners(e->owner, owners, nowners))
			continue;
		/* one change per pool: only at the pool's first releasing entry */
		for (size_t j = 0; j < i && first; j++)
			first = !(l->v[j].node == e->node && l->v[j].page_kib == e->page_kib &&
				  in_owners(l->v[j].owner, owners, nowners));
		if (first)
			release_pool(m, l, owners, nowners, e->node, e->page_kib, &p, &kept);
	}
	for (size_t i = 0; i < l->n; i++)
		if (!in_owners(l->v[i].owner, owners, nowners))
			l->v[k++] = l->v[i];
	l->n = k;
	hp_plan_release(ret);
	*ret = p;
	*ret_kept_pages = kept;
	return 0;
}

int hugepages_decide_release(const struct host_model *m, struct hp_resv_list *l, const char *owner,
			     struct hp_plan *ret, int64_t *ret_kept_pages, struct diag *d)
{
	char *owners[] = {(char *)owner};

	return hugepages_decide_release_owners(m, l, owners, 1, ret, ret_kept_pages, d);
}

int hp_resv_save_owner(struct host *h, const struct hp_resv_list *l, const char *owner,
		       struct diag *d)
{
	AUTOFREE char *path = xasprintf(HP_RESV_DIR "/%s", owner);
	AUTOFREE char *text = hp_resv_format_owner(l, owner);
	int r;

	if (!*text)
		return host_unlink(h, path, d);
	r = host_mkdir_p(h, HP_RESV_DIR, 0755, d);
	if (r < 0)
		return r;
	return host_write_file_atomic(h, path, text, 0644, d);
}
