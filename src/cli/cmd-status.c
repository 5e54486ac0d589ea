/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmtune status: the host model, as text or JSON. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "core/model.h"
#include "util/diag.h"

#include "util/banned.h"

static void status_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] status [--json]\n\n"
		"Show CPUs and their topology, NUMA nodes with memory and distances, hugepage\n"
		"pools per node and size, hugetlbfs mounts, and the memory knobs (THP, KSM,\n"
		"numa_balancing, hugetlb_shm_group); whether numad runs.\n");
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	struct host_model m = {0};
	struct diag d = {0};
	struct host *h;
	int r;

	if (cli_simple_options(c, "status", argc, argv, status_usage, &r))
		return r;
	r = cli_host(c, &h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	r = host_model_load(h, &m, &d);
	if (r < 0) {
		host_model_release(&m);
		return cli_fail_host(&d, r);
	}
	if (c->json)
		render_json_print(render_model_json(&m), stdout);
	else
		render_model_text(&m, stdout);
	host_model_release(&m);
	return EXIT_OK;
}
