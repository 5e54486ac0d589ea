/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between explain.c (matcher, evidence helpers) and explain-rules.c (the explanations). */
#ifndef KVMTUNE_CORE_EXPLAIN_INTERNAL_H
#define KVMTUNE_CORE_EXPLAIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/qemu-user.h"

struct finding;
struct findings;
struct host;
struct cpuset;
struct sbuf;

struct explain_ctx {
	struct host *h; /* may be NULL */
	bool have_model;
	struct host_model m;
	bool have_q;
	struct qemu_ident q;
	const char *text; /* the normalised log */
	struct findings *out;
	size_t first;	/* index of this call's first finding in out */
	size_t cur_pos; /* offset of the match being explained */
	size_t *pos;	/* offset of each explanation, to sort them in log order */
};

struct explain_rule;
typedef void (*explain_fn)(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			   const char *after);

struct explain_rule {
	const char *id;
	const char *anchor; /* literal text that starts (or marks) the message */
	explain_fn fn;	    /* at: the anchor in the text; after: just past it */
};

/* A new explanation (NULL when a duplicate or over EXPLAIN_MAX). */
struct finding *explain_add(struct explain_ctx *c, const char *id, const char *quote,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *explain_errno_at(const char *p);
char *explain_token(const char *p, const char *stop, size_t max);
char *explain_param(const char *text, const char *key);
/* The host nodes named in the log (host-nodes=), into ret; false when absent. */
bool explain_log_host_nodes(struct explain_ctx *c, struct cpuset *ret);
void explain_ev_pools(struct explain_ctx *c, struct finding *fd, uint64_t only_kib);
void explain_ev_mounts(struct explain_ctx *c, struct finding *fd);
void explain_ev_nodes(struct explain_ctx *c, struct finding *fd);
void explain_ev_cpu(struct explain_ctx *c, struct finding *fd);
void explain_nodes_text(struct explain_ctx *c, struct sbuf *sb, bool with_memory_only);
const struct hugetlbfs_mount *explain_mount_of(struct explain_ctx *c, const char *path);

void explain_backing_open(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			  const char *after);
void explain_map_enomem(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			const char *after);
void explain_prealloc(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		      const char *after);
void explain_no_mount(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		      const char *after);
void explain_memfd(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		   const char *after);
void explain_bind(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		  const char *after);
void explain_policy_nodes(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			  const char *after);
void explain_mpol(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		  const char *after);
void explain_cpuset_mems(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			 const char *after);
void explain_too_small(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		       const char *after);
void explain_lv_cell(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		     const char *after);
void explain_lv_unavailable(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			    const char *after);
void explain_lv_two_master(struct explain_ctx *c, const struct explain_rule *r, const char *at,
			   const char *after);
void explain_lv_simple(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		       const char *after);
void explain_lv_numad(struct explain_ctx *c, const struct explain_rule *r, const char *at,
		      const char *after);

#endif
