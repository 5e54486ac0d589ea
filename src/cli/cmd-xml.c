/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kvmtune xml: a VM's memory as libvirt XML fragments, or merged into a
 * domain file in place (--domain FILE --write, with a backup).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/vmflags.h"
#include "core/domxml-write.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/diag.h"

#include "util/banned.h"

static void xml_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] xml --domain FILE [--write]\n"
		"       kvmtune [--root DIR] xml --mem SIZE [VM options] [--domain FILE "
		"--write]\n\n"
		"Print the VM's memory as libvirt domain XML fragments: <memory>,\n"
		"<memoryBacking> (hugepages, locked, nosharepages, source, access, allocation),\n"
		"<numatune> with <memnode> per bound cell, <cpu><numa> cells, and\n"
		"<memtune><hard_limit> (guest memory + 1 GiB) when the memory is locked.\n"
		"With --write, replace those parts of the domain FILE in place (everything else\n"
		"is kept; the old file is saved as FILE.bak).  The VM options, when given,\n"
		"describe the new configuration; otherwise the domain's own is normalised.\n\n"
		"  --domain FILE          read the VM from (or, with --write, edit) a domain XML\n"
		"  --write                edit FILE in place\n");
	vmflags_usage(out);
}

/* Check the combination of --write, --domain and VM options; true to stop with *ret_exit. */
static bool check_write_options(const struct vmflags *f, bool write, int *ret_exit)
{
	if (write && !f->domain) {
		cli_error("xml: --write needs --domain FILE");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	if (!write && f->domain && vmflags_have_vm_options(f)) {
		cli_error("xml: --domain with VM options needs --write");
		*ret_exit = EXIT_USAGE;
		return true;
	}
	return false;
}

int cmd_xml(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = {
		{"write", no_argument, NULL, 'w'},
	};
	struct host_model m = {0};
	struct diag d = {0};
	AUTOFREE char *text = NULL;
	AUTOFREE char *target = NULL;
	AUTOFREE char *backup = NULL;
	struct vmflags f;
	bool write = false;
	struct host *h;
	int r;

	vmflags_init(&f);
	f.domain_target = true;
	if (vmflags_parse(&f, c, argc, argv, extra, 1, xml_usage, &r)) {
		vmflags_release(&f);
		return r;
	}
	for (size_t i = 0; i < f.nextra; i++)
		write = write || f.extra[i].opt == 'w';
	if (check_write_options(&f, write, &r)) {
		vmflags_release(&f);
		return r;
	}
	r = cli_host(c, &h, &d);
	if (r >= 0)
		r = host_model_load(h, &m, &d);
	if (r >= 0)
		r = vmflags_spec(&f, &d);
	if (r >= 0)
		r = vm_spec_validate(&f.vm, &d);
	if (r >= 0 && write)
		r = domxml_merge_file(f.domain, &f.vm, &m, &target, &backup, &d);
	else if (r >= 0)
		r = domxml_fragments(&f.vm, &m, &text, &d);
	host_model_release(&m);
	vmflags_release(&f);
	if (r < 0)
		return cli_fail(&d, r);
	if (write && backup)
		printf("updated '%s' (backup '%s')\n", target, backup);
	else if (write)
		printf("updated '%s'\n", target);
	else if (text)
		fputs(text, stdout);
	return EXIT_OK;
}
