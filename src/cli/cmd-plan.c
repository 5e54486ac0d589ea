/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune plan: place VMs on NUMA nodes (read the host and the VMs already
 * there, decide with src/place, render the one plan as text, JSON, libvirt
 * XML, QEMU arguments with pins, Proxmox lines or pool commands; --write
 * merges it into the domain files), and --capacity: how many more VMs of a
 * shape fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/plan-render.h"
#include "cli/qemu-target.h"
#include "core/domxml-write.h"
#include "core/domxml.h"
#include "core/host.h"
#include "core/journal.h"
#include "core/memcost.h"
#include "core/model.h"
#include "core/topology.h"
#include "core/undo.h"
#include "core/userfile.h"
#include "core/vmspec.h"
#include "place/capacity.h"
#include "place/env.h"
#include "place/export.h"
#include "place/host.h"
#include "place/inventory.h"
#include "place/plan.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Largest --vms file read. */
#define PLAN_MAX_VMS_FILE (4u << 20)
#define PLAN_MAX_HOST_CORES 64
/* VMs one plan places (bench/plan measures 1024 on 64 nodes). */
#define PLAN_MAX_VMS 4096
/* Largest --costs file read. */
#define PLAN_MAX_COSTS_FILE (1u << 20)

static void plan_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] [--dry-run] plan [--json] [--format F] VMS [options]\n"
		"       kvmtune [--root DIR] plan --capacity [--shape 8c:32G:1G] [options]\n\n"
		"Place VMs on NUMA nodes: a node set per VM (one guest cell per host node, a "
		"single\n"
		"node whenever it fits, else the nearest set), hugepages per node from the free\n"
		"pages after reservations and unfaulted VMs (never MemFree), 1:1 vCPU pins on "
		"whole\n"
		"cores (SMT siblings, one L3 cache where possible), emulator and I/O threads on "
		"the\n"
		"node's CPUs that no vCPU holds.  VMs already defined (--domains) or running "
		"count.\n"
		"A VM that fits nowhere gets the reason per node and what would make it fit.\n"
		"Exit 1 when a VM is not placed.\n\n"
		"VMs to place (repeatable, in any mix):\n"
		"  --vm SPEC              [name=db,]vcpus=8,mem=32G[,page=1G|2M|none|default]\n"
		"                         [,cells=N][,pin=dedicated|shared]\n"
		"                         [,threads=prefer|isolate|require][,iothreads=N]\n"
		"                         [,nodes=LIST]  (no name: vmN; names are unique)\n"
		"  --vms FILE             a JSON array of objects with the same keys ('-': stdin)\n"
		"  --domain FILE          a libvirt domain XML (its vCPUs, memory, page size, "
		"cells)\n"
		"  --pin P, --threads T   for --domain VMs: dedicated|shared, "
		"prefer|isolate|require\n\n"
		"Output:\n"
		"  --format F             text (default), xml (libvirt fragments with <cputune>),\n"
		"                         qemu (arguments and pins), proxmox, hugepages (the pool\n"
		"                         commands); with --json the plan object gains that form\n"
		"  --write                merge each --domain VM's placement into its file "
		"(backup\n"
		"                         FILE.bak, atomic); with --dry-run show it, change "
		"nothing\n"
		"  --hugetlbfs DIR        hugetlbfs mount for the QEMU arguments\n"
		"  --qemu BINARY          with --format qemu: the QEMU the arguments are for (its\n"
		"                         --version is read; default: qemu-system-x86_64 in PATH,\n"
		"                         else the newest); only what it accepts is written, and\n"
		"                         a VM it cannot express is refused (exit 2)\n"
		"  --qemu-version X.Y     the QEMU version instead of asking a binary\n\n"
		"Host:\n"
		"  --capacity             free cores and pages per node; with --shape, how many\n"
		"  --shape S              more VMs of shape VCPUSc:MEM[:PAGE] still fit\n"
		"  --topology FILE.xml    an hwloc XML topology instead of the host (taken as "
		"idle:\n"
		"                         all memory free, page_type counts as free pools)\n"
		"  --domains DIR          defined domains below the root (default %s)\n"
		"  --no-processes         do not count running QEMU processes\n"
		"  --grow-pools           pages may come from growing a node's pool (the plan "
		"lists\n"
		"                         the 'kvmtune hugepages set' each node needs)\n"
		"  --spread               a single node with the most room, not the tightest fit\n"
		"  --costs SRC            costs between nodes: 'slit' (the firmware's distances),\n"
		"                         a FILE saved by 'kvmtune bench memory --save', or by\n"
		"                         default %s when saved (else SLIT)\n"
		"  --host-cores N         cores per node kept for the host, emulators and I/O\n"
		"                         threads (default 1)\n"
		"  --keep-free SIZE       memory per node kept out of VMs and pools (default: the\n"
		"                         hugepages guard, max(5%% of the node, 512 MiB))\n",
		PLACE_DOMAINS_DIR, MEMCOST_PATH);
}

