/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Builders for 'hugepages persist' and 'hugepages mount': which pools to
 * keep, the kernel command line, sysctl.d, the oneshot unit and the
 * hugetlbfs mount units.  Everything here is pure except the /etc/group
 * lookup.
 */
#include "hugepages-persist.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/file-plan.h"
#include "core/host.h"
#include "core/hugepages-cmdline.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "core/mounts.h"
#include "core/pagesize.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* A group name as useradd(8) takes it: [A-Za-z_][A-Za-z0-9_.-]*, up to 32 characters. */
static bool group_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 32 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
	       n;
}

int hugepages_group_gid(struct host *h, const char *name, long *ret_gid, struct diag *d)
{
	AUTOFREE char *text = NULL;
	size_t nlen = strlen(name);
	uint32_t v;
	int r;

	if (parse_u32(name, &v) == 0) {
		if (v == UINT32_MAX) /* (gid_t)-1 means "leave unchanged" to the kernel */
			return diag_set(d, EINVAL, "--group", "--group %s: not a valid group id",
					name);
		*ret_gid = (long)v;
		return 0;
	}
	if (!group_name_ok(name))
		return diag_set(
			d, EINVAL, "--group",
			"--group '%.64s': expected a group name (letters, digits, '_', '.', "
			"'-'; up to 32) or a numeric gid",
			name);
	r = host_read(h, "/etc/group", &text, NULL, d);
	if (r < 0)
		return diag_set(d, r, "/etc/group",
				"cannot look up group '%s': '/etc/group': %s; give --group GID",
				name, strerror(-r));
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n'), *gid, *end;

		if (nl)
			*nl = '\0';
		/* name:password:gid:members */
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ':') {
			gid = strchr(line + nlen + 1, ':');
			end = gid ? strchr(gid + 1, ':') : NULL;
			if (end)
				*end = '\0';
			if (!gid || parse_u32(gid + 1, &v) < 0)
				return diag_set(
					d, EINVAL, "/etc/group",
					"'/etc/group': the line of group '%s' has no numeric gid",
					name);
			*ret_gid = (long)v;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return diag_set(d, ENOENT, "/etc/group",
			"group '%s' is not in '/etc/group'; create it or give --group NAME|GID",
			name);
}

static void want_add(struct hp_wants *w, int node, uint64_t size_kib, int64_t pages)
{
	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = (struct hp_want){node, size_kib, pages};
}

/* The host's pools of one size: host-wide when evenly spread, else per node. */
static void wants_from_model(const struct host_model *m, const struct pool *gp, struct hp_wants *w)
{
	bool even = true;
	int64_t first = -1;

	if (gp->total <= 0 && gp->size_kib != m->default_hugepage_kib)
		return;
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct pool *np = node_find_pool(&m->nodes[i], gp->size_kib);
		int64_t t = np && np->total > 0 ? np->total : 0;

		if (m->nodes[i].mem_total_kib == 0)
			continue; /* memoryless nodes get no pages */
		if (first < 0)
			first = t;
		else if (t != first)
			even = false;
	}
	if (even || !m->numa_sysfs) {
		want_add(w, -1, gp->size_kib, gp->total > 0 ? gp->total : 0);
		return;
	}
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct pool *np = node_find_pool(&m->nodes[i], gp->size_kib);

		if (m->nodes[i].mem_total_kib != 0)
			want_add(w, m->nodes[i].node, gp->size_kib,
				 np && np->total > 0 ? np->total : 0);
	}
}

int hugepages_wants(const struct host_model *m, const struct hp_request *req, struct hp_wants *ret,
		    struct diag *d)
{
	struct hp_wants w = {0};

	if (!req->nasks) {
		for (size_t i = 0; i < m->npools; i++)
			wants_from_model(m, &m->pools[i], &w);
		*ret = w;
		return 0;
	}
	for (size_t i = 0; i < req->nasks; i++) {
		const struct hp_ask *a = &req->asks[i];
		char ps[16];

		if (!model_cpu_supports(m, a->size_kib) || !model_find_pool(m, a->size_kib)) {
			hp_wants_release(&w);
			return diag_set(d, EINVAL, a->text, "'%s': this host has no %s pages",
					a->text, format_pagesize(a->size_kib, ps, sizeof(ps)));
		}
		if (!req->nnodes)
			want_add(&w, -1, a->size_kib, (int64_t)a->count_pages);
		for (size_t j = 0; j < req->nnodes; j++) {
			if (!model_find_node(m, req->nodes[j])) {
				hp_wants_release(&w);
				return diag_set(d, EINVAL, "--node",
						"--node: node %d does not exist on this host",
						req->nodes[j]);
			}
			want_add(&w, req->nodes[j], a->size_kib, (int64_t)a->count_pages);
		}
	}
	*ret = w;
	return 0;
}

