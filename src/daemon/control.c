/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket: AF_UNIX stream, one request line per connection
 * ("status", "status json", "advise NCPUS MB"), one reply, closed.  Only
 * root may ask (SO_PEERCRED); anyone else gets a refusal and a log line.
 * The client side is here too (--status, 'kvmtune numad').
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/host.h"
#include "daemon/daemon.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* The most a client's request may take to arrive, and connections served per wake-up. */
#define CONTROL_READ_MS 200
#define CONTROL_BATCH 16

static int fill_addr(const char *path, struct sockaddr_un *a)
{
	size_t len = strlen(path);

	if (len >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, path, len);
	return 0;
}

/* Whether a daemon answers at path (a stale socket file does not). */
static bool socket_alive(const char *path)
{
	struct sockaddr_un a;
	AUTOCLOSE int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && fill_addr(path, &a) == 0 &&
	       connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

int dm_control_open(struct daemon *dm)
{
	const char *root = host_root(dm->h);
	struct sockaddr_un a;
	struct diag d = {0};
	char dir[sizeof(dm->sock_path)];
	char *slash;
	mode_t old;
	int r;

	snprintf(dir, sizeof(dir), "%s", dm->cfg.socket_path);
	slash = strrchr(dir, '/');
	if (dm->socket_arg) {
		if ((size_t)snprintf(dm->sock_path, sizeof(dm->sock_path), "%s", dm->socket_arg) >=
		    sizeof(dm->sock_path))
			return -ENAMETOOLONG;
	} else if (slash && slash != dir) {
		*slash = '\0';
		r = host_mkdir_p(dm->h, dir, 0755, &d);
		if (r < 0) {
			dm_log(dm, 3, "control socket directory: %s", d.msg);
			return r;
		}
	}
	if (!dm->socket_arg && (size_t)snprintf(dm->sock_path, sizeof(dm->sock_path), "%s%s",
						strcmp(root, "/") == 0 ? "" : root,
						dm->cfg.socket_path) >= sizeof(dm->sock_path)) {
		dm_log(dm, 3, "control socket path too long below %s", root);
		return -ENAMETOOLONG;
	}
	if (socket_alive(dm->sock_path)) {
		dm_log(dm, 3, "another daemon answers on %s", dm->sock_path);
		dm->sock_path[0] = '\0'; /* not ours to remove */
		return -EADDRINUSE;
	}
	(void)unlink(dm->sock_path); /* a stale socket */
	dm->ctlfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (dm->ctlfd < 0 || fill_addr(dm->sock_path, &a) < 0)
		return -errno;
	old = umask(0177); /* the socket is born 0600 */
	r = bind(dm->ctlfd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(dm->ctlfd, 16) < 0) {
		r = -errno;
		dm_log(dm, 3, "control socket %s: %s", dm->sock_path, strerror(-r));
		dm->sock_path[0] = '\0';
		return r;
	}
	return 0;
}

static void reply(int fd, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {fd, POLLOUT, 0};

			if (poll(&p, 1, 500) <= 0)
				return;
			continue;
		}
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/*
 * Read one request line within CONTROL_READ_MS in all: a client that never
 * writes, or drips a byte at a time, costs the loop that long and no more.
 */
static bool read_request(int fd, char *buf, size_t bufsz)
{
	uint64_t end_us = dm_now_us() + CONTROL_READ_MS * 1000ULL;
	size_t off = 0;

	while (off + 1 < bufsz) {
		uint64_t now_us = dm_now_us();
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (now_us >= end_us || poll(&p, 1, (int)((end_us - now_us + 999) / 1000)) <= 0)
			return false;
		n = recv(fd, buf + off, bufsz - 1 - off, 0);
		if (n <= 0)
			break;
		off += (size_t)n;
		if (memchr(buf, '\n', off))
			break;
	}
	buf[off] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return off > 0;
}

int dm_advise_daemon(struct daemon *dm, unsigned ncpus, uint64_t mb, char *ret, size_t retsz,
		     struct diag *d)
{
	uint64_t now = dm_now_us(), fresh_us = (uint64_t)dm->cfg.interval_ms * 2000;
	struct dm_advice a = {.nodes = CPUSET_INIT};
	size_t keep = 0;
	int r = 0;

	/* the advice older than DM_ADVICE_HOLD_S: its VM's memory shows by now */
	for (size_t i = 0; i < dm->nadvice; i++) {
		if (now - dm->advice[i].at_us < (uint64_t)DM_ADVICE_HOLD_S * 1000000u)
			dm->advice[keep++] = dm->advice[i];
		else
			cpuset_release(&dm->advice[i].nodes);
	}
	dm->nadvice = keep;
	/* the last tick's host while fresh (a tick is skipped while a move runs) */
	if (fresh_us < 10000000)
		fresh_us = 10000000;
	if (!dm->last_ph_us || now - dm->last_ph_us > fresh_us) {
		struct place_host ph = {0};

		r = dm_advise_host(dm->h, &dm->cfg, &ph, d);
		if (r < 0)
			return r;
		place_host_release(&dm->last_ph);
		dm->last_ph = ph;
		dm->last_ph_us = now;
	}
	r = dm_advise_on(&dm->last_ph, ncpus, mb, dm->advice, dm->nadvice, &a, d);
	if (r < 0) {
		cpuset_release(&a.nodes);
		return r;
	}
	dm_advice_text(&a, ret, retsz);
	if (a.dropped) { /* no room beside them: their VMs did not start, or not as told */
		dm_log(dm, 6,
		       "advice: the %zu oldest answers held no longer count (no room beside them)",
		       a.dropped);
		for (size_t i = 0; i < a.dropped; i++)
			cpuset_release(&dm->advice[i].nodes);
		memmove(dm->advice, dm->advice + a.dropped,
			sizeof(dm->advice[0]) * (dm->nadvice - a.dropped));
		dm->nadvice -= a.dropped;
	}
	if (dm->nadvice == DM_ADVICE_MAX) { /* the oldest goes */
		cpuset_release(&dm->advice[0].nodes);
		memmove(dm->advice, dm->advice + 1, sizeof(dm->advice[0]) * (DM_ADVICE_MAX - 1));
		dm->nadvice--;
	}
	a.at_us = now;
	dm->advice[dm->nadvice++] = a;
	return 0;
}

static void answer(struct daemon *dm, int fd, const char *req)
{
	AUTOFREE char *out = NULL;
	char cpus[16], mb[32], text[256], extra;
	struct diag d = {0};
	uint32_t n;
	uint64_t m;

	if (strcmp(req, "status") == 0) {
		out = dm_status_text(dm);
	} else if (strcmp(req, "status json") == 0) {
		out = dm_status_json(dm);
	} else if (sscanf(req, "advise %15s %31s %c", cpus, mb, &extra) == 2 &&
		   parse_u32(cpus, &n) == 0 && parse_u64(mb, &m) == 0 && m < (1ULL << 40)) {
		if (dm_advise_daemon(dm, n, m, text, sizeof(text), &d) < 0)
			snprintf(text, sizeof(text), "error: %s", d.msg);
		out = xstrdup(text);
		dm_log(dm, 6, "advice for %u CPUs, %llu MB: %.*s", n, (unsigned long long)m,
		       (int)strcspn(text, "\n"), text);
	} else {
		out = xstrdup("error: unknown request (status, status json, advise NCPUS MB)\n");
	}
	reply(fd, out);
}

void dm_control_serve(struct daemon *dm)
{
	/* a batch, then back to the loop (epoll wakes it again): clients cannot hold off ticks */
	for (unsigned served = 0; served < CONTROL_BATCH; served++) {
		AUTOCLOSE int fd = accept4(dm->ctlfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cred;
		socklen_t len = sizeof(cred);
		char req[256];

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0) {
			dm_log(dm, 4, "control request from uid %d (pid %d) refused: root only",
			       len == sizeof(cred) ? (int)cred.uid : -1,
			       len == sizeof(cred) ? (int)cred.pid : -1);
			reply(fd,
			      "error: permission denied: the control socket answers root only\n");
			continue;
		}
		if (read_request(fd, req, sizeof(req)))
			answer(dm, fd, req);
	}
}

int dm_control_request(const char *path, const char *request, char **ret, unsigned timeout_ms)
{
	struct sockaddr_un a;
	AUTOCLOSE int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sbuf out = SBUF_INIT;
	char buf[4096];
	int r;

	if (fd < 0)
		return -errno;
	r = fill_addr(path, &a);
	if (r < 0)
		return r;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	/* a daemon that refuses us answers and closes at once: its answer is still there to read */
	if ((send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 ||
	     send(fd, "\n", 1, MSG_NOSIGNAL) < 0) &&
	    errno != EPIPE && errno != ECONNRESET)
		return -errno;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&p, 1, (int)timeout_ms) <= 0) {
			sbuf_release(&out);
			return -ETIMEDOUT;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		if (out.len + (size_t)n >
		    (1u << 20)) { /* a reply beyond 1 MiB is not the daemon's */
			sbuf_release(&out);
			return -EFBIG;
		}
		sbuf_add(&out, buf, (size_t)n);
	}
	*ret = sbuf_detach(&out, NULL);
	return 0;
}

