/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scope-bound cleanup helpers built on __attribute__((cleanup)).  The only
 * place the attribute is spelled out; everything else uses these macros.
 */
#ifndef KVMTUNE_UTIL_CLEANUP_H
#define KVMTUNE_UTIL_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_free(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_close(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}

static inline void cleanup_fclose(FILE **f)
{
	if (*f)
		(void)fclose(*f);
}

static inline void cleanup_closedir(DIR **d)
{
	if (*d)
		(void)closedir(*d);
}

#define AUTOFREE __attribute__((cleanup(cleanup_free)))
#define AUTOCLOSE __attribute__((cleanup(cleanup_close)))
#define AUTOFCLOSE __attribute__((cleanup(cleanup_fclose)))
#define AUTOCLOSEDIR __attribute__((cleanup(cleanup_closedir)))

/*
 * AUTO(type_free) declares a pointer that is passed to type_free() when it
 * goes out of scope.  type_free must accept NULL.
 */
#define CLEANUP_FUNC_DEFINE(fn)                  \
	static inline void fn##_autoptr(void *p) \
	{                                        \
		fn(*(void **)p);                 \
	}
#define AUTO(fn) __attribute__((cleanup(fn##_autoptr)))

/* Hand ownership of a pointer or fd out of an AUTO* variable. */
static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *r = *p;

	*p = NULL;
	return r;
}
#define STEAL_PTR(p) steal_ptr(&(p))

static inline int steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}
#define STEAL_FD(fd) steal_fd(&(fd))

#endif