struct plan_cli {
	struct place_req *reqs;
	size_t nreqs, cap;     /* cap: room in the four arrays below */
	struct vm_spec *specs; /* per request: the parsed domain, or an empty spec */
	const char **domain_paths;
	bool *from_domain;
	const char *format, *topology, *domains, *shape, *hugetlbfs, *costs;
	const char *qemu, *qemu_version; /* --format qemu's target */
	bool capacity, write, no_processes, grow, spread;
	unsigned host_cores;
	int64_t keep_free_kib;
	enum place_pin pin;
	enum place_threads threads;
};

static void add_req(struct plan_cli *p, const struct place_req *r, const char *domain)
{
	size_t n = p->nreqs;

	if (n == p->cap) { /* doubling: a --vms file may list thousands */
		p->cap = p->cap ? 2 * p->cap : 8;
		p->reqs = xreallocarray(p->reqs, p->cap, sizeof(*p->reqs));
		p->specs = xreallocarray(p->specs, p->cap, sizeof(*p->specs));
		p->domain_paths = xreallocarray(p->domain_paths, p->cap, sizeof(*p->domain_paths));
		p->from_domain = xreallocarray(p->from_domain, p->cap, sizeof(*p->from_domain));
	}
	p->reqs[n] = *r;
	vm_spec_init(&p->specs[n]);
	p->domain_paths[n] = domain;
	p->from_domain[n] = domain != NULL;
	p->nreqs++;
}

static void plan_cli_release(struct plan_cli *p)
{
	for (size_t i = 0; i < p->nreqs; i++)
		vm_spec_release(&p->specs[i]);
	free(p->reqs);
	free(p->specs);
	free(p->domain_paths);
	free(p->from_domain);
}

/* Standard input for '-' (at most PLAN_MAX_VMS_FILE bytes). */
static int read_stdin(char **ret, size_t *ret_len, struct diag *d)
{
	struct sbuf sb = SBUF_INIT;
	char buf[65536];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
		sbuf_add(&sb, buf, (size_t)n);
		if (sb.len > PLAN_MAX_VMS_FILE) {
			sbuf_release(&sb);
			return diag_set(d, EFBIG, "-", "--vms -: larger than 4 MiB");
		}
	}
	if (n < 0) {
		sbuf_release(&sb);
		return diag_set(d, errno, "-", "--vms -: cannot read standard input: %m");
	}
	*ret = sbuf_detach(&sb, ret_len);
	return 0;
}

static int add_vms_file(struct plan_cli *p, const char *path, struct diag *d)
{
	AUTOFREE char *text = NULL;
	struct place_req *reqs = NULL;
	size_t n = 0, len = 0;
	int r = strcmp(path, "-") ? userfile_read(path, PLAN_MAX_VMS_FILE, &text, &len, d)
				  : read_stdin(&text, &len, d);

	if (r < 0)
		return r;
	r = place_req_parse_json(text, len, &reqs, &n, d);
	if (r < 0) {
		diag_prefix(d, "--vms '%s': ", path);
		return r;
	}
	for (size_t i = 0; i < n; i++)
		add_req(p, &reqs[i], NULL);
	free(reqs);
	return 0;
}

static int add_domain(struct plan_cli *p, const char *path, struct diag *d)
{
	struct place_req r;
	int err;

	place_req_init(&r);
	add_req(p, &r, path);
	err = domxml_parse_file(path, &p->specs[p->nreqs - 1], d);
	if (err >= 0)
		err = place_req_from_vm_spec(&p->specs[p->nreqs - 1], &p->reqs[p->nreqs - 1], d);
	return err;
}

