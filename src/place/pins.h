/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Host CPUs for placed VMs: each dedicated cell gets whole free cores of its
 * node, inside one last-level cache when one has room (the fullest that
 * fits), vCPU pairs on SMT siblings unless threads=isolate; shared cells float
 * on their node's CPUs that no VM holds; emulator and I/O threads go to
 * the host cores of the VM's nodes (else those shared CPUs), off every
 * dedicated vCPU's core (a shared VM's vCPUs float over them too).
 */
#ifndef KVMTUNE_PLACE_PINS_H
#define KVMTUNE_PLACE_PINS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cpuset.h"

struct place_choice;
struct place_host;
struct place_req;

struct place_pins {
	struct cpuset *vcpu; /* per vCPU: one CPU (dedicated) or the node's shared CPUs */
	unsigned nvcpus;
	struct cpuset emulator;
	struct cpuset iothreads; /* every I/O thread of the VM */
	struct cpuset cores;	 /* all CPUs of the cores it holds (dedicated) */
	unsigned guest_threads;	 /* vCPUs per core: the guest topology's threads */
	bool emulator_far;	 /* no shared CPU on its nodes: a nearer node's */
	bool emulator_on_vcpus;	 /* no shared CPU anywhere: on its own vCPUs' CPUs */
};

/*
 * Assign CPUs to the placed VMs of ch (n choices for reqs): h's cores get
 * their planned owner (the request index).  ret gets n entries (zeroed for
 * VMs not placed); release each with place_pins_release().
 */
void place_pins_assign(struct place_host *h, const struct place_req *reqs,
		       const struct place_choice *ch, size_t n, struct place_pins *ret);
void place_pins_release(struct place_pins *p);

#endif
