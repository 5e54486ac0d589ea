/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM requests for the planner: spec, shape and JSON parsers, domain conversion, host checks. */
#include "place/request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/cpuset.h"
#include "core/vmspec.h"
#include "place/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Largest spec or JSON text read: thousands of VMs fit. */
#define PLACE_REQ_MAX_TEXT (4u << 20)

void place_req_init(struct place_req *r)
{
	memset(r, 0, sizeof(*r));
	r->page_kib = VM_PAGE_HOST_DEFAULT;
}

const char *place_pin_name(enum place_pin p)
{
	return p == PLACE_PIN_SHARED ? "shared" : "dedicated";
}

const char *place_threads_name(enum place_threads t)
{
	return t == PLACE_THREADS_ISOLATE   ? "isolate"
	       : t == PLACE_THREADS_REQUIRE ? "require"
					    : "prefer";
}

/* Names go into XML, Proxmox lines and messages: keep them plain. */
static int check_name(const char *v, struct diag *d)
{
	size_t n = strlen(v);

	if (n == 0 || n > PLACE_NAME_MAX ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
		      "rstuvwxyz0123456789_.@:-") != n)
		return diag_set(d, EINVAL, "name",
				"name '%.64s': expected 1-%d of A-Z a-z 0-9 _ . @ : -", v,
				PLACE_NAME_MAX);
	return 0;
}

static int count_value(const char *key, const char *v, unsigned max, unsigned *ret, struct diag *d)
{
	uint64_t n;
	int r = parse_u64(v, &n);

	if (r == -ERANGE || (r == 0 && n > max))
		return diag_set(d, ERANGE, key, "%s=%.40s: too large (at most %u)", key, v, max);
	if (r < 0)
		return diag_set(d, EINVAL, key, "%s=%.40s: not a whole number", key, v);
	*ret = (unsigned)n;
	return 0;
}

static int mem_value(const char *v, uint64_t *ret, struct diag *d)
{
	uint64_t kib;
	int r = parse_size_kib(v, &kib);

	if (r == -ERANGE || (r == 0 && kib > PLACE_MAX_MEM_KIB))
		return diag_set(d, ERANGE, "mem", "mem=%.40s: too large (at most 1 EiB)", v);
	if (r < 0 || kib == 0)
		return diag_set(d, EINVAL, "mem", "mem=%.40s: not a size (expected 4G, 2048M, ...)",
				v);
	/* libvirt rounds guest memory up to 1 MiB; so do we */
	*ret = (kib + 1023) / 1024 * 1024;
	return 0;
}

static int page_value(const char *v, uint64_t *ret, struct diag *d)
{
	uint64_t kib;

	if (strcmp(v, "none") == 0) {
		*ret = VM_PAGE_NORMAL;
		return 0;
	}
	if (strcmp(v, "default") == 0) {
		*ret = VM_PAGE_HOST_DEFAULT;
		return 0;
	}
	if (parse_size_kib(v, &kib) < 0 || kib < 4 || (kib & (kib - 1)) || kib > (1ULL << 34))
		return diag_set(d, EINVAL, "page",
				"page=%.40s: not a page size (none, default, 2M, 1G, ...)", v);
	*ret = kib == 4 ? VM_PAGE_NORMAL : kib;
	return 0;
}

static int word_value(const char *key, const char *v, const char *const *words, int *ret,
		      struct diag *d)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(v, words[i]) == 0) {
			*ret = i;
			return 0;
		}
	return diag_set(d, EINVAL, key, "%s=%.40s: expected %s or %s%s%s", key, v, words[0],
			words[1], words[2] ? " or " : "", words[2] ? words[2] : "");
}

/* nodes=1, nodes=0-3 or nodes=0:2 (',' separates keys): kernel node numbers. */
static int nodes_value(const char *v, struct place_req *r, struct diag *d)
{
	struct cpuset set = CPUSET_INIT;
	char list[128];
	int node, err;

	if (strlen(v) >= sizeof(list))
		return diag_set(d, EINVAL, "nodes", "nodes=%.40s...: too long", v);
	for (size_t i = 0; i <= strlen(v); i++) {
		list[i] = v[i];
		if (list[i] == ':')
			list[i] = ',';
	}
	err = cpuset_parse_list(list, &set, NULL);
	if (err < 0 || cpuset_empty(&set) || cpuset_count(&set) > PLACE_MAX_ONLY_NODES) {
		cpuset_release(&set);
		return diag_set(d, EINVAL, "nodes",
				"nodes=%.40s: expected up to %d node numbers (1, 0-3, 0:2)", v,
				PLACE_MAX_ONLY_NODES);
	}
	r->nonly_nodes = 0;
	cpuset_foreach (node, &set)
		r->only_nodes[r->nonly_nodes++] = (uint16_t)node;
	cpuset_release(&set);
	return 0;
}

