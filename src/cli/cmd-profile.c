/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune profile: list the built-in profiles and the tunables, verify a
 * host against a profile, show the plan (diff), apply it (all or nothing,
 * recorded in the undo journal), optionally persisted.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "core/file-plan.h"
#include "core/knob-plan.h"
#include "profile/profile-plan.h"
#include "profile/profile.h"
#include "profile/tunables.h"
#include "util/diag.h"

#include "util/banned.h"

static void profile_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune profile list [NAME|FILE] [--tunables] [--json]\n"
		"       kvmtune [--root DIR] profile verify NAME|FILE [--json]\n"
		"       kvmtune [--root DIR] profile diff NAME|FILE [--ksm-unmerge] [--persist] "
		"[--json]\n"
		"       kvmtune [--root DIR] profile apply NAME|FILE [--ksm-unmerge] [--persist]\n"
		"                                       [--dry-run] [--json]\n\n"
		"Host profiles: virtual-host, virtual-guest, latency-host, or a profile file\n"
		"('include = virtual-host', 'vm.swappiness = 5', 'block.scheduler[hdd] = bfq',\n"
		"'net.core.somaxconn >= 4096', 'unset cpu.governor', '# why').\n\n"
		"list      the built-in profiles; with NAME its values, why and their sources;\n"
		"          --tunables: every tunable a profile can set\n"
		"verify    compare this host with the profile: exit 1 when a value differs\n"
		"          (tunables the host lacks are 'not-present', values it does not offer\n"
		"          'unavailable': neither fails)\n"
		"diff      the plan: each file, its value now and the one to write, and why\n"
		"apply     write the plan, read every value back, and restore all of them if one\n"
		"          write fails; record it in the undo journal ('kvmtune undo')\n\n"
		"  --ksm-unmerge   allow unmerging every KSM page (needed to change\n"
		"                  ksm.merge_across_nodes while pages are shared, and for "
		"ksm.run=2):\n"
		"                  run=2, set, then run as before; the memory it needs is shown\n"
		"  --persist       also write %s,\n"
		"                  %s and\n"
		"                  %s\n"
		"  --dry-run       (apply) print the plan, change nothing\n"
		"  --json          machine-readable output\n\n"
		"Exit codes: 0 ok; 1 verify found differences; 2 bad profile or usage (nothing\n"
		"changed); 3 a write failed and everything was restored, or a difference was left\n"
		"(KSM without --ksm-unmerge).\n",
		PROFILE_SYSCTL_FILE, PROFILE_TMPFILES_FILE, PROFILE_UDEV_FILE);
}

struct popts {
	const char *verb;
	const char *name;
	bool tunables;
	struct profile_opts o;
};

/* The verb, the name and their combination with the options; true to stop with *ret_exit. */
static bool check_args(const struct cli *c, const struct popts *po, int *ret_exit)
{
	const char *why = NULL;

	if (strcmp(po->verb, "list") != 0 && !po->name)
		why = "which profile? (kvmtune profile list)";
	else if (c->dry_run && strcmp(po->verb, "apply") != 0)
		why = "--dry-run is for apply";
	else if ((po->o.persist || po->o.ksm_unmerge) && strcmp(po->verb, "apply") != 0 &&
		 strcmp(po->verb, "diff") != 0)
		why = "--persist and --ksm-unmerge are for diff and apply";
	if (!why)
		return false;
	cli_error("profile %s: %s", po->verb, why);
	*ret_exit = EXIT_USAGE;
	return true;
}

