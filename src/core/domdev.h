/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A libvirt domain's devices and CPU configuration, as far as they decide
 * how a VM performs on a KVM host (RHEL virtualization tuning guide ch. 3,
 * 5, 7): disks (driver cache and io, source type, bus, iothread), network
 * interfaces (model, driver name and queues), controllers, iothreads,
 * sound, input and USB devices, <cpu mode>, <topology> and vCPU pins.  What
 * lint-devices.c checks; read from the same XML as domxml.h's memory view.
 */
#ifndef KVMTUNE_CORE_DOMDEV_H
#define KVMTUNE_CORE_DOMDEV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cpuset.h"

struct diag;

struct vm_disk {
	char *type;	       /* file, block, network, volume, nvme, vhostuser, ... */
	char *device;	       /* disk, cdrom, floppy, lun */
	char *source;	       /* file, dev, name or path, NULL when absent */
	char *target;	       /* "vda", "hda" */
	char *bus;	       /* virtio, ide, sata, scsi, usb, fdc, ... (NULL: from the target) */
	char *format;	       /* <driver type> */
	char *cache;	       /* NULL: the hypervisor's default (writeback) */
	char *io;	       /* NULL: the hypervisor's default (threads) */
	unsigned iothread;     /* <driver iothread='N'>, 0: none */
	bool iothreads_mapped; /* <driver><iothreads> (several, libvirt 10+) */
};

struct vm_nic {
	char *type;	   /* network, bridge, user, direct, vhostuser, ... */
	char *model;	   /* NULL: libvirt's default (rtl8139 on x86 pc) */
	char *driver_name; /* vhost, qemu, NULL */
	unsigned queues;   /* 0: not given (one queue) */
	char *mac;
};

struct vm_controller {
	char *type;  /* usb, scsi, ide, sata, virtio-serial, pci, ... */
	char *model; /* NULL: libvirt's default */
	unsigned index;
	unsigned iothread; /* virtio-scsi <driver iothread> */
};

struct vm_vcpupin {
	unsigned vcpu;
	struct cpuset cpus;
};

struct vm_devices {
	char *domain_type; /* kvm, qemu */
	unsigned vcpus;
	unsigned iothreads;				  /* <iothreads>, 0: none */
	char *cpu_mode;					  /* NULL: no <cpu> or no mode (custom) */
	char *cpu_model;				  /* <cpu><model>, NULL: none */
	unsigned sockets, dies, clusters, cores, threads; /* <topology>, 0 when absent */
	bool topology;
	struct vm_vcpupin *pins;
	size_t npins;
	struct vm_disk *disks;
	size_t ndisks;
	struct vm_nic *nics;
	size_t nnics;
	struct vm_controller *controllers;
	size_t ncontrollers;
	unsigned sounds, tablets;
	unsigned usb_devices; /* besides tablets: USB inputs, redirdevs, host devices, anything
				 with <address type='usb'> */
};

/*
 * Parse the devices of a domain XML held in memory.  -EINVAL for malformed
 * XML or a bad number (vcpu, iothreads, topology, queues, a vcpupin's
 * cpuset), with a diag naming it.  Release with domdev_release().
 */
int domdev_parse(const char *text, size_t len, struct vm_devices *ret, struct diag *d);
int domdev_parse_file(const char *path, struct vm_devices *ret, struct diag *d);
void domdev_release(struct vm_devices *dv);

/* A disk's bus, from its target name when <target bus> is absent (vda: virtio, hda: ide, sda:
 * scsi). */
const char *vm_disk_bus(const struct vm_disk *disk);

#endif
