/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Safe replacement of files (core/safe-write.c, core/userfile.c): backups
 * never overwrite an earlier original, owner and mode are kept, a symlinked
 * domain file updates its target, a planted symlink or FIFO is refused, and
 * a write that fails half-way (the file size limit stands in for a full
 * disk) leaves the old file untouched with no temporary file or backup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/safe-write.h"
#include "core/userfile.h"
#include "util/diag.h"

static char dir[64];

static char *path_of(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	(void)snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void put(const char *name, const char *content, mode_t mode)
{
	FILE *f = fopen(path_of(name), "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path_of(name), mode), 0);
}

static void assert_content(const char *name, const char *content)
{
	char buf[256] = "";
	FILE *f = fopen(path_of(name), "r");

	assert_non_null(f);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	assert_string_equal(buf, content);
}

static int count_entries(void)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(dp);
	while ((de = readdir(dp)))
		n += de->d_name[0] != '.' || (de->d_name[1] && de->d_name[1] != '.');
	closedir(dp);
	return n;
}

static int setup(void **state)
{
	(void)snprintf(dir, sizeof(dir), "/tmp/kvmtune-sw-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_backups_numbered(void **state)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	char *bak = NULL;
	struct stat st;

	put("vm.xml", "one\n", 0640);
	assert_int_equal(chown(path_of("vm.xml"), 107, 108), 0);
	assert_int_equal(safe_write_at(dirfd, "vm.xml", "vm.xml", "two\n", 4, 0600,
				       SAFE_WRITE_BACKUP | SAFE_WRITE_KEEP_OWNER, &bak, NULL),
			 0);
	assert_string_equal(bak, "vm.xml.bak");
	free(bak);
	assert_int_equal(safe_write_at(dirfd, "vm.xml", "vm.xml", "three\n", 6, 0600,
				       SAFE_WRITE_BACKUP | SAFE_WRITE_KEEP_OWNER, &bak, NULL),
			 0);
	assert_string_equal(bak, "vm.xml.bak.1"); /* the first original is kept */
	free(bak);
	assert_content("vm.xml", "three\n");
	assert_content("vm.xml.bak", "one\n");
	assert_content("vm.xml.bak.1", "two\n");
	assert_int_equal(stat(path_of("vm.xml"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, 107);
	assert_int_equal(st.st_gid, 108);
	assert_int_equal(stat(path_of("vm.xml.bak"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(count_entries(), 3);
	close(dirfd);
}

static void test_planted_files_refused(void **state)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct diag d = {0};

	put("target", "keep\n", 0644);
	assert_int_equal(symlink(path_of("target"), path_of("link")), 0);
	assert_int_equal(safe_write_at(dirfd, "link", "link", "x\n", 2, 0644, 0, NULL, &d),
			 -EINVAL);
	assert_non_null(strstr(d.msg, "symbolic link"));
	assert_content("target", "keep\n");
	assert_int_equal(mkfifo(path_of("fifo"), 0600), 0);
	assert_int_equal(
		safe_write_at(dirfd, "fifo", "fifo", "x\n", 2, 0644, SAFE_WRITE_BACKUP, NULL, &d),
		-EINVAL);
	assert_int_equal(safe_write_at(dirfd, "../x", "../x", "x\n", 2, 0644, 0, NULL, &d),
			 -EINVAL);
	assert_int_equal(safe_write_at(dirfd, "big", "big", "x", (size_t)SAFE_WRITE_MAX_BYTES + 1,
				       0644, 0, NULL, &d),
			 -EFBIG);
	close(dirfd);
}

/* A write that fails half-way: the old file and the directory are as they were. */
static void test_failed_write_changes_nothing(void **state)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct rlimit old, lim = {.rlim_cur = 8, .rlim_max = RLIM_INFINITY};
	const char big[] = "a new domain that is longer than eight bytes\n";
	struct diag d = {0};
	int r;

	put("vm.xml", "old\n", 0644);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r = safe_write_at(dirfd, "vm.xml", "vm.xml", big, sizeof(big) - 1, 0644,
			  SAFE_WRITE_BACKUP | SAFE_WRITE_KEEP_OWNER, NULL, &d);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(r, -EFBIG);
	assert_non_null(strstr(d.msg, "unchanged"));
	assert_content("vm.xml", "old\n");
	assert_int_equal(count_entries(), 1); /* no temporary file, no backup */
	close(dirfd);
}

static void test_userfile_symlink_updates_target(void **state)
{
	char *target = NULL, *bak = NULL, *buf = NULL;
	char real[256];
	struct diag d = {0};
	struct stat st;
	size_t len = 0;

	put("real.xml", "<domain/>\n", 0600);
	assert_int_equal(symlink("real.xml", path_of("vm.xml")), 0);
	assert_int_equal(userfile_replace(path_of("vm.xml"), "<new/>\n", 7, &target, &bak, &d), 0);
	(void)snprintf(real, sizeof(real), "%s", path_of("real.xml"));
	assert_string_equal(target, real);
	assert_non_null(strstr(bak, "real.xml.bak"));
	assert_int_equal(lstat(path_of("vm.xml"), &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* the link stays a link */
	assert_content("vm.xml", "<new/>\n");
	assert_content("real.xml.bak", "<domain/>\n");
	free(target);
	free(bak);
	/* reading: a FIFO is refused at once, a file past the limit too */
	assert_int_equal(mkfifo(path_of("fifo"), 0600), 0);
	assert_int_equal(userfile_read(path_of("fifo"), 1024, &buf, &len, &d), -EINVAL);
	assert_int_equal(userfile_read(path_of("real.xml"), 3, &buf, &len, &d), -EFBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_backups_numbered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_userfile_symlink_updates_target, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
