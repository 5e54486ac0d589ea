/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sbuf: a growable string.
 *
 * Invariants (as in git's strbuf.h): buf is never NULL and always
 * NUL-terminated; len is the length without the NUL; alloc > len once any
 * byte was added.  An sbuf initialised with SBUF_INIT points at a shared empty
 * string and owns nothing until the first append.  sbuf_detach() hands the
 * buffer out and leaves the sbuf re-initialised.
 */
#ifndef KVMTUNE_UTIL_SBUF_H
#define KVMTUNE_UTIL_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char sbuf_empty_[1];
#define SBUF_INIT                 \
	{                         \
		0, 0, sbuf_empty_ \
	}

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
/* Ensure room for extra more bytes plus the NUL. */
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addc(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap);
/* Return the buffer (caller frees) and re-initialise sb. */
char *sbuf_detach(struct sbuf *sb, size_t *ret_len);

static inline void sbuf_cleanup(struct sbuf *sb)
{
	sbuf_release(sb);
}
#define AUTOSBUF __attribute__((cleanup(sbuf_cleanup)))

#endif
