/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-VM views of kvmtune stat: the --vms table, the JSON object and the
 * Prometheus text exposition (metric names in the kvmtune_ namespace, one
 * sample per VM and node).
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli/stat-render.h"
#include "core/model.h"
#include "core/procstat.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* "64 MiB 2M" style summary of the hugepage-backed memory. */
void stat_vm_huge_summary(const struct procstat_proc *p, struct sbuf *out)
{
	char size[16];

	for (size_t i = 0; i < p->usage.nhuge; i++) {
		uint64_t kib = 0;

		for (size_t n = 0; n < p->usage.nnodes; n++)
			kib += p->usage.huge[i].kib[n];
		if (!kib)
			continue;
		sbuf_addf(out, "%s%.0f%%@%s", out->len ? "," : "",
			  100.0 * (double)kib / (double)numamaps_usage_total_kib(&p->usage, -1),
			  format_pagesize(p->usage.huge[i].size_kib, size, sizeof(size)));
	}
	if (!out->len)
		sbuf_adds(out, "none");
}

/*
 * The explicit memory policies holding memory, largest first, as
 * "bind:1 interleave:0-1"; "default" when there is none, "?" when the
 * source (cgroup) does not tell.
 */
static void policy_summary(const struct procstat_proc *p, struct sbuf *out)
{
	bool done[NUMAMAPS_POLICY_COUNT_] = {0};

	if (p->source == PROCSTAT_SOURCE_CGROUP) {
		sbuf_adds(out, "?");
		return;
	}
	for (;;) {
		int best = -1;

		for (int k = NUMAMAPS_POLICY_LOCAL; k < NUMAMAPS_POLICY_COUNT_; k++)
			if (!done[k] && p->usage.policy_kib[k] &&
			    (best < 0 || p->usage.policy_kib[k] > p->usage.policy_kib[best]))
				best = k;
		if (best < 0)
			break;
		done[best] = true;
		if (out->len)
			sbuf_addc(out, ' ');
		sbuf_adds(out, numamaps_policy_name((enum numamaps_policy)best));
		if (!cpuset_empty(&p->usage.policy_nodes[best])) {
			sbuf_addc(out, ':');
			cpuset_format_list(&p->usage.policy_nodes[best], out);
		}
	}
	if (!out->len)
		sbuf_adds(out, "default");
}

void stat_vm_cpus_summary(const struct procstat_proc *p, struct sbuf *cpus)
{
	cpuset_format_list(&p->vcpu_cpus, cpus);
	if (!cpus->len)
		sbuf_adds(cpus, p->nvcpus ? "?" : "-");
	if (!cpuset_empty(&p->vcpu_nodes)) {
		sbuf_adds(cpus, " (N");
		cpuset_format_list(&p->vcpu_nodes, cpus);
		sbuf_addc(cpus, ')');
	}
}

static const char *vm_label(const struct procstat_proc *p)
{
	return p->vm_name ? p->vm_name : p->name;
}

enum {
	VMCOL_HUGE,
	VMCOL_POLICY,
	VMCOL_CPUS,
	VMCOL_LOCALITY,
	VMCOL_FLAGS,
	VMCOL_COUNT_
};

/* The text cells of one VM row after the per-node numbers. */
static void vm_cells(const struct host_model *m, const struct procstat_proc *p,
		     struct sbuf cells[VMCOL_COUNT_])
{
	struct sbuf *flags = &cells[VMCOL_FLAGS], *cpus = &cells[VMCOL_CPUS];
	double loc = procstat_locality(p);

	stat_vm_huge_summary(p, &cells[VMCOL_HUGE]);
	policy_summary(p, &cells[VMCOL_POLICY]);
	stat_vm_cpus_summary(p, cpus);
	if (loc >= 0)
		sbuf_addf(&cells[VMCOL_LOCALITY], "%.0f%%", 100.0 * loc);
	else
		sbuf_adds(&cells[VMCOL_LOCALITY], "-");
	for (unsigned f = 0; f < PROCSTAT_VM_FLAG_COUNT; f++)
		if (procstat_vm_flags(p) & (1u << f))
			sbuf_addf(flags, "%s%s", flags->len ? "," : "",
				  procstat_vm_flag_name(1u << f));
	if (!flags->len)
		sbuf_adds(flags, "-");
}

