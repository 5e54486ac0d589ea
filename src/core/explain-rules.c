/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The explanations behind `kvmtune explain` for guest RAM backing: backing
 * store open/map, preallocation, hugetlbfs mounts, memfd.  Each reads the host
 * now (pools, mounts, permissions) to name the cause and the fix.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/check-internal.h"
#include "core/check.h"
#include "core/cpuset.h"
#include "core/explain-internal.h"
#include "core/explain.h"
#include "core/host.h"
#include "core/mounts.h"
#include "core/pagesize.h"
#include "util/cleanup.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

static const char *grp(const struct explain_ctx *c)
{
	return c->have_q && c->q.group[0] ? c->q.group : "kvm";
}

static const char *usr(const struct explain_ctx *c)
{
	return c->have_q ? c->q.user : "libvirt-qemu";
}

static bool ident_known(const struct explain_ctx *c)
{
	return c->have_q && c->q.uid >= 0;
}

static const char *bits_text(int bits, char *buf)
{
	buf[0] = bits & 4 ? 'r' : '-';
	buf[1] = bits & 2 ? 'w' : '-';
	buf[2] = bits & 1 ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

static void fix_mount(struct explain_ctx *c, struct finding *fd, uint64_t kib)
{
	char ps[16];

	format_pagesize(kib, ps, sizeof(ps));
	finding_fix(
		fd,
		"mkdir -p /dev/hugepages%s && mount -t hugetlbfs -o pagesize=%s,mode=01770,gid=%s "
		"hugetlbfs /dev/hugepages%s",
		ps, ps, grp(c), ps);
	finding_fix(fd,
		    "to keep it, add to /etc/fstab: hugetlbfs /dev/hugepages%s hugetlbfs "
		    "pagesize=%s,mode=01770,gid=%s 0 0",
		    ps, ps, grp(c));
}

/* A page size guessed from a path such as /dev/hugepages1G/libvirt/qemu/1-vm. */
static uint64_t size_from_path(const char *path)
{
	const char *p = strstr(path, "hugepages");

	while (p) {
		const char *s = p + strlen("hugepages");
		char buf[16];
		uint64_t kib;
		size_t n;

		if (*s == '-' || *s == '_')
			s++;
		n = strspn(s, "0123456789");
		if (n && n < 10 && strchr("KkMGT", s[n])) {
			(void)snprintf(buf, sizeof(buf), "%.*s%s", (int)(n + 1), s,
				       s[n + 1] == 'B' ? "B" : "");
			if (parse_size_kib(buf, &kib) == 0)
				return kib;
		}
		p = strstr(s, "hugepages");
	}
	return 0;
}

/* ---- can't open backing store ---- */

struct walk {
	char *denied; /* first directory QEMU's identity may not pass (or write), or NULL */
	int need, got;
	char *missing; /* first component that does not exist, or NULL */
};

static void walk_release(struct walk *w)
{
	free(w->denied);
	free(w->missing);
}

/* Add "mode 1770 owner root:kvm: libvirt-qemu gets rwx" evidence for path. */
static int ev_inode(struct explain_ctx *c, struct finding *fd, const char *path,
		    const struct stat *st)
{
	char un[64], gn[64], bits[4];
	int acc = ident_known(c)
			  ? qemu_ident_access(&c->q, st->st_mode & 07777, st->st_uid, st->st_gid)
			  : -1;

	if (acc >= 0)
		finding_evidence(fd, path, "mode %o owner %s:%s: %s gets %s",
				 (unsigned)(st->st_mode & 07777),
				 etc_user_name(c->h, st->st_uid, un, sizeof(un)),
				 etc_group_name(c->h, st->st_gid, gn, sizeof(gn)), usr(c),
				 bits_text(acc, bits));
	else
		finding_evidence(fd, path, "mode %o owner %s:%s", (unsigned)(st->st_mode & 07777),
				 etc_user_name(c->h, st->st_uid, un, sizeof(un)),
				 etc_group_name(c->h, st->st_gid, gn, sizeof(gn)));
	return acc < 0 ? 7 : acc;
}

/*
 * A mount root of a captured tree has the permissions its mount options
 * say (the tree's directory is just a copy); live, the inode decides.
 */
static int stat_or_mount(struct explain_ctx *c, const char *path, struct stat *st)
{
	const struct hugetlbfs_mount *mt = explain_mount_of(c, path);

	if (mt && strcmp(mt->path, path) == 0 && !host_is_live(c->h)) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFDIR | mt->mode;
		st->st_uid = (uid_t)mt->uid;
		st->st_gid = (gid_t)mt->gid;
		return 0;
	}
	return host_stat(c->h, path, st, NULL);
}

