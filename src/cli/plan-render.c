/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmtune plan's output: one plan rendered as text, JSON, XML, QEMU, Proxmox or pool commands. */
#include "cli/plan-render.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/qemu-target.h"
#include "cli/render.h"
#include "core/domxml-write.h"
#include "core/qemu-args.h"
#include "core/vmspec.h"
#include "place/capacity.h"
#include "place/export.h"
#include "place/host.h"
#include "place/plan.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Text from outside (notes quote files and names): escaped (util/escape.h). */
static void put_escaped(const char *s, FILE *out)
{
	AUTOFREE char *e = str_escape(s, 512);

	fputs(e, out);
}

static const char *page_name(uint64_t page_kib, char *buf, unsigned n)
{
	if (page_kib == VM_PAGE_NORMAL)
		return "normal";
	return format_pagesize(page_kib, buf, n);
}

static char *list_of(const struct cpuset *s)
{
	return cpuset_to_list(s);
}

static char *node_list(const struct place_host *h, const struct place_choice *c)
{
	struct cpuset s = CPUSET_INIT;
	char *r;

	for (size_t i = 0; i < c->nnodes; i++)
		cpuset_set(&s, (unsigned)h->nodes[c->nodes[i]].node);
	r = cpuset_to_list(&s);
	cpuset_release(&s);
	return r;
}

/* --- text --- */

static void text_cells(const struct place_host *h, const struct place_vm_plan *v)
{
	char sz[32], ps[16];

	for (size_t i = 0; i < v->choice.ncells; i++) {
		const struct place_cell *c = &v->choice.cells[i];

		printf("  cell %zu: node %d, vCPUs %u", i, h->nodes[c->node_idx].node,
		       c->first_vcpu);
		if (c->vcpus > 1)
			printf("-%u", c->first_vcpu + c->vcpus - 1);
		printf(", %s", format_size_kib(c->mem_kib, sz, sizeof(sz)));
		if (c->pages)
			printf(" (%" PRIu64 " x %s)", c->pages,
			       format_pagesize(v->req.page_kib, ps, sizeof(ps)));
		if (c->cores)
			printf(", %u core%s", c->cores, c->cores == 1 ? "" : "s");
		if (c->grow_pages)
			printf(", the pool grows by %" PRIu64, c->grow_pages);
		printf("\n");
	}
}

static void text_pins(const struct place_vm_plan *v)
{
	AUTOFREE char *emu = list_of(&v->pins.emulator);

	if (v->req.pin == PLACE_PIN_DEDICATED) {
		printf("  vCPU pins:");
		for (unsigned i = 0; i < v->pins.nvcpus; i++) {
			AUTOFREE char *l = list_of(&v->pins.vcpu[i]);

			printf(" %u:%s", i, l);
		}
		printf("\n");
	} else {
		for (size_t i = 0; i < v->choice.ncells; i++) {
			const struct place_cell *c = &v->choice.cells[i];
			AUTOFREE char *l = list_of(&v->pins.vcpu[c->first_vcpu]);

			printf("  cell %zu vCPUs float on CPUs %s\n", i, l);
		}
	}
	printf("  emulator%s: CPUs %s%s\n", v->req.iothreads ? " and I/O threads" : "", emu,
	       v->pins.emulator_on_vcpus ? " (no CPU left off the vCPUs: shares them)"
	       : v->pins.emulator_far	 ? " (none left on its nodes: the nearest node's)"
					 : "");
}

static void text_vm(const struct place_host *h, const struct place_vm_plan *v)
{
	AUTOFREE char *nodes = node_list(h, &v->choice);
	char sz[32], ps[16];

	printf("%s: ", v->req.name);
	if (!v->choice.placed) {
		printf("not placed (%u vCPU%s, %s of %s pages)\n", v->req.vcpus,
		       v->req.vcpus == 1 ? "" : "s",
		       format_size_kib(v->req.mem_kib, sz, sizeof(sz)),
		       page_name(v->req.page_kib, ps, sizeof(ps)));
		for (size_t i = 0; i < v->nwhy; i++)
			printf("  node %d: %s\n", v->why[i].node, v->why[i].text);
		if (v->fix[0])
			printf("  fix: %s\n", v->fix);
		return;
	}
	printf("node%s %s", v->choice.nnodes > 1 ? "s" : "", nodes);
	if (v->choice.nnodes > 1)
		printf(" (distance %u)", v->choice.distance);
	printf(", %u vCPU%s %s", v->req.vcpus, v->req.vcpus == 1 ? "" : "s",
	       place_pin_name(v->req.pin));
	if (v->req.pin == PLACE_PIN_DEDICATED)
		printf(" (threads %s)", place_threads_name(v->req.threads));
	printf(", %s of %s pages\n", format_size_kib(v->req.mem_kib, sz, sizeof(sz)),
	       page_name(v->req.page_kib, ps, sizeof(ps)));
	text_cells(h, v);
	text_pins(v);
}

