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
 *
 * hwloc opens the files of a --root tree itself, not through the host seam:
 * it would follow a link out of the root, block on a FIFO or read a sparse
 * 100 GiB file to its end.  So a tree is vetted first (topology_tree_safe) and
 * hwloc is not used on one that fails; the model falls back to sysfs.
 */
#include "topology.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/host.h"
#include "core/model.h"
#include "core/userfile.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define HWLOC_SONAME "libhwloc.so.15"
/* The largest XML topology read (hwloc's exports of big machines are a few MiB). */
#define TOPOLOGY_XML_MAX_BYTES (64u << 20)

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
	X(hwloc_bitmap_next)                  \
	X(hwloc_topology_set_xmlbuffer)       \
	X(hwloc_distances_get_by_type)        \
	X(hwloc_distances_release)

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

/* Bounds of the walk that vets a --root tree before hwloc reads it. */
#define TOPOLOGY_VET_MAX_ENTRIES 500000u
#define TOPOLOGY_VET_MAX_DEPTH 48u

/*
 * Whether a relative symlink found in a directory `depth` levels below the
 * root stays inside it: only leading '..' components, no more of them than
 * depth.  Every link of the tree is vetted so, so a chain of them stays inside
 * too.  Absolute targets would resolve against this machine's '/'.
 */
static bool topology_link_inside(const char *target, unsigned depth)
{
	unsigned up = 0;
	bool leading = true;

	if (target[0] == '/')
		return false;
	for (const char *c = target; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (!leading || ++up > depth)
				return false;
		} else if (n > 0 && !(n == 1 && c[0] == '.')) {
			leading = false;
		}
		c += n;
		c += strspn(c, "/");
	}
	return true;
}

/* One entry of a directory under vetting; false when hwloc must not read the tree. */
static bool topology_entry_safe(int dfd, const char *name, unsigned depth, size_t *entries);

/* Vet every entry below the open directory dfd (taken over and closed). */
static bool topology_dir_safe(int dfd, unsigned depth, size_t *entries)
{
	DIR *dir = fdopendir(dfd);
	struct dirent *e;
	bool ok = true;

	if (!dir) {
		close(dfd);
		return false;
	}
	while (ok && (e = readdir(dir))) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ok = topology_entry_safe(dirfd(dir), e->d_name, depth, entries);
	}
	closedir(dir);
	return ok;
}

static bool topology_entry_safe(int dfd, const char *name, unsigned depth, size_t *entries)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (++*entries > TOPOLOGY_VET_MAX_ENTRIES)
		return false;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISREG(st.st_mode))
		return st.st_size <= (off_t)HOST_MAX_FILE_BYTES;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dfd, name, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target))
			return false;
		target[n] = '\0';
		return topology_link_inside(target, depth);
	}
	if (!S_ISDIR(st.st_mode) || depth + 1 > TOPOLOGY_VET_MAX_DEPTH)
		return false; /* a FIFO, a device, a socket; or absurdly deep */
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd >= 0 && topology_dir_safe(fd, depth + 1, entries);
}

/*
 * Whether hwloc may read the tree below root: no link out of it, no special
 * file, no file over HOST_MAX_FILE_BYTES, at most TOPOLOGY_VET_MAX_ENTRIES
 * entries and TOPOLOGY_VET_MAX_DEPTH levels.  (A tree changed between this
 * walk and hwloc's reads is not covered: the tree's owner is the attacker
 * here only when he can already write below --root.)
 */
