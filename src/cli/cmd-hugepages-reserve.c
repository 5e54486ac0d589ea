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

#include "cli/cli.h"
#include "cli/cmd-hugepages.h"
#include "cli/render.h"
#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
#include "core/hugepages-reserve.h"
#include "core/hugepages-txn.h"
#include "core/model.h"
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
		"       kvmtune hugepages release --owner NAME | --stale [--dry-run] [--json]\n\n"
		"reserve: grow the pool of --page pages (on --node, else host-wide) by exactly\n"
		"--size (rounded up to whole pages) and record it in /run/kvmtune/hugepages/NAME.\n"
		"All or nothing: if the pages cannot all be found, the pool is put back (exit 3).\n"
		"Reserving the same again for the same owner changes nothing.\n"
		"release: shrink each pool by what NAME reserved, never below what other owners\n"
		"hold or what running processes use, and remove the record.  Records whose\n"
		"holder process is gone (a 'kvmtune run' killed with SIGKILL) are released too;\n"
		"--stale releases only those.\n"
		"Both wait up to 60 s for another kvmtune changing the pools (lock\n"
		"/run/kvmtune/lock/hugepages).\n");
}

struct resv_opts {
	const char *owner;
	bool stale;
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
		{"stale", no_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct diag d = {0};
	uint64_t v;
	int opt, r;

	*o = (struct resv_opts){.node = -1, .keep_free_kib = -1, .apply.timeout_s = 60};
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *bad = NULL;

		if ((!reserve && strchr("spNtkD", opt)) || (reserve && opt == 'S')) {
			cli_error("hugepages release takes only --owner, --stale, --dry-run and "
				  "--json; reserve no --stale");
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
		case 'S':
			o->stale = true;
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
	if ((!o->owner && !o->stale) || (reserve && (!o->size_kib || !o->page_kib))) {
		cli_error("hugepages %s: %s required", argv[0],
			  reserve ? "--size, --page and --owner are" : "--owner or --stale is");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (o->owner && hp_owner_check(o->owner, &d) < 0) {
		cli_error_diag(&d, -EINVAL);
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

/* Each line of a record, indented. */
static void print_record(const char *owner, const char *record)
{
	printf("record %s/%s:%s", HP_RESV_DIR, owner, *record ? "\n" : " (none)\n");
	for (const char *p = record; *p;) {
		size_t len = strcspn(p, "\n");

		printf("  %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
}

void hp_cli_txn_report(struct cli *c, const struct hp_txn_result *t, const char *owner,
		       const char *result)
{
	if (c->json) {
		struct json_object *o = hp_cli_plan_json(&t->plan, t->res, c->dry_run, result);
		struct json_object *st = json_object_new_array();

		for (char **p = t->stale; p && *p; p++)
			json_object_array_add(st, json_object_new_string(*p));
		json_object_object_add(o, "owner", owner ? json_object_new_string(owner) : NULL);
		/* no record text when the transaction ended before reading it (lock busy) */
		json_object_object_add(o, "record",
				       t->record ? json_object_new_string(t->record) : NULL);
		json_object_object_add(o, "journal_id",
				       t->journal_id ? json_object_new_int64((int64_t)t->journal_id)
						     : NULL);
		json_object_object_add(o, "stale_released", st);
		if (t->stale_plan.nchanges)
			json_object_object_add(
				o, "stale_release",
				hp_cli_plan_json(&t->stale_plan, t->stale_res, c->dry_run,
						 t->stale_res ? "released" : "planned"));
		render_json_print(o, stdout);
		return;
	}
	for (char **p = t->stale; p && *p; p++)
		printf("stale record of '%s' (its process is gone): %s\n", *p,
		       c->dry_run ? "to be released" : "released");
	if (t->stale_plan.nchanges && !t->stale_res)
		hp_cli_plan_text(&t->stale_plan, NULL, -1);
	else if (t->stale_plan.nchanges)
		hp_cli_result_text(&t->stale_plan, t->stale_res, "stale records released");
	if (!t->plan.nchanges)
		printf("%s\n", result);
	else if (!t->res)
		hp_cli_plan_text(&t->plan, NULL, -1);
	else
		hp_cli_result_text(&t->plan, t->res, result);
	if (owner && t->record)
		print_record(owner, t->record);
	if (t->journal_id)
		printf("journal entry %llu: 'kvmtune undo %llu' reverts it\n",
		       (unsigned long long)t->journal_id, (unsigned long long)t->journal_id);
}

/* After the error: what a journal failure did (kvmtune makes no change undo cannot revert). */
static void journal_failure_note(const struct hp_txn_result *t)
{
	if (t->fail == HP_TXN_FAIL_JOURNAL)
		cli_error("putting the change back: kvmtune makes no change the undo journal "
			  "cannot revert");
	else if (t->fail == HP_TXN_FAIL_UNJOURNALED)
		cli_error("the undo journal could not record the change and putting it back "
			  "failed: see 'kvmtune hugepages' and the records in %s",
			  HP_RESV_DIR);
}

/* True when a failed apply of plan changed no pool (res NULL: nothing applied). */
static bool nothing_changed(const struct hp_plan *plan, const struct hp_result *res, int r)
{
	return !res || hugepages_outcome(plan, res, r) == HP_OUTCOME_NOTHING_CHANGED;
}

/* The text and exit code of a reservation that failed (r < 0). */
static int reserve_failure(int r, const struct hp_txn_result *t, const char **ret_result)
{
	switch (t->fail) {
	case HP_TXN_FAIL_READ: /* a bad host file: exit 1 (see enum exit_code) */
		*ret_result = "not reserved: reading the host failed, nothing was changed";
		return EXIT_FAILED;
	case HP_TXN_FAIL_APPLY:
		if (nothing_changed(&t->plan, t->res, r)) {
			*ret_result = "not reserved: failed, nothing was changed";
			return EXIT_FAILED;
		}
		*ret_result = "not reserved: failed, the pool was put back";
		return EXIT_PARTIAL;
	case HP_TXN_FAIL_RECORD:
		*ret_result =
			"not reserved: the record could not be written, the pool was put back";
		return EXIT_PARTIAL;
	case HP_TXN_FAIL_JOURNAL:
		*ret_result = "not reserved: the undo journal could not record it, the pool and "
			      "the record were put back";
		return EXIT_PARTIAL;
	case HP_TXN_FAIL_UNJOURNALED:
		*ret_result = "not reserved: the undo journal could not record it, putting it "
			      "back failed";
		return EXIT_PARTIAL;
	case HP_TXN_FAIL_STALE:
		*ret_result = "not reserved: releasing stale records failed";
		return nothing_changed(&t->stale_plan, t->stale_res, r) ? EXIT_FAILED
									: EXIT_PARTIAL;
	default:
		break;
	}
	if (r == -EINVAL || r == -ENOSPC || r == -EEXIST || r == -ERANGE || r == -EBUSY) {
		*ret_result = "not reserved: refused, nothing changed";
		return EXIT_USAGE;
	}
	*ret_result = "not reserved: failed";
	return EXIT_FAILED;
}

int hp_cli_reserve_outcome(int r, const struct hp_txn_result *t, bool dry_run,
			   const char **ret_result)
{
	if (r == 0) {
		*ret_result = t->already ? "already reserved: nothing to do"
			      : dry_run	 ? "planned"
					 : "reserved";
		return EXIT_OK;
	}
	if (r == 1) {
		*ret_result = "not reserved: too few pages could be found, the pool was put back";
		return EXIT_PARTIAL;
	}
	return reserve_failure(r, t, ret_result);
}

int hp_cli_reserve(struct cli *c, const char *owner, const struct hp_needs *needs,
		   const struct hp_txn_opts *o, bool report_refusal)
{
	struct hp_txn_result t = {0};
	struct diag d = {0};
	const char *result;
	struct host *h;
	int r, rc;

	r = cli_host(c, &h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	r = hp_txn_reserve(h, owner, needs, o, &t, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		journal_failure_note(&t);
	}
	rc = hp_cli_reserve_outcome(r, &t, o->dry_run, &result);
	if (r >= 0 || t.res || report_refusal)
		hp_cli_txn_report(c, &t, owner, result);
	hp_txn_result_release(&t);
	return rc;
}

int cmd_hugepages_reserve(struct cli *c, int argc, char **argv)
{
	struct hp_needs needs = {0};
	struct resv_opts o;
	struct hp_txn_opts to;
	struct diag d = {0};
	int rc;

	if (parse_resv_opts(c, argc, argv, true, &o, &rc))
		return rc;
	if (hp_needs_add(&needs, o.node, o.page_kib, o.size_kib, &d) < 0) {
		cli_error_diag(&d, -ERANGE);
		return EXIT_USAGE;
	}
	to = (struct hp_txn_opts){.lock_timeout_ms = HP_CLI_LOCK_WAIT_MS,
				  .keep_free_kib = o.keep_free_kib,
				  .dry_run = c->dry_run,
				  .journal_command = c->cmdline};
	o.apply.progress = hp_cli_progress;
	o.apply.progress_data = c;
	to.apply = o.apply;
	rc = hp_cli_reserve(c, o.owner, &needs, &to, false);
	hp_needs_release(&needs);
	return rc;
}

/* Report a release that failed (r < 0) where it did something; its exit code. */
static int release_failure(struct cli *c, const struct hp_txn_result *t, const char *owner, int r)
{
	const char *result;

	switch (t->fail) {
	case HP_TXN_FAIL_READ: /* a bad host file: exit 1 (see enum exit_code) */
		return EXIT_FAILED;
	case HP_TXN_FAIL_APPLY:
		if (nothing_changed(&t->plan, t->res, r)) {
			hp_cli_txn_report(c, t, owner, "release failed: nothing was changed");
			return EXIT_FAILED;
		}
		result = "release failed: the pools were put back";
		break;
	case HP_TXN_FAIL_RECORD:
		result = "pools shrunk, but the record could not be removed";
		break;
	case HP_TXN_FAIL_JOURNAL:
		result = "not released: the undo journal could not record it, the pools and the "
			 "record were put back";
		break;
	case HP_TXN_FAIL_UNJOURNALED:
		result = "not released: the undo journal could not record it, putting it back "
			 "failed";
		break;
	default:
		return cli_exit_for(r);
	}
	hp_cli_txn_report(c, t, owner, result);
	return EXIT_PARTIAL;
}

int hp_cli_release(struct cli *c, char *const *owners, size_t nowners, const struct hp_txn_opts *o)
{
	struct hp_txn_result t = {0};
	struct diag d = {0};
	struct host *h;
	int r, rc;

	r = cli_host(c, &h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	r = hp_txn_release(h, owners, nowners, o, &t, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		journal_failure_note(&t);
		rc = release_failure(c, &t, nowners == 1 ? owners[0] : NULL, r);
		hp_txn_result_release(&t);
		return rc;
	}
	hp_cli_txn_report(
		c, &t, nowners == 1 ? owners[0] : NULL,
		o->dry_run ? "planned"
		: t.kept_pages > 0
			? "released; some pages stay in the pool: in use or held by others"
		: t.plan.nchanges ? "released"
				  : "nothing to release: the owner holds no reservation");
	hp_txn_result_release(&t);
	return EXIT_OK;
}

int cmd_hugepages_release(struct cli *c, int argc, char **argv)
{
	struct resv_opts o;
	struct hp_txn_opts to;
	char *owners[1];
	int rc;

	if (parse_resv_opts(c, argc, argv, false, &o, &rc))
		return rc;
	owners[0] = (char *)o.owner;
	to = (struct hp_txn_opts){.lock_timeout_ms = HP_CLI_LOCK_WAIT_MS,
				  .keep_free_kib = -1,
				  .dry_run = c->dry_run,
				  .clean_stale = true,
				  .journal_command = c->cmdline};
	to.apply = o.apply;
	to.apply.progress = hp_cli_progress;
	to.apply.progress_data = c;
	return hp_cli_release(c, owners, o.owner ? 1 : 0, &to);
}