/*
 * Walk from start (a mount root, or "/") down to dir: every component needs
 * search (x) permission, dir itself need_last.  Evidence for each component.
 */
static void walk_path(struct explain_ctx *c, struct finding *fd, const char *start, const char *dir,
		      int need_last, struct walk *w)
{
	AUTOFREE char *cur = xstrdup(start);
	const char *p = dir + strlen(start);

	memset(w, 0, sizeof(*w));
	for (int depth = 0; depth < 64; depth++) {
		struct stat st;
		bool last;
		int need, acc;
		size_t n;
		char *next;

		while (*p == '/')
			p++;
		last = *p == '\0';
		if (!c->h || stat_or_mount(c, cur, &st) < 0) {
			w->missing = xstrdup(cur);
			finding_evidence(fd, cur, "does not exist now");
			return;
		}
		acc = ev_inode(c, fd, cur, &st);
		need = last ? need_last : 1;
		if ((acc & need) != need) {
			w->denied = xstrdup(cur);
			w->need = need;
			w->got = acc;
			return;
		}
		if (last)
			return;
		n = strcspn(p, "/");
		next = xasprintf("%s%s%.*s", cur, cur[strlen(cur) - 1] == '/' ? "" : "/", (int)n,
				 p);
		free(cur);
		cur = next;
		p += n;
	}
}

static char *dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static void denied_no_culprit(struct explain_ctx *c, struct finding *fd, const char *base,
			      const struct walk *w)
{
	if (w->missing && !strstr(w->missing, "/libvirt/qemu/"))
		finding_fix(fd, "restart libvirtd: it makes %s/libvirt/qemu when it starts", base);
	if (w->missing)
		finding_fix(fd, "start the VM again and run 'kvmtune explain' on the new log while "
				"it fails, when the directories still exist");
	finding_fix(fd,
		    "look for a security module denial: dmesg | grep -E "
		    "'apparmor=\"DENIED\"|avc: +denied' | grep '%s'",
		    base);
	finding_fix(fd,
		    "AppArmor (Debian, Ubuntu): restart libvirtd so it regenerates the VM "
		    "profile, or allow the path in "
		    "/etc/apparmor.d/local/abstractions/libvirt-qemu: '%s/** rwk,'",
		    base);
	finding_fix(fd, "SELinux (Fedora, RHEL): restorecon -Rv %s", base);
}

