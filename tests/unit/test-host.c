/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the host seam and the model's handling of bad trees: a
 * temporary root is built per test.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/host.h"
#include "core/model.h"
#include "util/diag.h"
#include "util/xalloc.h"

static char root[64];

static void put(const char *rel, const char *content)
{
	char path[512], dir[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s%s", root, rel);
	(void)snprintf(dir, sizeof(dir), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(dir), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)snprintf(root, sizeof(root), "/tmp/kvmtune-host-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("/sys/devices/system/cpu/online", "0-3\n");
	put("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu pse pdpe1gb\n");
	put("/proc/meminfo", "MemTotal: 1000 kB\nMemFree: 500 kB\nHugepagesize: 2048 kB\n");
	put("/sys/devices/system/node/node0/cpulist", "0-1\n");
	put("/sys/devices/system/node/node0/distance", "10 20\n");
	put("/sys/devices/system/node/node1/cpulist", "2-3\n");
	put("/sys/devices/system/node/node1/distance", "20 10\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "8\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "8\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_read_list(void **state)
{
	struct host *h = NULL;
	char *buf = NULL, **names = NULL;
	size_t n = 0;
	unsigned long long v;
	struct diag d = {0};

	assert_int_equal(host_open(root, &h, NULL), 0);
	assert_false(host_is_live(h));
	assert_int_equal(host_read(h, "/sys/devices/system/cpu/online", &buf, &n, NULL), 0);
	assert_string_equal(buf, "0-3\n");
	assert_int_equal(n, 4);
	free(buf);
	assert_int_equal(host_read(h, "/proc/nope", &buf, NULL, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "/proc/nope"));
	assert_int_equal(host_list(h, "/sys/devices/system/node", &names, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "node0");
	host_names_free(names);
	assert_int_equal(host_read_u64(h, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
				       &v, NULL),
			 0);
	assert_int_equal(v, 8);
	assert_int_equal(host_read_u64(h, "/proc/cpuinfo", &v, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "expected an unsigned number"));
	host_free(h);
}

struct lines_seen {
	char text[256];
	unsigned calls;
	unsigned partial; /* calls whose text did not end a line (only the last may) */
};

static int collect_lines(void *ctx, const char *text, size_t len)
{
	struct lines_seen *s = ctx;
	size_t have = strlen(s->text);

	assert_true(have + len < sizeof(s->text));
	memcpy(s->text + have, text, len);
	s->text[have + len] = '\0';
	s->calls++;
	s->partial += len && text[len - 1] != '\n';
	return 0;
}

static int refuse_lines(void *ctx, const char *text, size_t len)
{
	(void)ctx, (void)text, (void)len;
	return -ECANCELED;
}

/* host_read_lines through a buffer smaller than the file: whole lines only, in order. */
static void test_read_lines(void **state)
{
	struct lines_seen seen = {{0}, 0, 0};
	struct host *h = NULL;
	char buf[8];
	size_t total = 0;

	put("/proc/lines", "ab\ncdefghijkl\nm\n\nno-newline");
	assert_int_equal(host_open(root, &h, NULL), 0);
	assert_int_equal(host_read_lines(h, "/proc/lines", buf, sizeof(buf), collect_lines, &seen,
					 &total, NULL),
			 0);
	/* everything arrives, in order, as whole lines: the 11-byte and the
	 * 10-byte lines each come whole although the buffer holds 8 bytes */
	assert_string_equal(seen.text, "ab\ncdefghijkl\nm\n\nno-newline");
	assert_int_equal(total, strlen(seen.text));
	assert_true(seen.calls >= 3);
	assert_int_equal(seen.partial, 1); /* "no-newline", at the end */
	/* a buffer exactly as long as a line and its newline: no line is cut */
	memset(&seen, 0, sizeof(seen));
	put("/proc/lines2", "abcdefg\nhijklmn\nopqrstu\n");
	assert_int_equal(host_read_lines(h, "/proc/lines2", buf, sizeof(buf), collect_lines, &seen,
					 NULL, NULL),
			 0);
	assert_string_equal(seen.text, "abcdefg\nhijklmn\nopqrstu\n");
	assert_int_equal(seen.partial, 0);
	assert_int_equal(
		host_read_lines(h, "/proc/lines", buf, sizeof(buf), refuse_lines, NULL, NULL, NULL),
		-ECANCELED);
	assert_int_equal(host_read_lines(h, "/proc/none", buf, sizeof(buf), collect_lines, &seen,
					 NULL, NULL),
			 -ENOENT);
	host_free(h);
}

static void test_symlink_stays_in_root(void **state)
{
	struct host *h = NULL;
	char link[256], *buf = NULL;

	/* An absolute link in a captured tree resolves inside the root. */
	(void)snprintf(link, sizeof(link), "%s/proc/abs", root);
	assert_int_equal(symlink("/proc/meminfo", link), 0);
	assert_int_equal(host_open(root, &h, NULL), 0);
	assert_int_equal(host_read(h, "/proc/abs", &buf, NULL, NULL), 0);
	assert_non_null(strstr(buf, "MemTotal: 1000 kB"));
	free(buf);
	host_free(h);
}

struct record {
	int calls;
	int fail_at;
	char last[128];
};

static int hook(void *ud, const char *path, const char *value)
{
	struct record *r = ud;

	r->calls++;
	(void)snprintf(r->last, sizeof(r->last), "%s=%s", path, value);
	return r->calls == r->fail_at ? -EBUSY : 0;
}

static void test_write_hook(void **state)
{
	struct host *h = NULL;
	struct record rec = {0, 2, ""};
	struct diag d = {0};
	unsigned long long v;
	const char *p = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";

	assert_int_equal(host_open(root, &h, NULL), 0);
	host_set_write_hook(h, hook, &rec);
	assert_int_equal(host_write(h, p, "16", NULL), 0);
	assert_int_equal(host_read_u64(h, p, &v, NULL), 0);
	assert_int_equal(v, 16);
	assert_int_equal(host_write(h, p, "32", &d), -EBUSY);
	assert_non_null(strstr(d.msg, "'32'"));
	assert_non_null(strstr(d.msg, p));
	assert_int_equal(host_read_u64(h, p, &v, NULL), 0);
	assert_int_equal(v, 16); /* the failed write changed nothing */
	assert_string_equal(rec.last, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages=32");
	assert_int_equal(host_write_file_atomic(h, "/etc/sysctl.d/x.conf", "a\n", 0644, &d),
			 -ENOENT);
	assert_int_equal(host_mkdir_p(h, "/etc/sysctl.d", 0755, NULL), 0);
	assert_int_equal(host_write_file_atomic(h, "/etc/sysctl.d/x.conf", "a\n", 0644, NULL), 0);
	assert_true(host_exists(h, "/etc/sysctl.d/x.conf"));
	assert_false(host_exists(h, "/etc/sysctl.d/.x.conf.kvmtune-tmp"));
	host_free(h);
}

static void test_not_linux(void **state)
{
	struct host *h = NULL;
	struct diag d = {0};

	assert_int_equal(host_open("/nonexistent-kvmtune", &h, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "/nonexistent-kvmtune"));
	assert_int_equal(host_open(root, &h, NULL), 0);
	host_free(h);
	assert_int_equal(host_open("/usr/share", &h, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "not a Linux root"));
}

static void test_model_ok_and_malformed(void **state)
{
	struct host *h = NULL;
	struct host_model m = {0};
	struct diag d = {0};

	assert_int_equal(host_open(root, &h, NULL), 0);
	assert_int_equal(host_model_load(h, &m, &d), 0);
	assert_int_equal(m.nnodes, 2);
	assert_int_equal(m.nodes[1].distances[0], 20);
	assert_int_equal(m.ncpu_page_sizes, 2);
	assert_int_equal(m.npools, 1);
	assert_int_equal(m.pools[0].total, 8);
	assert_int_equal(m.pools[0].reserved, -1); /* absent file: absent value */
	assert_false(m.knobs[KNOB_KSM_RUN].present);
	host_model_release(&m);

	put("/sys/devices/system/node/node1/distance", "20 ten\n");
	assert_int_equal(host_model_load(h, &m, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "node1/distance"));
	assert_non_null(strstr(d.msg, "ten"));
	put("/sys/devices/system/node/node1/distance", "20 10\n");
	put("/sys/devices/system/node/node1/cpulist", "2-x\n");
	assert_int_equal(host_model_load(h, &m, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "node1/cpulist"));
	put("/sys/devices/system/node/node1/cpulist", "2-3\n");
	put("/proc/meminfo", "MemTotal: many\n");
	assert_int_equal(host_model_load(h, &m, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "/proc/meminfo"));
	put("/proc/meminfo", "MemTotal: 1000 kB\n");
	put("/sys/kernel/mm/transparent_hugepage/enabled", "always madvise never\n");
	assert_int_equal(host_model_load(h, &m, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "transparent_hugepage/enabled"));
	host_free(h);
}

/* One writer at a time: a second holder waits, then gets -EAGAIN; a bad name is refused. */
static void test_lock(void **state)
{
	struct host *h = NULL;
	struct diag d = {0};
	int fd, fd2, pipefd[2];
	pid_t pid;
	char c;

	assert_int_equal(host_open(root, &h, &d), 0);
	fd = host_lock(h, "hugepages", 0, &d);
	assert_true(fd >= 0);
	/* a lock is per open file: another process (not just another fd) must wait */
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct diag cd = {0};
		int r = host_lock(h, "hugepages", 100, &cd);

		c = r == -EAGAIN && strstr(cd.msg, "hugepages") ? 'y' : 'n';
		(void)write(pipefd[1], &c, 1);
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
	fd2 = host_lock(h, "hugepages", 0, &d);
	assert_true(fd2 >= 0);
	close(fd2);
	assert_int_equal(host_lock(h, "../x", 0, &d), -EINVAL);
	assert_int_equal(host_lock(h, "", 0, &d), -EINVAL);
	host_free(h);
}

/* A lock file removed while others wait: a waiter that opened the old file
 * must not run beside the holder of the new one (it re-opens and waits). */
static void test_lock_replaced(void **state)
{
	struct host *h = NULL;
	struct diag d = {0};
	int fd, fd2, go[2], res[2];
	char c, lockpath[4096];
	pid_t pid;

	(void)state;
	assert_int_equal(host_open(root, &h, &d), 0);
	fd = host_lock(h, "hugepages", 0, &d);
	assert_true(fd >= 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(res), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct diag cd = {0};
		int r;

		close(fd); /* the parent's copy alone holds the old file's lock */
		c = 'r';
		(void)write(go[1], &c, 1);
		r = host_lock(h, "hugepages", 1500, &cd);
		c = r == -EAGAIN ? 'y' : 'n';
		(void)write(res[1], &c, 1);
		_exit(0);
	}
	assert_int_equal(read(go[0], &c, 1), 1);
	(void)usleep(300 * 1000); /* the child has opened the old file and waits */
	(void)snprintf(lockpath, sizeof(lockpath), "%s/run/kvmtune/lock/hugepages", root);
	assert_int_equal(unlink(lockpath), 0);
	/* a new file, a new holder (host_lock itself would wait for the old
	 * file's holder: test_lock_removed_while_held) */
	fd2 = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd2 >= 0);
	assert_int_equal(flock(fd2, LOCK_EX | LOCK_NB), 0);
	close(fd); /* the old file's lock is free now: the child must not take it */
	assert_int_equal(read(res[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	close(fd2);
	close(go[0]);
	close(go[1]);
	close(res[0]);
	close(res[1]);
	host_free(h);
}

/* The lock file removed (or replaced) while held: a new opener gets a new
 * file, but must still wait for the holder of the removed one. */
static void test_lock_removed_while_held(void **state)
{
	struct host *h = NULL;
	struct diag d = {0};
	char lockpath[4096];
	int fd, fd2;

	(void)state;
	assert_int_equal(host_open(root, &h, &d), 0);
	(void)snprintf(lockpath, sizeof(lockpath), "%s/run/kvmtune/lock/hugepages", root);
	fd = host_lock(h, "hugepages", 0, &d);
	assert_true(fd >= 0);
	assert_int_equal(unlink(lockpath), 0);
	assert_int_equal(host_lock(h, "hugepages", 200, &d), -EAGAIN);
	assert_non_null(strstr(d.msg, "another kvmtune holds the lock"));
	/* replaced: a new file in its place changes nothing */
	fd2 = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd2 >= 0);
	close(fd2);
	assert_int_equal(host_lock(h, "hugepages", 100, &d), -EAGAIN);
	/* another name is not held up by it */
	fd2 = host_lock(h, "journal", 0, &d);
	assert_true(fd2 >= 0);
	close(fd2);
	close(fd); /* the holder is done: the new file's lock is free to take */
	fd2 = host_lock(h, "hugepages", 0, &d);
	assert_true(fd2 >= 0);
	close(fd2);
	host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_removed_while_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_stays_in_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_linux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_model_ok_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
