/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event loop: epoll over a signalfd (TERM, INT, HUP), a timerfd (the
 * tick) and the control socket; a move in progress runs one batch per wake
 * with the wait the rate allows as epoll's timeout.  sd_notify by hand: a
 * datagram to $NOTIFY_SOCKET.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/host.h"
#include "daemon/daemon.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"

#include "util/banned.h"

bool dm_dry_run(const struct daemon *dm)
{
	return dm->force_dry_run || dm->cfg.dry_run;
}

uint64_t dm_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t dm_thread_cpu_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t dm_process_cpu_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void dm_log(struct daemon *dm, int prio, const char *fmt, ...)
{
	char *line = dm->log[dm->nlog % DM_LOG_LINES];
	char raw[sizeof(dm->log[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	dm->nlog++;
	/*
	 * Process names, configuration values and requests are quoted here:
	 * controls (C0, DEL, C1) and bytes that are not UTF-8 never reach the
	 * log, the status text or its JSON raw.
	 */
	AUTOFREE char *safe = str_escape(raw, sizeof(raw));
	size_t len = strlen(safe);

	if (len >= sizeof(dm->log[0])) { /* cut before a character, not inside one */
		len = sizeof(dm->log[0]) - 1;
		while (len > 0 && ((unsigned char)safe[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(line, safe, len);
	line[len] = '\0';
	fprintf(stderr, "<%d>%s\n", prio, line);
	if (prio <= 3)
		snprintf(dm->last_error, sizeof(dm->last_error), "%s", line);
}

static void notify_open(struct daemon *dm)
{
	const char *s = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	uint64_t us;
	size_t len;

	dm->notify_fd = -1;
	if (wd && parse_u64(wd, &us) == 0)
		dm->watchdog_us = us;
	if (!s || (s[0] != '/' && s[0] != '@'))
		return;
	len = strlen(s);
	if (len >= sizeof(dm->notify_addr.sun_path))
		return;
	dm->notify_addr.sun_family = AF_UNIX;
	memcpy(dm->notify_addr.sun_path, s, len);
	if (s[0] == '@')
		dm->notify_addr.sun_path[0] = '\0'; /* abstract namespace */
	dm->notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	dm->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

void dm_notify(struct daemon *dm, const char *msg)
{
	if (dm->notify_fd < 0)
		return;
	(void)sendto(dm->notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
		     (const struct sockaddr *)&dm->notify_addr, dm->notify_len);
}

static int arm_timer(struct daemon *dm)
{
	unsigned ms = dm->cfg.interval_ms;
	struct itimerspec it;

	if (dm->watchdog_us && (uint64_t)ms * 1000 > dm->watchdog_us / 2)
		ms = (unsigned)(dm->watchdog_us / 2000) ? (unsigned)(dm->watchdog_us / 2000) : 1;
	it.it_interval.tv_sec = ms / 1000;
	it.it_interval.tv_nsec = (long)(ms % 1000) * 1000000L;
	it.it_value.tv_sec = 0;
	it.it_value.tv_nsec = 1000000L; /* the first tick now */
	return timerfd_settime(dm->timerfd, 0, &it, NULL) < 0 ? -errno : 0;
}

static int watch(struct daemon *dm, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	return epoll_ctl(dm->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int dm_setup(struct daemon *dm)
{
	sigset_t mask;
	int r;

	dm->epfd = dm->sigfd = dm->timerfd = dm->ctlfd = -1;
	notify_open(dm);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	dm->epfd = epoll_create1(EPOLL_CLOEXEC);
	dm->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	dm->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (dm->epfd < 0 || dm->sigfd < 0 || dm->timerfd < 0)
		return -errno;
	r = dm_control_open(dm);
	if (r < 0)
		return r;
	if ((r = watch(dm, dm->sigfd)) < 0 || (r = watch(dm, dm->timerfd)) < 0 ||
	    (r = watch(dm, dm->ctlfd)) < 0 || (r = arm_timer(dm)) < 0)
		return r;
	dm->started_us = dm_now_us();
	return 0;
}

void dm_teardown(struct daemon *dm)
{
	int *fds[] = {&dm->epfd, &dm->sigfd, &dm->timerfd, &dm->ctlfd, &dm->notify_fd};

	if (dm->ctlfd >= 0 && dm->sock_path[0])
		(void)unlink(dm->sock_path);
	place_host_release(&dm->last_ph);
	dm->last_ph_us = 0;
	for (size_t i = 0; i < dm->nadvice; i++)
		cpuset_release(&dm->advice[i].nodes);
	dm->nadvice = 0;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0) {
			(void)close(*fds[i]);
			*fds[i] = -1;
		}
}

/* SIGHUP: the whole new file parsed before it replaces the running configuration. */
static void reload(struct daemon *dm)
{
	struct daemon_config c;
	struct diag d = {0};
	int r = daemon_config_load(dm->h, dm->config_path, &c, &d);

	if (r < 0) {
		dm_log(dm, 3, "reload refused, the running configuration stays: %s", d.msg);
		return;
	}
	if (strcmp(c.socket_path, dm->cfg.socket_path) != 0)
		dm_log(dm, 4, "reload: socket changes only at the next start");
	snprintf(c.socket_path, sizeof(c.socket_path), "%s", dm->cfg.socket_path);
	dm->cfg = c;
	(void)arm_timer(dm);
	dm_log(dm, 6, "configuration reloaded (interval %u ms, %s)", c.interval_ms,
	       dm_dry_run(dm) ? "dry run" : "acting");
}

static void on_signal(struct daemon *dm)
{
	struct signalfd_siginfo si;

	while (read(dm->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			dm_notify(dm, "RELOADING=1");
			reload(dm);
			dm_notify(dm, "READY=1");
		} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			dm_log(dm, 6, "signal %u: ending%s", si.ssi_signo,
			       dm->act.active ? " after the current batch" : "");
			dm->stopping = true;
		}
	}
}

int dm_run(struct daemon *dm)
{
	struct epoll_event ev[4];
	char msg[160];
	int timeout_ms = -1;

	dm_notify(dm, "READY=1\nSTATUS=started");
	dm_log(dm, 6, "started (%s, tick %u ms, control socket %s)",
	       dm_dry_run(dm) ? "dry run" : "acting", dm->cfg.interval_ms, dm->sock_path);
	while (!dm->stopping) {
		int n = epoll_wait(dm->epfd, ev, 4, timeout_ms);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !dm->stopping; i++) {
			if (ev[i].data.fd == dm->sigfd) {
				on_signal(dm);
			} else if (ev[i].data.fd == dm->timerfd) {
				uint64_t exp, t;

				while (read(dm->timerfd, &exp, sizeof(exp)) == (ssize_t)sizeof(exp))
					;
				t = dm_thread_cpu_us();
				dm_tick(dm);
				dm->tick_cpu_us += dm_thread_cpu_us() - t;
				snprintf(msg, sizeof(msg), "STATUS=%llu ticks, %llu moves%s",
					 (unsigned long long)dm->ticks,
					 (unsigned long long)dm->moves,
					 dm->act.active ? ", moving" : "");
				dm_notify(dm, msg);
				if (dm->watchdog_us)
					dm_notify(dm, "WATCHDOG=1");
			} else if (ev[i].data.fd == dm->ctlfd) {
				dm_control_serve(dm);
			}
		}
		timeout_ms = -1;
		if (dm->act.active && !dm->stopping) { /* the kernel's page copies count here */
			uint64_t t = dm_thread_cpu_us();

			timeout_ms = dm_apply_step(dm);
			dm->move_cpu_us += dm_thread_cpu_us() - t;
			if (!dm->act.active && !dm->stopping) {
				/* the move ended: the next one need not wait for the timer
				 * (moves chain; the timer paces the ticks of a settled host) */
				t = dm_thread_cpu_us();
				dm_tick(dm);
				dm->tick_cpu_us += dm_thread_cpu_us() - t;
				dm->ticks_after_move++;
				timeout_ms = dm->act.active ? 0 : -1;
			}
		}
	}
	if (dm->act.active)
		dm_apply_abandon(dm);
	dm_notify(dm, "STOPPING=1");
	dm_log(dm, 6, "stopped after %llu ticks, %llu moves", (unsigned long long)dm->ticks,
	       (unsigned long long)dm->moves);
	return 0;
}
