/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the apply step of 'hugepages set' on a temporary copy of a
 * real fixture tree.  A host write hook plays the kernel: it caps how many
 * pages a pool can reach (fragmentation), raises the cap when memory is
 * compacted or caches are dropped, and makes chosen writes fail, so that the
 * fragmentation loop and the rollback can be checked write by write.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
#include "core/model.h"
#include "util/diag.h"

#include "util/banned.h"

#define INTEL2 "machine-32intel64" /* hwloc's 32intel64-2p8co2t+8ve */
#define NODE_POOL(n, kib) \
	"/sys/devices/system/node/node" #n "/hugepages/hugepages-" #kib "kB/nr_hugepages"

struct sim {
	char root[512];
	int nr_writes;	       /* writes to nr_hugepages files seen */
	int fail_nth;	       /* fail this nr_hugepages write (1-based), 0: none */
	const char *fail_path; /* fail every write to this path */
	bool fail_after;       /* once one write failed, fail all later ones too */
	bool failed;
	int64_t cap[2];	      /* most 2M pages node 0/1 can reach, -1: no limit */
	int64_t compact_gain; /* pages the next compaction frees on its node (or on each) */
	int64_t drop_gain;
	int compactions, drops;
	char log[64][160];
	int nlog;
};

struct tx {
	char root[512];
	struct host *h;
	struct host_model m;
	struct hp_mem mem;
	struct sim sim;
};

static void put_file(const char *root, const char *path, const char *value)
{
	char full[1024];
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "w");
	if (!f)
		fail_msg("cannot write %s", full);
	fputs(value, f);
	fclose(f);
}

static int64_t get_file(const char *root, const char *path)
{
	char full[1024];
	long long v = -1;
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	if (!f)
		fail_msg("cannot read %s", full);
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int node_of(const char *path)
{
	int node;

	if (sscanf(path, "/sys/devices/system/node/node%d/", &node) == 1)
		return node;
	return -1;
}

static int sim_hook(void *userdata, const char *path, const char *value)
{
	struct sim *s = userdata;
	size_t plen = strlen(path);
	int node = node_of(path);

	if (s->nlog < 64)
		(void)snprintf(s->log[s->nlog++], sizeof(s->log[0]), "%s=%s", path, value);
	if (strcmp(path, "/proc/sys/vm/compact_memory") == 0 ||
	    (plen > 8 && strcmp(path + plen - 8, "/compact") == 0)) {
		s->compactions++;
		for (int i = 0; i < 2; i++)
			if (s->cap[i] >= 0 && (node < 0 || node == i))
				s->cap[i] += s->compact_gain;
		s->compact_gain = 0; /* only the first compaction helps */
		return 1;
	}
	if (strcmp(path, "/proc/sys/vm/drop_caches") == 0) {
		s->drops++;
		for (int i = 0; i < 2; i++)
			if (s->cap[i] >= 0)
				s->cap[i] += s->drop_gain;
		return 1;
	}
	s->nr_writes++;
	if ((s->failed && s->fail_after) || s->nr_writes == s->fail_nth ||
	    (s->fail_path && strcmp(path, s->fail_path) == 0)) {
		s->failed = true;
		return -EIO;
	}
	if (node >= 0 && node < 2 && strstr(path, "hugepages-2048kB") && s->cap[node] >= 0) {
		long long v = strtoll(value, NULL, 10);
		char capped[32];

		(void)snprintf(capped, sizeof(capped), "%lld",
			       v < s->cap[node] ? v : (long long)s->cap[node]);
		put_file(s->root, path, capped);
		return 1;
	}
	return 0;
}

/* One copy of the fixture for all tests (copying is slow); each test resets its pools. */
static char fixture_copy[512];

static int group_setup(void **state)
{
	const char *src = getenv("KVMTUNE_SRC");
	char cmd[1536], tmpl[] = "/tmp/test-hugepages-apply.XXXXXX";

	(void)state;
	if (!mkdtemp(tmpl))
		return -1;
	(void)snprintf(fixture_copy, sizeof(fixture_copy), "%s/root", tmpl);
	(void)snprintf(cmd, sizeof(cmd), "cp -a '%s/tests/data/%s' '%s'", src ? src : ".", INTEL2,
		       fixture_copy);
	return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[1024];
	size_t n = strlen(fixture_copy) - strlen("/root");

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)n, fixture_copy);
	return system(cmd) == 0 ? 0 : -1;
}

