/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading a QEMU command line: -m, -smp, -name, -S, and the options that would conflict. */
#include "run/run-argv.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/safe-math.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* The most vCPUs accepted from -smp (QEMU's x86 limit is lower). */
#define RUN_MAX_VCPUS 16384
#define ARG_SHOWN_MAX 200 /* bytes of a QEMU argument quoted in a message */

/* QEMU system options without a value (qemu-options.hx entries without HAS_ARG). */
static const char *const flags[] = {
	"S",
	"snapshot",
	"nographic",
	"no-reboot",
	"no-shutdown",
	"daemonize",
	"enable-kvm",
	"no-acpi",
	"no-hpet",
	"nodefaults",
	"no-user-config",
	"nodefconfig",
	"full-screen",
	"mem-prealloc",
	"s",
	"no-fd-bootchk",
	"win2k-hack",
	"rtc-td-hack",
	"singlestep",
	"one-insn-per-tb",
	"preconfig",
	"only-migratable",
	"enable-fips",
	"old-param",
	"no-frame",
	"alt-grab",
	"ctrl-grab",
	"no-quit",
	"curses",
	"sdl",
	"portrait",
	"semihosting",
	"xen-attach",
	"usb",
	"no-kvm",
	"audio-help",
	"perfmap",
	"jitdump",
	"enable-sync-profile",
	"show-cursor",
	"xen-domid-restrict",
	"h",
	"help",
	"version",
};

bool run_argv_is_flag(const char *name)
{
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(flags[i], name) == 0)
			return true;
	return false;
}

/* "-opt" or "--opt" → "opt"; NULL for a non-option. */
static const char *opt_name(const char *arg)
{
	if (arg[0] != '-' || !arg[1])
		return NULL;
	return arg + (arg[1] == '-' ? 2 : 1);
}

/* The next key=value item of a QemuOpts string (",," is a literal comma); caller frees. */
static char *next_item(const char **p)
{
	char *out = xmalloc(strlen(*p) + 1);
	size_t n = 0;
	const char *s = *p;

	for (; *s; s++) {
		if (*s == ',' && s[1] == ',') {
			out[n++] = ',';
			s++;
			continue;
		}
		if (*s == ',')
			break;
		out[n++] = *s;
	}
	out[n] = '\0';
	*p = *s ? s + 1 : s;
	return out;
}

/* A size as QEMU's qemu_strtosz reads it for -m: no suffix is MiB. */
static int mem_size(const char *v, uint64_t *ret_kib)
{
	char buf[32];
	size_t len = strlen(v);

	if (len == 0 || len >= sizeof(buf) - 1)
		return -EINVAL;
	memcpy(buf, v, len + 1);
	if (isdigit((unsigned char)buf[len - 1])) {
		buf[len] = 'M';
		buf[len + 1] = '\0';
	} else {
		buf[len - 1] = (char)toupper((unsigned char)buf[len - 1]);
	}
	int r = parse_size_kib(buf, ret_kib);

	if (r < 0)
		return r;
	return *ret_kib == 0 ? -EINVAL : 0;
}

static int parse_m(const char *value, struct run_argv *a, struct diag *d)
{
	AUTOFREE char *shown = str_escape(value, ARG_SHOWN_MAX);

	for (const char *p = value; *p;) {
		AUTOFREE char *item = next_item(&p);
		char *eq = strchr(item, '=');
		const char *v = eq ? eq + 1 : item;

		if (eq)
			*eq = '\0';
		if (eq && (strcmp(item, "slots") == 0 || strcmp(item, "maxmem") == 0))
			return diag_set(d, EINVAL, "-m",
					"-m '%s': memory hotplug (%s=) is not handled by kvmtune "
					"run",
					shown, item);
		if (!eq || strcmp(item, "size") == 0) {
			int r = mem_size(v, &a->mem_kib);

			if (r == -ERANGE)
				return diag_set(d, EINVAL, "-m", "-m '%s': too large", shown);
			if (r == 0)
				continue;
		}
		return diag_set(d, EINVAL, "-m",
				"-m '%s': expected a size such as 4G or 4096 (MiB)", shown);
	}
	if (!a->mem_kib)
		return diag_set(d, EINVAL, "-m", "-m '%s': no size", shown);
	return 0;
}

static int parse_smp(const char *value, struct run_argv *a, struct diag *d)
{
	static const char *const topo[] = {"sockets", "dies",  "clusters", "cores",
					   "threads", "books", "drawers"};
	uint64_t cpus = 0, product = 1;
	AUTOFREE char *shown = str_escape(value, ARG_SHOWN_MAX);

	for (const char *p = value; *p;) {
		AUTOFREE char *item = next_item(&p);
		char *eq = strchr(item, '=');
		bool found = false;
		uint32_t n;

		if (eq)
			*eq = '\0';
		if (parse_u32(eq ? eq + 1 : item, &n) < 0 || n == 0 || n > RUN_MAX_VCPUS)
			return diag_set(d, EINVAL, "-smp", "-smp '%s': expected counts 1 to %d",
					shown, RUN_MAX_VCPUS);
		if (!eq || strcmp(item, "cpus") == 0) {
			cpus = n;
			continue;
		}
		if (strcmp(item, "maxcpus") == 0)
			continue;
		for (size_t i = 0; i < sizeof(topo) / sizeof(topo[0]) && !found; i++)
			found = strcmp(item, topo[i]) == 0;
		if (!found) {
			AUTOFREE char *shown_item = str_escape(item, ARG_SHOWN_MAX);

			return diag_set(d, EINVAL, "-smp", "-smp '%s': unknown '%s'", shown,
					shown_item);
		}
		if (!safe_mul_u64(product, n, &product) || product > RUN_MAX_VCPUS)
			return diag_set(d, EINVAL, "-smp", "-smp '%s': too many CPUs", shown);
	}
	a->vcpus = (unsigned)(cpus ? cpus : product);
	a->has_smp = true;
	return 0;
}

