/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune hugepages: show the pools per node and size, and 'set' them
 * (read -> decide -> apply -> report), getting as close to the request as
 * fragmented memory allows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd-hugepages.h"
#include "cli/render.h"
#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
#include "core/hugepages-reserve.h"
#include "core/journal.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define DEFAULT_TIMEOUT_S 60

static void hugepages_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] hugepages [--json]\n"
		"       kvmtune hugepages set SIZE=COUNT [SIZE=COUNT...] [--node N[,M]] "
		"[--dry-run]\n"
		"                             [--timeout S] [--keep-free SIZE] [--drop-caches] "
		"[--json]\n"
		"       kvmtune hugepages reserve|release ...   (kvmtune hugepages reserve "
		"--help)\n"
		"       kvmtune hugepages persist|mount ...     (kvmtune hugepages persist "
		"--help)\n\n"
		"Without a verb: the hugepage pools per NUMA node and page size.\n"
		"Verbs:\n"
		"  set       size pools now, per node or host-wide (below)\n"
		"  reserve   grow a pool by exactly what one VM needs, recorded per owner\n"
		"  release   give an owner's reservation back\n"
		"  persist   make the pools survive a reboot (sysctl.d, kernel command line,\n"
		"            a oneshot unit); --verify checks after the reboot\n"
		"  mount     hugetlbfs mount units per page size (mode 01770, the QEMU group)\n\n"
		"set: size pools, e.g. 'set 2M=1024' (whole host, spread over the nodes as the\n"
		"kernel does) or 'set 2M=512 1G=4 --node 0,1' (that count on each listed node).\n"
		"Grows in steps; when the kernel stops finding free blocks it compacts memory "
		"(and\n"
		"with --drop-caches drops clean caches) and retries, for at most --timeout "
		"seconds\n"
		"(default %d).  Refuses, changing nothing, a request that would leave a node less\n"
		"than --keep-free SIZE (default: max(5%% of the node's memory, 512 MiB)) plus its\n"
		"share of vm.min_free_kbytes.  On a failed write every changed pool is "
		"restored.\n\n"
		"  --node N[,M]      the count is per listed node (default: host-wide)\n"
		"  --timeout S       give up growing after S seconds (default %d)\n"
		"  --keep-free SIZE  memory each node keeps out of the pools\n"
		"  --drop-caches     may drop clean caches when compaction is not enough\n"
		"  --dry-run         print the plan, change nothing\n"
		"  --json            machine-readable output\n"
		"  -v                (global) show every growth step\n\n"
		"Exit codes: 0 request met, 2 bad input or refused (nothing changed), 3 only part\n"
		"of the request was met (see the report) or a failure was rolled back, 1 failed\n"
		"(nothing changed, or a host file is unreadable or malformed).\n",
		DEFAULT_TIMEOUT_S, DEFAULT_TIMEOUT_S);
}

/* One pool row: counters the kernel did not give show as "unknown". */
static void show_pool_row(const char *where, const struct pool *p, FILE *out)
{
	char ps[32], size[32], t[24], f[24], sp[24], rv[24], oc[24];
	uint64_t kib = 0;

	(void)safe_mul_u64(p->total > 0 ? (uint64_t)p->total : 0, p->size_kib, &kib);
	fprintf(out, "%-6s %-5s %9s %9s %9s %12s", where,
		format_pagesize(p->size_kib, ps, sizeof(ps)), render_count(p->total, t, sizeof(t)),
		render_count(p->free, f, sizeof(f)), render_count(p->surplus, sp, sizeof(sp)),
		p->total < 0 ? "unknown" : format_size_kib(kib, size, sizeof(size)));
	if (p->reserved >= 0 || p->overcommit >= 0)
		fprintf(out, "  reserved %s  overcommit %s",
			render_count(p->reserved, rv, sizeof(rv)),
			render_count(p->overcommit, oc, sizeof(oc)));
	fputc('\n', out);
}