static struct tx *tx_new(void)
{
	struct tx *t = calloc(1, sizeof(*t));
	struct diag d = {0};

	assert_non_null(t);
	memcpy(t->root, fixture_copy, sizeof(t->root));
	/* The fixture's pools: 2048 x 2M and 0 x 1G on each node, 4096 x 2M in all. */
	put_file(t->root, NODE_POOL(0, 2048), "2048\n");
	put_file(t->root, NODE_POOL(1, 2048), "2048\n");
	put_file(t->root, NODE_POOL(0, 1048576), "0\n");
	put_file(t->root, NODE_POOL(1, 1048576), "0\n");
	assert_int_equal(host_open(t->root, &t->h, &d), 0);
	assert_int_equal(host_model_load(t->h, &t->m, &d), 0);
	assert_int_equal(hugepages_mem_load(t->h, &t->m, &t->mem, &d), 0);
	memcpy(t->sim.root, t->root, sizeof(t->root));
	t->sim.cap[0] = t->sim.cap[1] = -1;
	host_set_write_hook(t->h, sim_hook, &t->sim);
	return t;
}

static void tx_free(struct tx *t)
{
	hugepages_mem_release(&t->mem);
	host_model_release(&t->m);
	host_free(t->h);
	free(t);
}

/* Decide a request ("2M=4096 1G=2" on "0,1") into plan. */
static void decide(struct tx *t, const char *a1, const char *a2, const char *nodes,
		   struct hp_plan *plan)
{
	struct hp_request req = HP_REQUEST_INIT;
	struct diag d = {0};

	assert_int_equal(hp_request_add(&req, a1, &d), 0);
	if (a2)
		assert_int_equal(hp_request_add(&req, a2, &d), 0);
	if (nodes)
		assert_int_equal(hp_request_set_nodes(&req, nodes, &d), 0);
	if (hugepages_decide(&t->m, &t->mem, &req, plan, &d) < 0)
		fail_msg("decide: %s", d.msg);
	hp_request_release(&req);
}

static void test_apply_met_and_unchanged(void **state)
{
	struct tx *t = tx_new();
	struct hp_apply_opts o = {.timeout_s = 10};
	struct hp_plan plan = {0};
	struct hp_result res[4];
	struct diag d = {0};

	(void)state;
	decide(t, "2M=2048", "1G=2", "0", &plan);
	assert_int_equal(plan.nchanges, 2);
	assert_int_equal(hugepages_apply(t->h, &plan, &o, res, &d), 0);
	/* 2M on node 0 already holds 2048: no write at all. */
	assert_int_equal(res[0].status, HP_UNCHANGED);
	assert_int_equal(res[1].status, HP_MET);
	assert_int_equal(res[1].got_pages, 2);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 1048576)), 2);
	for (int i = 0; i < t->sim.nlog; i++)
		assert_null(strstr(t->sim.log[i], "hugepages-2048kB"));
	hp_plan_release(&plan);
	tx_free(t);
}

static void test_apply_fragmented_short(void **state)
{
	struct tx *t = tx_new();
	struct hp_apply_opts o = {.timeout_s = 10};
	struct hp_plan plan = {0};
	struct hp_result res[2];
	struct diag d = {0};

	(void)state;
	/* Node 0 can reach 2300 pages, a compaction frees 50 more, then nothing. */
	t->sim.cap[0] = 2300;
	t->sim.compact_gain = 50;
	decide(t, "2M=2500", NULL, "0", &plan);
	assert_int_equal(hugepages_apply(t->h, &plan, &o, res, &d), 1);
	assert_int_equal(res[0].status, HP_SHORT);
	assert_int_equal(res[0].before_pages, 2048);
	assert_int_equal(res[0].got_pages, 2350);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 2048)), 2350);
	/* Compacted once for the stall at 2300, once more at 2350 (no gain), then gave up. */
	assert_int_equal(t->sim.compactions, 2);
	assert_int_equal(res[0].compactions, 2);
	assert_int_equal(t->sim.drops, 0);
	assert_non_null(strstr(t->sim.log[0], NODE_POOL(0, 2048)));
	assert_non_null(strstr(res[0].reason, "got 2350 of 2500 pages: memory is fragmented"));
	assert_non_null(strstr(res[0].next_step, "retry with --drop-caches"));
	assert_non_null(strstr(res[0].next_step, "'hugepagesz=2M hugepages=0:2500'"));
	hp_plan_release(&plan);
	tx_free(t);
}

