/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Functions that are easy to misuse.  Include this header last in every .c
 * file: a use of one of them becomes a compile error (as in git's banned.h).
 */
#ifndef KVMTUNE_UTIL_BANNED_H
#define KVMTUNE_UTIL_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef localtime
#define localtime(t) BANNED(localtime)

#endif
