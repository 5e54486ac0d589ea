/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Base64 (RFC 4648, with padding) for byte-exact copies of files kept in
 * JSON documents: JSON strings cannot carry every byte sequence.
 */
#ifndef KVMTUNE_UTIL_BASE64_H
#define KVMTUNE_UTIL_BASE64_H

#include <stddef.h>

/* Encode len bytes of data; returns a NUL-terminated string (caller frees). */
char *base64_encode(const void *data, size_t len);

/*
 * Decode text (NUL-terminated, no whitespace) into a buffer with a NUL after
 * the last byte (caller frees); *ret_len gets the byte count.  -EINVAL for
 * a character outside the alphabet, a length that is not a multiple of 4,
 * padding anywhere but at the end, or non-zero bits under the padding.
 */
int base64_decode(const char *text, char **ret, size_t *ret_len);

#endif
