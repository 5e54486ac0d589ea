/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the device view of a domain XML and its lint: every field
 * read, bad numbers refused, and the topology checks on a synthetic SMT
 * host (2 cores x 2 threads) that needs no fixture.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/domdev.h"
#include "core/lint-devices.h"
#include "core/lint.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

static const char domain[] =
	"<domain type='kvm'><vcpu>4</vcpu><iothreads>2</iothreads>"
	"<cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/>"
	"<vcpupin vcpu='2' cpuset='1'/><vcpupin vcpu='3' cpuset='2-3,^3'/></cputune>"
	"<cpu mode='custom'><model>Skylake</model>"
	"<topology sockets='1' dies='1' cores='2' threads='2'/></cpu>"
	"<devices>"
	"<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none' io='native'"
	" iothread='2'/><source dev='/dev/sdb'/><target dev='vda' bus='virtio'/></disk>"
	"<disk type='file' device='cdrom'><source file='/x.iso'/><target dev='hdc'/></disk>"
	"<interface type='bridge'><mac address='52:54:00:00:00:01'/><model type='virtio'/>"
	"<driver name='qemu' queues='4'/></interface>"
	"<controller type='scsi' index='0' model='lsilogic'/>"
	"<controller type='usb' index='0' model='none'/>"
	"<sound model='ich9'/><input type='tablet' bus='usb'/><input type='keyboard' bus='usb'/>"
	"<redirdev bus='usb' type='spicevmc'/>"
	"</devices></domain>";

static void test_parse(void **state)
{
	struct vm_devices dv;
	struct diag d = {0};

	assert_int_equal(domdev_parse(domain, strlen(domain), &dv, &d), 0);
	assert_string_equal(dv.domain_type, "kvm");
	assert_int_equal(dv.vcpus, 4);
	assert_int_equal(dv.iothreads, 2);
	assert_string_equal(dv.cpu_mode, "custom");
	assert_string_equal(dv.cpu_model, "Skylake");
	assert_true(dv.topology && dv.cores == 2 && dv.threads == 2 && dv.clusters == 0);
	assert_int_equal(dv.npins, 4);
	assert_true(cpuset_isset(&dv.pins[3].cpus, 2) && !cpuset_isset(&dv.pins[3].cpus, 3));
	assert_int_equal(dv.ndisks, 2);
	assert_string_equal(dv.disks[0].cache, "none");
	assert_string_equal(dv.disks[0].io, "native");
	assert_string_equal(dv.disks[0].source, "/dev/sdb");
	assert_int_equal(dv.disks[0].iothread, 2);
	assert_string_equal(vm_disk_bus(&dv.disks[1]), "ide"); /* from the target name */
	assert_string_equal(dv.nics[0].driver_name, "qemu");
	assert_int_equal(dv.nics[0].queues, 4);
	assert_int_equal(dv.ncontrollers, 2);
	assert_string_equal(dv.controllers[0].model, "lsilogic");
	assert_int_equal(dv.sounds, 1);
	assert_int_equal(dv.tablets, 1);
	assert_int_equal(dv.usb_devices, 2); /* the keyboard and the redirdev */
	domdev_release(&dv);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"<domain><vcpu>many</vcpu></domain>",
		"<domain><iothreads>-1</iothreads></domain>",
		"<domain><cpu><topology threads='0x2'/></cpu></domain>",
		"<domain><cputune><vcpupin vcpu='0' cpuset='junk'/></cputune></domain>",
		("<domain><devices><interface type='user'><driver queues='99999999'/>"
		 "</interface></devices></domain>"),
		"<notadomain/>",
		"<domain><devices>",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_devices dv;
		struct diag d = {0};

		assert_int_equal(domdev_parse(bad[i], strlen(bad[i]), &dv, &d), -EINVAL);
		assert_true(d.msg[0] != '\0');
	}
}

static bool has(const struct lint_report *r, const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->findings[i].id, id) == 0)
			return true;
	return false;
}

/* 2 cores x 2 threads: (0,1) and (2,3). */
static void smt_host(struct host_model *m)
{
	memset(m, 0, sizeof(*m));
	m->threads_per_core = 2;
	m->ncore_groups = 2;
	m->core_groups = xcalloc(2, sizeof(*m->core_groups));
	for (unsigned i = 0; i < 4; i++)
		cpuset_set(&m->core_groups[i / 2].cpus, i);
}

static void test_lint(void **state)
{
	struct host_model m;
	struct lint_report r = {0};
	struct vm_devices dv;
	struct vm_spec vm;

	smt_host(&m);
	vm_spec_init(&vm);
	assert_int_equal(domdev_parse(domain, strlen(domain), &dv, NULL), 0);
	lint_devices(&dv, &vm, &m, &r);
	assert_true(has(&r, "cpu-model-not-host"));
	assert_false(has(&r, "cpu-topology-smt")); /* 2 threads on a 2-thread host */
	assert_true(has(&r, "cpu-topology-pins")); /* vCPUs 2-3: CPU 2 and 1-3 */
	assert_false(has(&r, "disk-cache"));	   /* cache='none' io='native' */
	assert_false(has(&r, "disk-no-iothread")); /* iothread='2' */
	assert_false(has(&r, "disk-emulated"));	   /* the IDE device is a CD-ROM */
	assert_true(has(&r, "net-no-vhost"));	   /* driver name='qemu' */
	assert_false(has(&r, "net-queues"));	   /* 4 queues, 4 vCPUs */
	assert_true(has(&r, "unused-device"));	   /* sound, tablet */
	lint_report_release(&r);
	/* pins that follow the host's cores: no finding */
	cpuset_clear(&dv.pins[2].cpus);
	cpuset_set(&dv.pins[2].cpus, 3);
	lint_devices(&dv, &vm, &m, &r);
	assert_false(has(&r, "cpu-topology-pins"));
	lint_report_release(&r);
	domdev_release(&dv);
	vm_spec_release(&vm);
	host_model_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