static void show_text(const struct host_model *m, FILE *out)
{
	char a[32];

	fprintf(out, "default hugepage size: %s; CPU supports:",
		m->default_hugepage_kib ? format_pagesize(m->default_hugepage_kib, a, sizeof(a))
					: "unknown");
	for (size_t i = 0; i < m->ncpu_page_sizes; i++)
		fprintf(out, " %s", format_pagesize(m->cpu_page_sizes_kib[i], a, sizeof(a)));
	if (!m->ncpu_page_sizes)
		fprintf(out, " no huge pages");
	fprintf(out, "\n\n%-6s %-5s %9s %9s %9s %12s\n", "node", "size", "total", "free", "surplus",
		"memory");
	for (size_t i = 0; i < m->nnodes; i++) {
		char node[16];

		(void)snprintf(node, sizeof(node), "%d", m->nodes[i].node);
		for (size_t j = 0; j < m->nodes[i].npools; j++)
			show_pool_row(node, &m->nodes[i].pools[j], out);
	}
	for (size_t j = 0; j < m->npools; j++)
		show_pool_row("all", &m->pools[j], out);
	if (!m->npools)
		fprintf(out, "(no hugepage pools: the kernel offers none)\n");
}

static struct json_object *show_json(const struct host_model *m)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array(), *nodes = json_object_new_array();

	json_object_object_add(o, "default_hugepage_kb",
			       m->default_hugepage_kib
				       ? json_object_new_int64((int64_t)m->default_hugepage_kib)
				       : NULL);
	for (size_t i = 0; i < m->ncpu_page_sizes; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)m->cpu_page_sizes_kib[i]));
	json_object_object_add(o, "cpu_page_sizes_kb", a);
	for (size_t i = 0; i < m->nnodes; i++) {
		struct json_object *n = json_object_new_object(), *pools = json_object_new_array();

		json_object_object_add(n, "id", json_object_new_int(m->nodes[i].node));
		for (size_t j = 0; j < m->nodes[i].npools; j++)
			json_object_array_add(pools, render_pool_json(&m->nodes[i].pools[j], 0));
		json_object_object_add(n, "hugepages", pools);
		json_object_array_add(nodes, n);
	}
	json_object_object_add(o, "nodes", nodes);
	a = json_object_new_array();
	for (size_t i = 0; i < m->npools; i++)
		json_object_array_add(a, render_pool_json(&m->pools[i], 1));
	json_object_object_add(o, "hugepages", a);
	return o;
}

int hp_cli_lock(struct cli *c, int *ret_fd)
{
	struct diag d = {0};
	struct host *h;
	int r;

	if (c->dry_run)
		return EXIT_OK; /* a plan changes nothing: no need to wait */
	r = cli_host(c, &h, &d);
	if (r >= 0)
		r = host_lock(h, "hugepages", HP_CLI_LOCK_WAIT_MS, &d);
	if (r < 0)
		return cli_fail(&d, r);
	*ret_fd = r;
	return EXIT_OK;
}

