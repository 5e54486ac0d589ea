/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why a VM does not fit: the shortfall per node (pages of its size, free
 * cores, memory, no CPUs, no SMT siblings) and what would make it fit (the
 * 'kvmtune hugepages set' that grows one node's pool enough, or cores to free).
 */
#ifndef KVMTUNE_PLACE_WHY_H
#define KVMTUNE_PLACE_WHY_H

#include <stddef.h>

struct place_host;
struct place_opts;
struct place_req;
struct place_state;

/* Why r does not fit on node idx alone in s ("" when it does), e.g. "short of 1G pages: ...". */
void place_why(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, size_t idx, char *buf, size_t bufsz);

/*
 * What would let r fit on one node in s, as a sentence ("" when nothing
 * simple would): the smallest pool growth that is enough on a node whose
 * other resources suffice ("kvmtune hugepages set 1G=8 --node 1"), else the
 * cores to free.
 */
void place_fix(const struct place_host *h, const struct place_state *s, const struct place_req *r,
	       const struct place_opts *o, char *buf, size_t bufsz);

#endif