static void backing_denied(struct explain_ctx *c, const char *quote, const char *path)
{
	const struct hugetlbfs_mount *mt = explain_mount_of(c, path);
	const char *base = mt ? mt->path : "/";
	struct stat st;
	bool is_dir = c->h && host_stat(c->h, path, &st, NULL) == 0 && S_ISDIR(st.st_mode);
	AUTOFREE char *dir = is_dir ? xstrdup(path) : dirname_of(path);
	struct finding *fd;
	struct walk w;
	int need;

	fd = explain_add(c, "backing-store-permission", quote, "%s", "");
	if (!fd)
		return;
	free(fd->message);
	if (!mt)
		finding_evidence(fd, "/proc/mounts", "'%s' is on no hugetlbfs mount", path);
	else
		finding_evidence(fd, "/proc/mounts", "%s hugetlbfs mode=%s uid=%lld gid=%lld",
				 mt->path, mt->mode_text, (long long)mt->uid, (long long)mt->gid);
	/*
	 * libvirt makes the per-VM directory (the mem-path) and removes it when
	 * the VM fails: when it is gone, QEMU needed only to search its parents.
	 */
	need = 3;
	if (!is_dir && strlen(dir) >= 13 && strcmp(dir + strlen(dir) - 13, "/libvirt/qemu") == 0) {
		need = 1;
		finding_evidence(fd, path,
				 "does not exist now (libvirt removes it when the VM "
				 "stops)");
	}
	walk_path(c, fd, strncmp(dir, base, strlen(base)) == 0 ? base : "/", dir, need, &w);
	if (c->have_q)
		finding_evidence(fd, c->q.source[0] == '/' ? c->q.source : "",
				 "QEMU runs as user %s group %s (%s)%s", c->q.user, c->q.group,
				 c->q.source,
				 c->q.uid < 0 ? ", a user not in /etc/passwd here" : "");
	if (w.denied) {
		bool libvirt_dir = strstr(w.denied, "/libvirt/qemu") != NULL;

		fd->message =
			xasprintf("QEMU as %s:%s may not %s '%s' (it gets %s, needs %s)%s", usr(c),
				  grp(c), w.need == 3 ? "create files in" : "enter", w.denied,
				  bits_text(w.got, (char[4]){0}), bits_text(w.need, (char[4]){0}),
				  mt ? "" : "; the path is not on a hugetlbfs mount either");
		if (libvirt_dir)
			finding_fix(fd,
				    "chown %s:%s %s (or restart libvirtd, which recreates it with "
				    "the right owner)",
				    usr(c), grp(c), w.denied);
		else
			finding_fix(fd, "chgrp %s %s && chmod 1770 %s", grp(c), w.denied, w.denied);
		if (mt && strcmp(w.denied, mt->path) == 0)
			finding_fix(fd,
				    "to keep it, mount with -o mode=01770,gid=%s (/etc/fstab "
				    "or the mount unit's Options=; note the leading 0)",
				    grp(c));
	} else if (!ident_known(c)) {
		fd->message = xasprintf(
			"QEMU could not create its guest RAM file under '%s'; QEMU's user %s is "
			"unknown here, so the permissions shown were not judged",
			dir, usr(c));
		finding_fix(fd, "kvmtune explain --user NAME FILE (NAME: the user QEMU ran as)");
	} else if (w.missing) {
		bool per_vm = strstr(w.missing, "/libvirt/qemu/") != NULL;

		fd->message = xasprintf(
			"'%s' does not exist now (%s), so the permissions QEMU met cannot be "
			"read; what exists on the way allows %s:%s",
			w.missing,
			per_vm ? "libvirt removes a VM's directory when it stops"
			       : "libvirtd makes <mount>/libvirt/qemu when it starts; a mount made "
				 "later has none until libvirtd restarts",
			usr(c), grp(c));
		denied_no_culprit(c, fd, base, &w);
	} else {
		fd->message = xasprintf(
			"the permissions on the way to '%s' allow %s:%s now: the denial came from "
			"a security module (AppArmor, SELinux) or from permissions at start-up "
			"that have changed since; vm.hugetlb_shm_group does not matter here (it "
			"governs SHM_HUGETLB shared memory, not files on hugetlbfs)",
			dir, usr(c), grp(c));
		denied_no_culprit(c, fd, base, &w);
	}
	if (mt && mounts_mode_typo(mt->mode))
		finding_fix(fd,
			    "mount '%s' shows mode %o, the mode %o taken as a decimal number on "
			    "its way to the mount ('kvmtune check' says more): chmod %o %s, and "
			    "'kvmtune hugepages mount' writes units with mode=0%o",
			    mt->path, mt->mode, mounts_mode_typo(mt->mode),
			    mounts_mode_typo(mt->mode), mt->path, mounts_mode_typo(mt->mode));
	walk_release(&w);
}

