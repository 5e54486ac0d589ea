/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel command line for persisted hugepage pools: the hugepage words
 * (default_hugepagesz=, hugepagesz=, hugepages= with the per-node N:count
 * form), parsed as the kernel parses them, merged with what grub's files and
 * /proc/cmdline already say (one hugepagesz= per size: the kernel ignores a
 * second), and checked against the kernel's length limit.
 */
#ifndef KVMTUNE_CORE_HUGEPAGES_CMDLINE_H
#define KVMTUNE_CORE_HUGEPAGES_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hugepages-persist.h"
#include "util/sbuf.h"

struct diag;
struct host;
struct host_model;

/*
 * The kernel's COMMAND_LINE_SIZE on x86 and arm64 (2048, with the closing
 * NUL): longer command lines are cut by the boot loader or the kernel.
 */
#define HP_CMDLINE_MAX_LEN 2047

/* The hugepage pools a command line asks for at boot, as the kernel reads them. */
struct hp_boot_pools {
	struct hp_wants pools;	/* node -1: a host-wide count the kernel spreads */
	uint64_t default_kib;	/* default_hugepagesz=, 0 when absent */
	unsigned ignored_words; /* words the kernel ignores (a repeated size, a bad value) */
};

/* Whether word (len bytes) is one of default_hugepagesz=, hugepagesz=, hugepages=. */
bool hp_cmdline_is_hugepage_word(const char *word, size_t len);

/*
 * The pools of a command line: "hugepages=" counts for the size of the
 * last "hugepagesz=" (before any, the default size: default_hugepagesz=,
 * else arch_default_kib), "N:count,..." per node.  As in the kernel, a
 * size given twice keeps its first count and a malformed word is ignored
 * (counted in ignored_words).  ret is zeroed by the caller.
 */
void hp_cmdline_parse(const char *cmdline, uint64_t arch_default_kib, struct hp_boot_pools *ret);
void hp_boot_pools_release(struct hp_boot_pools *p);
/* The pages the pools ask for on node (-1: host-wide) of size_kib, or -1 when none. */
int64_t hp_boot_pools_get(const struct hp_boot_pools *p, int node, uint64_t size_kib);

/* cmdline without its hugepage words, blanks squeezed, into kept (appended). */
void hp_cmdline_strip(const char *cmdline, struct sbuf *kept);
/* Only the hugepage words of cmdline, appended to out. */
void hp_cmdline_hugepage_words(const char *cmdline, struct sbuf *out);

/*
 * Whether this kernel reads hugepages=N:count per node.  COMPAT(kernel <
 * 5.16): the node form came with commit b5389086ad7b ("hugetlbfs: extend the
 * definition of hugepages parameter to support node allocation", v5.16);
 * older kernels reject the word.  No file tells, so the release is the
 * only signal; an unknown release counts as too old.
 */
bool hp_cmdline_per_node_supported(const char *kernel_release);

/* What grub's files set, without kvmtune's own drop-in. */
struct hp_grub {
	char *linux_args;   /* GRUB_CMDLINE_LINUX, "" when unset */
	char *default_args; /* GRUB_CMDLINE_LINUX_DEFAULT, "" when unset */
	char *own_args;	    /* what kvmtune's drop-in (skip_path) sets, "" when absent */
	bool found;	    /* /etc/default/grub exists */
};

/*
 * Read GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT as grub-mkconfig
 * sources them: /etc/default/grub, then /etc/default/grub.d/ *.cfg in name
 * order, except skip_path (kvmtune's drop-in, which is being replaced).
 * Plain, single- and double-quoted values and "$VAR" / "${VAR}" of those two
 * variables are understood; other shell is ignored.  Missing files are
 * empty; -errno only when a file exists but cannot be read.
 */
int hp_grub_load(struct host *h, const char *skip_path, struct hp_grub *ret, struct diag *d);
void hp_grub_release(struct hp_grub *g);

/* The command line 'hugepages persist' adds, and how it goes into grub. */
struct hp_cmdline {
	struct sbuf words;	  /* the hugepage words, "" when none are needed */
	bool rewrite;		  /* grub's values held hugepage words: set both anew */
	struct sbuf grub_linux;	  /* with rewrite: GRUB_CMDLINE_LINUX's new value */
	struct sbuf grub_default; /* with rewrite: GRUB_CMDLINE_LINUX_DEFAULT's new value */
	size_t boot_len;	  /* the next boot's command line, estimated, in bytes */
	char **notes;		  /* NULL-terminated sentences for the admin (may be NULL) */
	size_t nnotes;
};

/*
 * Build the command line for w on host m: each size's pools from w when w
 * has per-node or gigantic pools of that size (per node only on kernels
 * that read N:count; else gigantic pools as one host-wide total, with a
 * note), other sizes as grub's files already set them; default_hugepagesz
 * as grub sets it, else the host's default.  grub may be NULL (no grub
 * files); proc_cmdline (may be NULL) is the running kernel's: hugepage words
 * in it that grub's files do not hold get a note (they would come back and
 * the kernel keeps the first of two hugepagesz= for a size).  Fails with
 * -E2BIG, nothing built, when the next boot's command line would pass
 * HP_CMDLINE_MAX_LEN; ret is zeroed by the caller and released with
 * hp_cmdline_release().
 */
int hp_cmdline_build(const struct host_model *m, const struct hp_wants *w,
		     const struct hp_grub *grub, const char *proc_cmdline, struct hp_cmdline *ret,
		     struct diag *d);
void hp_cmdline_release(struct hp_cmdline *c);

#endif
