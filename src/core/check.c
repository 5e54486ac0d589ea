/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `kvmtune check`: the table of host checks and the findings they produce.
 * Everything is read through the host seam; nothing is printed here.
 */
#include "core/check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/check-domains.h"
#include "core/check-internal.h"
#include "core/host.h"
#include "core/hugepages-persist.h"
#include "core/hugepages-verify.h"
#include "core/model.h"
#include "core/mounts.h"
#include "core/pagesize.h"
#include "core/qemu-user.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* ---- findings ---- */

struct finding *findings_add(struct findings *f, const char *id, enum check_severity sev,
			     const char *fmt, ...)
{
	struct finding *fd;
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	f->items = xreallocarray(f->items, f->n + 1, sizeof(*f->items));
	fd = &f->items[f->n++];
	memset(fd, 0, sizeof(*fd));
	fd->id = id;
	fd->severity = sev;
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fd->message = sbuf_detach(&sb, NULL);
	return fd;
}

void finding_evidence(struct finding *fd, const char *file, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fd->evidence = xreallocarray(fd->evidence, fd->nevidence + 1, sizeof(*fd->evidence));
	fd->evidence[fd->nevidence].file = xstrdup(file);
	fd->evidence[fd->nevidence].value = sbuf_detach(&sb, NULL);
	fd->nevidence++;
}

void finding_fix(struct finding *fd, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	if (fd->fix) {
		sbuf_adds(&sb, fd->fix);
		sbuf_addc(&sb, '\n');
		free(fd->fix);
	}
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fd->fix = sbuf_detach(&sb, NULL);
}

void findings_release(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct finding *fd = &f->items[i];

		for (size_t j = 0; j < fd->nevidence; j++) {
			free(fd->evidence[j].file);
			free(fd->evidence[j].value);
		}
		free(fd->evidence);
		free(fd->message);
		free(fd->quote);
		free(fd->fix);
	}
	free(f->items);
	f->items = NULL;
	f->n = 0;
}

size_t findings_count(const struct findings *f, enum check_severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->items[i].severity == sev;
	return n;
}

const char *check_severity_name(enum check_severity sev)
{
	switch (sev) {
	case CHECK_ERROR:
		return "error";
	case CHECK_WARNING:
		return "warning";
	case CHECK_NOT_CHECKED:
		return "not-checked";
	default:
		return "info";
	}
}

/* ---- helpers ---- */

const char *psz(uint64_t kib, char *buf, unsigned size)
{
	return format_size_kib(kib, buf, size);
}

static const char *cpu_flag_for(uint64_t kib)
{
	if (kib == PAGE_2M_KIB)
		return "pse";
	if (kib == PAGE_1G_KIB)
		return "pdpe1gb";
	return NULL;
}

/* Pages of a size: the larger of the global count and the per-node sum. */
int64_t pool_pages(const struct host_model *m, uint64_t kib, bool free_pages)
{
	const struct pool *g = model_find_pool(m, kib);
	int64_t global = g ? (free_pages ? g->free : g->total) : -1, sum = 0;

	for (size_t i = 0; i < m->nnodes; i++) {
		const struct pool *p = node_find_pool(&m->nodes[i], kib);

		if (p && (free_pages ? p->free : p->total) > 0)
			sum += free_pages ? p->free : p->total;
	}
	return global > sum ? global : sum;
}

static bool any_static_pool(const struct host_model *m)
{
	for (size_t i = 0; i < m->npools; i++)
		if (pool_pages(m, m->pools[i].size_kib, false) > 0)
			return true;
	return false;
}

static const char *qemu_group_name(const struct check_ctx *c)
{
	return c->q.group[0] ? c->q.group : "kvm";
}

/* ---- checks ---- */

/* Sizes that matter: pools with pages, mounts, and domain requests. */
static size_t sizes_in_use(const struct check_ctx *c, uint64_t *out, size_t max)
{
	size_t n = 0;

#define ADD_SIZE(s)                               \
	do {                                      \
		uint64_t s_ = (s);                \
		bool seen_ = false;               \
		for (size_t k_ = 0; k_ < n; k_++) \
			seen_ |= out[k_] == s_;   \
		if (s_ && !seen_ && n < max)      \
			out[n++] = s_;            \
	} while (0)
	for (size_t i = 0; i < c->m.npools; i++)
		if (pool_pages(&c->m, c->m.pools[i].size_kib, false) > 0)
			ADD_SIZE(c->m.pools[i].size_kib);
	for (size_t i = 0; i < c->ndoms; i++)
		for (size_t j = 0; j < c->doms[i].nparts; j++)
			ADD_SIZE(c->doms[i].parts[j].page_kib);
#undef ADD_SIZE
	return n;
}

