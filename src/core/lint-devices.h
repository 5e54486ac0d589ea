/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lint beyond memory (RHEL virtualization tuning guide ch. 3, 5, 7): disks
 * without cache='none' and native or io_uring I/O on block devices, unsafe
 * caches, emulated disks and NICs where virtio would do, virtio-net without
 * vhost or with fewer queues than vCPUs, disks without an iothread, sound,
 * tablet and USB devices a server VM does not use, a CPU model that is not
 * the host's, and a vCPU topology that does not match the vCPUs, the host's
 * cores or the guest's NUMA cells.  Pure: the devices, the memory view and
 * the host model.
 */
#ifndef KVMTUNE_CORE_LINT_DEVICES_H
#define KVMTUNE_CORE_LINT_DEVICES_H

struct host_model;
struct lint_report;
struct vm_devices;
struct vm_spec;

/* Append the findings for dv (vm: the same domain's memory view, for its cells). */
void lint_devices(const struct vm_devices *dv, const struct vm_spec *vm, const struct host_model *m,
		  struct lint_report *ret);

#endif
