/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel knobs kvmtune reads and writes, as data (tmux's options-table):
 * one row per knob with its path, kind and help.  Validation, the model's
 * values and `kvmtune knobs` all come from this table.
 */
#ifndef KVMTUNE_CORE_KNOBS_H
#define KVMTUNE_CORE_KNOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;

enum knob_kind {
	KNOB_INT,     /* one decimal number */
	KNOB_BRACKET, /* "always [madvise] never": the bracketed word is selected */
};

enum knob_id {
	KNOB_THP_ENABLED,
	KNOB_THP_DEFRAG,
	KNOB_KSM_RUN,
	KNOB_KSM_MERGE_ACROSS_NODES,
	KNOB_KSM_PAGES_SHARED,
	KNOB_KSM_PAGES_SHARING,
	KNOB_NUMA_BALANCING,
	KNOB_HUGETLB_SHM_GROUP,
	KNOB_NR_OVERCOMMIT_HUGEPAGES,
	KNOB_COMPACTION_PROACTIVENESS,
	KNOB_MIN_FREE_KBYTES,
	KNOB_COUNT_
};

struct knob_def {
	enum knob_id id;
	const char *name; /* sysctl-like name, e.g. "kernel.numa_balancing" */
	const char *path;
	enum knob_kind kind;
	const char *help;
};

struct knob_value {
	bool present;	   /* the file exists on this host */
	int64_t number;	   /* KNOB_INT */
	char word[32];	   /* KNOB_BRACKET: the selected word */
	char choices[128]; /* KNOB_BRACKET: the choices, brackets removed */
};

extern const struct knob_def knob_table[KNOB_COUNT_];

/*
 * Read one knob.  An absent file leaves ret->present false and returns 0;
 * a file with unexpected content fails with -EINVAL and a diag naming it.
 */
int knob_read(struct host *h, enum knob_id id, struct knob_value *ret, struct diag *d);

/*
 * Parse the kernel's bracket syntax ("always [madvise] never") into the
 * selected word and the list of choices.  -EINVAL unless exactly one word is
 * bracketed.
 */
int knob_parse_bracket(const char *text, char *ret_word, size_t word_size, char *ret_choices,
		       size_t choices_size, struct diag *d);

#endif