/* The VM's why: the reason it is held when a move of it was given up (a pool grew short). */
static const char *seen_why(const struct daemon *dm, const struct dm_seen *v)
{
	const char *held = v->verdict == RC_COOLING || v->verdict == RC_MOVE
				   ? dm_apply_held_why(dm, v->pid)
				   : NULL;

	return held ? held : v->why;
}

/* Printable ASCII only: a cgroup path shown as it is (its "\\x2d" kept as systemd writes it). */
static bool plain_ascii(const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			return false;
	return true;
}

/* How the daemon placed the VM's CPUs: "affinity", "cgroup-v1", "cgroup-v2", or "-". */
static const char *placed_name(const struct dm_placed *p)
{
	if (!p)
		return "-";
	if (p->method == DM_METHOD_AFFINITY)
		return "affinity";
	return p->v1 ? "cgroup-v1" : "cgroup-v2";
}

char *dm_status_text(const struct daemon *dm)
{
	struct sbuf s = SBUF_INIT;
	char sz[32];
	size_t first;

	sbuf_addf(
		&s,
		"kvmtune daemon: %s, up %llu s, %llu ticks, %llu moves (%s moved, %llu hugepages), "
		"%llu pages not moved\n",
		dm_dry_run(dm) ? "dry run" : "acting",
		(unsigned long long)((dm_now_us() - dm->started_us) / 1000000),
		(unsigned long long)dm->ticks, (unsigned long long)dm->moves,
		format_size_kib(dm->moved_kib, sz, sizeof(sz)),
		(unsigned long long)dm->huge_pages_moved, (unsigned long long)dm->pages_not_moved);
	sbuf_addf(&s,
		  "CPU: %.1f s in all, %.1f s moving pages, %.1f s reading and deciding "
		  "(%llu VM readings, %llu re-used)\n",
		  (double)dm_process_cpu_us() / 1e6, (double)dm->move_cpu_us / 1e6,
		  (double)dm->tick_cpu_us / 1e6, (unsigned long long)dm->maps_read,
		  (unsigned long long)dm->maps_reused);
	if (dm->act.active)
		sbuf_addf(&s, "moving: pid %d (%s) to node %d: %s\n", dm->act.pid, dm->act.name,
			  dm->act.node, dm->act.reason);
	for (size_t i = 0; i < dm->nbackoff; i++) {
		const struct dm_backoff *b = &dm->backoff[i];
		uint64_t now = dm_now_us();
		char pg[16];

		sbuf_addf(
			&s,
			"backing off: node %d's %s pool grew short %u time%s, next grow in %llu s "
			"(or when its free memory rises): %s\n",
			b->node, format_pagesize(b->page_kib, pg, sizeof(pg)), b->shorts,
			b->shorts == 1 ? "" : "s",
			(unsigned long long)(b->until_us > now ? (b->until_us - now) / 1000000 : 0),
			b->why);
	}
	sbuf_addf(&s, "%-8s %-20s %10s %5s %6s  %-8s %-9s %s\n", "PID", "VM", "MEMORY", "PAGE",
		  "LOCAL", "STATE", "CPUS-BY", "WHY");
	for (size_t i = 0; i < dm->nseen; i++) {
		const struct dm_seen *v = &dm->seen[i];
		const struct dm_placed *p = dm_apply_placed(dm, v->pid);
		char pg[16];

		sbuf_addf(&s, "%-8d %-20s %10s %5s %5u%%  %-8s %-9s %s\n", v->pid, v->name,
			  format_size_kib(v->total_kib, sz, sizeof(sz)),
			  v->page_kib ? format_pagesize(v->page_kib, pg, sizeof(pg)) : "4K",
			  v->local_pct, rc_verdict_name(v->verdict), placed_name(p),
			  seen_why(dm, v));
		if (p && p->method == DM_METHOD_CGROUP) { /* escaped only when it must be */
			sbuf_addf(&s, "%-8s cgroup ", "");
			if (plain_ascii(p->cgroup))
				sbuf_addf(&s, "%s\n", p->cgroup);
			else {
				sbuf_add_escaped(&s, p->cgroup, sizeof(p->cgroup));
				sbuf_addf(&s, "\n");
			}
		}
	}
	first = dm->nlog > DM_LOG_LINES ? dm->nlog - DM_LOG_LINES : 0;
	if (dm->nlog)
		sbuf_addf(&s, "recent:\n");
	for (size_t i = first; i < dm->nlog; i++)
		sbuf_addf(&s, "  %s\n", dm->log[i % DM_LOG_LINES]);
	return sbuf_detach(&s, NULL);
}

