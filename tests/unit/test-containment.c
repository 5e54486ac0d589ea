/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Attacks on the host seam below a --root: symlinks (absolute, relative,
 * climbing with "..") planted in a tree must never lead a read or a change
 * out of it, with openat2 and with our own walk (kernels and sandboxes
 * without openat2); FIFOs, devices and oversized files are refused without
 * blocking; --root '' is refused.  Every test runs in both resolver modes.
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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/host.h"
#include "util/diag.h"

static char root[64], outside[64];

static void put(const char *dir, const char *rel, const char *content)
{
	char path[512], cmd[600];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s%s", dir, rel);
	(void)snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void plant(const char *target, const char *rel)
{
	char path[512];

	(void)snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* The outside file still holds what it held: nothing wrote through a link. */
static void assert_outside(const char *rel, const char *content)
{
	char path[512], buf[64] = "";
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s%s", outside, rel);
	f = fopen(path, "r");
	if (!content) {
		assert_null(f);
		return;
	}
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, content);
}

static int setup(void **state)
{
	char link[512];

	(void)snprintf(root, sizeof(root), "/tmp/kvmtune-root-XXXXXX");
	(void)snprintf(outside, sizeof(outside), "/tmp/kvmtune-outside-XXXXXX");
	if (!mkdtemp(root) || !mkdtemp(outside))
		return -1;
	put(root, "/sys/devices/system/cpu/online", "0\n");
	put(root, "/proc/cpuinfo", "processor\t: 0\n");
	put(root, "/etc/ok", "inside\n");
	put(root, "/run/.keep", "");
	put(outside, "/secret", "SECRET\n");
	put(outside, "/victim", "VICTIM\n");
	put(outside, "/knob", "0\n");
	/* absolute links to the real outside dir, and a relative one that climbs */
	plant(outside, "/etc/abs");
	(void)snprintf(link, sizeof(link), "../../../../../../../../..%s", outside);
	plant(link, "/etc/rel");
	(void)snprintf(link, sizeof(link), "%s/knob", outside);
	plant(link, "/etc/knob");
	plant(outside, "/run/kvmtune");
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, outside);
	return system(cmd);
}

static struct host *open_root(void **state)
{
	unsigned flags = *state ? HOST_OPEN_NO_OPENAT2 : 0;
	struct host *h = NULL;

	assert_int_equal(host_open_flags(root, flags, &h, NULL), 0);
	return h;
}

static void test_reads_stay_inside(void **state)
{
	struct host *h = open_root(state);
	char *buf = NULL, *target = NULL;

	assert_int_equal(host_read(h, "/etc/abs/secret", &buf, NULL, NULL), -ENOENT);
	assert_int_equal(host_read(h, "/etc/rel/secret", &buf, NULL, NULL), -ENOENT);
	assert_int_equal(host_read(h, "/../../../../etc/ok", &buf, NULL, NULL), 0);
	assert_string_equal(buf, "inside\n"); /* ".." stops at the root */
	free(buf);
	assert_false(host_exists(h, "/etc/abs/secret"));
	assert_int_equal(host_readlink(h, "/etc/abs", &target, NULL), 0);
	assert_string_equal(target, outside); /* the link's text, not a walk through it */
	free(target);
	assert_int_equal(host_readlink(h, "/etc/abs/x/../../abs", &target, NULL), -ENOENT);
	host_free(h);
}

static void test_changes_stay_inside(void **state)
{
	struct host *h = open_root(state);
	struct diag d = {0};
	char *buf = NULL;
	int fd;

	/* through a symlinked directory: created inside the root or not at all */
	(void)host_write_file_atomic(h, "/etc/abs/new", "x\n", 0644, NULL);
	(void)host_write_file_atomic(h, "/etc/rel/new", "x\n", 0644, NULL);
	assert_outside("/new", NULL);
	(void)host_mkdir_p(h, "/etc/abs/dir/sub", 0755, NULL);
	(void)host_mkdir_p(h, "/etc/rel/dir", 0755, NULL);
	assert_outside("/dir/x", NULL);
	{
		char path[512];
		struct stat st;

		(void)snprintf(path, sizeof(path), "%s/dir", outside);
		assert_int_equal(stat(path, &st), -1);
	}
	(void)host_unlink(h, "/etc/abs/victim", NULL);
	(void)host_unlink(h, "/etc/rel/victim", NULL);
	assert_outside("/victim", "VICTIM\n");
	(void)host_rename(h, "/etc/abs/victim", "/etc/ok2", NULL);
	(void)host_rename(h, "/etc/ok", "/etc/abs/moved", NULL);
	assert_outside("/victim", "VICTIM\n");
	assert_outside("/moved", NULL);
	(void)host_write(h, "/etc/abs/secret", "OWNED", NULL);
	assert_outside("/secret", "SECRET\n");
	/* a symlink as the last component is never written through */
	assert_int_equal(host_write(h, "/etc/knob", "1", &d), -ELOOP);
	assert_non_null(strstr(d.msg, "symbolic link"));
	assert_outside("/knob", "0\n");
	assert_int_equal(host_write_file_atomic(h, "/etc/knob", "2\n", 0644, NULL), -EINVAL);
	assert_outside("/knob", "0\n");
	/* /run/kvmtune is a link out: the lock directory is made inside, or refused */
	fd = host_lock(h, "hugepages", 0, NULL);
	if (fd >= 0)
		close(fd);
	assert_outside("/lock/hugepages", NULL);
	assert_int_equal(host_read(h, "/etc/abs/lock/hugepages", &buf, NULL, NULL), -ENOENT);
	host_free(h);
}

static void test_special_files_refused(void **state)
{
	struct host *h = open_root(state);
	struct diag d = {0};
	char path[512], *buf = NULL;
	int fd;

	(void)snprintf(path, sizeof(path), "%s/proc/fifo", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* returns at once (no writer would ever come), for reads and writes */
	assert_int_equal(host_read(h, "/proc/fifo", &buf, NULL, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "not a regular file"));
	assert_true(host_write(h, "/proc/fifo", "1", NULL) < 0);
	(void)snprintf(path, sizeof(path), "%s/proc/zero", root);
	if (mknod(path, S_IFCHR | 0600, makedev(1, 5)) == 0) {
		assert_int_equal(host_read(h, "/proc/zero", &buf, NULL, NULL), -EINVAL);
		assert_int_equal(host_write(h, "/proc/zero", "1", NULL), -EINVAL);
	}
	/* a file past the limit: refused, not read into memory */
	(void)snprintf(path, sizeof(path), "%s/proc/big", root);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)HOST_MAX_FILE_BYTES + 1), 0);
	close(fd);
	assert_int_equal(host_read(h, "/proc/big", &buf, NULL, &d), -EFBIG);
	assert_non_null(strstr(d.msg, "larger than"));
	host_free(h);
}

static void test_empty_root_refused(void **state)
{
	struct host *h = NULL;
	struct diag d = {0};

	(void)state;
	assert_int_equal(host_open("", &h, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "--root ''"));
	assert_null(h);
}

int main(void)
{
	static int walk = 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_stay_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_stay_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_files_refused, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(test_reads_stay_inside, setup, teardown,
							 &walk),
		cmocka_unit_test_prestate_setup_teardown(test_changes_stay_inside, setup, teardown,
							 &walk),
		cmocka_unit_test_prestate_setup_teardown(test_special_files_refused, setup,
							 teardown, &walk),
		cmocka_unit_test(test_empty_root_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
