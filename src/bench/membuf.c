/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A benchmark buffer of one page kind, bound to one NUMA node and checked. */
#include "bench/membuf.h"

#include <errno.h>
#include <inttypes.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/host.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#define THP_KIB 2048u
#define CHECK_PAGES 4096u
#define NODEMASK_BITS 1024u

static unsigned log2_u64(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

static int map_kind(const struct memcost_page *p, size_t bytes, struct membuf *b, struct diag *d)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	size_t align = p->thp ? THP_KIB * 1024u : 0;

	if (!p->thp && p->size_kib > 4)
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			(int)(log2_u64(p->size_kib * 1024) << MAP_HUGE_SHIFT);
	b->map_bytes = bytes + align;
	b->map = mmap(NULL, b->map_bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (b->map == MAP_FAILED) {
		int e = errno;

		b->map = NULL;
		return diag_set(d, e == EINVAL ? ENOMEM : e, "mmap",
				"mmap of %zu MiB in %" PRIu64 " KiB pages: %s", bytes >> 20,
				p->size_kib, strerror(e));
	}
	b->buf = b->map;
	if (align)
		b->buf = (void *)(((uintptr_t)b->map + align - 1) & ~(uintptr_t)(align - 1));
	b->bytes = bytes;
	if (p->size_kib == 4 &&
	    madvise(b->buf, bytes, p->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0)
		return diag_set(d, errno, "madvise", "madvise(%s) on the buffer: %s",
				p->thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", strerror(errno));
	return 0;
}

static int bind_node(struct membuf *b, int node, struct diag *d)
{
	unsigned long mask[NODEMASK_BITS / (8 * sizeof(unsigned long))] = {0};

	if (node < 0)
		return 0;
	if ((unsigned)node >= NODEMASK_BITS)
		return diag_set(d, EINVAL, "--nodes", "node %d: above %u", node, NODEMASK_BITS - 1);
	mask[(unsigned)node / (8 * sizeof(unsigned long))] |=
		1UL << ((unsigned)node % (8 * sizeof(unsigned long)));
	if (mbind(b->buf, b->bytes, MPOL_BIND, mask, NODEMASK_BITS + 1, 0) < 0)
		return diag_set(d, errno, "mbind", "mbind of the buffer to node %d: %s", node,
				strerror(errno));
	return 0;
}

static int populate(const struct memcost_page *p, struct membuf *b, struct diag *d)
{
	size_t step = (size_t)p->size_kib * 1024;

	if (madvise(b->buf, b->bytes, MADV_POPULATE_WRITE) == 0)
		return 0;
	if (errno != EINVAL)
		return diag_set(d, errno == EFAULT ? ENOMEM : errno, "madvise",
				"populating %zu MiB in %s pages: %s", b->bytes >> 20,
				p->thp ? "THP" : "the asked", strerror(errno));
	/* COMPAT(kernel < 5.14): no MADV_POPULATE_WRITE; a short hugetlb pool is SIGBUS here */
	for (size_t off = 0; off < b->bytes; off += step)
		((volatile char *)b->buf)[off] = 1;
	return 0;
}

/* Share of CHECK_PAGES sampled pages that move_pages finds on node. */
static double share_on_node(const struct memcost_page *p, const struct membuf *b, int node)
{
	size_t page = p->thp ? 4096 : (size_t)p->size_kib * 1024, npages = b->bytes / page;
	size_t n = npages < CHECK_PAGES ? npages : CHECK_PAGES, on = 0;
	void **addrs = xcalloc(n ? n : 1, sizeof(*addrs));
	int *status = xcalloc(n ? n : 1, sizeof(*status));

	for (size_t i = 0; i < n; i++)
		addrs[i] = (char *)b->buf + (i * npages / n) * page;
	if (n && move_pages(0, n, addrs, NULL, status, 0) == 0)
		for (size_t i = 0; i < n; i++)
			on += node < 0 ? status[i] >= 0 : status[i] == node;
	free(addrs);
	free(status);
	return n ? (double)on / (double)n : 0;
}

struct smaps_find {
	uintptr_t start, end; /* the buffer's mapping, maybe split in several VMAs by madvise */
	bool in;
	uint64_t huge_kib;
};

static void smaps_line(struct smaps_find *f, const char *text, size_t len)
{
	char buf[128];
	uint64_t v;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	/* a mapping's first line: "7f12a0000000-7f12c0000000 rw-p ..." (keys are capitalised) */
	if (strchr("0123456789abcdef", buf[0]) && strcspn(buf, "-") < strcspn(buf, " ")) {
		char *dash;
		uintptr_t lo = (uintptr_t)strtoull(buf, &dash, 16), hi;

		hi = (uintptr_t)strtoull(dash + 1, NULL, 16);
		f->in = lo < f->end && hi > f->start;
		return;
	}
	if (f->in && strncmp(buf, "AnonHugePages:", 14) == 0) {
		char *num = buf + 14, *end;

		while (*num == ' ')
			num++;
		end = strchr(num, ' ');
		if (end)
			*end = '\0';
		if (parse_u64(num, &v) == 0)
			f->huge_kib += v;
	}
}

/* host_read_lines hands over whole lines, several at a time. */
static int smaps_lines(void *ctx, const char *text, size_t len)
{
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;

		smaps_line(ctx, text, n);
		n += nl != NULL;
		text += n;
		len -= n;
	}
	return 0;
}

/* THP: AnonHugePages of the mapping, from /proc/PID/smaps. */
static double thp_share(struct host *h, const struct membuf *b)
{
	struct smaps_find f = {.start = (uintptr_t)b->map, .end = (uintptr_t)b->map + b->map_bytes};
	char path[64], buf[4096];

	(void)snprintf(path, sizeof(path), "/proc/%d/smaps", (int)getpid());
	if (host_read_lines(h, path, buf, sizeof(buf), smaps_lines, &f, NULL, NULL) < 0)
		return 0;
	return b->bytes ? (double)(f.huge_kib * 1024) / (double)b->bytes : 0;
}

int membuf_alloc(struct host *h, const struct memcost_page *p, int node, size_t bytes,
		 struct membuf *ret, struct diag *d)
{
	struct membuf b = {0};
	int r;

	r = map_kind(p, bytes, &b, d);
	if (r >= 0)
		r = bind_node(&b, node, d);
	if (r >= 0)
		r = populate(p, &b, d);
	if (r < 0) {
		membuf_free(&b);
		return r;
	}
	b.on_node = share_on_node(p, &b, node);
	b.huge = p->thp ? thp_share(h, &b) : p->size_kib > 4 ? 1.0 : 0.0;
	if (b.huge > 1)
		b.huge = 1;
	*ret = b;
	return 0;
}

void membuf_free(struct membuf *b)
{
	if (b->map)
		(void)munmap(b->map, b->map_bytes);
	memset(b, 0, sizeof(*b));
}
