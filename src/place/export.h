/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A planned VM in the formats others read: a struct vm_spec (which
 * core/domxml-write.c turns into libvirt XML or merges into a domain file,
 * and core/qemu-args.c into QEMU arguments), the vCPU/emulator pins as
 * taskset commands, Proxmox VE config lines, and the 'kvmtune hugepages set'
 * each node's pool needs.  Pure string and struct building.
 */
#ifndef KVMTUNE_PLACE_EXPORT_H
#define KVMTUNE_PLACE_EXPORT_H

struct place_host;
struct place_plan;
struct place_vm_plan;
struct vm_spec;

/*
 * Replace vm's placement by the plan's: cells (one per planned cell, its
 * vCPUs, memory, page size and a strict <memnode> on its host node, guest
 * distances from the host's), the nodeset, vCPU count, vcpupin per vCPU,
 * emulatorpin, I/O threads and their pins, the guest CPU topology (sockets
 * per cell, SMT threads as pinned) and preallocation with hugepages.  What
 * the domain sets otherwise (name, locking, source, sharing) is kept.  vm is
 * initialised by the caller (vm_spec_init, or parsed from the domain).
 */
void place_export_vm_spec(const struct place_host *h, const struct place_vm_plan *v,
			  struct vm_spec *vm);

/*
 * Proxmox VE lines for the VM (memory, sockets, cores, numa, numaN with
 * cpus/hostnodes/memory/policy=bind, hugepages, affinity), with '#' comments
 * where Proxmox cannot express the plan (per-vCPU pins, page sizes other
 * than 2M and 1G, more than 8 cells, host nodes >= 10 with hugepages).
 * Caller frees.
 */
char *place_export_proxmox(const struct place_host *h, const struct place_vm_plan *v);

/*
 * The pins as commands: the emulator's CPUs for the whole QEMU process
 * (taskset -c LIST qemu...), then one 'taskset -pc CPU TID' per vCPU thread
 * ("CPU n/KVM"), one line each.  Caller frees.
 */
char *place_export_taskset(const struct place_vm_plan *v);

/* One 'kvmtune hugepages set SIZE=COUNT --node N' per pool the plan grows ("" for none). */
char *place_export_pool_commands(const struct place_plan *p);

#endif
