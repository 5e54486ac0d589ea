/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tunable table, the instances of each tunable on a host, and value checks. */
#include "tunables.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/host.h"
#include "core/knobs.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define U32_MAX_ 4294967295LL
#define I32_MAX_ 2147483647LL

const struct tunable tunable_table[] = {
	{.name = "vm.swappiness",
	 .path = "/proc/sys/vm/swappiness",
	 .kind = TUNABLE_INT,
	 .max = 200,
	 .help = "how eagerly anonymous memory is swapped out (0-200)"},
	{.name = "vm.dirty_ratio",
	 .path = "/proc/sys/vm/dirty_ratio",
	 .kind = TUNABLE_INT,
	 .max = 100,
	 .unit = "%",
	 .help = "dirty page cache, in % of available memory, at which writers are throttled"},
	{.name = "vm.dirty_background_ratio",
	 .path = "/proc/sys/vm/dirty_background_ratio",
	 .kind = TUNABLE_INT,
	 .max = 100,
	 .unit = "%",
	 .help = "dirty page cache, in % of available memory, at which writeback starts"},
	{.name = "kernel.numa_balancing",
	 .path = "/proc/sys/kernel/numa_balancing",
	 .kind = TUNABLE_INT,
	 .max = 3,
	 .help = "automatic NUMA balancing: 0 off, 1 on (2, 3: memory tiering)"},
	{.name = "kernel.sched_migration_cost_ns",
	 .path = "/proc/sys/kernel/sched_migration_cost_ns",
	 .kind = TUNABLE_INT,
	 .max = U32_MAX_,
	 .unit = "ns",
	 .help = "how long a task stays cache-hot after running (a sysctl before Linux 5.13, "
		 "debugfs since)"},
	{.name = "net.core.somaxconn",
	 .path = "/proc/sys/net/core/somaxconn",
	 .kind = TUNABLE_INT,
	 .max = I32_MAX_,
	 .help = "longest listen() backlog"},
	{.name = "thp.enabled",
	 .path = "/sys/kernel/mm/transparent_hugepage/enabled",
	 .kind = TUNABLE_WORD,
	 .match = KNOB_MATCH_BRACKET,
	 .words = "always madvise never",
	 .persist = PERSIST_TMPFILES,
	 .help = "transparent hugepages for anonymous memory"},
	{.name = "thp.defrag",
	 .path = "/sys/kernel/mm/transparent_hugepage/defrag",
	 .kind = TUNABLE_WORD,
	 .match = KNOB_MATCH_BRACKET,
	 .words = "always defer defer+madvise madvise never",
	 .persist = PERSIST_TMPFILES,
	 .help = "how hard a THP fault compacts memory"},
	{.name = "ksm.run",
	 .path = "/sys/kernel/mm/ksm/run",
	 .kind = TUNABLE_INT,
	 .max = 2,
	 .persist = PERSIST_TMPFILES,
	 .help = "kernel samepage merging: 0 stop, 1 run, 2 stop and unmerge every page"},
	{.name = "ksm.merge_across_nodes",
	 .path = "/sys/kernel/mm/ksm/merge_across_nodes",
	 .kind = TUNABLE_INT,
	 .max = 1,
	 .persist = PERSIST_TMPFILES,
	 .help = "1: KSM merges pages of different NUMA nodes; changes only with no page "
		 "shared"},
	{.name = "ksm.pages_to_scan",
	 .path = "/sys/kernel/mm/ksm/pages_to_scan",
	 .kind = TUNABLE_INT,
	 .max = U32_MAX_,
	 .unit = "pages",
	 .persist = PERSIST_TMPFILES,
	 .help = "pages ksmd scans per wake-up"},
	{.name = "ksm.sleep_millisecs",
	 .path = "/sys/kernel/mm/ksm/sleep_millisecs",
	 .kind = TUNABLE_INT,
	 .max = U32_MAX_,
	 .unit = "ms",
	 .persist = PERSIST_TMPFILES,
	 .help = "how long ksmd sleeps between scans"},
	{.name = "block.scheduler",
	 .path = "/sys/block/%s/queue/scheduler",
	 .scope = TUNABLE_BLOCK,
	 .kind = TUNABLE_WORD,
	 .match = KNOB_MATCH_BRACKET,
	 .persist = PERSIST_UDEV,
	 .attr = "queue/scheduler",
	 .help = "the block device's I/O scheduler (elevator)"},
	{.name = "block.read_ahead_kb",
	 .path = "/sys/block/%s/queue/read_ahead_kb",
	 .scope = TUNABLE_BLOCK,
	 .kind = TUNABLE_INT,
	 .max = 1048576,
	 .unit = "KiB",
	 .persist = PERSIST_UDEV,
	 .attr = "queue/read_ahead_kb",
	 .help = "how far the kernel reads ahead on sequential reads"},
	{.name = "cpu.governor",
	 .path = "/sys/devices/system/cpu/%s/cpufreq/scaling_governor",
	 .scope = TUNABLE_CPU,
	 .kind = TUNABLE_WORD,
	 .choices_path = "/sys/devices/system/cpu/%s/cpufreq/scaling_available_governors",
	 .persist = PERSIST_TMPFILES,
	 .help = "the CPU frequency governor"},
	{.name = "cpu.resume_latency_us",
	 .path = "/sys/devices/system/cpu/%s/power/pm_qos_resume_latency_us",
	 .scope = TUNABLE_CPU,
	 .kind = TUNABLE_LATENCY,
	 .unit = "us",
	 .persist = PERSIST_TMPFILES,
	 .help = "the longest wake-up latency the CPU's idle states may have (0: any, n/a: "
		 "none, i.e. only polling); a per-CPU PM QoS limit that stays after kvmtune "
		 "exits, where tuned holds /dev/cpu_dma_latency open"},
};

