/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Spawning QEMU, pinning its threads through QMP, waiting with signal forwarding. */
#include "run/run-launch.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/host.h"
#include "core/qmp-conn.h"
#include "run/run-place.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void run_signals_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		sigaddset(&set, forwarded_signals[i]);
	sigaddset(&set, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

/* Set tid's CPUs (0: the calling thread).  -errno. */
static int set_affinity(int tid, const struct cpuset *cpus)
{
	int last = cpuset_last(cpus), cpu;
	size_t size;
	cpu_set_t *set;
	int r;

	if (last < 0)
		return 0;
	set = CPU_ALLOC((size_t)last + 1);
	size = CPU_ALLOC_SIZE((size_t)last + 1);
	CPU_ZERO_S(size, set);
	cpuset_foreach (cpu, cpus)
		CPU_SET_S((size_t)cpu, size, set);
	r = sched_setaffinity(tid, size, set) < 0 ? -errno : 0;
	CPU_FREE(set);
	return r;
}

/* The child: QEMU's signal mask, death signal, emulator CPUs, exec; errno to err_fd. */
__attribute__((noreturn)) static void child_exec(const struct run_launch *l, const sigset_t *old,
						 int err_fd, pid_t parent)
{
	int e;

	(void)sigprocmask(SIG_SETMASK, old, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127); /* run died before the death signal was armed */
	if (l->pins)
		(void)set_affinity(0, &l->pins->emulator);
	execvp(l->argv[0], l->argv);
	e = errno;
	(void)!write(err_fd, &e, sizeof(e));
	_exit(127);
}

static int spawn(struct run_launch *l, const sigset_t *old, struct diag *d)
{
	AUTOCLOSE int rd = -1;
	AUTOCLOSE int wr = -1;
	int fds[2], e = 0;
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return diag_set(d, errno, "qemu", "pipe: %s", strerror(errno));
	rd = fds[0];
	wr = fds[1];
	pid = fork();
	if (pid < 0)
		return diag_set(d, errno, "qemu", "fork: %s", strerror(errno));
	if (pid == 0)
		child_exec(l, old, wr, parent);
	(void)close(STEAL_FD(wr));
	l->pid = pid;
	do
		n = read(rd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		(void)waitpid(pid, NULL, 0);
		l->pid = 0;
		return diag_set(d, e, l->argv[0], "cannot run '%s': %s", l->argv[0], strerror(e));
	}
	return 0;
}

static int child_alive(void *ctx)
{
	struct run_launch *l = ctx;
	int status;
	pid_t r = waitpid(l->pid, &status, WNOHANG);

	if (r == l->pid) {
		l->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		l->pid = -l->pid; /* reaped */
		return 0;
	}
	return 1;
}

static bool is_vcpu(const struct run_launch *l, int tid)
{
	for (size_t i = 0; i < l->vcpus.n; i++)
		if (l->vcpus.v[i].tid == tid)
			return true;
	return false;
}

/* Pin every vCPU thread to its CPUs and every other thread to the emulator's. */
static int pin_threads(struct host *h, struct run_launch *l, struct diag *d)
{
	AUTOFREE char *dir = xasprintf("/proc/%d/task", l->pid);
	char **names = NULL;
	int r;

	for (size_t i = 0; i < l->vcpus.n; i++) {
		const struct qmp_vcpu *v = &l->vcpus.v[i];

		if (v->index >= l->pins->nvcpus)
			return diag_set(d, EINVAL, "query-cpus-fast",
					"QEMU reports vCPU %u, but the VM was placed with %zu",
					v->index, l->pins->nvcpus);
		r = set_affinity(v->tid, &l->pins->vcpus[v->index]);
		if (r < 0)
			return diag_set(d, r, "sched_setaffinity",
					"pinning vCPU %u (thread %d): %s", v->index, v->tid,
					strerror(-r));
	}
	r = host_list(h, dir, &names, NULL, d);
	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		int tid;

		if (parse_int(*p, &tid) < 0 || is_vcpu(l, tid))
			continue;
		r = set_affinity(tid, &l->pins->emulator);
		if (r == -ESRCH)
			continue; /* the thread ended meanwhile */
		if (r < 0) {
			host_names_free(names);
			return diag_set(d, r, "sched_setaffinity", "pinning QEMU thread %d: %s",
					tid, strerror(-r));
		}
		l->emulator_threads++;
	}
	host_names_free(names);
	return 0;
}

static int talk(struct host *h, struct run_launch *l, struct diag *d)
{
	struct qmp_conn *c = NULL;
	struct json_object *v = NULL;
	int r;

	r = qmp_conn_connect(l->qmp_path, l->qmp_timeout_ms, child_alive, l, &c, d);
	if (r >= 0)
		r = qmp_conn_execute(c, "query-cpus-fast", NULL, l->qmp_timeout_ms, &v, d);
	if (r >= 0)
		r = qmp_parse_cpus_fast(v, &l->vcpus, d);
	if (r >= 0 && l->pins)
		r = pin_threads(h, l, d);
	if (r >= 0 && l->resume)
		r = qmp_conn_execute(c, "cont", NULL, l->qmp_timeout_ms, NULL, d);
	json_object_put(v);
	qmp_conn_free(c);
	return r;
}

int run_launch_start(struct host *h, struct run_launch *l, const sigset_t *old, struct diag *d)
{
	int r = spawn(l, old, d), status = 0;

	if (r < 0)
		return r;
	r = talk(h, l, d);
	if (r < 0 && (l->pid < 0 || child_alive(l) == 0))
		l->ended_early = true; /* it ended before or while QMP was talking */
	if (r < 0 && l->pid > 0) {
		(void)kill(l->pid, SIGKILL);
		while (waitpid(l->pid, &status, 0) < 0 && errno == EINTR)
			;
		l->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		l->pid = -l->pid;
	}
	return r;
}

int run_launch_wait(struct run_launch *l, struct diag *d)
{
	AUTOCLOSE int sfd = -1;
	sigset_t set;

	if (l->pid < 0)
		return 0; /* already reaped */
	(void)sigprocmask(SIG_BLOCK, NULL, &set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return diag_set(d, errno, "signalfd", "signalfd: %s", strerror(errno));
	while (child_alive(l)) {
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return diag_set(d, errno, "signalfd", "reading signals: %s",
					strerror(errno));
		if (si.ssi_signo == SIGCHLD)
			continue;
		l->forwarded = (int)si.ssi_signo;
		(void)kill(l->pid, (int)si.ssi_signo);
	}
	return 0;
}

void run_launch_release(struct run_launch *l)
{
	qmp_vcpus_release(&l->vcpus);
}
