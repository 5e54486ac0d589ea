/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON and text views of the host model, shared by status and other commands. */
#include "render.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/sbuf.h"

#include "util/banned.h"

const char *render_esc(const char *s, char *buf, size_t bufsz)
{
	AUTOFREE char *e = str_escape(s, bufsz);

	if (bufsz)
		(void)snprintf(buf, bufsz, "%s", e);
	return buf;
}

struct json_object *render_opt_int(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

struct json_object *render_opt_string(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

const char *render_count(int64_t v, char *buf, size_t n)
{
	if (v < 0)
		return "unknown";
	(void)snprintf(buf, n, "%" PRId64, v);
	return buf;
}

/* Every JSON document leaves through here: valid UTF-8, no C1 control or DEL raw. */
static void json_print(struct json_object *obj, int flags, FILE *out)
{
	AUTOFREE char *safe = str_json_safe(json_object_to_json_string_ext(obj, flags));

	fputs(safe, out);
	fputc('\n', out);
	json_object_put(obj);
}

void render_json_print(struct json_object *obj, FILE *out)
{
	json_print(obj,
		   JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE,
		   out);
}

void render_json_print_line(struct json_object *obj, FILE *out)
{
	json_print(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, out);
}

struct json_object *render_pool_json(const struct pool *p, int global)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "size_kb", json_object_new_int64((int64_t)p->size_kib));
	json_object_object_add(o, "total", render_opt_int(p->total));
	json_object_object_add(o, "free", render_opt_int(p->free));
	if (global)
		json_object_object_add(o, "reserved", render_opt_int(p->reserved));
	json_object_object_add(o, "surplus", render_opt_int(p->surplus));
	if (global)
		json_object_object_add(o, "overcommit", render_opt_int(p->overcommit));
	return o;
}

static struct json_object *knob_json(const struct knob_value *k)
{
	if (!k->present)
		return NULL;
	if (k->word[0])
		return json_object_new_string(k->word);
	return json_object_new_int64(k->number);
}

static struct json_object *node_json(const struct numa_node *n)
{
	struct json_object *o = json_object_new_object();
	struct json_object *dist = json_object_new_array();
	struct json_object *pools = json_object_new_array();
	AUTOFREE char *cpus = cpuset_to_list(&n->cpus);

	AUTOFREE char *offline = cpuset_to_list(&n->cpus_offline);

	json_object_object_add(o, "id", json_object_new_int(n->node));
	json_object_object_add(o, "cpus", json_object_new_string(cpus));
	json_object_object_add(o, "cpus_offline", json_object_new_string(offline));
	json_object_object_add(o, "mem_total_kb", render_opt_int(n->mem_total_kib));
	json_object_object_add(o, "mem_free_kb", render_opt_int(n->mem_free_kib));
	for (size_t i = 0; i < n->ndistances; i++)
		json_object_array_add(dist, render_opt_int(n->distances[i]));
	json_object_object_add(o, "distances", dist);
	for (size_t i = 0; i < n->npools; i++)
		json_object_array_add(pools, render_pool_json(&n->pools[i], 0));
	json_object_object_add(o, "hugepages", pools);
	return o;
}

/* Groups as cpulist strings, or for caches as {level, size_kb, cpus}. */
static struct json_object *groups_json(const struct cpu_group *g, size_t n, int caches)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		char *cpus = cpuset_to_list(&g[i].cpus);
		struct json_object *c;

		if (!caches) {
			json_object_array_add(a, json_object_new_string(cpus));
		} else {
			c = json_object_new_object();
			json_object_object_add(c, "level", json_object_new_int((int)g[i].level));
			json_object_object_add(c, "size_kb",
					       json_object_new_int64((int64_t)g[i].size_kib));
			json_object_object_add(c, "cpus", json_object_new_string(cpus));
			json_object_array_add(a, c);
		}
		free(cpus);
	}
	return a;
}

