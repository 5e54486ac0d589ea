/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared pieces of the 'kvmtune hugepages' verbs (cmd-hugepages*.c): model
 * loading, progress lines, and the plan/result views.
 */
#ifndef KVMTUNE_CLI_CMD_HUGEPAGES_H
#define KVMTUNE_CLI_CMD_HUGEPAGES_H

#include <stdint.h>

struct cli;
struct host;
struct host_model;
struct hp_change;
struct hp_mem;
struct hp_plan;
struct hp_result;
struct journal_entry;
struct json_object;

/* How long a writer waits for another kvmtune that holds the pools' lock. */
#define HP_CLI_LOCK_WAIT_MS 60000
/*
 * Take the "hugepages" lock (host_lock) that every writer of pools and
 * reservation records holds around read -> decide -> apply, so concurrent
 * invocations never lose an update; not taken for --dry-run.  *ret_fd gets
 * the lock (close it to release).  Prints errors; returns an exit code.
 */
int hp_cli_lock(struct cli *c, int *ret_fd);
/* Open the host and load its model; prints errors; returns an exit code. */
int hp_cli_load_model(struct cli *c, struct host **ret_h, struct host_model *m);
/* hp_progress_fn for hugepages_apply(): userdata is the struct cli. */
void hp_cli_progress(void *userdata, const struct hp_change *ch, int64_t got, const char *what);
/* The plan (res NULL: a dry run) with the results, as a JSON object. */
struct json_object *hp_cli_plan_json(const struct hp_plan *p, const struct hp_result *res,
				     const char *result);
/* The dry-run view: each file, old -> new, reason; mem NULL omits the keep-free line. */
void hp_cli_plan_text(const struct hp_plan *p, const struct hp_mem *mem, int64_t keep_free_kib);
/* The per-pool table of before/asked/got/status, problems, next steps and result. */
void hp_cli_result_text(const struct hp_plan *p, const struct hp_result *res, const char *result);

/*
 * Record je in the undo journal.  When that fails, prints why and returns
 * -errno: the caller puts the change back (kvmtune makes no change undo
 * cannot revert).  *ret_id gets the entry's id (0: nothing changed).
 */
int hp_cli_record(struct cli *c, struct host *h, struct journal_entry *je,
		  unsigned long long *ret_id);

int cmd_hugepages_reserve(struct cli *c, int argc, char **argv);
int cmd_hugepages_release(struct cli *c, int argc, char **argv);
int cmd_hugepages_persist(struct cli *c, int argc, char **argv);
int cmd_hugepages_mount(struct cli *c, int argc, char **argv);

#endif
