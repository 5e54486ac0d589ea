/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmtune undo: list the undo journal, or revert one entry (the latest by default). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "core/journal.h"
#include "core/undo.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

static void undo_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] undo [ID] [--force] [--dry-run] [--json]\n"
		"       kvmtune [--root DIR] undo --list [--json]\n\n"
		"Every command that changes the host (hugepages "
		"set/reserve/release/persist/mount,\n"
		"profile apply, xml --write) records what it changed in the undo journal,\n"
		"%s below the root.  'undo' reverts the latest entry not undone\n"
		"yet, or entry ID: every value, pool and file back to what it was, all or "
		"nothing.\n"
		"It refuses (exit 2, nothing changed) when something else changed one of them\n"
		"since, unless --force.\n\n"
		"  --list      the journal: id, time, changes, whether undone, the command\n"
		"  --force     revert even what changed since\n"
		"  --dry-run   show what would be reverted\n"
		"  --json      machine-readable output\n\n"
		"Exit codes: 0 undone; 2 no such entry, already undone, or changed since (nothing\n"
		"changed); 3 a revert failed and everything was put back; 1 failed.\n",
		JOURNAL_DIR);
}

static void time_text(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm))
		(void)snprintf(buf, n, "%" PRId64, t);
}

static int list(struct cli *c, struct host *h)
{
	struct journal_entry *v = NULL;
	struct json_object *a;
	struct diag d = {0};
	size_t n = 0;
	char when[40], cmd[512];
	int r;

	r = journal_list(h, &v, &n, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		return EXIT_FAILED;
	}
	a = json_object_new_array();
	if (!c->json)
		printf("%-6s %-21s %-7s %-7s %s\n", "id", "time", "changes", "undone", "command");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		time_text(v[i].time_s, when, sizeof(when));
		if (!c->json)
			printf("%-6" PRIu64 " %-21s %-7zu %-7s %s\n", v[i].id, when, v[i].nchanges,
			       v[i].undone_by ? "yes" : "no",
			       render_esc(v[i].command, cmd, sizeof(cmd)));
		json_object_object_add(o, "id", json_object_new_int64((int64_t)v[i].id));
		json_object_object_add(o, "time", json_object_new_int64(v[i].time_s));
		json_object_object_add(o, "command", json_object_new_string(v[i].command));
		json_object_object_add(o, "changes", json_object_new_int64((int64_t)v[i].nchanges));
		json_object_object_add(o, "undone",
				       json_object_new_boolean(v[i].undone_by != NULL));
		json_object_array_add(a, o);
	}
	if (!c->json && !n)
		printf("(the journal is empty)\n");
	if (c->json)
		render_json_print(a, stdout);
	else
		json_object_put(a);
	journal_list_free(v, n);
	return EXIT_OK;
}

/* "60 -> 10" for values, "120 bytes -> absent" for files: what the revert does. */
static void change_text(const struct journal_change *ch, char *buf, size_t n)
{
	char a[64], b[64];

	if (ch->kind == JOURNAL_VALUE || ch->kind == JOURNAL_POOL) {
		(void)snprintf(buf, n, "%s -> %s", render_esc(ch->new, a, sizeof(a)),
			       render_esc(ch->old, b, sizeof(b)));
		return;
	}
	if (ch->new)
		(void)snprintf(a, sizeof(a), "%zu bytes", ch->new_len);
	else
		(void)snprintf(a, sizeof(a), "absent");
	if (ch->old)
		(void)snprintf(b, sizeof(b), "%zu bytes", ch->old_len);
	else
		(void)snprintf(b, sizeof(b), "absent");
	(void)snprintf(buf, n, "%s -> %s", a, b);
}

static void report_text(const struct undo_report *rep, bool dry_run, int r)
{
	char when[40], what[160], now[200], path[512];

	time_text(rep->entry.time_s, when, sizeof(when));
	printf("journal entry %" PRIu64 " (%s): %s\n", rep->entry.id, when, rep->entry.command);
	for (size_t i = 0; i < rep->nitems; i++) {
		const struct undo_item *it = &rep->items[i];

		change_text(it->change, what, sizeof(what));
		printf("  %-13s %s (%s): %s",
		       !it->conflict		     ? undo_status_name(it->status)
		       : it->status == UNDO_REVERTED ? "forced"
						     : "changed",
		       render_esc(it->change->path, path, sizeof(path)),
		       journal_kind_name(it->change->kind), what);
		if (it->conflict)
			printf("; held %s (changed since)", render_esc(it->now, now, sizeof(now)));
		printf("\n");
		if (it->detail[0])
			printf("  %-13s %s\n", "", it->detail);
	}
	if (r < 0)
		return;
	printf("%s journal entry %" PRIu64 "\n", dry_run ? "would undo" : "undone:", rep->entry.id);
}

