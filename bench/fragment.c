/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fragment: fragment physical memory reproducibly for bench/hugepage-fill.
 *
 *   fragment files DIR N      create N small files in DIR (kernel inodes,
 *                             dentries and, on ramfs, one unmovable page each)
 *   fragment hold MIB STRIDE  touch MIB MiB of anonymous memory in 4 KiB pages
 *                             (no THP), free all but one page in every STRIDE
 *                             KiB, print "ready" and hold the rest until killed
 *
 * Virtual and physical order differ, so "one page in every 2 MiB block" is
 * reached statistically: with STRIDE 64 a 2 MiB block keeps 32 pages on
 * average, and a block escapes with probability (1 - 1/16)^512, about 0.
 * The pages held are movable: compaction can move them, which is the point.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int make_files(const char *dir, long n)
{
	char path[4096];

	for (long i = 0; i < n; i++) {
		int fd;

		(void)snprintf(path, sizeof(path), "%s/f%ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, path, strlen(path)) < 0) {
			fprintf(stderr, "fragment: %s: %s\n", path, strerror(errno));
			return 1;
		}
		(void)close(fd);
	}
	return 0;
}

static int hold(long mib, long stride_kib)
{
	size_t len = (size_t)mib << 20, page = 4096, stride = (size_t)stride_kib << 10;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "fragment: mmap %ld MiB: %s\n", mib, strerror(errno));
		return 1;
	}
	(void)madvise(p, len, MADV_NOHUGEPAGE);
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
	/* one call faults every page in (Linux >= 5.14): a page fault each under TCG is slow */
	if (madvise(p, len, MADV_POPULATE_WRITE) < 0)
		for (size_t off = 0; off < len; off += page)
			p[off] = 1;
	for (size_t off = 0; off < len; off += stride)
		(void)madvise(p + off + page, stride - page, MADV_DONTNEED);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "files") == 0)
		return make_files(argv[2], strtol(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return hold(strtol(argv[2], NULL, 10), strtol(argv[3], NULL, 10));
	fprintf(stderr, "usage: fragment files DIR N | fragment hold MIB STRIDE_KIB\n");
	return 2;
}