static void check_cpu_pagesize(struct check_ctx *c)
{
	uint64_t sizes[32];
	size_t n = sizes_in_use(c, sizes, 32);
	char b[32];

	if (!c->m.ncpu_page_sizes) {
		if (n)
			finding_evidence(findings_add(c->out, "cpu-pagesize", CHECK_NOT_CHECKED,
						      "whether the CPU supports the page sizes in "
						      "use: /proc/cpuinfo has no flags and the "
						      "kernel offers no pools"),
					 "/proc/cpuinfo", "no 'flags' line");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *flag = cpu_flag_for(sizes[i]);
		struct finding *fd;

		if (model_cpu_supports(&c->m, sizes[i]) || !flag)
			continue;
		fd = findings_add(c->out, "cpu-pagesize", CHECK_ERROR,
				  "the CPU does not support %s pages (no '%s' flag), but they are "
				  "in use or asked for",
				  psz(sizes[i], b, sizeof(b)), flag);
		finding_evidence(fd, "/proc/cpuinfo", "flags lack '%s'", flag);
		for (size_t d = 0; d < c->ndoms; d++)
			for (size_t j = 0; j < c->doms[d].nparts; j++)
				if (c->doms[d].parts[j].page_kib == sizes[i]) {
					finding_evidence(fd, c->doms[d].file,
							 "VM %s asks for %s pages", c->doms[d].name,
							 psz(sizes[i], b, sizeof(b)));
					j = c->doms[d].nparts;
				}
		finding_fix(fd,
			    "use 2 MiB pages instead: <page size='2' unit='M'/> in "
			    "<memoryBacking><hugepages>; or run on a CPU with '%s' (a guest "
			    "needs '-cpu host' or '+%s')",
			    flag, flag);
	}
}

static char *read_kernel_config(struct check_ctx *c, char **ret_path)
{
	AUTOFREE char *path = xasprintf("/boot/config-%s", c->m.kernel_release);
	AUTOFREE char *gz = NULL;
	char *text = NULL;
	size_t len = 0;

	if (c->m.kernel_release[0] && host_read(c->h, path, &text, NULL, NULL) == 0) {
		*ret_path = STEAL_PTR(path);
		return text;
	}
	if (host_read(c->h, "/proc/config.gz", &gz, &len, NULL) < 0)
		return NULL;
	{
		struct sbuf sb = SBUF_INIT;
		z_stream zs = {0};
		unsigned char chunk[16384];
		int zr;

		if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
			return NULL;
		zs.next_in = (unsigned char *)gz;
		zs.avail_in = (unsigned)len;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			zr = inflate(&zs, Z_NO_FLUSH);
			sbuf_add(&sb, chunk, sizeof(chunk) - zs.avail_out);
		} while (zr == Z_OK && sb.len < (64u << 20));
		(void)inflateEnd(&zs);
		if (zr != Z_STREAM_END) {
			sbuf_release(&sb);
			return NULL;
		}
		*ret_path = xstrdup("/proc/config.gz");
		return sbuf_detach(&sb, NULL);
	}
}