static void text_nodes(const struct place_plan *p)
{
	char a[32], b[32], ps[16];

	printf("\nnode  cores free (of, host)   memory free              pools free\n");
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct place_node_plan *n = &p->nodes[i];
		char cores[48];

		if (n->has_cpus)
			(void)snprintf(cores, sizeof(cores), "%lld -> %lld (%u, %u)",
				       (long long)n->free_cores_before,
				       (long long)n->free_cores_after, n->ncores, n->host_cores);
		else
			(void)snprintf(cores, sizeof(cores), "no CPUs");
		printf("%-5d %-22s %10s -> %-10s", n->node, cores,
		       format_size_kib((uint64_t)n->mem_before_kib, a, sizeof(a)),
		       format_size_kib((uint64_t)n->mem_after_kib, b, sizeof(b)));
		for (size_t j = 0; j < n->npools; j++) {
			const struct place_pool_plan *pp = &n->pools[j];

			printf("  %s %lld -> %lld", format_pagesize(pp->size_kib, ps, sizeof(ps)),
			       (long long)pp->free_before, (long long)pp->free_after);
			if (pp->grow_pages)
				printf(" (+%lld)", (long long)pp->grow_pages);
		}
		printf("\n");
	}
}

/* "web01 (defined, CPUs 1-2,9-10), batch (defined), archive (reserved pages)" */
static void existing_text(const struct place_usage *u)
{
	size_t shown = 0;

	for (size_t i = 0; u && i < u->nvms; i++) {
		const struct place_vm_use *v = &u->vms[i];

		if (v->replanned)
			continue;
		printf("%s", shown++ ? ", " : "counted: ");
		put_escaped(v->name, stdout);
		printf(" (%s", v->pid ? "running" : v->defined ? "defined" : "reserved pages");
		if (!cpuset_empty(&v->dedicated)) {
			AUTOFREE char *l = cpuset_to_list(&v->dedicated);

			printf(", CPUs %s", l);
		}
		printf(")");
	}
	printf("%s", shown ? "\n" : "counted: no other VM\n");
}

static void plan_text(const struct place_host *h, const struct place_plan *p,
		      const struct plan_outputs *o)
{
	AUTOFREE char *pools = place_export_pool_commands(p);

	printf("plan: %u of %zu VM%s placed, %u span%s nodes", p->objective.placed, p->nvms,
	       p->nvms == 1 ? "" : "s", p->objective.split, p->objective.split == 1 ? "s" : "");
	if (p->objective.split)
		printf(" (total distance %" PRIu64 ")", p->objective.distance);
	printf("; pools %s\n", p->opts.grow_pools ? "may grow (--grow-pools)"
						  : "as they are (--grow-pools to grow them)");
	existing_text(o->existing);
	printf("\n");
	for (size_t i = 0; i < p->nvms; i++)
		text_vm(h, &p->vms[i]);
	text_nodes(p);
	if (pools[0])
		printf("\npools to grow first:\n%s", pools);
	if (h->nnotes)
		printf("\nnotes:\n");
	for (size_t i = 0; i < h->nnotes; i++) {
		printf("  ");
		put_escaped(h->notes[i], stdout);
		printf("\n");
	}
}

/* --- the other forms of one VM --- */

static int vm_xml(const struct place_host *h, const struct place_vm_plan *v,
		  const struct plan_outputs *o, size_t i, char **ret, struct diag *d)
{
	place_export_vm_spec(h, v, &o->specs[i]);
	return domxml_fragments_flags(&o->specs[i], o->m, DOMXML_WRITE_CPU, ret, d);
}