struct json_object *render_model_json(const struct host_model *m)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a, *t;
	AUTOFREE char *online = cpuset_to_list(&m->cpus_online);

	AUTOFREE char *nodeless = cpuset_to_list(&m->cpus_nodeless);

	json_object_object_add(o, "cpu_model", render_opt_string(m->cpu_model));
	json_object_object_add(o, "kernel_release", render_opt_string(m->kernel_release));
	json_object_object_add(o, "cpus_online", json_object_new_string(online));
	json_object_object_add(o, "cpus_nodeless", json_object_new_string(nodeless));
	t = json_object_new_object();
	json_object_object_add(t, "source",
			       json_object_new_string(m->topology_from_hwloc ? "hwloc" : "sysfs"));
	/* without hwloc only the PUs are known: one core each is an assumption */
	json_object_object_add(t, "packages",
			       m->topology_from_hwloc ? json_object_new_int((int)m->packages)
						      : NULL);
	json_object_object_add(t, "cores",
			       m->topology_from_hwloc ? json_object_new_int((int)m->cores) : NULL);
	json_object_object_add(t, "pus", json_object_new_int((int)m->npus));
	json_object_object_add(
		t, "threads_per_core",
		m->topology_from_hwloc ? json_object_new_int((int)m->threads_per_core) : NULL);
	json_object_object_add(t, "package_cpus",
			       groups_json(m->package_groups, m->npackage_groups, 0));
	json_object_object_add(t, "core_cpus", groups_json(m->core_groups, m->ncore_groups, 0));
	json_object_object_add(t, "llc", groups_json(m->cache_groups, m->ncache_groups, 1));
	json_object_object_add(o, "cpu_topology", t);
	a = json_object_new_array();
	for (size_t i = 0; i < m->ncpu_page_sizes; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)m->cpu_page_sizes_kib[i]));
	json_object_object_add(o, "cpu_page_sizes_kb", a);
	json_object_object_add(o, "default_hugepage_kb",
			       m->default_hugepage_kib
				       ? json_object_new_int64((int64_t)m->default_hugepage_kib)
				       : NULL);
	json_object_object_add(o, "mem_total_kb", render_opt_int(m->mem_total_kib));
	json_object_object_add(o, "mem_free_kb", render_opt_int(m->mem_free_kib));
	json_object_object_add(o, "mem_available_kb", render_opt_int(m->mem_available_kib));
	json_object_object_add(o, "swap_total_kb", render_opt_int(m->swap_total_kib));
	json_object_object_add(o, "numa_sysfs", json_object_new_boolean(m->numa_sysfs));
	a = json_object_new_array();
	for (size_t i = 0; i < m->nnodes; i++)
		json_object_array_add(a, node_json(&m->nodes[i]));
	json_object_object_add(o, "nodes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < m->npools; i++)
		json_object_array_add(a, render_pool_json(&m->pools[i], 1));
	json_object_object_add(o, "hugepages", a);
	t = json_object_new_object();
	json_object_object_add(t, "enabled", knob_json(&m->knobs[KNOB_THP_ENABLED]));
	json_object_object_add(t, "defrag", knob_json(&m->knobs[KNOB_THP_DEFRAG]));
	json_object_object_add(o, "thp", t);
	t = json_object_new_object();
	json_object_object_add(t, "run", knob_json(&m->knobs[KNOB_KSM_RUN]));
	json_object_object_add(t, "merge_across_nodes",
			       knob_json(&m->knobs[KNOB_KSM_MERGE_ACROSS_NODES]));
	json_object_object_add(t, "pages_shared", knob_json(&m->knobs[KNOB_KSM_PAGES_SHARED]));
	json_object_object_add(t, "pages_sharing", knob_json(&m->knobs[KNOB_KSM_PAGES_SHARING]));
	json_object_object_add(o, "ksm", t);
	json_object_object_add(o, "numa_balancing", knob_json(&m->knobs[KNOB_NUMA_BALANCING]));
	json_object_object_add(o, "hugetlb_shm_group",
			       knob_json(&m->knobs[KNOB_HUGETLB_SHM_GROUP]));
	json_object_object_add(o, "nr_overcommit_hugepages",
			       knob_json(&m->knobs[KNOB_NR_OVERCOMMIT_HUGEPAGES]));
	a = json_object_new_array();
	for (size_t i = 0; i < m->nmounts; i++) {
		const struct hugetlbfs_mount *mt = &m->mounts[i];

		t = json_object_new_object();
		json_object_object_add(t, "path", json_object_new_string(mt->path));
		json_object_object_add(
			t, "pagesize_kb",
			mt->pagesize_kib ? json_object_new_int64((int64_t)mt->pagesize_kib) : NULL);
		json_object_object_add(t, "mode", json_object_new_string(mt->mode_text));
		json_object_object_add(t, "uid", json_object_new_int64(mt->uid));
		json_object_object_add(t, "gid", json_object_new_int64(mt->gid));
		json_object_array_add(a, t);
	}
	json_object_object_add(o, "hugetlbfs_mounts", a);
	json_object_object_add(o, "numad_running", json_object_new_boolean(m->numad_pid > 0));
	return o;
}

static const char *size_or_unknown(int64_t kib, char *buf, unsigned n)
{
	if (kib < 0)
		return "unknown";
	return format_size_kib((uint64_t)kib, buf, n);
}

