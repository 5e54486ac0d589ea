/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM description options (--domain or --mem/--cells/...) → struct vm_spec. */
#include "cli/vmflags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/cpuset.h"
#include "core/domxml.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

enum {
	OPT_DOMAIN = 256,
	OPT_MEM,
	OPT_PAGE,
	OPT_CELLS,
	OPT_HOST_NODES,
	OPT_POLICY,
	OPT_PLACEMENT,
	OPT_SOURCE,
	OPT_NAME,
	OPT_PREALLOC_THREADS,
	OPT_LOCKED,
	OPT_SHARED,
	OPT_PRIVATE,
	OPT_PREALLOC,
	OPT_NOSHAREPAGES,
	OPT_JSON,
	OPT_HELP,
};

static const struct option vm_options[] = {
	{"domain", required_argument, NULL, OPT_DOMAIN},
	{"mem", required_argument, NULL, OPT_MEM},
	{"page", required_argument, NULL, OPT_PAGE},
	{"cells", required_argument, NULL, OPT_CELLS},
	{"host-nodes", required_argument, NULL, OPT_HOST_NODES},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"placement", required_argument, NULL, OPT_PLACEMENT},
	{"source", required_argument, NULL, OPT_SOURCE},
	{"name", required_argument, NULL, OPT_NAME},
	{"prealloc-threads", required_argument, NULL, OPT_PREALLOC_THREADS},
	{"locked", no_argument, NULL, OPT_LOCKED},
	{"shared", no_argument, NULL, OPT_SHARED},
	{"private", no_argument, NULL, OPT_PRIVATE},
	{"prealloc", no_argument, NULL, OPT_PREALLOC},
	{"nosharepages", no_argument, NULL, OPT_NOSHAREPAGES},
	{"json", no_argument, NULL, OPT_JSON},
	{"help", no_argument, NULL, OPT_HELP},
};

#define NVM_OPTIONS (sizeof(vm_options) / sizeof(vm_options[0]))

void vmflags_usage(FILE *out)
{
	fprintf(out,
		"\nVM options (instead of --domain):\n"
		"  --mem SIZE             guest memory (4G, 2048M); default: the sum of --cells\n"
		"  --page SIZE            page size: 2M, 1G, 'default' (the host's default\n"
		"                         hugepage size) or 'none'; default none\n"
		"  --cells LIST           guest NUMA cells ID:SIZE:CPUS[:HOSTNODES],...\n"
		"                         e.g. 0:2G:0-1,1:2G:2-3 (HOSTNODES binds that cell)\n"
		"  --host-nodes LIST      host NUMA nodes for the memory (0-1)\n"
		"  --policy P             bind, preferred, interleave or restrictive (default "
		"bind)\n"
		"  --placement P          static (default) or auto (all host nodes with memory)\n"
		"  --source S             ram, file or memfd\n"
		"  --shared | --private   map the memory shared (vhost-user) or private\n"
		"  --locked               lock guest memory (-overcommit mem-lock=on)\n"
		"  --prealloc             allocate all memory at start-up (on with hugepages)\n"
		"  --prealloc-threads N   threads for preallocation\n"
		"  --nosharepages         no KSM merging (-machine mem-merge=off)\n"
		"  --name NAME            the VM's name\n");
}

void vmflags_init(struct vmflags *f)
{
	memset(f, 0, sizeof(*f));
	vm_spec_init(&f->vm);
}

void vmflags_release(struct vmflags *f)
{
	vm_spec_release(&f->vm);
}

/* Take one VM option; false when opt is not one of them. */
static bool handle_vm_option(struct vmflags *f, struct cli *c, int opt)
{
	switch (opt) {
	case OPT_DOMAIN:
		f->domain = optarg;
		break;
	case OPT_MEM:
		f->mem = optarg;
		break;
	case OPT_PAGE:
		f->page = optarg;
		break;
	case OPT_CELLS:
		f->cells = optarg;
		break;
	case OPT_HOST_NODES:
		f->host_nodes = optarg;
		break;
	case OPT_POLICY:
		f->policy = optarg;
		break;
	case OPT_PLACEMENT:
		f->placement = optarg;
		break;
	case OPT_SOURCE:
		f->source = optarg;
		break;
	case OPT_NAME:
		f->name = optarg;
		break;
	case OPT_PREALLOC_THREADS:
		f->prealloc_threads = optarg;
		break;
	case OPT_LOCKED:
		f->locked = true;
		break;
	case OPT_SHARED:
		f->shared = true;
		break;
	case OPT_PRIVATE:
		f->private_ = true;
		break;
	case OPT_PREALLOC:
		f->prealloc = true;
		break;
	case OPT_NOSHAREPAGES:
		f->nosharepages = true;
		break;
	case OPT_JSON:
		c->json = true;
		break;
	default:
		return false;
	}
	return true;
}

