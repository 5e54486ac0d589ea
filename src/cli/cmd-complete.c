/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune complete WHAT: words for shell completion, read from the host
 * (through --root like every command): the commands, the NUMA nodes, the
 * hugepage sizes the host offers, the owners of reservation records.  One
 * word per line; used by the bash completion script.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/host.h"
#include "core/hugepages-reserve.h"
#include "core/model.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

static void complete_usage(FILE *out)
{
	fprintf(out, "usage: kvmtune [--root DIR] complete commands|nodes|page-sizes|owners\n\n"
		     "Words for shell completion, one per line: the commands, the host's NUMA\n"
		     "nodes, the hugepage sizes it offers (2M, 1G, ...), the owners of\n"
		     "hugepage reservation records.\n");
}

static int complete_host(struct cli *c, const char *what)
{
	struct host_model m = {0};
	struct hp_resv_list l = {0};
	struct diag d = {0};
	struct host *h;
	char ps[16];
	int r;

	r = cli_host(c, &h, &d);
	if (r < 0)
		return cli_fail(&d, r);
	if (strcmp(what, "owners") == 0) {
		r = hp_resv_load(h, &l, &d);
		for (size_t i = 0; r >= 0 && i < l.n; i++)
			if (i == 0 || strcmp(l.v[i].owner, l.v[i - 1].owner) != 0)
				printf("%s\n", l.v[i].owner);
		hp_resv_release(&l);
	} else {
		r = host_model_load_flags(h, HOST_MODEL_NODES_ONLY, &m, &d);
		for (size_t i = 0; r >= 0 && strcmp(what, "nodes") == 0 && i < m.nnodes; i++)
			printf("%d\n", m.nodes[i].node);
		for (size_t i = 0; r >= 0 && strcmp(what, "page-sizes") == 0 && i < m.npools; i++)
			printf("%s\n", format_pagesize(m.pools[i].size_kib, ps, sizeof(ps)));
		host_model_release(&m);
	}
	if (r < 0) {
		cli_error_diag(&d, r);
		return cli_exit_for(r);
	}
	return EXIT_OK;
}

int cmd_complete(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			complete_usage(stdout);
			return EXIT_OK;
		}
		complete_usage(stderr);
		return EXIT_USAGE;
	}
	if (argc - optind != 1) {
		complete_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "commands") == 0) {
		cli_print_command_names(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[optind], "nodes") == 0 || strcmp(argv[optind], "page-sizes") == 0 ||
	    strcmp(argv[optind], "owners") == 0)
		return complete_host(c, argv[optind]);
	cli_error("complete: '%s' is not commands, nodes, page-sizes or owners", argv[optind]);
	return EXIT_USAGE;
}
