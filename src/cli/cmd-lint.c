/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmtune lint: check a VM's memory configuration against this host. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "cli/vmflags.h"
#include "core/domdev.h"
#include "core/host.h"
#include "core/lint-devices.h"
#include "core/lint.h"
#include "core/model.h"
#include "place/host.h"
#include "place/inventory.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/xalloc.h"

#include "util/banned.h"

static void lint_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] lint [--json] --domain FILE\n"
		"       kvmtune [--root DIR] lint [--json] --mem SIZE [VM options]\n\n"
		"Check a VM's configuration against this host.  Each finding has an id,\n"
		"a severity (error, warning, info), the evidence and the fix.  Memory:\n"
		"hugepages-nodeset-without-cells, locked-without-hard-limit,\n"
		"strict-without-swap, nodeset-missing-node, memory-only-node,\n"
		"page-size-unsupported, page-size-no-mount, not-enough-free-pages,\n"
		"memnode-missing-cell, invalid-domain, placement-auto-without-numad,\n"
		"vcpu-cpuset-missing-cpu, vcpus-away-from-memory, memory-cells-mismatch,\n"
		"vcpupin-missing-cpu, vcpus-pinned-away-from-memory, vcpupin-shared-cpu,\n"
		"dedicated-core-shared, emulator-on-vcpu-core, bound-nodes-too-small.\n"
		"Devices and CPU (--domain only): domain-emulated, cpu-model-not-host,\n"
		"cpu-topology-vcpus, cpu-topology-smt, cpu-topology-pins, cpu-topology-cells,\n"
		"disk-cache, disk-cache-unsafe, disk-cache-writeback, disk-io, disk-emulated,\n"
		"disk-no-iothread, net-emulated, net-no-vhost, net-queues, unused-device.\n"
		"Exit 1 when there is an error finding.\n\n"
		"  --domain FILE          read the VM from a libvirt domain XML\n"
		"  --domains DIR          the host's other domains, for cores shared between VMs\n"
		"                         (below the root; default %s; running QEMUs count too)\n",
		PLACE_DOMAINS_DIR);
	vmflags_usage(out);
}

static void print_text(const struct lint_report *r)
{
	if (!r->count)
		printf("no findings\n");
	for (size_t i = 0; i < r->count; i++) {
		const struct lint_finding *f = &r->findings[i];

		AUTOFREE char *ev = str_escape(f->evidence, 4096);
		AUTOFREE char *fix = str_escape(f->fix, 4096);

		printf("%-8s %s\n         evidence: %s\n         fix: %s\n",
		       lint_severity_name(f->severity), f->id, ev, fix);
	}
}

static void print_json(const struct lint_report *r)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	int errors = 0, warnings = 0;

	for (size_t i = 0; i < r->count; i++) {
		const struct lint_finding *f = &r->findings[i];
		struct json_object *o = json_object_new_object();

		errors += f->severity == LINT_ERROR;
		warnings += f->severity == LINT_WARNING;
		json_object_object_add(o, "id", json_object_new_string(f->id));
		json_object_object_add(o, "severity",
				       json_object_new_string(lint_severity_name(f->severity)));
		json_object_object_add(o, "evidence", json_object_new_string(f->evidence));
		json_object_object_add(o, "fix", json_object_new_string(f->fix));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "findings", arr);
	json_object_object_add(root, "errors", json_object_new_int(errors));
	json_object_object_add(root, "warnings", json_object_new_int(warnings));
	render_json_print(root, stdout);
}

