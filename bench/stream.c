/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench/stream: a STREAM-like triad (a = b + s * c over three arrays) for
 * bench/workload.  Allocates and first-touches MIB MiB, prints "ready PID",
 * runs the triad for SECONDS or until SIGTERM, and prints "mbps N" (bytes
 * moved / wall time, 10^6 bytes per second) and "passes N".
 *   stream MIB SECONDS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t mib, n;
	double secs, t0, t;
	double *a, *b, *c;
	unsigned long passes = 0;

	if (argc != 3 || (mib = strtoul(argv[1], NULL, 10)) < 3 || (secs = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: stream MIB SECONDS\n");
		return 2;
	}
	n = mib * 1024 * 1024 / 3 / sizeof(double);
	a = malloc(n * sizeof(double));
	b = malloc(n * sizeof(double));
	c = malloc(n * sizeof(double));
	if (!a || !b || !c)
		return 1;
	for (size_t i = 0; i < n; i++) {
		a[i] = 0;
		b[i] = 1;
		c[i] = 2;
	}
	signal(SIGTERM, on_term);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	t0 = now();
	do {
		for (size_t i = 0; i < n; i++)
			a[i] = b[i] + 3.0 * c[i];
		passes++;
		t = now();
	} while (t - t0 < secs && !stop);
	printf("mbps %.1f\npasses %lu\n",
	       (double)passes * 3 * (double)n * sizeof(double) / (t - t0) / 1e6, passes);
	return a[n / 2] == 7.0 ? 0 : 1;
}
