/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Built-in host profiles (with the sources of their values) and the profile file format. */
#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/userfile.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define PROFILE_MAX_DEPTH 8
#define PROFILE_MAX_FILE (1u << 20)

/* tuned's profiles as compared in tests/profile/compare-tuned.py */
#define TUNED "tuned v2.28.0-rc.1 (2bfa442) "
#define RHEL "RHEL 7 Virtualization Tuning and Optimization Guide "

struct builtin_setting {
	const char *key; /* "block.scheduler[nvme]" */
	enum profile_op op;
	const char *value;
	const char *why;
	const char *source;
};

struct builtin {
	const char *name;
	const char *include;
	const char *summary;
	const struct builtin_setting *v;
	size_t n;
};

static const struct builtin_setting virtual_host[] = {
	{"vm.dirty_ratio", PROFILE_SET, "40",
	 "guests' disk writes go through the host's page cache; a high limit absorbs bursts "
	 "before writers (vCPUs doing I/O) are throttled",
	 TUNED "throughput-performance [vm] dirty_bytes = 40% (virtual-host includes it)"},
	{"vm.dirty_background_ratio", PROFILE_SET, "5",
	 "start writeback early, so dirty guest data is flushed steadily instead of in "
	 "stalls",
	 TUNED "virtual-host [vm] dirty_background_bytes = 5%; " RHEL
	       "ch. 4 (virtual-host: more aggressive writeback)"},
	{"vm.swappiness", PROFILE_SET, "10",
	 "guest RAM is QEMU's anonymous memory: swapping it stalls the guest",
	 TUNED "throughput-performance [sysctl] vm.swappiness=10; " RHEL
	       "ch. 4 (virtual-host decreases swappiness)"},
	{"net.core.somaxconn", PROFILE_MIN, "2048",
	 "a longer listen backlog for the host's services (libvirt, migration, consoles)",
	 TUNED "throughput-performance [sysctl] net.core.somaxconn=>2048"},
	{"kernel.sched_migration_cost_ns", PROFILE_SET, "5000000",
	 "vCPU threads count as cache-hot for 5 ms and migrate between CPUs less",
	 TUNED "virtual-host [scheduler] from 2013 (da41cc9) until c6d6fdc (2021, "
	       "rhbz#1957829) dropped it; a sysctl only before Linux 5.13"},
	{"kernel.numa_balancing", PROFILE_SET, "0",
	 "kvmtune binds each VM's memory and vCPUs to its nodes; automatic balancing cannot "
	 "move hugetlbfs memory and only adds hinting faults and migrations against the "
	 "binding",
	 "Linux Documentation/admin-guide/sysctl/kernel.rst (disable it when workloads are "
	 "bound to nodes); " RHEL "ch. 9; tuned network-latency, hpc-compute, sap-hana"},
	{"thp.enabled", PROFILE_SET, "madvise",
	 "VMs get hugepages from the pools; QEMU madvise()s the rest of guest RAM, so THP "
	 "still backs it, while other processes stop competing for free 2 MiB blocks",
	 RHEL "ch. 8.3.3; kvmtune check 'thp-always'"},
	{"thp.defrag", PROFILE_SET, "madvise",
	 "only regions that asked for THP (guest RAM) compact memory at fault time",
	 "Linux default (Documentation/admin-guide/mm/transhuge.rst)"},
	{"ksm.merge_across_nodes", PROFILE_SET, "0",
	 "a page merged across nodes lives on one of them: the other VMs read it remotely",
	 RHEL "ch. 8.4 and 9.4; Linux Documentation/admin-guide/mm/ksm.rst"},
	{"block.scheduler[nvme]", PROFILE_SET, "none",
	 "NVMe queues are deep and parallel: a scheduler only costs CPU per I/O",
	 "Linux default for multi-queue devices; " TUNED "spectrumscale-ece [disk] "
	 "elevator=none for NVMe"},
	{"block.scheduler[ssd]", PROFILE_SET, "mq-deadline",
	 "bounded latency for many guests' I/O on one device",
	 RHEL "ch. 6.2 (virtual-host uses deadline; mq-deadline is its blk-mq successor)"},
	{"block.scheduler[hdd]", PROFILE_SET, "mq-deadline",
	 "bounded latency for many guests' I/O on one device",
	 RHEL "ch. 6.2 (virtual-host uses deadline; mq-deadline is its blk-mq successor)"},
	{"block.scheduler[virtual]", PROFILE_SET, "none",
	 "the host's disks are themselves virtual (a nested host): the hypervisor below "
	 "schedules",
	 RHEL "ch. 6.3 (noop for virtual disks)"},
	{"block.read_ahead_kb", PROFILE_MIN, "4096",
	 "sequential reads of disk images in large requests",
	 TUNED "throughput-performance [disk] readahead=>4096"},
	{"cpu.governor", PROFILE_SET, "performance",
	 "vCPUs run at full speed as soon as they wake, without a ramp-up",
	 TUNED "throughput-performance [cpu] governor=performance"},
	{"cpu.resume_latency_us", PROFILE_SET, "cstate.id_no_zero:3|70",
	 "deep C-states add their exit latency to every interrupt a vCPU waits for",
	 TUNED "virtual-host [cpu] force_latency=cstate.id_no_zero:3|70 (held as a per-CPU "
	       "PM QoS limit here)"},
};

