/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune hugepages persist / mount: write (or show, with --dry-run) the
 * files that make the pools and the hugetlbfs mounts survive a reboot.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd-hugepages.h"
#include "cli/render.h"
#include "core/file-plan.h"
#include "core/host.h"
#include "core/hugepages-cmdline.h"
#include "core/hugepages-persist.h"
#include "core/hugepages-plan.h"
#include "core/hugepages-verify.h"
#include "core/journal.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
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
		"       kvmtune hugepages persist --verify [--json]\n"
		"       kvmtune hugepages mount [--group NAME|GID] [--dry-run] [--json]\n\n"
		"persist: make the current pools (or SIZE=COUNT, per --node) survive a reboot:\n"
		"  %s (vm.nr_hugepages, vm.nr_overcommit_hugepages,\n"
		"  vm.hugetlb_shm_group = the group QEMU runs as, default kvm); for per-node and\n"
		"  1 GiB pools the kernel command line (%s) and a\n"
		"  oneshot unit %s that sets them early at boot.\n"
		"  The command line is merged with what grub's files and /proc/cmdline already\n"
		"  say (one hugepagesz= per size), uses hugepages=N:count per node only on\n"
		"  kernels that read it (5.16 and later), and is refused when the next boot's\n"
		"  command line would pass the kernel's %d bytes.\n"
		"--verify: after a reboot, compare the pools these files ask for with the\n"
		"  running pools per node and size, naming the boot parameter, sysctl or unit\n"
		"  that did not take (exit 1 when one did not, or nothing was persisted).\n"
		"mount: one hugetlbfs mount per page size in use, mode 01770, the QEMU group,\n"
		"  nosuid and nodev: a drop-in for dev-hugepages.mount and dev-hugepagesXX.mount\n"
		"  units for other sizes; warns about mounts showing mode 1352 and unit files\n"
		"  with a 4-digit mode lacking its leading 0.\n"
		"Files are replaced atomically; --dry-run shows them and writes nothing.\n\n"
		"  SIZE=COUNT        pages to keep, e.g. 2M=512 1G=8 (default: the pools now)\n"
		"  --node N[,M]      the count is per listed node (default: host-wide)\n"
		"  --group NAME|GID  the group QEMU runs as (default kvm)\n"
		"  --verify          check that the persisted pools took after a reboot\n"
		"  --dry-run         show the files, write nothing\n"
		"  --json            machine-readable output\n",
		HP_SYSCTL_FILE, HP_GRUB_FILE, HP_UNIT_FILE, HP_CMDLINE_MAX_LEN + 1);
}

/* Parse the options; true to stop with *ret_exit (help, bad usage). */
static bool parse_opts(struct cli *c, int argc, char **argv, bool persist, struct hp_request *req,
		       const char **ret_group, bool *ret_verify, int *ret_exit)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'},
		{"group", required_argument, NULL, 'g'},
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"verify", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
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
		case 'V':
			if (!persist) {
				cli_error("hugepages mount takes no --verify");
				*ret_exit = EXIT_USAGE;
				return true;
			}
			*ret_verify = true;
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
	if (*ret_verify && (req->nasks || c->dry_run)) {
		cli_error("hugepages persist --verify checks what was persisted: it takes no "
			  "SIZE=COUNT, --node or --dry-run");
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
		   char **notes, const char *next, unsigned long long id)
{
	if (c->json) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();

		json_object_object_add(o, "dry_run", json_object_new_boolean(c->dry_run));
		json_object_object_add(o, "journal_id",
				       id ? json_object_new_int64((int64_t)id) : NULL);
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
		if (cmdline) {
			a = json_object_new_array();
			for (size_t i = 0; notes && notes[i]; i++)
				json_object_array_add(a, json_object_new_string(notes[i]));
			json_object_object_add(o, "notes", a);
		}
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
	/* notes and warnings quote mount paths and group names from the host */
	for (size_t i = 0; notes && notes[i]; i++) {
		AUTOFREE char *safe = str_term_safe(notes[i]);

		printf("note: %s\n", safe);
	}
	for (size_t i = 0; findings && findings[i]; i++) {
		AUTOFREE char *safe = str_term_safe(findings[i]);

		printf("warning: %s\n", safe);
	}
	printf("%s: %s\n", c->dry_run ? "then" : "next", next);
	if (id)
		printf("journal entry %llu: 'kvmtune undo %llu' reverts it\n", id, id);
}

