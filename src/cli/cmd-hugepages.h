/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared pieces of the 'kvmtune hugepages' verbs (cmd-hugepages*.c): model
 * loading, progress lines, and the plan/result views.
 */
#ifndef KVMTUNE_CLI_CMD_HUGEPAGES_H
#define KVMTUNE_CLI_CMD_HUGEPAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cli;
struct host;
struct host_model;
struct hp_change;
struct hp_needs;
struct hp_txn_opts;
struct hp_txn_result;
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
/*
 * The plan with the results (res NULL: not applied, by a dry run or because
 * nothing needed changing), as a JSON object; "dry_run" is dry_run.
 */
struct json_object *hp_cli_plan_json(const struct hp_plan *p, const struct hp_result *res,
				     bool dry_run, const char *result);
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
/* The outcome of a reservation transaction: stale records, plan or results, the record. */
void hp_cli_txn_report(struct cli *c, const struct hp_txn_result *t, const char *owner,
		       const char *result);
/*
 * The exit code and result line of hp_txn_reserve's return r and result t:
 * 0 reserved, planned or already held; 2 refused (nothing changed); 3 a
 * shortfall or a failure after pools changed (put back); 1 a bad host file
 * or a failure that changed nothing.
 */
int hp_cli_reserve_outcome(int r, const struct hp_txn_result *t, bool dry_run,
			   const char **ret_result);
/*
 * Reserve needs for owner through hp_txn_reserve and report it (refusals
 * only print the error unless report_refusal).  Returns the exit code of
 * hp_cli_reserve_outcome.
 */
int hp_cli_reserve(struct cli *c, const char *owner, const struct hp_needs *needs,
		   const struct hp_txn_opts *o, bool report_refusal);
/* Release owners (and stale records with o->clean_stale) and report it; an exit code. */
int hp_cli_release(struct cli *c, char *const *owners, size_t nowners, const struct hp_txn_opts *o);

int cmd_hugepages_reserve(struct cli *c, int argc, char **argv);
int cmd_hugepages_release(struct cli *c, int argc, char **argv);
int cmd_hugepages_persist(struct cli *c, int argc, char **argv);
int cmd_hugepages_mount(struct cli *c, int argc, char **argv);

#endif