/* Options and arguments into po; true to stop with *ret_exit (help, bad usage). */
static bool parse_opts(struct cli *c, int argc, char **argv, struct popts *po, int *ret_exit)
{
	static const struct option opts[] = {
		{"ksm-unmerge", no_argument, NULL, 'k'},
		{"persist", no_argument, NULL, 'p'},
		{"tunables", no_argument, NULL, 't'},
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'k')
			po->o.ksm_unmerge = true;
		else if (opt == 'p')
			po->o.persist = true;
		else if (opt == 't')
			po->tunables = true;
		else if (opt == 'n')
			c->dry_run = true;
		else if (opt == 'j')
			c->json = true;
		else {
			profile_usage(opt == 'h' ? stdout : stderr);
			*ret_exit = opt == 'h' ? EXIT_OK : EXIT_USAGE;
			return true;
		}
	}
	if (optind < argc)
		po->verb = argv[optind++];
	if (optind < argc)
		po->name = argv[optind++];
	if (!po->verb || optind < argc) {
		if (po->verb)
			cli_error("profile: unexpected argument '%s'", argv[optind]);
		else
			cli_error("profile: expected a verb: list, verify, diff or apply");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return check_args(c, po, ret_exit);
}

static const char *op_text(const struct profile_setting *s)
{
	return s->op == PROFILE_MIN ? ">=" : "=";
}

static int list_tunables(struct cli *c)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable *t = &tunable_table[i];
		static const char *const scopes[] = {"host", "block device", "cpu"};
		static const char *const kinds[] = {"number", "word", "latency"};
		struct json_object *o = json_object_new_object();

		if (!c->json) {
			printf("%-32s %s (%s", t->name, kinds[t->kind], scopes[t->scope]);
			if (t->kind == TUNABLE_INT)
				printf(", %" PRId64 "-%" PRId64 "%s%s", t->min, t->max,
				       t->unit ? " " : "", t->unit ? t->unit : "");
			if (t->words)
				printf(", %s", t->words);
			printf(")\n    %s\n    %s\n", t->path, t->help);
		}
		json_object_object_add(o, "name", json_object_new_string(t->name));
		json_object_object_add(o, "scope", json_object_new_string(scopes[t->scope]));
		json_object_object_add(o, "kind", json_object_new_string(kinds[t->kind]));
		json_object_object_add(o, "path", json_object_new_string(t->path));
		if (t->kind == TUNABLE_INT) {
			json_object_object_add(o, "min", json_object_new_int64(t->min));
			json_object_object_add(o, "max", json_object_new_int64(t->max));
		}
		json_object_object_add(o, "unit", t->unit ? json_object_new_string(t->unit) : NULL);
		json_object_object_add(o, "words",
				       t->words ? json_object_new_string(t->words) : NULL);
		json_object_object_add(o, "help", json_object_new_string(t->help));
		json_object_array_add(a, o);
	}
	if (c->json)
		render_json_print(a, stdout);
	else
		json_object_put(a);
	return EXIT_OK;
}

static int list_builtins(struct cli *c)
{
	struct json_object *a = json_object_new_array();
	const char *name, *summary;

	for (size_t i = 0; (name = profile_builtin_name(i, &summary)); i++) {
		struct json_object *o = json_object_new_object();

		if (!c->json)
			printf("%-14s %s\n", name, summary);
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "summary", json_object_new_string(summary));
		json_object_array_add(a, o);
	}
	if (c->json)
		render_json_print(a, stdout);
	else
		json_object_put(a);
	return EXIT_OK;
}

