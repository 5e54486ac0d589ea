/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The entry points of src/daemon that the CLI's command table calls.  cli
 * and daemon never include each other: both include this declaration-only
 * header, the daemon defines the functions (src/daemon/main.c) and the
 * kvmtune binary links both (util <- core <- place <- cli, daemon).
 */
#ifndef KVMTUNE_CORE_DAEMON_ENTRY_H
#define KVMTUNE_CORE_DAEMON_ENTRY_H

#include <stdbool.h>

/* The global options main() parsed. */
struct daemon_entry {
	const char *root; /* --root, NULL for "/" */
	bool json;
	bool dry_run;
	int verbose;
};

/* 'kvmtune daemon ...' (argv[0] is "daemon"); returns an exit code (0, 1, 2). */
int daemon_cmd_main(const struct daemon_entry *e, int argc, char **argv);
/* 'kvmtune numad -w NCPUS[:MB]', and the binary run as "numad"; returns an exit code. */
int numad_cmd_main(const struct daemon_entry *e, int argc, char **argv);

#endif
