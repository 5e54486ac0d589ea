/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory demand of libvirt domains, read from their XML with libxml2: the
 * <memory>, guest <cell>s, <memoryBacking><hugepages><page>, and
 * <numatune> <memory>/<memnode> elements, nothing else.
 */
#include "core/check-domains.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "core/domxml.h"
#include "core/xmlapi.h"

#include "core/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define DOMAIN_DIR "/etc/libvirt/qemu"

static char *prop(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *r = v ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return r;
}

static char *text_of(xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *r = xstrdup(v ? (const char *)v : "");

	xmlFree(v);
	return r;
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* libvirt's unit suffixes (virScaleInteger): "k"/"KiB" binary, "KB" decimal, "b"/"bytes". */
static int unit_bytes(const char *unit, uint64_t *ret)
{
	static const char letters[] = "kmgtpe";
	const char *p;
	uint64_t base, v = 1;

	if (!unit || !*unit) {
		*ret = 1024;
		return 0;
	}
	if (!strcasecmp(unit, "b") || !strcasecmp(unit, "byte") || !strcasecmp(unit, "bytes")) {
		*ret = 1;
		return 0;
	}
	p = strchr(letters, (char)(unit[0] | 0x20));
	if (!p || unit[0] == '\0')
		return -EINVAL;
	if (!unit[1] || !strcasecmp(unit + 1, "iB"))
		base = 1024;
	else if ((unit[1] | 0x20) == 'b' && !unit[2])
		base = 1000;
	else
		return -EINVAL;
	for (long i = 0; i <= p - letters; i++)
		v *= base;
	*ret = v;
	return 0;
}

/* A number with libvirt's unit attribute (default KiB) in KiB, rounded up. */
static int scaled_kib(const char *num, const char *unit, const char *what, uint64_t *ret,
		      struct diag *d)
{
	uint64_t v, mult;

	if (!num || parse_u64(num, &v) < 0)
		return diag_set(d, EINVAL, what, "%s: '%s' is not a number", what, num ? num : "");
	if (unit_bytes(unit, &mult) < 0)
		return diag_set(d, EINVAL, what, "%s: unknown unit '%s'", what, unit);
	if (v && mult > (UINT64_MAX - 1023) / v)
		return diag_set(d, ERANGE, what, "%s: %s %s is too large", what, num,
				unit ? unit : "KiB");
	*ret = (v * mult + 1023) / 1024;
	return 0;
}

static int elem_kib(xmlNode *n, const char *attr, const char *what, uint64_t *ret, struct diag *d)
{
	AUTOFREE char *num = attr ? prop(n, attr) : text_of(n);
	AUTOFREE char *unit = prop(n, "unit");

	return scaled_kib(num, unit, what, ret, d);
}

/*
 * libvirt's nodeset syntax: a cpulist whose items may also be exclusions
 * ("0-3,^1").  Returns -EINVAL for a malformed list.
 */
static int parse_nodeset(const char *text, struct cpuset *ret, struct diag *d)
{
	struct sbuf pos = SBUF_INIT, neg = SBUF_INIT;
	struct cpuset excl = CPUSET_INIT;
	const char *p = text;
	int r;

	while (*p) {
		size_t n = strcspn(p, ",");
		bool is_neg = *p == '^';
		struct sbuf *to = is_neg ? &neg : &pos;

		if (to->len)
			sbuf_addc(to, ',');
		sbuf_add(to, p + is_neg, n - is_neg);
		p += n;
		if (*p == ',')
			p++;
	}
	r = cpuset_parse_list(pos.buf, ret, d);
	if (r == 0 && neg.len)
		r = cpuset_parse_list(neg.buf, &excl, d);
	if (r == 0) {
		int i;

		cpuset_foreach (i, &excl)
			cpuset_unset(ret, (unsigned)i);
	}
	cpuset_release(&excl);
	sbuf_release(&pos);
	sbuf_release(&neg);
	return r;
}

struct page_rule {
	uint64_t page_kib;
	struct cpuset cells; /* empty: every cell */
	bool has_nodeset;
};

static uint64_t page_for_cell(const struct page_rule *rules, size_t n, int cell, uint64_t dflt)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].has_nodeset && cell >= 0 &&
		    cpuset_isset(&rules[i].cells, (unsigned)cell))
			return rules[i].page_kib;
	for (size_t i = 0; i < n; i++)
		if (!rules[i].has_nodeset)
			return rules[i].page_kib;
	return n ? 0 : dflt;
}

