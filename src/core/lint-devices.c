/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device, CPU model and topology findings for a domain: one function per finding. */
#include "lint-devices.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/domdev.h"
#include "core/lint.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "util/cleanup.h"
#include "util/sbuf.h"

#include "util/banned.h"

static void addf(struct lint_report *r, const char *id, enum lint_severity sev, const char *fix,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void addf(struct lint_report *r, const char *id, enum lint_severity sev, const char *fix,
		 const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	lint_add(r, id, sev, sb.buf, fix);
	sbuf_release(&sb);
}

static bool is(const char *s, const char *v)
{
	return s && strcmp(s, v) == 0;
}

static const char * or (const char *s, const char *dflt)
{
	return s ? s : dflt;
}

/* "disk hda (/dev/HostVG/QEMUGuest1)": how findings name a disk. */
static const char *disk_name(const struct vm_disk *k, char *buf, size_t n)
{
	(void)snprintf(buf, n, "disk %s (%s %s)", or (k->target, "?"), or (k->type, "file"),
		       or (k->source, "without a source"));
	return buf;
}

static bool real_disk(const struct vm_disk *k)
{
	return !k->device || is(k->device, "disk") || is(k->device, "lun");
}

static void check_domain_type(const struct vm_devices *dv, struct lint_report *r)
{
	if (!is(dv->domain_type, "qemu"))
		return;
	lint_add(r, "domain-emulated", LINT_WARNING,
		 "<domain type='qemu'>: QEMU emulates the CPU (TCG), many times slower than KVM",
		 "<domain type='kvm'> on a host with /dev/kvm");
}

static void check_cpu_model(const struct vm_devices *dv, struct lint_report *r)
{
	char what[160];

	if (is(dv->cpu_mode, "host-passthrough") || is(dv->cpu_mode, "host-model") ||
	    is(dv->cpu_mode, "maximum"))
		return;
	if (dv->cpu_model)
		(void)snprintf(what, sizeof(what), "<cpu mode='%s'> with model %s",
			       or (dv->cpu_mode, "custom"), dv->cpu_model);
	else if (dv->cpu_mode)
		(void)snprintf(what, sizeof(what), "<cpu mode='%s'>", dv->cpu_mode);
	else
		(void)snprintf(what, sizeof(what), "no <cpu mode>: QEMU's default model (qemu64)");
	addf(r, "cpu-model-not-host", LINT_WARNING,
	     "<cpu mode='host-passthrough'/>, or mode='host-model' when the VM migrates between "
	     "hosts with different CPUs",
	     "%s: the guest sees a generic CPU without the host's instructions (guide ch. 3.3.2)",
	     what);
}

/* sockets x dies x clusters x cores x threads, absent factors 1. */
static unsigned long long topo_vcpus(const struct vm_devices *dv)
{
	unsigned long long n = 1;
	const unsigned f[] = {dv->sockets, dv->dies, dv->clusters, dv->cores, dv->threads};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		n *= f[i] ? f[i] : 1;
	return n;
}

static void check_topology_count(const struct vm_devices *dv, struct lint_report *r)
{
	unsigned long long n = topo_vcpus(dv);

	if (!dv->topology || !dv->vcpus || n == dv->vcpus)
		return;
	addf(r, "cpu-topology-vcpus", LINT_ERROR,
	     "make sockets x dies x clusters x cores x threads equal the <vcpu> count",
	     "<topology> sockets=%u dies=%u clusters=%u cores=%u threads=%u gives %llu vCPUs, "
	     "<vcpu> has %u: libvirt refuses the domain",
	     dv->sockets, dv->dies ? dv->dies : 1, dv->clusters ? dv->clusters : 1, dv->cores,
	     dv->threads, n, dv->vcpus);
}

static void check_topology_smt(const struct vm_devices *dv, const struct host_model *m,
			       struct lint_report *r)
{
	if (!dv->topology || dv->threads <= 1 || !m->threads_per_core ||
	    dv->threads <= m->threads_per_core)
		return;
	addf(r, "cpu-topology-smt", LINT_WARNING,
	     "threads='1' (or at most the host's threads per core), with more cores",
	     "<topology threads='%u'>: the guest schedules as if %u vCPUs shared a core, but this "
	     "host's cores have %u thread%s",
	     dv->threads, dv->threads, m->threads_per_core, m->threads_per_core == 1 ? "" : "s");
}

/* The host core (SMT siblings) of cpu, or NULL. */
static const struct cpuset *host_core(const struct host_model *m, int cpu)
{
	for (size_t i = 0; i < m->ncore_groups; i++)
		if (cpuset_isset(&m->core_groups[i].cpus, (unsigned)cpu))
			return &m->core_groups[i].cpus;
	return NULL;
}

static const struct cpuset *pin_of(const struct vm_devices *dv, unsigned vcpu)
{
	for (size_t i = 0; i < dv->npins; i++)
		if (dv->pins[i].vcpu == vcpu)
			return &dv->pins[i].cpus;
	return NULL;
}

/* Guest core c's threads, pinned: all in one host core? */
static bool core_pinned_together(const struct vm_devices *dv, const struct host_model *m,
				 unsigned first)
{
	const struct cpuset *core = NULL;
	int cpu;

	for (unsigned t = 0; t < dv->threads; t++) {
		const struct cpuset *pin = pin_of(dv, first + t);

		if (!pin)
			return true; /* not pinned: nothing to compare */
		cpuset_foreach (cpu, pin) {
			const struct cpuset *hc = host_core(m, cpu);

			if (!hc || (core && !cpuset_equal(core, hc)))
				return false;
			core = hc;
		}
	}
	return true;
}

static void check_topology_pins(const struct vm_devices *dv, const struct host_model *m,
				struct lint_report *r)
{
	struct sbuf bad = SBUF_INIT;

	if (!dv->topology || dv->threads <= 1 || !dv->npins || !m->ncore_groups)
		return;
	for (unsigned first = 0; first + dv->threads <= dv->vcpus; first += dv->threads)
		if (!core_pinned_together(dv, m, first))
			sbuf_addf(&bad, "%s%u-%u", bad.len ? "," : "", first,
				  first + dv->threads - 1);
	if (bad.len)
		addf(r, "cpu-topology-pins", LINT_WARNING,
		     "pin the threads of each guest core to the SMT siblings of one host core",
		     "<topology threads='%u'> but the vCPUs of guest cores %s are pinned to CPUs "
		     "of different host cores: the guest's idea of siblings is wrong",
		     dv->threads, bad.buf);
	sbuf_release(&bad);
}

/* The guest NUMA cell of a vCPU, -1 if none. */
static int cell_of(const struct vm_spec *vm, unsigned vcpu)
{
	for (size_t i = 0; i < vm->ncells; i++)
		if (cpuset_isset(&vm->cells[i].cpus, vcpu))
			return (int)vm->cells[i].id;
	return -1;
}

static void check_topology_cells(const struct vm_devices *dv, const struct vm_spec *vm,
				 struct lint_report *r)
{
	unsigned per_socket;

	if (!dv->topology || !vm || vm->ncells < 2 || !dv->vcpus)
		return;
	per_socket = (unsigned)(topo_vcpus(dv) / (dv->sockets ? dv->sockets : 1));
	for (unsigned s = 0; per_socket && s * per_socket < dv->vcpus; s++) {
		unsigned first = s * per_socket;
		int c0 = cell_of(vm, first);

		for (unsigned v = first + 1; v < first + per_socket && v < dv->vcpus; v++) {
			if (cell_of(vm, v) == c0)
				continue;
			addf(r, "cpu-topology-cells", LINT_WARNING,
			     "give each guest NUMA cell whole sockets: sockets = cells, and each "
			     "cell's cpus one socket's vCPUs",
			     "guest socket %u (vCPUs %u-%u) spans NUMA cells %d and %d: the guest "
			     "believes cores of one socket have different memory",
			     s, first, first + per_socket - 1, c0, cell_of(vm, v));
			return;
		}
	}
}

static void check_disk_cache(const struct vm_disk *k, struct lint_report *r)
{
	char name[300];

	disk_name(k, name, sizeof(name));
	if (is(k->type, "block") && real_disk(k) && !is(k->cache, "none") &&
	    !is(k->cache, "directsync"))
		addf(r, "disk-cache", LINT_WARNING,
		     "<driver name='qemu' type='raw' cache='none' io='native'/>",
		     "%s: %s%s%s on a block device: guest I/O is copied through the host page "
		     "cache (guide ch. 7.3: cache='none' is generally best and the only mode for "
		     "migration)",
		     name, k->cache ? "cache='" : "no cache= (QEMU's default, writeback)",
		     or (k->cache, ""), k->cache ? "'" : "");
	if (is(k->cache, "unsafe"))
		addf(r, "disk-cache-unsafe", LINT_WARNING,
		     "cache='none' (or 'writeback', which honours the guest's flushes)",
		     "%s: cache='unsafe' ignores the guest's flushes: a host crash loses data the "
		     "guest believes written",
		     name);
	else if (is(k->cache, "writeback") && !is(k->type, "block"))
		addf(r, "disk-cache-writeback", LINT_INFO,
		     "cache='none' for an image on local or shared storage (with io='native' or "
		     "'io_uring')",
		     "%s: cache='writeback' keeps guest data in the host's page cache as well as "
		     "the guest's, and live migration with shared storage needs cache='none'",
		     name);
}

static void check_disk_io(const struct vm_disk *k, struct lint_report *r)
{
	char name[300];

	if (!is(k->type, "block") || !real_disk(k) || is(k->io, "native") || is(k->io, "io_uring"))
		return;
	addf(r, "disk-io", LINT_WARNING,
	     "io='native' (with cache='none' or 'directsync') or io='io_uring'",
	     "%s: %s%s%s on a block device: each request goes through QEMU's thread pool "
	     "instead of the kernel's asynchronous I/O (guide ch. 7.4)",
	     disk_name(k, name, sizeof(name)), k->io ? "io='" : "no io= (QEMU's default, threads)",
	     or (k->io, ""), k->io ? "'" : "");
}

static const struct vm_controller *scsi_controller(const struct vm_devices *dv)
{
	for (size_t i = 0; i < dv->ncontrollers; i++)
		if (is(dv->controllers[i].type, "scsi"))
			return &dv->controllers[i];
	return NULL;
}

static void check_disk_bus(const struct vm_devices *dv, const struct vm_disk *k,
			   struct lint_report *r)
{
	const char *bus = vm_disk_bus(k);
	const struct vm_controller *sc = scsi_controller(dv);
	char name[300];

	if (!real_disk(k))
		return;
	if (is(bus, "ide") || is(bus, "sata") || is(bus, "usb") || is(bus, "fdc"))
		addf(r, "disk-emulated", LINT_WARNING,
		     "<target dev='vda' bus='virtio'/> (virtio-blk), or bus='scsi' on a "
		     "virtio-scsi controller",
		     "%s on bus '%s': an emulated controller costs a VM exit per register access "
		     "where virtio batches requests",
		     disk_name(k, name, sizeof(name)), bus);
	else if (is(bus, "scsi") && sc && sc->model && !is(sc->model, "virtio-scsi") &&
		 !is(sc->model, "virtio-transitional") && !is(sc->model, "virtio-non-transitional"))
		addf(r, "disk-emulated", LINT_WARNING,
		     "<controller type='scsi' model='virtio-scsi'/>",
		     "%s on an emulated SCSI controller (model '%s')",
		     disk_name(k, name, sizeof(name)), sc->model);
}

static void check_disk_iothread(const struct vm_devices *dv, const struct vm_disk *k,
				struct lint_report *r)
{
	char name[300];

	if (!real_disk(k) || !is(vm_disk_bus(k), "virtio") || k->iothread || k->iothreads_mapped)
		return;
	addf(r, "disk-no-iothread", LINT_INFO,
	     dv->iothreads
		     ? "<driver ... iothread='1'/> (the domain has <iothreads>)"
		     : "<iothreads>1</iothreads> and <driver ... iothread='1'/> for busy disks",
	     "%s: virtio-blk without an iothread runs in QEMU's main loop, beside the monitor "
	     "and every other device",
	     disk_name(k, name, sizeof(name)));
}

static bool virtio_nic(const struct vm_nic *c)
{
	return is(c->model, "virtio") || is(c->model, "virtio-transitional") ||
	       is(c->model, "virtio-non-transitional") || is(c->type, "vhostuser");
}

static void check_nic(const struct vm_devices *dv, const struct vm_nic *c, struct lint_report *r)
{
	char name[96];
	unsigned queues = c->queues ? c->queues : 1;

	(void)snprintf(name, sizeof(name), "<interface type='%s'>%s%s", or (c->type, "?"),
		       c->mac ? " " : "", or (c->mac, ""));
	if (is(c->type, "hostdev"))
		return; /* a passed-through NIC: no emulation */
	if (!virtio_nic(c)) {
		addf(r, "net-emulated", LINT_WARNING, "<model type='virtio'/>",
		     "%s: model %s is an emulated NIC (a VM exit per register access, one queue)",
		     name, c->model ? c->model : "not given: libvirt's default (rtl8139 on x86)");
		return;
	}
	if (is(c->driver_name, "qemu"))
		addf(r, "net-no-vhost", LINT_WARNING,
		     "<driver name='vhost'/> (or no name: libvirt uses vhost-net when it can)",
		     "%s: virtio-net with <driver name='qemu'> moves packets in QEMU's userspace "
		     "instead of the vhost-net kernel thread (guide ch. 5.3)",
		     name);
	if (dv->vcpus > 1 && queues < dv->vcpus && !is(c->type, "user"))
		addf(r, "net-queues", LINT_INFO, "<driver name='vhost' queues='N'/> with N = vCPUs",
		     "%s: %u queue%s for %u vCPUs: one vCPU at a time handles the NIC's traffic",
		     name, queues, queues == 1 ? "" : "s", dv->vcpus);
}

static void check_unused(const struct vm_devices *dv, struct lint_report *r)
{
	unsigned usb_users = dv->usb_devices;

	if (dv->sounds)
		addf(r, "unused-device", LINT_INFO,
		     "remove <sound> (virt-manager: Remove Hardware)",
		     "%u <sound> device%s: emulated audio a server VM does not use costs timer "
		     "exits (guide ch. 3.2.2)",
		     dv->sounds, dv->sounds == 1 ? "" : "s");
	if (dv->tablets)
		addf(r, "unused-device", LINT_INFO, "remove <input type='tablet'/> on servers",
		     "<input type='tablet'>: the USB tablet is polled even when nobody watches the "
		     "console");
	for (size_t i = 0; i < dv->ncontrollers; i++) {
		const struct vm_controller *c = &dv->controllers[i];

		if (!is(c->type, "usb") || is(c->model, "none") || usb_users)
			continue;
		addf(r, "unused-device", LINT_INFO, "<controller type='usb' model='none'/>",
		     "<controller type='usb' index='%u'%s%s%s>%s: an emulated controller polled "
		     "for nothing",
		     c->index, c->model ? " model='" : "", or (c->model, ""), c->model ? "'" : "",
		     dv->tablets ? " serves only the tablet" : " with no USB device on it");
		break;
	}
}

void lint_devices(const struct vm_devices *dv, const struct vm_spec *vm, const struct host_model *m,
		  struct lint_report *ret)
{
	check_domain_type(dv, ret);
	check_cpu_model(dv, ret);
	check_topology_count(dv, ret);
	check_topology_smt(dv, m, ret);
	check_topology_pins(dv, m, ret);
	check_topology_cells(dv, vm, ret);
	for (size_t i = 0; i < dv->ndisks; i++) {
		check_disk_cache(&dv->disks[i], ret);
		check_disk_io(&dv->disks[i], ret);
		check_disk_bus(dv, &dv->disks[i], ret);
		check_disk_iothread(dv, &dv->disks[i], ret);
	}
	for (size_t i = 0; i < dv->nnics; i++)
		check_nic(dv, &dv->nics[i], ret);
	check_unused(dv, ret);
}
