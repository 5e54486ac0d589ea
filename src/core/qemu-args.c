/* SPDX-License-Identifier: GPL-2.0-or-later */
/* struct vm_spec + host model → QEMU memory arguments (libvirt's rules). */
#include "qemu-args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

static struct qprop *add_prop(struct qobject *o, const char *key, enum qprop_kind kind)
{
	struct qprop *p;

	o->props = xreallocarray(o->props, o->nprops + 1, sizeof(*o->props));
	p = &o->props[o->nprops++];
	memset(p, 0, sizeof(*p));
	p->key = key;
	p->kind = kind;
	return p;
}

static void prop_str(struct qobject *o, const char *key, const char *v)
{
	add_prop(o, key, QPROP_STR)->str = xstrdup(v);
}

static void prop_u64(struct qobject *o, const char *key, uint64_t v)
{
	add_prop(o, key, QPROP_U64)->u64 = v;
}

static void prop_bool(struct qobject *o, const char *key, bool v)
{
	add_prop(o, key, QPROP_BOOL)->b = v;
}

static void prop_list(struct qobject *o, const char *key, const struct cpuset *s)
{
	cpuset_copy(&add_prop(o, key, QPROP_LIST)->list, s);
}

static struct qobject *add_object(struct qemu_mem_args *a, const char *type, const char *id)
{
	struct qobject *o;

	a->objects = xreallocarray(a->objects, a->nobjects + 1, sizeof(*a->objects));
	o = &a->objects[a->nobjects++];
	memset(o, 0, sizeof(*o));
	o->qom_type = xstrdup(type);
	o->id = xstrdup(id);
	return o;
}

/* Append opt and its value (taken over; NULL for an option without one). */
static void add_arg(struct qemu_mem_args *a, const char *opt, char *value)
{
	a->argv = xreallocarray(a->argv, a->argc + 3, sizeof(*a->argv));
	a->argv[a->argc++] = xstrdup(opt);
	if (value)
		a->argv[a->argc++] = value;
	a->argv[a->argc] = NULL;
}

/* The page size of one backend: VM_PAGE_* resolved against the host. */
static int resolve_page(uint64_t page_kib, const struct host_model *m, const char *what,
			uint64_t *ret, struct diag *d)
{
	if (page_kib == VM_PAGE_HOST_DEFAULT) {
		if (!m->default_hugepage_kib)
			return diag_set(d, EINVAL, "hugepages",
					"%s: hugepages of the default size asked for, but the host "
					"has no default hugepage size",
					what);
		page_kib = m->default_hugepage_kib;
	}
	/* the base page size is the normal backend's own */
	*ret = page_kib == m->base_page_kib ? VM_PAGE_NORMAL : page_kib;
	return 0;
}

/* The host nodes and policy of one backend (cell NULL: the whole VM). */
static int resolve_nodes(const struct vm_spec *vm, const struct vm_cell *c,
			 const struct host_model *m, const char *what, struct qbackend *b,
			 struct diag *d)
{
	const struct cpuset *nodes = c && c->has_memnode ? &c->host_nodes : &vm->host_nodes;
	enum vm_policy policy = c && c->has_memnode ? c->policy : vm->policy;
	int node;

	b->policy = policy;
	if (policy == VM_POLICY_NONE)
		return 0;
	cpuset_foreach (node, nodes) {
		if (!model_find_node(m, node))
			return diag_set(d, EINVAL, "nodeset",
					"%s: NUMA node %d is unavailable on this host", what, node);
	}
	if (policy == VM_POLICY_RESTRICTIVE)
		return 0; /* cgroup cpuset.mems only: no host-nodes, no mbind() */
	if (!(c && c->has_memnode) && vm->placement == VM_PLACEMENT_AUTO) {
		/* no advisor to ask here: every host node with memory */
		for (size_t i = 0; i < m->nnodes; i++)
			if (m->nodes[i].mem_total_kib != 0)
				cpuset_set(&b->host_nodes, (unsigned)m->nodes[i].node);
		return 0;
	}
	cpuset_copy(&b->host_nodes, nodes);
	return 0;
}

static const char *backend_type(const struct vm_spec *vm, uint64_t page_kib, enum vm_tristate share)
{
	if (vm->source == VM_SOURCE_MEMFD)
		return "memory-backend-memfd";
	if (vm->source == VM_SOURCE_FILE || page_kib != VM_PAGE_NORMAL || share != VM_UNSET)
		return "memory-backend-file";
	return "memory-backend-ram";
}

