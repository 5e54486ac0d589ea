/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's configuration: defaults, and /etc/kvmtune/daemon.conf (below
 * the root) as "key = value" lines.  A bad value is refused at load with the
 * file, the line and the reason; SIGHUP parses the whole new file before it
 * replaces the running configuration.
 */
#ifndef KVMTUNE_DAEMON_CONFIG_H
#define KVMTUNE_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;

#define DAEMON_CONFIG_PATH "/etc/kvmtune/daemon.conf"
#define DAEMON_SOCKET_PATH "/run/kvmtune/daemon.sock"

enum daemon_scope {
	DAEMON_SCOPE_QEMU = 0, /* QEMU processes only (VMs) */
	DAEMON_SCOPE_ALL,      /* every process above the size threshold (numad's scope) */
};

struct daemon_config {
	unsigned interval_ms;	   /* between ticks */
	bool dry_run;		   /* advisory: decide and log, change nothing */
	enum daemon_scope scope;   /* which processes it manages */
	uint64_t min_mem_kib;	   /* smaller processes are left alone */
	unsigned min_locality_pct; /* a process at or above it is not moved */
	unsigned cooldown_s;	   /* a moved process is not moved again before this */
	unsigned rescan_s;	   /* a settled VM's numa_maps re-read at least this often */
	unsigned rate_mib_s;	   /* memory migration rate */
	unsigned max_pause_ms;	   /* longest single batch of move_pages */
	bool move_hugetlb;	   /* move hugetlb memory (growing target pools first) */
	int64_t keep_free_kib;	   /* per node, -1: the hugepages module's guard */
	bool ksm;		   /* the KSM governor */
	unsigned ksm_interval_s;   /* between its rounds (ksmtuned: 60) */
	char socket_path[108];	   /* the control socket (host path, below the root) */
};

/* The documented defaults. */
void daemon_config_defaults(struct daemon_config *c);

/*
 * Parse text (a whole config file, modified) into ret, starting from the
 * defaults.  -EINVAL with a diag "FILE:LINE: key: reason" on the first bad
 * line (unknown key, bad or out-of-range value, a key given twice).
 */
int daemon_config_parse(char *text, const char *file, struct daemon_config *ret, struct diag *d);

/*
 * Load path (below h's root; NULL: DAEMON_CONFIG_PATH).  A missing default
 * file gives the defaults; a missing file named explicitly is -ENOENT.
 */
int daemon_config_load(struct host *h, const char *path, struct daemon_config *ret, struct diag *d);

#endif