/* The distance matrix in node order; "-" where a row could not be matched. */
static void print_distances(const struct host_model *m, FILE *out)
{
	fprintf(out, "\ndistances:\n%6s", "node");
	for (size_t i = 0; i < m->nnodes; i++)
		fprintf(out, " %4d", m->nodes[i].node);
	fputc('\n', out);
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct numa_node *n = &m->nodes[i];

		fprintf(out, "%5d:", n->node);
		for (size_t j = 0; j < m->nnodes; j++) {
			if (j < n->ndistances && n->distances[j] >= 0)
				fprintf(out, " %4d", n->distances[j]);
			else
				fprintf(out, " %4s", "?");
		}
		fputc('\n', out);
	}
}

/* free/total(+surplus) of a node's pool; "?" for a counter the kernel did not give. */
static void pool_cell(const struct pool *p, char *buf, size_t n)
{
	char f[24], t[24], sp[24];

	if (!p) {
		(void)snprintf(buf, n, "-");
		return;
	}
	(void)snprintf(f, sizeof(f), "%" PRId64, p->free);
	(void)snprintf(t, sizeof(t), "%" PRId64, p->total);
	(void)snprintf(sp, sizeof(sp), "+%" PRId64, p->surplus);
	(void)snprintf(buf, n, "%s/%s%s", p->free < 0 ? "?" : f, p->total < 0 ? "?" : t,
		       p->surplus > 0	? sp
		       : p->surplus < 0 ? "+?"
					: "");
}

static void knob_text(const struct knob_value *k, char *buf, size_t n)
{
	if (!k->present)
		(void)snprintf(buf, n, "absent");
	else if (k->word[0]) {
		AUTOFREE char *word = str_escape(k->word, 64);

		(void)snprintf(buf, n, "%s", word);
	} else
		(void)snprintf(buf, n, "%" PRId64, k->number);
}

static void print_header(const struct host_model *m, FILE *out)
{
	char a[32], b[32], c[32];
	AUTOFREE char *online = cpuset_to_list(&m->cpus_online);

	fprintf(out, "cpu:      %s\n", m->cpu_model[0] ? m->cpu_model : "unknown model");
	fprintf(out, "cpus:     %u online (%s)", cpuset_count(&m->cpus_online),
		online[0] ? online : "unknown");
	if (m->topology_from_hwloc && m->ncache_groups)
		fprintf(out, ", %u package%s, %u cores, %u thread%s per core, %zu L%u cache%s",
			m->packages, m->packages == 1 ? "" : "s", m->cores, m->threads_per_core,
			m->threads_per_core == 1 ? "" : "s", m->ncache_groups,
			m->cache_groups[0].level, m->ncache_groups == 1 ? "" : "s");
	else if (m->topology_from_hwloc)
		fprintf(out, ", %u package%s, %u cores, %u thread%s per core, caches unknown",
			m->packages, m->packages == 1 ? "" : "s", m->cores, m->threads_per_core,
			m->threads_per_core == 1 ? "" : "s");
	else
		fprintf(out, ", packages and cores unknown (no CPU topology)");
	fputc('\n', out);
	if (!cpuset_empty(&m->cpus_nodeless)) {
		AUTOFREE char *nodeless = cpuset_to_list(&m->cpus_nodeless);

		fprintf(out, "          online CPUs %s belong to no node listed below\n", nodeless);
	}
	fprintf(out, "memory:   %s total, %s free, swap %s\n",
		size_or_unknown(m->mem_total_kib, a, sizeof(a)),
		size_or_unknown(m->mem_free_kib, b, sizeof(b)),
		m->swap_total_kib == 0 ? "none" : size_or_unknown(m->swap_total_kib, c, sizeof(c)));
	fprintf(out, "pages:    CPU supports");
	for (size_t i = 0; i < m->ncpu_page_sizes; i++)
		fprintf(out, " %s", format_pagesize(m->cpu_page_sizes_kib[i], a, sizeof(a)));
	if (!m->ncpu_page_sizes)
		fprintf(out, " no huge pages");
	fprintf(out, "; default hugepage %s\n",
		m->default_hugepage_kib ? format_pagesize(m->default_hugepage_kib, a, sizeof(a))
					: "unknown");
}

/*
 * One row per node; the CPU list comes last, so that a long one (hundreds of
 * CPUs, every other one on the node) runs on without shifting the columns.
 */
