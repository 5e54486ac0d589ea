/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Allocation wrappers that abort with a message on out-of-memory (as git and
 * tmux do): per-call OOM handling would add error paths no test runs.
 */
#ifndef KVMTUNE_UTIL_XALLOC_H
#define KVMTUNE_UTIL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow an array of nmemb elements of size bytes, checking for overflow. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a newly allocated string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
