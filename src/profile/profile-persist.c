/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --persist: the profile's values as boot-time configuration.  sysctls go
 * to sysctl.d ('-' before keys this kernel lacks, so systemd-sysctl skips
 * them), sysfs values to tmpfiles.d 'w' lines, and block device values to
 * udev rules, because disks appear at any time.
 */
#include "profile-plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sbuf.h"

#include "util/banned.h"

static const char *const udev_match[] = {
	[BLOCK_NVME] = "KERNEL==\"nvme[0-9]*n[0-9]*\"",
	[BLOCK_SSD] = "KERNEL==\"sd*[!0-9]|hd*[!0-9]\", ATTR{queue/rotational}==\"0\"",
	[BLOCK_HDD] = "KERNEL==\"sd*[!0-9]|hd*[!0-9]\", ATTR{queue/rotational}==\"1\"",
	[BLOCK_VIRTUAL] = "KERNEL==\"vd*[!0-9]|xvd*[!0-9]\"",
};

/* The value a host-wide setting persists: as resolved on this host, else the profile's. */
static const char *host_value(const struct profile_state *st, const struct profile_setting *s)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].s == s && st->v[i].status != PC_ABSENT &&
		    st->v[i].status != PC_UNAVAILABLE)
			return st->v[i].want;
	return s->value;
}

static bool host_present(const struct profile_state *st, const struct profile_setting *s)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].s == s)
			return st->v[i].status != PC_ABSENT;
	return false;
}

static void sysctl_file(const struct profile *p, const struct profile_state *st, struct sbuf *out)
{
	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable *t = &tunable_table[i];
		const struct profile_setting *s = profile_find(p, t, -1);

		if (!s || t->scope != TUNABLE_HOST || t->persist != PERSIST_SYSCTL)
			continue;
		sbuf_addf(out, "%s%s = %s\n", host_present(st, s) ? "" : "-", t->name,
			  host_value(st, s));
	}
}

static void tmpfiles_file(const struct profile *p, const struct profile_state *st, struct sbuf *out)
{
	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable *t = &tunable_table[i];
		const struct profile_setting *s = profile_find(p, t, -1);

		if (!s || t->persist != PERSIST_TMPFILES)
			continue;
		if (t->scope == TUNABLE_HOST) {
			sbuf_addf(out, "w %s - - - - %s\n", t->path, host_value(st, s));
			continue;
		}
		/* per CPU, as resolved for each (C-state latencies may differ) */
		for (size_t j = 0; j < st->n; j++)
			if (st->v[j].s == s && st->v[j].status != PC_UNAVAILABLE)
				sbuf_addf(out, "w %s - - - - %s\n", st->v[j].in.path,
					  st->v[j].status == PC_ABSENT ? s->value : st->v[j].want);
	}
}

static void udev_file(const struct profile *p, struct sbuf *out)
{
	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable *t = &tunable_table[i];

		if (t->persist != PERSIST_UDEV)
			continue;
		for (int c = BLOCK_NVME; c < BLOCK_OTHER; c++) {
			const struct profile_setting *s = profile_find(p, t, c);

			if (!s)
				continue;
			sbuf_addf(out, "ACTION==\"add|change\", SUBSYSTEM==\"block\", %s, ",
				  udev_match[c]);
			if (s->op == PROFILE_MIN)
				sbuf_addf(out,
					  "RUN+=\"/bin/sh -c '[ $$(cat /sys$devpath/%s) -ge %s ] "
					  "|| echo %s > /sys$devpath/%s'\"\n",
					  t->attr, s->value, s->value, t->attr);
			else
				sbuf_addf(out, "ATTR{%s}=\"%s\"\n", t->attr, s->value);
		}
	}
}

void profile_persist_files(const struct profile *p, const struct profile_state *st,
			   struct file_plan *fp)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "# Written by 'kvmtune profile apply %s --persist'.\n", p->name);
	sysctl_file(p, st, &sb);
	file_plan_add(fp, PROFILE_SYSCTL_FILE, sb.buf, 0644, "the profile's sysctls at boot");
	sbuf_reset(&sb);
	sbuf_addf(&sb,
		  "# Written by 'kvmtune profile apply %s --persist': sysfs values at boot.\n"
		  "#Type Path Mode User Group Age Argument\n",
		  p->name);
	tmpfiles_file(p, st, &sb);
	file_plan_add(fp, PROFILE_TMPFILES_FILE, sb.buf, 0644,
		      "THP, KSM and CPU values at boot (systemd-tmpfiles)");
	sbuf_reset(&sb);
	sbuf_addf(&sb,
		  "# Written by 'kvmtune profile apply %s --persist': block devices as they "
		  "appear.\n",
		  p->name);
	udev_file(p, &sb);
	file_plan_add(fp, PROFILE_UDEV_FILE, sb.buf, 0644,
		      "I/O scheduler and read-ahead per device class (udev)");
	sbuf_release(&sb);
}
