/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The KSM governor (ksmtuned's job, RHEL tuning guide 8.4), optional: every
 * ksm_interval_s it starts KSM when the memory committed to QEMU processes
 * plus a threshold exceeds the host's memory or free memory falls below the
 * threshold, scans harder (pages_to_scan + 300, at most 1250) while free
 * memory stays below it and eases off (- 50, at least 64) above it, with
 * sleep_millisecs = 10 x 16 GiB / MemTotal (at least 10), and stops it when
 * neither holds: ksmtuned's thresholds (threshold: 20 % of MemTotal, at
 * least 2048 MiB -- ksmtuned compares its 2048 with kB, oVirt documents it
 * as MB).  It never writes merge_across_nodes.
 */
#ifndef KVMTUNE_DAEMON_KSM_H
#define KVMTUNE_DAEMON_KSM_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;

#define KSM_NPAGES_BOOST 300
#define KSM_NPAGES_DECAY 50
#define KSM_NPAGES_MIN 64
#define KSM_NPAGES_MAX 1250
#define KSM_SLEEP_MSEC 10
#define KSM_THRES_COEF 20
#define KSM_THRES_CONST_KIB (2048ULL * 1024)

struct ksm_input {
	uint64_t total_kib;	/* MemTotal */
	uint64_t free_kib;	/* MemFree + Buffers + Cached */
	uint64_t committed_kib; /* resident memory of the QEMU processes */
};

struct ksm_setting {
	bool run;
	unsigned pages_to_scan; /* also the governor's state between rounds */
	unsigned sleep_ms;
};

/* One round, pure: from the previous setting (pages_to_scan 0 at first) and the input. */
struct ksm_setting ksm_decide(const struct ksm_input *in, const struct ksm_setting *prev);

/* Read, decide, write run/pages_to_scan/sleep_millisecs (not in a dry run); logs changes. */
void dm_ksm_round(struct daemon *dm, uint64_t committed_kib);

#endif
