/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM's per-VM statistics as kvm_stat reads them: debugfs
 * /sys/kernel/debug/kvm/<pid>-<fd>/<counter>, one decimal number per file,
 * VM counters and vCPU counters summed over the VM's vCPUs.  When they
 * cannot be read, the state says why in one sentence (debugfs not
 * mounted, no KVM on this host, permission denied).
 */
#ifndef KVMTUNE_CORE_KVMSTAT_H
#define KVMTUNE_CORE_KVMSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct host;

#define KVMSTAT_DEBUGFS "/sys/kernel/debug"
#define KVMSTAT_DIR "/sys/kernel/debug/kvm"

/* The counters kvmtune reads (a row each in kvmstat_defs). */
enum kvmstat_id {
	KVMSTAT_EXITS,
	KVMSTAT_HALT_EXITS,
	KVMSTAT_IO_EXITS,
	KVMSTAT_MMIO_EXITS,
	KVMSTAT_IRQ_WINDOW_EXITS,
	KVMSTAT_NMI_WINDOW_EXITS,
	KVMSTAT_IRQ_EXITS,
	KVMSTAT_REQUEST_IRQ_EXITS,
	KVMSTAT_SIGNAL_EXITS,
	KVMSTAT_INSN_EMULATION,
	KVMSTAT_HYPERCALLS,
	KVMSTAT_PF_FIXED,
	KVMSTAT_HALT_WAKEUP,
	KVMSTAT_REMOTE_TLB_FLUSH,
	KVMSTAT_PAGES_4K,
	KVMSTAT_PAGES_2M,
	KVMSTAT_PAGES_1G,
	KVMSTAT_COUNT_
};

struct kvmstat_def {
	enum kvmstat_id id;
	const char *file;  /* the debugfs file name */
	const char *label; /* short column/JSON name */
	bool exit_reason;  /* one of the exit reasons (rates, sorted by -o exits) */
	bool gauge;	   /* a level (pages mapped), not an event count */
};

extern const struct kvmstat_def kvmstat_defs[KVMSTAT_COUNT_];

enum kvmstat_state {
	KVMSTAT_OK,
	KVMSTAT_NO_DEBUGFS, /* debugfs is not mounted at /sys/kernel/debug */
	KVMSTAT_NO_KVM,	    /* debugfs is there, kvm/ is not: KVM is not loaded */
	KVMSTAT_DENIED,	    /* EACCES or EPERM (not root, kernel lockdown) */
};

struct kvmstat_vm {
	int pid;
	int fd; /* the VM's file descriptor in that process */
	uint64_t v[KVMSTAT_COUNT_];
	uint32_t present; /* bit per enum kvmstat_id: the file was there */
};

struct kvmstat {
	enum kvmstat_state state;
	char reason[256];	/* why not KVMSTAT_OK, one sentence */
	struct kvmstat_vm *vms; /* sorted by pid, then fd */
	size_t nvms;
};

/*
 * Read every VM's counters below the root.  Unavailable statistics are not
 * an error: ret->state and ret->reason say why (0 returned).  A directory
 * whose name is not <pid>-<fd>, or a counter that is not a number, is
 * skipped.  ret must be zeroed; release with kvmstat_release().
 */
int kvmstat_read(struct host *h, struct kvmstat *ret, struct diag *d);
void kvmstat_release(struct kvmstat *s);

/* The VM of a process (several: their sum, in ret); false when it has none. */
bool kvmstat_of_pid(const struct kvmstat *s, int pid, struct kvmstat_vm *ret);

/* Parse a debugfs VM directory name "<pid>-<fd>"; -EINVAL otherwise. */
int kvmstat_parse_dirname(const char *name, int *ret_pid, int *ret_fd);

#endif
