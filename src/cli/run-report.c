/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What 'kvmtune run' prints: the dry run, progress on stderr, the --json report. */
#include "cli/run-report.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd-hugepages.h"
#include "cli/render.h"
#include "util/cleanup.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

void run_state_release(struct run_state *s)
{
	for (size_t i = 0; i < s->argc; i++)
		free(s->argv[i]);
	free(s->argv);
	run_launch_release(&s->launch);
	hp_txn_result_release(&s->resv);
	hp_txn_result_release(&s->rel);
	hp_needs_release(&s->needs);
	qemu_mem_args_release(&s->mem);
	run_pins_release(&s->pins);
	run_plan_result_release(&s->plan);
	vm_spec_release(&s->vm);
	host_model_release(&s->m);
	if (s->plan_lock >= 0)
		(void)close(s->plan_lock);
	s->plan_lock = -1;
}

/* The command line, one option per line with its value, shell-quoted. */
static void print_argv(const struct run_state *s)
{
	AUTOFREE char *bin = qemu_shell_quote(s->argv[0]);

	printf("%s%s\n", bin, s->argc > 1 ? " \\" : "");
	for (size_t i = 1; i < s->argc;) {
		bool value = i + 1 < s->argc && s->argv[i][0] == '-' && s->argv[i + 1][0] != '-';
		AUTOFREE char *a = qemu_shell_quote(s->argv[i]);
		AUTOFREE char *v = value ? qemu_shell_quote(s->argv[i + 1]) : NULL;

		i += value ? 2 : 1;
		printf("    %s%s%s%s\n", a, v ? " " : "", v ? v : "", i < s->argc ? " \\" : "");
	}
}

static struct json_object *pins_json(const struct run_state *s)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	AUTOFREE char *emu = cpuset_to_list(&s->pins.emulator);

	for (size_t i = 0; i < s->pins.nvcpus; i++) {
		struct json_object *v = json_object_new_object();
		AUTOFREE char *cpus = cpuset_to_list(&s->pins.vcpus[i]);
		int tid = 0;

		for (size_t k = 0; k < s->launch.vcpus.n; k++)
			if (s->launch.vcpus.v[k].index == i)
				tid = s->launch.vcpus.v[k].tid;
		json_object_object_add(v, "index", json_object_new_int((int)i));
		json_object_object_add(v, "cpus", json_object_new_string(cpus));
		json_object_object_add(v, "node", json_object_new_int(s->pins.vcpu_nodes[i]));
		json_object_object_add(v, "tid", tid ? json_object_new_int(tid) : NULL);
		json_object_array_add(a, v);
	}
	json_object_object_add(o, "vcpus", a);
	json_object_object_add(o, "emulator", json_object_new_string(emu));
	return o;
}

/* {"source": "planner" | "--nodes", "nodes": "1", "reason", "nodes_why": [...], "notes"} */
static struct json_object *placement_json(const struct run_state *s)
{
	struct json_object *o = json_object_new_object();
	AUTOFREE char *nodes = cpuset_to_list(&s->plan.nodes);
	struct json_object *why = json_object_new_array(), *notes = json_object_new_array();

	json_object_object_add(o, "source",
			       json_object_new_string(s->planned ? "planner" : "--nodes"));
	json_object_object_add(o, "nodes", json_object_new_string(nodes));
	json_object_object_add(o, "reason",
			       s->planned ? json_object_new_string(s->plan.reason) : NULL);
	for (size_t i = 0; i < s->plan.nlines; i++) {
		struct json_object *l = json_object_new_object();

		json_object_object_add(l, "node", json_object_new_int(s->plan.lines[i].node));
		json_object_object_add(l, "text", json_object_new_string(s->plan.lines[i].text));
		json_object_array_add(why, l);
	}
	for (size_t i = 0; i < s->plan.nnotes; i++)
		json_object_array_add(notes, json_object_new_string(s->plan.notes[i]));
	json_object_object_add(o, "per_node", why);
	json_object_object_add(o, "notes", notes);
	return o;
}

/* The planner's choice and why, before the command line (nothing with --nodes). */
static void placement_text(const struct run_state *s)
{
	AUTOFREE char *nodes = cpuset_to_list(&s->plan.nodes);

	if (!s->planned)
		return;
	printf("placement: node%s %s, the planner's choice (no --nodes): %s\n",
	       cpuset_count(&s->plan.nodes) > 1 ? "s" : "", nodes, s->plan.reason);
	for (size_t i = 0; i < s->plan.nlines; i++)
		printf("  node %d: %s\n", s->plan.lines[i].node, s->plan.lines[i].text);
	for (size_t i = 0; i < s->plan.nnotes; i++) {
		AUTOFREE char *n = str_escape(s->plan.notes[i], 512);

		printf("  note: %s\n", n);
	}
}