const size_t tunable_count = sizeof(tunable_table) / sizeof(tunable_table[0]);

const struct tunable *tunable_lookup(const char *name)
{
	for (size_t i = 0; i < tunable_count; i++)
		if (strcmp(tunable_table[i].name, name) == 0)
			return &tunable_table[i];
	return NULL;
}

static const char *const class_names[] = {
	[BLOCK_NVME] = "nvme",	     [BLOCK_SSD] = "ssd",     [BLOCK_HDD] = "hdd",
	[BLOCK_VIRTUAL] = "virtual", [BLOCK_OTHER] = "other",
};

const char *block_class_name(enum block_class c)
{
	return (unsigned)c <= BLOCK_OTHER ? class_names[c] : "?";
}

int block_class_parse(const char *s, enum block_class *ret)
{
	for (unsigned c = BLOCK_NVME; c < BLOCK_OTHER; c++)
		if (strcmp(s, class_names[c]) == 0) {
			*ret = (enum block_class)c;
			return 0;
		}
	return -EINVAL;
}

static bool prefixed(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) == 0 && name[n] >= 'a' && name[n] <= 'z';
}

/* The class from the kernel's name for the disk (drivers name them). */
static enum block_class classify(struct host *h, const char *name)
{
	AUTOFREE char *path = NULL;
	AUTOFREE char *rot = NULL;

	/* kernel disk names are letters and digits: anything else is not a disk we tune */
	if (!*name || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(name))
		return BLOCK_OTHER;
	if (strncmp(name, "nvme", 4) == 0)
		return BLOCK_NVME;
	if (prefixed(name, "vd") || prefixed(name, "xvd"))
		return BLOCK_VIRTUAL;
	if (!prefixed(name, "sd") && !prefixed(name, "hd"))
		return BLOCK_OTHER;
	path = xasprintf("/sys/block/%s/queue/rotational", name);
	if (knob_value_read(h, path, KNOB_MATCH_EXACT, &rot, NULL) < 0)
		return BLOCK_OTHER;
	return strcmp(rot, "0") == 0 ? BLOCK_SSD : BLOCK_HDD;
}

static void add_instance(struct tunable_instance **v, size_t *n, const struct tunable *t,
			 const char *name, enum block_class cls)
{
	struct tunable_instance *in;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	in = &(*v)[(*n)++];
	memset(in, 0, sizeof(*in));
	(void)snprintf(in->name, sizeof(in->name), "%s", name);
	in->cls = cls;
	/* the table's templates hold one %s at most */
	(void)snprintf(in->path, sizeof(in->path), t->path, name);
}

