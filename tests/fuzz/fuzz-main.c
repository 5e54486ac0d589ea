/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay main for libFuzzer targets (as systemd's fuzz-main.c): runs
 * LLVMFuzzerTestOneInput over every file named on the command line, or every
 * file in a named directory, so the corpus runs in the normal test suite.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	struct sbuf sb = SBUF_INIT;
	char chunk[65536];
	FILE *f = fopen(path, "rbe");
	size_t n;

	if (!f) {
		fprintf(stderr, "fuzz-main: cannot open '%s': %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sbuf_add(&sb, chunk, n);
	(void)fclose(f);
	(void)LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len);
	printf("ok %s (%zu bytes)\n", path, sb.len);
	sbuf_release(&sb);
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return run_file(path);
	d = opendir(path);
	if (!d)
		return 1;
	while ((e = readdir(d)) != NULL) {
		char *sub;

		if (e->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", path, e->d_name);
		r |= run_path(sub);
		free(sub);
	}
	(void)closedir(d);
	return r;
}

int main(int argc, char **argv)
{
	int r = 0;

	for (int i = 1; i < argc; i++)
		r |= run_path(argv[i]);
	return r;
}