static int write_plan(struct cli *c, struct host *h, struct file_plan *p,
		      unsigned long long *ret_id)
{
	struct journal_entry je;
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
	journal_entry_init(&je, c->cmdline);
	journal_add_file_plan(&je, p);
	r = hp_cli_record(c, h, &je, ret_id);
	journal_entry_release(&je);
	if (r < 0) {
		file_plan_rollback(h, p);
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

/* The persist files and command line for req (or the pools now). */
static int plan_persist(struct host *h, const struct host_model *m, const struct hp_request *req,
			long gid, struct file_plan *p, struct hp_cmdline *cl, struct diag *d)
{
	struct hp_wants w = {0};
	struct hp_mem mem = {0};
	struct hp_grub g = {0};
	AUTOFREE char *proc = NULL;
	int r;

	r = hugepages_wants(m, req, &w, d);
	if (r >= 0)
		r = hugepages_mem_load(h, m, &mem, d);
	if (r >= 0)
		r = hugepages_persist_guard(&mem, &w, req->keep_free_kib, d);
	hugepages_mem_release(&mem);
	if (r >= 0)
		r = hp_grub_load(h, HP_GRUB_FILE, &g, d);
	if (r >= 0) {
		(void)host_read(h, "/proc/cmdline", &proc, NULL, NULL);
		r = hp_cmdline_build(m, &w, &g, proc, cl, d);
	}
	if (r >= 0)
		hugepages_persist_files(m, &w, gid, KVMTUNE_BINDIR "/kvmtune", cl, p);
	hp_grub_release(&g);
	hp_wants_release(&w);
	return r;
}

static int run(struct cli *c, bool persist, struct hp_request *req, const char *group)
{
	struct host_model m = {0};
	struct file_plan p = {0};
	struct hp_cmdline cl = {0};
	struct diag d = {0};
	char **findings = NULL;
	unsigned long long id = 0;
	struct host *h;
	long gid;
	int r, rc;

	rc = hp_cli_load_model(c, &h, &m);
	if (rc != EXIT_OK)
		return rc;
	r = hugepages_group_gid(h, group, &gid, &d);
	if (r >= 0 && persist)
		r = plan_persist(h, &m, req, gid, &p, &cl, &d);
	if (r < 0) {
		file_plan_release(&p);
		hp_cmdline_release(&cl);
		host_model_release(&m);
		return cli_fail(&d, r);
	}
	if (!persist) {
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
		rc = write_plan(c, h, &p, &id);
		report(c, &p, persist ? cl.words.buf : NULL, findings, cl.notes,
		       persist ? (cl.words.len
					  ? "run update-grub, and 'systemctl enable "
					    "kvmtune-hugepages.service' if the unit was written; "
					    "after the reboot 'kvmtune hugepages persist --verify'"
					  : "'sysctl --system' applies the sysctl file now")
			       : "'systemctl daemon-reload', then restart dev-hugepages.mount and "
				 "enable the other mount units",
		       id);
	}
	free_findings(findings);
	file_plan_release(&p);
	hp_cmdline_release(&cl);
	host_model_release(&m);
	return rc;
}

static const char *source_names(unsigned sources, char *buf, size_t n)
{
	(void)snprintf(buf, n, "%s%s%s%s%s", sources & HP_VERIFY_SYSCTL ? "sysctl" : "",
		       (sources & HP_VERIFY_SYSCTL) && (sources & ~HP_VERIFY_SYSCTL) ? "," : "",
		       sources & HP_VERIFY_CMDLINE ? "cmdline" : "",
		       (sources & HP_VERIFY_CMDLINE) && (sources & HP_VERIFY_UNIT) ? "," : "",
		       sources & HP_VERIFY_UNIT ? "unit" : "");
	return buf;
}

static void verify_report(struct cli *c, const struct hp_verify *v)
{
	char ps[16], src[32], node[16];

	if (c->json) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (size_t i = 0; i < v->n; i++) {
			const struct hp_verify_item *it = &v->v[i];
			struct json_object *e = json_object_new_object();

			json_object_object_add(
				e, "node", it->node >= 0 ? json_object_new_int(it->node) : NULL);
			json_object_object_add(e, "size_kb",
					       json_object_new_int64((int64_t)it->size_kib));
			json_object_object_add(e, "persisted",
					       json_object_new_int64(it->persisted));
			json_object_object_add(e, "running", render_opt_int(it->running));
			json_object_object_add(e, "set_by",
					       json_object_new_string(source_names(it->sources, src,
										   sizeof(src))));
			json_object_object_add(e, "ok", json_object_new_boolean(it->ok));
			json_object_object_add(e, "problem",
					       it->ok ? NULL : json_object_new_string(it->problem));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "pools", a);
		json_object_object_add(o, "kernel_cmdline", render_opt_string(v->cmdline_words));
		json_object_object_add(o, "booted_with_cmdline",
				       v->cmdline_words[0]
					       ? json_object_new_boolean(!v->cmdline_not_booted)
					       : NULL);
		json_object_object_add(o, "failures",
				       json_object_new_int64((int64_t)hp_verify_failures(v)));
		render_json_print(o, stdout);
		return;
	}
	printf("%-6s %-5s %9s %9s  %-19s %s\n", "node", "size", "persisted", "running", "set by",
	       "status");
	for (size_t i = 0; i < v->n; i++) {
		const struct hp_verify_item *it = &v->v[i];
		char run[24];

		if (it->node >= 0)
			(void)snprintf(node, sizeof(node), "%d", it->node);
		else
			(void)snprintf(node, sizeof(node), "all");
		printf("%-6s %-5s %9" PRId64 " %9s  %-19s %s\n", node,
		       format_pagesize(it->size_kib, ps, sizeof(ps)), it->persisted,
		       render_count(it->running, run, sizeof(run)),
		       source_names(it->sources, src, sizeof(src)), it->ok ? "took" : "short");
	}
	for (size_t i = 0; i < v->n; i++)
		if (!v->v[i].ok)
			printf("problem: %s\n", v->v[i].problem);
	if (!v->n)
		printf("nothing persisted: no pools in %s, %s or %s\n", HP_SYSCTL_FILE,
		       HP_GRUB_FILE, HP_UNIT_FILE);
	else if (!hp_verify_failures(v))
		printf("every persisted pool took\n");
}

static int run_verify(struct cli *c)
{
	struct host_model m = {0};
	struct hp_verify v = {0};
	struct diag d = {0};
	struct host *h;
	int r, rc;

	rc = hp_cli_load_model(c, &h, &m);
	if (rc != EXIT_OK)
		return rc;
	r = hugepages_persist_verify(h, &m, &v, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		host_model_release(&m);
		return EXIT_FAILED;
	}
	verify_report(c, &v);
	rc = v.n && !hp_verify_failures(&v) ? EXIT_OK : EXIT_FAILED;
	hp_verify_release(&v);
	host_model_release(&m);
	return rc;
}

static int cmd_persist_or_mount(struct cli *c, int argc, char **argv, bool persist)
{
	struct hp_request req = HP_REQUEST_INIT;
	const char *group = "kvm";
	bool verify = false;
	int rc;

	if (!parse_opts(c, argc, argv, persist, &req, &group, &verify, &rc))
		rc = verify ? run_verify(c) : run(c, persist, &req, group);
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
