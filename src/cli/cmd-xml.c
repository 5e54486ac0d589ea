/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune xml: a VM's memory as libvirt XML fragments, or merged into a
 * domain file in place (--domain FILE --write, with a backup; --dry-run
 * shows the result).  What it writes is linted again: a finding is a warning.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "cli/vmflags.h"
#include "core/domxml-write.h"
#include "core/domxml.h"
#include "core/host.h"
#include "core/journal.h"
#include "core/lint.h"
#include "core/model.h"
#include "core/undo.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

static void xml_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] xml [--json] --domain FILE [--write [--dry-run]]\n"
		"       kvmtune [--root DIR] xml [--json] --mem SIZE [VM options] [--domain FILE "
		"--write [--dry-run]]\n\n"
		"Print the VM's memory as libvirt domain XML fragments: <memory>,\n"
		"<memoryBacking> (hugepages, locked, nosharepages, source, access, allocation),\n"
		"<numatune> with <memnode> per bound cell, <cpu><numa> cells, and\n"
		"<memtune><hard_limit> (guest memory + 1 GiB) when the memory is locked.\n"
		"With --write, replace those parts of the domain FILE in place (everything else\n"
		"is kept; the old file is saved as FILE.bak, or FILE.bak.N when that exists),\n"
		"then 'virsh define FILE' makes\n"
		"libvirt take it.  The VM options, when given, describe the new configuration;\n"
		"otherwise the domain's own is normalised.  The XML is linted against this host\n"
		"as 'kvmtune lint' would: findings are printed as warnings (stderr).\n\n"
		"  --domain FILE          read the VM from (or, with --write, edit) a domain XML\n"
		"  --write                edit FILE in place\n"
		"  --dry-run              with --write: print the file as it would be, write "
		"nothing\n"
		"  --json                 {xml, path, backup, written, dry_run, next_step, "
		"lint}\n");
	vmflags_usage(out);
}

struct xml_run {
	bool write, dry_run;
	char *text;		       /* the fragments, or the domain as written / to be written */
	char *target;		       /* the file written (a symlink's target), after --write */
	char *backup;		       /* the backup made of it, NULL when none */
	unsigned long long journal_id; /* the undo journal's entry for the write, 0 when none */
	struct lint_report lint;
};

/* --write, --dry-run, --domain and VM options together; true to stop with *ret_exit. */
static bool check_write_options(const struct vmflags *f, const struct xml_run *x, int *ret_exit)
{
	const char *msg = NULL;

	if (x->write && !f->domain)
		msg = "xml: --write needs --domain FILE";
	else if (x->dry_run && !x->write)
		msg = "xml: --dry-run applies to --write (without it nothing is written)";
	else if (!x->write && f->domain && vmflags_have_vm_options(f))
		msg = "xml: --domain with VM options needs --write";
	if (!msg)
		return false;
	cli_error("%s", msg);
	*ret_exit = EXIT_USAGE;
	return true;
}

/* Lint what was produced, as a domain (fragments get a minimal <domain> around them). */
static void lint_result(struct host *h, const struct host_model *m, const char *text,
			bool fragments, struct lint_report *ret)
{
	AUTOFREE char *doc = fragments ? xasprintf("<domain type='kvm'><name>kvmtune-xml</name>"
						   "%s</domain>",
						   text)
				       : xstrdup(text);
	struct lint_opts opts = {0};
	struct vm_spec vm;
	struct diag d = {0};

	vm_spec_init(&vm);
	opts.numad_installed = m->numad_pid > 0 || host_exists(h, "/usr/bin/numad") ||
			       host_exists(h, "/usr/sbin/numad");
	if (domxml_parse(doc, strlen(doc), &vm, &d) < 0)
		lint_add(ret, "invalid-domain", LINT_ERROR, d.msg,
			 "kvmtune wrote XML it cannot read back: please report it");
	else
		lint_vm(&vm, m, &opts, ret);
	vm_spec_release(&vm);
}

static const char *next_step(const struct vmflags *f, const struct xml_run *x, char *buf, size_t n)
{
	if (!x->write)
		return NULL;
	(void)snprintf(buf, n,
		       "virsh define '%s' (libvirt reads a domain file only when it is defined; a "
		       "running VM takes the change at its next start)",
		       f->domain);
	return buf;
}

static void report_json(const struct vmflags *f, const struct xml_run *x)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	char next[512];

	json_object_object_add(o, "xml", json_object_new_string(x->text));
	json_object_object_add(o, "path",
			       f->domain && x->write
				       ? json_object_new_string(x->target ? x->target : f->domain)
				       : NULL);
	json_object_object_add(o, "backup", render_opt_string(x->backup));
	json_object_object_add(o, "written", json_object_new_boolean(x->write && !x->dry_run));
	json_object_object_add(o, "dry_run", json_object_new_boolean(x->dry_run));
	json_object_object_add(o, "journal_id",
			       x->journal_id ? json_object_new_int64((int64_t)x->journal_id)
					     : NULL);
	json_object_object_add(o, "next_step",
			       render_opt_string(next_step(f, x, next, sizeof(next))));
	for (size_t i = 0; i < x->lint.count; i++) {
		const struct lint_finding *l = &x->lint.findings[i];
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "id", json_object_new_string(l->id));
		json_object_object_add(e, "severity",
				       json_object_new_string(lint_severity_name(l->severity)));
		json_object_object_add(e, "evidence", json_object_new_string(l->evidence));
		json_object_object_add(e, "fix", json_object_new_string(l->fix));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "lint", a);
	render_json_print(o, stdout);
}

