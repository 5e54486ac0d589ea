/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The KSM governor: ksmtuned's rule (pure), and its round in the daemon. */
#include <stdio.h>
#include <string.h>

#include "core/host.h"
#include "core/meminfo.h"
#include "daemon/daemon.h"
#include "daemon/ksm.h"
#include "util/cleanup.h"
#include "util/diag.h"

#include "util/banned.h"

struct ksm_setting ksm_decide(const struct ksm_input *in, const struct ksm_setting *prev)
{
	struct ksm_setting s = *prev;
	uint64_t thres = in->total_kib * (uint64_t)KSM_THRES_COEF / 100;
	int64_t n = prev->pages_to_scan;

	if (thres < KSM_THRES_CONST_KIB)
		thres = KSM_THRES_CONST_KIB;
	s.sleep_ms =
		in->total_kib
			? (unsigned)((uint64_t)KSM_SLEEP_MSEC * 16ULL * 1024 * 1024 / in->total_kib)
			: KSM_SLEEP_MSEC;
	if (s.sleep_ms < KSM_SLEEP_MSEC)
		s.sleep_ms = KSM_SLEEP_MSEC;
	if (in->committed_kib + thres < in->total_kib && in->free_kib > thres) {
		s.run = false; /* no pressure: stop, keep the state */
		return s;
	}
	n += in->free_kib < thres ? KSM_NPAGES_BOOST : -KSM_NPAGES_DECAY;
	if (n < KSM_NPAGES_MIN)
		n = KSM_NPAGES_MIN;
	if (n > KSM_NPAGES_MAX)
		n = KSM_NPAGES_MAX;
	s.pages_to_scan = (unsigned)n;
	s.run = true;
	return s;
}

static int write_knob(struct daemon *dm, const char *name, unsigned v, struct diag *d)
{
	char path[96], val[32];

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	snprintf(val, sizeof(val), "%u", v);
	return host_write(dm->h, path, val, d);
}

void dm_ksm_round(struct daemon *dm, uint64_t committed_kib)
{
	struct meminfo mi = MEMINFO_INIT;
	AUTOFREE char *text = NULL;
	struct ksm_input in = {0};
	struct ksm_setting s;
	struct diag d = {0};
	uint64_t v;
	size_t len;
	int r;

	r = host_read_attr(dm->h, "/proc/meminfo", &text, &len, &d);
	if (r >= 0)
		r = meminfo_parse(text, &mi, &d);
	if (r < 0 || !meminfo_get(&mi, "MemTotal", &in.total_kib)) {
		dm_log(dm, 4, "ksm: /proc/meminfo: %s", d.msg[0] ? d.msg : "no MemTotal");
		meminfo_release(&mi);
		return;
	}
	for (const char *const *k = (const char *const[]){"MemFree", "Buffers", "Cached", NULL}; *k;
	     k++)
		if (meminfo_get(&mi, *k, &v))
			in.free_kib += v;
	meminfo_release(&mi);
	in.committed_kib = committed_kib;
	s = ksm_decide(&in, &dm->ksm);
	if (s.run == dm->ksm.run && s.pages_to_scan == dm->ksm.pages_to_scan &&
	    s.sleep_ms == dm->ksm.sleep_ms && dm->ksm_set)
		return;
	dm_log(dm, 6, "ksm: %s (pages_to_scan %u, sleep %u ms; committed %llu KiB, free %llu KiB)",
	       s.run ? "run" : "stop", s.pages_to_scan, s.sleep_ms,
	       (unsigned long long)in.committed_kib, (unsigned long long)in.free_kib);
	if (!dm_dry_run(dm)) {
		r = 0;
		if (s.run) {
			r = write_knob(dm, "pages_to_scan", s.pages_to_scan, &d);
			if (r >= 0)
				r = write_knob(dm, "sleep_millisecs", s.sleep_ms, &d);
		}
		if (r >= 0)
			r = write_knob(dm, "run", s.run ? 1 : 0, &d);
		if (r < 0) {
			dm_log(dm, 4, "ksm: %s", d.msg);
			return;
		}
	}
	dm->ksm = s;
	dm->ksm_set = true;
}
