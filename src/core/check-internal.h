/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the check modules (check.c, check-pools.c); not for other callers. */
#ifndef KVMTUNE_CORE_CHECK_INTERNAL_H
#define KVMTUNE_CORE_CHECK_INTERNAL_H

#include <stdint.h>

#include "core/model.h"
#include "core/qemu-user.h"

struct domain_demand;
struct findings;
struct host;

#define HP_DIR "/sys/kernel/mm/hugepages"
#define NODE_DIR "/sys/devices/system/node"

struct check_ctx {
	struct host *h;
	struct host_model m;
	struct qemu_ident q;
	struct domain_demand *doms;
	size_t ndoms;
	char *bad_domains;
	struct findings *out;
};

/* Human size ("1 GiB") of kib into buf. */
const char *psz(uint64_t kib, char *buf, unsigned size);
/* Pages of a size: the larger of the global count and the per-node sum. */
int64_t pool_pages(const struct host_model *m, uint64_t kib, bool free_pages);
/* Libvirt domains' demand against the pools: pool-short, pool-missing-size, domain-node-missing. */
void check_pools_demand(struct check_ctx *c);

#endif
