/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tunables host profiles set, as data (tmux's options-table): one row
 * per tunable with its name, path template, scope (the host, each block
 * device, each CPU), kind, bounds, unit and help.  Parsing profile values,
 * reading and writing them, the docs and the tests all come from this table.
 */
#ifndef KVMTUNE_PROFILE_TUNABLES_H
#define KVMTUNE_PROFILE_TUNABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/knob-plan.h"

struct diag;
struct host;

enum tunable_scope {
	TUNABLE_HOST,  /* one file for the host */
	TUNABLE_BLOCK, /* one file per block device: the path's %s is its name */
	TUNABLE_CPU,   /* one file per online CPU: the path's %s is "cpuN" */
};

enum tunable_kind {
	TUNABLE_INT,	 /* a decimal number within [min, max] */
	TUNABLE_WORD,	 /* one word; the host lists the ones it offers */
	TUNABLE_LATENCY, /* microseconds or "n/a", or tuned's cstate.id:N|... alternatives */
};

/* How --persist keeps a value across reboots. */
enum tunable_persist {
	PERSIST_SYSCTL,	  /* /etc/sysctl.d */
	PERSIST_TMPFILES, /* /etc/tmpfiles.d 'w' lines (sysfs) */
	PERSIST_UDEV,	  /* /etc/udev/rules.d (block devices appear at any time) */
};

struct tunable {
	const char *name; /* "vm.swappiness", "block.scheduler" */
	const char *path; /* below the root; %s: the instance (TUNABLE_BLOCK, TUNABLE_CPU) */
	enum tunable_scope scope;
	enum tunable_kind kind;
	enum knob_match match;
	/* TUNABLE_WORD: the file listing what the host offers (NULL: the bracket file itself) */
	const char *choices_path;
	const char *words; /* TUNABLE_WORD: the words a profile may name, NULL: any plain word */
	int64_t min, max;  /* TUNABLE_INT */
	const char *unit;
	enum tunable_persist persist;
	const char *attr; /* PERSIST_UDEV: the attribute below the device ("queue/scheduler") */
	const char *help;
};

extern const struct tunable tunable_table[];
extern const size_t tunable_count;

const struct tunable *tunable_lookup(const char *name);

/* Block device classes a profile can address; the last one is "not tuned". */
enum block_class {
	BLOCK_NVME,
	BLOCK_SSD,     /* SCSI/SATA/IDE names, not rotational */
	BLOCK_HDD,     /* SCSI/SATA/IDE names, rotational */
	BLOCK_VIRTUAL, /* virtio-blk (vd*) and Xen (xvd*): a guest's disks */
	BLOCK_OTHER,   /* loop, ram, zram, dm, md, optical, network: left alone */
};
const char *block_class_name(enum block_class c);
/* -EINVAL for a name that is not a class a profile can address. */
int block_class_parse(const char *s, enum block_class *ret);

/* One file a tunable lives in on this host. */
struct tunable_instance {
	char name[48]; /* "" for TUNABLE_HOST, "vda", "cpu3" */
	enum block_class cls;
	char path[256];
};

/*
 * The instances of t on this host: one for a host tunable, each block device
 * of a class other than BLOCK_OTHER (by its kernel name; queue/rotational
 * tells SSD from HDD), each online CPU.  The files need not exist (absent
 * knobs are reported, not failed).  *ret allocated; -errno on unreadable
 * or malformed listings (d names them).
 */
int tunable_instances(struct host *h, const struct tunable *t, struct tunable_instance **ret,
		      size_t *ret_n, struct diag *d);

/*
 * Check a profile's value for t: a number within bounds (TUNABLE_INT), a
 * word of t->words or a plain word (TUNABLE_WORD), a latency expression
 * (TUNABLE_LATENCY).  Writes the canonical form (numbers without leading
 * zeros or '+') to buf.  -EINVAL with a diag saying what was expected.
 */
int tunable_check_value(const struct tunable *t, const char *value, char *buf, size_t bufsz,
			struct diag *d);

/* Whether w is one of the space-separated words (words may be NULL: no). */
bool tunable_word_in(const char *words, const char *w);

/*
 * The words the host offers for a TUNABLE_WORD instance, space separated
 * (caller frees), or NULL when the host does not list them.
 */
char *tunable_choices(struct host *h, const struct tunable *t, const struct tunable_instance *in);

/*
 * Resolve a TUNABLE_LATENCY expression for one CPU: the first alternative
 * that exists ("70", "n/a", the exit latency of cpuidle state N or of the
 * state named X, skipping zero latencies for the _no_zero forms), written
 * to buf.  Returns false when none does.
 */
bool tunable_resolve_latency(struct host *h, const char *expr, const char *cpu, char *buf,
			     size_t bufsz);

#endif