enum {
	OPT_VM = 256,
	OPT_VMS,
	OPT_DOMAIN,
	OPT_PIN,
	OPT_THREADS,
	OPT_FORMAT,
	OPT_WRITE,
	OPT_HUGETLBFS,
	OPT_CAPACITY,
	OPT_SHAPE,
	OPT_TOPOLOGY,
	OPT_DOMAINS,
	OPT_NO_PROCESSES,
	OPT_GROW,
	OPT_SPREAD,
	OPT_HOST_CORES,
	OPT_KEEP_FREE,
	OPT_COSTS,
	OPT_JSON,
	OPT_QEMU,
	OPT_QEMU_VERSION,
};

static const struct option plan_options[] = {
	{"vm", required_argument, NULL, OPT_VM},
	{"vms", required_argument, NULL, OPT_VMS},
	{"domain", required_argument, NULL, OPT_DOMAIN},
	{"pin", required_argument, NULL, OPT_PIN},
	{"threads", required_argument, NULL, OPT_THREADS},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"write", no_argument, NULL, OPT_WRITE},
	{"hugetlbfs", required_argument, NULL, OPT_HUGETLBFS},
	{"capacity", no_argument, NULL, OPT_CAPACITY},
	{"shape", required_argument, NULL, OPT_SHAPE},
	{"topology", required_argument, NULL, OPT_TOPOLOGY},
	{"domains", required_argument, NULL, OPT_DOMAINS},
	{"no-processes", no_argument, NULL, OPT_NO_PROCESSES},
	{"grow-pools", no_argument, NULL, OPT_GROW},
	{"spread", no_argument, NULL, OPT_SPREAD},
	{"host-cores", required_argument, NULL, OPT_HOST_CORES},
	{"keep-free", required_argument, NULL, OPT_KEEP_FREE},
	{"costs", required_argument, NULL, OPT_COSTS},
	{"json", no_argument, NULL, OPT_JSON},
	{"qemu", required_argument, NULL, OPT_QEMU},
	{"qemu-version", required_argument, NULL, OPT_QEMU_VERSION},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* One option that takes a value; -EINVAL/-ERANGE with a diag. */
static int value_option(struct plan_cli *p, int opt, const char *v, struct diag *d)
{
	struct place_req r;
	uint32_t n;
	uint64_t kib;
	int err;

	switch (opt) {
	case OPT_VM:
		err = place_req_parse(v, &r, d);
		if (err >= 0)
			add_req(p, &r, NULL);
		return err;
	case OPT_VMS:
		return add_vms_file(p, v, d);
	case OPT_DOMAIN:
		return add_domain(p, v, d);
	case OPT_PIN:
		if (strcmp(v, "dedicated") != 0 && strcmp(v, "shared") != 0)
			return diag_set(d, EINVAL, "--pin",
					"--pin '%s': expected dedicated or shared", v);
		p->pin = strcmp(v, "shared") == 0 ? PLACE_PIN_SHARED : PLACE_PIN_DEDICATED;
		return 0;
	case OPT_THREADS:
		p->threads = strcmp(v, "isolate") == 0	 ? PLACE_THREADS_ISOLATE
			     : strcmp(v, "require") == 0 ? PLACE_THREADS_REQUIRE
							 : PLACE_THREADS_PREFER;
		if (strcmp(v, "prefer") != 0 && p->threads == PLACE_THREADS_PREFER)
			return diag_set(d, EINVAL, "--threads",
					"--threads '%s': expected prefer, isolate or require", v);
		return 0;
	case OPT_HOST_CORES:
		if (parse_u32(v, &n) < 0 || n > PLAN_MAX_HOST_CORES)
			return diag_set(d, EINVAL, "--host-cores",
					"--host-cores '%s': expected 0-%d", v, PLAN_MAX_HOST_CORES);
		p->host_cores = n;
		return 0;
	default: /* OPT_KEEP_FREE */
		err = parse_size_kib(v, &kib);
		if (err < 0 || kib > (uint64_t)INT64_MAX / 4)
			return diag_set(d, err == -ERANGE || err == 0 ? ERANGE : EINVAL,
					"--keep-free", "--keep-free '%s': %s", v,
					err == -ERANGE || err == 0 ? "too large"
								   : "not a size (512M, 2G)");
		p->keep_free_kib = (int64_t)kib;
		return 0;
	}
}

