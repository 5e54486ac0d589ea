/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Presentation of core data: JSON (json-c) and human text. */
#ifndef KVMTUNE_CLI_RENDER_H
#define KVMTUNE_CLI_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct host_model;
struct json_object;
struct pool;
struct finding;

/* The model as the documented status JSON object (caller puts it). */
struct json_object *render_model_json(const struct host_model *m);
/* One pool object; global pools carry reserved and overcommit. */
struct json_object *render_pool_json(const struct pool *p, int global);
/* The human status view. */
void render_model_text(const struct host_model *m, FILE *out);
/* Print obj pretty (2 spaces) and a newline; consumes obj. */
void render_json_print(struct json_object *obj, FILE *out);
/* The same on one line (JSON Lines: one document per sample of a watch). */
void render_json_print_line(struct json_object *obj, FILE *out);
/* A value that may be absent (-1) as JSON: number or null. */
struct json_object *render_opt_int(int64_t v);
/* A string that may be unknown ("" or NULL) as JSON: string or null. */
struct json_object *render_opt_string(const char *s);
/* A count that may be unknown (< 0) as text: the number in buf, or "unknown". */
const char *render_count(int64_t v, char *buf, size_t n);

/*
 * Text from a host file made safe to print into buf (str_escape: control
 * characters and backslashes escaped), cut to bufsz.  Returns buf.
 */
const char *render_esc(const char *s, char *buf, size_t bufsz);

/* Add a check/explain finding's "evidence" (file, value) array and "fix" to o. */
void render_finding_tail(struct json_object *o, const struct finding *fd);

/*
 * One evidence line of a finding on stdout, "INDENTevidence: 'FILE': VALUE"
 * (no file: "INDENTevidence: VALUE"), with control characters escaped: the
 * value quotes host files and logs.
 */
void render_evidence_text(const char *indent, const char *file, const char *value);

#endif