static void backing_missing(struct explain_ctx *c, const char *quote, const char *path)
{
	const struct hugetlbfs_mount *mt = explain_mount_of(c, path);
	uint64_t kib = size_from_path(path);
	AUTOFREE char *dir = dirname_of(path);
	struct finding *fd;
	struct walk w;
	char b[32];

	fd = explain_add(c, "backing-store-missing", quote, "%s", "");
	if (!fd)
		return;
	free(fd->message);
	walk_path(c, fd, "/", dir, 3, &w);
	explain_ev_mounts(c, fd);
	if (mt) {
		fd->message = xasprintf("'%s' is missing inside hugetlbfs mount '%s': libvirt "
					"creates '%s/libvirt/qemu' when libvirtd starts and a "
					"directory per VM when it starts",
					w.missing ? w.missing : dir, mt->path, mt->path);
		finding_fix(fd,
			    "restart libvirtd (it recreates %s/libvirt/qemu), then start the VM",
			    mt->path);
	} else if (kib && c->have_model && c->m.ncpu_page_sizes &&
		   !model_cpu_supports(&c->m, kib)) {
		explain_ev_cpu(c, fd);
		fd->message =
			xasprintf("'%s' does not exist: there is no hugetlbfs mount for %s "
				  "pages, and there cannot be one: this CPU does not support "
				  "them",
				  w.missing ? w.missing : dir, format_size_kib(kib, b, sizeof(b)));
		finding_fix(fd, "use 2 MiB pages: <page size='2' unit='M'/> (libvirt) or "
				"mem-path on a 2 MiB hugetlbfs mount");
	} else {
		if (kib) {
			explain_ev_cpu(c, fd);
			explain_ev_pools(c, fd, kib);
		}
		fd->message = xasprintf("'%s' does not exist: no hugetlbfs mount is there%s%s",
					w.missing ? w.missing : dir, kib ? " for " : "",
					kib ? format_size_kib(kib, b, sizeof(b)) : "");
		fix_mount(c, fd,
			  kib ? kib
			      : (c->have_model && c->m.default_hugepage_kib
					 ? c->m.default_hugepage_kib
					 : PAGE_HUGE_FALLBACK_KIB));
		finding_fix(fd, "then restart libvirtd: it reads the mounts when it starts");
	}
	walk_release(&w);
}

void explain_backing_open(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			  const char *after)
{
	const char *end = strstr(after, " for guest RAM: ");
	AUTOFREE char *path = NULL;
	AUTOFREE char *quote = NULL;
	const char *e;
	struct finding *fd;

	if (!end || end - after > 4096 || end == after)
		return;
	path = xstrndup(after, (size_t)(end - after));
	e = explain_errno_at(end + strlen(" for guest RAM: "));
	quote = xasprintf("can't open backing store %s for guest RAM: %s", path, e ? e : "");
	if (e && strcmp(e, "Permission denied") == 0) {
		backing_denied(c, quote, path);
		return;
	}
	if (e && strcmp(e, "No such file or directory") == 0) {
		backing_missing(c, quote, path);
		return;
	}
	fd = explain_add(c, r->id, quote, "QEMU could not open or create '%s' for guest RAM%s%s",
			 path, e ? ": " : "", e ? e : "");
	if (fd)
		explain_ev_mounts(c, fd);
	if (fd)
		finding_fix(fd, "point mem-path at a directory on a writable hugetlbfs mount "
				"(kvmtune check lists them)");
}

/* ---- unable to map backing store: Cannot allocate memory ---- */

/* Page size and guest size named in the log (0 when not there). */
static void log_sizes(struct explain_ctx *c, uint64_t *ret_page, uint64_t *ret_size,
		      const struct hugetlbfs_mount **ret_mt)
{
	AUTOFREE char *mem_path = explain_param(c->text, "mem-path");
	AUTOFREE char *size = explain_param(c->text, "size");
	AUTOFREE char *hsize = explain_param(c->text, "hugetlbsize");
	const struct hugetlbfs_mount *mt = mem_path ? explain_mount_of(c, mem_path) : NULL;
	uint64_t v;

	*ret_page = mt ? mt->pagesize_kib : 0;
	*ret_size = 0;
	*ret_mt = mt;
	if (!*ret_page && hsize && parse_size_kib(hsize, &v) == 0)
		*ret_page = v;
	if (size && parse_size_kib(size, &v) == 0)
		*ret_size = v;
}

static void fix_grow(struct finding *fd, uint64_t kib, int node, int64_t new_total)
{
	if (node >= 0)
		finding_fix(fd,
			    "echo %lld > /sys/devices/system/node/node%d/hugepages/"
			    "hugepages-%llukB/nr_hugepages",
			    (long long)new_total, node, (unsigned long long)kib);
	else
		finding_fix(fd,
			    "echo %lld > /sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
			    (long long)new_total, (unsigned long long)kib);
	finding_fix(fd, "read nr_hugepages back: the kernel gives fewer when memory is fragmented");
}

