/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which QEMU the arguments are for: its version, read from 'BINARY --version'
 * or given as X.Y, and what that version accepts, by the rules libvirt
 * follows for the same features (its capability flags, probed from QEMU and
 * recorded per release in libvirt's tests/qemucapabilitiesdata/caps_*.xml).
 * The rules are one static table; tests/data/qemu-rules.txt names the
 * libvirt evidence for each row and a unit test keeps the two in step.
 */
#ifndef KVMTUNE_CORE_QEMU_VERSION_H
#define KVMTUNE_CORE_QEMU_VERSION_H

#include <stdbool.h>

struct diag;

struct qemu_version {
	unsigned major, minor, micro;
};

/* The oldest QEMU kvmtune writes arguments for: libvirt 7.0-9.x's minimum (QEMU_MIN_*). */
#define QEMU_VERSION_MIN_MAJOR 4
#define QEMU_VERSION_MIN_MINOR 2

enum qemu_cap {
	/* -object takes JSON (libvirt QEMU_CAPS_OBJECT_JSON, "object.qapified"): 6.0 */
	QEMU_CAP_OBJECT_JSON,
	/* thread-context objects and prealloc-context (QEMU_CAPS_THREAD_CONTEXT): 7.2 */
	QEMU_CAP_THREAD_CONTEXT,
	/* memory backends' prealloc-threads (QEMU_CAPS_MEMORY_BACKEND_PREALLOC_THREADS): 5.0 */
	QEMU_CAP_PREALLOC_THREADS,
	/*
	 * -machine memory-backend= for the RAM of a VM without guest NUMA cells:
	 * libvirt uses it when query-machines reports default-ram-id
	 * (virQEMUCapsGetMachineDefaultRAMid): 5.2
	 */
	QEMU_CAP_MACHINE_MEMORY_BACKEND,
	QEMU_CAP_COUNT_
};

/* One rule: what a capability is, from which release, and libvirt's name for it. */
struct qemu_cap_rule {
	enum qemu_cap cap;
	unsigned major, minor;
	const char *name;    /* short name for output: "object-json", ... */
	const char *libvirt; /* libvirt's capability or function */
};

struct qemu_caps {
	struct qemu_version version;
	bool has[QEMU_CAP_COUNT_];
};

/* The rules, in enum order (static). */
const struct qemu_cap_rule *qemu_cap_rules(void);

/*
 * Parse a version: the first line of 'qemu-system-x86_64 --version'
 * ("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)") or a
 * bare "X.Y" / "X.Y.Z".  -EINVAL with a diag quoting the text otherwise.
 */
int qemu_version_parse(const char *text, struct qemu_version *ret, struct diag *d);

/*
 * Run 'binary --version' (no shell, stdin /dev/null, at most timeout_ms, 4
 * KiB of output read) and parse its first line.  -ENOENT/-EACCES when it
 * cannot be run, -ETIMEDOUT when it did not answer (it is killed), -EINVAL
 * when the output is no QEMU version; d names the binary.
 */
int qemu_version_probe(const char *binary, unsigned timeout_ms, struct qemu_version *ret,
		       struct diag *d);

/*
 * What version v accepts.  -EDOM with a diag for a QEMU older than
 * QEMU_VERSION_MIN_*.
 */
int qemu_caps_for(const struct qemu_version *v, struct qemu_caps *ret, struct diag *d);

/* Every rule on: the newest QEMU (used when no version is known). */
void qemu_caps_newest(struct qemu_caps *ret);

/* "7.2.22" into buf; returns buf. */
const char *qemu_version_format(const struct qemu_version *v, char *buf, unsigned bufsz);

#endif
