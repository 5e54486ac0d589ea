/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'kvmtune daemon' (run, --status) and 'kvmtune numad -w': options, the
 * host, the configuration, then the event loop (loop.c) or one request.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/daemon-entry.h"
#include "core/host.h"
#include "daemon/daemon.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

static void daemon_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] [--dry-run] daemon [--foreground] [--config FILE]\n"
		"       kvmtune daemon --status [--json] [--config FILE] [--socket PATH]\n\n"
		"Keeps every VM's memory and vCPUs on the same NUMA node, hugepages included:\n"
		"each tick it finds the QEMU processes, decides with the planner which one VM\n"
		"to move where (never a pinned one, never below a node's keep-free memory),\n"
		"sets its CPU affinity, then moves its memory with move_pages in batches under\n"
		"a rate and a stall budget.  Logs to stderr; runs in the foreground always.\n\n"
		"  --foreground   run in the foreground (the default; for unit files)\n"
		"  --dry-run      decide and log, change nothing (also: --root other than /)\n"
		"  --config FILE  configuration below the root (default %s)\n"
		"  --socket PATH  control socket, a path as given (default: the configuration's,\n"
		"                 %s below the root)\n"
		"  --status       ask the running daemon what it sees and did\n"
		"  --json         with --status: JSON\n"
		"  --help         this text\n\n"
		"Exit codes: 0 ok (ended by SIGTERM), 1 failed, 2 bad usage or configuration.\n",
		DAEMON_CONFIG_PATH, DAEMON_SOCKET_PATH);
}

/* "kvmtune: " and a message that may quote a hostile file or argument, safe for a terminal. */
static void print_error(const char *prefix, const struct diag *d, int r, const char *suffix)
{
	AUTOFREE char *safe = str_term_safe(d->msg[0] ? d->msg : strerror(-r));

	fprintf(stderr, "kvmtune: %s%s%s\n", prefix, safe, suffix);
}

static int open_host(const struct daemon_entry *e, struct host **h)
{
	struct diag d = {0};
	int r = host_open(e->root, h, &d);

	if (r < 0)
		print_error("", &d, r, "");
	return r;
}

/* The socket's filesystem path: --socket as given, else the configuration's below the root. */
static void socket_path(const struct daemon_entry *e, const struct daemon_config *c,
			const char *given, char *buf, size_t bufsz)
{
	if (given)
		snprintf(buf, bufsz, "%s", given);
	else
		snprintf(buf, bufsz, "%s%s", e->root && strcmp(e->root, "/") != 0 ? e->root : "",
			 c->socket_path);
}

/*
 * Print what answered on the socket: the socket is a path anyone may have
 * bound, so the text is escaped for the terminal and JSON must parse (and
 * leaves valid UTF-8, without controls) before it reaches stdout.
 */