static void test_apply_drop_caches_meets(void **state)
{
	struct tx *t = tx_new();
	struct hp_apply_opts o = {.timeout_s = 10, .drop_caches = true};
	struct hp_plan plan = {0};
	struct hp_result res[2];
	struct diag d = {0};

	(void)state;
	t->sim.cap[0] = t->sim.cap[1] = 2100;
	t->sim.compact_gain = 0;
	t->sim.drop_gain = 500;
	decide(t, "2M=2500", NULL, "0,1", &plan);
	assert_int_equal(hugepages_apply(t->h, &plan, &o, res, &d), 0);
	assert_int_equal(res[0].status, HP_MET);
	assert_int_equal(res[1].status, HP_MET);
	assert_true(res[0].dropped_caches);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 2048)), 2500);
	assert_int_equal(get_file(t->root, NODE_POOL(1, 2048)), 2500);
	/* The drop for node 0 also freed node 1's memory: no measure needed there. */
	assert_int_equal(t->sim.drops, 1);
	assert_false(res[1].dropped_caches);
	hp_plan_release(&plan);
	tx_free(t);
}

static void test_apply_boot_hint_host_wide(void **state)
{
	struct hp_result res[1] = {{.status = HP_SHORT}};
	struct hp_change ch = {.node = -1, .size_kib = 1048576, .old_pages = 0, .new_pages = 16};
	struct hp_plan plan = {&ch, 1};
	char buf[128];

	(void)state;
	assert_true(hugepages_boot_hint(&plan, res, 1048576, buf, sizeof(buf)));
	assert_string_equal(buf, "hugepagesz=1G hugepages=16");
	assert_false(hugepages_boot_hint(&plan, res, 2048, buf, sizeof(buf)));
	res[0].status = HP_MET;
	assert_false(hugepages_boot_hint(&plan, res, 1048576, buf, sizeof(buf)));
}

/* The brief's case: the second write fails; the first change is undone. */
static void test_rollback_second_write(void **state)
{
	struct tx *t = tx_new();
	struct hp_apply_opts o = {.timeout_s = 10, .step_parts = 1};
	struct hp_plan plan = {0};
	struct hp_result res[4];
	struct diag d = {0};

	(void)state;
	t->sim.fail_nth = 2;
	decide(t, "2M=3000", "1G=3", "0,1", &plan);
	assert_int_equal(plan.nchanges, 4);
	assert_int_equal(hugepages_apply(t->h, &plan, &o, res, &d), -EIO);
	assert_non_null(strstr(d.msg, "cannot write"));
	/* Plan order: node 0 2M, node 0 1G, node 1 2M, node 1 1G. */
	assert_int_equal(plan.changes[0].node, 0);
	assert_int_equal(plan.changes[0].size_kib, 2048);
	assert_int_equal(res[0].status, HP_ROLLED_BACK);
	assert_int_equal(res[1].status, HP_FAILED);
	assert_int_equal(res[2].status, HP_PLANNED);
	assert_int_equal(res[3].status, HP_PLANNED);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 2048)), 2048);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 1048576)), 0);
	assert_int_equal(get_file(t->root, NODE_POOL(1, 2048)), 2048);
	assert_int_equal(get_file(t->root, NODE_POOL(1, 1048576)), 0);
	/* Writes: node0 2M=3000, node0 1G=3 (failed), node0 2M=2048 (the restore). */
	assert_int_equal(t->sim.nlog, 3);
	assert_string_equal(t->sim.log[0], NODE_POOL(0, 2048) "=3000");
	assert_string_equal(t->sim.log[1], NODE_POOL(0, 1048576) "=3");
	assert_string_equal(t->sim.log[2], NODE_POOL(0, 2048) "=2048");
	hp_plan_release(&plan);
	tx_free(t);
}