static int parse_pages(xmlNode *hp, uint64_t dflt, struct page_rule **ret, size_t *ret_n,
		       struct diag *d)
{
	struct page_rule *rules = NULL;
	size_t n = 0;

	for (xmlNode *c = hp->children; c; c = c->next) {
		struct page_rule pr = {0};
		AUTOFREE char *nodeset = NULL;
		int r;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "page") != 0)
			continue;
		r = elem_kib(c, "size", "hugepages page size", &pr.page_kib, d);
		if (r == 0 && (nodeset = prop(c, "nodeset"))) {
			pr.has_nodeset = true;
			r = parse_nodeset(nodeset, &pr.cells, d);
		}
		if (r < 0) {
			for (size_t i = 0; i < n; i++)
				cpuset_release(&rules[i].cells);
			free(rules);
			return r;
		}
		rules = xreallocarray(rules, n + 1, sizeof(*rules));
		rules[n++] = pr;
	}
	(void)dflt;
	*ret = rules;
	*ret_n = n;
	return 0;
}

/* <numatune>: the domain nodeset/mode and per-cell memnodes. */
static int apply_numatune(xmlNode *nt, struct domain_demand *dd, struct diag *d)
{
	xmlNode *mem = child(nt, "memory");
	AUTOFREE char *mode = mem ? prop(mem, "mode") : NULL;
	AUTOFREE char *nodeset = mem ? prop(mem, "nodeset") : NULL;
	AUTOFREE char *placement = mem ? prop(mem, "placement") : NULL;
	int r;

	if (placement && strcmp(placement, "auto") == 0)
		dd->placement_auto = true;
	for (size_t i = 0; i < dd->nparts; i++) {
		(void)snprintf(dd->parts[i].mode, sizeof(dd->parts[i].mode), "%s",
			       mode ? mode : "strict");
		if (nodeset && !dd->placement_auto) { /* auto: numad chooses */
			r = parse_nodeset(nodeset, &dd->parts[i].host, d);
			if (r < 0)
				return r;
		}
	}
	for (xmlNode *c = nt->children; c; c = c->next) {
		AUTOFREE char *cellid = NULL;
		AUTOFREE char *mnodes = NULL;
		AUTOFREE char *mmode = NULL;
		int cell;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "memnode") != 0)
			continue;
		cellid = prop(c, "cellid");
		mnodes = prop(c, "nodeset");
		mmode = prop(c, "mode");
		if (!cellid || parse_int(cellid, &cell) < 0)
			continue;
		for (size_t i = 0; i < dd->nparts; i++) {
			if (dd->parts[i].cell != cell)
				continue;
			if (mnodes) {
				r = parse_nodeset(mnodes, &dd->parts[i].host, d);
				if (r < 0)
					return r;
			}
			if (mmode)
				(void)snprintf(dd->parts[i].mode, sizeof(dd->parts[i].mode), "%s",
					       mmode);
		}
	}
	return 0;
}

static void add_part(struct domain_demand *dd, int cell, uint64_t size_kib, uint64_t page_kib)
{
	struct domain_part p = {.cell = cell, .size_kib = size_kib, .page_kib = page_kib};

	(void)snprintf(p.mode, sizeof(p.mode), "none");
	dd->parts = xreallocarray(dd->parts, dd->nparts + 1, sizeof(*dd->parts));
	dd->parts[dd->nparts++] = p;
}

static int parse_parts(xmlNode *root, struct domain_demand *dd, const struct page_rule *rules,
		       size_t nrules, bool huge, uint64_t dflt, struct diag *d)
{
	xmlNode *numa = child(child(root, "cpu"), "numa");
	xmlNode *mem = child(root, "memory");
	uint64_t kib = 0;
	int r;

	for (xmlNode *c = numa ? numa->children : NULL; c; c = c->next) {
		AUTOFREE char *id = NULL;
		int cell;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "cell") != 0)
			continue;
		id = prop(c, "id");
		if (!id || parse_int(id, &cell) < 0)
			cell = (int)dd->nparts;
		r = elem_kib(c, "memory", "cell memory", &kib, d);
		if (r < 0)
			return r;
		add_part(dd, cell, kib, huge ? page_for_cell(rules, nrules, cell, dflt) : 0);
	}
	if (dd->nparts)
		return 0;
	if (!mem)
		return diag_set(d, EINVAL, dd->file, "'%s': no <memory> element", dd->file);
	r = elem_kib(mem, NULL, "memory", &kib, d);
	if (r < 0)
		return r;
	add_part(dd, -1, kib, huge ? page_for_cell(rules, nrules, -1, dflt) : 0);
	return 0;
}