void explain_map_enomem(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			const char *after)
{
	const char *e = strncmp(after, ": ", 2) == 0 ? explain_errno_at(after + 2) : NULL;
	AUTOFREE char *quote = xasprintf("unable to map backing store for guest RAM%s%s",
					 e ? ": " : "", e ? e : "");
	const struct hugetlbfs_mount *mt;
	const struct pool *p;
	uint64_t page, size;
	struct finding *fd;
	char b1[32], b2[32];

	log_sizes(c, &page, &size, &mt);
	if (!page && c->have_model)
		page = c->m.default_hugepage_kib;
	p = c->have_model && page ? model_find_pool(&c->m, page) : NULL;
	if (e && strcmp(e, "Cannot allocate memory") != 0) {
		fd = explain_add(c, r->id, quote, "mmap of guest RAM failed with '%s'", e);
		if (fd)
			explain_ev_mounts(c, fd);
		return;
	}
	if (size && page && p) {
		int64_t need = (int64_t)((size + page - 1) / page);
		struct cpuset nodes = CPUSET_INIT;
		bool bound = explain_log_host_nodes(c, &nodes);
		bool one = bound && cpuset_count(&nodes) == 1;
		int n = bound ? cpuset_next(&nodes, 0) : -1;
		const struct numa_node *node =
			one && c->have_model ? model_find_node(&c->m, n) : NULL;
		const struct pool *np = node ? node_find_pool(node, page) : NULL;

		cpuset_release(&nodes);
		if (p->free < need && np) {
			fd = explain_add(
				c, r->id, quote,
				"the guest's %s needs %lld pages of %s, bound to node %d; the "
				"pool has %lld free now (of %lld), %lld of them on node %d: "
				"QEMU reserves them all when it maps guest RAM",
				format_size_kib(size, b1, sizeof(b1)), (long long)need,
				format_size_kib(page, b2, sizeof(b2)), n, (long long)p->free,
				(long long)p->total, (long long)np->free, n);
			if (!fd)
				return;
			explain_ev_pools(c, fd, page);
			fix_grow(fd, page, n, np->total + need - np->free);
			return;
		}
		if (p->free < need) {
			fd = explain_add(c, r->id, quote,
					 "the guest's %s needs %lld pages of %s; the pool has %lld "
					 "free now (of %lld): QEMU reserves them all when it maps "
					 "guest RAM",
					 format_size_kib(size, b1, sizeof(b1)), (long long)need,
					 format_size_kib(page, b2, sizeof(b2)), (long long)p->free,
					 (long long)p->total);
			if (!fd)
				return;
			explain_ev_pools(c, fd, page);
			fix_grow(fd, page, -1, p->total + need - p->free);
			return;
		}
		if (mt && mt->size_limit_kib >= 0 && (uint64_t)mt->size_limit_kib < size) {
			fd = explain_add(
				c, r->id, quote,
				"hugetlbfs mount '%s' is limited to %s (size=), less than "
				"the guest's %s",
				mt->path,
				format_size_kib((uint64_t)mt->size_limit_kib, b1, sizeof(b1)),
				format_size_kib(size, b2, sizeof(b2)));
			if (fd)
				finding_fix(fd,
					    "mount -o remount,size=%lluK %s, or drop size= from "
					    "its options",
					    (unsigned long long)size, mt->path);
			return;
		}
		fd = explain_add(c, r->id, quote,
				 "the pool of %s pages has %lld free now, enough for the guest's "
				 "%lld: when QEMU started, other VMs held them or the pool was "
				 "smaller",
				 format_size_kib(page, b2, sizeof(b2)), (long long)p->free,
				 (long long)need);
		if (fd)
			explain_ev_pools(c, fd, page);
		if (fd)
			finding_fix(fd,
				    "start the VM again; reserve the pool at boot "
				    "(/etc/sysctl.d, hugepages= on the kernel command line) so it "
				    "does not shrink");
		return;
	}
	fd = explain_add(
		c, r->id, quote,
		"QEMU maps guest RAM on hugetlbfs and the kernel reserves every page at "
		"once: the pool of that page size had fewer free pages than the guest's "
		"memory%s",
		c->have_model && pool_pages(&c->m, page ? page : PAGE_HUGE_FALLBACK_KIB, false) <= 0
			? "; there are none reserved now"
			: "");
	if (!fd)
		return;
	explain_ev_pools(c, fd, 0);
	explain_ev_mounts(c, fd);
	finding_fix(fd,
		    "grow the pool by the guest's memory divided by the page size: echo "
		    "<pages> > /sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages (pages "
		    "= what other VMs hold + what this guest needs)",
		    (unsigned long long)(page ? page : PAGE_HUGE_FALLBACK_KIB));
	finding_fix(fd, "or give the VM less memory; 'kvmtune check' compares defined VMs with "
			"the pools");
}

