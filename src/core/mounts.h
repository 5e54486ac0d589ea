/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser for /proc/mounts (and /proc/self/mountinfo-free fstab-like lines),
 * with the hugetlbfs options kvmtune cares about: pagesize, mode, uid, gid.
 */
#ifndef KVMTUNE_CORE_MOUNTS_H
#define KVMTUNE_CORE_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;

struct mount_entry {
	char *source;
	char *path; /* octal escapes such as \040 decoded */
	char *fstype;
	char *options;
};

struct hugetlbfs_mount {
	char *path;
	uint64_t pagesize_kib;	/* 0 when the mount does not say (the default size then) */
	uint32_t mode;		/* 0755 when the mount does not say */
	char mode_text[8];	/* as the mount shows it, "755" when absent */
	int64_t uid;		/* 0 when absent */
	int64_t gid;		/* 0 when absent */
	int64_t size_limit_kib; /* -1 when unlimited */
};

/*
 * Parse one /proc/mounts line.  Fails with -EINVAL (and a diag quoting the
 * line) when it has fewer than four fields.  Free with mount_entry_release().
 */
int mount_entry_parse(const char *line, struct mount_entry *ret, struct diag *d);
void mount_entry_release(struct mount_entry *e);

/*
 * Interpret a hugetlbfs option string ("rw,relatime,pagesize=2M,mode=1770,
 * gid=36").  default_pagesize_kib fills pagesize_kib when the options do not
 * name one.  -EINVAL for a malformed pagesize, mode, uid or gid.
 */
int hugetlbfs_options_parse(const char *options, uint64_t default_pagesize_kib,
			    struct hugetlbfs_mount *ret, struct diag *d);
void hugetlbfs_mount_release(struct hugetlbfs_mount *m);

/*
 * All hugetlbfs mounts in a /proc/mounts text, in file order.  Lines that are
 * not hugetlbfs are skipped; a malformed hugetlbfs line fails the call.
 */
int mounts_parse_hugetlbfs(const char *text, uint64_t default_pagesize_kib,
			   struct hugetlbfs_mount **ret, size_t *ret_count, struct diag *d);

/*
 * The mode a hugetlbfs mount shows when a mode meant as octal went through a
 * decimal conversion on its way: 1770 as a decimal number is octal 3352,
 * and hugetlbfs keeps its 01777 bits, 1352.  Returns the meant mode (e.g.
 * 01770 for 01352) when shown is that for a usual directory mode, else 0.
 */
unsigned mounts_mode_typo(unsigned shown);
/* The octal value of meant spelled as a decimal number (01770 -> 03352). */
unsigned mounts_mode_as_decimal(unsigned meant);
/*
 * What is known about such a mount, as one sentence into buf (no guesses):
 * a mount given mode=3352 shows 1352; the Debian hugepages guide saw 1352
 * after Options=mode=1770 (no leading 0) in a systemd override; the kernel
 * itself reads mode=1770 as octal.  tests/integration/hugetlbfs-mode.sh
 * checks the first and the last on the running kernel.
 */
void mounts_mode_typo_facts(unsigned shown, unsigned meant, char *buf, size_t n);

#endif