/* KiB of w's pages on node (node -1: the host-wide ones); false on overflow. */
static bool wants_kib(const struct hp_wants *w, int node, uint64_t *ret)
{
	uint64_t sum = 0, kib;

	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].node == node &&
		    (!safe_mul_u64((uint64_t)w->v[i].pages, w->v[i].size_kib, &kib) ||
		     !safe_add_u64(sum, kib, &sum)))
			return false;
	*ret = sum;
	return true;
}

static int persist_refuse(struct diag *d, const char *where, uint64_t want_kib, int64_t total_kib,
			  uint64_t keep_kib)
{
	char w[32], t[32], k[32];

	return diag_set(d, ERANGE, where,
			"%s: the pools to persist need %s at boot, but of its %s of memory %s "
			"must stay free for the host; nothing was written",
			where, format_size_kib(want_kib, w, sizeof(w)),
			format_size_kib(total_kib > 0 ? (uint64_t)total_kib : 0, t, sizeof(t)),
			format_size_kib(keep_kib, k, sizeof(k)));
}

int hugepages_persist_guard(const struct hp_mem *mem, const struct hp_wants *w,
			    int64_t keep_free_kib, struct diag *d)
{
	uint64_t host_kib, node_kib, share, keep;
	size_t nmem = 0;
	char where[32];

	if (!wants_kib(w, -1, &host_kib))
		return diag_set(d, ERANGE, "persist", "the pools to persist are too large");
	for (size_t i = 0; i < mem->nnodes; i++)
		nmem += mem->nodes[i].total_kib != 0;
	share = nmem ? host_kib / nmem + (host_kib % nmem != 0) : host_kib;
	for (size_t i = 0; i < mem->nnodes; i++) {
		const struct hp_node_mem *n = &mem->nodes[i];

		if (!wants_kib(w, n->node, &node_kib) ||
		    !safe_add_u64(node_kib, n->total_kib != 0 ? share : 0, &node_kib))
			return diag_set(d, ERANGE, "persist", "the pools to persist are too large");
		(void)snprintf(where, sizeof(where), "node %d", n->node);
		if (node_kib && n->total_kib < 0)
			return diag_set(d, EINVAL, where,
					"%s: its memory size is unknown (no MemTotal), so pages "
					"cannot be persisted on it safely; nothing was written",
					where);
		if (!node_kib)
			continue;
		keep = hugepages_keep_free_kib(mem, n, keep_free_kib);
		if (node_kib > (uint64_t)n->total_kib || keep > (uint64_t)n->total_kib - node_kib)
			return persist_refuse(d, where, node_kib, n->total_kib, keep);
	}
	if (!mem->nnodes && host_kib) {
		struct hp_node_mem all = {0, mem->total_kib, mem->avail_kib};

		if (mem->total_kib < 0)
			return diag_set(d, EINVAL, "host",
					"host: its memory size is unknown (no MemTotal in "
					"/proc/meminfo); nothing was written");
		keep = hugepages_keep_free_kib(mem, &all, keep_free_kib);
		if (host_kib > (uint64_t)mem->total_kib ||
		    keep > (uint64_t)mem->total_kib - host_kib)
			return persist_refuse(d, "host", host_kib, mem->total_kib, keep);
	}
	return 0;
}

void hp_wants_release(struct hp_wants *w)
{
	free(w->v);
	w->v = NULL;
	w->n = 0;
}

static char *sysctl_text(const struct host_model *m, const struct hp_wants *w, long gid)
{
	const struct knob_value *oc = &m->knobs[KNOB_NR_OVERCOMMIT_HUGEPAGES];
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "# Written by 'kvmtune hugepages persist': hugepages for QEMU/KVM.\n");
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].node < 0 && w->v[i].size_kib == m->default_hugepage_kib)
			sbuf_addf(&sb, "vm.nr_hugepages = %" PRId64 "\n", w->v[i].pages);
	sbuf_addf(&sb, "vm.nr_overcommit_hugepages = %" PRId64 "\n",
		  oc->present && oc->number > 0 ? oc->number : 0);
	sbuf_addf(&sb, "vm.hugetlb_shm_group = %ld\n", gid);
	return sbuf_detach(&sb, NULL);
}

