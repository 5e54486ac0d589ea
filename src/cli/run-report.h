/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state of one 'kvmtune run' and its reports: the dry run (command line,
 * pins, reservation plan) on stdout, progress lines on stderr while QEMU
 * runs (stdout is QEMU's), and with --json one object on stdout at the end.
 */
#ifndef KVMTUNE_CLI_RUN_REPORT_H
#define KVMTUNE_CLI_RUN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/qemu-target.h"
#include "core/hugepages-reserve.h"
#include "core/hugepages-txn.h"
#include "core/model.h"
#include "core/qemu-args.h"
#include "core/vmspec.h"
#include "run/run-launch.h"
#include "run/run-place.h"
#include "run/run-plan.h"

struct cli;
struct host;

struct run_state {
	struct host *h; /* the cli's, not owned */
	struct host_model m;
	struct vm_spec vm;
	struct run_pins pins;
	struct run_plan_result plan; /* without --nodes: the planner's choice */
	struct qemu_target qemu;
	struct qemu_mem_args mem;
	struct hp_needs needs;
	struct hp_txn_result resv, rel;
	struct run_launch launch;
	char owner[HP_OWNER_MAX + 1];
	char qmp_dir[64];
	char qmp_path[96];
	char **argv; /* the final QEMU command line */
	size_t argc;
	uint64_t mem_kib;
	unsigned vcpus;
	bool user_paused, reserved, released;
	bool planned; /* the nodes came from the planner (no --nodes) */
	/* the "hugepages" lock from planning to reserving (no --nodes), else -1:
	 * a second run plans with the first one's reservation in place */
	int plan_lock;
};

void run_state_release(struct run_state *s);
void run_report_dry_run(struct cli *c, const struct run_state *s);
void run_report_started(struct cli *c, const struct run_state *s, bool quiet);
void run_report_ended(struct cli *c, const struct run_state *s, bool quiet);

#endif