static int load(const char *name, struct profile *p)
{
	struct diag d = {0};
	int r = profile_load(name, p, &d);

	if (r < 0) {
		cli_error_diag(&d, r);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int list_profile(struct cli *c, const char *name)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct profile p = {0};
	char key[96];
	int rc = load(name, &p);

	if (rc != EXIT_OK) {
		json_object_put(o);
		json_object_put(a);
		return rc;
	}
	if (!c->json)
		printf("profile %s: %s\n", p.name, p.summary);
	for (size_t i = 0; i < p.n; i++) {
		const struct profile_setting *s = &p.v[i];
		struct json_object *e = json_object_new_object();

		profile_setting_key(s, key, sizeof(key));
		if (!c->json)
			printf("  %s %s %s\n      why: %s\n      source: %s\n", key, op_text(s),
			       s->value, s->why[0] ? s->why : "-", s->source);
		json_object_object_add(e, "tunable", json_object_new_string(s->t->name));
		json_object_object_add(e, "class",
				       s->cls >= 0 ? json_object_new_string(block_class_name(
							     (enum block_class)s->cls))
						   : NULL);
		json_object_object_add(e, "op", json_object_new_string(op_text(s)));
		json_object_object_add(e, "value", json_object_new_string(s->value));
		json_object_object_add(e, "why", json_object_new_string(s->why));
		json_object_object_add(e, "source", json_object_new_string(s->source));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "name", json_object_new_string(p.name));
	json_object_object_add(o, "summary", json_object_new_string(p.summary));
	json_object_object_add(o, "settings", a);
	if (c->json)
		render_json_print(o, stdout);
	else
		json_object_put(o);
	profile_release(&p);
	return EXIT_OK;
}

static void check_label(const struct profile_check *ck, char *buf, size_t n)
{
	if (ck->in.name[0])
		(void)snprintf(buf, n, "%s %s", ck->s->t->name, ck->in.name);
	else
		(void)snprintf(buf, n, "%s", ck->s->t->name);
}

static struct json_object *checks_json(const struct profile *p, const struct profile_state *st)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "profile", json_object_new_string(p->name));
	json_object_object_add(o, "ok", json_object_new_int64((int64_t)st->ok));
	json_object_object_add(o, "differs", json_object_new_int64((int64_t)st->differs));
	json_object_object_add(o, "not_present", json_object_new_int64((int64_t)st->absent));
	json_object_object_add(o, "unavailable", json_object_new_int64((int64_t)st->unavailable));
	for (size_t i = 0; i < st->n; i++) {
		const struct profile_check *ck = &st->v[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "tunable", json_object_new_string(ck->s->t->name));
		json_object_object_add(e, "instance",
				       ck->in.name[0] ? json_object_new_string(ck->in.name) : NULL);
		json_object_object_add(e, "path", json_object_new_string(ck->in.path));
		json_object_object_add(
			e, "now", ck->status == PC_ABSENT ? NULL : json_object_new_string(ck->now));
		json_object_object_add(e, "wanted", json_object_new_string(ck->want));
		json_object_object_add(e, "status",
				       json_object_new_string(pcheck_status_name(ck->status)));
		json_object_object_add(e, "planned", json_object_new_boolean(ck->planned));
		json_object_object_add(e, "why", json_object_new_string(ck->s->why));
		json_object_object_add(e, "source", json_object_new_string(ck->s->source));
		json_object_object_add(e, "note",
				       ck->note[0] ? json_object_new_string(ck->note) : NULL);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "checks", a);
	json_object_object_add(o, "warning",
			       st->warning[0] ? json_object_new_string(st->warning) : NULL);
	return o;
}

static void checks_text(const struct profile *p, const struct profile_state *st, bool all)
{
	const struct profile_setting *why_shown = NULL;
	char label[96], esc[160], now[64], want[64];

	printf("profile %s: %zu ok, %zu differ, %zu not present, %zu unavailable\n", p->name,
	       st->ok, st->differs, st->absent, st->unavailable);
	printf("%-12s %-36s %-14s %s\n", "status", "tunable", "now", "wanted");
	for (size_t i = 0; i < st->n; i++) {
		const struct profile_check *ck = &st->v[i];

		if (!all && ck->status == PC_OK)
			continue;
		check_label(ck, label, sizeof(label));
		printf("%-12s %-36s %-14s %s\n", pcheck_status_name(ck->status),
		       render_esc(label, esc, sizeof(esc)), render_esc(ck->now, now, sizeof(now)),
		       render_esc(ck->want, want, sizeof(want)));
		/* why once per setting (not for each CPU or disk) */
		if (ck->status == PC_DIFFERS && ck->s != why_shown) {
			printf("%-12s why: %s\n", "", ck->s->why[0] ? ck->s->why : ck->s->source);
			why_shown = ck->s;
		}
		if (ck->note[0])
			printf("%-12s %s\n", "", ck->note);
	}
	if (st->warning[0])
		printf("warning: %s\n", st->warning);
}