static void jadd_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_uint64(v));
}

/* {"method": "cgroup", "cgroup": DIR, "cgroup_version": 2} or {"method": "affinity"}; null. */
static json_object *placed_json(const struct dm_placed *p)
{
	json_object *o;

	if (!p)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(
		o, "method",
		json_object_new_string(p->method == DM_METHOD_CGROUP ? "cgroup" : "affinity"));
	if (p->method == DM_METHOD_CGROUP) {
		json_object_object_add(o, "cgroup", json_object_new_string(p->cgroup));
		json_object_object_add(o, "cgroup_version", json_object_new_int(p->v1 ? 1 : 2));
	}
	return o;
}

/* The target pools whose grow waits after short grows. */
static json_object *backoff_json(const struct daemon *dm)
{
	json_object *arr = json_object_new_array();
	uint64_t now = dm_now_us();

	for (size_t i = 0; i < dm->nbackoff; i++) {
		const struct dm_backoff *b = &dm->backoff[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "node", json_object_new_int(b->node));
		jadd_u64(j, "page_kib", b->page_kib);
		jadd_u64(j, "short_grows", b->shorts);
		jadd_u64(j, "retry_in_s", b->until_us > now ? (b->until_us - now) / 1000000 : 0);
		json_object_object_add(j, "why", json_object_new_string(b->why));
		json_object_array_add(arr, j);
	}
	return arr;
}

