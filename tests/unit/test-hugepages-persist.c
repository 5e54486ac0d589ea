/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for 'hugepages persist' and 'mount': the mode trap, which pools
 * are kept (host-wide or per node), the kernel command line, the group
 * lookup, and file plans that roll back when a write fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/file-plan.h"
#include "core/host.h"
#include "core/hugepages-persist.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "util/diag.h"

#include "util/banned.h"

static void test_mode_misread(void **state)
{
	(void)state;
	/* Seed 000: mode=1770 read as decimal shows as 1352. */
	assert_int_equal(hugepages_mode_misread(01352), 01770);
	assert_int_equal(hugepages_mode_misread(01770), 0);
	assert_int_equal(hugepages_mode_misread(0755), 0);
	/* "770" read as decimal is 01402. */
	assert_int_equal(hugepages_mode_misread(01402), 0770);
}

static struct host *open_fixture(struct host_model *m)
{
	const char *src = getenv("KVMTUNE_SRC");
	struct host *h = NULL;
	struct diag d = {0};
	char root[512];

	(void)snprintf(root, sizeof(root), "%s/tests/data/machine-32intel64", src ? src : ".");
	assert_int_equal(host_open(root, &h, &d), 0);
	assert_int_equal(host_model_load(h, m, &d), 0);
	return h;
}

static void test_wants_and_cmdline(void **state)
{
	struct host_model m = {0};
	struct host *h = open_fixture(&m);
	struct hp_request req = HP_REQUEST_INIT;
	struct hp_wants w = {0};
	struct diag d = {0};
	char cmdline[256];

	(void)state;
	/* Current pools: 2048 x 2M on each node -> host-wide 4096; 1G empty -> left out. */
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.v[0].node, -1);
	assert_int_equal(w.v[0].pages, 4096);
	hugepages_cmdline(&m, &w, cmdline, sizeof(cmdline));
	assert_string_equal(cmdline, "");
	hp_wants_release(&w);
	/* Uneven nodes: per node, and the command line uses N:count. */
	((struct pool *)node_find_pool(&m.nodes[1], 2048))->total = 100;
	((struct pool *)model_find_pool(&m, 1048576))->total = 4;
	((struct pool *)node_find_pool(&m.nodes[0], 1048576))->total = 4;
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), 0);
	assert_int_equal(w.n, 4);
	assert_int_equal(w.v[0].node, 0);
	assert_int_equal(w.v[1].node, 1);
	assert_int_equal(w.v[1].pages, 100);
	hugepages_cmdline(&m, &w, cmdline, sizeof(cmdline));
	assert_string_equal(cmdline, "default_hugepagesz=2M hugepagesz=2M hugepages=0:2048,1:100 "
				     "hugepagesz=1G hugepages=0:4,1:0");
	hp_wants_release(&w);
	/* A request: host-wide 1G needs the command line (gigantic), 2M does not. */
	assert_int_equal(hp_request_add(&req, "2M=64", &d), 0);
	assert_int_equal(hp_request_add(&req, "1G=2", &d), 0);
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), 0);
	hugepages_cmdline(&m, &w, cmdline, sizeof(cmdline));
	assert_string_equal(cmdline, "default_hugepagesz=2M hugepagesz=1G hugepages=2");
	hp_wants_release(&w);
	hp_request_release(&req);
	assert_int_equal(hp_request_add(&req, "4M=1", &d), 0);
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), -EINVAL);
	hp_request_release(&req);
	host_model_release(&m);
	host_free(h);
}

struct fail_hook {
	const char *fail_path;
	int writes;
};

static int fail_hook(void *userdata, const char *path, const char *value)
{
	struct fail_hook *f = userdata;

	(void)value;
	f->writes++;
	return f->fail_path && strcmp(path, f->fail_path) == 0 ? -EACCES : 0;
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[600];
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s%s", root, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *get(struct host *h, const char *path)
{
	char *text = NULL;

	return host_read(h, path, &text, NULL, NULL) < 0 ? NULL : text;
}

static void test_group_and_file_plan_rollback(void **state)
{
	char tmpl[] = "/tmp/test-hugepages-persist.XXXXXX", dir[600], cmd[600];
	struct fail_hook fh = {0};
	struct file_plan p = {0};
	struct host *h = NULL;
	struct diag d = {0};
	char *text;
	long gid = -1;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(dir, sizeof(dir), "%s/proc", tmpl);
	assert_int_equal(mkdir(dir, 0755), 0);
	(void)snprintf(dir, sizeof(dir), "%s/etc", tmpl);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(tmpl, "/proc/cpuinfo", "");
	put(tmpl, "/etc/group", "root:x:0:\nkvmx:x:5:\nkvm:x:36:qemu\nbad:x:\n");
	put(tmpl, "/etc/old.conf", "old\n");
	assert_int_equal(host_open(tmpl, &h, &d), 0);
	assert_int_equal(hugepages_group_gid(h, "kvm", &gid, &d), 0);
	assert_int_equal(gid, 36);
	assert_int_equal(hugepages_group_gid(h, "107", &gid, &d), 0);
	assert_int_equal(gid, 107);
	assert_int_equal(hugepages_group_gid(h, "nobody", &gid, &d), -ENOENT);
	assert_non_null(strstr(d.msg, "group 'nobody' is not in '/etc/group'"));
	assert_int_equal(hugepages_group_gid(h, "bad", &gid, &d), -EINVAL);

	/* Three files; the third fails: the first two are put back as they were. */
	file_plan_add(&p, "/etc/old.conf", "new\n", 0644, "changed");
	file_plan_add(&p, "/etc/a/b/new.conf", "x\n", 0644, "created");
	file_plan_add(&p, "/etc/c.conf", "y\n", 0644, "fails");
	assert_int_equal(file_plan_load_old(h, &p, &d), 0);
	assert_string_equal(p.v[0].old_content, "old\n");
	assert_null(p.v[1].old_content);
	fh.fail_path = "/etc/c.conf";
	host_set_write_hook(h, fail_hook, &fh);
	assert_int_equal(file_plan_apply(h, &p, &d), -EACCES);
	text = get(h, "/etc/old.conf");
	assert_string_equal(text, "old\n");
	free(text);
	assert_null(get(h, "/etc/a/b/new.conf"));
	assert_null(get(h, "/etc/c.conf"));
	/* Without the failure everything is written; unchanged files are not rewritten. */
	fh.fail_path = NULL;
	assert_int_equal(file_plan_apply(h, &p, &d), 0);
	text = get(h, "/etc/a/b/new.conf");
	assert_string_equal(text, "x\n");
	free(text);
	file_plan_release(&p);
	file_plan_add(&p, "/etc/old.conf", "new\n", 0644, "same");
	assert_int_equal(file_plan_load_old(h, &p, &d), 0);
	assert_false(file_change_needed(&p.v[0]));
	fh.writes = 0;
	assert_int_equal(file_plan_apply(h, &p, &d), 0);
	assert_int_equal(fh.writes, 0);
	file_plan_release(&p);
	host_free(h);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_misread),
		cmocka_unit_test(test_wants_and_cmdline),
		cmocka_unit_test(test_group_and_file_plan_rollback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
