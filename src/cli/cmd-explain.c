/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmtune explain: QEMU/libvirt memory errors from a log, explained on this host. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/render.h"
#include "core/check.h"
#include "core/explain.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/escape.h"
#include "util/sbuf.h"

#include "util/banned.h"

/* Logs can be large: keep the tail, where the error is. */
#define EXPLAIN_KEEP_BYTES (16u << 20)

static void explain_usage(FILE *out)
{
	fprintf(out,
		"usage: kvmtune [--root DIR] explain [--json] [--user NAME] [FILE|-]\n\n"
		"Read a QEMU or libvirt log (a file, or standard input for '-' or no FILE) or a\n"
		"pasted error, and for every hugepage or NUMA memory error it recognises print\n"
		"the cause on this host, with evidence read now (pools, mounts, permissions,\n"
		"nodes), and the fix.  Only the last 16 MiB of a larger log are read.\n\n"
		"  --user NAME  QEMU ran as NAME (default: user/group of /etc/libvirt/qemu.conf,\n"
		"               or Debian's libvirt-qemu:kvm)\n\n"
		"Exit codes: 0 errors explained, 1 nothing recognised, 2 bad usage or unreadable\n"
		"input.\n");
}

/* Read fd to the end, keeping at most the last EXPLAIN_KEEP_BYTES. */
static int read_tail(int fd, struct sbuf *sb, bool *ret_cut)
{
	char chunk[65536];

	*ret_cut = false;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		sbuf_add(sb, chunk, (size_t)n);
		if (sb->len > 2 * (size_t)EXPLAIN_KEEP_BYTES) {
			size_t drop = sb->len - EXPLAIN_KEEP_BYTES;

			memmove(sb->buf, sb->buf + drop, EXPLAIN_KEEP_BYTES);
			sb->len = EXPLAIN_KEEP_BYTES;
			sb->buf[sb->len] = '\0';
			*ret_cut = true;
		}
	}
}

static void print_block(const char *label, const char *raw)
{
	AUTOFREE char *text = str_term_safe(raw);
	const char *p = text;

	printf("  %s ", label);
	while (*p) {
		size_t len = strcspn(p, "\n");

		printf("%.*s\n", (int)len, p);
		p += len;
		if (*p == '\n') {
			p++;
			printf("  %*s ", (int)strlen(label), "");
		}
	}
}

static void render_text(const struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *fd = &f->items[i];

		AUTOFREE char *quote = str_term_safe(fd->quote);

		printf("%s[%s] %s\n", i ? "\n" : "", fd->id, quote);
		print_block("cause:", fd->message);
		for (size_t j = 0; j < fd->nevidence; j++) {
			render_evidence_text("  ", fd->evidence[j].file, fd->evidence[j].value);
		}
		if (fd->fix)
			print_block("fix:", fd->fix);
	}
}

static struct json_object *render_json(const struct findings *f)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < f->n; i++) {
		const struct finding *fd = &f->items[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(fd->id));
		json_object_object_add(o, "error", json_object_new_string(fd->quote));
		json_object_object_add(o, "cause", json_object_new_string(fd->message));
		render_finding_tail(o, fd);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "explanations", arr);
	return root;
}

int cmd_explain(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"user", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct explain_opts eo = {0};
	struct findings f = {0};
	struct sbuf sb = SBUF_INIT;
	const char *name = "-";
	struct host *h = NULL;
	AUTOCLOSE int fd = -1;
	bool cut;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "hu:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			c->json = true;
			break;
		case 'u':
			eo.user = optarg;
			break;
		case 'h':
			explain_usage(stdout);
			return EXIT_OK;
		default:
			explain_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		cli_error("explain takes one FILE (or '-'), got %d arguments", argc - optind);
		return EXIT_USAGE;
	}
	if (optind < argc)
		name = argv[optind];
	if (strcmp(name, "-") != 0) {
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cli_error("cannot open '%s': %s", name, strerror(errno));
			return EXIT_USAGE;
		}
	}
	r = read_tail(fd >= 0 ? fd : STDIN_FILENO, &sb, &cut);
	if (r < 0) {
		cli_error("cannot read '%s': %s", name, strerror(-r));
		sbuf_release(&sb);
		return EXIT_USAGE;
	}
	if (cut)
		cli_error("'%s' is larger than %u MiB: only its last %u MiB were read", name,
			  EXPLAIN_KEEP_BYTES >> 20, EXPLAIN_KEEP_BYTES >> 20);
	/* A host that cannot be read still gets explanations, without evidence. */
	if (cli_host(c, &h, NULL) < 0)
		h = NULL;
	r = explain_text(h, &eo, sb.buf, sb.len, &f, NULL);
	if (c->json)
		render_json_print(render_json(&f), stdout);
	else if (r > 0)
		render_text(&f);
	if (r == 0 && !c->json)
		printf("no QEMU or libvirt memory error recognised in '%s'%s\n",
		       strcmp(name, "-") ? name : "standard input", sb.len ? "" : " (it is empty)");
	findings_release(&f);
	sbuf_release(&sb);
	return r > 0 ? EXIT_OK : EXIT_FAILED;
}