/* The options; true to stop with *ret_exit (help shown, a usage or input error printed). */
static bool parse_options(struct plan_cli *p, struct cli *c, int argc, char **argv, struct diag *d,
			  int *ret_exit)
{
	int opt, err;

	while ((opt = getopt_long(argc, argv, "h", plan_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			plan_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		case '?':
			plan_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		case OPT_FORMAT:
			p->format = optarg;
			break;
		case OPT_WRITE:
			p->write = true;
			break;
		case OPT_HUGETLBFS:
			p->hugetlbfs = optarg;
			break;
		case OPT_CAPACITY:
			p->capacity = true;
			break;
		case OPT_SHAPE:
			p->shape = optarg;
			break;
		case OPT_TOPOLOGY:
			p->topology = optarg;
			break;
		case OPT_DOMAINS:
			p->domains = optarg;
			break;
		case OPT_NO_PROCESSES:
			p->no_processes = true;
			break;
		case OPT_GROW:
			p->grow = true;
			break;
		case OPT_SPREAD:
			p->spread = true;
			break;
		case OPT_COSTS:
			p->costs = optarg;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_QEMU:
			p->qemu = optarg;
			break;
		case OPT_QEMU_VERSION:
			p->qemu_version = optarg;
			break;
		default:
			err = value_option(p, opt, optarg, d);
			if (err < 0) {
				*ret_exit = cli_fail(d, err);
				return true;
			}
		}
	}
	return false;
}

static bool any_domain(const struct plan_cli *p)
{
	for (size_t i = 0; i < p->nreqs; i++)
		if (p->from_domain[i])
			return true;
	return false;
}

/* Usage rules between options; true to stop with EXIT_USAGE (the error printed). */
static bool bad_usage(const struct plan_cli *p, int argc, char **argv)
{
	static const char *const formats[] = {"text", "xml", "qemu", "proxmox", "hugepages", NULL};
	bool known = !p->format;

	for (size_t i = 0; formats[i] && !known; i++)
		known = strcmp(p->format, formats[i]) == 0;
	if (optind < argc)
		cli_error("plan: unexpected argument '%s'", argv[optind]);
	else if (!known)
		cli_error("plan: --format '%s': expected text, xml, qemu, proxmox or hugepages",
			  p->format);
	else if (!p->capacity && !p->nreqs)
		cli_error("plan: give the VMs to place (--vm, --vms, --domain) or --capacity");
	else if (p->nreqs > PLAN_MAX_VMS)
		cli_error("plan: %zu VMs to place: too many (at most %d in one plan)", p->nreqs,
			  PLAN_MAX_VMS);
	else if (p->capacity && p->nreqs)
		cli_error("plan: --capacity takes no VMs (use --shape)");
	else if (p->shape && !p->capacity)
		cli_error("plan: --shape goes with --capacity");
	else if (p->write && !any_domain(p))
		cli_error("plan: --write needs --domain FILE (it edits domain files)");
	else if (p->qemu && p->qemu_version)
		cli_error("plan: --qemu and --qemu-version exclude each other");
	else if ((p->qemu || p->qemu_version) && !(p->format && strcmp(p->format, "qemu") == 0))
		cli_error("plan: --%s goes with --format qemu", p->qemu ? "qemu" : "qemu-version");
	else
		return false;
	return true;
}

/*
 * Name the VMs given without one vmN (N: their place on the command line)
 * and refuse two VMs of one name (the outputs and the inventory go by name);
 * true to stop with EXIT_USAGE (the error printed).
 */
static bool bad_names(struct plan_cli *p)
{
	for (size_t i = 0; i < p->nreqs; i++)
		if (!p->reqs[i].name[0])
			(void)snprintf(p->reqs[i].name, sizeof(p->reqs[i].name), "vm%zu", i + 1);
	for (size_t i = 0; i < p->nreqs; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->reqs[i].name, p->reqs[j].name) == 0) {
				cli_error("plan: two VMs to place are named '%s' (VMs %zu and %zu)",
					  p->reqs[i].name, j + 1, i + 1);
				return true;
			}
	return false;
}

/* The model: the host through --root, or an hwloc XML topology. */
static int load_model(struct cli *c, const struct plan_cli *p, struct host **h,
		      struct host_model *m, struct diag *d)
{
	int r;

	if (p->topology) {
		*h = NULL;
		r = topology_load_xml(p->topology, m, d);
		return r >= 0 && p->domains ? cli_host(c, h, d) : r;
	}
	r = cli_host(c, h, d);
	return r >= 0 ? host_model_load(*h, m, d) : r;
}