/* ExecStart lines: one per node (all its sizes), one for non-default host-wide sizes. */
static void unit_exec_lines(const struct host_model *m, const struct hp_wants *w,
			    const char *kvmtune_path, struct sbuf *sb)
{
	char ps[16];
	bool any = false;

	for (size_t i = 0; i < m->nnodes; i++) {
		bool first = true;

		for (size_t j = 0; j < w->n; j++) {
			if (w->v[j].node != m->nodes[i].node)
				continue;
			if (first)
				sbuf_addf(sb, "ExecStart=%s hugepages set", kvmtune_path);
			sbuf_addf(sb, " %s=%" PRId64,
				  format_pagesize(w->v[j].size_kib, ps, sizeof(ps)), w->v[j].pages);
			first = false;
		}
		if (!first)
			sbuf_addf(sb, " --node %d --timeout 120\n", m->nodes[i].node);
	}
	for (size_t j = 0; j < w->n; j++) {
		if (w->v[j].node >= 0 || w->v[j].size_kib == m->default_hugepage_kib)
			continue;
		if (!any)
			sbuf_addf(sb, "ExecStart=%s hugepages set", kvmtune_path);
		sbuf_addf(sb, " %s=%" PRId64, format_pagesize(w->v[j].size_kib, ps, sizeof(ps)),
			  w->v[j].pages);
		any = true;
	}
	if (any)
		sbuf_adds(sb, " --timeout 120\n");
}

/* The grub drop-in: the words appended, or both variables set anew without old hugepage words. */
static char *grub_text(const struct hp_cmdline *cl)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "# Written by 'kvmtune hugepages persist': reserve per-node and 1 GiB\n"
		       "# hugepages at boot, before memory fragments.  Run update-grub.\n");
	if (!cl->rewrite) {
		sbuf_addf(&sb, "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX %s\"\n", cl->words.buf);
		return sbuf_detach(&sb, NULL);
	}
	sbuf_addf(&sb,
		  "# grub's files set hugepage words too: both variables are set anew here,\n"
		  "# without them, so that the kernel sees one hugepagesz= per page size.\n"
		  "GRUB_CMDLINE_LINUX=\"%s\"\n"
		  "GRUB_CMDLINE_LINUX_DEFAULT=\"%s\"\n",
		  cl->grub_linux.buf, cl->grub_default.buf);
	return sbuf_detach(&sb, NULL);
}

void hugepages_persist_files(const struct host_model *m, const struct hp_wants *w, long gid,
			     const char *kvmtune_path, const struct hp_cmdline *cl,
			     struct file_plan *plan)
{
	AUTOFREE char *sysctl = sysctl_text(m, w, gid);
	struct sbuf unit = SBUF_INIT, exec = SBUF_INIT;

	file_plan_add(plan, HP_SYSCTL_FILE, sysctl, 0644,
		      "default-size pool, overcommit and the hugetlb group at boot");
	if (cl->words.len || cl->rewrite) {
		AUTOFREE char *grub = grub_text(cl);

		file_plan_add(plan, HP_GRUB_FILE, grub, 0644, "kernel command line for grub");
	}
	unit_exec_lines(m, w, kvmtune_path, &exec);
	if (exec.len) {
		sbuf_adds(&unit,
			  "# Written by 'kvmtune hugepages persist'.  Enable with\n"
			  "# 'systemctl enable kvmtune-hugepages.service'.\n"
			  "[Unit]\n"
			  "Description=Hugepage pools per NUMA node and page size (kvmtune)\n"
			  "DefaultDependencies=no\n"
			  "After=systemd-sysctl.service\n"
			  "Before=sysinit.target libvirtd.service\n"
			  "ConditionPathExists=/sys/kernel/mm/hugepages\n\n"
			  "[Service]\n"
			  "Type=oneshot\n"
			  "RemainAfterExit=yes\n");
		sbuf_adds(&unit, exec.buf);
		sbuf_adds(&unit, "\n[Install]\nWantedBy=sysinit.target\n");
		file_plan_add(plan, HP_UNIT_FILE, unit.buf, 0644,
			      "oneshot unit: per-node and non-default-size pools early at boot");
	}
	sbuf_release(&unit);
	sbuf_release(&exec);
}

void hugepages_mount_path(const struct host_model *m, uint64_t size_kib, char *buf, size_t bufsz)
{
	char ps[16];

	if (size_kib == m->default_hugepage_kib)
		(void)snprintf(buf, bufsz, "/dev/hugepages");
	else
		(void)snprintf(buf, bufsz, "/dev/hugepages%s",
			       format_pagesize(size_kib, ps, sizeof(ps)));
}