/* ---- preallocation ---- */

/* Include QEMU's "qemu_prealloc_mem: " / "os_mem_prealloc: " prefix in the quote. */
static const char *back_over_prefix(struct explain_ctx *c, const char *at)
{
	static const char *const prefixes[] = {"qemu_prealloc_mem: ", "os_mem_prealloc: "};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t l = strlen(prefixes[i]);

		if ((size_t)(at - c->text) >= l && strncmp(at - l, prefixes[i], l) == 0)
			return at - l;
	}
	return at;
}

void explain_prealloc(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		      const char *after)
{
	const char *e = strncmp(after, ": ", 2) == 0 ? explain_errno_at(after + 2) : NULL;
	const char *start = back_over_prefix(c, at);
	AUTOFREE char *quote =
		xasprintf("%.*s%s%s", (int)(after - start), start, e ? ": " : "", e ? e : "");
	struct cpuset nodes = CPUSET_INIT;
	bool bound = explain_log_host_nodes(c, &nodes);
	AUTOFREE char *list = bound ? cpuset_to_list(&nodes) : NULL;
	uint64_t page, size;
	const struct hugetlbfs_mount *mt;
	struct finding *fd;

	log_sizes(c, &page, &size, &mt);
	if (!page && c->have_model)
		page = c->m.default_hugepage_kib;
	fd = explain_add(c, r->id, quote,
			 "QEMU reserved the guest's hugepages but could not fault them in while "
			 "preallocating: they were not free on the NUMA node%s it was bound to "
			 "(%s%s), or a hugetlb cgroup limit (hugetlb.<size>.max) stopped it",
			 bound && cpuset_count(&nodes) == 1 ? "" : "s",
			 bound ? "host-nodes=" : "host-nodes or cpuset.mems", bound ? list : "");
	if (fd) {
		explain_ev_pools(c, fd, page);
		if (bound && page) {
			int n = cpuset_next(&nodes, 0);
			const struct numa_node *node =
				c->have_model ? model_find_node(&c->m, n) : NULL;
			const struct pool *np = node ? node_find_pool(node, page) : NULL;
			int64_t need = size ? (int64_t)((size + page - 1) / page) : 0;
			int64_t have = np && np->free > 0 ? np->free : 0;

			if (need > have) {
				finding_fix(fd,
					    "node %d has %lld free of the %lld pages needed: grow "
					    "its pool",
					    n, (long long)have, (long long)need);
				fix_grow(fd, page, n, (np ? np->total : 0) + need - have);
			} else if (need) {
				finding_fix(fd,
					    "node %d has the %lld pages free now: look at the "
					    "cgroup limit below, or at other VMs holding them then",
					    n, (long long)need);
			}
		} else {
			finding_fix(fd,
				    "grow the pool on the VM's nodes: echo <pages> > "
				    "/sys/devices/system/node/node<N>/hugepages/hugepages-%llukB/"
				    "nr_hugepages",
				    (unsigned long long)(page ? page : PAGE_HUGE_FALLBACK_KIB));
		}
		finding_fix(fd, "check the VM's hugetlb cgroup limit: grep . "
				"/sys/fs/cgroup/machine.slice/*/hugetlb.*.max");
	}
	cpuset_release(&nodes);
}

/* ---- no usable hugetlbfs mount (libvirt) ---- */

void explain_no_mount(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		      const char *after)
{
	AUTOFREE char *num = explain_token(after, " ", 20);
	AUTOFREE char *quote = NULL;
	uint64_t kib;
	struct finding *fd;
	char b[32];

	if (parse_u64(num, &kib) < 0 || kib == 0)
		return;
	quote = xasprintf("Unable to find any usable hugetlbfs mount for %llu KiB",
			  (unsigned long long)kib);
	format_size_kib(kib, b, sizeof(b));
	if (c->have_model && c->m.ncpu_page_sizes && !model_cpu_supports(&c->m, kib)) {
		fd = explain_add(c, r->id, quote,
				 "the domain asks for %s pages, which this CPU does not support: "
				 "no pool and no mount can exist for them",
				 b);
		if (!fd)
			return;
		explain_ev_cpu(c, fd);
		explain_ev_mounts(c, fd);
		finding_fix(fd, "use a size the CPU has: <page size='2' unit='M'/> in "
				"<memoryBacking><hugepages>");
		return;
	}
	fd = explain_add(c, r->id, quote,
			 "libvirt found no hugetlbfs mount with pagesize=%s among the mounts it "
			 "saw when libvirtd started%s",
			 format_pagesize(kib, b, sizeof(b)),
			 c->have_model && !model_find_pool(&c->m, kib)
				 ? "; the kernel has no pool of that size either"
				 : "");
	if (!fd)
		return;
	explain_ev_mounts(c, fd);
	explain_ev_pools(c, fd, kib);
	fix_mount(c, fd, kib);
	finding_fix(fd, "then restart libvirtd (it reads the mounts at start-up, or set "
			"hugetlbfs_mount in /etc/libvirt/qemu.conf)");
}

