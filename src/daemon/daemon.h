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
struct host_model;

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

/*
 * What the last tick read of a VM: its CPU time (to rate its use), and its
 * reading of numa_maps and its threads.  Reading a large VM's numa_maps walks
 * its page tables (the most CPU a tick spends), so a settled or pinned VM's
 * is re-used until its size, its CPUs or memory nodes change, it is moved, or
 * rescan_s has passed.  Kept only when the process's start is known.
 */
struct dm_vm_cache {
	int64_t start_ticks; /* stat field 22: a reused PID is another process */
	int64_t cpu_ticks;   /* utime + stime (clock ticks) at cpu_at_us */
	uint64_t cpu_at_us;  /* this tick (0: not read) */
	uint64_t at_us;	     /* when numa_maps was read */
	uint64_t kib;	     /* its resident plus hugetlb KiB then */
	size_t nnodes;	     /* the planner host's nodes then (node_kib's length) */
	struct rc_vm v;	     /* as read, before any decision */
};

/* A VM the daemon moved (or tried to): when, and how long it is left alone after. */
struct dm_moved {
	int pid;
	uint64_t at_us;
	uint64_t hold_us; /* cooldown_s, or longer while its target pool backs off */
	char why[200];	  /* why it is held longer ("": the cooldown) */
	int held_node;	  /* with why: the target pool it waits for */
	uint64_t held_page_kib;
};

/*
 * A target pool that grew short (the kernel found no free contiguous
 * memory): the next grow of it waits, twice as long after each short grow
 * (cooldown_s, 2 x, 4 x ... up to DM_BACKOFF_MAX_S), and is tried at once
 * when the node's free memory rose by what the grow needed or its pool grew.
 */
#define DM_BACKOFF_MAX_S 3600
#define DM_BACKOFF_MAX 16
struct dm_backoff {
	int node;
	uint64_t page_kib;
	unsigned shorts;    /* short grows in a row */
	uint64_t until_us;  /* no grow before */
	int64_t free_kib;   /* the node's free memory at the last short grow */
	int64_t pool_pages; /* its pool then */
	uint64_t need_kib;  /* what that grow needed */
	char why[160];	    /* the last short grow's reason */
};

/* How the daemon placed a VM's CPUs, for --status. */
enum dm_method {
	DM_METHOD_AFFINITY, /* sched_setaffinity on every thread */
	DM_METHOD_CGROUP,   /* its own cgroup's cpuset */
};
struct dm_placed {
	int pid;
	enum dm_method method;
	bool v1;	  /* DM_METHOD_CGROUP: cgroup v1's cpuset hierarchy, else v2 */
	char cgroup[512]; /* DM_METHOD_CGROUP: the unit's directory (host path, raw) */
};

/*
 * The system calls of a move, a seam for the unit tests (NULL in struct
 * daemon: the real ones).  Each returns 0 or -errno.
 */
struct dm_sys {
	struct mover_ops mover; /* move_pages(2) to a node, and the clock of the batches */
	/* move_pages(2) without nodes: where each page is, in status */
	int (*query)(void *ctx, int pid, size_t n, void *const *pages, int *status);
	/* sched_setaffinity(2) and sched_getaffinity(2); tid 0 is the daemon itself */
	int (*set_affinity)(void *ctx, int tid, size_t setsz, const cpu_set_t *set);
	int (*get_affinity)(void *ctx, int tid, size_t setsz, cpu_set_t *set);
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
	uint64_t *src_free; /* those nodes' free pages of that size before the move (-1: unknown) */
	size_t nsrc;
	int huge_job;	      /* index of the hugetlb job, -1 none */
	uint64_t grown_pages; /* the target pool grew by these for it (given back if unused) */
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
	size_t dropped; /* the oldest held advice left out of this answer (no room with it) */
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
	struct dm_backoff backoff[DM_BACKOFF_MAX];
	size_t nbackoff;
	struct dm_placed *placed; /* VMs whose CPUs it placed, while they run */
	size_t nplaced;
	const struct dm_sys *sys; /* NULL: the real system calls */
	void *sys_ctx;
	struct dm_action act;
	uint64_t *cpu_busy, *cpu_total; /* /proc/stat of the last tick, per CPU */
	size_t ncpu;
	struct dm_vm_cache *vcache; /* the VMs of the last tick (v.pid 0: none kept) */
	size_t nvcache;
	uint64_t maps_read, maps_reused; /* full readings, and readings re-used */
	/* report */
	struct dm_seen *seen;
	size_t nseen;
	char log[DM_LOG_LINES][320];
	size_t nlog;
	uint64_t ticks, moves, moved_kib, huge_pages_moved, pages_not_moved;
	uint64_t tick_cpu_us, move_cpu_us; /* CPU time in ticks (read, decide) and in moves */
	uint64_t ticks_after_move;	   /* of the ticks, those run at once when a move ended */
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
/* Forget the VMs' cached readings. */
void dm_vm_cache_release(struct dm_vm_cache *c, size_t n);
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
/* Leave pid alone for hold_us from now; its entry (why empty) for the caller to fill. */
struct dm_moved *dm_apply_hold(struct daemon *dm, int pid, uint64_t hold_us);
/* How pid's CPUs were placed by the daemon, or NULL. */
const struct dm_placed *dm_apply_placed(const struct daemon *dm, int pid);
/* Why pid is held beyond its cooldown ("" when it is not), or NULL when it is not held. */
const char *dm_apply_held_why(const struct daemon *dm, int pid);
/* Free what apply.c keeps (the move in progress is released, not abandoned). */
void dm_apply_release(struct daemon *dm);
/* Run the due batch of the move in progress; returns ms until the next, -1 when none. */
int dm_apply_step(struct daemon *dm);
/* End the move in progress (SIGTERM), after its last whole batch. */
void dm_apply_abandon(struct daemon *dm);

/* pool.c: the hugepage pools of a move */
/*
 * Grow the target node's pool by the move's grow_pages for v's hugetlb
 * pages.  0 when it grew; 1 when v stays where it is, held (dm_apply_hold)
 * and logged: the pool grew short and was put back, it backs off after
 * earlier short grows, or the grow was refused.
 */
int dm_pool_grow(struct daemon *dm, const struct rc_vm *v, const struct rc_move *m);
/* Change node's pool of size_kib by delta pages (a shrink: at most its free pages). */
int dm_pool_resize(struct daemon *dm, int node, uint64_t size_kib, int64_t delta, struct diag *d);
/*
 * A tick's look at the host: a pool backing off is tried again at once when
 * its node's free memory rose by what its grow needed or the pool grew (the
 * VMs held for it wait only their cooldown).
 */
void dm_pool_backoff_check(struct daemon *dm, const struct host_model *m);

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
 * When no node set has room beside every held advice, the oldest count no
 * longer, one by one (ret->dropped says how many).
 */
int dm_advise_on(const struct place_host *ph, unsigned ncpus, uint64_t mb,
		 const struct dm_advice *held, size_t nheld, struct dm_advice *ret, struct diag *d);
/* The answer as numad prints it ("0-1\n"). */
void dm_advice_text(const struct dm_advice *a, char *buf, size_t bufsz);
/* control.c: answer an advise request as the daemon (cached host, held advice). */
int dm_advise_daemon(struct daemon *dm, unsigned ncpus, uint64_t mb, char *ret, size_t retsz,
		     struct diag *d);

#endif