static int backend_mem_path(const struct host_model *m, const struct qemu_args_opts *opts,
			    struct qbackend *b, const char *what, struct diag *d)
{
	const struct hugetlbfs_mount *mnt;
	char buf[32], buf2[32];

	if (b->page_kib == VM_PAGE_NORMAL) {
		b->mem_path = xstrdup(opts && opts->file_dir ? opts->file_dir : "/dev/shm");
		return 0;
	}
	if (opts && opts->hugetlbfs_dir) {
		for (size_t i = 0; i < m->nmounts; i++)
			if (strcmp(m->mounts[i].path, opts->hugetlbfs_dir) == 0) {
				mnt = &m->mounts[i];
				if (mnt->pagesize_kib != b->page_kib)
					return diag_set(
						d, EINVAL, "--hugetlbfs",
						"%s: '%s' is a hugetlbfs of %s pages, not %s", what,
						mnt->path,
						format_pagesize(mnt->pagesize_kib, buf,
								sizeof(buf)),
						format_pagesize(b->page_kib, buf2, sizeof(buf2)));
				b->mem_path = xstrdup(mnt->path);
				return 0;
			}
		return diag_set(d, EINVAL, "--hugetlbfs", "%s: '%s' is not a hugetlbfs mount", what,
				opts->hugetlbfs_dir);
	}
	mnt = model_find_mount(m, b->page_kib);
	if (!mnt)
		return diag_set(d, EINVAL, "hugepages",
				"%s: no hugetlbfs mount for %s pages on this host (mount one with "
				"pagesize=%s)",
				what, format_pagesize(b->page_kib, buf, sizeof(buf)), buf);
	/* a directory: QEMU creates an unlinked file in it for each backend */
	b->mem_path = xstrdup(mnt->path);
	return 0;
}

static void fill_object(struct qemu_mem_args *a, const struct vm_spec *vm, const struct vm_cell *c,
			const struct qbackend *b, enum vm_tristate share)
{
	enum vm_tristate discard = c && c->discard ? c->discard : vm->discard;
	/* qemuBuildThreadContextProps: prealloc on bound nodes, QEMU >= 7.2 */
	bool tc = b->prealloc && !cpuset_empty(&b->host_nodes) &&
		  a->caps.has[QEMU_CAP_THREAD_CONTEXT];
	AUTOFREE char *tc_id = xasprintf("tc-%s", b->id);
	struct qobject *o;

	if (tc)
		prop_list(add_object(a, "thread-context", tc_id), "node-affinity", &b->host_nodes);
	o = add_object(a, b->type, b->id);
	if (b->mem_path)
		prop_str(o, "mem-path", b->mem_path);
	if (strcmp(b->type, "memory-backend-memfd") == 0 && b->page_kib != VM_PAGE_NORMAL) {
		prop_bool(o, "hugetlb", true);
		prop_u64(o, "hugetlbsize", b->page_kib * 1024);
	}
	if (b->mem_path && discard != VM_UNSET)
		prop_bool(o, "discard-data", discard == VM_YES);
	if (share != VM_UNSET)
		prop_bool(o, "share", share == VM_YES);
	if (!c && strcmp(b->type, "memory-backend-ram") != 0)
		/* keep the RAMBlock id "pc.ram": migration-compatible with -mem-path */
		prop_bool(o, "x-use-canonical-path-for-ramblock-id", false);
	if (b->prealloc) {
		prop_bool(o, "prealloc", true);
		if (vm->prealloc_threads)
			prop_u64(o, "prealloc-threads", vm->prealloc_threads);
	}
	prop_u64(o, "size", b->size_kib * 1024);
	if (!cpuset_empty(&b->host_nodes)) {
		prop_list(o, "host-nodes", &b->host_nodes);
		prop_str(o, "policy", vm_policy_name(b->policy));
	}
	if (tc)
		prop_str(o, "prealloc-context", tc_id);
}

/*
 * The RAM of a VM without guest cells on a QEMU without -machine
 * memory-backend= (< 5.2): libvirt's qemuBuildMemPathStr, i.e. -mem-path for
 * file memory and -mem-prealloc, or QEMU's own RAM.  What those cannot carry
 * (a policy, sharing, discard, memfd) is refused rather than lost.
 */