/* -name and -smp, then the memory arguments of core/qemu-args.c. */
static int vm_qemu(const struct place_host *h, const struct place_vm_plan *v,
		   const struct plan_outputs *o, size_t i, struct qemu_mem_args *a,
		   char ***ret_argv, size_t *ret_argc, struct diag *d)
{
	struct qemu_args_opts qo = {NULL, o->hugetlbfs, o->qemu ? &o->qemu->caps : NULL};
	const struct vm_topology *t = &o->specs[i].topology;
	char **argv;
	size_t n = 0;
	int r;

	place_export_vm_spec(h, v, &o->specs[i]);
	r = qemu_args_build(&o->specs[i], o->m, &qo, a, d);
	if (r < 0)
		return r;
	argv = xcalloc(a->argc + 5, sizeof(*argv));
	argv[n++] = xstrdup("-name");
	argv[n++] = xasprintf("guest=%s,debug-threads=on", v->req.name);
	argv[n++] = xstrdup("-smp");
	if (t->sockets)
		argv[n++] = xasprintf("%u,sockets=%u,dies=1,cores=%u,threads=%u", v->req.vcpus,
				      t->sockets, t->cores, t->threads);
	else
		argv[n++] = xasprintf("%u", v->req.vcpus);
	for (size_t k = 0; k < a->argc; k++)
		argv[n++] = xstrdup(a->argv[k]);
	*ret_argv = argv;
	*ret_argc = n;
	return 0;
}

static void free_argv(char **argv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

static int form_text(const struct place_host *h, const struct place_plan *p,
		     const struct plan_outputs *o)
{
	int rc = EXIT_OK;

	if (strcmp(o->format, "qemu") == 0 && o->qemu && o->qemu->known) {
		char ver[32];

		printf("# for QEMU %s (%s)\n",
		       qemu_version_format(&o->qemu->caps.version, ver, sizeof(ver)),
		       o->qemu->source);
	} else if (strcmp(o->format, "qemu") == 0 && o->qemu) {
		printf("# for the %s\n", o->qemu->source);
	}

	for (size_t i = 0; i < p->nvms; i++) {
		const struct place_vm_plan *v = &p->vms[i];
		struct qemu_mem_args a = {0};
		AUTOFREE char *text = NULL;
		AUTOFREE char *pins = NULL;
		struct diag d = {0};
		char **argv = NULL;
		size_t argc = 0;
		int r;

		if (!v->choice.placed) {
			printf(strcmp(o->format, "xml") == 0 ? "<!-- %s: not placed -->\n"
							     : "# %s: not placed\n",
			       v->req.name);
			continue;
		}
		if (strcmp(o->format, "proxmox") == 0) {
			text = place_export_proxmox(h, v);
			fputs(text, stdout);
		} else if (strcmp(o->format, "xml") == 0) {
			printf("<!-- %s -->\n", v->req.name);
			if (vm_xml(h, v, o, i, &text, &d) < 0) {
				cli_error("%s: %s", v->req.name, d.msg);
				rc = EXIT_FAILED;
			} else {
				fputs(text, stdout);
			}
		} else if ((r = vm_qemu(h, v, o, i, &a, &argv, &argc, &d)) < 0) {
			cli_error("%s: cannot build QEMU arguments: %s", v->req.name, d.msg);
			/* the target QEMU cannot express it (EDOM): refused, as qemu-args does */
			rc = cli_exit_for(r);
		} else {
			pins = place_export_taskset(v);
			printf("# %s\n", v->req.name);
			for (size_t k = 0; k + 1 < argc; k += 2) {
				AUTOFREE char *q = qemu_shell_quote(argv[k + 1]);

				printf("%s %s%s\n", argv[k], q, k + 2 < argc ? " \\" : "");
			}
			printf("# pins\n%s", pins);
			free_argv(argv, argc);
			qemu_mem_args_release(&a);
		}
	}
	return rc;
}

/* --- JSON --- */

static struct json_object *jstr_list(const struct cpuset *s)
{
	AUTOFREE char *l = cpuset_to_list(s);

	return json_object_new_string(l);
}

static struct json_object *json_cells(const struct place_host *h, const struct place_vm_plan *v)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < v->choice.ncells; i++) {
		const struct place_cell *c = &v->choice.cells[i];
		struct json_object *o = json_object_new_object();
		char vc[32];

