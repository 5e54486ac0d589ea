/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The QEMU command line given to 'kvmtune run': what it says about the VM
 * (-m, -smp, -name, -S) and what would contradict the memory arguments
 * kvmtune adds (-mem-path, -mem-prealloc, -numa, memory-backend objects,
 * -machine memory-backend=, -daemonize).  Pure; the argv is outside input
 * (fuzzed).
 */
#ifndef KVMTUNE_RUN_RUN_ARGV_H
#define KVMTUNE_RUN_RUN_ARGV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

struct run_argv {
	const char *binary; /* argv[0] (borrowed) */
	uint64_t mem_kib;   /* -m, 0 when absent */
	unsigned vcpus;	    /* -smp, 0 when absent */
	char *name;	    /* -name guest=NAME or -name NAME, NULL when absent */
	bool paused;	    /* -S */
	bool has_smp;
	/* argv without -m (borrowed strings, NULL-terminated) */
	char **rest;
	size_t nrest;
};

/*
 * Parse argv (argc > 0; argv[0] is the QEMU binary).  -EINVAL with a diag
 * naming the option for what kvmtune cannot accept: an option that sets the
 * memory layout kvmtune writes (-mem-path, -mem-prealloc, -numa, an -object
 * memory-backend-* or thread-context, -machine memory-backend=), -daemonize
 * (run must wait for QEMU), memory hotplug (-m slots=/maxmem=), a -m or
 * -smp value it cannot read, an option without its value.
 */
int run_argv_parse(int argc, char **argv, struct run_argv *ret, struct diag *d);
void run_argv_release(struct run_argv *a);

/*
 * Whether a QEMU option takes no value (-S, -nographic, -no-reboot, ...).
 * name without its leading dashes.
 */
bool run_argv_is_flag(const char *name);

#endif