static const char *const pin_words[] = {"dedicated", "shared", NULL};
static const char *const thread_words[] = {"prefer", "isolate", "require", NULL};

/* A refusal of text with control characters, shown escaped. */
static int control_chars(const char *text, struct diag *d)
{
	AUTOFREE char *e = str_escape(text, 60);

	return diag_set(d, EINVAL, "spec", "'%s': control characters", e);
}

/* One key=value; *seen collects the keys given (bit per key). */
static int set_key(struct place_req *r, const char *key, const char *v, unsigned *seen,
		   struct diag *d)
{
	static const char *const keys[] = {"name", "vcpus",   "mem",	   "page", "cells",
					   "pin",  "threads", "iothreads", "nodes"};
	int k = -1, w = 0, ret;

	if (!str_is_printable(key) || !str_is_printable(v))
		return control_chars(str_is_printable(key) ? v : key, d);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && k < 0; i++)
		if (strcmp(key, keys[i]) == 0)
			k = (int)i;
	if (k < 0)
		return diag_set(d, EINVAL, key,
				"unknown key '%.40s' (expected name, vcpus, mem, page, cells, pin, "
				"threads, iothreads, nodes)",
				key);
	if (*seen & (1u << k))
		return diag_set(d, EINVAL, key, "'%s' is given twice", key);
	*seen |= 1u << k;
	switch (k) {
	case 0:
		ret = check_name(v, d);
		if (ret == 0)
			(void)snprintf(r->name, sizeof(r->name), "%s", v);
		return ret;
	case 1:
		ret = count_value("vcpus", v, PLACE_MAX_VCPUS, &r->vcpus, d);
		return ret == 0 && r->vcpus == 0 ? diag_set(d, EINVAL, "vcpus",
							    "vcpus=0: a VM needs at least one vCPU")
						 : ret;
	case 2:
		return mem_value(v, &r->mem_kib, d);
	case 3:
		return page_value(v, &r->page_kib, d);
	case 4:
		return count_value("cells", v, PLACE_MAX_CELLS, &r->cells, d);
	case 5:
		ret = word_value("pin", v, pin_words, &w, d);
		r->pin = (enum place_pin)w;
		return ret;
	case 6:
		ret = word_value("threads", v, thread_words, &w, d);
		r->threads = (enum place_threads)w;
		return ret;
	case 7:
		return count_value("iothreads", v, PLACE_MAX_IOTHREADS, &r->iothreads, d);
	default:
		return nodes_value(v, r, d);
	}
}

static int check_required(const struct place_req *r, unsigned seen, const char *what,
			  struct diag *d)
{
	if (!(seen & (1u << 1)))
		return diag_set(d, EINVAL, "vcpus", "%.80s: 'vcpus' is missing", what);
	if (!(seen & (1u << 2)))
		return diag_set(d, EINVAL, "mem", "%.80s: 'mem' is missing", what);
	return 0;
}

int place_req_parse(const char *spec, struct place_req *ret, struct diag *d)
{
	AUTOFREE char *copy = NULL;
	struct place_req r;
	unsigned seen = 0;
	int err = 0;

	if (strlen(spec) > PLACE_REQ_MAX_TEXT)
		return diag_set(d, ERANGE, "--vm", "--vm: the spec is too long");
	if (!str_is_printable(spec)) {
		err = control_chars(spec, d);
		diag_prefix(d, "--vm: ");
		return err;
	}
	copy = xstrdup(spec);
	place_req_init(&r);
	for (char *item = copy, *next; item && err >= 0; item = next) {
		char *eq;

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		eq = strchr(item, '=');
		if (!eq)
			err = diag_set(d, EINVAL, "--vm", "'%.40s': expected key=value", item);
		else {
			*eq = '\0';
			err = set_key(&r, item, eq + 1, &seen, d);
		}
	}
	if (err >= 0)
		err = check_required(&r, seen, "--vm", d);
	if (err < 0) {
		diag_prefix(d, "--vm '%.60s': ", spec);
		return err;
	}
	*ret = r;
	return 0;
}

