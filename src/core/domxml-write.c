/* SPDX-License-Identifier: GPL-2.0-or-later */
/* struct vm_spec → libvirt XML fragments, and their merge into a domain file. */
#include "domxml-write.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xmlapi.h"

#include "core/cpuset.h"
#include "core/domxml.h"
#include "core/journal.h"
#include "core/model.h"
#include "core/userfile.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* A child element on its own line, indented two spaces per level. */
static xmlNode *add_elem(xmlNode *parent, const char *name, int depth)
{
	char indent[64];
	int n = 1 + 2 * depth;

	(void)snprintf(indent, sizeof(indent), "\n%*s", n - 1, "");
	xmlAddChild(parent, xmlNewText((const xmlChar *)indent));
	return xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
}

/* Close a parent that got children: the closing tag on its own line. */
static void close_elem(xmlNode *parent, int depth)
{
	char indent[64];

	(void)snprintf(indent, sizeof(indent), "\n%*s", 2 * depth, "");
	xmlAddChild(parent, xmlNewText((const xmlChar *)indent));
}

static void set_attr(xmlNode *n, const char *name, const char *value)
{
	xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

static void set_attr_u64(xmlNode *n, const char *name, uint64_t v)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	set_attr(n, name, buf);
}

static void set_attr_set(xmlNode *n, const char *name, const struct cpuset *s)
{
	AUTOFREE char *list = cpuset_to_list(s);

	set_attr(n, name, list);
}

static int resolve(uint64_t page, const struct host_model *m, uint64_t *ret, struct diag *d)
{
	if (page == VM_PAGE_HOST_DEFAULT) {
		if (!m || !m->default_hugepage_kib)
			return diag_set(d, EINVAL, "hugepages",
					"hugepages of the default size asked for, but the host has "
					"no default hugepage size");
		page = m->default_hugepage_kib;
	}
	*ret = page;
	return 0;
}

/* <hugepages>: one <page> for the VM, or one per page size with the cells using it. */
static int build_hugepages(xmlNode *mb, const struct vm_spec *vm, const struct host_model *m,
			   int depth, struct diag *d)
{
	xmlNode *hp = NULL;
	uint64_t pages[16];
	size_t npages = 0;
	int r;

	if (!vm->ncells) {
		uint64_t page = 0;

		if (vm->page_kib == VM_PAGE_NORMAL)
			return 0;
		if ((r = resolve(vm->page_kib, m, &page, d)) < 0)
			return r;
		hp = add_elem(mb, "hugepages", depth);
		xmlNode *p = add_elem(hp, "page", depth + 1);
		set_attr_u64(p, "size", page);
		set_attr(p, "unit", "KiB");
		close_elem(hp, depth);
		return 0;
	}
	for (size_t i = 0; i < vm->ncells; i++) {
		uint64_t page = 0;
		size_t k;

		if (vm->cells[i].page_kib == VM_PAGE_NORMAL)
			continue;
		if ((r = resolve(vm->cells[i].page_kib, m, &page, d)) < 0)
			return r;
		for (k = 0; k < npages && pages[k] != page; k++)
			;
		if (k == npages && npages < sizeof(pages) / sizeof(pages[0]))
			pages[npages++] = page;
	}
	if (!npages)
		return 0;
	hp = add_elem(mb, "hugepages", depth);
	for (size_t k = 0; k < npages; k++) {
		struct cpuset cells = CPUSET_INIT;
		xmlNode *p = add_elem(hp, "page", depth + 1);

		for (size_t i = 0; i < vm->ncells; i++) {
			uint64_t page = 0;

			if (vm->cells[i].page_kib != VM_PAGE_NORMAL &&
			    resolve(vm->cells[i].page_kib, m, &page, NULL) == 0 && page == pages[k])
				cpuset_set(&cells, vm->cells[i].id);
		}
		set_attr_u64(p, "size", pages[k]);
		set_attr(p, "unit", "KiB");
		set_attr_set(p, "nodeset", &cells);
		cpuset_release(&cells);
	}
	close_elem(hp, depth);
	return 0;
}

static void drop(xmlNode *n);

