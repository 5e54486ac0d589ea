/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers the domain XML readers share (domxml.c: memory and NUMA,
 * domdev.c: devices, CPU model and topology): reading the document,
 * attributes, text and children of libxml2 nodes, libvirt's cpuset syntax.
 */
#ifndef KVMTUNE_CORE_DOMXML_INTERNAL_H
#define KVMTUNE_CORE_DOMXML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/xmlapi.h"

struct cpuset;
struct diag;

/* Parse XML text without network or entities; -EINVAL with line and message. */
int domxml_read_doc(const char *text, size_t len, xmlDoc **ret, struct diag *d);
/* An attribute's value (caller frees) or NULL. */
char *domxml_attr(xmlNode *n, const char *name);
/* An element's text, blanks trimmed (caller frees; "" when empty). */
char *domxml_text(xmlNode *n);
bool domxml_is_elem(xmlNode *n, const char *name);
/* The first child element called name, or NULL (parent may be NULL). */
xmlNode *domxml_child(xmlNode *parent, const char *name);
/* libvirt's "0-3,^2" syntax into ret; -EINVAL naming obj and the text. */
int domxml_parse_set(const char *obj, const char *text, struct cpuset *ret, struct diag *d);

#endif