static void print_vm_row(const struct host_model *m, const struct procstat_proc *p, int namew,
			 struct sbuf *cells, const int *w, FILE *out)
{
	fprintf(out, "%-8d %-*s", p->pid, namew, vm_label(p));
	for (size_t k = 0; k < m->nnodes; k++)
		fprintf(out, " %10.2f",
			(double)numamaps_usage_node_kib(&p->usage, -1, m->nodes[k].node) / 1024.0);
	fprintf(out, " %10.2f", (double)numamaps_usage_total_kib(&p->usage, -1) / 1024.0);
	for (int c = 0; c < VMCOL_COUNT_; c++) {
		if (c == VMCOL_COUNT_ - 1)
			fprintf(out, "  %s\n", cells[c].buf);
		else
			fprintf(out, "  %-*s", w[c], cells[c].buf);
		sbuf_release(&cells[c]);
	}
}

void stat_print_vms(const struct stat_view *v, FILE *out)
{
	static const char *const heads[VMCOL_COUNT_] = {"Huge", "Policy", "vCPU CPUs", "Locality",
							"Flags"};
	const struct host_model *m = v->m;
	size_t n = v->ps->nprocs;
	struct sbuf *cells = xcalloc((n ? n : 1) * VMCOL_COUNT_, sizeof(*cells));
	int namew = 2, w[VMCOL_COUNT_];

	for (int c = 0; c < VMCOL_COUNT_; c++)
		w[c] = (int)strlen(heads[c]);
	for (size_t i = 0; i < n; i++) {
		int l = (int)strlen(vm_label(&v->ps->procs[i]));

		namew = l > namew ? l : namew;
		for (int c = 0; c < VMCOL_COUNT_; c++)
			sbuf_init(&cells[i * VMCOL_COUNT_ + c]);
		vm_cells(m, &v->ps->procs[i], &cells[i * VMCOL_COUNT_]);
		for (int c = 0; c < VMCOL_COUNT_; c++)
			if ((int)cells[i * VMCOL_COUNT_ + c].len > w[c])
				w[c] = (int)cells[i * VMCOL_COUNT_ + c].len;
	}
	fprintf(out, "%-8s %-*s", "PID", namew, "VM");
	for (size_t k = 0; k < m->nnodes; k++) {
		char h[16];

		snprintf(h, sizeof(h), "Node %d", m->nodes[k].node);
		fprintf(out, " %10s", h);
	}
	fprintf(out, " %10s", "Total MB");
	for (int c = 0; c < VMCOL_COUNT_; c++)
		if (c == VMCOL_COUNT_ - 1)
			fprintf(out, "  %s\n", heads[c]);
		else
			fprintf(out, "  %-*s", w[c], heads[c]);
	for (size_t i = 0; i < n; i++)
		print_vm_row(m, &v->ps->procs[i], namew, &cells[i * VMCOL_COUNT_], w, out);
	free(cells);
	if (!n)
		fprintf(out, "(no QEMU processes)\n");
}

static struct json_object *json_nodes_of(const struct cpuset *s)
{
	struct json_object *a = json_object_new_array();
	int n;

	cpuset_foreach (n, s)
		json_object_array_add(a, json_object_new_int(n));
	return a;
}