static const struct builtin_setting virtual_guest[] = {
	{"vm.dirty_ratio", PROFILE_SET, "30",
	 "a guest's writes are buffered once more by the host: throttle earlier than a host",
	 TUNED "virtual-guest [vm] dirty_bytes = 30%"},
	{"vm.dirty_background_ratio", PROFILE_SET, "10", "start writeback at 10%",
	 TUNED "throughput-performance [vm] dirty_background_bytes = 10% (virtual-guest "
	       "includes it)"},
	{"vm.swappiness", PROFILE_SET, "30",
	 "file I/O through the host is cheaper than swapping the guest's memory",
	 TUNED "virtual-guest [sysctl] vm.swappiness = 30; " RHEL "ch. 4"},
	{"net.core.somaxconn", PROFILE_MIN, "2048", "a longer listen backlog",
	 TUNED "throughput-performance [sysctl] net.core.somaxconn=>2048"},
	{"block.scheduler", PROFILE_SET, "none",
	 "the host sees every guest's requests and schedules them; a guest scheduler only "
	 "costs CPU",
	 RHEL "ch. 6.3 (noop in guests; blk-mq virtio-blk uses none)"},
	{"block.read_ahead_kb", PROFILE_MIN, "4096", "sequential reads in large requests",
	 TUNED "throughput-performance [disk] readahead=>4096"},
	{"cpu.governor", PROFILE_SET, "performance", "full speed when a vCPU runs",
	 TUNED "throughput-performance [cpu] governor=performance"},
};

static const struct builtin_setting latency_host[] = {
	{"vm.dirty_ratio", PROFILE_SET, "10", "small dirty bursts: no long writeback stalls",
	 TUNED "latency-performance [vm] dirty_bytes=10%"},
	{"vm.dirty_background_ratio", PROFILE_SET, "3", "write back almost at once",
	 TUNED "latency-performance [vm] dirty_background_bytes=3%"},
	{"cpu.resume_latency_us", PROFILE_SET, "cstate.id_no_zero:1|3",
	 "only the shallowest C-states: a vCPU's interrupt is served at once",
	 TUNED "latency-performance [cpu] force_latency=cstate.id_no_zero:1|3"},
	{"ksm.run", PROFILE_SET, "2",
	 "ksmd's scans and copy-on-write breaks of merged pages add latency",
	 TUNED "realtime-virtual-host [sysfs] /sys/kernel/mm/ksm/run = 2"},
	{"thp.enabled", PROFILE_SET, "never",
	 "no khugepaged collapses or THP compaction stalls; VMs use hugepage pools",
	 TUNED "network-latency [vm] transparent_hugepages=never"},
};

static const struct builtin builtins[] = {
	{"virtual-host", NULL,
	 "a KVM host: tuned's virtual-host values, plus THP, KSM, NUMA balancing and I/O "
	 "schedulers for hugepage-backed, pinned VMs",
	 virtual_host, sizeof(virtual_host) / sizeof(virtual_host[0])},
	{"virtual-guest", NULL, "inside a VM: tuned's virtual-guest values, no I/O scheduler",
	 virtual_guest, sizeof(virtual_guest) / sizeof(virtual_guest[0])},
	{"latency-host", "virtual-host",
	 "a KVM host for latency-sensitive VMs: virtual-host with tuned's latency-performance "
	 "values, KSM unmerged and stopped, THP off",
	 latency_host, sizeof(latency_host) / sizeof(latency_host[0])},
};

const char *profile_builtin_name(size_t idx, const char **ret_summary)
{
	if (idx >= sizeof(builtins) / sizeof(builtins[0]))
		return NULL;
	if (ret_summary)
		*ret_summary = builtins[idx].summary;
	return builtins[idx].name;
}

void profile_setting_key(const struct profile_setting *s, char *buf, size_t bufsz)
{
	if (s->cls >= 0)
		(void)snprintf(buf, bufsz, "%s[%s]", s->t->name,
			       block_class_name((enum block_class)s->cls));
	else
		(void)snprintf(buf, bufsz, "%s", s->t->name);
}

