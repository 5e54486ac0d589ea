/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune hugepages reserve / release: grow a pool by exactly what one VM
 * needs and record it under /run/kvmtune/hugepages, and give it back.
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
#include "core/undo.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

static void reserve_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune hugepages reserve --size SIZE --page SIZE [--node N] --owner NAME\n"
		"                                 [--dry-run] [--timeout S] [--keep-free SIZE]\n"
		"                                 [--drop-caches] [--json]\n"
		"       kvmtune hugepages release --owner NAME [--dry-run] [--json]\n\n"
		"reserve: grow the pool of --page pages (on --node, else host-wide) by exactly\n"
		"--size (rounded up to whole pages) and record it in /run/kvmtune/hugepages/NAME.\n"
		"All or nothing: if the pages cannot all be found, the pool is put back (exit 3).\n"
		"Reserving the same again for the same owner changes nothing.\n"
		"release: shrink each pool by what NAME reserved, never below what other owners\n"
		"hold or what running processes use, and remove the record.\n");
}

struct resv_opts {
	const char *owner;
	uint64_t size_kib, page_kib;
	int node;
	int64_t keep_free_kib;
	struct hp_apply_opts apply;
};

/* Parse reserve/release options; true to stop with *ret_exit (help, bad usage). */
static bool parse_resv_opts(struct cli *c, int argc, char **argv, bool reserve, struct resv_opts *o,
			    int *ret_exit)
{
	static const struct option opts[] = {
		{"size", required_argument, NULL, 's'},
		{"page", required_argument, NULL, 'p'},
		{"node", required_argument, NULL, 'N'},
		{"owner", required_argument, NULL, 'o'},
		{"dry-run", no_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"keep-free", required_argument, NULL, 'k'},
		{"drop-caches", no_argument, NULL, 'D'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int opt, r;

	*o = (struct resv_opts){.node = -1, .keep_free_kib = -1, .apply.timeout_s = 60};
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *bad = NULL;

		if (!reserve && strchr("spNtkD", opt)) {
			cli_error("hugepages release takes only --owner, --dry-run and --json");
			*ret_exit = EXIT_USAGE;
			return true;
		}
		switch (opt) {
		case 's':
			r = parse_size_kib(optarg, &o->size_kib);
			if (r == -ERANGE)
				bad = "--size: too large (more than 4 EiB)";
			else if (r < 0 || !o->size_kib)
				bad = "--size: expected a size such as 8G";
			break;
		case 'p':
			if (parse_size_kib(optarg, &o->page_kib) < 0 || !o->page_kib)
				bad = "--page: expected a page size such as 2M or 1G";
			break;
		case 'N':
			if (parse_int(optarg, &o->node) < 0 || o->node < 0)
				bad = "--node: expected one node number";
			break;
		case 'o':
			o->owner = optarg;
			break;
		case 'n':
			c->dry_run = true;
			break;
		case 't':
			if (parse_u64(optarg, &v) < 0 || v == 0 || v > 86400)
				bad = "--timeout: expected whole seconds, 1 to 86400";
			o->apply.timeout_s = (unsigned)v;
			break;
		case 'k':
			if (parse_size_kib(optarg, &v) < 0 || v > INT64_MAX / 2)
				bad = "--keep-free: expected a size such as 512M or 2G";
			o->keep_free_kib = (int64_t)v;
			break;
		case 'D':
			o->apply.drop_caches = true;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			reserve_usage(stdout);
			*ret_exit = EXIT_OK;
			return true;
		default:
			reserve_usage(stderr);
			*ret_exit = EXIT_USAGE;
			return true;
		}
		if (bad) {
			cli_error("%s, got '%s'", bad, optarg);
			*ret_exit = EXIT_USAGE;
			return true;
		}
	}
	if (optind < argc) {
		cli_error("hugepages %s: unexpected argument '%s'", argv[0], argv[optind]);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (!o->owner || (reserve && (!o->size_kib || !o->page_kib))) {
		cli_error("hugepages %s: %s required", argv[0],
			  reserve ? "--size, --page and --owner are" : "--owner is");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

/* Print what happened (or the plan) with the owner and its record. */
static void report(struct cli *c, const struct hp_plan *plan, const struct hp_result *res,
		   const char *owner, const char *record, const char *result,
		   unsigned long long journal_id)
{
	if (c->json) {
		struct json_object *o = hp_cli_plan_json(plan, res, result);

		json_object_object_add(o, "owner", json_object_new_string(owner));
		json_object_object_add(o, "record", json_object_new_string(record));
		json_object_object_add(o, "journal_id",
				       journal_id ? json_object_new_int64((int64_t)journal_id)
						  : NULL);
		render_json_print(o, stdout);
		return;
	}
	if (!plan->nchanges)
		printf("%s\n", result);
	else if (!res)
		hp_cli_plan_text(plan, NULL, -1);
	else
		hp_cli_result_text(plan, res, result);
	printf("record %s/%s:%s", HP_RESV_DIR, owner, *record ? "\n" : " (none)\n");
	if (*record)
		printf("  %s", record);
	if (journal_id)
		printf("journal entry %llu: 'kvmtune undo %llu' reverts it\n", journal_id,
		       journal_id);
}

/* The owner's record file now (NULL: absent). */
static char *read_record(struct host *h, const char *owner)
{
	AUTOFREE char *path = xasprintf(HP_RESV_DIR "/%s", owner);
	char *text = NULL;

	if (host_read(h, path, &text, NULL, NULL) < 0)
		return NULL;
	return text;
}

/*
 * Record the pools and the owner's record file as changed; when the journal
 * cannot take it, put both back and return -errno.
 */
static int record_change(struct cli *c, struct host *h, const struct hp_plan *plan,
			 const struct hp_result *res, const char *owner, const char *old_record,
			 unsigned long long *ret_id)
{
	AUTOFREE char *path = xasprintf(HP_RESV_DIR "/%s", owner);
	AUTOFREE char *now = read_record(h, owner);
	struct journal_entry je;
	struct diag d = {0};
	int r;

	journal_entry_init(&je, c->cmdline);
	journal_add_hp_plan(&je, plan, res);
	if (!(old_record && now && strcmp(old_record, now) == 0) && (old_record || now))
		journal_add_file(&je, JOURNAL_FILE, path, old_record,
				 old_record ? strlen(old_record) : 0, now, now ? strlen(now) : 0,
				 0644);
	r = hp_cli_record(c, h, &je, ret_id);
	if (r < 0 && undo_revert_unrecorded(h, &je, &d) < 0)
		cli_error_diag(&d, -EIO);
	journal_entry_release(&je);
	return r;
}

struct resv_state {
	struct host_model m;
	struct hp_mem mem;
	struct hp_resv_list l;
	struct hp_plan plan;
	struct host *h;
	int lock_fd; /* the "hugepages" lock, -1 for a dry run */
};

static void state_release(struct resv_state *s)
{
	hp_plan_release(&s->plan);
	hp_resv_release(&s->l);
	hugepages_mem_release(&s->mem);
	host_model_release(&s->m);
	if (s->lock_fd >= 0)
		(void)close(s->lock_fd);
	s->lock_fd = -1;
}

static int state_load(struct cli *c, struct resv_state *s)
{
	struct diag d = {0};
	int r, rc;

	rc = hp_cli_lock(c, &s->lock_fd);
	if (rc == EXIT_OK)
		rc = hp_cli_load_model(c, &s->h, &s->m);
	if (rc != EXIT_OK)
		return rc;
	r = hugepages_mem_load(s->h, &s->m, &s->mem, &d);
	if (r >= 0)
		r = hp_resv_load(s->h, &s->l, &d);
	return r < 0 ? cli_fail_host(&d, r) : EXIT_OK; /* meminfo, the reservation records */
}

/* Apply a reservation: all pages or none, then the record. */
static int reserve_apply(struct cli *c, struct resv_state *s, struct resv_opts *o)
{
	AUTOFREE struct hp_result *res = xcalloc(s->plan.nchanges, sizeof(*res));
	AUTOFREE char *record = hp_resv_format_owner(&s->l, o->owner);
	AUTOFREE char *old_record = read_record(s->h, o->owner);
	unsigned long long id = 0;
	struct diag d = {0};
	int r;

	o->apply.progress = hp_cli_progress;
	o->apply.progress_data = c;
	r = hugepages_apply(s->h, &s->plan, &o->apply, res, &d);
	if (r == 0) {
		r = hp_resv_save_owner(s->h, &s->l, o->owner, &d);
		if (r >= 0 &&
		    record_change(c, s->h, &s->plan, res, o->owner, old_record, &id) < 0) {
			report(c, &s->plan, res, o->owner, "",
			       "not reserved: the undo journal could not record it, the pool and "
			       "the record were put back",
			       0);
			return EXIT_PARTIAL;
		}
		if (r >= 0) {
			report(c, &s->plan, res, o->owner, record, "reserved", id);
			return EXIT_OK;
		}
		cli_error_diag(&d, r);
		(void)hugepages_rollback(s->h, &s->plan, res);
		report(c, &s->plan, res, o->owner, "",
		       "not reserved: the record could not be written", 0);
		return EXIT_PARTIAL;
	}
	if (r > 0) {
		/* A VM needs all its pages: give back the part we got. */
		(void)hugepages_rollback(s->h, &s->plan, res);
		report(c, &s->plan, res, o->owner, "",
		       "not reserved: too few pages could be found, the pool was put back", 0);
		return EXIT_PARTIAL;
	}
	cli_error_diag(&d, r);
	report(c, &s->plan, res, o->owner, "",
	       hugepages_outcome(&s->plan, res, r) == HP_OUTCOME_NOTHING_CHANGED
		       ? "not reserved: failed, nothing was changed"
		       : "not reserved: failed, the pool was put back",
	       0);
	return hugepages_outcome(&s->plan, res, r) == HP_OUTCOME_NOTHING_CHANGED ? EXIT_FAILED
										 : EXIT_PARTIAL;
}

int cmd_hugepages_reserve(struct cli *c, int argc, char **argv)
{
	struct resv_state s = {.lock_fd = -1};
	struct resv_opts o;
	struct diag d = {0};
	bool already = false;
	int r, rc;

	if (parse_resv_opts(c, argc, argv, true, &o, &rc))
		return rc;
	rc = state_load(c, &s);
	if (rc == EXIT_OK) {
		r = hugepages_decide_reserve(&s.m, &s.mem, &s.l, o.owner, o.node, o.page_kib,
					     o.size_kib, o.keep_free_kib, &s.plan, &already, &d);
		if (r < 0) {
			rc = cli_fail(&d, r);
		} else if (already) {
			AUTOFREE char *record = hp_resv_format_owner(&s.l, o.owner);

			report(c, &s.plan, NULL, o.owner, record, "already reserved: nothing to do",
			       0);
		} else if (c->dry_run) {
			AUTOFREE char *record = hp_resv_format_owner(&s.l, o.owner);

			report(c, &s.plan, NULL, o.owner, record, "planned", 0);
		} else {
			rc = reserve_apply(c, &s, &o);
		}
	}
	state_release(&s);
	return rc;
}

int cmd_hugepages_release(struct cli *c, int argc, char **argv)
{
	struct resv_state s = {.lock_fd = -1};
	AUTOFREE struct hp_result *res = NULL;
	AUTOFREE char *record = NULL;
	AUTOFREE char *old_record = NULL;
	unsigned long long id = 0;
	struct resv_opts o;
	struct diag d = {0};
	int64_t kept = 0;
	int r, rc;

	if (parse_resv_opts(c, argc, argv, false, &o, &rc))
		return rc;
	rc = state_load(c, &s);
	if (rc != EXIT_OK) {
		state_release(&s);
		return rc;
	}
	r = hugepages_decide_release(&s.m, &s.l, o.owner, &s.plan, &kept, &d);
	if (r < 0) {
		state_release(&s);
		return cli_fail(&d, r);
	}
	record = hp_resv_format_owner(&s.l, o.owner);
	if (c->dry_run) {
		report(c, &s.plan, NULL, o.owner, record, "planned", 0);
		state_release(&s);
		return EXIT_OK;
	}
	res = xcalloc(s.plan.nchanges + 1, sizeof(*res));
	old_record = read_record(s.h, o.owner);
	o.apply.progress = hp_cli_progress;
	o.apply.progress_data = c;
	r = hugepages_apply(s.h, &s.plan, &o.apply, res, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		report(c, &s.plan, res, o.owner, record,
		       hugepages_outcome(&s.plan, res, r) == HP_OUTCOME_NOTHING_CHANGED
			       ? "release failed: nothing was changed"
			       : "release failed: the pools were put back",
		       0);
	} else {
		r = hp_resv_save_owner(s.h, &s.l, o.owner, &d);
		if (r < 0)
			cli_error_diag(&d, r);
		else
			r = record_change(c, s.h, &s.plan, res, o.owner, old_record, &id);
		report(c, &s.plan, res, o.owner, record,
		       r < 0 && d.err ? "pools shrunk, but the record could not be removed"
		       : r < 0	      ? "not released: the undo journal could not record it, the "
					"pools and the record were put back"
		       : kept > 0
			       ? "released; some pages stay in the pool: in use or held by others"
		       : s.plan.nchanges ? "released"
					 : "nothing to release: the owner holds no reservation",
		       id);
	}
	state_release(&s);
	return r < 0 ? EXIT_PARTIAL : EXIT_OK;
}