static void test_rollback_all_changed_pools(void **state)
{
	struct tx *t = tx_new();
	struct hp_apply_opts o = {.timeout_s = 10};
	struct hp_plan plan = {0};
	struct hp_result res[4];
	struct diag d = {0};

	(void)state;
	t->sim.fail_path = NODE_POOL(1, 1048576);
	decide(t, "2M=1000", "1G=2", "0,1", &plan);
	/* Shrinks first: node 0 2M, node 1 2M, then node 0 1G, node 1 1G (fails). */
	assert_int_equal(hugepages_apply(t->h, &plan, &o, res, &d), -EIO);
	assert_string_equal(plan.changes[3].path, NODE_POOL(1, 1048576));
	for (int i = 0; i < 3; i++)
		assert_int_equal(res[i].status, HP_ROLLED_BACK);
	assert_int_equal(res[3].status, HP_FAILED);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 2048)), 2048);
	assert_int_equal(get_file(t->root, NODE_POOL(1, 2048)), 2048);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 1048576)), 0);
	assert_int_equal(get_file(t->root, NODE_POOL(1, 1048576)), 0);
	hp_plan_release(&plan);
	tx_free(t);
}

static void test_rollback_that_fails_is_reported(void **state)
{
	struct tx *t = tx_new();
	struct hp_apply_opts o = {.timeout_s = 10, .step_parts = 1};
	struct hp_plan plan = {0};
	struct hp_result res[2];
	struct diag d = {0};

	(void)state;
	t->sim.fail_nth = 2;
	t->sim.fail_after = true;
	decide(t, "2M=2100", NULL, "0,1", &plan);
	assert_int_equal(hugepages_apply(t->h, &plan, &o, res, &d), -EIO);
	assert_int_equal(res[0].status, HP_ROLLBACK_FAILED);
	assert_non_null(strstr(res[0].reason, "could not restore 2048 pages, pool holds 2100"));
	assert_int_equal(res[1].status, HP_FAILED);
	/* The diag still names the first failure, not the restore. */
	assert_non_null(strstr(d.msg, "node1"));
	hp_plan_release(&plan);
	tx_free(t);
}

/* A failure before any pool changed is "nothing was changed", not "restored". */
static void test_outcome(void **state)
{
	struct tx *t = tx_new();
	struct hp_apply_opts o = {.timeout_s = 10, .step_parts = 1};
	struct hp_plan plan = {0};
	struct hp_result res[4];
	struct diag d = {0};
	int r;

	(void)state;
	t->sim.fail_nth = 1;
	decide(t, "2M=3000", NULL, "0,1", &plan);
	r = hugepages_apply(t->h, &plan, &o, res, &d);
	assert_int_equal(r, -EIO);
	assert_false(res[0].changed);
	assert_int_equal(hugepages_outcome(&plan, res, r), HP_OUTCOME_NOTHING_CHANGED);
	assert_string_equal(hp_outcome_text(HP_OUTCOME_NOTHING_CHANGED),
			    "failed: nothing was changed");
	hp_plan_release(&plan);
	/* the second write fails: the first pool changed and was restored */
	t->sim.nr_writes = 0;
	t->sim.failed = false;
	t->sim.fail_nth = 2;
	decide(t, "2M=3000", NULL, "0,1", &plan);
	r = hugepages_apply(t->h, &plan, &o, res, &d);
	assert_true(res[0].changed);
	assert_int_equal(hugepages_outcome(&plan, res, r), HP_OUTCOME_ROLLED_BACK);
	assert_int_equal(get_file(t->root, NODE_POOL(0, 2048)), 2048);
	hp_plan_release(&plan);
	assert_int_equal(hugepages_outcome(&plan, res, 0), HP_OUTCOME_MET);
	assert_int_equal(hugepages_outcome(&plan, res, 1), HP_OUTCOME_PARTIAL);
	tx_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_met_and_unchanged),
		cmocka_unit_test(test_apply_fragmented_short),
		cmocka_unit_test(test_apply_drop_caches_meets),
		cmocka_unit_test(test_apply_boot_hint_host_wide),
		cmocka_unit_test(test_rollback_second_write),
		cmocka_unit_test(test_rollback_all_changed_pools),
		cmocka_unit_test(test_rollback_that_fails_is_reported),
		cmocka_unit_test(test_outcome),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