static bool topology_tree_safe(const char *root)
{
	size_t entries = 0;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd >= 0 && topology_dir_safe(fd, 0, &entries);
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

/*
 * Whether the root has per-CPU topology files for hwloc to read.  Without
 * them hwloc's Linux backend gives up and its fallback counts the CPUs of the
 * machine kvmtune runs on, which would describe this machine, not the tree.
 */
static bool root_has_cpu_topology(struct host *h, const struct host_model *m)
{
	int cpu = cpuset_next(&m->cpus_online, -1);
	char path[96];

	if (cpu < 0)
		return false;
	(void)snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology", cpu);
	return host_exists(h, path);
}

/* Whether every online CPU of the model is a PU hwloc found (it read the same tree). */
static bool hwloc_matches(const struct hwloc_api *api, const struct host_model *m, unsigned npu)
{
	struct cpuset seen = CPUSET_INIT;
	bool ok;

	for (unsigned i = 0; i < npu; i++) {
		unsigned cpu = obj_at(api, HWLOC_OBJ_PU, i)->os_index;

		if (cpu <= CPUSET_MAX)
			cpuset_set(&seen, cpu);
	}
	ok = !cpuset_empty(&m->cpus_online) && cpuset_subset(&m->cpus_online, &seen);
	cpuset_release(&seen);
	return ok;
}

void topology_load(struct host *h, struct host_model *m)
{
	struct saved_env fsroot = {0}, comps = {0}, quiet = {0};
	struct hwloc_api api = {0};
	unsigned npu;
	int r;

	if ((!host_is_live(h) &&
	     (!root_has_cpu_topology(h, m) || !topology_tree_safe(host_root(h)))) ||
	    !hwloc_api_open(&api) || api.hwloc_topology_init(&api.topo) < 0) {
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
	/* core never prints: hwloc's own warnings would reach the user's terminal */
	env_save_set(&quiet, "HWLOC_HIDE_ERRORS", "1");
	r = api.hwloc_topology_load(api.topo);
	env_restore(&quiet);
	if (!host_is_live(h)) {
		env_restore(&fsroot);
		env_restore(&comps);
	}
	npu = r < 0 ? 0 : nb_objs(&api, HWLOC_OBJ_PU);
	if (npu == 0 || !hwloc_matches(&api, m, npu))
		fallback(m);
	else
		fill_model(&api, m, npu);
	api.hwloc_topology_destroy(api.topo);
}

/*
 * --- A host model from an hwloc XML export (no live host, no sysfs). ---
 * NUMA nodes sit at a virtual depth in hwloc 2; several nodes may share one
 * parent (DDR and MCDRAM, DRAM and CXL).  Linux gives each CPU exactly one
 * node, the one listing it in cpulist: here a PU belongs to the first node
 * (by OS number) without a subtype among those covering it, else to the
 * first of them; the others are CPU-less, as sysfs would show them.
 */

static unsigned numa_count(const struct hwloc_api *api)
{
	return api->hwloc_get_nbobjs_by_depth(api->topo, HWLOC_TYPE_DEPTH_NUMANODE);
}

static hwloc_obj_t numa_at(const struct hwloc_api *api, unsigned idx)
{
	return api->hwloc_get_obj_by_depth(api->topo, HWLOC_TYPE_DEPTH_NUMANODE, idx);
}

static bool obj_has_cpu(const struct hwloc_api *api, hwloc_obj_t obj, int cpu)
{
	for (int i = api->hwloc_bitmap_first(obj->cpuset); i >= 0 && i <= cpu;
	     i = api->hwloc_bitmap_next(obj->cpuset, i))
		if (i == cpu)
			return true;
	return false;
}

/* A NUMA node object, in an array sorted by OS number. */
struct numa_ref {
	hwloc_obj_t obj;
};

static int cmp_numa_obj(const void *a, const void *b)
{
	hwloc_obj_t x = ((const struct numa_ref *)a)->obj, y = ((const struct numa_ref *)b)->obj;

	return x->os_index < y->os_index ? -1 : x->os_index > y->os_index;
}

/* Pools from page_types (sizes above the base page); the XML has no free counts: all free. */
static void xml_node_pools(hwloc_obj_t obj, struct numa_node *n)
{
	const struct hwloc_numanode_attr_s *a = &obj->attr->numanode;

	n->pools = xcalloc(a->page_types_len + 1, sizeof(*n->pools));
	for (unsigned i = 0; i < a->page_types_len; i++) {
		uint64_t size_kib = a->page_types[i].size / 1024;
		int64_t count = a->page_types[i].count > (uint64_t)INT32_MAX
					? INT32_MAX
					: (int64_t)a->page_types[i].count;

		if (size_kib <= 4 || node_find_pool(n, size_kib))
			continue;
		n->pools[n->npools++] = (struct pool){size_kib, count, count, 0, -1, -1};
	}
}

static void xml_add_page_size(struct host_model *m, const struct pool *p)
{
	struct pool *gp = (struct pool *)model_find_pool(m, p->size_kib);
	size_t i;

	if (!gp) {
		m->pools = xreallocarray(m->pools, m->npools + 1, sizeof(*m->pools));
		gp = &m->pools[m->npools++];
		*gp = (struct pool){p->size_kib, 0, 0, 0, 0, 0};
		m->cpu_page_sizes_kib = xreallocarray(m->cpu_page_sizes_kib, m->ncpu_page_sizes + 1,
						      sizeof(uint64_t));
		for (i = m->ncpu_page_sizes; i > 0 && m->cpu_page_sizes_kib[i - 1] > p->size_kib;
		     i--)
			m->cpu_page_sizes_kib[i] = m->cpu_page_sizes_kib[i - 1];
		m->cpu_page_sizes_kib[i] = p->size_kib;
		m->ncpu_page_sizes++;
	}
	gp->total += p->total;
	gp->free += p->free;
}

/* The first NUMA distance matrix covering every node, in model order; else 10/20. */
static void xml_distances(const struct hwloc_api *api, const struct numa_ref *objs,
			  struct host_model *m)
{
	struct hwloc_distances_s *dist = NULL;
	unsigned nr = 1;
	int idx[1024];

	if (api->hwloc_distances_get_by_type(api->topo, HWLOC_OBJ_NUMANODE, &nr, &dist, 0, 0) < 0 ||
	    nr == 0 || dist->nbobjs != m->nnodes || m->nnodes > 1024) {
		if (nr && dist)
			api->hwloc_distances_release(api->topo, dist);
		dist = NULL;
	}
	for (size_t i = 0; dist && i < m->nnodes; i++) {
		idx[i] = -1;
		for (unsigned k = 0; k < dist->nbobjs; k++)
			if (dist->objs[k] == objs[i].obj)
				idx[i] = (int)k;
		if (idx[i] < 0) {
			api->hwloc_distances_release(api->topo, dist);
			dist = NULL;
		}
	}
	for (size_t i = 0; i < m->nnodes; i++) {
		struct numa_node *n = &m->nodes[i];

		n->distances = xcalloc(m->nnodes, sizeof(int));
		n->ndistances = m->nnodes;
		for (size_t j = 0; j < m->nnodes; j++) {
			uint64_t v =
				dist ? dist->values[(size_t)idx[i] * dist->nbobjs + (size_t)idx[j]]
				     : (i == j ? 10 : 20);

			n->distances[j] = v > 255 ? 255 : (int)v;
		}
	}
	if (dist)
		api->hwloc_distances_release(api->topo, dist);
}

/* Nodes, their CPUs, memory, pools and distances. */
static int xml_nodes(const struct hwloc_api *api, struct host_model *m, unsigned npu,
		     struct diag *d, const char *path)
{
	unsigned nn = numa_count(api);
	AUTOFREE struct numa_ref *objs = NULL;

	if (nn == 0 || npu == 0)
		return diag_set(d, EINVAL, path,
				"'%s': the topology has no NUMA node or no processing unit", path);
	objs = xcalloc(nn, sizeof(*objs));
	for (unsigned i = 0; i < nn; i++)
		objs[i].obj = numa_at(api, i);
	qsort(objs, nn, sizeof(*objs), cmp_numa_obj);
	m->nodes = xcalloc(nn, sizeof(*m->nodes));
	m->nnodes = nn;
	for (unsigned i = 0; i < nn; i++) {
		if (objs[i].obj->os_index > CPUSET_MAX ||
		    (i && objs[i].obj->os_index == objs[i - 1].obj->os_index))
			return diag_set(d, EINVAL, path,
					"'%s': bad or repeated NUMA node number %u", path,
					objs[i].obj->os_index);
		m->nodes[i].node = (int)objs[i].obj->os_index;
		m->nodes[i].mem_total_kib = m->nodes[i].mem_free_kib =
			(int64_t)(objs[i].obj->attr->numanode.local_memory / 1024 >
						  (uint64_t)INT64_MAX / 4
					  ? (uint64_t)INT64_MAX / 4
					  : objs[i].obj->attr->numanode.local_memory / 1024);
		xml_node_pools(objs[i].obj, &m->nodes[i]);
	}
	for (unsigned p = 0; p < npu; p++) {
		int cpu = (int)obj_at(api, HWLOC_OBJ_PU, p)->os_index;
		int owner = -1;

		if (cpu > CPUSET_MAX)
			continue;
		cpuset_set(&m->cpus_online, (unsigned)cpu);
		for (unsigned i = 0; i < nn; i++)
			if (obj_has_cpu(api, objs[i].obj, cpu) &&
			    (owner < 0 || (objs[owner].obj->subtype && !objs[i].obj->subtype)))
				owner = (int)i;
		if (owner >= 0)
			cpuset_set(&m->nodes[owner].cpus, (unsigned)cpu);
	}
	xml_distances(api, objs, m);
	return 0;
}

/*
 * Load xml in a child first: hwloc 2.x crashes (SIGSEGV in
 * hwloc_bitmap_compare_first) on some malformed topologies, and a crafted
 * file must end in a refusal, not a crash.  The child has 20 s, its stderr
 * is closed.  Returns 0 (it loaded, or it failed cleanly and the real
 * load will say so), or -EINVAL when it died.
 */
static int xml_probe(const char *xml, size_t len, const char *path, struct diag *d)
{
	int status = 0;
	pid_t pid;

	(void)fflush(NULL);
	pid = fork();
	if (pid < 0)
		return diag_set(d, errno, path, "'%s': fork to test-load it: %s", path,
				strerror(errno));
	if (pid == 0) {
		struct hwloc_api api = {0};
		int r = -1;

		(void)close(STDERR_FILENO); /* hwloc's complaints are not the user's */
		(void)alarm(20);
		if (hwloc_api_open(&api) && api.hwloc_topology_init(&api.topo) == 0) {
			(void)api.hwloc_topology_set_io_types_filter(api.topo,
								     HWLOC_TYPE_FILTER_KEEP_NONE);
			r = api.hwloc_topology_set_xmlbuffer(api.topo, xml, (int)len + 1);
			if (r >= 0)
				r = api.hwloc_topology_load(api.topo);
		}
		_exit(r < 0 ? 3 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return diag_set(d, errno, path, "'%s': waiting for the test load: %s", path,
					strerror(errno));
	/* 0 loaded, 3 refused cleanly; a signal or any other end (a sanitizer's) is a crash */
	if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3))
		return diag_set(d, EINVAL, path,
				"'%s': hwloc cannot read it as an XML topology (it crashed on it)",
				path);
	return 0;
}

int topology_load_xml(const char *path, struct host_model *ret, struct diag *d)
{
	struct hwloc_api api = {0};
	struct host_model m = {0};
	AUTOFREE char *xml = NULL;
	size_t len = 0;
	int r;

	/* read it ourselves: a regular file of bounded size (no FIFO, no device) */
	r = userfile_read(path, TOPOLOGY_XML_MAX_BYTES, &xml, &len, d);
	if (r < 0)
		return r;
	r = xml_probe(xml, len, path, d);
	if (r < 0)
		return r;
	if (!hwloc_api_open(&api) || api.hwloc_topology_init(&api.topo) < 0)
		return diag_set(d, ELIBACC, HWLOC_SONAME,
				"cannot load %s to read '%s' (install hwloc)", HWLOC_SONAME, path);
	(void)api.hwloc_topology_set_io_types_filter(api.topo, HWLOC_TYPE_FILTER_KEEP_NONE);
	r = api.hwloc_topology_set_xmlbuffer(api.topo, xml, (int)len + 1);
	if (r >= 0)
		r = api.hwloc_topology_load(api.topo);
	if (r < 0) {
		api.hwloc_topology_destroy(api.topo);
		return diag_set(d, EINVAL, path, "'%s': hwloc cannot read it as an XML topology",
				path);
	}
	r = xml_nodes(&api, &m, nb_objs(&api, HWLOC_OBJ_PU), d, path);
	if (r >= 0) {
		cpuset_copy(&m.cpus_possible, &m.cpus_online);
		m.numa_sysfs = true;
		m.mem_total_kib = m.mem_free_kib = m.mem_available_kib = 0;
		m.swap_total_kib = -1;
		for (size_t i = 0; i < m.nnodes; i++) {
			m.mem_total_kib += m.nodes[i].mem_total_kib;
			for (size_t j = 0; j < m.nodes[i].npools; j++)
				xml_add_page_size(&m, &m.nodes[i].pools[j]);
		}
		m.mem_free_kib = m.mem_available_kib = m.mem_total_kib;
		m.default_hugepage_kib = model_find_pool(&m, 2048) ? 2048
					 : m.npools		   ? m.pools[0].size_kib
								   : 0;
		(void)snprintf(m.cpu_model, sizeof(m.cpu_model), "hwloc XML topology");
		fill_model(&api, &m, nb_objs(&api, HWLOC_OBJ_PU));
	}
	api.hwloc_topology_destroy(api.topo);
	if (r < 0) {
		host_model_release(&m);
		return r;
	}
	*ret = m;
	return 0;
}
