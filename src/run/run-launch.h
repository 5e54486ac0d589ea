/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starting and supervising QEMU for 'kvmtune run': spawn it paused with a
 * QMP socket of its own (its threads start on the emulator CPUs; it gets
 * SIGTERM if run dies), pin each vCPU thread (query-cpus-fast thread ids)
 * and QEMU's other threads with sched_setaffinity, resume it unless the user
 * asked for -S, then wait for it, forwarding SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT.  No globals: signals are read from a signalfd.
 */
#ifndef KVMTUNE_RUN_RUN_LAUNCH_H
#define KVMTUNE_RUN_RUN_LAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/qmp.h"

struct diag;
struct host;
struct run_pins;

struct run_launch {
	/* in */
	char **argv;	      /* the final QEMU command line, NULL-terminated */
	const char *qmp_path; /* the QMP socket QEMU creates (-qmp unix:PATH,server=on,wait=off) */
	bool resume;	      /* 'cont' after pinning (false: the user gave -S) */
	const struct run_pins *pins;
	unsigned qmp_timeout_ms;
	/* out */
	int pid;
	struct qmp_vcpus vcpus;	 /* thread ids of the vCPUs */
	size_t emulator_threads; /* QEMU's other threads pinned */
	int exit_code;		 /* QEMU's exit status, or 128 + the signal that ended it */
	bool ended_early;	 /* QEMU ended by itself before it was pinned and resumed */
	int forwarded;		 /* the last signal forwarded to QEMU, 0 for none */
};

/*
 * Block the signals run forwards (and SIGCHLD) so that they are read from a
 * signalfd, also while QEMU starts; old gets the previous mask for QEMU.
 */
void run_signals_block(sigset_t *old);

/*
 * Start QEMU and pin it (see above).  On failure after QEMU started, QEMU is
 * killed and reaped (l->exit_code says how it ended) and -errno returned with
 * a diag: the exec failed (-ENOENT...), QEMU ended before its QMP socket
 * answered (-ECHILD), QMP failed, a pin failed (-EINVAL for a CPU set the
 * kernel refuses).  old is the signal mask QEMU starts with.
 */
int run_launch_start(struct host *h, struct run_launch *l, const sigset_t *old, struct diag *d);

/* Wait for QEMU to end, forwarding signals; fills exit_code and forwarded. */
int run_launch_wait(struct run_launch *l, struct diag *d);

void run_launch_release(struct run_launch *l);

#endif
