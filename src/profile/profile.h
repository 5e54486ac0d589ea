/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host profiles: named sets of tunable values, each with why it matters and
 * where the value comes from.  Built-in profiles (virtual-host,
 * virtual-guest, latency-host) are data in profile.c; site profiles are
 * files that include a built-in (or another file) and set, raise or unset
 * values:
 *
 *     # /etc/kvmtune/site.conf
 *     include = virtual-host
 *     summary = our hosts
 *     vm.swappiness = 5              # why, shown by verify
 *     block.scheduler[hdd] = bfq
 *     net.core.somaxconn >= 4096
 *     unset cpu.governor
 */
#ifndef KVMTUNE_PROFILE_PROFILE_H
#define KVMTUNE_PROFILE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "profile/tunables.h"

struct diag;

enum profile_op {
	PROFILE_SET, /* "=": exactly this value */
	PROFILE_MIN, /* ">=": at least this value (numbers) */
};

struct profile_setting {
	const struct tunable *t;
	int cls; /* block tunables: an enum block_class, or -1 for every device */
	enum profile_op op;
	char value[128]; /* canonical (tunable_check_value) */
	char why[320];
	char source[320];
};

struct profile {
	char *name;
	char *summary;
	struct profile_setting *v; /* in order; later settings override earlier ones */
	size_t n;
};

/* A built-in profile's name and summary, by index; NULL past the end. */
const char *profile_builtin_name(size_t idx, const char **ret_summary);

/*
 * Load a profile: a built-in name, or a profile file's path (anything with
 * a '/' or ending in ".conf").  Includes are followed (8 deep at most, no
 * cycles; a relative include path is relative to the including file).
 * -ENOENT for an unknown name or a missing file, -EINVAL for a bad line
 * (d names the file, line, tunable and what was expected).
 */
int profile_load(const char *name_or_path, struct profile *ret, struct diag *d);
/* Parse profile text (file is the name used in messages and for relative includes). */
int profile_parse(const char *text, const char *file, struct profile *ret, struct diag *d);
void profile_release(struct profile *p);

/*
 * The setting of p that applies to one instance of t (the last one naming t
 * for that block class or for every device), or NULL.
 */
const struct profile_setting *profile_find(const struct profile *p, const struct tunable *t,
					   int cls);

/* "vm.swappiness", "block.scheduler[nvme]": the setting's key as profiles write it. */
void profile_setting_key(const struct profile_setting *s, char *buf, size_t bufsz);

#endif
