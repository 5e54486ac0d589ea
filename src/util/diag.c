/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fixed-size error reasons; see diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

int diag_set(struct diag *d, int err, const char *object, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	if (d) {
		d->err = err;
		(void)snprintf(d->object, sizeof(d->object), "%s", object ? object : "");
		va_start(ap, fmt);
		(void)vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	return -err;
}

void diag_clear(struct diag *d)
{
	if (d)
		memset(d, 0, sizeof(*d));
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
	char pre[256];
	char old[sizeof(d->msg)];
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, d->msg, sizeof(old));
	(void)snprintf(d->msg, sizeof(d->msg), "%s%s", pre, old);
}
