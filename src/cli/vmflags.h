/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM description options shared by qemu-args, xml and lint: either
 * --domain FILE (a libvirt domain XML) or --mem/--page/--cells/... flags,
 * turned into a struct vm_spec.
 */
#ifndef KVMTUNE_CLI_VMFLAGS_H
#define KVMTUNE_CLI_VMFLAGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/vmspec.h"

struct cli;
struct diag;

#define VMFLAGS_MAX_EXTRA 8

struct vmflags {
	struct vm_spec vm;
	const char *domain;
	const char *mem, *page, *cells, *host_nodes, *policy, *placement, *source, *name;
	const char *prealloc_threads;
	bool locked, shared, private_, prealloc, nosharepages;
	/* set before parsing: --domain may come with VM options (xml --write) */
	bool domain_target;
	struct {
		int opt;
		char *arg; /* NULL for a flag */
	} extra[VMFLAGS_MAX_EXTRA];
	size_t nextra;
};

void vmflags_init(struct vmflags *f);
void vmflags_release(struct vmflags *f);
/*
 * Parse the command's arguments: the VM options, --json, --help and the
 * command's own options (extra, nextra entries; their val must be < 256 and
 * is reported back in f->extra).  Returns false to go on, or true to stop
 * with *ret_exit after printing usage or an error.
 */
bool vmflags_parse(struct vmflags *f, struct cli *c, int argc, char **argv,
		   const struct option *extra, size_t nextra, void (*usage)(FILE *out),
		   int *ret_exit);
/* Whether any VM option (--mem, --page, ...) was given. */
bool vmflags_have_vm_options(const struct vmflags *f);
/* Fill f->vm from the domain XML, or from the VM options when there are any. -EINVAL with a diag
 * naming the flag. */
int vmflags_spec(struct vmflags *f, struct diag *d);
/* Describe the VM options (for a command's --help). */
void vmflags_usage(FILE *out);

#endif