void hugepages_mount_files(const struct host_model *m, const uint64_t *sizes_kib, size_t nsizes,
			   long gid, struct file_plan *plan)
{
	for (size_t i = 0; i < nsizes; i++) {
		char where[64], ps[16], path[128];
		AUTOFREE char *text = NULL;

		hugepages_mount_path(m, sizes_kib[i], where, sizeof(where));
		format_pagesize(sizes_kib[i], ps, sizeof(ps));
		if (sizes_kib[i] == m->default_hugepage_kib) {
			/*
			 * mode with its leading 0 (see mounts_mode_typo()); nosuid,nodev
			 * as systemd >= 254 mounts hugetlbfs: Options= replaces its list.
			 */
			text = xasprintf("# Written by 'kvmtune hugepages mount'.\n"
					 "[Mount]\n"
					 "Options=pagesize=%s,mode=01770,gid=%ld,nosuid,nodev\n",
					 ps, gid);
			file_plan_add(plan, HP_MOUNT_DROPIN, text, 0644,
				      "dev-hugepages.mount: mode 01770 and the QEMU group");
			continue;
		}
		/* systemd's unit name for /dev/hugepages1G is dev-hugepages1G.mount. */
		(void)snprintf(path, sizeof(path), "/etc/systemd/system/dev-hugepages%s.mount", ps);
		text = xasprintf("# Written by 'kvmtune hugepages mount'.  Enable with\n"
				 "# 'systemctl enable dev-hugepages%s.mount'.\n"
				 "[Unit]\n"
				 "Description=Huge Pages File System, %s pages (kvmtune)\n"
				 "DefaultDependencies=no\n"
				 "Before=sysinit.target\n"
				 "ConditionPathExists=/sys/kernel/mm/hugepages/hugepages-%" PRIu64
				 "kB\n"
				 "ConditionCapability=CAP_SYS_ADMIN\n\n"
				 "[Mount]\n"
				 "What=hugetlbfs\n"
				 "Where=%s\n"
				 "Type=hugetlbfs\n"
				 "Options=pagesize=%s,mode=01770,gid=%ld,nosuid,nodev\n\n"
				 "[Install]\n"
				 "WantedBy=sysinit.target\n",
				 ps, ps, sizes_kib[i], where, ps, gid);
		file_plan_add(plan, path, text, 0644, "mount unit for the other page size");
	}
}

static void finding(char ***v, size_t *n, char *msg)
{
	*v = xreallocarray(*v, *n + 2, sizeof(char *));
	(*v)[(*n)++] = msg;
	(*v)[*n] = NULL;
}

/* "mode=1770" in an Options= line: four digits without the leading 0. */
static void check_unit_text(const char *path, const char *text, char ***v, size_t *n)
{
	for (const char *p = strstr(text, "mode="); p; p = strstr(p + 5, "mode=")) {
		const char *val = p + 5;
		size_t len = strspn(val, "01234567");

		if (len == 4 && val[0] != '0')
			finding(v, n,
				xasprintf("'%s': 'mode=%.4s' has no leading 0: this kernel reads "
					  "it as octal, but the Debian hugepages guide reports "
					  "mounts showing %o from such a line in a systemd "
					  "override (%.4s taken as decimal); write 'mode=0%.4s', "
					  "which every reader takes as octal",
					  path, val, (unsigned)(strtoul(val, NULL, 10) & 01777),
					  val, val));
	}
}

static void check_unit_dir(struct host *h, const char *dir, bool mounts_only, char ***v, size_t *n)
{
	char **names = NULL;

	if (host_list(h, dir, &names, NULL, NULL) < 0)
		return;
	for (char **p = names; *p; p++) {
		AUTOFREE char *path = xasprintf("%s/%s", dir, *p);
		AUTOFREE char *text = NULL;
		size_t len = strlen(*p);

		if (mounts_only && (len < 7 || strcmp(*p + len - 6, ".mount") != 0 ||
				    strncmp(*p, "dev-hugepages", 13) != 0))
			continue;
		if (host_read(h, path, &text, NULL, NULL) >= 0)
			check_unit_text(path, text, v, n);
	}
	host_names_free(names);
}

size_t hugepages_mount_findings(struct host *h, const struct host_model *m, long gid, char ***ret)
{
	char **v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < m->nmounts; i++) {
		const struct hugetlbfs_mount *mt = &m->mounts[i];
		unsigned meant = mounts_mode_typo(mt->mode);

		if (meant) {
			char facts[400];

			mounts_mode_typo_facts(mt->mode, meant, facts, sizeof(facts));
			finding(&v, &n,
				xasprintf("'%s' is mounted with mode %s, not %o: %s; the units "
					  "written here say mode=0%o",
					  mt->path, mt->mode_text, meant, facts, meant));
		} else if ((mt->mode & 0070) != 0070 || mt->gid != gid)
			finding(&v, &n,
				xasprintf("'%s' has mode %s and gid %" PRId64
					  ": the QEMU group (gid %ld) cannot create its memory "
					  "files there",
					  mt->path, mt->mode_text, mt->gid, gid));
	}
	check_unit_dir(h, "/etc/systemd/system/dev-hugepages.mount.d", false, &v, &n);
	check_unit_dir(h, "/etc/systemd/system", true, &v, &n);
	*ret = v;
	return n;
}