static int online_cpus(struct host *h, struct cpuset *ret, struct diag *d)
{
	AUTOFREE char *text = NULL;
	int r = host_read(h, "/sys/devices/system/cpu/online", &text, NULL, d);

	if (r == -ENOENT) {
		char **names = NULL;

		diag_clear(d);
		r = host_list_optional(h, "/sys/devices/system/cpu", &names, NULL, d);
		for (size_t i = 0; r >= 0 && names[i]; i++) {
			unsigned cpu;

			if (strncmp(names[i], "cpu", 3) == 0 && parse_u32(names[i] + 3, &cpu) >= 0)
				cpuset_set(ret, cpu);
		}
		host_names_free(names);
		return r;
	}
	if (r < 0)
		return r;
	r = cpuset_parse_list(text, ret, d);
	if (r < 0)
		diag_prefix(d, "/sys/devices/system/cpu/online: ");
	return r;
}

int tunable_instances(struct host *h, const struct tunable *t, struct tunable_instance **ret,
		      size_t *ret_n, struct diag *d)
{
	struct tunable_instance *v = NULL;
	struct cpuset cpus = CPUSET_INIT;
	char **names = NULL;
	size_t n = 0;
	int r = 0, cpu;

	if (t->scope == TUNABLE_HOST) {
		add_instance(&v, &n, t, "", BLOCK_OTHER);
	} else if (t->scope == TUNABLE_BLOCK) {
		r = host_list_optional(h, "/sys/block", &names, NULL, d);
		for (size_t i = 0; r >= 0 && names[i]; i++) {
			enum block_class c = classify(h, names[i]);

			if (c != BLOCK_OTHER && strlen(names[i]) < 32)
				add_instance(&v, &n, t, names[i], c);
		}
		host_names_free(names);
	} else {
		r = online_cpus(h, &cpus, d);
		cpuset_foreach (cpu, &cpus) {
			char name[24];

			if (r < 0)
				break;
			(void)snprintf(name, sizeof(name), "cpu%d", cpu);
			add_instance(&v, &n, t, name, BLOCK_OTHER);
		}
		cpuset_release(&cpus);
	}
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

bool tunable_word_in(const char *words, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = words; p && *p;) {
		size_t k = strcspn(p, " ");

		if (k == n && strncmp(p, w, n) == 0)
			return true;
		p += k;
		p += *p == ' ';
	}
	return false;
}

static bool plain_word(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("_+-.", *s)))
			return false;
	return true;
}

/* One alternative of a latency expression: a number, n/a, cstate.id:N, cstate.name:X (and
 * _no_zero). */
static bool latency_alt_ok(const char *a)
{
	static const char *const forms[] = {
		"cstate.id_no_zero:", "cstate.id:", "cstate.name_no_zero:", "cstate.name:"};
	uint32_t v;

	if (strcmp(a, "n/a") == 0)
		return true;
	if (parse_u32(a, &v) >= 0)
		return v <= I32_MAX_;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t n = strlen(forms[i]);

		if (strncmp(a, forms[i], n) != 0)
			continue;
		if (i < 2)
			return parse_u32(a + n, &v) >= 0 && v < 1000;
		/* cpuidle state names: "C1", "C1E", "POLL", "C6-SKX" */
		return a[n] && strlen(a + n) < 32 &&
		       strspn(a + n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789_-") == strlen(a + n);
	}
	return false;
}

static int check_latency(const char *value, struct diag *d)
{
	AUTOFREE char *copy = xstrdup(value);
	char *save = NULL;
	int n = 0;

	if (strlen(value) > 120)
		return diag_set(d, EINVAL, value, "'%.40s...': too long", value);
	for (char *a = strtok_r(copy, "|", &save); a; a = strtok_r(NULL, "|", &save), n++)
		if (!latency_alt_ok(a))
			return diag_set(d, EINVAL, value,
					"'%s': expected microseconds, 'n/a', cstate.id:N or "
					"cstate.name:NAME (with _no_zero forms), alternatives "
					"separated by '|'",
					value);
	if (n == 0 || value[0] == '|' || value[strlen(value) - 1] == '|' || strstr(value, "||"))
		return diag_set(d, EINVAL, value, "'%s': an empty alternative", value);
	return 0;
}

int tunable_check_value(const struct tunable *t, const char *value, char *buf, size_t bufsz,
			struct diag *d)
{
	int64_t v;
	int r;