		(void)snprintf(vc, sizeof(vc), c->vcpus > 1 ? "%u-%u" : "%u", c->first_vcpu,
			       c->first_vcpu + c->vcpus - 1);
		json_object_object_add(o, "cell", json_object_new_int((int)i));
		json_object_object_add(o, "node", json_object_new_int(h->nodes[c->node_idx].node));
		json_object_object_add(o, "vcpus", json_object_new_string(vc));
		json_object_object_add(o, "mem_kib", json_object_new_int64((int64_t)c->mem_kib));
		json_object_object_add(o, "pages", json_object_new_int64((int64_t)c->pages));
		json_object_object_add(o, "grow_pages",
				       json_object_new_int64((int64_t)c->grow_pages));
		json_object_object_add(o, "cores", json_object_new_int((int)c->cores));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *json_pins(const struct place_vm_plan *v)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	for (unsigned i = 0; i < v->pins.nvcpus; i++)
		json_object_array_add(arr, jstr_list(&v->pins.vcpu[i]));
	json_object_object_add(o, "vcpus", arr);
	json_object_object_add(o, "emulator", jstr_list(&v->pins.emulator));
	json_object_object_add(o, "iothreads",
			       v->req.iothreads ? jstr_list(&v->pins.iothreads) : NULL);
	json_object_object_add(o, "guest_threads", json_object_new_int((int)v->pins.guest_threads));
	json_object_object_add(o, "emulator_on_vcpus",
			       json_object_new_boolean(v->pins.emulator_on_vcpus));
	return o;
}

static struct json_object *json_why(const struct place_vm_plan *v)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < v->nwhy; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "node", json_object_new_int(v->why[i].node));
		json_object_object_add(o, "reason", json_object_new_string(v->why[i].text));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The form asked for with --format, as members of the VM's object; an exit code. */
static int json_form(const struct place_host *h, const struct place_vm_plan *v,
		     const struct plan_outputs *o, size_t i, struct json_object *obj)
{
	struct qemu_mem_args a = {0};
	AUTOFREE char *text = NULL;
	struct diag d = {0};
	char **argv = NULL;
	size_t argc = 0;
	int r;

	if (!o->format || !v->choice.placed || strcmp(o->format, "text") == 0 ||
	    strcmp(o->format, "hugepages") == 0)
		return 0;
	if (strcmp(o->format, "proxmox") == 0) {
		text = place_export_proxmox(h, v);
		json_object_object_add(obj, "proxmox", json_object_new_string(text));
		return EXIT_OK;
	}
	if (strcmp(o->format, "xml") == 0) {
		if (vm_xml(h, v, o, i, &text, &d) < 0) {
			json_object_object_add(obj, "libvirt_xml_error",
					       json_object_new_string(d.msg));
			return EXIT_FAILED;
		}
		json_object_object_add(obj, "libvirt_xml", json_object_new_string(text));
		return EXIT_OK;
	}
	r = vm_qemu(h, v, o, i, &a, &argv, &argc, &d);
	if (r < 0) {
		json_object_object_add(obj, "qemu_error", json_object_new_string(d.msg));
		return cli_exit_for(r); /* EDOM: the target QEMU cannot express it */
	}
	struct json_object *arr = json_object_new_array();

	for (size_t k = 0; k < argc; k++)
		json_object_array_add(arr, json_object_new_string(argv[k]));
	json_object_object_add(obj, "qemu_argv", arr);
	free_argv(argv, argc);
	qemu_mem_args_release(&a);
	return EXIT_OK;
}

static struct json_object *json_vm(const struct place_host *h, const struct place_vm_plan *v)
{
	struct json_object *o = json_object_new_object(), *nodes = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(v->req.name));
	json_object_object_add(o, "vcpus", json_object_new_int((int)v->req.vcpus));
	json_object_object_add(o, "mem_kib", json_object_new_int64((int64_t)v->req.mem_kib));
	json_object_object_add(
		o, "page_kib",
		json_object_new_int64(v->req.page_kib ? (int64_t)v->req.page_kib : 4));
	json_object_object_add(o, "hugepages", json_object_new_boolean(v->req.page_kib != 0));
	json_object_object_add(o, "cells_asked", json_object_new_int((int)v->req.cells));
	json_object_object_add(o, "pin", json_object_new_string(place_pin_name(v->req.pin)));
	json_object_object_add(o, "threads",
			       json_object_new_string(place_threads_name(v->req.threads)));
	json_object_object_add(o, "iothreads", json_object_new_int((int)v->req.iothreads));
	json_object_object_add(o, "placed", json_object_new_boolean(v->choice.placed));
	for (size_t i = 0; i < v->choice.nnodes; i++)
		json_object_array_add(nodes,
				      json_object_new_int(h->nodes[v->choice.nodes[i]].node));
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "distance", json_object_new_int((int)v->choice.distance));
	json_object_object_add(o, "cells", json_cells(h, v));
	json_object_object_add(o, "pins", v->choice.placed ? json_pins(v) : NULL);
	json_object_object_add(o, "why", v->choice.placed ? NULL : json_why(v));
	json_object_object_add(
		o, "fix", v->choice.placed || !v->fix[0] ? NULL : json_object_new_string(v->fix));
	return o;
}