static struct json_object *plan_json(const struct knob_plan *kp, bool applied)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < kp->n; i++) {
		const struct knob_change *k = &kp->v[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "name", json_object_new_string(k->name));
		json_object_object_add(e, "path", json_object_new_string(k->path));
		json_object_object_add(e, "old", json_object_new_string(k->old));
		json_object_object_add(e, "new", json_object_new_string(k->new));
		json_object_object_add(e, "reason", json_object_new_string(k->reason));
		if (applied) {
			json_object_object_add(
				e, "before", k->before ? json_object_new_string(k->before) : NULL);
			json_object_object_add(e, "got",
					       k->got ? json_object_new_string(k->got) : NULL);
			json_object_object_add(
				e, "status",
				json_object_new_string(knob_change_status_name(k->status)));
			json_object_object_add(e, "problem",
					       k->problem[0] ? json_object_new_string(k->problem)
							     : NULL);
		}
		json_object_array_add(a, e);
	}
	return a;
}

static struct json_object *files_json(const struct file_plan *fp)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < fp->n; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "path", json_object_new_string(fp->v[i].path));
		json_object_object_add(e, "changed",
				       json_object_new_boolean(file_change_needed(&fp->v[i])));
		json_object_object_add(e, "reason", json_object_new_string(fp->v[i].reason));
		json_object_object_add(e, "content", json_object_new_string(fp->v[i].new_content));
		json_object_array_add(a, e);
	}
	return a;
}

static void plan_text(const struct profile_state *st, const struct file_plan *fp)
{
	char a[64];

	printf("plan (dry run: nothing changed):\n");
	if (!st->plan.n)
		printf("  nothing to write: every value the host offers is as wanted\n");
	for (size_t i = 0; i < st->plan.n; i++) {
		const struct knob_change *k = &st->plan.v[i];

		printf("  %s: %s -> %s  (%s)\n", k->path, render_esc(k->old, a, sizeof(a)), k->new,
		       k->name);
		if (i == 0 || strcmp(k->reason, st->plan.v[i - 1].reason) != 0)
			printf("      why: %s\n", k->reason);
	}
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].status == PC_DIFFERS && !st->v[i].planned)
			printf("not planned: %s: %s\n", st->v[i].s->t->name, st->v[i].note);
	for (size_t i = 0; i < fp->n; i++) {
		printf("== %s (%s): %s\n", fp->v[i].path,
		       !fp->v[i].old_content	       ? "new"
		       : file_change_needed(&fp->v[i]) ? "changed"
						       : "unchanged",
		       fp->v[i].reason);
		fputs(fp->v[i].new_content, stdout);
	}
	if (st->warning[0])
		printf("warning: %s\n", st->warning);
}

static void result_text(const struct profile *p, const struct profile_state *st, int r, uint64_t id)
{
	char a[64], b[64], problem[400];
	size_t written = 0;

	printf("%-36s %-14s %-14s %s\n", "tunable", "before", "now", "status");
	for (size_t i = 0; i < st->plan.n; i++) {
		const struct knob_change *k = &st->plan.v[i];

		written += k->status == KC_WRITTEN;
		printf("%-36s %-14s %-14s %s\n", k->name,
		       render_esc(k->before ? k->before : k->old, a, sizeof(a)),
		       render_esc(k->got ? k->got : k->old, b, sizeof(b)),
		       knob_change_status_name(k->status));
		if (k->problem[0])
			printf("%-36s %s\n", "", render_esc(k->problem, problem, sizeof(problem)));
	}
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].status == PC_DIFFERS && !st->v[i].planned)
			printf("not applied: %s: %s\n", st->v[i].s->t->name, st->v[i].note);
	if (st->warning[0])
		printf("warning: %s\n", st->warning);
	if (r < 0)
		printf("failed: every value written was restored (see status)\n");
	else if (id)
		printf("applied profile %s: %zu value%s written; 'kvmtune undo %" PRIu64
		       "' reverts it\n",
		       p->name, written, written == 1 ? "" : "s", id);
	else
		printf("applied profile %s: nothing to change\n", p->name);
}

