/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 'hugepages persist --verify' and check's persist-not-taken: persisted pools vs running pools. */
#include "core/hugepages-verify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/hugepages-cmdline.h"
#include "core/hugepages-persist.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Read an optional file: 1 read, 0 absent, -errno. */
static int read_opt(struct host *h, const char *path, char **ret, struct diag *d)
{
	int r = host_read(h, path, ret, NULL, d);

	if (r == -ENOENT) {
		diag_clear(d);
		return 0;
	}
	return r < 0 ? r : 1;
}

static struct hp_verify_item *item(struct hp_verify *v, int node, uint64_t size_kib)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].node == node && v->v[i].size_kib == size_kib)
			return &v->v[i];
	v->v = xreallocarray(v->v, v->n + 1, sizeof(*v->v));
	v->v[v->n] = (struct hp_verify_item){.node = node, .size_kib = size_kib, .running = -1};
	return &v->v[v->n++];
}

/* A later source (unit after command line after sysctl) sets the count at boot. */
static void persisted(struct hp_verify *v, int node, uint64_t size_kib, int64_t pages,
		      enum hp_verify_source src)
{
	struct hp_verify_item *it = item(v, node, size_kib);

	if (!it->sources || src > it->sources)
		it->persisted = pages;
	it->sources |= src;
}

static void from_sysctl(const char *text, const struct host_model *m, struct hp_verify *v)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		char buf[128];
		uint64_t n;

		(void)snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		if (sscanf(buf, " vm.nr_hugepages = %" SCNu64, &n) == 1 && n <= INT64_MAX &&
		    m->default_hugepage_kib)
			persisted(v, -1, m->default_hugepage_kib, (int64_t)n, HP_VERIFY_SYSCTL);
		line += len + (line[len] == '\n');
	}
}

/* The pools of one "ExecStart=... hugepages set SIZE=COUNT... [--node N] ..." line. */
static void from_exec_line(char *args, struct hp_verify *v)
{
	struct hp_request req = HP_REQUEST_INIT;
	char *save = NULL, *set = strstr(args, " hugepages set ");

	if (!set)
		return;
	for (char *tok = strtok_r(set + 15, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (strcmp(tok, "--node") == 0) {
			tok = strtok_r(NULL, " \t", &save);
			if (!tok || hp_request_set_nodes(&req, tok, NULL) < 0)
				break;
		} else if (strncmp(tok, "--", 2) != 0) {
			(void)hp_request_add(&req, tok, NULL);
		}
	}
	for (size_t i = 0; i < req.nasks; i++) {
		int64_t pages = req.asks[i].count_pages > INT64_MAX
					? INT64_MAX
					: (int64_t)req.asks[i].count_pages;

		if (!req.nnodes)
			persisted(v, -1, req.asks[i].size_kib, pages, HP_VERIFY_UNIT);
		for (size_t j = 0; j < req.nnodes; j++)
			persisted(v, req.nodes[j], req.asks[i].size_kib, pages, HP_VERIFY_UNIT);
	}
	hp_request_release(&req);
}

static void from_unit(char *text, struct hp_verify *v)
{
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strncmp(line, "ExecStart=", 10) == 0)
			from_exec_line(line + 10, v);
		line = nl ? nl + 1 : NULL;
	}
}

static void from_cmdline(const char *words, const struct host_model *m, struct hp_verify *v)
{
	struct hp_boot_pools p = {0};

	hp_cmdline_parse(words, m->default_hugepage_kib, &p);
	for (size_t i = 0; i < p.pools.n; i++)
		persisted(v, p.pools.v[i].node, p.pools.v[i].size_kib, p.pools.v[i].pages,
			  HP_VERIFY_CMDLINE);
	hp_boot_pools_release(&p);
}

/* Whether /proc/cmdline asks for the same pools as the drop-in's words. */
static bool booted_with(const char *proc, const char *words, const struct host_model *m)
{
	struct hp_boot_pools want = {0}, got = {0};
	bool same = true;

	hp_cmdline_parse(words, m->default_hugepage_kib, &want);
	hp_cmdline_parse(proc, m->default_hugepage_kib, &got);
	for (size_t i = 0; i < want.pools.n; i++)
		same = same && hp_boot_pools_get(&got, want.pools.v[i].node,
						 want.pools.v[i].size_kib) == want.pools.v[i].pages;
	hp_boot_pools_release(&want);
	hp_boot_pools_release(&got);
	return same;
}

/* The drop-in's hugepage words, and whether the running kernel was booted with them. */
static int load_cmdline(struct host *h, const struct host_model *m, struct hp_verify *v,
			struct diag *d)
{
	struct hp_grub g = {0};
	AUTOFREE char *proc = NULL;
	struct sbuf words = SBUF_INIT;
	int r;

