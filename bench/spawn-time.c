/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spawn-time: run a command N times and print its mean wall time and CPU time
 * (user + system of the child, from wait4) in microseconds, one line:
 *
 *   spawn-time N CMD [ARGS...]   ->   "wall_us cpu_us"
 *
 * With --each, one such line per run instead of the mean (for percentiles);
 * with --out FILE, the child's stdout is appended to FILE instead of going to
 * /dev/null (to check what it printed):
 *
 *   spawn-time [--each] [--out FILE] N CMD [ARGS...]
 *
 * The child is started with posix_spawn (vfork-like) and its stdout and stderr
 * go to /dev/null, so what is measured is the command itself: exec, dynamic
 * loading, its work, exit.  A Python subprocess.run adds about a millisecond
 * of its own to every run, which hides the differences bench/stat is after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double tv_us(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e6 + (double)tv->tv_usec;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	double wall = 0, cpu = 0;
	const char *out = "/dev/null";
	int each = 0;
	char *end;
	long n;

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (strcmp(argv[1], "--each") == 0) {
			each = 1;
		} else if (strcmp(argv[1], "--out") == 0 && argc > 2) {
			out = argv[2];
			argc--, argv++;
		} else {
			break;
		}
	}
	if (argc < 3) {
		fprintf(stderr, "usage: spawn-time [--each] [--out FILE] N CMD [ARGS...]\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (*end || n < 1) {
		fprintf(stderr, "spawn-time: '%s': expected a count >= 1\n", argv[1]);
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_APPEND | O_CREAT, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (long i = 0; i < n; i++) {
		struct rusage ru;
		double t0 = now_us();
		int status, r;
		pid_t pid;

		r = posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ);
		if (r != 0) {
			fprintf(stderr, "spawn-time: cannot run '%s': %s\n", argv[2], strerror(r));
			return 1;
		}
		if (wait4(pid, &status, 0, &ru) != pid) {
			fprintf(stderr, "spawn-time: wait4: %s\n", strerror(errno));
			return 1;
		}
		t0 = now_us() - t0;
		if (each)
			printf("%.1f %.1f\n", t0, tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime));
		wall += t0;
		cpu += tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "spawn-time: '%s' failed (status 0x%x)\n", argv[2], status);
			return 1;
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	if (!each)
		printf("%.1f %.1f\n", wall / (double)n, cpu / (double)n);
	return 0;
}