void profile_release(struct profile *p)
{
	free(p->name);
	free(p->summary);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

const struct profile_setting *profile_find(const struct profile *p, const struct tunable *t,
					   int cls)
{
	for (size_t i = p->n; i-- > 0;)
		if (p->v[i].t == t && (p->v[i].cls < 0 || p->v[i].cls == cls))
			return &p->v[i];
	return NULL;
}

/* Drop settings of t for cls (every class when cls < 0). */
static void unset(struct profile *p, const struct tunable *t, int cls)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++)
		if (!(p->v[i].t == t && (cls < 0 || p->v[i].cls == cls)))
			p->v[k++] = p->v[i];
	p->n = k;
}

static void put(struct profile *p, const struct profile_setting *s)
{
	unset(p, s->t, s->cls);
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = *s;
}

/* "name" or "name[class]" into a tunable and a class. */
static int parse_key(const char *key, const struct tunable **ret_t, int *ret_cls, struct diag *d)
{
	AUTOFREE char *name = xstrdup(key);
	char *br = strchr(name, '[');
	enum block_class c;

	*ret_cls = -1;
	if (br) {
		size_t n = strlen(br);

		if (n < 3 || br[n - 1] != ']')
			return diag_set(d, EINVAL, key, "'%s': expected NAME or NAME[CLASS]", key);
		br[n - 1] = '\0';
		*br++ = '\0';
	}
	*ret_t = tunable_lookup(name);
	if (!*ret_t)
		return diag_set(d, EINVAL, key,
				"unknown tunable '%s' (kvmtune profile list --tunables shows them)",
				name);
	if (!br)
		return 0;
	if ((*ret_t)->scope != TUNABLE_BLOCK)
		return diag_set(d, EINVAL, key, "'%s': only block.* tunables take a [class]", key);
	if (block_class_parse(br, &c) < 0)
		return diag_set(d, EINVAL, key,
				"'%s': unknown block device class '%s' (expected nvme, ssd, hdd "
				"or virtual)",
				key, br);
	*ret_cls = (int)c;
	return 0;
}

static int make_setting(const char *key, enum profile_op op, const char *value, const char *why,
			const char *source, struct profile_setting *ret, struct diag *d)
{
	struct profile_setting s = {0};
	int r;

	r = parse_key(key, &s.t, &s.cls, d);
	if (r < 0)
		return r;
	if (op == PROFILE_MIN && s.t->kind != TUNABLE_INT)
		return diag_set(d, EINVAL, key, "'%s >= %s': '>=' is for numbers only", key, value);
	r = tunable_check_value(s.t, value, s.value, sizeof(s.value), d);
	if (r < 0)
		return r;
	s.op = op;
	(void)snprintf(s.why, sizeof(s.why), "%s", why ? why : "");
	(void)snprintf(s.source, sizeof(s.source), "%s", source ? source : "");
	*ret = s;
	return 0;
}

static const struct builtin *find_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

static int load_builtin(const struct builtin *b, struct profile *p, int depth, struct diag *d)
{
	int r;

	if (b->include) {
		const struct builtin *inc = find_builtin(b->include);

		if (!inc) /* the built-in table names only built-ins */
			return diag_set(d, EINVAL, b->name, "built-in '%s' includes unknown '%s'",
					b->name, b->include);
		r = load_builtin(inc, p, depth + 1, d);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct profile_setting s;

		/* built-in rows are checked by the unit test: a failure here is a bug */
		r = make_setting(b->v[i].key, b->v[i].op, b->v[i].value, b->v[i].why,
				 b->v[i].source, &s, d);
		if (r < 0)
			return r;
		put(p, &s);
	}
	free(p->summary);
	p->summary = xstrdup(b->summary);
	return 0;
}

static bool is_path(const char *name)
{
	size_t n = strlen(name);

	return strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".conf") == 0);
}

/* A profile file: a regular file of text (never a FIFO or device), 1 MiB at most. */
static int read_profile_file(const char *path, char **ret, struct diag *d)
{
	size_t len = 0;
	int r = userfile_read(path, PROFILE_MAX_FILE, ret, &len, d);

	if (r == -EFBIG)
		return diag_set(d, EINVAL, path, "profile '%s' is larger than %u bytes", path,
				PROFILE_MAX_FILE);
	if (r < 0)
		return r;
	if (memchr(*ret, '\0', len)) {
		free(*ret);
		*ret = NULL;
		return diag_set(d, EINVAL, path, "profile '%s' holds a NUL byte: not a text file",
				path);
	}
	return 0;
}

