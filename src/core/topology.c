/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPU topology through hwloc.  hwloc takes its filesystem root only from the
 * HWLOC_FSROOT environment variable, so the variable is set around the load
 * and restored afterwards; nothing else in kvmtune reads it.
 *
 * libhwloc (and the libudev it brings) is opened with dlopen() only when a
 * command asks for the topology: commands such as 'stat' that do not need it
 * then start as fast as numastat.  Only hwloc's exported functions are
 * called, through the table below; its inline helpers would bind to the
 * library at link time and are avoided on purpose.
 */
#include "topology.h"

#include <dlfcn.h>
#include <hwloc.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define HWLOC_SONAME "libhwloc.so.15"

#define HWLOC_FUNCTIONS(X)                    \
	X(hwloc_topology_init)                \
	X(hwloc_topology_set_flags)           \
	X(hwloc_topology_set_io_types_filter) \
	X(hwloc_topology_load)                \
	X(hwloc_topology_destroy)             \
	X(hwloc_get_type_depth)               \
	X(hwloc_get_nbobjs_by_depth)          \
	X(hwloc_get_obj_by_depth)             \
	X(hwloc_bitmap_weight)                \
	X(hwloc_bitmap_first)                 \
	X(hwloc_bitmap_next)

/* NOLINTNEXTLINE(bugprone-macro-parentheses): name is a declarator, not an expression */
#define HWLOC_MEMBER(name) __typeof__(name) *name;
struct hwloc_api {
	HWLOC_FUNCTIONS(HWLOC_MEMBER)
	hwloc_topology_t topo;
};
#undef HWLOC_MEMBER

static bool hwloc_api_open(struct hwloc_api *api)
{
	void *lib = dlopen(HWLOC_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return false;
#define HWLOC_RESOLVE(name)                       \
	*(void **)&api->name = dlsym(lib, #name); \
	if (!api->name)                           \
		return false;
	HWLOC_FUNCTIONS(HWLOC_RESOLVE)
#undef HWLOC_RESOLVE
	/* The library stays loaded: hwloc keeps no state we could leak. */
	return true;
}

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

/* Objects of one type: 0 when the type is absent or spread over several depths. */
static unsigned nb_objs(const struct hwloc_api *api, hwloc_obj_type_t type)
{
	int depth = api->hwloc_get_type_depth(api->topo, type);
	int n;

	if (depth < 0)
		return 0;
	n = (int)api->hwloc_get_nbobjs_by_depth(api->topo, depth);
	return n > 0 ? (unsigned)n : 0;
}

static hwloc_obj_t obj_at(const struct hwloc_api *api, hwloc_obj_type_t type, unsigned idx)
{
	return api->hwloc_get_obj_by_depth(api->topo, api->hwloc_get_type_depth(api->topo, type),
					   idx);
}

static int ancestor_idx(hwloc_obj_t obj, hwloc_obj_type_t type)
{
	for (hwloc_obj_t a = obj->parent; a; a = a->parent)
		if (a->type == type)
			return (int)a->logical_index;
	return -1;
}

/* Online CPUs of an hwloc object as a cpuset. */
static void obj_cpus(const struct hwloc_api *api, const struct host_model *m, hwloc_obj_t obj,
		     struct cpuset *ret)
{
	for (int i = api->hwloc_bitmap_first(obj->cpuset); i >= 0 && i <= CPUSET_MAX;
	     i = api->hwloc_bitmap_next(obj->cpuset, i))
		if (cpuset_isset(&m->cpus_online, (unsigned)i))
			cpuset_set(ret, (unsigned)i);
}

static void collect(const struct hwloc_api *api, const struct host_model *m, hwloc_obj_type_t type,
		    struct cpu_group **groups, size_t *n)
{
	unsigned count = nb_objs(api, type);
	bool cache = type >= HWLOC_OBJ_L1CACHE && type <= HWLOC_OBJ_L3ICACHE;

	for (unsigned i = 0; i < count; i++) {
		hwloc_obj_t obj = obj_at(api, type, i);
		struct cpu_group g = {0};

		if (cache) {
			if (obj->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION)
				continue;
			g.level = obj->attr->cache.depth;
			g.size_kib = obj->attr->cache.size / 1024;
		}
		obj_cpus(api, m, obj, &g.cpus);
		if (cpuset_empty(&g.cpus)) {
			cpuset_release(&g.cpus);
			continue;
		}
		*groups = xreallocarray(*groups, *n + 1, sizeof(**groups));
		(*groups)[(*n)++] = g;
	}
}

static void fill_model(const struct hwloc_api *api, struct host_model *m, unsigned npu)
{
	unsigned ncores = nb_objs(api, HWLOC_OBJ_CORE);

	m->pus = xcalloc(npu, sizeof(*m->pus));
	m->npus = 0;
	for (unsigned i = 0; i < npu; i++) {
		hwloc_obj_t pu = obj_at(api, HWLOC_OBJ_PU, i);
		int cpu = (int)pu->os_index;

		if (!cpuset_isset(&m->cpus_online, (unsigned)cpu))
			continue;
		m->pus[m->npus++] =
			(struct pu){cpu, ancestor_idx(pu, HWLOC_OBJ_CORE),
				    ancestor_idx(pu, HWLOC_OBJ_PACKAGE), node_of_cpu(m, cpu)};
	}
	m->cores = 0;
	m->threads_per_core = 0;
	for (unsigned c = 0; c < ncores; c++) {
		int w = api->hwloc_bitmap_weight(obj_at(api, HWLOC_OBJ_CORE, c)->cpuset);

		if (w > 0 && (unsigned)w > m->threads_per_core)
			m->threads_per_core = (unsigned)w;
		m->cores++;
	}
	m->packages = nb_objs(api, HWLOC_OBJ_PACKAGE);
	if (!m->cores) {
		m->cores = (unsigned)m->npus;
		m->threads_per_core = 1;
	}
	collect(api, m, HWLOC_OBJ_PACKAGE, &m->package_groups, &m->npackage_groups);
	collect(api, m, HWLOC_OBJ_CORE, &m->core_groups, &m->ncore_groups);
	/* The last-level cache is what placement cares about. */
	collect(api, m, HWLOC_OBJ_L3CACHE, &m->cache_groups, &m->ncache_groups);
	if (!m->ncache_groups)
		collect(api, m, HWLOC_OBJ_L2CACHE, &m->cache_groups, &m->ncache_groups);
	m->topology_from_hwloc = true;
}

void topology_load(struct host *h, struct host_model *m)
{
	struct saved_env fsroot = {0}, comps = {0};
	struct hwloc_api api = {0};
	unsigned npu;
	int r;

	if (!hwloc_api_open(&api) || api.hwloc_topology_init(&api.topo) < 0) {
		fallback(m);
		return;
	}
	(void)api.hwloc_topology_set_flags(api.topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	(void)api.hwloc_topology_set_io_types_filter(api.topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	if (!host_is_live(h)) {
		env_save_set(&fsroot, "HWLOC_FSROOT", host_root(h));
		/* The x86 backend would ask this machine's CPUID about a captured tree. */
		env_save_set(&comps, "HWLOC_COMPONENTS", "-x86");
	}
	r = api.hwloc_topology_load(api.topo);
	if (!host_is_live(h)) {
		env_restore(&fsroot);
		env_restore(&comps);
	}
	npu = r < 0 ? 0 : nb_objs(&api, HWLOC_OBJ_PU);
	if (npu == 0)
		fallback(m);
	else
		fill_model(&api, m, npu);
	api.hwloc_topology_destroy(api.topo);
}