static int build_memory_backing(xmlNode *parent, const struct vm_spec *vm,
				const struct host_model *m, int depth, struct diag *d)
{
	xmlNode *mb = add_elem(parent, "memoryBacking", depth);
	xmlNode *n;
	int r = build_hugepages(mb, vm, m, depth + 1, d);

	if (r < 0)
		return r;
	if (vm->nosharepages)
		add_elem(mb, "nosharepages", depth + 1);
	if (vm->locked)
		add_elem(mb, "locked", depth + 1);
	if (vm->source != VM_SOURCE_DEFAULT)
		set_attr(add_elem(mb, "source", depth + 1), "type",
			 vm->source == VM_SOURCE_RAM ? "anonymous" : vm_source_name(vm->source));
	if (vm->share != VM_UNSET)
		set_attr(add_elem(mb, "access", depth + 1), "mode",
			 vm->share == VM_YES ? "shared" : "private");
	if (vm->prealloc) {
		n = add_elem(mb, "allocation", depth + 1);
		set_attr(n, "mode", "immediate");
		if (vm->prealloc_threads)
			set_attr_u64(n, "threads", vm->prealloc_threads);
	}
	if (vm->discard == VM_YES)
		add_elem(mb, "discard", depth + 1);
	for (n = mb->children; n && n->type != XML_ELEMENT_NODE; n = n->next)
		;
	if (!n) {
		/* nothing to say: no empty <memoryBacking/> (and its indentation) */
		drop(mb);
		return 0;
	}
	close_elem(mb, depth);
	return 0;
}

static void build_numatune(xmlNode *parent, const struct vm_spec *vm, int depth)
{
	bool memnodes = false;
	xmlNode *nt, *n;

	for (size_t i = 0; i < vm->ncells; i++)
		memnodes = memnodes || vm->cells[i].has_memnode;
	if (vm->policy == VM_POLICY_NONE && !memnodes)
		return;
	nt = add_elem(parent, "numatune", depth);
	if (vm->policy != VM_POLICY_NONE) {
		n = add_elem(nt, "memory", depth + 1);
		set_attr(n, "mode", vm_policy_libvirt_mode(vm->policy));
		if (vm->placement == VM_PLACEMENT_AUTO)
			set_attr(n, "placement", "auto");
		else
			set_attr_set(n, "nodeset", &vm->host_nodes);
	}
	/*
	 * Every cell gets its <memnode>, also those that only inherit <memory>:
	 * libvirt releases that used -mem-path dropped the policy of
	 * hugepage-backed memory without per-cell binding (libvirt list, Oct
	 * 2016), and explicit is clearer anyway.
	 */
	for (size_t i = 0; i < vm->ncells; i++) {
		const struct vm_cell *c = &vm->cells[i];
		bool inherit = !c->has_memnode && vm->policy != VM_POLICY_NONE &&
			       vm->placement == VM_PLACEMENT_STATIC;

		if (!c->has_memnode && !inherit)
			continue;
		n = add_elem(nt, "memnode", depth + 1);
		set_attr_u64(n, "cellid", c->id);
		set_attr(n, "mode", vm_policy_libvirt_mode(inherit ? vm->policy : c->policy));
		set_attr_set(n, "nodeset", inherit ? &vm->host_nodes : &c->host_nodes);
	}
	close_elem(nt, depth);
}

static xmlNode *build_cells(xmlNode *cpu, const struct vm_spec *vm, int depth)
{
	xmlNode *numa = add_elem(cpu, "numa", depth);

	for (size_t i = 0; i < vm->ncells; i++) {
		const struct vm_cell *c = &vm->cells[i];
		xmlNode *n = add_elem(numa, "cell", depth + 1);

		set_attr_u64(n, "id", c->id);
		if (!cpuset_empty(&c->cpus))
			set_attr_set(n, "cpus", &c->cpus);
		set_attr_u64(n, "memory", c->mem_kib);
		set_attr(n, "unit", "KiB");
		if (c->share != VM_UNSET)
			set_attr(n, "memAccess", c->share == VM_YES ? "shared" : "private");
		if (c->discard != VM_UNSET)
			set_attr(n, "discard", c->discard == VM_YES ? "yes" : "no");
		if (c->ndistances) {
			xmlNode *dist = add_elem(n, "distances", depth + 2);

			for (size_t j = 0; j < c->ndistances; j++) {
				xmlNode *s;

				if (!c->distances[j])
					continue;
				s = add_elem(dist, "sibling", depth + 3);
				set_attr_u64(s, "id", j);
				set_attr_u64(s, "value", c->distances[j]);
			}
			close_elem(dist, depth + 2);
			close_elem(n, depth + 1);
		}
	}
	close_elem(numa, depth);
	return numa;
}