static struct json_object *report_json(const struct undo_report *rep, bool dry_run,
				       const char *result)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "id", json_object_new_int64((int64_t)rep->entry.id));
	json_object_object_add(o, "command", json_object_new_string(rep->entry.command));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
	for (size_t i = 0; i < rep->nitems; i++) {
		const struct undo_item *it = &rep->items[i];
		const struct journal_change *ch = it->change;
		struct json_object *e = json_object_new_object();
		bool value = ch->kind == JOURNAL_VALUE || ch->kind == JOURNAL_POOL;

		json_object_object_add(e, "kind",
				       json_object_new_string(journal_kind_name(ch->kind)));
		json_object_object_add(e, "path", json_object_new_string(ch->path));
		json_object_object_add(e, "old", value ? json_object_new_string(ch->old) : NULL);
		json_object_object_add(e, "new", value ? json_object_new_string(ch->new) : NULL);
		json_object_object_add(e, "now", json_object_new_string(it->now));
		json_object_object_add(e, "changed_since", json_object_new_boolean(it->conflict));
		json_object_object_add(e, "status",
				       json_object_new_string(undo_status_name(it->status)));
		json_object_object_add(e, "detail",
				       it->detail[0] ? json_object_new_string(it->detail) : NULL);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "changes", a);
	json_object_object_add(o, "result", json_object_new_string(result));
	return o;
}

/* Options into o and *ret_list; true to stop with *ret_exit (help, bad usage). */
static bool parse_opts(struct cli *c, int argc, char **argv, struct undo_opts *o, bool *ret_list,
		       int *ret_exit)
{
	static const struct option opts[] = {
		{"list", no_argument, NULL, 'l'},    {"force", no_argument, NULL, 'f'},
		{"dry-run", no_argument, NULL, 'n'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0},
	};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			*ret_list = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'n':
			c->dry_run = true;
			break;
		case 'j':
			c->json = true;
			break;
		default:
			undo_usage(opt == 'h' ? stdout : stderr);
			*ret_exit = opt == 'h' ? EXIT_OK : EXIT_USAGE;
			return true;
		}
	}
	*ret_exit = EXIT_USAGE;
	if (optind < argc && (parse_u64(argv[optind], &o->id) < 0 || o->id == 0)) {
		cli_error("undo: '%s' is not a journal entry id (see 'kvmtune undo --list')",
			  argv[optind]);
		return true;
	}
	if (optind + (optind < argc) < argc || (*ret_list && (optind < argc || o->force))) {
		cli_error("undo: expected one ID at most, and --list alone");
		return true;
	}
	o->dry_run = c->dry_run;
	return false;
}

int cmd_undo(struct cli *c, int argc, char **argv)
{
	struct undo_opts o = {.command = c->cmdline};
	struct undo_report rep = {0};
	struct diag d = {0};
	bool do_list = false;
	struct host *h;
	int r, rc;

	if (parse_opts(c, argc, argv, &o, &do_list, &rc))
		return rc;
	r = cli_host(c, &h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	if (do_list)
		return list(c, h);
	r = undo_run(h, &o, &rep, &d);
	if (r < 0)
		cli_error_diag(&d, r);
	if (rep.items && r != -EALREADY && c->json)
		render_json_print(report_json(&rep, o.dry_run,
					      r >= 0	     ? (o.dry_run ? "planned" : "undone")
					      : r == -ESTALE ? "changed-since"
					      : r == -EEXIST ? "reserved"
							     : "rolled-back"),
				  stdout);
	else if (rep.items && r != -EALREADY)
		report_text(&rep, o.dry_run, r);
	if (r >= 0)
		rc = EXIT_OK;
	else if (r == -ESTALE || r == -EALREADY || r == -ENOENT || r == -EPERM || r == -EINVAL ||
		 r == -EEXIST)
		rc = EXIT_USAGE; /* refused (EEXIST: pages reserved for VMs): nothing was changed */
	else
		rc = rep.items ? EXIT_PARTIAL : EXIT_FAILED;
	undo_report_release(&rep);
	return rc;
}
