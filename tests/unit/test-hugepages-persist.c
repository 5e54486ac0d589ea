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
#include "core/hugepages-cmdline.h"
#include "core/hugepages-persist.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "util/diag.h"
#include "util/sbuf.h"

#include "util/banned.h"

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

/* The words w needs on host m (grub and /proc/cmdline as given), into buf. */
static int words_of(const struct host_model *m, const struct hp_wants *w, const struct hp_grub *g,
		    const char *proc, char *buf, size_t n)
{
	struct hp_cmdline cl = {0};
	struct diag d = {0};
	int r = hp_cmdline_build(m, w, g, proc, &cl, &d);

	if (r >= 0)
		(void)snprintf(buf, n, "%s", cl.words.buf);
	hp_cmdline_release(&cl);
	return r;
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
	(void)snprintf(m.kernel_release, sizeof(m.kernel_release), "6.1.0-18-amd64");
	/* Current pools: 2048 x 2M on each node -> host-wide 4096; 1G empty -> left out. */
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.v[0].node, -1);
	assert_int_equal(w.v[0].pages, 4096);
	assert_int_equal(words_of(&m, &w, NULL, NULL, cmdline, sizeof(cmdline)), 0);
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
	assert_int_equal(words_of(&m, &w, NULL, NULL, cmdline, sizeof(cmdline)), 0);
	assert_string_equal(cmdline, "default_hugepagesz=2M hugepagesz=2M hugepages=0:2048,1:100 "
				     "hugepagesz=1G hugepages=0:4,1:0");
	/* COMPAT(kernel < 5.16): no N:count; 1G as a host-wide total, 2M left to the unit */
	(void)snprintf(m.kernel_release, sizeof(m.kernel_release), "5.15.0-91-generic");
	assert_int_equal(words_of(&m, &w, NULL, NULL, cmdline, sizeof(cmdline)), 0);
	assert_string_equal(cmdline, "default_hugepagesz=2M hugepagesz=1G hugepages=4");
	m.kernel_release[0] = '\0';
	assert_int_equal(words_of(&m, &w, NULL, NULL, cmdline, sizeof(cmdline)), 0);
	assert_string_equal(cmdline, "default_hugepagesz=2M hugepagesz=1G hugepages=4");
	(void)snprintf(m.kernel_release, sizeof(m.kernel_release), "5.16.0");
	hp_wants_release(&w);
	/* A request: host-wide 1G needs the command line (gigantic), 2M does not. */
	assert_int_equal(hp_request_add(&req, "2M=64", &d), 0);
	assert_int_equal(hp_request_add(&req, "1G=2", &d), 0);
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), 0);
	assert_int_equal(words_of(&m, &w, NULL, NULL, cmdline, sizeof(cmdline)), 0);
	assert_string_equal(cmdline, "default_hugepagesz=2M hugepagesz=1G hugepages=2");
	hp_wants_release(&w);
	hp_request_release(&req);
	assert_int_equal(hp_request_add(&req, "4M=1", &d), 0);
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), -EINVAL);
	hp_request_release(&req);
	host_model_release(&m);
	host_free(h);
}

/* The kernel's reading of hugepage words: first of a size wins, bad words are ignored. */
static void test_cmdline_parse(void **state)
{
	struct hp_boot_pools p = {0};
	struct sbuf kept = SBUF_INIT;

	(void)state;
	hp_cmdline_parse("ro quiet hugepages=64 hugepagesz=1G hugepages=0:2,1:3 hugepagesz=1G "
			 "hugepages=9 hugepagesz=2M hugepages=x default_hugepagesz=2M",
			 4096, &p);
	assert_int_equal(p.default_kib, 2048);
	/* hugepages=64 before any hugepagesz=: the default size */
	assert_int_equal(hp_boot_pools_get(&p, -1, 2048), 64);
	assert_int_equal(hp_boot_pools_get(&p, 0, 1048576), 2);
	assert_int_equal(hp_boot_pools_get(&p, 1, 1048576), 3);
	/* ignored: the second hugepagesz=1G and its count, hugepagesz=2M (the default
	 * size already has a count) and its hugepages=x */
	assert_int_equal(hp_boot_pools_get(&p, -1, 1048576), -1);
	assert_int_equal(p.ignored_words, 4);
	hp_boot_pools_release(&p);
	hp_cmdline_parse("hugepages=0:1,2", 2048, &p);
	assert_int_equal(p.pools.n, 0); /* a plain count after node counts */
	hp_boot_pools_release(&p);
	hp_cmdline_strip("BOOT_IMAGE=/vmlinuz  ro hugepagesz=1G hugepages=4 "
			 "dyndbg=\"file a.c +p\" default_hugepagesz=1G",
			 &kept);
	assert_string_equal(kept.buf, "BOOT_IMAGE=/vmlinuz ro dyndbg=\"file a.c +p\"");
	sbuf_release(&kept);
	assert_false(hp_cmdline_per_node_supported("5.15.147"));
	assert_true(hp_cmdline_per_node_supported("5.16"));
	assert_true(hp_cmdline_per_node_supported("6.18.44-fc-v1045"));
	assert_false(hp_cmdline_per_node_supported("garbage"));
}

