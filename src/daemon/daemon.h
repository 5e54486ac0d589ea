/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's state, in one struct (no globals), and the functions its
 * files share: the event loop (loop.c), the control socket (control.c), the
 * tick's read and apply steps (tick.c, apply.c).  One thread; logs go to
 * stderr with sd-daemon "<N>" priority prefixes.
 */
#ifndef KVMTUNE_DAEMON_DAEMON_H
#define KVMTUNE_DAEMON_DAEMON_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/cpuset.h"
#include "daemon/config.h"
#include "daemon/ksm.h"
#include "daemon/mover.h"
#include "daemon/reconcile.h"
#include "place/host.h"

struct host;

#define DM_MAX_JOBS 4
#define DM_LOG_LINES 16

/* What the last tick saw of one VM, for --status. */
struct dm_seen {
	int pid;
	char name[RC_NAME_MAX + 1];
	uint64_t total_kib;
	uint64_t page_kib;
	unsigned local_pct; /* share on its best node set */
	enum rc_verdict verdict;
	char why[200];
};

/* A process's CPU time (utime + stime, clock ticks) when last read, to rate it. */
struct dm_cpu_sample {
	int pid;
	int64_t start_ticks; /* stat field 22: tells a reused PID apart */
	int64_t cpu_ticks;
	uint64_t at_us;
};

/* A VM the daemon moved: when, and the affinity it gave it. */
struct dm_moved {
	int pid;
	uint64_t at_us;
};

/* The move in progress: one job per page size, run one after another. */
struct dm_action {
	bool active;
	int pid;
	char name[RC_NAME_MAX + 1];
	int node;
	struct move_job jobs[DM_MAX_JOBS];
	size_t njobs, cur;
	uint64_t next_us; /* when the next batch is due */
	/* hugetlb pages taken per source node (to shrink those pools after) */
	uint64_t huge_kib;
	uint64_t *src_pages; /* per kernel node, for jobs[huge_job] */
	size_t nsrc;
	int huge_job; /* index of the hugetlb job, -1 none */
	char reason[256];
	/* placed through its cgroup cpuset: mems narrowed to these nodes when all moved */
	bool cgroup;
	struct cpuset cg_nodes;
	bool all_done; /* every job so far ran to its end (not vanished, short, failed) */
	size_t cg_moved, cg_left; /* pages moved and refused per page (busy) so far */
	/* the daemon's own CPUs before it moved beside the VM for the move */
	bool own_saved;
	cpu_set_t own_cpus;
};

/* Advice given for a VM about to start (numad -w), held until its memory shows. */
#define DM_ADVICE_MAX 16
#define DM_ADVICE_HOLD_S 60
struct dm_advice {
	unsigned ncpus;
	uint64_t kib, page_kib;
	struct cpuset nodes; /* kernel nodes */
	uint64_t at_us;
};

struct daemon {
	struct host *h;
	const char *config_path; /* NULL: DAEMON_CONFIG_PATH */
	const char *socket_arg;	 /* --socket: a filesystem path as given, not below the root */
	struct daemon_config cfg;
	bool force_dry_run; /* --dry-run, or a root other than "/" */
	int epfd, sigfd, timerfd, ctlfd;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int notify_fd;
	struct sockaddr_un notify_addr;
	socklen_t notify_len;
	uint64_t watchdog_us;
	bool stopping;
	uint64_t started_us;
	/* state */
	struct dm_moved *moved;
	size_t nmoved;
	struct dm_action act;
	uint64_t *cpu_busy, *cpu_total; /* /proc/stat of the last tick, per CPU */
	size_t ncpu;
	struct dm_cpu_sample *cpu_seen; /* each VM's CPU time at the last tick it was read */
	size_t ncpu_seen;
	/* report */
	struct dm_seen *seen;
	size_t nseen;
	char log[DM_LOG_LINES][320];
	size_t nlog;
	uint64_t ticks, moves, moved_kib, huge_pages_moved, pages_not_moved;
	uint64_t tick_cpu_us, move_cpu_us; /* CPU time in ticks (read, decide) and in moves */
	char last_error[320];
	/* the last tick's planner host (advice uses it while fresh) and the advice held */
	struct place_host last_ph;
	uint64_t last_ph_us; /* 0: none */
	struct dm_advice advice[DM_ADVICE_MAX];
	size_t nadvice;
	/* the KSM governor (ksm = yes) */
	struct ksm_setting ksm;
	bool ksm_set;
	uint64_t ksm_last_us;
};

bool dm_dry_run(const struct daemon *dm);
uint64_t dm_now_us(void);
/* The calling thread's CPU time (user and system), µs. */
uint64_t dm_thread_cpu_us(void);
/* The daemon's CPU time so far (every thread, user and system), µs. */
uint64_t dm_process_cpu_us(void);
/* Log a line on stderr with its priority ("<6>") and keep it for --status. */
void dm_log(struct daemon *dm, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* loop.c */
int dm_setup(struct daemon *dm);
int dm_run(struct daemon *dm);
void dm_teardown(struct daemon *dm);
void dm_notify(struct daemon *dm, const char *msg);

/* tick.c: read, decide, start the apply of one move */
void dm_tick(struct daemon *dm);

/* apply.c */
int dm_apply_start(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m);
/* Note that pid was moved now (its cooldown starts). */
void dm_apply_remember(struct daemon *dm, int pid);
/* Run the due batch of the move in progress; returns ms until the next, -1 when none. */
int dm_apply_step(struct daemon *dm);
/* End the move in progress (SIGTERM), after its last whole batch. */
void dm_apply_abandon(struct daemon *dm);

/* control.c */
int dm_control_open(struct daemon *dm);
void dm_control_serve(struct daemon *dm);
/* The status as text or JSON (caller frees). */
char *dm_status_text(const struct daemon *dm);
char *dm_status_json(const struct daemon *dm);
/*
 * Client side: send request to the daemon at path, the reply into *ret
 * (caller frees).  -errno (-ENOENT/-ECONNREFUSED: no daemon) on failure.
 */
int dm_control_request(const char *path, const char *request, char **ret, unsigned timeout_ms);

/* numad.c: numad's -w answer for ncpus and mb, from a fresh look at the host */
int dm_advise(struct host *h, const struct daemon_config *cfg, unsigned ncpus, uint64_t mb,
	      char *ret, size_t retsz, struct diag *d);
/*
 * The planner's host from a fresh look at the host (defined VMs and
 * reservations counted, keep_free applied); m and mem are filled too (the
 * caller releases them, also on error).
 */
int dm_place_host_load(struct host *h, const struct daemon_config *cfg, struct host_model *m,
		       struct hp_mem *mem, struct place_host *ret, struct diag *d);
/* The same when only the planner's host is wanted (advice). */
int dm_advise_host(struct host *h, const struct daemon_config *cfg, struct place_host *ret,
		   struct diag *d);
/*
 * The answer on ph with the resources of the held advice taken first (so that
 * VMs started back to back spread); ret gets the new advice (its at_us 0).
 */
int dm_advise_on(const struct place_host *ph, unsigned ncpus, uint64_t mb,
		 const struct dm_advice *held, size_t nheld, struct dm_advice *ret, struct diag *d);
/* The answer as numad prints it ("0-1\n"). */
void dm_advice_text(const struct dm_advice *a, char *buf, size_t bufsz);
/* control.c: answer an advise request as the daemon (cached host, held advice). */
int dm_advise_daemon(struct daemon *dm, unsigned ncpus, uint64_t mb, char *ret, size_t retsz,
		     struct diag *d);

#endif