static int parse_root(xmlNode *root, uint64_t dflt, struct domain_demand *dd, struct diag *d)
{
	xmlNode *mb = child(root, "memoryBacking");
	xmlNode *hp = child(mb, "hugepages");
	xmlNode *src = child(mb, "source");
	xmlNode *name = child(root, "name");
	xmlNode *nt = child(root, "numatune");
	struct page_rule *rules = NULL;
	size_t nrules = 0;
	int r = 0;

	dd->name = name ? text_of(name) : xstrdup("?");
	if (src) {
		AUTOFREE char *type = prop(src, "type");

		dd->memfd = type && strcmp(type, "memfd") == 0;
	}
	if (hp)
		r = parse_pages(hp, dflt, &rules, &nrules, d);
	if (r == 0)
		r = parse_parts(root, dd, rules, nrules, hp != NULL, dflt, d);
	for (size_t i = 0; i < dd->nparts && r == 0; i++)
		if (dd->parts[i].page_kib == 4)
			dd->parts[i].page_kib = 0; /* the system page size means no hugepages */
	if (r == 0 && nt)
		r = apply_numatune(nt, dd, d);
	for (size_t i = 0; i < nrules; i++)
		cpuset_release(&rules[i].cells);
	free(rules);
	return r;
}

int domain_demand_parse(const char *xml, size_t len, const char *file, uint64_t default_page_kib,
			struct domain_demand *ret, struct diag *d)
{
	struct domain_demand dd = {0};
	xmlDoc *doc;
	xmlNode *root;
	int r;

	if (len > DOMXML_MAX_FILE_BYTES)
		return diag_set(d, EFBIG, file, "'%s': domain XML is larger than %u bytes", file,
				DOMXML_MAX_FILE_BYTES);
	r = xmlapi_load(d);
	if (r < 0)
		return r;
	doc = xmlReadMemory(xml, (int)len, file, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return diag_set(d, EINVAL, file, "'%s': not well-formed XML", file);
	root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "domain") != 0) {
		xmlFreeDoc(doc);
		return diag_set(d, EINVAL, file, "'%s': root element is not <domain>", file);
	}
	dd.file = xstrdup(file);
	r = parse_root(root, default_page_kib, &dd, d);
	xmlFreeDoc(doc);
	if (r < 0) {
		domain_demand_release(&dd);
		return r;
	}
	*ret = dd;
	return 0;
}

void domain_demand_release(struct domain_demand *dd)
{
	for (size_t i = 0; i < dd->nparts; i++)
		cpuset_release(&dd->parts[i].host);
	free(dd->parts);
	free(dd->name);
	free(dd->file);
	memset(dd, 0, sizeof(*dd));
}

void domains_free(struct domain_demand *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		domain_demand_release(&list[i]);
	free(list);
}

int domains_load(struct host *h, uint64_t default_page_kib, struct domain_demand **ret,
		 size_t *ret_count, char **ret_bad, struct diag *d)
{
	struct domain_demand *list = NULL;
	char **names = NULL;
	char *bad = NULL;
	size_t n = 0;
	int r;

	r = host_list_optional(h, DOMAIN_DIR, &names, NULL, d);
	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		size_t l = strlen(*p);
		AUTOFREE char *path = NULL;
		AUTOFREE char *xml = NULL;
		AUTOFREE char *pid = NULL;
		struct domain_demand dd;
		size_t len;

		if (l < 5 || strcmp(*p + l - 4, ".xml") != 0)
			continue;
		path = xasprintf(DOMAIN_DIR "/%s", *p);
		if (host_read(h, path, &xml, &len, NULL) < 0 ||
		    domain_demand_parse(xml, len, path, default_page_kib, &dd, NULL) < 0) {
			char *nb = xasprintf("%s%s'%s'", bad ? bad : "", bad ? ", " : "", path);

			free(bad);
			bad = nb;
			continue;
		}
		pid = xasprintf("/run/libvirt/qemu/%s.pid", dd.name);
		dd.running = host_exists(h, pid);
		list = xreallocarray(list, n + 1, sizeof(*list));
		list[n++] = dd;
	}
	host_names_free(names);
	*ret = list;
	*ret_count = n;
	if (ret_bad)
		*ret_bad = bad;
	else
		free(bad);
	return 0;
}