static int legacy_backend(struct qemu_mem_args *a, const struct vm_spec *vm, struct qbackend *b,
			  enum vm_tristate share, struct diag *d)
{
	const char *lost = !cpuset_empty(&b->host_nodes)   ? "a NUMA policy (host-nodes)"
			   : share != VM_UNSET		   ? "shared/private access"
			   : vm->discard != VM_UNSET	   ? "discard"
			   : vm->source == VM_SOURCE_MEMFD ? "memfd memory"
							   : NULL;
	char v[32];

	if (lost)
		return diag_set(d, EDOM, "qemu version",
				"guest memory: QEMU %s has no -machine memory-backend= (libvirt "
				"uses it from QEMU 5.2, when query-machines reports "
				"default-ram-id), and -mem-path cannot carry %s; give the VM "
				"guest NUMA cells (--cells), or use QEMU 5.2 or later",
				qemu_version_format(&a->caps.version, v, sizeof(v)), lost);
	b->type = b->mem_path ? "mem-path" : "default";
	return 0;
}

static int build_backend(struct qemu_mem_args *a, const struct vm_spec *vm, const struct vm_cell *c,
			 const struct host_model *m, const struct qemu_args_opts *opts,
			 struct diag *d)
{
	enum vm_tristate share = c && c->share ? c->share : vm->share;
	struct qbackend *b;
	char what[48], buf[32];
	int r;

	if (c)
		(void)snprintf(what, sizeof(what), "guest cell %u", c->id);
	else
		(void)snprintf(what, sizeof(what), "guest memory");
	a->backends = xreallocarray(a->backends, a->nbackends + 1, sizeof(*a->backends));
	b = &a->backends[a->nbackends++];
	memset(b, 0, sizeof(*b));
	b->cell = c ? (int)c->id : -1;
	b->id = c ? xasprintf("ram-node%u", c->id) : xstrdup("pc.ram");
	b->size_kib = c ? c->mem_kib : vm->mem_kib;
	r = resolve_page(c ? c->page_kib : vm->page_kib, m, what, &b->page_kib, d);
	if (r < 0)
		return r;
	if (b->page_kib != VM_PAGE_NORMAL && !model_find_pool(m, b->page_kib))
		return diag_set(d, EINVAL, "hugepages",
				"%s: the host offers no %s hugepages (no hugepages-%llukB pool)",
				what, format_pagesize(b->page_kib, buf, sizeof(buf)),
				(unsigned long long)b->page_kib);
	b->type = backend_type(vm, b->page_kib, share);
	if (strcmp(b->type, "memory-backend-file") == 0) {
		r = backend_mem_path(m, opts, b, what, d);
		if (r < 0)
			return r;
	}
	/* QEMU would silently round the backend up to whole pages */
	if (b->page_kib != VM_PAGE_NORMAL && b->size_kib % b->page_kib)
		return diag_set(d, EINVAL, "memory",
				"%s: size %llu KiB is not a multiple of the page size %s", what,
				(unsigned long long)b->size_kib,
				format_pagesize(b->page_kib, buf, sizeof(buf)));
	b->prealloc = b->page_kib != VM_PAGE_NORMAL || vm->prealloc;
	r = resolve_nodes(vm, c, m, what, b, d);
	if (r < 0)
		return r;
	if (!c && !a->caps.has[QEMU_CAP_MACHINE_MEMORY_BACKEND])
		return legacy_backend(a, vm, b, share, d);
	fill_object(a, vm, c, b, share);
	return 0;
}

static char *numa_node_arg(const struct vm_cell *c)
{
	struct sbuf sb = SBUF_INIT;
	int cpu = cpuset_next(&c->cpus, 0);

	sbuf_addf(&sb, "node,nodeid=%u", c->id);
	/* a disjoint set needs one cpus= per range */
	while (cpu >= 0) {
		int last = cpu;

		while (cpuset_isset(&c->cpus, (unsigned)last + 1))
			last++;
		if (last == cpu)
			sbuf_addf(&sb, ",cpus=%d", cpu);
		else
			sbuf_addf(&sb, ",cpus=%d-%d", cpu, last);
		cpu = cpuset_next(&c->cpus, last + 1);
	}
	sbuf_addf(&sb, ",memdev=ram-node%u", c->id);
	return sbuf_detach(&sb, NULL);
}