static void set_text_u64(xmlNode *n, uint64_t v)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	xmlNodeSetContent(n, (const xmlChar *)buf);
}

/* <vcpu placement='static'>N</vcpu> (an existing element keeps its place and 'current'). */
static void build_vcpu(xmlNode *parent, xmlNode *existing, const struct vm_spec *vm, int depth)
{
	xmlNode *n = existing ? existing : add_elem(parent, "vcpu", depth);

	set_attr(n, "placement", "static");
	/* the pins below cover every vCPU, the emulator and the I/O threads */
	if (vm_spec_has_pins(vm))
		(void)xmlUnsetProp(n, (const xmlChar *)"cpuset");
	set_text_u64(n, vm->vcpus);
}

static void add_pin(xmlNode *ct, const char *elem, const char *idattr, uint64_t id,
		    const struct cpuset *set, int depth)
{
	xmlNode *n = add_elem(ct, elem, depth);

	if (idattr)
		set_attr_u64(n, idattr, id);
	set_attr_set(n, "cpuset", set);
}

/* vcpupin, emulatorpin and iothreadpin children appended to ct. */
static void build_pins(xmlNode *ct, const struct vm_spec *vm, int depth)
{
	const struct vm_cputune *t = &vm->tune;

	for (size_t i = 0; i < t->nvcpupin; i++)
		if (!cpuset_empty(&t->vcpupin[i]))
			add_pin(ct, "vcpupin", "vcpu", i, &t->vcpupin[i], depth);
	if (!cpuset_empty(&t->emulatorpin))
		add_pin(ct, "emulatorpin", NULL, 0, &t->emulatorpin, depth);
	for (size_t i = 0; i < t->niothreadpin; i++)
		if (!cpuset_empty(&t->iothreadpin[i]))
			add_pin(ct, "iothreadpin", "iothread", i + 1, &t->iothreadpin[i], depth);
}

static bool has_topology(const struct vm_spec *vm)
{
	return vm->topology.sockets && vm->topology.cores && vm->topology.threads;
}

static void build_topology(xmlNode *cpu, const struct vm_spec *vm, int depth)
{
	xmlNode *n = add_elem(cpu, "topology", depth);

	set_attr_u64(n, "sockets", vm->topology.sockets);
	set_attr_u64(n, "dies", vm->topology.dies ? vm->topology.dies : 1);
	if (vm->topology.clusters)
		set_attr_u64(n, "clusters", vm->topology.clusters);
	set_attr_u64(n, "cores", vm->topology.cores);
	set_attr_u64(n, "threads", vm->topology.threads);
}

/* The CPU fragments: <vcpu>, <iothreads>, <cputune>. */
static void build_cpu_fragments(xmlNode *holder, const struct vm_spec *vm, int depth)
{
	xmlNode *ct;

	if (vm->vcpus)
		build_vcpu(holder, NULL, vm, depth);
	if (vm->iothreads)
		set_text_u64(add_elem(holder, "iothreads", depth), vm->iothreads);
	if (!vm_spec_has_pins(vm))
		return;
	ct = add_elem(holder, "cputune", depth);
	build_pins(ct, vm, depth + 1);
	close_elem(ct, depth);
}

static xmlNode *build_hard_limit(xmlNode *memtune, const struct vm_spec *vm, int depth)
{
	xmlNode *n = add_elem(memtune, "hard_limit", depth);
	char buf[32];

	set_attr(n, "unit", "KiB");
	(void)snprintf(buf, sizeof(buf), "%llu",
		       (unsigned long long)(vm->mem_kib + DOMXML_LOCK_OVERHEAD_KIB));
	xmlNodeSetContent(n, (const xmlChar *)buf);
	return n;
}

