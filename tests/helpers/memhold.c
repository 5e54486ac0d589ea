/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memhold: hold memory of known kinds for the stat tests, print "ready PID"
 * on stdout once every page is touched, then sleep until killed.
 *   memhold [--spread] [--anon MIB] [--thp MIB] [--hugetlb-file PATH MIB]
 *           [--hugetlb-anon MIB] [--hugetlb-1g MIB] [--heap KIB] [--busy N [--stall-log PATH]]
 * --spread: the allocations after it are faulted interleaved over every node
 * (a task policy, reset afterwards: the mappings keep the default policy, as
 * when several prealloc threads on different nodes fault a VM's RAM).
 * --busy N: N threads keep reading the memory in a timing loop; the longest
 * gap between two iterations (a stall, e.g. while pages move) is written to
 * PATH every 200 ms as "stall_max_us N iterations N"; SIGUSR1 starts a new
 * window (the longest gap counts from then on).
 * A test helper, not part of kvmtune: it talks to the kernel directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

struct region {
	char *p;
	size_t len;
};
static struct region regions[16];
static size_t nregions;
static volatile unsigned long stall_max_us, iterations;
static volatile sig_atomic_t new_window;

static void on_usr1(int sig)
{
	(void)sig;
	new_window = 1;
}

static void keep(char *p, size_t len)
{
	if (nregions < sizeof(regions) / sizeof(regions[0]))
		regions[nregions++] = (struct region){p, len};
}

static void spread(int on)
{
	unsigned long mask = ~0UL;

	/* MPOL_INTERLEAVE = 3, MPOL_DEFAULT = 0: the kernel trims the mask to the online nodes */
	if (syscall(SYS_set_mempolicy, on ? 3 : 0, on ? &mask : NULL, on ? 64UL : 0UL) != 0)
		perror("memhold: set_mempolicy");
}

static unsigned long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000UL + (unsigned long)ts.tv_nsec / 1000UL;
}

/* Read 64 pages per iteration, round robin over the regions; note the longest gap. */
static void *busy(void *arg)
{
	unsigned long last = now_us(), sum = 0;
	size_t r = 0, off = (size_t)(uintptr_t)arg * 4096 * 64;

	for (;;) {
		struct region *g = &regions[r % nregions];
		unsigned long t;

		for (int k = 0; k < 64; k++)
			sum += (unsigned char)g->p[(off + (size_t)k * 4096) % g->len];
		off += 64 * 4096;
		if (off >= g->len) {
			off = 0;
			r++;
		}
		t = now_us();
		if (new_window) {
			new_window = 0;
			stall_max_us = 0;
			last = t;
		}
		if (t - last > stall_max_us)
			stall_max_us = t - last;
		last = t;
		iterations++;
		if (sum == 1)
			putchar(0); /* keeps the reads */
	}
	return NULL;
}

static void touch(char *p, size_t len, size_t step)
{
	for (size_t off = 0; off < len; off += step)
		p[off] = 1;
}

static void *map_or_die(size_t len, int prot, int flags, int fd, const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "memhold: mmap %s (%zu bytes): %s\n", what, len, strerror(errno));
		exit(1);
	}
	return p;
}

static size_t arg_size(const char *s, size_t unit)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || end == s) {
		fprintf(stderr, "memhold: bad size '%s'\n", s);
		exit(2);
	}
	return v * unit;
}

int main(int argc, char **argv)
{
	const char *stall_log = NULL;
	int nbusy = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--spread") == 0) {
			spread(1);
		} else if (strcmp(argv[i], "--busy") == 0 && i + 1 < argc) {
			nbusy = (int)arg_size(argv[++i], 1);
		} else if (strcmp(argv[i], "--stall-log") == 0 && i + 1 < argc) {
			stall_log = argv[++i];
		} else if (strcmp(argv[i], "--hugetlb-1g") == 0 && i + 1 < argc) {
			size_t len = arg_size(argv[++i], MIB);
			char *p = map_or_die(len, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (30 << 26),
					     -1, "hugetlb-1g");

			touch(p, len, 4096);
			keep(p, len);
		} else if (strcmp(argv[i], "--anon") == 0 && i + 1 < argc) {
			size_t len = arg_size(argv[++i], MIB);
			char *p = map_or_die(len, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, "anon");

			(void)madvise(p, len, MADV_NOHUGEPAGE);
			touch(p, len, 4096);
			keep(p, len);
		} else if (strcmp(argv[i], "--thp") == 0 && i + 1 < argc) {
			size_t len = arg_size(argv[++i], MIB);
			/* over-allocate to align on 2 MiB so that whole PMDs can be THPs */
			char *raw = map_or_die(len + 2 * MIB, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, "thp");
			char *p = (char *)(((unsigned long)raw + 2 * MIB - 1) & ~(2 * MIB - 1));

			(void)madvise(p, len, MADV_HUGEPAGE);
			touch(p, len, 4096);
			keep(p, len);
		} else if (strcmp(argv[i], "--heap") == 0 && i + 1 < argc) {
			size_t len = arg_size(argv[++i], 1024);
			char *p = sbrk((intptr_t)len);

			if (p == (void *)-1) {
				perror("memhold: sbrk");
				return 1;
			}
			touch(p, len, 4096);
		} else if (strcmp(argv[i], "--hugetlb-file") == 0 && i + 2 < argc) {
			const char *path = argv[++i];
			size_t len = arg_size(argv[++i], MIB);
			int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

			if (fd < 0) {
				fprintf(stderr, "memhold: %s: %s\n", path, strerror(errno));
				return 1;
			}
			char *p = map_or_die(len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, path);

			touch(p, len, 4096);
			close(fd);
		} else if (strcmp(argv[i], "--hugetlb-anon") == 0 && i + 1 < argc) {
			size_t len = arg_size(argv[++i], MIB);
			char *p = map_or_die(len, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1,
					     "hugetlb-anon");

			touch(p, len, 4096);
			keep(p, len);
		} else {
			fprintf(stderr,
				"usage: memhold [--spread] [--anon MIB] [--thp MIB] [--heap KIB] "
				"[--hugetlb-file PATH MIB] [--hugetlb-anon MIB] [--hugetlb-1g MIB] "
				"[--busy N [--stall-log PATH]]\n");
			return 2;
		}
	}
	spread(0);
	for (int t = 0; t < nbusy && nregions; t++) {
		pthread_t th;

		pthread_create(&th, NULL, busy, (void *)(uintptr_t)t);
	}
	signal(SIGUSR1, on_usr1);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		if (!nbusy || !stall_log) {
			pause();
			continue;
		}
		usleep(200000);
		FILE *f = fopen(stall_log, "w");

		if (f) {
			fprintf(f, "stall_max_us %lu iterations %lu\n", stall_max_us, iterations);
			fclose(f);
		}
	}
}