static struct json_object *json_proc_nodes(const struct host_model *m,
					   const struct procstat_proc *p)
{
	static const char *const keys[NUMAMAPS_CAT_COUNT_] = {"huge_kib", "heap_kib", "stack_kib",
							      "private_kib"};
	struct json_object *a = json_object_new_array();

	for (size_t n = 0; n < m->nnodes; n++) {
		struct json_object *o = json_object_new_object();
		int node = m->nodes[n].node;

		json_object_object_add(o, "node", json_object_new_int(node));
		for (int c = 0; c < NUMAMAPS_CAT_COUNT_; c++)
			json_object_object_add(
				o, keys[c],
				json_object_new_int64(
					(int64_t)numamaps_usage_node_kib(&p->usage, c, node)));
		json_object_object_add(o, "total_kib",
				       json_object_new_int64((int64_t)numamaps_usage_node_kib(
					       &p->usage, -1, node)));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *json_proc_huge(const struct procstat_proc *p)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->usage.nhuge; i++) {
		struct json_object *o = json_object_new_object(), *nodes = json_object_new_object();
		uint64_t total = 0;

		for (size_t n = 0; n < p->usage.nnodes; n++) {
			char key[16];

			if (!p->usage.huge[i].kib[n])
				continue;
			snprintf(key, sizeof(key), "%zu", n);
			json_object_object_add(
				nodes, key,
				json_object_new_int64((int64_t)p->usage.huge[i].kib[n]));
			total += p->usage.huge[i].kib[n];
		}
		json_object_object_add(o, "page_size_kib",
				       json_object_new_int64((int64_t)p->usage.huge[i].size_kib));
		json_object_object_add(o, "total_kib", json_object_new_int64((int64_t)total));
		json_object_object_add(o, "node_kib", nodes);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *json_proc_vm(const struct host_model *m, const struct procstat_proc *p)
{
	struct json_object *o = json_object_new_object(), *vcpus = json_object_new_array(),
			   *pol = json_object_new_object(), *flags = json_object_new_array();
	double loc = procstat_locality(p);

	for (size_t i = 0; i < p->nvcpus; i++) {
		struct json_object *c = json_object_new_object();

		json_object_object_add(c, "index", json_object_new_int(p->vcpus[i].index));
		json_object_object_add(c, "tid", json_object_new_int(p->vcpus[i].tid));
		json_object_object_add(c, "cpu",
				       p->vcpus[i].cpu >= 0 ? json_object_new_int(p->vcpus[i].cpu)
							    : NULL);
		json_object_object_add(c, "node",
				       p->vcpus[i].node >= 0 ? json_object_new_int(p->vcpus[i].node)
							     : NULL);
		json_object_array_add(vcpus, c);
	}
	for (int k = 0; k < NUMAMAPS_POLICY_COUNT_; k++) {
		struct json_object *x;

		if (!p->usage.policy_kib[k])
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "kib",
				       json_object_new_int64((int64_t)p->usage.policy_kib[k]));
		json_object_object_add(x, "nodes", json_nodes_of(&p->usage.policy_nodes[k]));
		json_object_object_add(pol, numamaps_policy_name((enum numamaps_policy)k), x);
	}
	for (unsigned f = 0; f < PROCSTAT_VM_FLAG_COUNT; f++)
		if (procstat_vm_flags(p) & (1u << f))
			json_object_array_add(
				flags, json_object_new_string(procstat_vm_flag_name(1u << f)));
	json_object_object_add(o, "vcpus", vcpus);
	json_object_object_add(o, "vcpu_cpus", json_nodes_of(&p->vcpu_cpus));
	json_object_object_add(o, "vcpu_nodes", json_nodes_of(&p->vcpu_nodes));
	/* by policy kind: memory under it and the nodes it names (none from cgroup) */
	json_object_object_add(o, "policies", pol);
	json_object_object_add(o, "locality", loc >= 0 ? json_object_new_double(loc) : NULL);
	json_object_object_add(o, "flags", flags);
	return o;
}

struct json_object *stat_proc_json(const struct host_model *m, const struct procstat_proc *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int(p->pid));
	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "qemu", json_object_new_boolean(p->qemu));
	json_object_object_add(o, "vm", p->vm_name ? json_object_new_string(p->vm_name) : NULL);
	json_object_object_add(o, "source",
			       json_object_new_string(p->source == PROCSTAT_SOURCE_CGROUP
							      ? "cgroup"
							      : "numa_maps"));
	json_object_object_add(o, "cgroup", p->cgroup ? json_object_new_string(p->cgroup) : NULL);
	json_object_object_add(o, "nodes", json_proc_nodes(m, p));
	json_object_object_add(
		o, "total_kib",
		json_object_new_int64((int64_t)numamaps_usage_total_kib(&p->usage, -1)));
	json_object_object_add(o, "hugepages", json_proc_huge(p));
	/* where its threads (QEMU: vCPU threads) last ran, and its memory's share there */
	json_object_object_add(o, "run_cpus", json_nodes_of(&p->vcpu_cpus));
	json_object_object_add(o, "run_nodes", json_nodes_of(&p->vcpu_nodes));
	json_object_object_add(
		o, "locality",
		procstat_locality(p) >= 0 ? json_object_new_double(procstat_locality(p)) : NULL);
	if (p->qemu)
		json_object_object_add(o, "vm_placement", json_proc_vm(m, p));
	return o;
}

struct json_object *stat_json(const struct stat_view *v)
{
	struct json_object *root = json_object_new_object(), *procs = json_object_new_array(),
			   *nodes = json_object_new_array();

	for (size_t n = 0; n < v->m->nnodes; n++)
		json_object_array_add(nodes, json_object_new_int(v->m->nodes[n].node));
	for (size_t i = 0; i < v->ps->nprocs; i++) {
		struct json_object *o = stat_proc_json(v->m, &v->ps->procs[i]);

		json_object_array_add(procs, o);
	}
	json_object_object_add(root, "nodes", nodes);
	json_object_object_add(root, "processes", procs);
	return root;
}

