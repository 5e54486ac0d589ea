/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's configuration file: defaults, parsing, bounds. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/host.h"
#include "daemon/config.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

void daemon_config_defaults(struct daemon_config *c)
{
	*c = (struct daemon_config){
		.interval_ms = 5000,
		.dry_run = false,
		.scope = DAEMON_SCOPE_QEMU,
		.min_mem_kib = 300ULL * 1024,
		.min_locality_pct = 90,
		.cooldown_s = 60,
		.rescan_s = 30,
		.rate_mib_s = 256,
		.max_pause_ms = 20,
		.move_hugetlb = true,
		.keep_free_kib = -1,
		.ksm = false,
		.ksm_interval_s = 60,
	};
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", DAEMON_SOCKET_PATH);
}

struct cfg_ctx {
	const char *file;
	unsigned line;
	const char *key;
	struct diag *d;
};

static int cfg_err(const struct cfg_ctx *x, const char *value, const char *expect)
{
	char where[300];

	snprintf(where, sizeof(where), "%s:%u", x->file, x->line);
	return diag_set(x->d, EINVAL, where, "%s:%u: %s: '%s' is not valid (expected %s)", x->file,
			x->line, x->key, value, expect);
}

static int cfg_uint(const struct cfg_ctx *x, const char *v, unsigned lo, unsigned hi,
		    const char *unit, unsigned *ret)
{
	uint32_t n;
	char expect[96];

	snprintf(expect, sizeof(expect), "%u..%u %s", lo, hi, unit);
	if (parse_u32(v, &n) < 0 || n < lo || n > hi)
		return cfg_err(x, v, expect);
	*ret = n;
	return 0;
}

static int cfg_bool(const struct cfg_ctx *x, const char *v, bool *ret)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*ret = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*ret = false;
	else
		return cfg_err(x, v, "yes or no");
	return 0;
}

static int cfg_size(const struct cfg_ctx *x, const char *v, uint64_t lo_kib, uint64_t hi_kib,
		    uint64_t *ret)
{
	uint64_t kib = 0;

	if (parse_size_kib(v, &kib) < 0 || kib < lo_kib || kib > hi_kib)
		return cfg_err(x, v, "a size such as 300M, at most 1T");
	*ret = kib;
	return 0;
}

static int cfg_set(const struct cfg_ctx *x, const char *v, struct daemon_config *c)
{
	const char *k = x->key;
	uint64_t kib = 0;
	int r;

	if (strcmp(k, "interval_ms") == 0)
		return cfg_uint(x, v, 100, 3600000, "ms", &c->interval_ms);
	if (strcmp(k, "dry_run") == 0)
		return cfg_bool(x, v, &c->dry_run);
	if (strcmp(k, "ksm") == 0)
		return cfg_bool(x, v, &c->ksm);
	if (strcmp(k, "ksm_interval_s") == 0)
		return cfg_uint(x, v, 1, 86400, "seconds", &c->ksm_interval_s);
	if (strcmp(k, "move_hugetlb") == 0)
		return cfg_bool(x, v, &c->move_hugetlb);
	if (strcmp(k, "min_locality_pct") == 0)
		return cfg_uint(x, v, 1, 100, "percent", &c->min_locality_pct);
	if (strcmp(k, "cooldown_s") == 0)
		return cfg_uint(x, v, 0, 86400, "seconds", &c->cooldown_s);
	if (strcmp(k, "rescan_s") == 0)
		return cfg_uint(x, v, 0, 3600, "seconds", &c->rescan_s);
	if (strcmp(k, "rate_mib_s") == 0)
		return cfg_uint(x, v, 1, 100000, "MiB/s", &c->rate_mib_s);
	if (strcmp(k, "max_pause_ms") == 0)
		return cfg_uint(x, v, 1, 1000, "ms", &c->max_pause_ms);
	if (strcmp(k, "min_mem") == 0)
		return cfg_size(x, v, 0, 1ULL << 30, &c->min_mem_kib);
	if (strcmp(k, "keep_free") == 0) {
		if (strcmp(v, "default") == 0) {
			c->keep_free_kib = -1;
			return 0;
		}
		r = cfg_size(x, v, 0, 1ULL << 30, &kib);
		if (r == 0)
			c->keep_free_kib = (int64_t)kib;
		return r;
	}
	if (strcmp(k, "scope") == 0) {
		if (strcmp(v, "qemu") == 0)
			c->scope = DAEMON_SCOPE_QEMU;
		else if (strcmp(v, "all") == 0)
			c->scope = DAEMON_SCOPE_ALL;
		else
			return cfg_err(x, v, "qemu or all");
		return 0;
	}
	if (strcmp(k, "socket") == 0) {
		if (v[0] != '/' || strlen(v) >= sizeof(c->socket_path) - 16)
			return cfg_err(x, v, "an absolute path of at most 90 characters");
		snprintf(c->socket_path, sizeof(c->socket_path), "%s", v);
		return 0;
	}
	char where[300];

	snprintf(where, sizeof(where), "%s:%u", x->file, x->line);
	return diag_set(x->d, EINVAL, where, "%s:%u: unknown key '%s'", x->file, x->line, k);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int daemon_config_parse(char *text, const char *file, struct daemon_config *ret, struct diag *d)
{
	static const char *const keys[] = {
		"interval_ms", "dry_run",  "scope",	 "min_mem",	  "min_locality_pct",
		"cooldown_s",  "rescan_s", "rate_mib_s", "max_pause_ms",  "move_hugetlb",
		"keep_free",   "socket",   "ksm",	 "ksm_interval_s"};
	bool seen[sizeof(keys) / sizeof(keys[0])] = {false};
	struct daemon_config c;
	struct cfg_ctx x = {file, 0, NULL, d};
	char *line = text, *next, *eq;
	int r;

	daemon_config_defaults(&c);
	for (; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		x.line++;
		line = trim(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			x.key = line;
			return cfg_err(&x, line, "key = value");
		}
		*eq = '\0';
		x.key = trim(line);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i], x.key) == 0) {
				if (seen[i])
					return cfg_err(&x, trim(eq + 1), "each key once");
				seen[i] = true;
			}
		r = cfg_set(&x, trim(eq + 1), &c);
		if (r < 0)
			return r;
	}
	*ret = c;
	return 0;
}

int daemon_config_load(struct host *h, const char *path, struct daemon_config *ret, struct diag *d)
{
	AUTOFREE char *text = NULL;
	size_t len;
	int r;

	r = host_read(h, path ? path : DAEMON_CONFIG_PATH, &text, &len, d);
	if (r == -ENOENT && !path) {
		diag_clear(d);
		daemon_config_defaults(ret);
		return 0;
	}
	if (r < 0)
		return r;
	if (memchr(text, '\0', len))
		return diag_set(d, EINVAL, path ? path : DAEMON_CONFIG_PATH,
				"%s: a NUL byte in a text file", path ? path : DAEMON_CONFIG_PATH);
	return daemon_config_parse(text, path ? path : DAEMON_CONFIG_PATH, ret, d);
}
