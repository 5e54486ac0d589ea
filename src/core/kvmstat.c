/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KVM per-VM statistics from debugfs, and why they are missing when they are. */
#include "core/kvmstat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/mounts.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* File names as the kernel's stats descriptors name them (virt/kvm, arch/x86/kvm). */
const struct kvmstat_def kvmstat_defs[KVMSTAT_COUNT_] = {
	{KVMSTAT_EXITS, "exits", "exits", false, false},
	{KVMSTAT_HALT_EXITS, "halt_exits", "halt", true, false},
	{KVMSTAT_IO_EXITS, "io_exits", "io", true, false},
	{KVMSTAT_MMIO_EXITS, "mmio_exits", "mmio", true, false},
	{KVMSTAT_IRQ_WINDOW_EXITS, "irq_window_exits", "irq_window", true, false},
	{KVMSTAT_NMI_WINDOW_EXITS, "nmi_window_exits", "nmi_window", true, false},
	{KVMSTAT_IRQ_EXITS, "irq_exits", "irq", true, false},
	{KVMSTAT_REQUEST_IRQ_EXITS, "request_irq_exits", "request_irq", true, false},
	{KVMSTAT_SIGNAL_EXITS, "signal_exits", "signal", true, false},
	{KVMSTAT_INSN_EMULATION, "insn_emulation", "emulation", false, false},
	{KVMSTAT_HYPERCALLS, "hypercalls", "hypercalls", false, false},
	{KVMSTAT_PF_FIXED, "pf_fixed", "pf_fixed", false, false},
	{KVMSTAT_HALT_WAKEUP, "halt_wakeup", "halt_wakeup", false, false},
	{KVMSTAT_REMOTE_TLB_FLUSH, "remote_tlb_flush", "tlb_flush", false, false},
	{KVMSTAT_PAGES_4K, "pages_4k", "pages_4k", false, true},
	{KVMSTAT_PAGES_2M, "pages_2m", "pages_2m", false, true},
	{KVMSTAT_PAGES_1G, "pages_1g", "pages_1g", false, true},
};

int kvmstat_parse_dirname(const char *name, int *ret_pid, int *ret_fd)
{
	const char *dash = strchr(name, '-');
	char pid_text[16];
	int pid, fd;

	if (!dash || dash == name || (size_t)(dash - name) >= sizeof(pid_text))
		return -EINVAL;
	memcpy(pid_text, name, (size_t)(dash - name));
	pid_text[dash - name] = '\0';
	if (parse_int(pid_text, &pid) < 0 || pid <= 0 || parse_int(dash + 1, &fd) < 0 || fd < 0)
		return -EINVAL;
	*ret_pid = pid;
	*ret_fd = fd;
	return 0;
}

/* Whether /proc/mounts shows a debugfs at KVMSTAT_DEBUGFS. */
static bool debugfs_mounted(struct host *h)
{
	AUTOFREE char *text = NULL;
	char *save = NULL;
	bool found = false;

	if (host_read(h, "/proc/mounts", &text, NULL, NULL) < 0)
		return false;
	for (char *line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mount_entry e = {0};

		if (mount_entry_parse(line, &e, NULL) < 0)
			continue;
		found = strcmp(e.fstype, "debugfs") == 0 && strcmp(e.path, KVMSTAT_DEBUGFS) == 0;
		mount_entry_release(&e);
	}
	return found;
}

static void set_state(struct host *h, struct kvmstat *s, int err)
{
	if (err == -EACCES || err == -EPERM) {
		s->state = KVMSTAT_DENIED;
		(void)snprintf(s->reason, sizeof(s->reason),
			       "KVM statistics: %s: %s (they need root, and a kernel that is not "
			       "locked down)",
			       KVMSTAT_DIR, strerror(-err));
	} else if (!debugfs_mounted(h)) {
		s->state = KVMSTAT_NO_DEBUGFS;
		(void)snprintf(s->reason, sizeof(s->reason),
			       "KVM statistics: debugfs is not mounted at %s (mount -t debugfs "
			       "none %s)",
			       KVMSTAT_DEBUGFS, KVMSTAT_DEBUGFS);
	} else {
		s->state = KVMSTAT_NO_KVM;
		(void)snprintf(s->reason, sizeof(s->reason),
			       "KVM statistics: %s does not exist: %s", KVMSTAT_DIR,
			       host_exists(h, "/dev/kvm")
				       ? "KVM is loaded but shows no statistics in debugfs"
				       : "KVM is not available on this host (no /dev/kvm); QEMU "
					 "can only run under TCG here");
	}
}

static void read_vm(struct host *h, const char *name, struct kvmstat_vm *vm)
{
	for (size_t i = 0; i < KVMSTAT_COUNT_; i++) {
		char path[256];
		unsigned long long v;

		(void)snprintf(path, sizeof(path), "%s/%s/%s", KVMSTAT_DIR, name,
			       kvmstat_defs[i].file);
		if (host_read_u64(h, path, &v, NULL) < 0)
			continue;
		vm->v[i] = v;
		vm->present |= 1u << i;
	}
}

static int cmp_vm(const void *a, const void *b)
{
	const struct kvmstat_vm *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

int kvmstat_read(struct host *h, struct kvmstat *ret, struct diag *d)
{
	char **names = NULL;
	size_t n = 0;
	int r;

	r = host_list(h, KVMSTAT_DIR, &names, &n, NULL);
	if (r < 0) {
		set_state(h, ret, r);
		return 0;
	}
	ret->vms = xcalloc(n + 1, sizeof(*ret->vms));
	for (size_t i = 0; i < n; i++) {
		struct kvmstat_vm *vm = &ret->vms[ret->nvms];

		if (kvmstat_parse_dirname(names[i], &vm->pid, &vm->fd) < 0)
			continue;
		read_vm(h, names[i], vm);
		ret->nvms++;
	}
	host_names_free(names);
	qsort(ret->vms, ret->nvms, sizeof(*ret->vms), cmp_vm);
	ret->state = KVMSTAT_OK;
	(void)d;
	return 0;
}

void kvmstat_release(struct kvmstat *s)
{
	free(s->vms);
	memset(s, 0, sizeof(*s));
}

bool kvmstat_of_pid(const struct kvmstat *s, int pid, struct kvmstat_vm *ret)
{
	bool found = false;

	memset(ret, 0, sizeof(*ret));
	ret->pid = pid;
	ret->fd = -1;
	for (size_t i = 0; i < s->nvms; i++) {
		if (s->vms[i].pid != pid)
			continue;
		if (!found)
			ret->fd = s->vms[i].fd;
		found = true;
		for (size_t k = 0; k < KVMSTAT_COUNT_; k++)
			ret->v[k] += s->vms[i].v[k];
		ret->present |= s->vms[i].present;
	}
	return found;
}