bool vmflags_parse(struct vmflags *f, struct cli *c, int argc, char **argv,
		   const struct option *extra, size_t nextra, void (*usage)(FILE *out),
		   int *ret_exit)
{
	AUTOFREE struct option *opts = xcalloc(NVM_OPTIONS + nextra + 1, sizeof(*opts));
	int opt;

	memcpy(opts, vm_options, sizeof(vm_options));
	if (nextra)
		memcpy(opts + NVM_OPTIONS, extra, nextra * sizeof(*extra));
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		}
		if (handle_vm_option(f, c, opt))
			continue;
		if (opt != '?' && opt < 256 && f->nextra < VMFLAGS_MAX_EXTRA) {
			f->extra[f->nextra].opt = opt;
			f->extra[f->nextra++].arg = optarg;
			continue;
		}
		usage(stderr);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (optind < argc) {
		cli_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (f->domain && !f->domain_target && vmflags_have_vm_options(f)) {
		cli_error("%s: --domain and VM options (--mem, --page, ...) exclude each other",
			  argv[0]);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (!f->domain && !f->mem && !f->cells) {
		cli_error("%s: give --domain FILE or --mem SIZE (see --help)", argv[0]);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

bool vmflags_have_vm_options(const struct vmflags *f)
{
	return f->mem || f->page || f->cells || f->host_nodes || f->policy || f->placement ||
	       f->source || f->locked || f->shared || f->private_ || f->prealloc ||
	       f->prealloc_threads || f->nosharepages;
}

static int size_flag(const char *flag, const char *v, uint64_t *ret, struct diag *d)
{
	int r = parse_size_kib(v, ret);

	if (r == -ERANGE)
		return diag_set(d, ERANGE, flag, "%s: '%s' is too large (more than 4 EiB)", flag,
				v);
	if (r < 0 || *ret == 0)
		return diag_set(d, EINVAL, flag, "%s: '%s' is not a size (expected 4G, 2048M, ...)",
				flag, v);
	return 0;
}

static int nodes_flag(const char *flag, const char *v, struct cpuset *ret, struct diag *d)
{
	if (cpuset_parse_list(v, ret, NULL) < 0 || cpuset_empty(ret))
		return diag_set(d, EINVAL, flag, "%s: '%s' is not a node or CPU list (0-3,8)", flag,
				v);
	return 0;
}

/* One cell "ID:SIZE:CPUS[:HOSTNODES]". */
static int parse_one_cell(struct vmflags *f, const char *spec, struct diag *d)
{
	AUTOFREE char *copy = xstrdup(spec);
	char *field[5] = {0};
	size_t n = 0;
	struct vm_cell *c;
	unsigned id;

	for (char *p = copy; p && n < 5; n++) {
		field[n] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
	}
	if (n < 3 || n > 4 || parse_u32(field[0], &id) < 0)
		return diag_set(d, EINVAL, "--cells",
				"--cells: '%s' is not ID:SIZE:CPUS[:HOSTNODES]", spec);
	if (vm_spec_find_cell(&f->vm, id))
		return diag_set(d, EINVAL, "--cells", "--cells: cell %u is given twice", id);
	c = vm_spec_add_cell(&f->vm, id);
	if (size_flag("--cells", field[1], &c->mem_kib, d) < 0)
		return -EINVAL;
	if (*field[2] && nodes_flag("--cells", field[2], &c->cpus, d) < 0)
		return -EINVAL;
	if (n == 4) {
		c->has_memnode = true;
		c->policy = VM_POLICY_BIND;
		if (f->policy)
			(void)vm_policy_parse(f->policy, &c->policy);
		if (nodes_flag("--cells", field[3], &c->host_nodes, d) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Cells are separated by ','; a piece without ':' continues the previous CPU list. */
static int parse_cells_flag(struct vmflags *f, struct diag *d)
{
	AUTOFREE char *copy = xstrdup(f->cells);
	char *cur = NULL;
	int r = 0;

	for (char *tok = copy, *next; tok && r >= 0; tok = next) {
		next = strchr(tok, ',');
		if (next)
			*next++ = '\0';
		if (!strchr(tok, ':') && cur) {
			char *joined = xasprintf("%s,%s", cur, tok);

			free(cur);
			cur = joined;
			continue;
		}
		if (cur)
			r = parse_one_cell(f, cur, d);
		free(cur);
		cur = xstrdup(tok);
	}
	if (r >= 0 && cur)
		r = parse_one_cell(f, cur, d);
	free(cur);
	return r;
}

static int page_flag(struct vmflags *f, struct diag *d)
{
	uint64_t kib;

	if (!f->page || strcmp(f->page, "none") == 0)
		kib = VM_PAGE_NORMAL;
	else if (strcmp(f->page, "default") == 0)
		kib = VM_PAGE_HOST_DEFAULT;
	else if (size_flag("--page", f->page, &kib, d) < 0)
		return -EINVAL;
	else if (kib < 4 || (kib & (kib - 1)))
		return diag_set(d, EINVAL, "--page", "--page: '%s' is not a page size (2M, 1G)",
				f->page);
	f->vm.page_kib = kib;
	for (size_t i = 0; i < f->vm.ncells; i++)
		f->vm.cells[i].page_kib = kib;
	return 0;
}

static int policy_flags(struct vmflags *f, struct diag *d)
{
	struct vm_spec *vm = &f->vm;

	if (f->policy && vm_policy_parse(f->policy, &vm->policy) < 0)
		return diag_set(d, EINVAL, "--policy",
				"--policy: unknown policy '%s' (expected bind, preferred, "
				"interleave or restrictive)",
				f->policy);
	if (f->placement && strcmp(f->placement, "auto") == 0)
		vm->placement = VM_PLACEMENT_AUTO;
	else if (f->placement && strcmp(f->placement, "static") != 0)
		return diag_set(d, EINVAL, "--placement", "--placement: '%s' is not static or auto",
				f->placement);
	vm->placement_given = f->placement != NULL;
	if (f->host_nodes && nodes_flag("--host-nodes", f->host_nodes, &vm->host_nodes, d) < 0)
		return -EINVAL;
	if ((f->host_nodes || vm->placement == VM_PLACEMENT_AUTO) && !f->policy)
		vm->policy = VM_POLICY_BIND;
	if (f->policy && !f->host_nodes && vm->placement != VM_PLACEMENT_AUTO &&
	    vm->policy != VM_POLICY_RESTRICTIVE) {
		bool all_cells = vm->ncells > 0;

		for (size_t i = 0; i < vm->ncells; i++)
			all_cells = all_cells && vm->cells[i].has_memnode;
		if (!all_cells)
			return diag_set(d, EINVAL, "--policy",
					"--policy %s needs --host-nodes (or --placement auto)",
					f->policy);
		vm->policy = VM_POLICY_NONE;
	}
	return 0;
}

static int spec_from_flags(struct vmflags *f, struct diag *d)
{
	struct vm_spec *vm = &f->vm;
	int r;

	if (f->cells && (r = parse_cells_flag(f, d)) < 0)
		return r;
	if (f->mem && size_flag("--mem", f->mem, &vm->mem_kib, d) < 0)
		return -EINVAL;
	if (!f->mem)
		for (size_t i = 0; i < vm->ncells; i++)
			if (!safe_add_u64(vm->mem_kib, vm->cells[i].mem_kib, &vm->mem_kib) ||
			    vm->mem_kib > SIZE_MAX_KIB)
				return diag_set(d, ERANGE, "--cells",
						"--cells: the cells add up to more than 4 EiB: too "
						"large");
	if ((r = page_flag(f, d)) < 0 || (r = policy_flags(f, d)) < 0)
		return r;
	if (f->source && vm_source_parse(f->source, &vm->source) < 0)
		return diag_set(d, EINVAL, "--source",
				"--source: unknown source '%s' (expected ram, file or memfd)",
				f->source);
	if (f->shared && f->private_)
		return diag_set(d, EINVAL, "--shared", "--shared and --private exclude each other");
	vm->share = f->shared ? VM_YES : f->private_ ? VM_NO : VM_UNSET;
	if (f->prealloc_threads &&
	    (parse_u32(f->prealloc_threads, &vm->prealloc_threads) < 0 || !vm->prealloc_threads))
		return diag_set(d, EINVAL, "--prealloc-threads",
				"--prealloc-threads: '%s' is not a positive number",
				f->prealloc_threads);
	vm->locked = f->locked;
	vm->prealloc = f->prealloc || f->prealloc_threads;
	vm->nosharepages = f->nosharepages;
	if (f->name)
		vm->name = xstrdup(f->name);
	r = vm_spec_validate(vm, d);
	if (r < 0 && d && strcmp(d->object, "cell") == 0)
		diag_prefix(d, "--cells: ");
	return r;
}

int vmflags_spec(struct vmflags *f, struct diag *d)
{
	if (f->domain && !vmflags_have_vm_options(f))
		return domxml_parse_file(f->domain, &f->vm, d);
	return spec_from_flags(f, d);
}