/* Emit the arguments in libvirt's order: -machine, -m, -overcommit, objects, -numa. */
static void build_argv(struct qemu_mem_args *a, const struct vm_spec *vm)
{
	struct sbuf machine = SBUF_INIT;
	size_t obj = 0;

	if (vm->nosharepages)
		sbuf_adds(&machine, "mem-merge=off");
	if (!vm->ncells && a->caps.has[QEMU_CAP_MACHINE_MEMORY_BACKEND])
		sbuf_addf(&machine, "%smemory-backend=pc.ram", machine.len ? "," : "");
	if (machine.len)
		add_arg(a, "-machine", sbuf_detach(&machine, NULL));
	sbuf_release(&machine);
	sbuf_addf(&machine, "size=%lluk", (unsigned long long)a->mem_kib);
	if (a->max_mem_kib && a->slots)
		sbuf_addf(&machine, ",slots=%u", a->slots);
	if (a->max_mem_kib)
		sbuf_addf(&machine, ",maxmem=%lluk", (unsigned long long)a->max_mem_kib);
	add_arg(a, "-m", sbuf_detach(&machine, NULL));
	if (vm->locked)
		add_arg(a, "-overcommit", xstrdup("mem-lock=on"));
	if (!vm->ncells && a->nbackends == 1 && !a->nobjects) {
		/* legacy (QEMU < 5.2): libvirt's order, -mem-prealloc then -mem-path */
		if (a->backends[0].prealloc)
			add_arg(a, "-mem-prealloc", NULL);
		if (a->backends[0].mem_path)
			add_arg(a, "-mem-path", xstrdup(a->backends[0].mem_path));
	}
	for (size_t i = 0; i < a->nbackends; i++) {
		/* the backend's objects: an optional thread-context, then itself */
		for (; obj < a->nobjects; obj++) {
			add_arg(a, "-object",
				a->caps.has[QEMU_CAP_OBJECT_JSON]
					? qobject_to_json(&a->objects[obj])
					: qobject_to_keyval(&a->objects[obj]));
			if (strcmp(a->objects[obj].id, a->backends[i].id) == 0) {
				obj++;
				break;
			}
		}
		if (a->backends[i].cell >= 0)
			add_arg(a, "-numa", numa_node_arg(&vm->cells[a->backends[i].cell]));
	}
	for (size_t i = 0; i < vm->ncells; i++)
		for (size_t j = 0; j < vm->cells[i].ndistances; j++)
			if (vm->cells[i].distances[j])
				add_arg(a, "-numa",
					xasprintf("dist,src=%zu,dst=%zu,val=%u", i, j,
						  vm->cells[i].distances[j]));
}

int qemu_args_build(const struct vm_spec *vm, const struct host_model *m,
		    const struct qemu_args_opts *opts, struct qemu_mem_args *ret, struct diag *d)
{
	struct qemu_mem_args a = {0};
	int r = vm_spec_validate(vm, d);
	char v[32];

	if (r < 0)
		return r;
	if (opts && opts->caps)
		a.caps = *opts->caps;
	else
		qemu_caps_newest(&a.caps);
	if (vm->prealloc_threads && !a.caps.has[QEMU_CAP_PREALLOC_THREADS])
		return diag_set(d, EDOM, "--prealloc-threads",
				"QEMU %s has no prealloc-threads for memory backends (QEMU 5.0 "
				"and later; libvirt: QEMU_CAPS_MEMORY_BACKEND_PREALLOC_THREADS)",
				qemu_version_format(&a.caps.version, v, sizeof(v)));
	a.mem_kib = vm->mem_kib;
	a.max_mem_kib = vm->max_mem_kib;
	a.slots = vm->slots;
	if (!vm->ncells)
		r = build_backend(&a, vm, NULL, m, opts, d);
	for (size_t i = 0; i < vm->ncells && r >= 0; i++)
		r = build_backend(&a, vm, &vm->cells[i], m, opts, d);
	if (r < 0) {
		qemu_mem_args_release(&a);
		return r;
	}
	build_argv(&a, vm);
	*ret = a;
	return 0;
}

