/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replays a fuzz target's corpus without libFuzzer (systemd's fuzz-main.c):
 * each argument is a file or a directory of files fed to
 * LLVMFuzzerTestOneInput once.  Prints TAP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, int *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f) {
		printf("not ok - cannot open %s\n", path);
		return 1;
	}
	(void)fseek(f, 0, SEEK_END);
	len = ftell(f);
	(void)fseek(f, 0, SEEK_SET);
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (!buf || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
		printf("not ok - cannot read %s\n", path);
		fclose(f);
		free(buf);
		return 1;
	}
	fclose(f);
	(void)LLVMFuzzerTestOneInput(buf, (size_t)(len > 0 ? len : 0));
	free(buf);
	printf("ok %d - %s\n", ++*n, path);
	return 0;
}

int main(int argc, char **argv)
{
	int fail = 0, n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **list;
		int count;

		if (stat(argv[i], &st) < 0) {
			printf("not ok - %s: missing\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			fail |= run_file(argv[i], &n);
			continue;
		}
		count = scandir(argv[i], &list, NULL, alphasort);
		for (int j = 0; j < count; j++) {
			char path[4096];

			if (list[j]->d_name[0] != '.') {
				(void)snprintf(path, sizeof(path), "%s/%s", argv[i],
					       list[j]->d_name);
				fail |= run_file(path, &n);
			}
			free(list[j]);
		}
		free(list);
	}
	/* Empty and tiny inputs always run too. */
	(void)LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	(void)LLVMFuzzerTestOneInput((const uint8_t *)"\0", 1);
	printf("1..%d\n", n);
	if (n == 0) {
		printf("not ok - empty corpus\n");
		return 1;
	}
	return fail;
}