	switch (t->kind) {
	case TUNABLE_INT:
		r = parse_i64(value, &v);
		if (r < 0 || v < t->min || v > t->max)
			return diag_set(d, r == -ERANGE ? ERANGE : EINVAL, t->name,
					"%s '%.40s': expected a whole number from %" PRId64
					" to %" PRId64 "%s%s",
					t->name, value, t->min, t->max, t->unit ? " " : "",
					t->unit ? t->unit : "");
		(void)snprintf(buf, bufsz, "%" PRId64, v);
		return 0;
	case TUNABLE_WORD:
		if (t->words ? !tunable_word_in(t->words, value) : !plain_word(value))
			return diag_set(d, EINVAL, t->name, "%s '%.40s': expected %s%s", t->name,
					value, t->words ? "one of: " : "a word such as ",
					t->words ? t->words : "mq-deadline or performance");
		(void)snprintf(buf, bufsz, "%s", value);
		return 0;
	case TUNABLE_LATENCY:
		r = check_latency(value, d);
		if (r < 0) {
			diag_prefix(d, "%s ", t->name);
			return r;
		}
		(void)snprintf(buf, bufsz, "%s", value);
		return 0;
	}
	return -EINVAL;
}

char *tunable_choices(struct host *h, const struct tunable *t, const struct tunable_instance *in)
{
	AUTOFREE char *path = NULL;
	AUTOFREE char *text = NULL;
	char word[64], choices[256];
	char *p;

	if (t->kind != TUNABLE_WORD)
		return NULL;
	if (t->choices_path)
		path = xasprintf(t->choices_path, in->name);
	if (host_read(h, path ? path : in->path, &text, NULL, NULL) < 0)
		return NULL;
	if (!path) {
		if (!strchr(text, '['))
			return NULL; /* a captured tree after a write: no list */
		if (knob_parse_bracket(text, word, sizeof(word), choices, sizeof(choices), NULL) <
		    0)
			return NULL;
		return xstrdup(choices);
	}
	/* "performance powersave\n": blanks to single spaces */
	for (p = text; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	while ((p = strstr(text, "  ")))
		memmove(p, p + 1, strlen(p));
	p = text + strlen(text);
	while (p > text && p[-1] == ' ')
		*--p = '\0';
	return xstrdup(text + (*text == ' '));
}

/* The exit latency (us) of one cpuidle state of cpu, -1 when absent or malformed. */
static int64_t state_latency(struct host *h, const char *cpu, const char *state)
{
	AUTOFREE char *path =
		xasprintf("/sys/devices/system/cpu/%s/cpuidle/%s/latency", cpu, state);
	unsigned long long v;

	if (host_read_u64(h, path, &v, NULL) < 0 || v > I32_MAX_)
		return -1;
	return (int64_t)v;
}

static int64_t latency_by_name(struct host *h, const char *cpu, const char *want)
{
	AUTOFREE char *dir = xasprintf("/sys/devices/system/cpu/%s/cpuidle", cpu);
	char **names = NULL;
	int64_t lat = -1;

	if (host_list_optional(h, dir, &names, NULL, NULL) < 0)
		return -1;
	for (size_t i = 0; names[i] && lat < 0; i++) {
		AUTOFREE char *p = xasprintf("%s/%s/name", dir, names[i]);
		AUTOFREE char *name = NULL;

		if (strncmp(names[i], "state", 5) != 0 ||
		    knob_value_read(h, p, KNOB_MATCH_EXACT, &name, NULL) < 0)
			continue;
		if (strcmp(name, want) == 0)
			lat = state_latency(h, cpu, names[i]);
	}
	host_names_free(names);
	return lat;
}

bool tunable_resolve_latency(struct host *h, const char *expr, const char *cpu, char *buf,
			     size_t bufsz)
{
	AUTOFREE char *copy = xstrdup(expr);
	char *save = NULL;

	for (char *a = strtok_r(copy, "|", &save); a; a = strtok_r(NULL, "|", &save)) {
		bool no_zero = strstr(a, "_no_zero:") != NULL;
		const char *arg = strchr(a, ':');
		int64_t lat = -1;
		uint32_t v;

		if (strcmp(a, "n/a") == 0 || parse_u32(a, &v) >= 0) {
			(void)snprintf(buf, bufsz, "%s", a);
			return true;
		}
		if (!arg)
			continue;
		if (strncmp(a, "cstate.id", 9) == 0) {
			AUTOFREE char *state = xasprintf("state%s", arg + 1);

			lat = state_latency(h, cpu, state);
		} else {
			lat = latency_by_name(h, cpu, arg + 1);
		}
		if (lat < 0 || (no_zero && lat == 0))
			continue;
		(void)snprintf(buf, bufsz, "%" PRId64, lat);
		return true;
	}
	return false;
}
