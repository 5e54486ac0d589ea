/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A libvirt domain XML, read with libxml2 into a struct vm_spec: the memory
 * size and units, <memoryBacking>, <numatune>, <cpu><numa> cells and
 * distances, <vcpu placement cpuset> and <memtune><hard_limit>.  Everything
 * else in the domain is ignored.  libvirt's own normalisation is applied
 * (cells sorted by id, each cell and a cell-less VM rounded up to 1 MiB as
 * libvirt does on x86), so that the result is what libvirt would run.
 */
#ifndef KVMTUNE_CORE_DOMXML_H
#define KVMTUNE_CORE_DOMXML_H

#include <stddef.h>
#include <stdint.h>

struct diag;
struct vm_spec;

/*
 * Parse a domain XML held in memory (len bytes, need not be NUL-terminated).
 * ret must be initialised with vm_spec_init(); it is filled on success and
 * left for the caller to release either way.  -EINVAL for malformed XML, an
 * element or attribute with a bad value (unknown unit, bad nodeset, memnode
 * for a missing cell, cells not adding up to <memory>, ...): the diag names
 * the element or attribute and the value.  No network access, no entities.
 */
int domxml_parse(const char *text, size_t len, struct vm_spec *ret, struct diag *d);

/* Largest domain XML read or written: 16 MiB. */
#define DOMXML_MAX_FILE_BYTES (16u << 20)
/* How long a domain-file writer waits for another one (domxml_merge_file). */
#define DOMXML_LOCK_TIMEOUT_MS 10000u

/*
 * Read path (a regular user file, not a host file; at most
 * DOMXML_MAX_FILE_BYTES, never a FIFO or device) and parse it.  -errno of
 * open/read too.
 */
int domxml_parse_file(const char *path, struct vm_spec *ret, struct diag *d);
/* After libxml2 failed to parse: -EINVAL, d says "malformed XML at line N: why". */
int domxml_parse_error(const char *object, struct diag *d);

/*
 * libvirt's size scaling: value with unit ("b", "bytes", "KB", "k", "KiB",
 * "MB", "M", "MiB", ... up to "EiB"; NULL means KiB) into KiB, rounded up.
 * -EINVAL for an unknown unit or junk, -ERANGE for overflow.
 */
int domxml_scale_kib(const char *value, const char *unit, uint64_t *ret_kib);

#endif