static void report_text(const struct vmflags *f, const struct xml_run *x)
{
	char next[512];

	for (size_t i = 0; i < x->lint.count; i++) {
		const struct lint_finding *l = &x->lint.findings[i];

		if (l->severity != LINT_INFO)
			cli_error(
				"warning: the XML %s fails 'kvmtune lint' on this host: %s %s: %s; "
				"fix: %s",
				x->write && !x->dry_run ? "written" : "here",
				lint_severity_name(l->severity), l->id, l->evidence, l->fix);
	}
	if (!x->write) {
		fputs(x->text, stdout);
		return;
	}
	if (x->dry_run) {
		printf("plan (dry run: nothing changed): '%s' would become:\n", f->domain);
		fputs(x->text, stdout);
		if (x->text[0] && x->text[strlen(x->text) - 1] != '\n')
			fputc('\n', stdout);
		printf("then: write it with --write (the old file kept as a backup), then %s\n",
		       next_step(f, x, next, sizeof(next)));
		return;
	}
	if (x->backup)
		printf("updated '%s' (backup '%s')\n", x->target, x->backup);
	else
		printf("updated '%s'\n", x->target);
	printf("next: %s\n", next_step(f, x, next, sizeof(next)));
	printf("journal entry %llu: 'kvmtune undo %llu' reverts it\n", x->journal_id,
	       x->journal_id);
}

/*
 * --write: merge into the file, then record the change in the undo journal;
 * when the journal cannot take it the file is put back (a change undo cannot
 * revert is not made).  An exit code, errors printed.
 */
static int write_domain(struct cli *c, struct host *h, const struct vmflags *f,
			const struct host_model *m, struct xml_run *x)
{
	struct journal_entry je;
	struct diag d = {0};
	int r, rc = EXIT_OK;

	journal_entry_init(&je, c->cmdline);
	r = domxml_merge_file(f->domain, &f->vm, m, &x->target, &x->backup, &je, &d);
	if (r < 0) {
		rc = cli_fail(&d, r);
	} else if ((r = journal_record(h, &je, &d)) < 0) {
		cli_error_diag(&d, r);
		diag_clear(&d);
		r = undo_revert_unrecorded(h, &je, &d);
		if (r < 0)
			cli_error_diag(&d, r);
		cli_error(r < 0 ? "'%s' was changed but could not be put back"
				: "'%s' was put back: a change undo cannot revert is not made",
			  x->target);
		rc = r < 0 ? EXIT_FAILED : EXIT_PARTIAL;
	} else {
		x->journal_id = je.id;
	}
	journal_entry_release(&je);
	return rc;
}

/* Build (and with --write, write) the XML; an exit code, errors printed. */
static int run(struct cli *c, struct vmflags *f, struct xml_run *x)
{
	struct host_model m = {0};
	struct diag d = {0};
	struct host *h;
	size_t len = 0;
	int r, rc;

	r = cli_host(c, &h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	r = host_model_load(h, &m, &d);
	if (r < 0) {
		host_model_release(&m);
		return cli_fail_host(&d, r); /* a host file, not the user's input */
	}
	r = vmflags_spec(f, &d);
	if (r == 0)
		r = vm_spec_validate(&f->vm, &d);
	if (r == 0 && x->write)
		r = domxml_merge_text(f->domain, &f->vm, &m, &x->text, &len, &d);
	else if (r == 0)
		r = domxml_fragments(&f->vm, &m, &x->text, &d);
	if (r < 0) {
		host_model_release(&m);
		return cli_fail(&d, r);
	}
	rc = x->write && !x->dry_run ? write_domain(c, h, f, &m, x) : EXIT_OK;
	if (rc == EXIT_OK)
		lint_result(h, &m, x->text, !x->write, &x->lint);
	host_model_release(&m);
	return rc;
}

int cmd_xml(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = {
		{"write", no_argument, NULL, 'w'},
		{"dry-run", no_argument, NULL, 'n'},
	};
	struct xml_run x = {0};
	struct vmflags f;
	int r;

	vmflags_init(&f);
	f.domain_target = true;
	if (!vmflags_parse(&f, c, argc, argv, extra, 2, xml_usage, &r)) {
		for (size_t i = 0; i < f.nextra; i++) {
			x.write = x.write || f.extra[i].opt == 'w';
			x.dry_run = x.dry_run || f.extra[i].opt == 'n';
		}
		x.dry_run = x.dry_run || c->dry_run;
		if (!check_write_options(&f, &x, &r)) {
			r = run(c, &f, &x);
			if (r == EXIT_OK && c->json)
				report_json(&f, &x);
			else if (r == EXIT_OK)
				report_text(&f, &x);
		}
	}
	lint_report_release(&x.lint);
	free(x.text);
	free(x.target);
	free(x.backup);
	vmflags_release(&f);
	return r;
}