	r = hp_grub_load(h, HP_GRUB_FILE, &g, d);
	if (r < 0)
		return r;
	hp_cmdline_hugepage_words(g.own_args, &words);
	if (host_exists(h, HP_GRUB_FILE))
		v->files |= HP_VERIFY_CMDLINE;
	(void)snprintf(v->cmdline_words, sizeof(v->cmdline_words), "%s", words.buf);
	from_cmdline(words.buf, m, v);
	if (words.len && host_read(h, "/proc/cmdline", &proc, NULL, NULL) >= 0)
		v->cmdline_not_booted = !booted_with(proc, words.buf, m);
	sbuf_release(&words);
	hp_grub_release(&g);
	return 0;
}

static int64_t running_pages(const struct host_model *m, int node, uint64_t size_kib)
{
	const struct numa_node *n = node >= 0 ? model_find_node(m, node) : NULL;
	const struct pool *p =
		node >= 0 ? (n ? node_find_pool(n, size_kib) : NULL) : model_find_pool(m, size_kib);

	return p ? p->total : -1;
}

/* Why one pool did not take: each source that sets it at boot, and what to look at. */
static void explain(const struct hp_verify *v, struct hp_verify_item *it)
{
	char ps[16], where[32], now[32];
	int n;

	format_pagesize(it->size_kib, ps, sizeof(ps));
	if (it->node >= 0)
		(void)snprintf(where, sizeof(where), "node %d %s", it->node, ps);
	else
		(void)snprintf(where, sizeof(where), "%s (host-wide)", ps);
	if (it->running >= 0)
		(void)snprintf(now, sizeof(now), "%" PRId64, it->running);
	else
		(void)snprintf(now, sizeof(now), "no such pool");
	n = snprintf(it->problem, sizeof(it->problem), "%s: %" PRId64 " pages persisted, %s now",
		     where, it->persisted, now);
	if (it->sources & HP_VERIFY_UNIT)
		n += snprintf(it->problem + n, sizeof(it->problem) - (size_t)n,
			      "; the unit kvmtune-hugepages.service sets it after boot: did it "
			      "run? ('systemctl status kvmtune-hugepages.service')");
	if ((it->sources & HP_VERIFY_CMDLINE) && v->cmdline_not_booted && n > 0 &&
	    (size_t)n < sizeof(it->problem))
		n += snprintf(it->problem + n, sizeof(it->problem) - (size_t)n,
			      "; the kernel command line '%s' is not on /proc/cmdline: run "
			      "update-grub and reboot",
			      v->cmdline_words);
	else if ((it->sources & HP_VERIFY_CMDLINE) && n > 0 && (size_t)n < sizeof(it->problem))
		n += snprintf(it->problem + n, sizeof(it->problem) - (size_t)n,
			      "; the boot parameter '%s' did not take: the kernel found too few "
			      "free blocks at boot (dmesg | grep HugeTLB), or the pool was shrunk "
			      "since",
			      v->cmdline_words);
	if ((it->sources & HP_VERIFY_SYSCTL) && n > 0 && (size_t)n < sizeof(it->problem))
		(void)snprintf(
			it->problem + n, sizeof(it->problem) - (size_t)n,
			"; vm.nr_hugepages in %s did not take: 'sysctl --system' applies it, "
			"'kvmtune hugepages set' grows the pool despite fragmentation",
			HP_SYSCTL_FILE);
}

int hugepages_persist_verify(struct host *h, const struct host_model *m, struct hp_verify *ret,
			     struct diag *d)
{
	struct hp_verify v = {0};
	AUTOFREE char *sysctl = NULL;
	AUTOFREE char *unit = NULL;
	int r;

	r = read_opt(h, HP_SYSCTL_FILE, &sysctl, d);
	if (r > 0) {
		v.files |= HP_VERIFY_SYSCTL;
		from_sysctl(sysctl, m, &v);
	}
	if (r >= 0)
		r = load_cmdline(h, m, &v, d);
	if (r >= 0)
		r = read_opt(h, HP_UNIT_FILE, &unit, d);
	if (r > 0) {
		v.files |= HP_VERIFY_UNIT;
		from_unit(unit, &v);
	}
	if (r < 0) {
		hp_verify_release(&v);
		return r;
	}
	for (size_t i = 0; i < v.n; i++) {
		struct hp_verify_item *it = &v.v[i];

		it->running = running_pages(m, it->node, it->size_kib);
		it->ok = it->running >= it->persisted;
		if (!it->ok)
			explain(&v, it);
	}
	*ret = v;
	return 0;
}

size_t hp_verify_failures(const struct hp_verify *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n; i++)
		n += !v->v[i].ok;
	return n;
}

void hp_verify_release(struct hp_verify *v)
{
	free(v->v);
	memset(v, 0, sizeof(*v));
}