static void dump_children(xmlDoc *doc, xmlNode *holder, struct sbuf *out)
{
	for (xmlNode *n = holder->children; n; n = n->next) {
		xmlBuffer *buf;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		buf = xmlBufferCreate();
		xmlNodeDump(buf, doc, n, 0, 0);
		sbuf_add(out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
		sbuf_addc(out, '\n');
		xmlBufferFree(buf);
	}
}

int domxml_fragments(const struct vm_spec *vm, const struct host_model *m, char **ret,
		     struct diag *d)
{
	return domxml_fragments_flags(vm, m, 0, ret, d);
}

int domxml_fragments_flags(const struct vm_spec *vm, const struct host_model *m, unsigned flags,
			   char **ret, struct diag *d)
{
	bool cpu_parts = flags & DOMXML_WRITE_CPU;
	struct sbuf out = SBUF_INIT;
	xmlNode *holder, *n;
	xmlDoc *doc;
	char buf[32];
	int r;

	r = xmlapi_load(d);
	if (r < 0)
		return r;
	doc = xmlNewDoc((const xmlChar *)"1.0");
	holder = xmlNewNode(NULL, (const xmlChar *)"fragments");
	xmlDocSetRootElement(doc, holder);
	n = add_elem(holder, "memory", 0);
	set_attr(n, "unit", "KiB");
	(void)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)vm->mem_kib);
	xmlNodeSetContent(n, (const xmlChar *)buf);
	r = build_memory_backing(holder, vm, m, 0, d);
	if (r >= 0) {
		if (cpu_parts)
			build_cpu_fragments(holder, vm, 0);
		build_numatune(holder, vm, 0);
		if (vm->ncells || (cpu_parts && has_topology(vm))) {
			n = add_elem(holder, "cpu", 0);
			if (cpu_parts && has_topology(vm))
				build_topology(n, vm, 1);
			if (vm->ncells)
				build_cells(n, vm, 1);
			close_elem(n, 0);
		}
		if (vm->locked) {
			n = add_elem(holder, "memtune", 0);
			build_hard_limit(n, vm, 1);
			close_elem(n, 0);
		}
		dump_children(doc, holder, &out);
		*ret = sbuf_detach(&out, NULL);
	}
	xmlFreeDoc(doc);
	return r;
}

