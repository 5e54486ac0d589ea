/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmtune check: validate the host for hugepage- and NUMA-tuned VMs. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "core/check.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"

#include "util/banned.h"

static void check_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] check [--json]\n\n"
		"Validate the host for VMs with hugepage-backed, NUMA-local memory: CPU and\n"
		"kernel support per page size, hugetlbfs mounts and their permissions for\n"
		"QEMU's user (from /etc/libvirt/qemu.conf), vm.hugetlb_shm_group, the pools\n"
		"against what the libvirt domains in /etc/libvirt/qemu ask for, THP, KSM,\n"
		"numad with numa_balancing, swap with strict placement, and whether the\n"
		"pools 'kvmtune hugepages persist' wrote took at boot.\n\n"
		"Every finding has an id, a severity (error, warning, info), the evidence and\n"
		"the fix, naming kvmtune's own command where one does it.  What could not be\n"
		"checked (QEMU's user unknown, no kernel config, no domains...) is listed as\n"
		"'not checked' with the reason.\n\n"
		"  --json   machine-readable output\n\n"
		"Exit codes: 0 no errors, 1 errors found (or a host file kvmtune needs is\n"
		"unreadable or malformed), 2 bad usage.\n");
}

static void print_indented(const char *label, const char *raw)
{
	AUTOFREE char *text = str_term_safe(raw);
	const char *p = text;

	printf("    %s ", label);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		printf("%.*s\n", (int)len, p);
		p += len;
		if (*p == '\n') {
			p++;
			printf("    %*s ", (int)strlen(label), "");
		}
	}
}

static void render_findings_text(const struct findings *f)
{
	static const char *const titles[] = {"errors", "warnings", "info", "not checked"};

	for (int sev = CHECK_ERROR; sev <= CHECK_NOT_CHECKED; sev++) {
		if (!findings_count(f, sev))
			continue;
		printf("%s:\n", titles[sev]);
		for (size_t i = 0; i < f->n; i++) {
			const struct finding *fd = &f->items[i];

			if ((int)fd->severity != sev)
				continue;
			AUTOFREE char *msg = str_term_safe(fd->message);

			printf("  [%s] %s\n", fd->id, msg);
			for (size_t j = 0; j < fd->nevidence; j++) {
				render_evidence_text("    ", fd->evidence[j].file,
						     fd->evidence[j].value);
			}
			if (fd->fix)
				print_indented("fix:", fd->fix);
		}
	}
	printf("%zu error%s, %zu warning%s, %zu info, %zu not checked\n",
	       findings_count(f, CHECK_ERROR), findings_count(f, CHECK_ERROR) == 1 ? "" : "s",
	       findings_count(f, CHECK_WARNING), findings_count(f, CHECK_WARNING) == 1 ? "" : "s",
	       findings_count(f, CHECK_INFO), findings_count(f, CHECK_NOT_CHECKED));
}

static struct json_object *render_findings_json(const struct findings *f)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < f->n; i++) {
		const struct finding *fd = &f->items[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(fd->id));
		json_object_object_add(o, "severity",
				       json_object_new_string(check_severity_name(fd->severity)));
		json_object_object_add(o, "message", json_object_new_string(fd->message));
		render_finding_tail(o, fd);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "findings", arr);
	json_object_object_add(root, "errors",
			       json_object_new_int64((int64_t)findings_count(f, CHECK_ERROR)));
	json_object_object_add(root, "warnings",
			       json_object_new_int64((int64_t)findings_count(f, CHECK_WARNING)));
	json_object_object_add(root, "info",
			       json_object_new_int64((int64_t)findings_count(f, CHECK_INFO)));
	json_object_object_add(
		root, "not_checked",
		json_object_new_int64((int64_t)findings_count(f, CHECK_NOT_CHECKED)));
	return root;
}

int cmd_check(struct cli *c, int argc, char **argv)
{
	struct findings f = {0};
	struct diag d = {0};
	struct host *h;
	int r;

	if (cli_simple_options(c, "check", argc, argv, check_usage, &r))
		return r;
	r = cli_host(c, &h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	r = check_run(h, &f, &d);
	if (r < 0) {
		findings_release(&f);
		return cli_fail_host(&d, r);
	}
	if (c->json)
		render_json_print(render_findings_json(&f), stdout);
	else if (f.n)
		render_findings_text(&f);
	else
		printf("no problems found: every check ran\n");
	r = findings_count(&f, CHECK_ERROR) ? EXIT_FAILED : EXIT_OK;
	findings_release(&f);
	return r;
}