/* ---- memfd ---- */

void explain_memfd(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		   const char *after)
{
	AUTOFREE char *hex = explain_token(after, ": ", 16);
	AUTOFREE char *quote = NULL;
	const char *colon = after + strlen(hex);
	const char *e = strncmp(colon, ": ", 2) == 0 ? explain_errno_at(colon + 2) : NULL;
	unsigned long long flags = 0;
	uint64_t kib = 0;
	struct finding *fd;
	char b[32];

	for (const char *p = hex; *p; p++) {
		int v = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
						 : -1;

		if (v < 0 || flags > (1ULL << 56))
			return;
		flags = flags * 16 + (unsigned)v;
	}
	quote = xasprintf("failed to create memfd with flags 0x%s%s%s", hex, e ? ": " : "",
			  e ? e : "");
	if (flags & 4) { /* MFD_HUGETLB; the size is log2 in bits 26-31 */
		unsigned shift = (unsigned)((flags >> 26) & 0x3f);

		kib = shift >= 10 && shift < 50 ? (1ULL << shift) / 1024 : 0;
	}
	if (!kib && (flags & 4) && c->have_model)
		kib = c->m.default_hugepage_kib;
	if (!(flags & 4)) {
		fd = explain_add(c, r->id, quote, "QEMU could not create a memfd for guest RAM%s%s",
				 e ? ": " : "", e ? e : "");
		return;
	}
	format_size_kib(kib, b, sizeof(b));
	if (c->have_model && c->m.ncpu_page_sizes && !model_cpu_supports(&c->m, kib)) {
		fd = explain_add(c, r->id, quote,
				 "QEMU asked for a memfd of %s hugepages (hugetlbsize); this CPU "
				 "does not support them, so the kernel has no such pool",
				 b);
		if (!fd)
			return;
		explain_ev_cpu(c, fd);
		finding_fix(fd, "use hugetlbsize=2M (libvirt: <page size='2' unit='M'/>)");
		return;
	}
	fd = explain_add(c, r->id, quote,
			 "QEMU asked for a memfd of %s hugepages and the kernel refused%s%s: %s", b,
			 e ? " with " : "", e ? e : "",
			 c->have_model && !model_find_pool(&c->m, kib)
				 ? "it has no pool of that size"
				 : "the pool of that size could not serve it");
	if (!fd)
		return;
	explain_ev_pools(c, fd, kib);
	finding_fix(fd,
		    "use a hugetlbsize the host has a pool of (kvmtune status), or add "
		    "hugepagesz=%s to the kernel command line",
		    format_pagesize(kib, b, sizeof(b)));
}

void explain_too_small(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		       const char *after)
{
	AUTOFREE char *page = explain_token(after, " ", 18);
	AUTOFREE char *quote = NULL;
	const char *start = at;
	int back = 0;

	/* "memory size 0x%lx must be ...": step back over "memory size 0x…" */
	while (start > c->text && back < 40 && strncmp(start, "memory size 0x", 14) != 0) {
		start--;
		back++;
	}
	if (strncmp(start, "memory size 0x", 14) != 0)
		start = at;
	quote = xasprintf("%.*s%s", (int)(after - start), start, page);
	struct finding *fd = explain_add(c, r->id, quote,
					 "the memory backend is smaller than one page of its "
					 "hugetlbfs mount (page size 0x%s bytes)",
					 page);

	if (fd) {
		explain_ev_mounts(c, fd);
		finding_fix(fd, "make size= a multiple of the page size, or use a mount with "
				"smaller pages");
	}
}
