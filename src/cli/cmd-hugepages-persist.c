/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune hugepages persist / mount: write (or show, with --dry-run) the
 * files that make the pools and the hugetlbfs mounts survive a reboot.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd-hugepages.h"
#include "cli/render.h"
#include "core/file-plan.h"
#include "core/hugepages-persist.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

#ifndef KVMTUNE_BINDIR
#define KVMTUNE_BINDIR "/usr/local/bin"
#endif

static void persist_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune hugepages persist [SIZE=COUNT...] [--node N[,M]] [--group "
		"NAME|GID]\n"
		"                                 [--dry-run] [--json]\n"
		"       kvmtune hugepages mount [--group NAME|GID] [--dry-run] [--json]\n\n"
		"persist: make the current pools (or SIZE=COUNT, per --node) survive a reboot:\n"
		"  %s (vm.nr_hugepages, vm.nr_overcommit_hugepages,\n"
		"  vm.hugetlb_shm_group = the group QEMU runs as, default kvm); for per-node and\n"
		"  1 GiB pools the kernel command line (%s) and a\n"
		"  oneshot unit %s that sets them early at boot.\n"
		"mount: one hugetlbfs mount per page size in use, mode 01770 and the QEMU group:\n"
		"  a drop-in for dev-hugepages.mount and dev-hugepagesXX.mount units for other\n"
		"  sizes; warns about mounts and unit files with the 'mode=1770' -> 1352 trap.\n"
		"Files are replaced atomically; --dry-run shows them and writes nothing.\n",
		HP_SYSCTL_FILE, HP_GRUB_FILE, HP_UNIT_FILE);
}