static void put(const char *root, const char *rel, const char *text);

/*
 * grub's files already set hugepage words: they are merged (one hugepagesz=
 * per size, the admin's 1G kept), both variables set anew; words only the
 * running kernel has get a note; a command line past 2047 bytes is refused.
 */
static void test_grub_merge(void **state)
{
	char tmpl[] = "/tmp/test-hugepages-grub.XXXXXX", cmd[600], path[600];
	struct host_model m = {0};
	struct host *fx = open_fixture(&m);
	struct hp_request req = HP_REQUEST_INIT;
	struct hp_cmdline cl = {0};
	struct hp_wants w = {0};
	struct hp_grub g = {0};
	struct sbuf longline = SBUF_INIT;
	struct host *h = NULL;
	struct diag d = {0};
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(cmd, sizeof(cmd), "mkdir -p %s/proc %s/etc/default/grub.d", tmpl, tmpl);
	assert_int_equal(system(cmd), 0);
	(void)snprintf(path, sizeof(path), "%s/etc/default/grub", tmpl);
	f = fopen(path, "w");
	fputs("GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT='quiet hugepages=16'\n"
	      "  GRUB_CMDLINE_LINUX=\"console=ttyS0 hugepagesz=1G hugepages=4\"\n",
	      f);
	fclose(f);
	(void)snprintf(path, sizeof(path), "%s/etc/default/grub.d/50-local.cfg", tmpl);
	f = fopen(path, "w");
	fputs("export GRUB_CMDLINE_LINUX=\"${GRUB_CMDLINE_LINUX} iommu=pt\"\n", f);
	fclose(f);
	put(tmpl, HP_GRUB_FILE,
	    "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX hugepagesz=2M "
	    "hugepages=0:1\"\n");
	put(tmpl, "/proc/cpuinfo", "");
	assert_int_equal(host_open(tmpl, &h, &d), 0);
	assert_int_equal(hp_grub_load(h, HP_GRUB_FILE, &g, &d), 0);
	assert_true(g.found);
	assert_string_equal(g.linux_args, "console=ttyS0 hugepagesz=1G hugepages=4 iommu=pt");
	assert_string_equal(g.default_args, "quiet hugepages=16");
	assert_non_null(strstr(g.own_args, "hugepagesz=2M hugepages=0:1"));
	(void)snprintf(m.kernel_release, sizeof(m.kernel_release), "6.1.0");
	assert_int_equal(hp_request_add(&req, "2M=512", &d), 0);
	assert_int_equal(hp_request_set_nodes(&req, "0,1", &d), 0);
	assert_int_equal(hugepages_wants(&m, &req, &w, &d), 0);
	/* the running kernel has 2M (kvmtune's earlier drop-in: known) and 16G (nobody's) */
	assert_int_equal(hp_cmdline_build(&m, &w, &g,
					  "BOOT_IMAGE=/vmlinuz hugepagesz=2M hugepages=0:1 "
					  "hugepagesz=16G hugepages=1",
					  &cl, &d),
			 0);
	assert_string_equal(cl.words.buf, "default_hugepagesz=2M hugepagesz=2M "
					  "hugepages=0:512,1:512 hugepagesz=1G hugepages=4");
	assert_true(cl.rewrite);
	assert_string_equal(cl.grub_linux.buf,
			    "console=ttyS0 iommu=pt default_hugepagesz=2M hugepagesz=2M "
			    "hugepages=0:512,1:512 hugepagesz=1G hugepages=4");
	assert_string_equal(cl.grub_default.buf, "quiet");
	assert_int_equal(cl.nnotes, 2);
	assert_non_null(strstr(cl.notes[1], "16G pages that no grub file holds"));
	hp_cmdline_release(&cl);
	/* the next boot's command line would pass the kernel's 2048 bytes: refused */
	sbuf_adds(&longline, "BOOT_IMAGE=/vmlinuz");
	while (longline.len < 2000)
		sbuf_adds(&longline, " option=value");
	assert_int_equal(hp_cmdline_build(&m, &w, &g, longline.buf, &cl, &d), -E2BIG);
	assert_non_null(strstr(d.msg, "too large"));
	sbuf_release(&longline);
	hp_wants_release(&w);
	hp_request_release(&req);
	hp_grub_release(&g);
	host_free(h);
	host_model_release(&m);
	host_free(fx);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
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
		cmocka_unit_test(test_wants_and_cmdline),
		cmocka_unit_test(test_cmdline_parse),
		cmocka_unit_test(test_grub_merge),
		cmocka_unit_test(test_group_and_file_plan_rollback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