static struct json_object *json_node(const struct place_host *h, const struct place_node_plan *n,
				     size_t idx)
{
	struct json_object *o = json_object_new_object(), *pools = json_object_new_array();

	json_object_object_add(o, "node", json_object_new_int(n->node));
	json_object_object_add(o, "cpus", jstr_list(&h->nodes[idx].cpus));
	json_object_object_add(o, "cores", json_object_new_int((int)n->ncores));
	json_object_object_add(o, "host_cores", json_object_new_int((int)n->host_cores));
	json_object_object_add(o, "free_cores_before", json_object_new_int64(n->free_cores_before));
	json_object_object_add(o, "free_cores_after", json_object_new_int64(n->free_cores_after));
	json_object_object_add(o, "mem_free_kib_before", json_object_new_int64(n->mem_before_kib));
	json_object_object_add(o, "mem_free_kib_after", json_object_new_int64(n->mem_after_kib));
	for (size_t j = 0; j < n->npools; j++) {
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "size_kib",
				       json_object_new_int64((int64_t)n->pools[j].size_kib));
		json_object_object_add(p, "total", json_object_new_int64(n->pools[j].total_pages));
		json_object_object_add(p, "free_before",
				       json_object_new_int64(n->pools[j].free_before));
		json_object_object_add(p, "free_after",
				       json_object_new_int64(n->pools[j].free_after));
		json_object_object_add(p, "grow", json_object_new_int64(n->pools[j].grow_pages));
		json_object_array_add(pools, p);
	}
	json_object_object_add(o, "pools", pools);
	return o;
}

static struct json_object *json_lines(const char *text)
{
	struct json_object *arr = json_object_new_array();

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		json_object_array_add(arr, json_object_new_string_len(p, (int)n));
		p += n + (p[n] == '\n');
	}
	return arr;
}

static struct json_object *json_existing(const struct place_usage *u)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; u && i < u->nvms; i++) {
		const struct place_vm_use *v = &u->vms[i];
		struct json_object *o;

		if (v->replanned)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(v->name));
		json_object_object_add(o, "pid", v->pid ? json_object_new_int(v->pid) : NULL);
		json_object_object_add(o, "defined", json_object_new_boolean(v->defined));
		json_object_object_add(o, "dedicated_cpus", jstr_list(&v->dedicated));
		json_object_array_add(arr, o);
	}
	return arr;
}

static int plan_json(const struct place_host *h, const struct place_plan *p,
		     const struct plan_outputs *o)
{
	struct json_object *root = json_object_new_object();
	struct json_object *vms = json_object_new_array(), *nodes = json_object_new_array();
	struct json_object *notes = json_object_new_array();
	AUTOFREE char *pools = place_export_pool_commands(p);
	int rc = EXIT_OK;

	json_object_object_add(root, "placed", json_object_new_int((int)p->objective.placed));
	json_object_object_add(root, "not_placed",
			       json_object_new_int((int)(p->nvms - p->objective.placed)));
	json_object_object_add(root, "split", json_object_new_int((int)p->objective.split));
	json_object_object_add(root, "distance",
			       json_object_new_int64((int64_t)p->objective.distance));
	json_object_object_add(root, "grow_pools", json_object_new_boolean(p->opts.grow_pools));
	if (o->qemu)
		json_object_object_add(root, "qemu", qemu_target_json(o->qemu));
	for (size_t i = 0; i < p->nvms; i++) {
		struct json_object *v = json_vm(h, &p->vms[i]);

		int f = json_form(h, &p->vms[i], o, i, v);

		rc = f != EXIT_OK ? f : rc;
		json_object_array_add(vms, v);
	}
	json_object_object_add(root, "vms", vms);
	for (size_t i = 0; i < p->nnodes; i++)
		json_object_array_add(nodes, json_node(h, &p->nodes[i], i));
	json_object_object_add(root, "nodes", nodes);
	json_object_object_add(root, "pool_commands", json_lines(pools));
	for (size_t i = 0; i < h->nnotes; i++)
		json_object_array_add(notes, json_object_new_string(h->notes[i]));
	json_object_object_add(root, "notes", notes);
	json_object_object_add(root, "existing", json_existing(o->existing));
	render_json_print(root, stdout);
	return rc;
}