/* A domain libvirt would refuse is itself a finding, not a usage error. */
static void parse_failure(const struct diag *d, const char *path, struct lint_report *r)
{
	bool memnode = strcmp(d->object, "memnode") == 0;
	size_t n = strlen(path);
	const char *msg = d->msg;

	/* the report is about that file: drop the "path: " prefix */
	if (strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
		msg += n + 2;
	lint_add(r, memnode ? "memnode-missing-cell" : "invalid-domain", LINT_ERROR, msg,
		 memnode ? "give <memnode> only for cells of <cpu><numa>, or add the cell"
			 : "correct the element named in the evidence");
}

/* The domain's devices, CPU model and topology; a file libvirt would refuse is a finding. */
static void lint_domain_devices(const char *path, const struct vm_spec *vm,
				const struct host_model *m, struct lint_report *r)
{
	struct vm_devices dv = {0};
	struct diag d = {0};

	if (domdev_parse_file(path, &dv, &d) < 0) {
		parse_failure(&d, path, r);
		return;
	}
	lint_devices(&dv, vm, m, r);
	domdev_release(&dv);
}

/* The other VMs' dedicated CPUs, from the inventory (this VM left out). */
static int load_others(struct host *h, const struct host_model *m, const char *dir,
		       const char *self, struct place_usage *u, struct lint_other **ret,
		       size_t *ret_n, struct diag *d)
{
	const char *replan[1] = {self};
	struct place_inventory_opts io = {dir, false, replan, self ? 1 : 0};
	struct lint_other *o;
	int r = place_inventory_load(h, m, &io, u, NULL, NULL, d);

	if (r < 0)
		return r;
	o = xcalloc(u->nvms + 1, sizeof(*o));
	*ret_n = 0;
	for (size_t i = 0; i < u->nvms; i++) {
		if (u->vms[i].replanned || cpuset_empty(&u->vms[i].dedicated))
			continue;
		o[*ret_n].name = u->vms[i].name;
		o[*ret_n].dedicated = u->vms[i].dedicated; /* borrowed from u */
		(*ret_n)++;
	}
	*ret = o;
	return 0;
}

int cmd_lint(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = {
		{"domains", required_argument, NULL, 'D'},
	};
	struct lint_report report = {0};
	struct lint_opts opts = {0};
	struct place_usage usage = {0};
	struct lint_other *others = NULL;
	const char *domains = NULL;
	struct host_model m = {0};
	struct diag d = {0};
	struct vmflags f;
	bool errors = false;
	struct host *h;
	int r;

	vmflags_init(&f);
	if (vmflags_parse(&f, c, argc, argv, extra, 1, lint_usage, &r)) {
		vmflags_release(&f);
		return r;
	}
	for (size_t i = 0; i < f.nextra; i++)
		if (f.extra[i].opt == 'D')
			domains = f.extra[i].arg;
	r = cli_host(c, &h, &d);
	if (r < 0) {
		vmflags_release(&f);
		return cli_fail(&d, r);
	}
	r = host_model_load(h, &m, &d);
	if (r < 0) {
		/* a host file is unreadable or malformed: not the caller's input */
		host_model_release(&m);
		vmflags_release(&f);
		return cli_fail_host(&d, r);
	}
	if (r == 0) {
		opts.numad_installed = m.numad_pid > 0 || host_exists(h, "/usr/bin/numad") ||
				       host_exists(h, "/usr/sbin/numad");
		r = vmflags_spec(&f, &d);
		/* a file that cannot be read at all (a directory, FIFO, device, too large)
		 * is bad input like a missing one (exit 2); a domain libvirt would refuse
		 * is a finding */
		if (r == -EINVAL && f.domain && strcmp(d.object, "domain") != 0 &&
		    strcmp(d.object, f.domain) != 0) {
			parse_failure(&d, f.domain, &report);
			r = 0;
		} else if (r == 0) {
			r = load_others(h, &m, domains, f.vm.name, &usage, &others, &opts.nothers,
					&d);
			opts.others = others;
			if (r == 0)
				lint_vm(&f.vm, &m, &opts, &report);
			if (r == 0 && f.domain)
				lint_domain_devices(f.domain, &f.vm, &m, &report);
		}
	}
	if (r < 0) {
		free(others);
		place_usage_release(&usage);
		host_model_release(&m);
		vmflags_release(&f);
		return cli_fail(&d, r);
	}
	if (c->json)
		print_json(&report);
	else
		print_text(&report);
	for (size_t i = 0; i < report.count; i++)
		errors = errors || report.findings[i].severity == LINT_ERROR;
	lint_report_release(&report);
	free(others);
	place_usage_release(&usage);
	host_model_release(&m);
	vmflags_release(&f);
	return errors ? EXIT_FAILED : EXIT_OK;
}
