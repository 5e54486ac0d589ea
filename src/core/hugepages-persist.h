/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Making hugepage pools and mounts survive a reboot: the sysctl.d file, the
 * kernel command line (per-node and gigantic pools must be reserved at boot,
 * before memory fragments), a oneshot unit that sets per-node pools early,
 * and hugetlbfs mount units with the QEMU group.  Pure builders of file
 * plans, plus the /etc/group lookup.
 */
#ifndef KVMTUNE_CORE_HUGEPAGES_PERSIST_H
#define KVMTUNE_CORE_HUGEPAGES_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct file_plan;
struct host;
struct host_model;
struct hp_cmdline;
struct hp_mem;
struct hp_request;

#define HP_SYSCTL_FILE "/etc/sysctl.d/80-kvmtune-hugepages.conf"
#define HP_GRUB_FILE "/etc/default/grub.d/80-kvmtune-hugepages.cfg"
#define HP_UNIT_FILE "/etc/systemd/system/kvmtune-hugepages.service"
#define HP_MOUNT_DROPIN "/etc/systemd/system/dev-hugepages.mount.d/80-kvmtune.conf"

/* One pool to keep: node -1 is the host-wide pool. */
struct hp_want {
	int node;
	uint64_t size_kib;
	int64_t pages;
};

struct hp_wants {
	struct hp_want *v;
	size_t n;
};

/*
 * The group's gid: name is a number ("36") or a name looked up in
 * /etc/group through h.  -ENOENT with a diag when the group does not exist,
 * -EINVAL on a malformed /etc/group line.
 */
int hugepages_group_gid(struct host *h, const char *name, long *ret_gid, struct diag *d);

/*
 * The pools to persist: req's asks (per listed node, or host-wide) when req
 * has any, else the host's current pools (host-wide when the nodes hold equal
 * counts, as the kernel spreads them, else per node; the default size always,
 * other sizes when non-empty).  Sizes are checked as 'set' does (-EINVAL).
 */
int hugepages_wants(const struct host_model *m, const struct hp_request *req, struct hp_wants *ret,
		    struct diag *d);
void hp_wants_release(struct hp_wants *w);

/*
 * The keep-free guard of 'hugepages set' for pools that are to be made at
 * boot, when every node's memory is free: per node, its own pages plus its
 * share of the host-wide ones (the kernel spreads those over the nodes with
 * memory) must leave hugepages_keep_free_kib() of its MemTotal; the host as
 * a whole likewise.  Fails closed: a node whose MemTotal is unknown cannot
 * take pages (-EINVAL).  -ERANGE ("too large") with the numbers, also when
 * the sizes overflow.
 */
int hugepages_persist_guard(const struct hp_mem *mem, const struct hp_wants *w,
			    int64_t keep_free_kib, struct diag *d);

/*
 * Append the persist files to plan: the sysctl.d file (vm.nr_hugepages for
 * a host-wide default-size pool, vm.nr_overcommit_hugepages as now,
 * vm.hugetlb_shm_group = gid), the grub drop-in with cl's command line when
 * it has words (hugepages-cmdline.h builds it), and the oneshot unit
 * (ExecStart=kvmtune_path hugepages set ...) when there are per-node or
 * non-default-size pools.
 */
void hugepages_persist_files(const struct host_model *m, const struct hp_wants *w, long gid,
			     const char *kvmtune_path, const struct hp_cmdline *cl,
			     struct file_plan *plan);

/*
 * Append the mount files to plan: a drop-in for dev-hugepages.mount (default
 * size) and a mount unit /etc/systemd/system/dev-hugepagesXX.mount for each
 * other size in sizes_kib, all with mode=01770 and gid.
 */
void hugepages_mount_files(const struct host_model *m, const uint64_t *sizes_kib, size_t nsizes,
			   long gid, struct file_plan *plan);

/*
 * The mount point for a page size: /dev/hugepages for the default size,
 * /dev/hugepages1G, /dev/hugepages2M... for others.
 */
void hugepages_mount_path(const struct host_model *m, uint64_t size_kib, char *buf, size_t bufsz);

/*
 * Problems with the hugetlbfs mounts and their unit files: mounts whose mode
 * is a mode taken as decimal on its way (1352 for 1770, mounts_mode_typo()),
 * mounts the group gid cannot
 * write, and 'mode=NNNN' without its leading 0 in
 * /etc/systemd/system/dev-hugepages*.mount and dev-hugepages.mount.d/.
 * Returns the count; *ret is a NULL-terminated array of sentences (caller
 * frees each and the array).
 */
size_t hugepages_mount_findings(struct host *h, const struct host_model *m, long gid, char ***ret);

#endif
