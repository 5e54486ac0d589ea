/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the parts of the domain XML parser (domxml.c for the
 * memory, domxml-cpu.c for <vcpu>, <iothreads>, <cputune> and the CPU
 * topology).  Not for use outside the parser.
 */
#ifndef KVMTUNE_CORE_DOMXML_INTERNAL_H
#define KVMTUNE_CORE_DOMXML_INTERNAL_H

#include <stdbool.h>

#include "core/xmlapi.h"

struct cpuset;
struct diag;
struct vm_spec;

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
