/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser for /proc/meminfo and /sys/devices/system/node/nodeN/meminfo.
 * Lines are "Key:   value kB", "Key: value" (counts such as HugePages_Total)
 * or, per node, "Node N Key: value kB".  Values are kept as given: in KiB
 * when the line says kB, otherwise as a plain count.
 */
#ifndef KVMTUNE_CORE_MEMINFO_H
#define KVMTUNE_CORE_MEMINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

struct meminfo_entry {
	const char *key; /* points into meminfo.text */
	uint64_t value;
	bool kib; /* the line carried a "kB" unit */
};

struct meminfo {
	struct meminfo_entry *entries;
	size_t count;
	int node;   /* node number for a per-node file, -1 for /proc/meminfo */
	char *text; /* the parsed copy the keys live in */
};

#define MEMINFO_INIT              \
	{                         \
		NULL, 0, -1, NULL \
	}

/*
 * Parse text.  A malformed line ("MemTotal: lots") fails with -EINVAL and a
 * diag naming the line number and its text; blank lines are skipped.  For
 * per-node files every line must name the same node.  ret must be
 * initialised; on success it is replaced.
 */
int meminfo_parse(const char *text, struct meminfo *ret, struct diag *d);
void meminfo_release(struct meminfo *m);
/* Look up key; returns false when absent. */
bool meminfo_get(const struct meminfo *m, const char *key, uint64_t *ret);

#endif
