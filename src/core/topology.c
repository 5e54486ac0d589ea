/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU topology through hwloc.  hwloc takes its filesystem root only from the
 * HWLOC_FSROOT environment variable, so the variable is set around the load
 * and restored afterwards; nothing else in kvmtune reads it.
 */
#include "topology.h"

#include <hwloc.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#include "util/banned.h"

struct saved_env {
	const char *name;
	char *value; /* NULL when unset */
};

static void env_save_set(struct saved_env *s, const char *name, const char *value)
{
	const char *old = getenv(name);

	s->name = name;
	s->value = old ? xstrdup(old) : NULL;
	(void)setenv(name, value, 1);
}

static void env_restore(struct saved_env *s)
{
	if (s->value)
		(void)setenv(s->name, s->value, 1);
	else
		(void)unsetenv(s->name);
	free(s->value);
	s->value = NULL;
}

static int node_of_cpu(const struct host_model *m, int cpu)
{
	for (size_t i = 0; i < m->nnodes; i++)
		if (cpuset_isset(&m->nodes[i].cpus, (unsigned)cpu))
			return m->nodes[i].node;
	return -1;
}

static void fallback(struct host_model *m)
{
	int cpu;

	m->npus = 0;
	m->pus = xcalloc(cpuset_count(&m->cpus_online) + 1, sizeof(*m->pus));
	cpuset_foreach (cpu, &m->cpus_online) {
		m->pus[m->npus] = (struct pu){cpu, (int)m->npus, -1, node_of_cpu(m, cpu)};
		m->npus++;
	}
	m->cores = (unsigned)m->npus;
	m->packages = 0;
	m->threads_per_core = m->npus ? 1 : 0;
	m->topology_from_hwloc = false;
}

void topology_groups_free(struct cpu_group *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cpuset_release(&groups[i].cpus);
	free(groups);
}

/* Online CPUs of an hwloc object as a cpuset. */
static void obj_cpus(const struct host_model *m, hwloc_obj_t obj, struct cpuset *ret)
{
	int i;

	hwloc_bitmap_foreach_begin(i, obj->cpuset)
	{
		if (i <= CPUSET_MAX && cpuset_isset(&m->cpus_online, (unsigned)i))
			cpuset_set(ret, (unsigned)i);
	}
	hwloc_bitmap_foreach_end();
}

static void collect(hwloc_topology_t topo, const struct host_model *m, hwloc_obj_type_t type,
		    struct cpu_group **groups, size_t *n)
{
	int count = hwloc_get_nbobjs_by_type(topo, type);

	for (int i = 0; i < count; i++) {
		hwloc_obj_t obj = hwloc_get_obj_by_type(topo, type, (unsigned)i);
		struct cpu_group g = {0};

		if (hwloc_obj_type_is_cache(type)) {
			if (obj->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION)
				continue;
			g.level = obj->attr->cache.depth;
			g.size_kib = obj->attr->cache.size / 1024;
		}
		obj_cpus(m, obj, &g.cpus);
		if (cpuset_empty(&g.cpus)) {
			cpuset_release(&g.cpus);
			continue;
		}
		*groups = xreallocarray(*groups, *n + 1, sizeof(**groups));
		(*groups)[(*n)++] = g;
	}
}

static int ancestor_idx(hwloc_obj_t obj, hwloc_obj_type_t type)
{
	hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(NULL, type, obj);

	/* hwloc_get_ancestor_obj_by_type ignores its topology argument. */
	return a ? (int)a->logical_index : -1;
}

void topology_load(struct host *h, struct host_model *m)
{
	struct saved_env fsroot = {0}, comps = {0};
	hwloc_topology_t topo;
	int n, r;

	if (hwloc_topology_init(&topo) < 0) {
		fallback(m);
		return;
	}
	(void)hwloc_topology_set_flags(topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	(void)hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	if (!host_is_live(h)) {
		env_save_set(&fsroot, "HWLOC_FSROOT", host_root(h));
		/* The x86 backend would ask this machine's CPUID about a captured tree. */
		env_save_set(&comps, "HWLOC_COMPONENTS", "-x86");
	}
	r = hwloc_topology_load(topo);
	if (!host_is_live(h)) {
		env_restore(&fsroot);
		env_restore(&comps);
	}
	n = r < 0 ? 0 : hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	if (n <= 0) {
		hwloc_topology_destroy(topo);
		fallback(m);
		return;
	}
	m->pus = xcalloc((size_t)n, sizeof(*m->pus));
	m->npus = 0;
	for (int i = 0; i < n; i++) {
		hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
		int cpu = (int)pu->os_index;

		if (!cpuset_isset(&m->cpus_online, (unsigned)cpu))
			continue;
		m->pus[m->npus++] =
			(struct pu){cpu, ancestor_idx(pu, HWLOC_OBJ_CORE),
				    ancestor_idx(pu, HWLOC_OBJ_PACKAGE), node_of_cpu(m, cpu)};
	}
	m->packages = 0;
	m->cores = 0;
	m->threads_per_core = 0;
	{
		int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);

		for (int c = 0; c < ncores; c++) {
			hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)c);
			int w = hwloc_bitmap_weight(core->cpuset);

			if (w > 0 && (unsigned)w > m->threads_per_core)
				m->threads_per_core = (unsigned)w;
			m->cores++;
		}
		m->packages = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	}
	if (!m->cores) {
		m->cores = (unsigned)m->npus;
		m->threads_per_core = 1;
	}
	collect(topo, m, HWLOC_OBJ_PACKAGE, &m->package_groups, &m->npackage_groups);
	collect(topo, m, HWLOC_OBJ_CORE, &m->core_groups, &m->ncore_groups);
	/* The last-level cache is what placement cares about. */
	collect(topo, m, HWLOC_OBJ_L3CACHE, &m->cache_groups, &m->ncache_groups);
	if (!m->ncache_groups)
		collect(topo, m, HWLOC_OBJ_L2CACHE, &m->cache_groups, &m->ncache_groups);
	m->topology_from_hwloc = true;
	hwloc_topology_destroy(topo);
}
