/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --qemu / --qemu-version / PATH → the target QEMU's rules. */
#include "cli/qemu-target.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/xalloc.h"

#include "util/banned.h"

char *qemu_target_which(const char *name)
{
	const char *path = getenv("PATH");
	AUTOFREE char *copy = NULL;

	if (strchr(name, '/'))
		return xstrdup(name);
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = xstrdup(path);
	for (char *dir = copy, *next; dir; dir = next) {
		char *full;

		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		full = xasprintf("%s/%s", *dir ? dir : ".", name);
		if (access(full, X_OK) == 0)
			return full;
		free(full);
	}
	return NULL;
}

int qemu_target_resolve(const char *binary, const char *version, struct qemu_target *t)
{
	AUTOFREE char *path = NULL;
	struct qemu_version v;
	struct diag d = {0};
	int r;

	memset(t, 0, sizeof(*t));
	if (version) {
		r = qemu_version_parse(version, &v, &d);
		(void)snprintf(t->source, sizeof(t->source), "--qemu-version");
	} else {
		path = qemu_target_which(binary ? binary : "qemu-system-x86_64");
		if (!path && binary) {
			cli_error("QEMU binary '%s' is not in PATH", binary);
			return EXIT_USAGE;
		}
		if (!path) {
			qemu_caps_newest(&t->caps);
			(void)snprintf(t->source, sizeof(t->source),
				       "no qemu-system-x86_64 in PATH: newest QEMU");
			return EXIT_OK;
		}
		r = qemu_version_probe(path, QEMU_TARGET_PROBE_MS, &v, &d);
		(void)snprintf(t->source, sizeof(t->source), "%s", path);
		if (r < 0) {
			cli_error_diag(&d, r);
			return r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
		}
	}
	if (r >= 0)
		r = qemu_caps_for(&v, &t->caps, &d);
	if (r < 0) {
		cli_error_diag(&d, r);
		return EXIT_USAGE;
	}
	t->known = true;
	return EXIT_OK;
}

struct json_object *qemu_target_json(const struct qemu_target *t)
{
	struct json_object *o = json_object_new_object(), *rules = json_object_new_object();
	const struct qemu_cap_rule *rl = qemu_cap_rules();
	char v[32];

	json_object_object_add(o, "version",
			       t->known ? json_object_new_string(qemu_version_format(
						  &t->caps.version, v, sizeof(v)))
					: NULL);
	json_object_object_add(o, "source", json_object_new_string(t->source));
	for (size_t i = 0; i < QEMU_CAP_COUNT_; i++)
		json_object_object_add(rules, rl[i].name,
				       json_object_new_boolean(t->caps.has[rl[i].cap]));
	json_object_object_add(o, "rules", rules);
	return o;
}
