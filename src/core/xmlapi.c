/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading libxml2 with dlopen() on first use; see xmlapi.h for why.  The
 * table is the one piece of process-wide state in core: the library it
 * points into is process-wide too, and it never changes once filled.
 */
#include "xmlapi.h"

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/diag.h"

#include "util/banned.h"

#define XMLAPI_SONAME "libxml2.so.2"

static struct xmlapi table;
static int loaded;

int xmlapi_load(struct diag *d)
{
	struct xmlapi t = {0};
	void *lib;

	if (loaded)
		return 0;
	lib = dlopen(XMLAPI_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return diag_set(d, ELIBACC, XMLAPI_SONAME, "cannot load %s (libxml2): %s",
				XMLAPI_SONAME, dlerror());
#define XMLAPI_RESOLVE(name)                      \
	*(void **)&t.name##_ = dlsym(lib, #name); \
	if (!t.name##_)                           \
		return diag_set(d, ELIBACC, XMLAPI_SONAME, "%s lacks %s", XMLAPI_SONAME, #name);
	XMLAPI_FUNCTIONS(XMLAPI_RESOLVE)
#undef XMLAPI_RESOLVE
	t.xmlFree_ = dlsym(lib, "xmlFree");
	if (!t.xmlFree_)
		return diag_set(d, ELIBACC, XMLAPI_SONAME, "%s lacks xmlFree", XMLAPI_SONAME);
	table = t;
	loaded = 1;
	return 0;
}

const struct xmlapi *xmlapi(void)
{
	/* a programmer's error: every caller runs xmlapi_load() first and reports its failure */
	assert(loaded);
	return &table;
}
