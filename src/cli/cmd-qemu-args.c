/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune qemu-args: a VM's memory as QEMU arguments, from flags or from a
 * libvirt domain XML, for the host read through --root.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/qemu-target.h"
#include "cli/render.h"
#include "cli/vmflags.h"
#include "core/model.h"
#include "core/qemu-args.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"

#include "util/banned.h"

static void qemu_args_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] qemu-args [--json] --domain FILE\n"
		"       kvmtune [--root DIR] qemu-args [--json] --mem SIZE [VM options]\n\n"
		"Print the memory-related QEMU arguments for a VM on this host: -m, one\n"
		"memory-backend object per guest NUMA cell (or one for the whole VM with\n"
		"-machine memory-backend=), host-nodes and policy, prealloc, -numa node/dist,\n"
		"-overcommit mem-lock=on.  Never -mem-path where QEMU has -machine\n"
		"memory-backend=: -mem-path cannot carry a NUMA policy.  Only what the target\n"
		"QEMU accepts, by libvirt's rules: key=value -object before 6.0, no\n"
		"thread-context before 7.2, no prealloc-threads before 5.0, before 5.2 a VM\n"
		"without guest cells gets -mem-path/-mem-prealloc, or is refused when that\n"
		"would lose its policy.\n"
		"Text output is one option per line with a trailing '\\', ready to paste after\n"
		"'qemu-system-x86_64 \\'; --json gives the argument vector and the backends.\n\n"
		"  --domain FILE          read the VM from a libvirt domain XML\n"
		"  --file-dir DIR         directory for non-hugepage file backends (/dev/shm)\n"
		"  --hugetlbfs DIR        use this hugetlbfs mount (default: the first one of the\n"
		"                         page size in /proc/mounts)\n"
		"  --qemu BINARY          the QEMU the arguments are for (its --version is read;\n"
		"                         default: qemu-system-x86_64 in PATH, else the newest)\n"
		"  --qemu-version X.Y     the QEMU version instead of asking a binary\n");
	vmflags_usage(out);
}

static struct json_object *backend_json(const struct qbackend *b)
{
	struct json_object *o = json_object_new_object();
	AUTOFREE char *nodes = cpuset_to_list(&b->host_nodes);

	json_object_object_add(o, "id", json_object_new_string(b->id));
	json_object_object_add(o, "cell", b->cell < 0 ? NULL : json_object_new_int(b->cell));
	json_object_object_add(o, "type", json_object_new_string(b->type));
	json_object_object_add(o, "size_kib", json_object_new_int64((int64_t)b->size_kib));
	json_object_object_add(o, "page_kib",
			       json_object_new_int64(b->page_kib ? (int64_t)b->page_kib : 4));
	json_object_object_add(o, "hugepages", json_object_new_boolean(b->page_kib != 0));
	json_object_object_add(o, "mem_path",
			       b->mem_path ? json_object_new_string(b->mem_path) : NULL);
	json_object_object_add(o, "policy",
			       cpuset_empty(&b->host_nodes)
				       ? NULL
				       : json_object_new_string(vm_policy_name(b->policy)));
	json_object_object_add(o, "host_nodes",
			       cpuset_empty(&b->host_nodes) ? NULL : json_object_new_string(nodes));
	json_object_object_add(o, "prealloc", json_object_new_boolean(b->prealloc));
	return o;
}

static void print_json(const struct qemu_mem_args *a, const struct qemu_target *t)
{
	struct json_object *root = json_object_new_object();
	struct json_object *argv = json_object_new_array();
	struct json_object *backends = json_object_new_array();

	for (size_t i = 0; i < a->argc; i++)
		json_object_array_add(argv, json_object_new_string(a->argv[i]));
	for (size_t i = 0; i < a->nbackends; i++)
		json_object_array_add(backends, backend_json(&a->backends[i]));
	json_object_object_add(root, "mem_kib", json_object_new_int64((int64_t)a->mem_kib));
	json_object_object_add(root, "qemu", qemu_target_json(t));
	json_object_object_add(root, "argv", argv);
	json_object_object_add(root, "backends", backends);
	render_json_print(root, stdout);
}

/* One option per line, with its value when it has one (values never start with '-'). */
static void print_text(const struct qemu_mem_args *a)
{
	for (size_t i = 0; i < a->argc;) {
		bool value = i + 1 < a->argc && a->argv[i + 1][0] != '-';
		AUTOFREE char *v = value ? qemu_shell_quote(a->argv[i + 1]) : NULL;

		i += value ? 2 : 1;
		printf("%s%s%s%s\n", a->argv[i - (value ? 2 : 1)], v ? " " : "", v ? v : "",
		       i < a->argc ? " \\" : "");
	}
}

int cmd_qemu_args(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = {
		{"file-dir", required_argument, NULL, 'F'},
		{"hugetlbfs", required_argument, NULL, 'H'},
		{"qemu", required_argument, NULL, 'Q'},
		{"qemu-version", required_argument, NULL, 'V'},
	};
	const char *qemu = NULL, *qemu_version = NULL;
	struct qemu_target t;
	struct vmflags f;
	struct qemu_args_opts opts = {0};
	struct qemu_mem_args a = {0};
	struct host_model m = {0};
	struct diag d = {0};
	struct host *h;
	int r;

	vmflags_init(&f);
	if (vmflags_parse(&f, c, argc, argv, extra, 4, qemu_args_usage, &r)) {
		vmflags_release(&f);
		return r;
	}
	for (size_t i = 0; i < f.nextra; i++)
		if (f.extra[i].opt == 'F')
			opts.file_dir = f.extra[i].arg;
		else if (f.extra[i].opt == 'H')
			opts.hugetlbfs_dir = f.extra[i].arg;
		else if (f.extra[i].opt == 'Q')
			qemu = f.extra[i].arg;
		else if (f.extra[i].opt == 'V')
			qemu_version = f.extra[i].arg;
	if (qemu && qemu_version) {
		cli_error("qemu-args: --qemu and --qemu-version exclude each other");
		vmflags_release(&f);
		return EXIT_USAGE;
	}
	r = qemu_target_resolve(qemu, qemu_version, &t);
	if (r != EXIT_OK) {
		vmflags_release(&f);
		return r;
	}
	opts.caps = &t.caps;
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
	if (r == 0)
		r = vmflags_spec(&f, &d);
	if (r == 0)
		r = qemu_args_build(&f.vm, &m, &opts, &a, &d);
	if (r < 0) {
		host_model_release(&m);
		vmflags_release(&f);
		return cli_fail(&d, r);
	}
	if (c->json)
		print_json(&a, &t);
	else
		print_text(&a);
	qemu_mem_args_release(&a);
	host_model_release(&m);
	vmflags_release(&f);
	return EXIT_OK;
}