struct plan_env {
	struct host *h;
	struct host_model m;
	struct place_env pe;
};

static void plan_env_release(struct plan_env *e)
{
	host_model_release(&e->m);
	place_env_release(&e->pe);
}

/* Measured costs from --costs FILE in place of SLIT (unusable: an error). */
static int apply_costs(const struct plan_cli *p, struct plan_env *e, struct diag *d)
{
	AUTOFREE char *text = NULL;
	struct memcost mc = {0};
	size_t len = 0;
	int r;

	if (!p->costs || strcmp(p->costs, "slit") == 0)
		return 0;
	r = userfile_read(p->costs, PLAN_MAX_COSTS_FILE, &text, &len, d);
	if (r >= 0)
		r = memcost_parse(text, len, &mc, d);
	if (r >= 0)
		r = place_host_use_memcost(&e->pe.ph, &mc, d);
	memcost_release(&mc);
	if (r < 0) {
		diag_prefix(d, "--costs '%s': ", p->costs);
		return r == -ENODATA ? -EINVAL : r;
	}
	place_host_note(&e->pe.ph,
			"costs between nodes: measured (%s; 10 x the 4K latency ratio to local "
			"memory), not SLIT",
			p->costs);
	return 0;
}

/*
 * The planner's host: the VMs being placed count as free (replanned); with
 * --topology memory is idle and VMs count only from --domains; the saved
 * costs unless --costs says otherwise.
 */
static int build_env(struct cli *c, const struct plan_cli *p, struct plan_env *e, struct diag *d)
{
	AUTOFREE const char **names = xcalloc(p->nreqs + 1, sizeof(*names));
	struct place_env_opts o = {
		.idle = p->topology != NULL,
		.domains_dir = p->domains,
		.no_processes = p->no_processes || p->topology,
		.replan = names,
		.nreplan = p->nreqs,
		.keep_free_kib = p->keep_free_kib,
		.host_cores = p->host_cores,
		.saved_costs = !p->costs && !p->topology,
	};
	int r = load_model(c, p, &e->h, &e->m, d);

	for (size_t i = 0; i < p->nreqs; i++)
		names[i] = p->reqs[i].name;
	if (r >= 0)
		r = place_env_load(e->h, &e->m, &o, &e->pe, d);
	if (r >= 0)
		r = apply_costs(p, e, d);
	return r;
}

static int run_capacity(struct cli *c, const struct plan_cli *p, struct plan_env *e,
			const struct place_opts *o, struct diag *d)
{
	struct place_capacity cap = {0};
	struct place_req shape;
	int r;

	if (!p->shape) {
		plan_render_capacity(c->json, &e->pe.ph, NULL, NULL);
		return EXIT_OK;
	}
	r = place_req_parse_shape(p->shape, &shape, d);
	if (r >= 0)
		r = place_req_resolve(&shape, &e->pe.ph, d);
	if (r < 0)
		return cli_fail(d, r);
	place_capacity_count(&e->pe.ph, &shape, o, &cap);
	plan_render_capacity(c->json, &e->pe.ph, &shape, &cap);
	place_capacity_release(&cap);
	return EXIT_OK;
}

/*
 * Record the domain files plan --write changed as one undo journal entry; when
 * the journal cannot take it, put the files back (kvmtune makes no change undo
 * cannot revert).  Returns an exit code.
 */
static int record_domains(struct cli *c, struct host *h, struct journal_entry *je)
{
	struct diag d = {0};
	int r;

	if (!je->nchanges)
		return EXIT_OK;
	r = journal_record(h, je, &d);
	if (r >= 0) {
		printf("journal entry %llu: 'kvmtune undo %llu' reverts it\n",
		       (unsigned long long)je->id, (unsigned long long)je->id);
		return EXIT_OK;
	}
	cli_error_diag(&d, r);
	diag_clear(&d);
	r = undo_revert_unrecorded(h, je, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		cli_error("the domain files were changed but could not be put back");
		return EXIT_FAILED;
	}
	cli_error("the domain files were put back: a change undo cannot revert is not made");
	return EXIT_PARTIAL;
}