int plan_render(bool json, const struct place_host *h, const struct place_plan *p,
		const struct plan_outputs *o)
{
	AUTOFREE char *pools = NULL;

	if (json)
		return plan_json(h, p, o);
	if (!o->format || strcmp(o->format, "text") == 0) {
		plan_text(h, p, o);
		return EXIT_OK;
	}
	if (strcmp(o->format, "hugepages") == 0) {
		pools = place_export_pool_commands(p);
		fputs(pools[0] ? pools : "# no pool needs to grow for this plan\n", stdout);
		return EXIT_OK;
	}
	return form_text(h, p, o);
}

/* --- capacity --- */

static void capacity_text(const struct place_host *h, const struct place_req *shape,
			  const struct place_capacity *cap)
{
	char a[32], ps[16];

	if (shape)
		printf("shape: %u vCPU%s %s (threads %s), %s of %s pages\n", shape->vcpus,
		       shape->vcpus == 1 ? "" : "s", place_pin_name(shape->pin),
		       place_threads_name(shape->threads),
		       format_size_kib(shape->mem_kib, a, sizeof(a)),
		       page_name(shape->page_kib, ps, sizeof(ps)));
	printf("node  cpus                  free cores  host  memory free   pools free%s\n",
	       shape ? "           fits" : "");
	for (size_t i = 0; i < h->nnodes; i++) {
		const struct place_node *n = &h->nodes[i];
		AUTOFREE char *cpus = list_of(&n->cpus);
		struct sbuf pools = SBUF_INIT;

		for (size_t j = 0; j < n->npools; j++)
			sbuf_addf(&pools, "%s%s %lld", j ? " " : "",
				  format_pagesize(n->pools[j].size_kib, ps, sizeof(ps)),
				  (long long)n->pools[j].free_pages);
		printf("%-5d %-21s %4u/%-6u %-5u %-13s %-*s", n->node, *cpus ? cpus : "-",
		       n->free_cores, n->ncores, n->host_cores,
		       format_size_kib((uint64_t)n->mem_kib, a, sizeof(a)), shape ? 20 : 0,
		       pools.len ? pools.buf : "-");
		if (shape)
			printf(" %u%s%s%s", cap->node_fits[i], cap->why[i][0] ? " (then " : "",
			       cap->why[i], cap->why[i][0] ? ")" : "");
		printf("\n");
		sbuf_release(&pools);
	}
	if (shape)
		printf("the host takes %u more of this shape (%u spanning nodes)\n", cap->total,
		       cap->split);
}

void plan_render_capacity(bool json, const struct place_host *h, const struct place_req *shape,
			  const struct place_capacity *cap)
{
	struct json_object *root, *nodes;

	if (!json) {
		capacity_text(h, shape, cap);
		return;
	}
	root = json_object_new_object();
	nodes = json_object_new_array();
	for (size_t i = 0; i < h->nnodes; i++) {
		const struct place_node *n = &h->nodes[i];
		struct json_object *o = json_object_new_object(), *pools = json_object_new_array();

		json_object_object_add(o, "node", json_object_new_int(n->node));
		json_object_object_add(o, "cpus", jstr_list(&n->cpus));
		json_object_object_add(o, "cores", json_object_new_int((int)n->ncores));
		json_object_object_add(o, "free_cores", json_object_new_int((int)n->free_cores));
		json_object_object_add(o, "host_cores", json_object_new_int((int)n->host_cores));
		json_object_object_add(o, "mem_free_kib", json_object_new_int64(n->mem_kib));
		for (size_t j = 0; j < n->npools; j++) {
			struct json_object *p = json_object_new_object();

			json_object_object_add(
				p, "size_kib",
				json_object_new_int64((int64_t)n->pools[j].size_kib));
			json_object_object_add(p, "free",
					       json_object_new_int64(n->pools[j].free_pages));
			json_object_object_add(p, "total",
					       json_object_new_int64(n->pools[j].total_pages));
			json_object_array_add(pools, p);
		}
		json_object_object_add(o, "pools", pools);
		if (shape) {
			json_object_object_add(o, "fits",
					       json_object_new_int((int)cap->node_fits[i]));
			json_object_object_add(o, "then", json_object_new_string(cap->why[i]));
		}
		json_object_array_add(nodes, o);
	}
	json_object_object_add(root, "nodes", nodes);
	if (shape) {
		json_object_object_add(root, "fits_total", json_object_new_int((int)cap->total));
		json_object_object_add(root, "fits_split", json_object_new_int((int)cap->split));
	}
	render_json_print(root, stdout);
}