/* A label value with \, " and newline escaped as the exposition format asks. */
static void prom_escape(struct sbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			sbuf_addc(out, '\\');
		if (*s == '\n') {
			sbuf_adds(out, "\\n");
			continue;
		}
		sbuf_addc(out, *s);
	}
}

static void prom_head(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* KiB of huge mappings of page size size_kib on node (0 when none). */
static uint64_t huge_size_kib(const struct numamaps_usage *u, uint64_t size_kib, int node)
{
	for (size_t k = 0; k < u->nhuge; k++)
		if (u->huge[k].size_kib == size_kib)
			return node >= 0 && (size_t)node < u->nnodes ? u->huge[k].kib[node] : 0;
	return 0;
}

/*
 * One line per page size: the host's pool sizes, and any other size the
 * process maps (a mount of a size without a pool), in size order.
 */
static void print_huge_sizes(FILE *out, const struct host_model *m, const struct numamaps_usage *u,
			     const char *labels, int node)
{
	uint64_t last = 0;

	for (;;) {
		uint64_t next = UINT64_MAX;

		for (size_t p = 0; p < m->npools; p++)
			if (m->pools[p].size_kib > last && m->pools[p].size_kib < next)
				next = m->pools[p].size_kib;
		for (size_t k = 0; k < u->nhuge; k++)
			if (u->huge[k].size_kib > last && u->huge[k].size_kib < next)
				next = u->huge[k].size_kib;
		if (next == UINT64_MAX)
			return;
		fprintf(out,
			"kvmtune_vm_hugepage_memory_bytes{%s,node=\"%d\",page_size=\"%llu\"} "
			"%llu\n",
			labels, node, (unsigned long long)next * 1024ULL,
			(unsigned long long)huge_size_kib(u, next, node) * 1024ULL);
		last = next;
	}
}

void stat_print_prometheus(const struct stat_view *v, FILE *out)
{
	const struct host_model *m = v->m;
	struct sbuf *labels = xcalloc(v->ps->nprocs ? v->ps->nprocs : 1, sizeof(*labels));

	for (size_t i = 0; i < v->ps->nprocs; i++) {
		sbuf_init(&labels[i]);
		sbuf_adds(&labels[i], "vm=\"");
		prom_escape(&labels[i], vm_label(&v->ps->procs[i]));
		sbuf_addf(&labels[i], "\",pid=\"%d\"", v->ps->procs[i].pid);
	}
	prom_head(out, "kvmtune_vm_memory_bytes",
		  "Memory of a QEMU process resident on a NUMA node (numa_maps or cgroup).");
	for (size_t i = 0; i < v->ps->nprocs; i++)
		for (size_t n = 0; n < m->nnodes; n++)
			fprintf(out, "kvmtune_vm_memory_bytes{%s,node=\"%d\"} %llu\n",
				labels[i].buf, m->nodes[n].node,
				(unsigned long long)numamaps_usage_node_kib(&v->ps->procs[i].usage,
									    -1, m->nodes[n].node) *
					1024ULL);
	prom_head(out, "kvmtune_vm_hugepage_memory_bytes",
		  "Hugetlb-backed memory of a QEMU process on a NUMA node, per page size (bytes).");
	for (size_t i = 0; i < v->ps->nprocs; i++)
		for (size_t n = 0; n < m->nnodes; n++)
			print_huge_sizes(out, m, &v->ps->procs[i].usage, labels[i].buf,
					 m->nodes[n].node);
	prom_head(out, "kvmtune_vm_vcpus",
		  "vCPU threads of a QEMU process whose last CPU is on a NUMA node.");
	for (size_t i = 0; i < v->ps->nprocs; i++)
		for (size_t n = 0; n < m->nnodes; n++) {
			unsigned c = 0;

			for (size_t k = 0; k < v->ps->procs[i].nvcpus; k++)
				c += v->ps->procs[i].vcpus[k].node == m->nodes[n].node;
			fprintf(out, "kvmtune_vm_vcpus{%s,node=\"%d\"} %u\n", labels[i].buf,
				m->nodes[n].node, c);
		}
	prom_head(out, "kvmtune_vm_locality_ratio",
		  "Share of a VM's memory on the NUMA nodes its vCPUs last ran on (0..1).");
	for (size_t i = 0; i < v->ps->nprocs; i++) {
		double loc = procstat_locality(&v->ps->procs[i]);

		if (loc >= 0)
			fprintf(out, "kvmtune_vm_locality_ratio{%s} %.6g\n", labels[i].buf, loc);
	}
	for (size_t i = 0; i < v->ps->nprocs; i++)
		sbuf_release(&labels[i]);
	free(labels);
}