int place_req_parse_shape(const char *shape, struct place_req *ret, struct diag *d)
{
	char buf[96];
	char *vc, *mem, *page, *c;
	struct place_req r;
	unsigned seen = 0;
	int err;

	if (!str_is_printable(shape)) {
		err = control_chars(shape, d);
		diag_prefix(d, "--shape: ");
		return err;
	}
	if (strlen(shape) >= sizeof(buf))
		return diag_set(d, EINVAL, "--shape", "--shape: '%.40s...' is too long", shape);
	memcpy(buf, shape, strlen(shape) + 1);
	vc = buf;
	mem = strchr(vc, ':');
	page = mem ? strchr(mem + 1, ':') : NULL;
	c = strchr(vc, 'c');
	if (!mem || !c || c + 1 != mem)
		return diag_set(d, EINVAL, "--shape",
				"--shape '%s': expected VCPUSc:MEM[:PAGE], such as 8c:32G:1G",
				shape);
	*c = '\0';
	*mem++ = '\0';
	if (page)
		*page++ = '\0';
	place_req_init(&r);
	(void)snprintf(r.name, sizeof(r.name), "shape");
	err = set_key(&r, "vcpus", vc, &seen, d);
	if (err >= 0)
		err = set_key(&r, "mem", mem, &seen, d);
	if (err >= 0 && page)
		err = set_key(&r, "page", page, &seen, d);
	if (err < 0) {
		diag_prefix(d, "--shape '%s': ", shape);
		return err;
	}
	*ret = r;
	return 0;
}

/* One JSON member as the text set_key() takes. */
static int json_member(struct place_req *r, const char *key, struct json_object *v, unsigned *seen,
		       struct diag *d)
{
	char num[32];

	switch (json_object_get_type(v)) {
	case json_type_string:
		return set_key(r, key, json_object_get_string(v), seen, d);
	case json_type_int:
		if (json_object_get_int64(v) < 0)
			return diag_set(d, EINVAL, key, "%s: %lld is negative", key,
					(long long)json_object_get_int64(v));
		(void)snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
		return set_key(r, key, num, seen, d);
	default:
		return diag_set(d, EINVAL, key, "%.40s: expected a string or a whole number", key);
	}
}

static int json_one(struct json_object *o, size_t idx, struct place_req *ret, struct diag *d)
{
	unsigned seen = 0;
	char what[32];
	int err = 0;

	(void)snprintf(what, sizeof(what), "VM %zu", idx);
	place_req_init(ret);
	if (!json_object_is_type(o, json_type_object))
		return diag_set(d, EINVAL, "json", "VM %zu: expected an object", idx);
	json_object_object_foreach(o, key, v)
	{
		if (err >= 0)
			err = json_member(ret, key, v, &seen, d);
	}
	if (err < 0) {
		diag_prefix(d, "VM %zu: ", idx);
		return err;
	}
	return check_required(ret, seen, what, d);
}

int place_req_parse_json(const char *text, size_t len, struct place_req **ret, size_t *ret_n,
			 struct diag *d)
{
	struct json_tokener *tok;
	struct json_object *root;
	struct place_req *reqs;
	size_t n;
	int err = 0;

