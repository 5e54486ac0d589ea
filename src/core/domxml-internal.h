/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the domain XML readers share (domxml.c: memory and NUMA,
 * domxml-cpu.c: <vcpu>, <iothreads>, <cputune> and the CPU topology,
 * domdev.c: devices and the CPU model): reading the document, attributes,
 * text and children of libxml2 nodes, libvirt's cpuset syntax.  Not for use
 * outside the parsers.
 */
#ifndef KVMTUNE_CORE_DOMXML_INTERNAL_H
#define KVMTUNE_CORE_DOMXML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/xmlapi.h"

struct cpuset;
struct diag;
struct vm_spec;

/* Parse XML text without network or entities; -EINVAL with line and message. */
int domxml_read_doc(const char *text, size_t len, xmlDoc **ret, struct diag *d);
/* An attribute's value (caller frees), NULL when absent. */
char *domxml_attr(xmlNode *n, const char *name);
/* An element's text without surrounding white space (caller frees). */
char *domxml_text(xmlNode *n);
bool domxml_is_elem(xmlNode *n, const char *name);
/* The first child element called name, or NULL (parent may be NULL). */
xmlNode *domxml_child(xmlNode *parent, const char *name);
/*
 * libvirt's cpuset/nodeset syntax ("0-3,^2"); obj names the element in the
 * diag.  -EINVAL for a bad or empty set; ret is replaced on success.
 */
int domxml_parse_set(const char *obj, const char *text, struct cpuset *ret, struct diag *d);

/* <vcpu>, <iothreads>, <cputune> pins and <cpu><topology> into vm. */
int domxml_parse_cpu(xmlNode *root, struct vm_spec *vm, struct diag *d);

#endif