char *dm_status_json(const struct daemon *dm)
{
	json_object *o = json_object_new_object(), *vms = json_object_new_array();
	json_object *log = json_object_new_array();
	char *out;

	json_object_object_add(o, "dry_run", json_object_new_boolean(dm_dry_run(dm)));
	jadd_u64(o, "uptime_s", (dm_now_us() - dm->started_us) / 1000000);
	jadd_u64(o, "ticks", dm->ticks);
	jadd_u64(o, "ticks_after_move", dm->ticks_after_move);
	jadd_u64(o, "moves", dm->moves);
	jadd_u64(o, "moved_kib", dm->moved_kib);
	jadd_u64(o, "hugepages_moved", dm->huge_pages_moved);
	jadd_u64(o, "pages_not_moved", dm->pages_not_moved);
	jadd_u64(o, "cpu_us", dm_process_cpu_us());
	jadd_u64(o, "cpu_moving_us", dm->move_cpu_us);
	jadd_u64(o, "cpu_ticks_us", dm->tick_cpu_us);
	jadd_u64(o, "maps_read", dm->maps_read);
	jadd_u64(o, "maps_reused", dm->maps_reused);
	if (dm->act.active) {
		json_object *a = json_object_new_object();

		json_object_object_add(a, "pid", json_object_new_int(dm->act.pid));
		json_object_object_add(a, "name", json_object_new_string(dm->act.name));
		json_object_object_add(a, "node", json_object_new_int(dm->act.node));
		json_object_object_add(a, "reason", json_object_new_string(dm->act.reason));
		json_object_object_add(o, "moving", a);
	}
	for (size_t i = 0; i < dm->nseen; i++) {
		const struct dm_seen *v = &dm->seen[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "pid", json_object_new_int(v->pid));
		json_object_object_add(j, "name", json_object_new_string(v->name));
		jadd_u64(j, "memory_kib", v->total_kib);
		jadd_u64(j, "page_kib", v->page_kib ? v->page_kib : 4);
		jadd_u64(j, "local_pct", v->local_pct);
		json_object_object_add(j, "state",
				       json_object_new_string(rc_verdict_name(v->verdict)));
		json_object_object_add(j, "why", json_object_new_string(seen_why(dm, v)));
		json_object_object_add(j, "placed", placed_json(dm_apply_placed(dm, v->pid)));
		json_object_array_add(vms, j);
	}
	json_object_object_add(o, "vms", vms);
	json_object_object_add(o, "backing_off", backoff_json(dm));
	for (size_t i = dm->nlog > DM_LOG_LINES ? dm->nlog - DM_LOG_LINES : 0; i < dm->nlog; i++)
		json_object_array_add(log, json_object_new_string(dm->log[i % DM_LOG_LINES]));
	json_object_object_add(o, "recent", log);
	out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