static bool is_elem(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *find_child(xmlNode *parent, const char *name)
{
	for (xmlNode *n = parent->children; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

static bool is_blank(xmlNode *n)
{
	return n && n->type == XML_TEXT_NODE && xmlIsBlankNode(n);
}

/* Remove an element and the indentation before it. */
static void drop(xmlNode *n)
{
	if (is_blank(n->prev)) {
		xmlNode *ws = n->prev;

		xmlUnlinkNode(ws);
		xmlFreeNode(ws);
	}
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

static void drop_children(xmlNode *parent, const char *name)
{
	xmlNode *n, *next;

	for (n = parent->children; n; n = next) {
		next = n->next;
		if (is_elem(n, name))
			drop(n);
	}
}

/* Remove trailing indentation so that new children can be appended cleanly. */
static void strip_tail(xmlNode *parent)
{
	while (is_blank(parent->last)) {
		xmlNode *ws = parent->last;

		xmlUnlinkNode(ws);
		xmlFreeNode(ws);
	}
}

static void set_size(xmlNode *n, uint64_t kib)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)kib);
	xmlNodeSetContent(n, (const xmlChar *)buf);
	set_attr(n, "unit", "KiB");
}

/* Move holder's element children after anchor, each on its own indented line. */
static void insert_after(xmlNode *anchor, xmlNode *holder)
{
	xmlNode *n, *next;

	for (n = holder->children; n; n = next) {
		next = n->next;
		xmlUnlinkNode(n);
		if (n->type != XML_ELEMENT_NODE) {
			xmlFreeNode(n);
			continue;
		}
		anchor = xmlAddNextSibling(anchor, xmlNewText((const xmlChar *)"\n  "));
		anchor = xmlAddNextSibling(anchor, n);
	}
}

/* <topology> and <numa> at the end of cpu (depth: theirs), then cpu's closing tag. */
static void fill_cpu(xmlNode *cpu, const struct vm_spec *vm, bool topology, int depth)
{
	if (topology)
		build_topology(cpu, vm, depth);
	if (vm->ncells)
		build_cells(cpu, vm, depth);
	close_elem(cpu, depth - 1);
}

/*
 * <vcpu> and <iothreads> are changed where they are; <cputune> loses its
 * pins (its other children, such as <shares>, stay) and gets the new ones.
 * What the domain lacks goes to holder.
 */
static void merge_cpu_fragments(xmlNode *root, xmlNode *holder, const struct vm_spec *vm)
{
	xmlNode *n = find_child(root, "vcpu");

	if (vm->vcpus)
		build_vcpu(holder, n, vm, 1);
	if (vm->iothreads && (n = find_child(root, "iothreads")))
		set_text_u64(n, vm->iothreads);
	else if (vm->iothreads)
		set_text_u64(add_elem(holder, "iothreads", 1), vm->iothreads);
	n = find_child(root, "cputune");
	if (n) {
		drop_children(n, "vcpupin");
		drop_children(n, "emulatorpin");
		drop_children(n, "iothreadpin");
		if (!vm_spec_has_pins(vm))
			return;
		strip_tail(n);
		build_pins(n, vm, 2);
		close_elem(n, 1);
	} else if (vm_spec_has_pins(vm)) {
		n = add_elem(holder, "cputune", 1);
		build_pins(n, vm, 2);
		close_elem(n, 1);
	}
}

static int merge_doc(xmlDoc *doc, const struct vm_spec *vm, const struct host_model *m,
		     unsigned flags, struct diag *d)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *holder = xmlNewNode(NULL, (const xmlChar *)"holder");
	xmlNode *anchor, *n, *cpu, *memtune;
	bool cpu_parts = flags & DOMXML_WRITE_CPU, topology;
	int r;

	if (!root || !is_elem(root, "domain")) {
		xmlFreeNode(holder);
		return diag_set(d, EINVAL, "domain", "the root element is not <domain>");
	}
	drop_children(root, "memoryBacking");
	drop_children(root, "numatune");
	if ((n = find_child(root, "memory")))
		set_size(n, vm->mem_kib);
	else
		set_size(add_elem(holder, "memory", 1), vm->mem_kib);
	if ((n = find_child(root, "currentMemory")))
		set_size(n, vm->mem_kib);
	r = build_memory_backing(holder, vm, m, 1, d);
	if (r < 0) {
		xmlFreeNode(holder);
		return r;
	}
	if (cpu_parts)
		merge_cpu_fragments(root, holder, vm);
	build_numatune(holder, vm, 1);
	topology = cpu_parts && has_topology(vm);
	cpu = find_child(root, "cpu");
	if (cpu) {
		drop_children(cpu, "numa");
		if (topology)
			drop_children(cpu, "topology");
		if (vm->ncells || topology) {
			strip_tail(cpu);
			fill_cpu(cpu, vm, topology, 2);
		}
	} else if (vm->ncells || topology) {
		fill_cpu(add_elem(holder, "cpu", 1), vm, topology, 2);
	}
	memtune = find_child(root, "memtune");
	if (vm->locked && memtune) {
		drop_children(memtune, "hard_limit");
		strip_tail(memtune);
		build_hard_limit(memtune, vm, 2);
		close_elem(memtune, 1);
	} else if (vm->locked) {
		memtune = add_elem(holder, "memtune", 1);
		build_hard_limit(memtune, vm, 2);
		close_elem(memtune, 1);
	}
	anchor = find_child(root, "currentMemory");
	if (!anchor)
		anchor = find_child(root, "memory");
	if (!anchor)
		anchor = find_child(root, "name");
	if (anchor) {
		insert_after(anchor, holder);
	} else {
		strip_tail(root);
		for (n = holder->children; n; n = holder->children) {
			xmlUnlinkNode(n);
			xmlAddChild(root, n);
		}
		close_elem(root, 0);
	}
	xmlFreeNode(holder);
	return 0;
}