static void parse_name(const char *value, struct run_argv *a)
{
	bool first = true;

	for (const char *p = value; *p; first = false) {
		AUTOFREE char *item = next_item(&p);
		const char *name = NULL;

		if (strncmp(item, "guest=", 6) == 0)
			name = item + 6;
		else if (first && !strchr(item, '='))
			name = item; /* the implied key of -name is guest */
		if (name) {
			free(a->name);
			a->name = xstrdup(name);
		}
	}
}

/* The option's conflict with kvmtune's memory arguments, or NULL. */
static const char *conflict(const char *name, const char *value)
{
	if (strcmp(name, "mem-path") == 0 || strcmp(name, "mem-prealloc") == 0)
		return "kvmtune writes the VM's memory backends (and never -mem-path)";
	if (strcmp(name, "numa") == 0)
		return "kvmtune writes the guest NUMA cells (-numa) from the placement";
	if (strcmp(name, "object") == 0 && value &&
	    (strstr(value, "memory-backend") || strstr(value, "thread-context")))
		return "kvmtune writes the memory backends and their thread-context";
	if ((strcmp(name, "machine") == 0 || strcmp(name, "M") == 0) && value &&
	    strstr(value, "memory-backend="))
		return "kvmtune names the RAM backend (-machine memory-backend=)";
	if (strcmp(name, "daemonize") == 0)
		return "kvmtune run waits for QEMU: it cannot daemonize";
	return NULL;
}

static void keep(struct run_argv *a, char *arg)
{
	a->rest = xreallocarray(a->rest, a->nrest + 2, sizeof(*a->rest));
	a->rest[a->nrest++] = arg;
	a->rest[a->nrest] = NULL;
}

/* One option at argv[*i] (and its value); advances *i past what it used. */
static int parse_option(int argc, char **argv, int *i, struct run_argv *a, struct diag *d)
{
	const char *name = opt_name(argv[*i]), *why;
	const char *value = NULL;
	bool flag = run_argv_is_flag(name);

	/* an unknown option followed by another option takes no value */
	if (!flag && *i + 1 < argc && argv[*i + 1][0] == '-' && argv[*i + 1][1] &&
	    !isdigit((unsigned char)argv[*i + 1][1]) && strcmp(name, "m") != 0 &&
	    strcmp(name, "smp") != 0 && strcmp(name, "name") != 0)
		flag = true;
	if (!flag) {
		if (*i + 1 >= argc) {
			AUTOFREE char *shown = str_escape(argv[*i], ARG_SHOWN_MAX);

			return diag_set(d, EINVAL, argv[*i], "QEMU option '%s' has no value",
					shown);
		}
		value = argv[*i + 1];
	}
	why = conflict(name, value);
	if (why) {
		AUTOFREE char *shown = str_escape(value ? value : "", ARG_SHOWN_MAX);

		return diag_set(d, EINVAL, argv[*i], "QEMU option '%s%s%s' conflicts: %s", argv[*i],
				value ? " " : "", shown, why);
	}
	if (strcmp(name, "m") == 0) {
		*i += 2;
		return parse_m(value, a, d); /* dropped: kvmtune writes -m */
	}
	if (strcmp(name, "smp") == 0 && parse_smp(value, a, d) < 0)
		return -EINVAL;
	if (strcmp(name, "name") == 0)
		parse_name(value, a);
	if (strcmp(name, "S") == 0)
		a->paused = true;
	keep(a, argv[(*i)++]);
	if (value)
		keep(a, argv[(*i)++]);
	return 0;
}

int run_argv_parse(int argc, char **argv, struct run_argv *ret, struct diag *d)
{
	struct run_argv a = {0};
	int r = 0;

	if (argc < 1 || !argv[0][0])
		return diag_set(d, EINVAL, "--", "no QEMU command after '--'");
	a.binary = argv[0];
	keep(&a, argv[0]);
	for (int i = 1; i < argc && r >= 0;) {
		if (!opt_name(argv[i])) {
			keep(&a, argv[i++]); /* a disk image given without -hda */
			continue;
		}
		r = parse_option(argc, argv, &i, &a, d);
	}
	if (r < 0) {
		run_argv_release(&a);
		return r;
	}
	run_argv_release(ret);
	*ret = a;
	return 0;
}

void run_argv_release(struct run_argv *a)
{
	free(a->name);
	free(a->rest);
	memset(a, 0, sizeof(*a));
}
