/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who QEMU runs as under libvirt: user and group from /etc/libvirt/qemu.conf
 * (Debian's libvirt-qemu/kvm when it does not say), resolved through the
 * root's /etc/passwd and /etc/group, and what that identity may do to a file.
 */
#ifndef KVMTUNE_CORE_QEMU_USER_H
#define KVMTUNE_CORE_QEMU_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;

struct qemu_ident {
	char user[64];
	char group[64];
	char source[64]; /* "/etc/libvirt/qemu.conf" or "debian default" */
	int64_t uid;	 /* -1 when the user is not in /etc/passwd */
	int64_t gid;	 /* the group QEMU runs with, -1 when unknown */
	int64_t *groups; /* gid and every group listing the user (supplementary) */
	size_t ngroups;
	bool have_passwd; /* /etc/passwd exists below the root */
};

/*
 * Fill ret (zeroed) from the root's qemu.conf, passwd and group files.
 * Absent files are not errors: unknown ids stay -1.  Returns 0, or -errno
 * for unreadable files.  Release with qemu_ident_release().
 */
int qemu_ident_load(struct host *h, struct qemu_ident *ret, struct diag *d);
/* The same for QEMU run directly as user (its primary group), ignoring qemu.conf. */
int qemu_ident_load_as(struct host *h, const char *user, struct qemu_ident *ret, struct diag *d);
void qemu_ident_release(struct qemu_ident *q);
/* Whether the identity is in group gid (primary or supplementary). */
bool qemu_ident_in_group(const struct qemu_ident *q, int64_t gid);
/*
 * The permission bits (4 read, 2 write, 1 search) QEMU's identity gets on
 * an inode with this mode and owner, after the kernel's owner/group/other
 * rule.  Root (uid 0) gets 7.  Returns -1 when the identity is unknown.
 */
int qemu_ident_access(const struct qemu_ident *q, uint32_t mode, int64_t uid, int64_t gid);
/* Name of gid from the root's /etc/group into buf, or its number. */
const char *etc_group_name(struct host *h, int64_t gid, char *buf, size_t size);
/* Name of uid from the root's /etc/passwd into buf, or its number. */
const char *etc_user_name(struct host *h, int64_t uid, char *buf, size_t size);

#endif