static struct json_object *report_json(const struct run_state *s, bool dry_run, const char *result)
{
	struct json_object *o = json_object_new_object(), *argv = json_object_new_array();
	struct json_object *resv = hp_cli_plan_json(&s->resv.plan, s->resv.res, dry_run, result);

	for (size_t i = 0; i < s->argc; i++)
		json_object_array_add(argv, json_object_new_string(s->argv[i]));
	json_object_object_add(resv, "record",
			       json_object_new_string(s->resv.record ? s->resv.record : ""));
	json_object_object_add(o, "owner", json_object_new_string(s->owner));
	json_object_object_add(o, "mem_kib", json_object_new_int64((int64_t)s->mem_kib));
	json_object_object_add(o, "vcpus", json_object_new_int((int)s->vcpus));
	json_object_object_add(o, "qemu", qemu_target_json(&s->qemu));
	json_object_object_add(o, "argv", argv);
	json_object_object_add(o, "placement", placement_json(s));
	json_object_object_add(o, "pins", pins_json(s));
	json_object_object_add(o, "reservation", resv);
	return o;
}

void run_report_dry_run(struct cli *c, const struct run_state *s)
{
	if (c->json) {
		render_json_print(report_json(s, true, "planned"), stdout);
		return;
	}
	placement_text(s);
	printf("command line:\n");
	print_argv(s);
	printf("pins:\n");
	for (size_t i = 0; i < s->pins.nvcpus; i++) {
		AUTOFREE char *cpus = cpuset_to_list(&s->pins.vcpus[i]);

		printf("  vCPU %zu: CPUs %s (memory on node %d)\n", i, *cpus ? cpus : "(any)",
		       s->pins.vcpu_nodes[i]);
	}
	{
		AUTOFREE char *emu = cpuset_to_list(&s->pins.emulator);

		printf("  other QEMU threads: CPUs %s\n", *emu ? emu : "(any)");
	}
	printf("reservation for '%s':\n", s->owner);
	hp_cli_txn_report(c, &s->resv, s->owner,
			  s->resv.already ? "already reserved" : "no hugepages to reserve");
}

void run_report_started(struct cli *c, const struct run_state *s, bool quiet)
{
	const struct run_launch *l = &s->launch;
	AUTOFREE char *emu = cpuset_to_list(&s->pins.emulator);

	if (quiet)
		return;
	fprintf(stderr,
		"kvmtune: '%s': QEMU pid %d started, %zu vCPU%s pinned, %zu other "
		"thread%s on CPUs %s%s\n",
		s->owner, l->pid, l->vcpus.n, l->vcpus.n == 1 ? "" : "s", l->emulator_threads,
		l->emulator_threads == 1 ? "" : "s", *emu ? emu : "(any)",
		l->resume ? "" : "; paused (-S)");
	for (size_t i = 0; i < l->vcpus.n; i++) {
		unsigned idx = l->vcpus.v[i].index;
		AUTOFREE char *cpus =
			idx < s->pins.nvcpus ? cpuset_to_list(&s->pins.vcpus[idx]) : xstrdup("");

		fprintf(stderr, "kvmtune: '%s': vCPU %u (thread %d) on CPUs %s\n", s->owner, idx,
			l->vcpus.v[i].tid, *cpus ? cpus : "(any)");
	}
}

void run_report_ended(struct cli *c, const struct run_state *s, bool quiet)
{
	const struct run_launch *l = &s->launch;
	int pid = l->pid < 0 ? -l->pid : l->pid;

	if (!quiet)
		fprintf(stderr,
			"kvmtune: '%s': QEMU pid %d ended with status %d%s%s; hugepages %s\n",
			s->owner, pid, l->exit_code,
			l->forwarded ? " after forwarding signal " : "",
			l->forwarded ? strsignal(l->forwarded) : "",
			!s->released	       ? "NOT released"
			: s->rel.plan.nchanges ? "released"
					       : "none held");
	if (c->json) {
		struct json_object *o = report_json(s, false, s->reserved ? "reserved" : "none");

		json_object_object_add(o, "pid", json_object_new_int(pid));
		json_object_object_add(o, "exit_code", json_object_new_int(l->exit_code));
		json_object_object_add(o, "forwarded_signal",
				       l->forwarded ? json_object_new_int(l->forwarded) : NULL);
		json_object_object_add(o, "released", json_object_new_boolean(s->released));
		render_json_print(o, stdout);
	}
}
