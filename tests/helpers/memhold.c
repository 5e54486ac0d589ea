/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memhold: hold memory of known kinds for the stat tests, print "ready PID"
 * on stdout once every page is touched, then sleep until killed.
 *   memhold [--anon MIB] [--thp MIB] [--hugetlb-file PATH MIB] [--hugetlb-anon MIB]
 *           [--heap KIB]
 * A test helper, not part of kvmtune: it talks to the kernel directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

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
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--anon") == 0 && i + 1 < argc) {
			size_t len = arg_size(argv[++i], MIB);
			char *p = map_or_die(len, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, "anon");

			(void)madvise(p, len, MADV_NOHUGEPAGE);
			touch(p, len, 4096);
		} else if (strcmp(argv[i], "--thp") == 0 && i + 1 < argc) {
			size_t len = arg_size(argv[++i], MIB);
			/* over-allocate to align on 2 MiB so that whole PMDs can be THPs */
			char *raw = map_or_die(len + 2 * MIB, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, "thp");
			char *p = (char *)(((unsigned long)raw + 2 * MIB - 1) & ~(2 * MIB - 1));

			(void)madvise(p, len, MADV_HUGEPAGE);
			touch(p, len, 4096);
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
		} else {
			fprintf(stderr, "usage: memhold [--anon MIB] [--thp MIB] [--heap KIB] "
					"[--hugetlb-file PATH MIB] [--hugetlb-anon MIB]\n");
			return 2;
		}
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		pause();
}