static void print_nodes(const struct host_model *m, FILE *out)
{
	char a[32], b[32], cell[80];
	bool unknown_pool = false;

	fprintf(out, "\nnodes:    %zu%s\n", m->nnodes,
		m->numa_sysfs ? "" : " (no NUMA in sysfs: one node assumed)");
	fprintf(out, "%-6s %11s %11s", "node", "memory", "free");
	for (size_t j = 0; j < m->npools; j++)
		fprintf(out, " %10s", format_pagesize(m->pools[j].size_kib, a, sizeof(a)));
	fprintf(out, "  cpus\n");
	for (size_t i = 0; i < m->nnodes; i++) {
		const struct numa_node *n = &m->nodes[i];
		AUTOFREE char *cpus = cpuset_to_list(&n->cpus);

		fprintf(out, "%-6d %11s %11s", n->node,
			size_or_unknown(n->mem_total_kib, a, sizeof(a)),
			size_or_unknown(n->mem_free_kib, b, sizeof(b)));
		for (size_t j = 0; j < m->npools; j++) {
			pool_cell(node_find_pool(n, m->pools[j].size_kib), cell, sizeof(cell));
			unknown_pool = unknown_pool || strchr(cell, '?');
			fprintf(out, " %10s", cell);
		}
		fprintf(out, "  %s", cpus[0] ? cpus : "(none)");
		if (!cpuset_empty(&n->cpus_offline)) {
			AUTOFREE char *offline = cpuset_to_list(&n->cpus_offline);

			fprintf(out, " (offline: %s)", offline);
		}
		fputc('\n', out);
	}
	if (m->npools)
		fprintf(out, "(pools per node as free/total pages, +surplus%s)\n",
			unknown_pool ? "; ? = not given by the kernel" : "");
	print_distances(m, out);
}

static void print_pools_and_knobs(const struct host_model *m, FILE *out)
{
	char a[32], b[32], t[24], f[24], sp[24], rv[24], oc[24];

	fprintf(out, "\nhugepages:\n");
	if (!m->npools)
		fprintf(out, "  no hugepage pools\n");
	for (size_t i = 0; i < m->npools; i++) {
		const struct pool *p = &m->pools[i];
		uint64_t pages = p->total > 0 ? (uint64_t)p->total : 0, kib = 0;

		(void)safe_mul_u64(pages, p->size_kib, &kib);
		fprintf(out, "  %-4s total %s (%s), free %s, surplus %s",
			format_pagesize(p->size_kib, a, sizeof(a)),
			render_count(p->total, t, sizeof(t)),
			p->total < 0 ? "unknown" : format_size_kib(kib, b, sizeof(b)),
			render_count(p->free, f, sizeof(f)),
			render_count(p->surplus, sp, sizeof(sp)));
		fprintf(out, ", reserved %s, overcommit %s\n",
			render_count(p->reserved, rv, sizeof(rv)),
			render_count(p->overcommit, oc, sizeof(oc)));
	}
	fprintf(out, "\nhugetlbfs mounts:\n");
	if (!m->nmounts)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < m->nmounts; i++) {
		const struct hugetlbfs_mount *mt = &m->mounts[i];
		AUTOFREE char *path = str_escape(mt->path, 4096);
		AUTOFREE char *mode = str_escape(mt->mode_text, 32);

		fprintf(out, "  %-24s pagesize %-4s mode %s uid %" PRId64 " gid %" PRId64 "\n",
			path, format_pagesize(mt->pagesize_kib, a, sizeof(a)), mode, mt->uid,
			mt->gid);
	}
	fprintf(out, "\nknobs:\n");
	for (size_t i = 0; i < KNOB_COUNT_; i++) {
		knob_text(&m->knobs[i], a, sizeof(a));
		fprintf(out, "  %-28s %s\n", knob_table[i].name, a);
	}
	fprintf(out, "  %-28s %s\n", "numad", m->numad_pid > 0 ? "running" : "not running");
}

void render_model_text(const struct host_model *m, FILE *out)
{
	print_header(m, out);
	print_nodes(m, out);
	print_pools_and_knobs(m, out);
}

void render_finding_tail(struct json_object *o, const struct finding *fd)
{
	struct json_object *ev = json_object_new_array();

	for (size_t j = 0; j < fd->nevidence; j++) {
		struct json_object *e = json_object_new_object();
		const struct evidence *x = &fd->evidence[j];

		json_object_object_add(e, "file",
				       x->file[0] ? json_object_new_string(x->file) : NULL);
		json_object_object_add(e, "value", json_object_new_string(x->value));
		json_object_array_add(ev, e);
	}
	json_object_object_add(o, "evidence", ev);
	json_object_object_add(o, "fix", fd->fix ? json_object_new_string(fd->fix) : NULL);
}

void render_evidence_text(const char *indent, const char *file, const char *value)
{
	AUTOFREE char *v = str_escape(value, 4096);

	if (file && file[0]) {
		AUTOFREE char *f = str_escape(file, 4096);

		printf("%sevidence: '%s': %s\n", indent, f, v);
	} else {
		printf("%sevidence: %s\n", indent, v);
	}
}
