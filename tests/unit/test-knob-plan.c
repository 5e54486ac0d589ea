/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for knob plans on a temporary tree: values written in order and
 * read back, the same path written twice (KSM's sequence), a failing write
 * at every position restoring every value, a kernel that clamps a value, and
 * bracket files.
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
#include <unistd.h>

#include <cmocka.h>

#include "core/host.h"
#include "core/knob-plan.h"
#include "util/diag.h"

#include "util/banned.h"

struct tree {
	char root[256];
	struct host *h;
	int writes, fail_at, fail_also; /* fail these writes (1-based), 0: none */
	const char *clamp_path;		/* writes to it store "7" whatever was asked */
};

static void put(struct tree *t, const char *path, const char *value)
{
	char full[512], cmd[600];
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", t->root, path);
	(void)snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
	assert_int_equal(system(cmd), 0);
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(value, f);
	fclose(f);
}

static char *get(struct tree *t, const char *path)
{
	char *v = NULL;

	assert_int_equal(knob_value_read(t->h, path, KNOB_MATCH_BRACKET, &v, NULL), 0);
	return v;
}

static int hook(void *userdata, const char *path, const char *value)
{
	struct tree *t = userdata;

	++t->writes;
	if (t->writes == t->fail_at || t->writes == t->fail_also)
		return -EIO;
	if (t->clamp_path && strcmp(path, t->clamp_path) == 0) {
		put(t, path, "7\n"); /* once: the restore works */
		t->clamp_path = NULL;
		return 1;
	}
	return 0;
}

static struct tree *tree_new(void)
{
	struct tree *t = calloc(1, sizeof(*t));
	struct diag d = {0};

	assert_non_null(t);
	(void)snprintf(t->root, sizeof(t->root), "/tmp/test-knob-plan.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	put(t, "/proc/cpuinfo", "processor\t: 0\n");
	put(t, "/proc/sys/vm/swappiness", "60\n");
	put(t, "/proc/sys/vm/dirty_ratio", "20\n");
	put(t, "/sys/kernel/mm/ksm/run", "1\n");
	put(t, "/sys/kernel/mm/ksm/merge_across_nodes", "1\n");
	put(t, "/sys/block/sda/queue/scheduler", "none [mq-deadline] kyber\n");
	assert_int_equal(host_open(t->root, &t->h, &d), 0);
	host_set_write_hook(t->h, hook, t);
	return t;
}

static void tree_free(struct tree *t)
{
	char cmd[300];

	host_free(t->h);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
	free(t);
}

static void plan_five(struct knob_plan *p)
{
	knob_plan_add(p, "vm.swappiness", "/proc/sys/vm/swappiness", "60", "10", KNOB_MATCH_EXACT,
		      "why");
	knob_plan_add(p, "ksm.run", "/sys/kernel/mm/ksm/run", "1", "2", KNOB_MATCH_EXACT,
		      "unmerge");
	knob_plan_add(p, "ksm.merge_across_nodes", "/sys/kernel/mm/ksm/merge_across_nodes", "1",
		      "0", KNOB_MATCH_EXACT, NULL);
	knob_plan_add(p, "ksm.run", "/sys/kernel/mm/ksm/run", "2", "1", KNOB_MATCH_EXACT,
		      "restart");
	knob_plan_add(p, "block.scheduler sda", "/sys/block/sda/queue/scheduler", "mq-deadline",
		      "none", KNOB_MATCH_BRACKET, NULL);
}

static void expect(struct tree *t, const char *path, const char *want)
{
	char *v = get(t, path);

	assert_string_equal(v, want);
	free(v);
}

static void test_apply(void **state)
{
	struct tree *t = tree_new();
	struct knob_plan p = {0};
	struct diag d = {0};

	plan_five(&p);
	assert_int_equal(knob_plan_count_changes(&p), 5);
	assert_int_equal(knob_plan_apply(t->h, &p, &d), 0);
	assert_int_equal(t->writes, 5);
	expect(t, "/proc/sys/vm/swappiness", "10");
	expect(t, "/sys/kernel/mm/ksm/run", "1");
	expect(t, "/sys/kernel/mm/ksm/merge_across_nodes", "0");
	expect(t, "/sys/block/sda/queue/scheduler", "none");
	assert_string_equal(p.v[3].before, "2"); /* read at apply time, after entry 1 */
	for (size_t i = 0; i < p.n; i++)
		assert_int_equal(p.v[i].status, KC_WRITTEN);
	/* again: everything already holds its value */
	t->writes = 0;
	assert_int_equal(knob_plan_apply(t->h, &p, &d), 0);
	assert_int_equal(p.v[0].status, KC_UNCHANGED);
	knob_plan_release(&p);
	tree_free(t);
}

/* A failing write at each position: every value is what it was before. */
static void test_fail_every_write(void **state)
{
	for (int k = 1; k <= 5; k++) {
		struct tree *t = tree_new();
		struct knob_plan p = {0};
		struct diag d = {0};

		plan_five(&p);
		t->fail_at = k;
		assert_int_equal(knob_plan_apply(t->h, &p, &d), -EIO);
		assert_true(strstr(d.msg, "cannot write") != NULL);
		assert_int_equal(p.v[k - 1].status, KC_FAILED);
		for (int j = 0; j < k - 1; j++)
			assert_int_equal(p.v[j].status, KC_ROLLED_BACK);
		expect(t, "/proc/sys/vm/swappiness", "60");
		expect(t, "/sys/kernel/mm/ksm/run", "1");
		expect(t, "/sys/kernel/mm/ksm/merge_across_nodes", "1");
		expect(t, "/sys/block/sda/queue/scheduler", "mq-deadline");
		knob_plan_release(&p);
		tree_free(t);
	}
}

/* The kernel keeps another value than asked: a failure, rolled back. */
static void test_read_back_differs(void **state)
{
	struct tree *t = tree_new();
	struct knob_plan p = {0};
	struct diag d = {0};

	plan_five(&p);
	t->clamp_path = "/sys/kernel/mm/ksm/merge_across_nodes";
	assert_int_equal(knob_plan_apply(t->h, &p, &d), -EIO);
	assert_true(strstr(d.msg, "reads back '7'") != NULL);
	assert_int_equal(p.v[2].status, KC_FAILED);
	expect(t, "/sys/kernel/mm/ksm/merge_across_nodes", "1"); /* restored: it changed */
	expect(t, "/sys/kernel/mm/ksm/run", "1");
	expect(t, "/proc/sys/vm/swappiness", "60");
	knob_plan_release(&p);
	tree_free(t);
}

/* A restore that fails too is reported, not hidden. */
static void test_rollback_fails(void **state)
{
	struct tree *t = tree_new();
	struct knob_plan p = {0};
	struct diag d = {0};

	plan_five(&p);
	t->fail_at = 3;	  /* merge_across_nodes */
	t->fail_also = 4; /* the first restore: ksm.run back to 1 */
	assert_int_equal(knob_plan_apply(t->h, &p, &d), -EIO);
	assert_int_equal(p.v[2].status, KC_FAILED);
	assert_int_equal(p.v[1].status, KC_ROLLBACK_FAILED);
	assert_true(strstr(p.v[1].problem, "could not restore '1'") != NULL);
	assert_int_equal(p.v[0].status, KC_ROLLED_BACK);
	expect(t, "/sys/kernel/mm/ksm/run", "2");
	expect(t, "/proc/sys/vm/swappiness", "60");
	/* a second rollback does not hide it */
	t->fail_at = t->fail_also = 0;
	assert_int_equal(knob_plan_rollback(t->h, &p), -EIO); /* still reported */
	knob_plan_release(&p);
	tree_free(t);
}

static void test_missing_file(void **state)
{
	struct tree *t = tree_new();
	struct knob_plan p = {0};
	struct diag d = {0};

	knob_plan_add(&p, "vm.swappiness", "/proc/sys/vm/swappiness", "60", "10", KNOB_MATCH_EXACT,
		      NULL);
	knob_plan_add(&p, "x", "/proc/sys/vm/nope", "1", "2", KNOB_MATCH_EXACT, NULL);
	assert_int_equal(knob_plan_apply(t->h, &p, &d), -ENOENT);
	expect(t, "/proc/sys/vm/swappiness", "60");
	assert_int_equal(p.v[0].status, KC_ROLLED_BACK);
	knob_plan_release(&p);
	tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_fail_every_write),
		cmocka_unit_test(test_read_back_differs),
		cmocka_unit_test(test_rollback_fails),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
