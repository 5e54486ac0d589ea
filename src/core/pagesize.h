/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page sizes by name, in KiB, and the base page size of the system kvmtune
 * runs on.  Numbers such as 2048 and 1048576 appear nowhere else in code.
 */
#ifndef KVMTUNE_CORE_PAGESIZE_H
#define KVMTUNE_CORE_PAGESIZE_H

#include <stdint.h>

#define KIB_PER_MIB 1024ULL
#define KIB_PER_GIB (1024ULL * 1024)

/* x86's hugepage sizes: PMD (CPU flag pse) and PUD (CPU flag pdpe1gb). */
#define PAGE_2M_KIB (2 * KIB_PER_MIB)
#define PAGE_1G_KIB KIB_PER_GIB
/*
 * Pages of at least this size are "gigantic" to the kernel on x86 (order >=
 * MAX_PAGE_ORDER): the buddy allocator cannot give them, so a pool of them is
 * best reserved on the kernel command line, before memory fragments.
 */
#define PAGE_GIGANTIC_MIN_KIB PAGE_1G_KIB
/* Assumed when the host names no default hugepage size (x86's PMD size). */
#define PAGE_HUGE_FALLBACK_KIB PAGE_2M_KIB

/*
 * The base page size of the machine kvmtune runs on, in KiB, from
 * sysconf(_SC_PAGESIZE) (4 on x86, 4/16/64 on arm64 and ppc64).  A captured
 * --root tree has no file that tells its own, so it is read with this one.
 */
uint64_t pagesize_base_kib(void);

#endif