/* Merge each placed --domain VM into its file (or show it with --dry-run). */
static int write_domains(struct cli *c, struct plan_cli *p, struct plan_env *e,
			 const struct place_plan *plan)
{
	struct journal_entry je;
	int written = 0, failed = 0, rc;

	journal_entry_init(&je, c->cmdline);
	for (size_t i = 0; i < plan->nvms; i++) {
		const struct place_vm_plan *v = &plan->vms[i];
		struct diag d = {0};
		AUTOFREE char *frag = NULL;
		AUTOFREE char *target = NULL;
		AUTOFREE char *backup = NULL;
		int r;

		if (!p->from_domain[i] || !v->choice.placed)
			continue;
		place_export_vm_spec(&e->pe.ph, v, &p->specs[i]);
		if (c->dry_run) {
			r = domxml_fragments_flags(&p->specs[i], &e->m, DOMXML_WRITE_CPU, &frag,
						   &d);
			if (r >= 0)
				printf("would update '%s':\n%s", p->domain_paths[i], frag);
		} else {
			r = domxml_merge_file_flags(p->domain_paths[i], &p->specs[i], &e->m,
						    DOMXML_WRITE_CPU, &target, &backup, &je, &d);
			if (r >= 0 && backup)
				printf("updated '%s' (backup '%s')\n", target, backup);
			else if (r >= 0)
				printf("updated '%s'\n", target);
		}
		if (r < 0) {
			cli_error_diag(&d, r);
			failed++;
		} else {
			written++;
		}
	}
	rc = failed ? (written && !c->dry_run ? EXIT_PARTIAL : EXIT_FAILED) : EXIT_OK;
	if (!c->dry_run && written) {
		int jr = record_domains(c, e->h, &je);

		rc = jr != EXIT_OK ? jr : rc;
	}
	journal_entry_release(&je);
	return rc;
}

static int run_plan(struct cli *c, struct plan_cli *p, struct plan_env *e,
		    const struct place_opts *o, const struct qemu_target *qemu)
{
	struct place_plan plan = {0};
	struct plan_outputs out = {p->format,	   p->hugetlbfs, &e->m, p->specs,
				   p->from_domain, &e->pe.usage, qemu};
	int rc;

	place_plan_build(&e->pe.ph, p->reqs, p->nreqs, o, &plan);
	if (!p->write || !c->dry_run)
		rc = plan_render(c->json, &e->pe.ph, &plan, &out);
	else
		rc = EXIT_OK;
	if (p->write) {
		int w = write_domains(c, p, e, &plan);

		rc = w != EXIT_OK ? w : rc;
	}
	if (rc == EXIT_OK && plan.objective.placed < plan.nvms)
		rc = EXIT_FAILED;
	place_plan_release(&plan);
	return rc;
}

int cmd_plan(struct cli *c, int argc, char **argv)
{
	struct plan_cli p = {0};
	struct plan_env e = {0};
	struct place_opts o = {0};
	struct qemu_target qemu;
	struct diag d = {0};
	int rc = EXIT_OK, r = 0;

	p.host_cores = 1;
	p.keep_free_kib = -1;
	if (parse_options(&p, c, argc, argv, &d, &rc)) {
		plan_cli_release(&p);
		return rc;
	}
	if (bad_usage(&p, argc, argv) || bad_names(&p)) {
		plan_cli_release(&p);
		return EXIT_USAGE;
	}
	/* the QEMU the arguments are for, as qemu-args reads it (errors printed) */
	if (p.format && strcmp(p.format, "qemu") == 0) {
		rc = qemu_target_resolve(p.qemu, p.qemu_version, &qemu);
		if (rc != EXIT_OK) {
			plan_cli_release(&p);
			return rc;
		}
	}
	for (size_t i = 0; i < p.nreqs; i++)
		if (p.from_domain[i]) {
			p.reqs[i].pin = p.pin;
			p.reqs[i].threads = p.threads;
		}
	r = build_env(c, &p, &e, &d);
	for (size_t i = 0; r >= 0 && i < p.nreqs; i++)
		r = place_req_resolve(&p.reqs[i], &e.pe.ph, &d);
	o.grow_pools = p.grow;
	o.spread = p.spread;
	if (r < 0)
		rc = cli_fail(&d, r);
	else
		rc = p.capacity
			     ? run_capacity(c, &p, &e, &o, &d)
			     : run_plan(c, &p, &e, &o,
					p.format && strcmp(p.format, "qemu") == 0 ? &qemu : NULL);
	plan_env_release(&e);
	plan_cli_release(&p);
	return rc;
}