	if (len > PLACE_REQ_MAX_TEXT)
		return diag_set(d, ERANGE, "json", "the VM list is larger than %u bytes",
				PLACE_REQ_MAX_TEXT);
	tok = json_tokener_new_ex(32);
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_object_put(root);
		json_tokener_free(tok);
		return diag_set(d, EINVAL, "json", "not a JSON document: %s",
				e == json_tokener_success ? "trailing text"
							  : json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	if (!json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return diag_set(d, EINVAL, "json", "expected a JSON array of VM objects");
	}
	n = json_object_array_length(root);
	reqs = xcalloc(n + 1, sizeof(*reqs));
	for (size_t i = 0; i < n && err >= 0; i++)
		err = json_one(json_object_array_get_idx(root, i), i, &reqs[i], d);
	json_object_put(root);
	if (err < 0) {
		free(reqs);
		return err;
	}
	*ret = reqs;
	*ret_n = n;
	return 0;
}

int place_req_from_vm_spec(const struct vm_spec *vm, struct place_req *ret, struct diag *d)
{
	const char *name = vm->name ? vm->name : "";

	if (!vm->vcpus)
		return diag_set(d, EINVAL, "vcpu", "domain '%.64s': no <vcpu> count", name);
	if (vm->vcpus > PLACE_MAX_VCPUS || vm->mem_kib > PLACE_MAX_MEM_KIB)
		return diag_set(d, ERANGE, "vcpu",
				"domain '%.64s': too many vCPUs or too much memory", name);
	if (vm->ncells > PLACE_MAX_CELLS)
		return diag_set(d, EINVAL, "cell", "domain '%.64s': %zu guest cells (at most %d)",
				name, vm->ncells, PLACE_MAX_CELLS);
	for (size_t i = 1; i < vm->ncells; i++)
		if (vm->cells[i].page_kib != vm->cells[0].page_kib)
			return diag_set(d, EINVAL, "page",
					"domain '%.64s': guest cells with different page sizes "
					"(kvmtune plan places one page size per VM)",
					name);
	if (check_name(name, NULL) < 0)
		(void)snprintf(ret->name, sizeof(ret->name), "domain");
	else
		(void)snprintf(ret->name, sizeof(ret->name), "%s", name);
	ret->vcpus = vm->vcpus;
	ret->mem_kib = vm->mem_kib;
	ret->page_kib = vm->ncells ? vm->cells[0].page_kib : vm->page_kib;
	ret->cells = (unsigned)vm->ncells;
	ret->iothreads = vm->iothreads > PLACE_MAX_IOTHREADS ? PLACE_MAX_IOTHREADS : vm->iothreads;
	return 0;
}

static int resolve_nodes(struct place_req *r, const struct place_host *h, struct diag *d)
{
	char nodes[96] = "";
	size_t len = 0;

	r->allowed_idx = 0;
	for (unsigned i = 0; i < r->nonly_nodes; i++) {
		int idx = place_host_node_idx(h, r->only_nodes[i]);

		if (idx >= 0 && idx < 64) {
			r->allowed_idx |= 1ULL << idx;
			continue;
		}
		for (size_t k = 0; k < h->nnodes && len < sizeof(nodes) - 8; k++)
			len += (size_t)snprintf(nodes + len, sizeof(nodes) - len, "%s%d",
						k ? "," : "", h->nodes[k].node);
		return diag_set(d, EINVAL, "nodes", "%s: nodes=%u: %s (nodes: %s%s)", r->name,
				r->only_nodes[i],
				idx < 0 ? "this host has no such node"
					: "only the host's first 64 nodes can be named",
				nodes, len >= sizeof(nodes) - 8 ? ",..." : "");
	}
	return 0;
}

int place_req_resolve(struct place_req *r, const struct place_host *h, struct diag *d)
{
	unsigned online = 0;
	char ps[16];

	for (size_t i = 0; i < h->nnodes; i++)
		online += cpuset_count(&h->nodes[i].cpus);
	if (r->page_kib == VM_PAGE_HOST_DEFAULT) {
		if (!h->default_hugepage_kib ||
		    !place_host_has_page_size(h, h->default_hugepage_kib))
			return diag_set(d, EINVAL, "page",
					"%s: page=default, but this host has no default hugepage "
					"size; give page=none or a size",
					r->name);
		r->page_kib = h->default_hugepage_kib;
	}
	if (r->page_kib != VM_PAGE_NORMAL && !place_host_has_page_size(h, r->page_kib))
		return diag_set(d, EINVAL, "page",
				"%s: page=%s, but this host's CPU or kernel has no %s pages",
				r->name, format_pagesize(r->page_kib, ps, sizeof(ps)), ps);
	if (r->vcpus > online)
		return diag_set(d, EINVAL, "vcpus",
				"%s: %u vCPUs, but this host has %u online CPUs", r->name, r->vcpus,
				online);
	if (r->page_kib != VM_PAGE_NORMAL && r->mem_kib % r->page_kib)
		return diag_set(d, EINVAL, "mem",
				"%s: memory %llu KiB is not a whole number of %s pages", r->name,
				(unsigned long long)r->mem_kib,
				format_pagesize(r->page_kib, ps, sizeof(ps)));
	if (r->cells > r->vcpus)
		return diag_set(d, EINVAL, "cells", "%s: %u cells but only %u vCPUs", r->name,
				r->cells, r->vcpus);
	return resolve_nodes(r, h, d);
}