static int run_verify(struct cli *c, struct host *h, const struct profile *p,
		      const struct popts *po)
{
	struct profile_state st = {0};
	struct file_plan fp = {0};
	struct diag d = {0};
	int r, rc;

	r = profile_check(h, p, &po->o, &st, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		return cli_exit_for(r);
	}
	if (strcmp(po->verb, "verify") == 0) {
		if (c->json)
			render_json_print(checks_json(p, &st), stdout);
		else
			checks_text(p, &st, true);
		rc = st.differs ? EXIT_FAILED : EXIT_OK;
	} else {
		struct json_object *o = checks_json(p, &st);

		if (po->o.persist) {
			profile_persist_files(p, &st, &fp);
			r = file_plan_load_old(h, &fp, &d);
			if (r < 0) {
				cli_error_diag(&d, r);
				json_object_put(o);
				profile_state_release(&st);
				file_plan_release(&fp);
				return cli_exit_for(r);
			}
		}
		json_object_object_add(o, "dry_run", json_object_new_boolean(true));
		json_object_object_add(o, "plan", plan_json(&st.plan, false));
		json_object_object_add(o, "files", files_json(&fp));
		if (c->json)
			render_json_print(o, stdout);
		else {
			json_object_put(o);
			plan_text(&st, &fp);
		}
		rc = EXIT_OK;
	}
	file_plan_release(&fp);
	profile_state_release(&st);
	return rc;
}

static int run_apply(struct cli *c, struct host *h, const struct profile *p, const struct popts *po)
{
	struct profile_state st = {0};
	struct file_plan fp = {0};
	struct diag d = {0};
	uint64_t id = 0;
	size_t left = 0;
	int r;

	r = profile_apply(h, p, &po->o, c->cmdline, &st, &fp, &id, &d);
	if (r < 0 && !st.v) {
		/* refused before anything was written */
		cli_error_diag(&d, r);
		file_plan_release(&fp);
		return r == -ENOMEM ? EXIT_USAGE : r == -EAGAIN ? EXIT_FAILED : cli_exit_for(r);
	}
	if (r < 0)
		cli_error_diag(&d, r);
	for (size_t i = 0; i < st.n; i++)
		left += st.v[i].status == PC_DIFFERS && !st.v[i].planned;
	if (c->json) {
		struct json_object *o = checks_json(p, &st);

		json_object_object_add(o, "dry_run", json_object_new_boolean(false));
		json_object_object_add(o, "plan", plan_json(&st.plan, true));
		json_object_object_add(o, "files", files_json(&fp));
		json_object_object_add(o, "journal_id",
				       id ? json_object_new_int64((int64_t)id) : NULL);
		json_object_object_add(o, "result",
				       json_object_new_string(r < 0  ? "rolled-back"
							      : left ? "partial"
								     : "applied"));
		render_json_print(o, stdout);
	} else {
		result_text(p, &st, r, id);
	}
	file_plan_release(&fp);
	profile_state_release(&st);
	if (r < 0)
		return EXIT_PARTIAL;
	return left ? EXIT_PARTIAL : EXIT_OK;
}

int cmd_profile(struct cli *c, int argc, char **argv)
{
	struct popts po = {0};
	struct profile p = {0};
	struct diag d = {0};
	struct host *h;
	int r, rc;

	if (parse_opts(c, argc, argv, &po, &rc))
		return rc;
	if (strcmp(po.verb, "list") == 0) {
		if (po.tunables)
			return list_tunables(c);
		return po.name ? list_profile(c, po.name) : list_builtins(c);
	}
	if (strcmp(po.verb, "verify") != 0 && strcmp(po.verb, "diff") != 0 &&
	    strcmp(po.verb, "apply") != 0) {
		cli_error("profile: unknown verb '%s' (expected list, verify, diff or apply)",
			  po.verb);
		return EXIT_USAGE;
	}
	rc = load(po.name, &p);
	if (rc != EXIT_OK)
		return rc;
	r = cli_host(c, &h, &d);
	if (r < 0)
		rc = cli_fail(&d, r);
	else if (strcmp(po.verb, "apply") == 0 && !c->dry_run)
		rc = run_apply(c, h, &p, &po);
	else {
		if (c->dry_run)
			po.verb = "diff";
		rc = run_verify(c, h, &p, &po);
	}
	profile_release(&p);
	return rc;
}