void qemu_mem_args_release(struct qemu_mem_args *a)
{
	for (size_t i = 0; i < a->nobjects; i++) {
		struct qobject *o = &a->objects[i];

		for (size_t j = 0; j < o->nprops; j++) {
			free(o->props[j].str);
			cpuset_release(&o->props[j].list);
		}
		free(o->props);
		free(o->qom_type);
		free(o->id);
	}
	free(a->objects);
	for (size_t i = 0; i < a->nbackends; i++) {
		free(a->backends[i].id);
		free(a->backends[i].mem_path);
		cpuset_release(&a->backends[i].host_nodes);
	}
	free(a->backends);
	for (size_t i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
	memset(a, 0, sizeof(*a));
}

static void json_string(struct sbuf *sb, const char *s)
{
	sbuf_addc(sb, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			sbuf_addf(sb, "\\%c", ch);
		else if (ch < 0x20)
			sbuf_addf(sb, "\\u%04x", ch);
		else
			sbuf_addc(sb, (char)ch);
	}
	sbuf_addc(sb, '"');
}

char *qobject_to_json(const struct qobject *o)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "{\"qom-type\":");
	json_string(&sb, o->qom_type);
	sbuf_adds(&sb, ",\"id\":");
	json_string(&sb, o->id);
	for (size_t i = 0; i < o->nprops; i++) {
		const struct qprop *p = &o->props[i];
		int n, first = 1;

		sbuf_addc(&sb, ',');
		json_string(&sb, p->key);
		sbuf_addc(&sb, ':');
		switch (p->kind) {
		case QPROP_STR:
			json_string(&sb, p->str);
			break;
		case QPROP_U64:
			sbuf_addf(&sb, "%llu", (unsigned long long)p->u64);
			break;
		case QPROP_BOOL:
			sbuf_adds(&sb, p->b ? "true" : "false");
			break;
		case QPROP_LIST:
			sbuf_addc(&sb, '[');
			cpuset_foreach (n, &p->list) {
				sbuf_addf(&sb, "%s%d", first ? "" : ",", n);
				first = 0;
			}
			sbuf_addc(&sb, ']');
			break;
		}
	}
	sbuf_addc(&sb, '}');
	return sbuf_detach(&sb, NULL);
}

/* A string value: commas doubled (QemuOpts' escape). */
static void keyval_string(struct sbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == ',')
			sbuf_addc(sb, ',');
		sbuf_addc(sb, *s);
	}
}

char *qobject_to_keyval(const struct qobject *o)
{
	struct sbuf sb = SBUF_INIT;

	keyval_string(&sb, o->qom_type);
	sbuf_adds(&sb, ",id=");
	keyval_string(&sb, o->id);
	for (size_t i = 0; i < o->nprops; i++) {
		const struct qprop *p = &o->props[i];
		int n;

		switch (p->kind) {
		case QPROP_STR:
			sbuf_addf(&sb, ",%s=", p->key);
			keyval_string(&sb, p->str);
			break;
		case QPROP_U64:
			sbuf_addf(&sb, ",%s=%llu", p->key, (unsigned long long)p->u64);
			break;
		case QPROP_BOOL:
			sbuf_addf(&sb, ",%s=%s", p->key, p->b ? "on" : "off");
			break;
		case QPROP_LIST:
			/* virQEMUBuildCommandLineJSONArrayBitmap: one key per range */
			n = cpuset_next(&p->list, 0);
			while (n >= 0) {
				int last = n;

				while (cpuset_isset(&p->list, (unsigned)last + 1))
					last++;
				if (last == n)
					sbuf_addf(&sb, ",%s=%d", p->key, n);
				else
					sbuf_addf(&sb, ",%s=%d-%d", p->key, n, last);
				n = cpuset_next(&p->list, last + 1);
			}
			break;
		}
	}
	return sbuf_detach(&sb, NULL);
}

/* True when ARG holds a control character (a terminal would act on it). */
static bool has_control(const char *arg)
{
	for (; *arg; arg++)
		if ((unsigned char)*arg < 0x20 || *arg == 0x7f)
			return true;
	return false;
}

/* $'...' (bash, ksh, zsh, POSIX 2024): control characters as \xHH. */
static char *ansi_c_quote(const char *arg)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "$'");
	for (; *arg; arg++) {
		unsigned char ch = (unsigned char)*arg;

		if (ch == '\'' || ch == '\\')
			sbuf_addf(&sb, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			sbuf_addf(&sb, "\\x%02x", ch);
		else
			sbuf_addc(&sb, (char)ch);
	}
	sbuf_addc(&sb, '\'');
	return sbuf_detach(&sb, NULL);
}

char *qemu_shell_quote(const char *arg)
{
	struct sbuf sb = SBUF_INIT;

	if (*arg && strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				"-_=,./:+@%") == strlen(arg))
		return xstrdup(arg);
	if (has_control(arg))
		return ansi_c_quote(arg);
	sbuf_addc(&sb, '\'');
	for (; *arg; arg++) {
		if (*arg == '\'')
			sbuf_adds(&sb, "'\\''");
		else
			sbuf_addc(&sb, *arg);
	}
	sbuf_addc(&sb, '\'');
	return sbuf_detach(&sb, NULL);
}