int hp_cli_load_model(struct cli *c, struct host **ret_h, struct host_model *m)
{
	struct diag d = {0};
	int r;

	r = cli_host(c, ret_h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	r = host_model_load(*ret_h, m, &d);
	return r < 0 ? cli_fail_host(&d, r) : EXIT_OK;
}

int hp_cli_record(struct cli *c, struct host *h, struct journal_entry *je,
		  unsigned long long *ret_id)
{
	struct diag d = {0};
	int r;

	*ret_id = 0;
	r = journal_record(h, je, &d);
	if (r >= 0) {
		*ret_id = je->id;
		return 0;
	}
	cli_error_diag(&d, r);
	cli_error("putting the change back: kvmtune makes no change the undo journal cannot "
		  "revert");
	return r;
}

static int cmd_show(struct cli *c, int argc, char **argv)
{
	struct host_model m = {0};
	struct host *h;
	int r;

	if (argc > 1) {
		cli_error("hugepages: unknown verb '%s' (expected set, reserve, release, persist "
			  "or mount)",
			  argv[1]);
		return EXIT_USAGE;
	}
	if (c->dry_run) {
		cli_error("hugepages: --dry-run applies to the verbs that change pools, not to "
			  "showing them");
		return EXIT_USAGE;
	}
	r = hp_cli_load_model(c, &h, &m);
	if (r != EXIT_OK)
		return r;
	if (c->json)
		render_json_print(show_json(&m), stdout);
	else
		show_text(&m, stdout);
	host_model_release(&m);
	return EXIT_OK;
}

struct set_opts {
	struct hp_request req;
	struct hp_apply_opts apply;
};

void hp_cli_progress(void *userdata, const struct hp_change *ch, int64_t got, const char *what)
{
	const struct cli *c = userdata;
	char ps[16];

	/* Steps only with -v; the slow measures (compaction, caches) always. */
	if (strcmp(what, "growing") == 0 && c->verbose < 1)
		return;
	format_pagesize(ch->size_kib, ps, sizeof(ps));
	if (ch->node >= 0)
		fprintf(stderr, "kvmtune: node %d %s: %" PRId64 " of %" PRId64 " pages, %s\n",
			ch->node, ps, got, ch->new_pages, what);
	else
		fprintf(stderr, "kvmtune: %s: %" PRId64 " of %" PRId64 " pages, %s\n", ps, got,
			ch->new_pages, what);
}

/* Parse the options of set; true to stop with *ret_exit (help, bad usage). */
static bool parse_set_opts(struct cli *c, int argc, char **argv, struct set_opts *s, int *ret_exit)
{
	static const struct option opts[] = {
		{"node", required_argument, NULL, 'N'},
		{"dry-run", no_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"keep-free", required_argument, NULL, 'k'},
		{"drop-caches", no_argument, NULL, 'D'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct diag d = {0};
	uint64_t v;
	int opt, r;

	s->apply.timeout_s = DEFAULT_TIMEOUT_S;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'N':
			r = hp_request_set_nodes(&s->req, optarg, &d);
			break;
		case 'n':
			c->dry_run = true;
			break;
		case 't':
			if (parse_u64(optarg, &v) < 0 || v == 0 || v > 86400)
				r = diag_set(&d, EINVAL, "--timeout",
					     "--timeout '%s': expected whole seconds, 1 to 86400",
					     optarg);
			else
				s->apply.timeout_s = (unsigned)v;
			break;
		case 'k':
			if (parse_size_kib(optarg, &v) < 0 || v > INT64_MAX / 2)
				r = diag_set(&d, EINVAL, "--keep-free",
					     "--keep-free '%s': expected a size such as 512M or 2G",
					     optarg);
			else
				s->req.keep_free_kib = (int64_t)v;
			break;
		case 'D':
			s->apply.drop_caches = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			hugepages_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		default:
			hugepages_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
		if (r < 0) {
			cli_error_diag(&d, r);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	for (int i = optind; i < argc; i++) {
		r = hp_request_add(&s->req, argv[i], &d);
		if (r < 0) {
			cli_error_diag(&d, r);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	if (!s->req.nasks) {
		cli_error("hugepages set: nothing to set; give SIZE=COUNT, such as 2M=512");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

static const char *where(int node, char *buf, size_t n)
{
	if (node < 0)
		(void)snprintf(buf, n, "all");
	else
		(void)snprintf(buf, n, "%d", node);
	return buf;
}

struct json_object *hp_cli_plan_json(const struct hp_plan *p, const struct hp_result *res,
				     bool dry_run, const char *result)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	/* not res == NULL: a reservation already held applies nothing and is no dry run */
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
	for (size_t i = 0; i < p->nchanges; i++) {
		const struct hp_change *ch = &p->changes[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "node",
				       ch->node >= 0 ? json_object_new_int(ch->node) : NULL);
		json_object_object_add(e, "size_kb", json_object_new_int64((int64_t)ch->size_kib));
		json_object_object_add(e, "path", json_object_new_string(ch->path));
		json_object_object_add(e, "old", json_object_new_int64(ch->old_pages));
		json_object_object_add(e, "asked", json_object_new_int64(ch->new_pages));
		json_object_object_add(e, "reason", json_object_new_string(ch->reason));
		if (res) {
			json_object_object_add(e, "before",
					       json_object_new_int64(res[i].before_pages));
			json_object_object_add(e, "got", json_object_new_int64(res[i].got_pages));
			json_object_object_add(
				e, "status", json_object_new_string(hp_status_name(res[i].status)));
			json_object_object_add(e, "compactions",
					       json_object_new_int((int)res[i].compactions));
			json_object_object_add(
				e, "problem",
				res[i].reason[0] ? json_object_new_string(res[i].reason) : NULL);
			json_object_object_add(e, "next_step",
					       res[i].next_step[0]
						       ? json_object_new_string(res[i].next_step)
						       : NULL);
		}
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "changes", a);
	json_object_object_add(o, "result", json_object_new_string(result));
	return o;
}

void hp_cli_plan_text(const struct hp_plan *p, const struct hp_mem *mem, int64_t keep_free_kib)
{
	char b[32];

	printf("plan (dry run: nothing changed):\n");
	for (size_t i = 0; i < p->nchanges; i++) {
		const struct hp_change *ch = &p->changes[i];

		if (ch->old_pages == ch->new_pages)
			printf("  %s: %" PRId64 " (unchanged)\n", ch->path, ch->old_pages);
		else
			printf("  %s: %" PRId64 " -> %" PRId64 "  (%s)\n", ch->path, ch->old_pages,
			       ch->new_pages, ch->reason);
	}
	if (!mem)
		return;
	printf("kept free for the host:");
	for (size_t i = 0; i < mem->nnodes; i++)
		printf("%s node %d %s", i ? "," : "", mem->nodes[i].node,
		       format_size_kib(hugepages_keep_free_kib(mem, &mem->nodes[i], keep_free_kib),
				       b, sizeof(b)));
	printf("\n");
}

void hp_cli_result_text(const struct hp_plan *p, const struct hp_result *res, const char *result)
{
	char n[16], ps[16];

	printf("%-6s %-5s %9s %9s %9s  %s\n", "node", "size", "before", "asked", "got", "status");
	for (size_t i = 0; i < p->nchanges; i++) {
		const struct hp_change *ch = &p->changes[i];

		printf("%-6s %-5s %9" PRId64 " %9" PRId64 " %9" PRId64 "  %s\n",
		       where(ch->node, n, sizeof(n)), format_pagesize(ch->size_kib, ps, sizeof(ps)),
		       res[i].before_pages, ch->new_pages, res[i].got_pages,
		       hp_status_name(res[i].status));
	}
	for (size_t i = 0; i < p->nchanges; i++) {
		if (!res[i].reason[0])
			continue;
		printf("node %s %s: %s\n", where(p->changes[i].node, n, sizeof(n)),
		       format_pagesize(p->changes[i].size_kib, ps, sizeof(ps)), res[i].reason);
		if (res[i].next_step[0])
			printf("  next: %s\n", res[i].next_step);
	}
	printf("%s\n", result);
}

/* Apply, then record what changed; a journal failure puts the pools back. */
static int apply_and_record(struct cli *c, struct host *h, struct set_opts *s,
			    const struct hp_plan *plan, struct hp_result *res,
			    unsigned long long *ret_id, struct diag *d)
{
	struct journal_entry je;
	int r, jr;

	s->apply.progress = hp_cli_progress;
	s->apply.progress_data = c;
	r = hugepages_apply(h, plan, &s->apply, res, d);
	if (r < 0)
		return r;
	journal_entry_init(&je, c->cmdline);
	journal_add_hp_plan(&je, plan, res);
	jr = hp_cli_record(c, h, &je, ret_id);
	journal_entry_release(&je);
	if (jr < 0) {
		(void)hugepages_rollback(h, plan, res);
		return diag_set(d, -jr, "journal", "the pools were put back");
	}
	return r;
}

static int run_set(struct cli *c, struct set_opts *s)
{
	AUTOCLOSE int lock_fd = -1;
	struct host_model m = {0};
	struct hp_mem mem = {0};
	struct hp_plan plan = {0};
	struct hp_resv_list resv = {0};
	static const char *const outcome_names[] = {
		[HP_OUTCOME_MET] = "met",
		[HP_OUTCOME_PARTIAL] = "partial",
		[HP_OUTCOME_NOTHING_CHANGED] = "failed",
		[HP_OUTCOME_ROLLED_BACK] = "rolled-back",
		[HP_OUTCOME_ROLLBACK_FAILED] = "rollback-failed",
	};
	struct hp_result *res = NULL;
	enum hp_outcome outcome;
	struct diag d = {0};
	unsigned long long id = 0;
	struct host *h;
	int r, rc;

	rc = hp_cli_lock(c, &lock_fd);
	if (rc == EXIT_OK)
		rc = hp_cli_load_model(c, &h, &m);
	if (rc != EXIT_OK)
		return rc;
	r = hugepages_mem_load(h, &m, &mem, &d);
	if (r >= 0)
		r = hp_resv_load(h, &resv, &d);
	rc = r < 0 ? EXIT_FAILED : EXIT_USAGE;
	if (r >= 0)
		r = hugepages_decide(&m, &mem, &s->req, &plan, &d);
	if (r >= 0)
		r = hp_resv_check_plan(&resv, &plan, &d);
	hp_resv_release(&resv);
	if (r < 0) {
		/* a host file (meminfo, the records), or the request refused */
		rc = rc == EXIT_FAILED ? cli_fail_host(&d, r) : cli_fail(&d, r);
	} else if (c->dry_run) {
		rc = EXIT_OK;
		if (c->json)
			render_json_print(hp_cli_plan_json(&plan, NULL, true, "planned"), stdout);
		else
			hp_cli_plan_text(&plan, &mem, s->req.keep_free_kib);
	} else {
		res = xcalloc(plan.nchanges ? plan.nchanges : 1, sizeof(*res));
		r = apply_and_record(c, h, s, &plan, res, &id, &d);
		outcome = hugepages_outcome(&plan, res, r);
		if (r < 0)
			cli_error_diag(&d, r);
		if (c->json) {
			struct json_object *o =
				hp_cli_plan_json(&plan, res, false, outcome_names[outcome]);

			json_object_object_add(o, "journal_id",
					       id ? json_object_new_int64((int64_t)id) : NULL);
			render_json_print(o, stdout);
		} else {
			hp_cli_result_text(&plan, res, hp_outcome_text(outcome));
			if (id)
				printf("journal entry %llu: 'kvmtune undo %llu' reverts it\n", id,
				       id);
		}
		/* nothing changed is a plain failure; a restore or a shortfall is 3 */
		rc = outcome == HP_OUTCOME_MET		     ? EXIT_OK
		     : outcome == HP_OUTCOME_NOTHING_CHANGED ? EXIT_FAILED
							     : EXIT_PARTIAL;
		free(res);
	}
	hp_plan_release(&plan);
	hugepages_mem_release(&mem);
	host_model_release(&m);
	return rc;
}

static int cmd_set(struct cli *c, int argc, char **argv)
{
	struct set_opts s = {.req = HP_REQUEST_INIT};
	int rc;

	if (!parse_set_opts(c, argc, argv, &s, &rc))
		rc = run_set(c, &s);
	hp_request_release(&s.req);
	return rc;
}

/* Nested verbs (git's OPT_SUBCOMMAND); none: show the pools. */
static const struct {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
} verbs[] = {
	{"set", cmd_set},
	{"reserve", cmd_hugepages_reserve},
	{"release", cmd_hugepages_release},
	{"persist", cmd_hugepages_persist},
	{"mount", cmd_hugepages_mount},
};

int cmd_hugepages(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	if (argc > 1)
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (strcmp(argv[1], verbs[i].name) == 0)
				return verbs[i].fn(c, argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'h':
			hugepages_usage(stdout);
			return EXIT_OK;
		default:
			hugepages_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (strcmp(argv[optind], verbs[i].name) == 0)
				return verbs[i].fn(c, argc - optind, argv + optind);
	return cmd_show(c, argc - optind + 1, argv + optind - 1);
}