static int load_into(const char *name, const char *from, struct profile *p, int depth,
		     struct diag *d);

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* One line: include, summary, unset, KEY = VALUE, KEY >= VALUE (with an optional # comment). */
static int parse_line(char *line, const char *file, unsigned lineno, struct profile *p, int depth,
		      struct diag *d)
{
	char *hash = strchr(line, '#'), *why = NULL, *eq, *key, *value, source[320];
	AUTOFREE char *shown = NULL;
	enum profile_op op = PROFILE_SET;
	struct profile_setting s;
	const struct tunable *t;
	int cls, r;

	if (hash) {
		*hash = '\0';
		why = trim(hash + 1);
	}
	line = trim(line);
	if (!*line)
		return 0;
	if (strncmp(line, "unset ", 6) == 0) {
		r = parse_key(trim(line + 6), &t, &cls, d);
		if (r >= 0)
			unset(p, t, cls);
		return r;
	}
	eq = strchr(line, '=');
	if (!eq)
		return diag_set(d, EINVAL, line, "'%s': expected KEY = VALUE", line);
	if (eq > line && eq[-1] == '>') {
		op = PROFILE_MIN;
		eq[-1] = '\0';
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (!*value)
		return diag_set(d, EINVAL, key, "'%s': no value after '='", key);
	if (op == PROFILE_SET && strcmp(key, "include") == 0)
		return load_into(value, file, p, depth + 1, d);
	if (op == PROFILE_SET && strcmp(key, "summary") == 0) {
		free(p->summary);
		p->summary = xstrdup(value);
		return 0;
	}
	shown = str_escape(file, 256);
	(void)snprintf(source, sizeof(source), "%s:%u", shown, lineno);
	r = make_setting(key, op, value, why, source, &s, d);
	if (r >= 0)
		put(p, &s);
	return r;
}

/* The first control character of line other than tab and CR (as a byte value), or -1. */
static int control_char(const char *line)
{
	for (const unsigned char *c = (const unsigned char *)line; *c; c++)
		if ((*c < 0x20 && *c != '\t' && *c != '\r') || *c == 0x7f)
			return *c;
	return -1;
}

static int parse_into(const char *text, const char *file, struct profile *p, int depth,
		      struct diag *d)
{
	AUTOFREE char *copy = xstrdup(text);
	AUTOFREE char *shown = str_escape(file, 256);
	char *line = copy;
	unsigned lineno = 1;

	while (line) {
		char *nl = strchr(line, '\n');
		int r;

		if (nl)
			*nl = '\0';
		if (strlen(line) > 1024)
			return diag_set(d, EINVAL, file, "%s:%u: line longer than 1024 characters",
					shown, lineno);
		r = control_char(line);
		if (r >= 0)
			return diag_set(d, EINVAL, file,
					"%s:%u: byte 0x%02x: a control character in a profile",
					shown, lineno, (unsigned)r);
		r = parse_line(line, file, lineno, p, depth, d);
		if (r < 0) {
			/* a cycle's message is said once, with the top file's line */
			if (r == -ELOOP && depth > 0)
				return r;
			diag_prefix(d, "%s:%u: ", shown, lineno);
			return r;
		}
		line = nl ? nl + 1 : NULL;
		lineno++;
	}
	return 0;
}

/* Load a built-in or a file into p; from is the including file (relative includes), or NULL. */
static int load_into(const char *name, const char *from, struct profile *p, int depth,
		     struct diag *d)
{
	AUTOFREE char *text = NULL;
	AUTOFREE char *path = NULL;
	const struct builtin *b;
	int r;

	if (depth > PROFILE_MAX_DEPTH) {
		AUTOFREE char *shown = str_escape(name, 256);

		return diag_set(d, ELOOP, name,
				"profile '%s': includes nested more than %d deep (a cycle?)", shown,
				PROFILE_MAX_DEPTH);
	}
	if (!is_path(name)) {
		b = find_builtin(name);
		if (!b)
			return diag_set(d, ENOENT, name,
					"'%s' is not a built-in profile (virtual-host, "
					"virtual-guest, latency-host) nor a file path",
					name);
		return load_builtin(b, p, depth, d);
	}
	if (name[0] != '/' && from && strchr(from, '/'))
		path = xasprintf("%.*s/%s", (int)(strrchr(from, '/') - from), from, name);
	else
		path = xstrdup(name);
	r = read_profile_file(path, &text, d);
	if (r >= 0)
		r = parse_into(text, path, p, depth, d);
	return r;
}

int profile_parse(const char *text, const char *file, struct profile *ret, struct diag *d)
{
	struct profile p = {0};
	int r = parse_into(text, file, &p, 0, d);

	if (r < 0) {
		profile_release(&p);
		return r;
	}
	p.name = xstrdup(file);
	if (!p.summary)
		p.summary = xstrdup("");
	*ret = p;
	return 0;
}

int profile_load(const char *name_or_path, struct profile *ret, struct diag *d)
{
	struct profile p = {0};
	int r = load_into(name_or_path, NULL, &p, 0, d);

	if (r < 0) {
		profile_release(&p);
		return r;
	}
	p.name = xstrdup(name_or_path);
	if (!p.summary)
		p.summary = xstrdup("");
	*ret = p;
	return 0;
}
