/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peers' placement rules as baselines for bench/plan, judged under the
 * same fit rules as the planner (a VM whose chosen nodes cannot hold it is
 * not placed: QEMU would fail to start it, or its memory would land
 * elsewhere):
 *  - first fit, as Nova's NUMA fitting does it: VMs in arrival order, the
 *    first node (by number) that holds the VM; a VM with N guest cells on
 *    the first N distinct nodes that hold one cell each; never a split the
 *    flavor did not ask for;
 *  - numad's rule (peers.md A1): the nodes with the most free memory as
 *    numad reads it (MemFree + Inactive(file)), blind to hugepage pools;
 *    enough of them to cover the VM's memory.
 */
#ifndef KVMTUNE_BENCH_PLAN_PEERS_H
#define KVMTUNE_BENCH_PLAN_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "place/solve.h"

struct place_objective peer_first_fit(const struct place_host *h, const struct place_req *reqs,
				      size_t n, const struct place_opts *o);
struct place_objective peer_numad(const struct place_host *h, const struct place_req *reqs,
				  size_t n, const struct place_opts *o,
				  const int64_t *numad_free_kib);

#endif
