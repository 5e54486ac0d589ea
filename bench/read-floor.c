/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * read-floor: the kernel's share of one 'kvmtune stat' sample.  Replays the
 * reads of one sample N times, as plainly as a program can, and prints the
 * mean wall time and CPU time (user + system) of one pass in microseconds:
 *
 *   read-floor N LISTFILE   ->   "wall_us cpu_us"
 *
 * LISTFILE has one entry a line, "f CALLS PATH" for a file (open, CALLS
 * read()s of up to 64 KiB, close) and "d CALLS PATH" for a directory (open,
 * CALLS getdents64() calls, close).  bench/stat takes them from strace of one
 * sample (the same files and the same number of calls, end-of-file reads
 * included), so a pass is what producing and copying exactly that sample's
 * data costs the kernel: numa_maps' page-table walk, task stats, path
 * lookups.  What a sample costs beyond it is kvmtune's own work ("the rest":
 * parsing, its other system calls, output).  A file that has gone (a process
 * exited) is skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct entry {
	char *path;
	int dir;
	long calls;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void read_one(const struct entry *e)
{
	static char buf[65536];
	int fd = open(e->path, O_RDONLY | O_CLOEXEC | (e->dir ? O_DIRECTORY : 0));

	if (fd < 0)
		return;
	for (long i = 0; i < e->calls; i++) {
		long n = e->dir ? syscall(SYS_getdents64, fd, buf, sizeof(buf))
				: (long)read(fd, buf, sizeof(buf));

		if (n <= 0)
			break;
	}
	close(fd);
}

static int load(const char *file, struct entry **ret, size_t *ret_n)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	size_t n = 0;

	if (!f) {
		fprintf(stderr, "read-floor: %s: %s\n", file, strerror(errno));
		return -1;
	}
	*ret = NULL;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");
		char *path;
		long calls;

		line[len] = '\0';
		if (len < 5 || (line[0] != 'f' && line[0] != 'd') || line[1] != ' ')
			continue;
		calls = strtol(line + 2, &path, 10);
		if (calls < 1 || *path != ' ')
			continue;
		*ret = realloc(*ret, (n + 1) * sizeof(**ret));
		if (!*ret)
			abort();
		(*ret)[n].path = strdup(path + 1);
		(*ret)[n].dir = line[0] == 'd';
		(*ret)[n].calls = calls;
		n++;
	}
	fclose(f);
	*ret_n = n;
	return 0;
}

int main(int argc, char **argv)
{
	struct entry *v;
	double w0, c0;
	size_t n;
	long passes;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: read-floor N LISTFILE\n");
		return 2;
	}
	passes = strtol(argv[1], &end, 10);
	if (*end || passes < 1) {
		fprintf(stderr, "read-floor: '%s': expected a count >= 1\n", argv[1]);
		return 2;
	}
	if (load(argv[2], &v, &n) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) /* warm up: dentries, page cache */
		read_one(&v[i]);
	w0 = now_us();
	c0 = cpu_us();
	for (long p = 0; p < passes; p++)
		for (size_t i = 0; i < n; i++)
			read_one(&v[i]);
	printf("%.1f %.1f\n", (now_us() - w0) / (double)passes, (cpu_us() - c0) / (double)passes);
	return 0;
}