/* "y", "m", or NULL when the option is not set. */
static const char *config_value(const char *text, const char *opt, char *buf, size_t size)
{
	AUTOFREE char *needle = xasprintf("%s=", opt);
	size_t nlen = strlen(needle);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, needle, nlen) == 0) {
			p += nlen;
			(void)snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
			return buf;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static void check_kernel_config(struct check_ctx *c)
{
	AUTOFREE char *path = NULL;
	AUTOFREE char *text = read_kernel_config(c, &path);
	const char *v;
	char buf[32];

	if (!text) {
		struct finding *fd = findings_add(
			c->out, "kernel-config", CHECK_NOT_CHECKED,
			"whether the kernel has hugetlbfs and transparent hugepages: its build "
			"configuration is not readable");
		finding_evidence(fd, "/boot", "no config-%s",
				 c->m.kernel_release[0] ? c->m.kernel_release
							: "(unknown release)");
		finding_evidence(fd, "/proc/config.gz", "absent or unreadable");
		return;
	}
	v = config_value(text, "CONFIG_HUGETLBFS", buf, sizeof(buf));
	if (!v || strcmp(v, "y") != 0) {
		struct finding *fd = findings_add(
			c->out, "kernel-hugetlbfs", CHECK_ERROR,
			"the kernel is built without hugetlbfs: no static hugepages for VMs");
		finding_evidence(fd, path, "CONFIG_HUGETLBFS %s", v ? v : "is not set");
		finding_fix(fd, "use a kernel built with CONFIG_HUGETLBFS=y and "
				"CONFIG_HUGETLB_PAGE=y (every Debian kernel is)");
	}
	v = config_value(text, "CONFIG_TRANSPARENT_HUGEPAGE", buf, sizeof(buf));
	if (!v || strcmp(v, "y") != 0) {
		struct finding *fd =
			findings_add(c->out, "kernel-thp", CHECK_INFO,
				     "the kernel is built without transparent "
				     "hugepages: VMs without static pools get 4 KiB pages");
		finding_evidence(fd, path, "CONFIG_TRANSPARENT_HUGEPAGE %s", v ? v : "is not set");
		finding_fix(fd, "use static pools for every VM (kvmtune hugepages), or a kernel "
				"with CONFIG_TRANSPARENT_HUGEPAGE=y");
	}
}

/* Where the pages of a pool were counted: the global file, or the per-node files. */
static void pool_evidence(struct check_ctx *c, struct finding *fd, uint64_t kib)
{
	const struct pool *g = model_find_pool(&c->m, kib);
	AUTOFREE char *gpath =
		xasprintf(HP_DIR "/hugepages-%llukB/nr_hugepages", (unsigned long long)kib);

	if (g && g->total > 0 && g->total >= pool_pages(&c->m, kib, false)) {
		finding_evidence(fd, gpath, "%lld", (long long)g->total);
		return;
	}
	for (size_t i = 0; i < c->m.nnodes; i++) {
		const struct pool *p = node_find_pool(&c->m.nodes[i], kib);
		AUTOFREE char *npath = NULL;

		if (!p || p->total <= 0)
			continue;
		npath = xasprintf(NODE_DIR "/node%d/hugepages/hugepages-%llukB/nr_hugepages",
				  c->m.nodes[i].node, (unsigned long long)kib);
		finding_evidence(fd, npath, "%lld", (long long)p->total);
	}
}

static bool domains_need_mount(const struct check_ctx *c, uint64_t kib)
{
	for (size_t i = 0; i < c->ndoms; i++)
		for (size_t j = 0; j < c->doms[i].nparts; j++)
			if (!c->doms[i].memfd && c->doms[i].parts[j].page_kib == kib)
				return true;
	return false;
}

static void mount_fix(struct check_ctx *c, struct finding *fd, const char *path, uint64_t kib)
{
	char ps[16];

	format_pagesize(kib, ps, sizeof(ps));
	finding_fix(fd,
		    "mkdir -p %s && mount -t hugetlbfs -o "
		    "pagesize=%s,mode=01770,gid=%s,nosuid,nodev hugetlbfs %s",
		    path, ps, qemu_group_name(c), path);
	finding_fix(fd,
		    "to keep it: kvmtune hugepages mount --group %s (a mount unit per page size "
		    "in use; --dry-run shows them)",
		    qemu_group_name(c));
}

static void check_mount_missing(struct check_ctx *c)
{
	for (size_t i = 0; i < c->m.npools; i++) {
		uint64_t kib = c->m.pools[i].size_kib;
		int64_t pages = pool_pages(&c->m, kib, false);
		bool needed = domains_need_mount(c, kib);
		struct finding *fd;
		char b[32], ps[16];
		AUTOFREE char *path = NULL;

		if (pages <= 0 || model_find_mount(&c->m, kib))
			continue;
		format_pagesize(kib, ps, sizeof(ps));
		fd = findings_add(
			c->out, "mount-missing", needed ? CHECK_ERROR : CHECK_WARNING,
			"%lld page%s of %s %s reserved but no hugetlbfs mount serves "
			"that size: %s",
			(long long)pages, pages == 1 ? "" : "s", psz(kib, b, sizeof(b)),
			pages == 1 ? "is" : "are",
			needed ? "libvirt fails with 'Unable to find any usable hugetlbfs "
				 "mount'"
			       : "QEMU's memory-backend-file cannot use them");
		pool_evidence(c, fd, kib);
		finding_evidence(fd, "/proc/mounts", "no hugetlbfs mount with pagesize=%s", ps);
		path = xasprintf("/dev/hugepages%s", ps);
		mount_fix(c, fd, path, kib);
	}
}

/* The mount root's mode and owner: the inode on a live host, else the options. */
static void mount_perm(struct check_ctx *c, const struct hugetlbfs_mount *mt, uint32_t *mode,
		       int64_t *uid, int64_t *gid, bool *from_inode)
{
	struct stat st;

	*mode = mt->mode;
	*uid = mt->uid;
	*gid = mt->gid;
	*from_inode = false;
	if (host_is_live(c->h) && host_stat(c->h, mt->path, &st, NULL) == 0) {
		*mode = st.st_mode & 07777;
		*uid = st.st_uid;
		*gid = st.st_gid;
		*from_inode = true;
	}
}

static void check_mode_typos(struct check_ctx *c)
{
	for (size_t i = 0; i < c->m.nmounts; i++) {
		const struct hugetlbfs_mount *mt = &c->m.mounts[i];
		unsigned want = mounts_mode_typo(mt->mode);
		uint32_t mode;
		int64_t uid, gid;
		bool inode;
		struct finding *fd;
		char facts[400];

		if (!want)
			continue;
		mount_perm(c, mt, &mode, &uid, &gid, &inode);
		mounts_mode_typo_facts(mt->mode, want, facts, sizeof(facts));
		fd = findings_add(c->out, "mount-mode-typo",
				  mode == mt->mode ? CHECK_ERROR : CHECK_WARNING,
				  "hugetlbfs mount '%s' has mode %o, not %o: %s; %s", mt->path,
				  mt->mode, want, facts,
				  mode == mt->mode ? "QEMU's group cannot create files there"
						   : "the inode was fixed since, the mount "
						     "option was not");
		finding_evidence(fd, "/proc/mounts", "%s hugetlbfs mode=%s", mt->path,
				 mt->mode_text);
		if (inode)
			finding_evidence(fd, mt->path, "mode %o now", mode);
		finding_fix(fd, "chmod %o %s", want, mt->path);
		finding_fix(fd,
			    "to keep it: kvmtune hugepages mount --group %s (mount units with "
			    "mode=0%o, which every reader takes as octal), or write mode=0%o in "
			    "/etc/fstab or the mount unit's Options=",
			    qemu_group_name(c), want, want);
	}
}

static const char *rwx(int bits, char *buf)
{
	buf[0] = bits & 4 ? 'r' : '-';
	buf[1] = bits & 2 ? 'w' : '-';
	buf[2] = bits & 1 ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

/*
 * libvirt makes '<mount>/libvirt/qemu' (root, 0755 after umask) when libvirtd
 * starts and a directory per VM owned by QEMU's user when the VM starts, and
 * adds search permission for group and others on the mount root.  So QEMU
 * only needs to search the mount root, 'libvirt' and 'libvirt/qemu'.
 */
static void check_libvirt_path(struct check_ctx *c, const struct hugetlbfs_mount *mt,
			       uint32_t root_mode, int64_t root_uid, int64_t root_gid,
			       bool root_inode)
{
	AUTOFREE char *lv = xasprintf("%s/libvirt", mt->path);
	AUTOFREE char *lvq = xasprintf("%s/libvirt/qemu", mt->path);
	const char *dirs[] = {mt->path, lv, lvq};
	struct finding *fd;
	char un[64], gn[64], bits[4];

	for (size_t i = 0; i < 3; i++) {
		struct stat st = {0};
		uint32_t mode = root_mode;
		int64_t uid = root_uid, gid = root_gid;
		int acc;

		if (i > 0) {
			if (host_stat(c->h, dirs[i], &st, NULL) < 0)
				return;
			mode = st.st_mode & 07777;
			uid = st.st_uid;
			gid = st.st_gid;
		}
		acc = qemu_ident_access(&c->q, mode, uid, gid);
		if (acc & 1)
			continue;
		fd = findings_add(c->out, "mount-access", CHECK_ERROR,
				  "QEMU as %s:%s cannot reach its per-VM directories under '%s': "
				  "'%s' denies it search (x) permission; VMs fail with 'can't open "
				  "backing store ... Permission denied'",
				  c->q.user, c->q.group, lvq, dirs[i]);
		finding_evidence(fd, i == 0 && !root_inode ? "/proc/mounts" : dirs[i],
				 "%s mode %o owner %s:%s: %s gets %s", dirs[i], mode,
				 etc_user_name(c->h, uid, un, sizeof(un)),
				 etc_group_name(c->h, gid, gn, sizeof(gn)), c->q.user,
				 rwx(acc, bits));
		finding_evidence(fd, c->q.source[0] == '/' ? c->q.source : "/etc/passwd",
				 "QEMU runs as user %s group %s (%s)", c->q.user, c->q.group,
				 c->q.source);
		finding_fix(fd, "chmod a+x %s (restarting libvirtd also adds it on the mount root)",
			    dirs[i]);
		return;
	}
}

static void check_mount_access(struct check_ctx *c)
{
	if (c->q.uid < 0) {
		if (c->m.nmounts) {
			struct finding *fd = findings_add(
				c->out, "mount-access", CHECK_NOT_CHECKED,
				"whether QEMU can use the hugetlbfs mounts: its user '%s' (%s) is "
				"not in /etc/passwd",
				c->q.user, c->q.source);
			finding_evidence(fd, "/etc/passwd",
					 c->q.have_passwd ? "no entry '%s'" : "absent (user '%s')",
					 c->q.user);
			finding_fix(fd, "install libvirt-daemon-system, or set user/group in "
					"/etc/libvirt/qemu.conf");
		}
		return;
	}
	for (size_t i = 0; i < c->m.nmounts; i++) {
		const struct hugetlbfs_mount *mt = &c->m.mounts[i];
		AUTOFREE char *sub = xasprintf("%s/libvirt/qemu", mt->path);
		uint32_t mode;
		int64_t uid, gid;
		bool inode;
		struct stat st;
		struct finding *fd;
		char un[64], gn[64], bits[4];
		int acc;

		mount_perm(c, mt, &mode, &uid, &gid, &inode);
		acc = qemu_ident_access(&c->q, mode, uid, gid);
		if (host_stat(c->h, sub, &st, NULL) == 0) {
			/* libvirt-started VMs: their directories are made by libvirt. */
			check_libvirt_path(c, mt, mode, uid, gid, inode);
			continue;
		}
		if ((acc & 3) == 3)
			continue;
		fd = findings_add(c->out, "mount-access", CHECK_WARNING,
				  "QEMU as %s:%s cannot create files in hugetlbfs mount '%s': "
				  "libvirt works around it with its own '%s', but QEMU started any "
				  "other way fails with 'can't open backing store ... Permission "
				  "denied'",
				  c->q.user, c->q.group, mt->path, sub);
		finding_evidence(
			fd, inode ? mt->path : "/proc/mounts", "%s mode %o owner %s:%s: %s gets %s",
			mt->path, mode, etc_user_name(c->h, uid, un, sizeof(un)),
			etc_group_name(c->h, gid, gn, sizeof(gn)), c->q.user, rwx(acc, bits));
		finding_evidence(fd, c->q.source[0] == '/' ? c->q.source : "/etc/passwd",
				 "QEMU runs as user %s group %s (%s)", c->q.user, c->q.group,
				 c->q.source);
		finding_fix(fd, "chgrp %s %s && chmod 1770 %s", c->q.group, mt->path, mt->path);
		finding_fix(fd,
			    "to keep it: kvmtune hugepages mount --group %s (mount units with "
			    "mode=01770 and that group)",
			    c->q.group);
	}
}

static void check_shm_group(struct check_ctx *c)
{
	const struct knob_value *k = &c->m.knobs[KNOB_HUGETLB_SHM_GROUP];
	struct finding *fd;
	char gn[64];

	if (!k->present || k->number == 0)
		return;
	if (c->q.uid < 0) {
		fd = findings_add(c->out, "shm-group", CHECK_NOT_CHECKED,
				  "whether QEMU's user is in vm.hugetlb_shm_group %lld: the user "
				  "'%s' (%s) is not in /etc/passwd",
				  (long long)k->number, c->q.user, c->q.source);
		finding_evidence(fd, "/proc/sys/vm/hugetlb_shm_group", "%lld",
				 (long long)k->number);
		return;
	}
	if (qemu_ident_in_group(&c->q, k->number))
		return;
	etc_group_name(c->h, k->number, gn, sizeof(gn));
	fd = findings_add(c->out, "shm-group", CHECK_WARNING,
			  "vm.hugetlb_shm_group is %lld (%s), a group QEMU's user %s is not in: "
			  "SHM_HUGETLB segments of QEMU and its helpers are refused",
			  (long long)k->number, gn, c->q.user);
	finding_evidence(fd, "/proc/sys/vm/hugetlb_shm_group", "%lld", (long long)k->number);
	finding_evidence(fd, c->q.source[0] == '/' ? c->q.source : "/etc/group",
			 "QEMU runs as user %s group %s (gid %lld)", c->q.user, c->q.group,
			 (long long)c->q.gid);
	if (c->q.gid >= 0) {
		finding_fix(fd, "sysctl -w vm.hugetlb_shm_group=%lld", (long long)c->q.gid);
		finding_fix(fd,
			    "to keep it: kvmtune hugepages persist --group %lld (writes it to "
			    "/etc/sysctl.d with the pools; --dry-run shows the files)",
			    (long long)c->q.gid);
	}
}

static void check_thp(struct check_ctx *c)
{
	const struct knob_value *k = &c->m.knobs[KNOB_THP_ENABLED];
	struct finding *fd;

	if (!any_static_pool(&c->m))
		return;
	if (!k->present) {
		fd = findings_add(c->out, "thp-always", CHECK_NOT_CHECKED,
				  "whether transparent hugepages compete with the static pools: "
				  "the THP setting is not readable");
		finding_evidence(fd, "/sys/kernel/mm/transparent_hugepage/enabled", "absent");
		return;
	}
	if (strcmp(k->word, "always") != 0)
		return;
	/*
	 * Documentation/admin-guide/mm/transhuge.rst: THP covers anonymous and
	 * shmem memory, not hugetlbfs; with "always" an application may be given
	 * a 2 MiB page where it touched a few bytes, and khugepaged collapses
	 * pages in the background; "madvise" keeps THP for regions that ask
	 * (QEMU asks for guest RAM that is not on hugetlbfs).
	 */
	fd = findings_add(c->out, "thp-always", CHECK_WARNING,
			  "transparent hugepages are 'always' while static hugepage pools exist: "
			  "VMs on hugetlbfs gain nothing from THP (it covers anonymous and shmem "
			  "memory, not hugetlbfs), every other process may get 2 MiB pages where "
			  "it touched a few bytes (more memory used), and khugepaged and "
			  "compaction for THP compete with pool growth for free 2 MiB blocks");
	finding_evidence(fd, "/sys/kernel/mm/transparent_hugepage/enabled", "[always]");
	for (size_t i = 0; i < c->m.npools; i++)
		if (pool_pages(&c->m, c->m.pools[i].size_kib, false) > 0)
			pool_evidence(c, fd, c->m.pools[i].size_kib);
	finding_fix(fd, "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled (THP stays "
			"for memory that asks for it, such as QEMU's guest RAM outside hugetlbfs)");
	finding_fix(fd, "to keep it, add transparent_hugepage=madvise to the kernel command line");
}

static size_t nodes_with_memory(const struct host_model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nnodes; i++)
		n += m->nodes[i].mem_total_kib > 0;
	return n;
}

static void check_ksm(struct check_ctx *c)
{
	const struct knob_value *run = &c->m.knobs[KNOB_KSM_RUN];
	const struct knob_value *man = &c->m.knobs[KNOB_KSM_MERGE_ACROSS_NODES];
	const struct knob_value *sharing = &c->m.knobs[KNOB_KSM_PAGES_SHARING];
	struct finding *fd;
	size_t n = nodes_with_memory(&c->m);
	uint64_t kib = 0;
	char b[32];

	if (n >= 2 && (!run->present || !man->present)) {
		fd = findings_add(
			c->out, "ksm-merge-across-nodes", CHECK_NOT_CHECKED,
			"whether KSM merges pages across the %zu NUMA nodes: its settings "
			"are not readable (no KSM in this kernel?)",
			n);
		finding_evidence(fd, "/sys/kernel/mm/ksm", "run or merge_across_nodes absent");
		return;
	}
	if (!run->present || !man->present || run->number != 1 || man->number != 1 || n < 2)
		return;
	fd = findings_add(c->out, "ksm-merge-across-nodes", CHECK_WARNING,
			  "KSM merges pages across NUMA nodes on a host with %zu nodes: a VM's "
			  "merged pages end up on a remote node",
			  n);
	finding_evidence(fd, "/sys/kernel/mm/ksm/run", "1");
	finding_evidence(fd, "/sys/kernel/mm/ksm/merge_across_nodes", "1");
	finding_evidence(fd, NODE_DIR, "%zu nodes with memory", n);
	if (sharing->present && sharing->number > 0)
		finding_evidence(fd, "/sys/kernel/mm/ksm/pages_sharing", "%lld",
				 (long long)sharing->number);
	/* merge_across_nodes can change only while no page is merged: unmerge first */
	(void)safe_mul_u64(sharing->present && sharing->number > 0 ? (uint64_t)sharing->number : 0,
			   c->m.base_page_kib, &kib);
	finding_fix(fd, "echo 2 > /sys/kernel/mm/ksm/run && echo 0 > "
			"/sys/kernel/mm/ksm/merge_across_nodes && echo 1 > /sys/kernel/mm/ksm/run");
	if (sharing->present)
		finding_fix(fd,
			    "careful: 'run 2' unmerges every merged page and each sharer gets its "
			    "own copy again: about %s more memory now (pages_sharing x %llu KiB); "
			    "make sure it is free, or the OOM killer may end a VM",
			    psz(kib, b, sizeof(b)), (unsigned long long)c->m.base_page_kib);
	else
		finding_fix(fd,
			    "careful: 'run 2' unmerges every merged page and each sharer gets its "
			    "own copy again: that needs pages_sharing x %llu KiB of free memory "
			    "(/sys/kernel/mm/ksm/pages_sharing), or the OOM killer may end a VM",
			    (unsigned long long)c->m.base_page_kib);
}

static void check_numad_balancing(struct check_ctx *c)
{
	const struct knob_value *nb = &c->m.knobs[KNOB_NUMA_BALANCING];
	struct finding *fd;

	if (!c->m.numad_pid || !nb->present || nb->number == 0)
		return;
	fd = findings_add(c->out, "numad-and-numa-balancing", CHECK_WARNING,
			  "numad and the kernel's automatic NUMA balancing both move memory and "
			  "tasks: they work against each other");
	finding_evidence(fd, "/proc", "numad runs as pid %d", c->m.numad_pid);
	finding_evidence(fd, "/proc/sys/kernel/numa_balancing", "%lld", (long long)nb->number);
	finding_fix(fd, "sysctl -w kernel.numa_balancing=0 (keep numad), or stop numad");
	finding_fix(fd, "to keep it: echo 'kernel.numa_balancing = 0' > "
			"/etc/sysctl.d/80-numa-balancing.conf");
}

static void check_swap_strict(struct check_ctx *c)
{
	struct finding *fd = NULL;

	if (c->m.swap_total_kib != 0 && c->m.swap_total_kib >= 0)
		return;
	for (size_t i = 0; i < c->ndoms; i++) {
		const struct domain_demand *dd = &c->doms[i];

		for (size_t j = 0; j < dd->nparts; j++) {
			const struct domain_part *p = &dd->parts[j];
			AUTOFREE char *ns = NULL;

			if (strcmp(p->mode, "strict") != 0 || cpuset_empty(&p->host))
				continue;
			if (!fd && c->m.swap_total_kib < 0) {
				fd = findings_add(c->out, "no-swap-strict", CHECK_NOT_CHECKED,
						  "whether the host has swap for VMs bound "
						  "strictly to nodes: /proc/meminfo has no "
						  "SwapTotal");
				finding_evidence(fd, "/proc/meminfo", "no SwapTotal line");
				return;
			}
			if (!fd) {
				fd = findings_add(
					c->out, "no-swap-strict", CHECK_WARNING,
					"no swap while VMs bind memory strictly to nodes: "
					"when a bound node fills, the OOM killer ends a VM "
					"instead of paging");
				finding_evidence(fd, "/proc/meminfo", "SwapTotal: 0 kB");
				finding_fix(fd,
					    "fallocate -l 4G /swapfile && chmod 600 /swapfile && "
					    "mkswap /swapfile && swapon /swapfile");
				finding_fix(fd, "or use <memory mode='restrictive'/> or "
						"'preferred' in the VMs' <numatune>");
			}
			ns = cpuset_to_list(&p->host);
			finding_evidence(fd, dd->file, "VM %s: numatune mode strict nodeset %s",
					 dd->name, ns);
			break;
		}
	}
}

static void check_bad_domains(struct check_ctx *c)
{
	struct finding *fd;

	if (!c->bad_domains)
		return;
	fd = findings_add(c->out, "domain-unreadable", CHECK_WARNING,
			  "some libvirt domain files could not be parsed; their demand was not "
			  "checked");
	finding_evidence(fd, "/etc/libvirt/qemu", "%s", c->bad_domains);
	finding_fix(fd, "virsh dumpxml NAME > /tmp/NAME.xml && virt-xml-validate /tmp/NAME.xml");
}

/* What 'hugepages persist' wrote and the running pools: each pool that did not take. */
static void check_persist(struct check_ctx *c)
{
	struct hp_verify v = {0};
	struct diag d = {0};

	if (hugepages_persist_verify(c->h, &c->m, &v, &d) < 0) {
		finding_evidence(findings_add(c->out, "persist-not-taken", CHECK_NOT_CHECKED,
					      "whether the persisted hugepage pools took: %s",
					      d.msg),
				 d.object, "unreadable");
		return;
	}
	for (size_t i = 0; i < v.n; i++) {
		const struct hp_verify_item *it = &v.v[i];
		struct finding *fd;

		if (it->ok)
			continue;
		fd = findings_add(c->out, "persist-not-taken", CHECK_WARNING,
				  "a hugepage pool persisted for boot did not take: %s",
				  it->problem);
		if (it->sources & HP_VERIFY_SYSCTL)
			finding_evidence(fd, HP_SYSCTL_FILE, "vm.nr_hugepages = %lld",
					 (long long)it->persisted);
		if (it->sources & HP_VERIFY_CMDLINE)
			finding_evidence(fd, HP_GRUB_FILE, "%s", v.cmdline_words);
		if (it->sources & HP_VERIFY_UNIT)
			finding_evidence(fd, HP_UNIT_FILE, "%lld pages", (long long)it->persisted);
		finding_fix(fd,
			    "kvmtune hugepages persist --verify (the same comparison, per pool)");
		finding_fix(fd, "kvmtune hugepages set (grows a pool now, despite fragmentation)");
	}
	hp_verify_release(&v);
}

static const struct {
	const char *name;
	void (*fn)(struct check_ctx *c);
} check_table[] = {
	{"cpu-pagesize", check_cpu_pagesize},	{"kernel-config", check_kernel_config},
	{"mount-missing", check_mount_missing}, {"mount-mode-typo", check_mode_typos},
	{"mount-access", check_mount_access},	{"shm-group", check_shm_group},
	{"pools-demand", check_pools_demand},	{"thp-always", check_thp},
	{"ksm-merge-across-nodes", check_ksm},	{"numad-and-numa-balancing", check_numad_balancing},
	{"no-swap-strict", check_swap_strict},	{"domain-unreadable", check_bad_domains},
	{"persist-not-taken", check_persist},
};

int check_run(struct host *h, struct findings *ret, struct diag *d)
{
	struct check_ctx c = {.h = h, .out = ret};
	int r;

	r = host_model_load(h, &c.m, d);
	if (r < 0)
		return r;
	r = qemu_ident_load(h, &c.q, d);
	if (r == 0)
		r = domains_load(h, c.m.default_hugepage_kib, &c.doms, &c.ndoms, &c.bad_domains, d);
	if (r == 0)
		for (size_t i = 0; i < sizeof(check_table) / sizeof(check_table[0]); i++)
			check_table[i].fn(&c);
	domains_free(c.doms, c.ndoms);
	free(c.bad_domains);
	qemu_ident_release(&c.q);
	host_model_release(&c.m);
	return r;
}