/* Parse the options; true to stop with *ret_exit (help, bad usage). */
static bool parse_opts(struct cli *c, int argc, char **argv, bool persist, struct hp_request *req,
		       const char **ret_group, int *ret_exit)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'}, {"group", required_argument, NULL, 'g'},
		{"dry-run", no_argument, NULL, 'n'},	{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},	{NULL, 0, NULL, 0},
	};
	struct diag d = {0};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'N':
			if (!persist || hp_request_set_nodes(req, optarg, &d) < 0) {
				cli_error("%s",
					  persist ? d.msg : "hugepages mount takes no --node");
				*ret_exit = EXIT_USAGE;
				return true;
			}
			break;
		case 'g':
			*ret_group = optarg;
			break;
		case 'n':
			c->dry_run = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			persist_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		default:
			persist_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (!persist || hp_request_add(req, argv[i], &d) < 0) {
			cli_error("%s", persist ? d.msg : "hugepages mount takes no arguments");
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	if (req->nnodes && !req->nasks) {
		cli_error("hugepages persist: --node needs SIZE=COUNT");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

static const char *file_status(const struct file_change *f)
{
	if (!f->old_content)
		return "new";
	return file_change_needed(f) ? "changed" : "unchanged";
}

static void report(struct cli *c, const struct file_plan *p, const char *cmdline, char **findings,
		   const char *next)
{
	if (c->json) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();

		json_object_object_add(o, "dry_run", json_object_new_boolean(c->dry_run));
		for (size_t i = 0; i < p->n; i++) {
			struct json_object *e = json_object_new_object();

			json_object_object_add(e, "path", json_object_new_string(p->v[i].path));
			json_object_object_add(e, "status",
					       json_object_new_string(file_status(&p->v[i])));
			json_object_object_add(e, "reason", json_object_new_string(p->v[i].reason));
			json_object_object_add(e, "content",
					       json_object_new_string(p->v[i].new_content));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "files", a);
		if (cmdline)
			json_object_object_add(o, "kernel_cmdline",
					       json_object_new_string(cmdline));
		a = json_object_new_array();
		for (size_t i = 0; findings && findings[i]; i++)
			json_object_array_add(a, json_object_new_string(findings[i]));
		json_object_object_add(o, "warnings", a);
		render_json_print(o, stdout);
		return;
	}
	printf("%s\n", c->dry_run ? "plan (dry run: nothing changed):" : "files:");
	for (size_t i = 0; i < p->n; i++) {
		printf("== %s (%s): %s\n", p->v[i].path, file_status(&p->v[i]), p->v[i].reason);
		if (c->dry_run || file_change_needed(&p->v[i]))
			fputs(p->v[i].new_content, stdout);
	}
	if (cmdline)
		printf("kernel command line to add: %s\n", cmdline[0] ? cmdline : "(none needed)");
	for (size_t i = 0; findings && findings[i]; i++)
		printf("warning: %s\n", findings[i]);
	printf("%s: %s\n", c->dry_run ? "then" : "next", next);
}

static int write_plan(struct cli *c, struct host *h, struct file_plan *p)
{
	struct diag d = {0};
	int r;

	if (c->dry_run)
		return EXIT_OK;
	r = file_plan_apply(h, p, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		cli_error("no file was changed (the ones written were restored)");
		return EXIT_PARTIAL;
	}
	return EXIT_OK;
}

static void free_findings(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int run(struct cli *c, bool persist, struct hp_request *req, const char *group)
{
	struct host_model m = {0};
	struct file_plan p = {0};
	struct hp_wants w = {0};
	struct hp_mem mem = {0};
	struct diag d = {0};
	char cmdline[512] = "", **findings = NULL;
	struct host *h;
	long gid;
	int r, rc;

	rc = hp_cli_load_model(c, &h, &m);
	if (rc != EXIT_OK)
		return rc;
	r = hugepages_group_gid(h, group, &gid, &d);
	if (r >= 0 && persist)
		r = hugepages_wants(&m, req, &w, &d);
	if (r >= 0 && persist)
		r = hugepages_mem_load(h, &m, &mem, &d);
	if (r >= 0 && persist)
		r = hugepages_persist_guard(&mem, &w, req->keep_free_kib, &d);
	hugepages_mem_release(&mem);
	if (r < 0) {
		hp_wants_release(&w);
		host_model_release(&m);
		return cli_fail(&d, r);
	}
	if (persist) {
		hugepages_persist_files(&m, &w, gid, KVMTUNE_BINDIR "/kvmtune", &p);
		hugepages_cmdline(&m, &w, cmdline, sizeof(cmdline));
	} else {
		uint64_t *sizes = xcalloc(m.npools + 1, sizeof(*sizes));
		size_t n = 0;

		for (size_t i = 0; i < m.npools; i++)
			if (m.pools[i].total > 0 || m.pools[i].size_kib == m.default_hugepage_kib)
				sizes[n++] = m.pools[i].size_kib;
		hugepages_mount_files(&m, sizes, n, gid, &p);
		(void)hugepages_mount_findings(h, &m, gid, &findings);
		free(sizes);
	}
	r = file_plan_load_old(h, &p, &d);
	if (r < 0) {
		rc = cli_fail(&d, r);
	} else {
		rc = write_plan(c, h, &p);
		report(c, &p, persist ? cmdline : NULL, findings,
		       persist ? (cmdline[0] ? "run update-grub, and 'systemctl enable "
					       "kvmtune-hugepages.service' if the unit was written"
					     : "'sysctl --system' applies the sysctl file now")
			       : "'systemctl daemon-reload', then restart dev-hugepages.mount and "
				 "enable the other mount units");
	}
	free_findings(findings);
	file_plan_release(&p);
	hp_wants_release(&w);
	host_model_release(&m);
	return rc;
}

static int cmd_persist_or_mount(struct cli *c, int argc, char **argv, bool persist)
{
	struct hp_request req = HP_REQUEST_INIT;
	const char *group = "kvm";
	int rc;

	if (!parse_opts(c, argc, argv, persist, &req, &group, &rc))
		rc = run(c, persist, &req, group);
	hp_request_release(&req);
	return rc;
}

int cmd_hugepages_persist(struct cli *c, int argc, char **argv)
{
	return cmd_persist_or_mount(c, argc, argv, true);
}

int cmd_hugepages_mount(struct cli *c, int argc, char **argv)
{
	return cmd_persist_or_mount(c, argc, argv, false);
}