/* orig (orig_len bytes) with vm's memory configuration merged in, as it will be written. */
static int merge_buffer(const char *path, const char *orig, size_t orig_len,
			const struct vm_spec *vm, const struct host_model *m, unsigned flags,
			char **ret, size_t *ret_len, struct diag *d)
{
	xmlDoc *doc = NULL;
	int r;

	r = xmlapi_load(d);
	if (r >= 0) {
		doc = xmlReadMemory(orig, (int)orig_len, path, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (!doc)
			r = domxml_parse_error(path, d);
	}
	if (r >= 0)
		r = merge_doc(doc, vm, m, flags, d);
	if (r >= 0) {
		/* no <?xml?> declaration unless the file had one (virsh dumpxml has none) */
		bool decl = strncmp(orig, "<?xml", 5) == 0;
		xmlBuffer *buf = xmlBufferCreate();
		xmlSaveCtxt *save = xmlSaveToBuffer(buf, NULL, decl ? 0 : XML_SAVE_NO_DECL);
		struct sbuf out = SBUF_INIT;

		(void)xmlSaveDoc(save, doc);
		(void)xmlSaveClose(save);
		sbuf_add(&out, xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
		xmlBufferFree(buf);
		*ret = sbuf_detach(&out, ret_len);
	}
	if (doc)
		xmlFreeDoc(doc);
	return r;
}

/* domxml_merge_text() with enum domxml_write_flags. */
static int merge_text_flags(const char *path, const struct vm_spec *vm, const struct host_model *m,
			    unsigned flags, char **ret, size_t *ret_len, struct diag *d)
{
	AUTOFREE char *orig = NULL;
	size_t orig_len = 0;
	int r;

	r = userfile_read(path, DOMXML_MAX_FILE_BYTES, &orig, &orig_len, d);
	if (r >= 0)
		r = merge_buffer(path, orig, orig_len, vm, m, flags, ret, ret_len, d);
	return r;
}

int domxml_merge_text(const char *path, const struct vm_spec *vm, const struct host_model *m,
		      char **ret, size_t *ret_len, struct diag *d)
{
	return merge_text_flags(path, vm, m, 0, ret, ret_len, d);
}

int domxml_merge_file(const char *path, const struct vm_spec *vm, const struct host_model *m,
		      char **ret_target, char **ret_backup, struct journal_entry *je,
		      struct diag *d)
{
	return domxml_merge_file_flags(path, vm, m, 0, ret_target, ret_backup, je, d);
}

/* Adds path's change (orig -> text) and its new backup to je, for the undo journal. */
static void journal_merge(struct journal_entry *je, const char *target, const char *backup,
			  const char *orig, size_t orig_len, const char *text, size_t len)
{
	/* the file as it was and as written; the backup is always a new file */
	struct stat st;
	mode_t mode = stat(target, &st) == 0 ? st.st_mode & 07777 : 0600;

	journal_add_file(je, JOURNAL_USER_FILE, target, orig, orig_len, text, len, mode);
	if (backup)
		journal_add_file(je, JOURNAL_USER_FILE, backup, NULL, 0, orig, orig_len, mode);
}

int domxml_merge_file_flags(const char *path, const struct vm_spec *vm, const struct host_model *m,
			    unsigned flags, char **ret_target, char **ret_backup,
			    struct journal_entry *je, struct diag *d)
{
	AUTOFREE char *orig = NULL;
	AUTOFREE char *text = NULL;
	AUTOFREE char *target = NULL;
	AUTOFREE char *backup = NULL;
	AUTOCLOSE int lockfd = -1;
	size_t orig_len = 0, len = 0;
	int r;

	/* read, merge and replace as one step: a second kvmtune writing the
	 * same file waits instead of replacing it with a merge of the old text */
	lockfd = userfile_lock(path, DOMXML_LOCK_TIMEOUT_MS, d);
	if (lockfd < 0)
		return lockfd;
	r = userfile_read(path, DOMXML_MAX_FILE_BYTES, &orig, &orig_len, d);
	if (r >= 0)
		r = merge_buffer(path, orig, orig_len, vm, m, flags, &text, &len, d);
	if (r >= 0)
		r = userfile_replace(path, text, len, &target, &backup, d);
	if (r >= 0 && je)
		journal_merge(je, target, backup, orig, orig_len, text, len);
	if (r >= 0 && ret_target)
		*ret_target = steal_ptr(&target);
	if (r >= 0 && ret_backup)
		*ret_backup = steal_ptr(&backup);
	return r;
}