static int print_answer(const char *path, const char *out, bool json)
{
	json_object *o;

	if (strncmp(out, "error:", 6) == 0 || !json) {
		AUTOFREE char *safe = str_term_safe(out);

		fputs(safe, stdout);
		if (safe[0] && safe[strlen(safe) - 1] != '\n')
			fputc('\n', stdout);
		return strncmp(out, "error:", 6) == 0 ? 1 : 0;
	}
	o = json_tokener_parse(out);
	if (!json_object_is_type(o, json_type_object)) {
		AUTOFREE char *where = str_escape(path, 200);

		json_object_put(o);
		fprintf(stderr, "kvmtune: the answer on %s is not the daemon's JSON status\n",
			where);
		return 1;
	}
	AUTOFREE char *safe = str_json_safe(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	fputs(safe, stdout);
	fputc('\n', stdout);
	return 0;
}

static int ask_status(const struct daemon_entry *e, const struct daemon_config *c, const char *sock,
		      bool json)
{
	char path[256];
	AUTOFREE char *out = NULL;
	int r;

	socket_path(e, c, sock, path, sizeof(path));
	r = dm_control_request(path, json ? "status json" : "status", &out, 5000);
	if (r < 0) {
		AUTOFREE char *where = str_escape(path, 200);

		fprintf(stderr, "kvmtune: no daemon answers on %s: %s\n", where, strerror(-r));
		return 1;
	}
	return print_answer(path, out, json);
}

int daemon_cmd_main(const struct daemon_entry *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},	  {"dry-run", no_argument, NULL, 'n'},
		{"config", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
		{"status", no_argument, NULL, 'S'},	  {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	struct daemon dm = {.epfd = -1, .sigfd = -1, .timerfd = -1, .ctlfd = -1, .notify_fd = -1};
	const char *sock = NULL;
	bool status = false, json = e->json;
	struct diag d = {0};
	int opt, r;

	dm.force_dry_run = e->dry_run;
	dm.act.huge_job = -1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			break;
		case 'n':
			dm.force_dry_run = true;
			break;
		case 'c':
			dm.config_path = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'S':
			status = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			daemon_usage(stdout);
			return 0;
		default:
			daemon_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kvmtune: daemon takes no arguments, got '%s'\n", argv[optind]);
		return 2;
	}
	if (json && !status) {
		fprintf(stderr, "kvmtune: daemon: --json goes with --status (the log is text)\n");
		return 2;
	}
	if (open_host(e, &dm.h) < 0)
		return 1;
	r = daemon_config_load(dm.h, dm.config_path, &dm.cfg, &d);
	if (r < 0 && status) { /* the running daemon still answers: find its socket */
		print_error("warning: ", &d, r, "; using the default socket path");
		daemon_config_defaults(&dm.cfg);
		r = 0;
	}
	if (r < 0) {
		print_error("", &d, r, "");
		host_free(dm.h);
		return r == -EINVAL || r == -ENOENT ? 2 : 1;
	}
	dm.socket_arg = sock;
	if (status) {
		r = ask_status(e, &dm.cfg, sock, json);
		host_free(dm.h);
		return r;
	}
	if (!host_is_live(dm.h))
		dm.force_dry_run = true; /* a captured tree is never acted on */
	r = dm_setup(&dm);
	if (r >= 0)
		r = dm_run(&dm);
	else
		fprintf(stderr, "kvmtune: daemon: setup failed: %s\n", strerror(-r));
	dm_teardown(&dm);
	dm_apply_abandon(&dm);
	dm_apply_release(&dm);
	free(dm.seen);
	free(dm.cpu_busy);
	free(dm.cpu_total);
	dm_vm_cache_release(dm.vcache, dm.nvcache);
	host_free(dm.h);
	return r < 0 ? 1 : 0;
}

static void numad_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune numad -w NCPUS[:MB]\n"
		"       numad -w NCPUS[:MB]        (the binary run under the name numad)\n\n"
		"Prints the NUMA node set for a VM of NCPUS vCPUs and MB of memory as numad\n"
		"does (\"1\", \"0-2\"), for libvirt's placement='auto'.  Hugepage-aware: when\n"
		"the default hugepage pools hold the memory, their free pages decide.  Asks the\n"
		"running daemon when there is one (it remembers its recent answers, so that\n"
		"VMs started back to back do not all land on one node), else decides itself.\n\n"
		"  -w NCPUS[:MB]  the VM's vCPUs and memory in MiB\n"
		"  --help         this text\n\n"
		"Other numad options are refused (exit 2): run 'kvmtune daemon' instead.\n");
}

static int parse_w(const char *arg, uint32_t *cpus, uint64_t *mb)
{
	AUTOFREE char *copy = xstrdup(arg);
	char *colon = strchr(copy, ':');

	*mb = 0;
	if (colon) {
		*colon = '\0';
		if (parse_u64(colon + 1, mb) < 0 || *mb > (1ULL << 40))
			return -EINVAL;
	}
	return parse_u32(copy, cpus) < 0 || *cpus == 0 || *cpus > 65536 ? -EINVAL : 0;
}

/* Whether a daemon's answer is a node list ("1", "0-2,4") and a newline: else it is ignored. */
static bool is_nodeset_line(const char *s)
{
	size_t n = strspn(s, "0123456789,-");

	return n > 0 && n < 200 && s[n] == '\n' && s[n + 1] == '\0' && isdigit((unsigned char)s[0]);
}

int numad_cmd_main(const struct daemon_entry *e, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct daemon_config cfg;
	const char *w = NULL;
	struct host *h = NULL;
	struct diag d = {0};
	char req[96], path[256], text[256];
	AUTOFREE char *out = NULL;
	uint32_t cpus;
	uint64_t mb;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
		if (opt == 'w') {
			w = optarg;
		} else if (opt == 'h') {
			numad_usage(stdout);
			return 0;
		} else {
			numad_usage(stderr);
			return 2;
		}
	}
	if (!w || optind < argc || parse_w(w, &cpus, &mb) < 0) {
		AUTOFREE char *got = w ? str_escape(w, 200) : NULL;

		fprintf(stderr, "kvmtune: numad: expected -w NCPUS[:MB] (e.g. -w 4:1024)%s%s\n",
			w ? ", got " : "", w ? got : "");
		return 2;
	}
	if (open_host(e, &h) < 0)
		return 1;
	r = daemon_config_load(h, NULL, &cfg, &d);
	if (r < 0)
		daemon_config_defaults(&cfg);
	socket_path(e, &cfg, NULL, path, sizeof(path));
	snprintf(req, sizeof(req), "advise %u %llu", cpus, (unsigned long long)mb);
	if (dm_control_request(path, req, &out, 1000) == 0 && is_nodeset_line(out)) {
		fputs(out, stdout);
		host_free(h);
		return 0;
	}
	r = dm_advise(h, &cfg, cpus, mb, text, sizeof(text), &d);
	host_free(h);
	if (r < 0) {
		print_error("numad: ", &d, r, "");
		return 1;
	}
	fputs(text, stdout);
	return 0;
}
