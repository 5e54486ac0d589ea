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
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct host_model m = {0};
	struct diag d = {0};
	struct host *h;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'h':
			status_usage(stdout);
			return EXIT_OK;
		default:
			status_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("status takes no arguments, got '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (cli_host(c, &h) < 0)
		return EXIT_USAGE;
	r = host_model_load(h, &m, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		return cli_exit_for(r);
	}
	if (c->json)
		render_json_print(render_model_json(&m), stdout);
	else
		render_model_text(&m, stdout);
	host_model_release(&m);
	return EXIT_OK;
}
