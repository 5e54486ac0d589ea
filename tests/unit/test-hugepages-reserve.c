/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for hugepage reservations: owner names, the record format, the
 * reserve decision (idempotent per owner) and the release floor (other
 * owners, pages in use), on the 32intel64-2p8co2t+8ve fixture model.
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
#include "core/hugepages-plan.h"
#include "core/hugepages-reserve.h"
#include "core/hugepages-txn.h"
#include "core/model.h"
#include "util/diag.h"

#include "util/banned.h"

struct fx {
	struct host *h;
	struct host_model m;
	struct hp_mem mem;
};

static struct fx *fx_load(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *src = getenv("KVMTUNE_SRC");
	struct diag d = {0};
	char root[512];

	assert_non_null(f);
	(void)snprintf(root, sizeof(root), "%s/tests/data/machine-32intel64", src ? src : ".");
	assert_int_equal(host_open(root, &f->h, &d), 0);
	assert_int_equal(host_model_load(f->h, &f->m, &d), 0);
	assert_int_equal(hugepages_mem_load(f->h, &f->m, &f->mem, &d), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	hugepages_mem_release(&f->mem);
	host_model_release(&f->m);
	host_free(f->h);
	free(f);
}

static struct pool *node_pool(struct fx *f, int node, uint64_t kib)
{
	return (struct pool *)node_find_pool(model_find_node(&f->m, node), kib);
}

static void test_owner_names(void **state)
{
	(void)state;
	assert_int_equal(hp_owner_check("vm-101", NULL), 0);
	assert_int_equal(hp_owner_check("qemu@web_1.example:2", NULL), 0);
	assert_int_equal(hp_owner_check("", NULL), -EINVAL);
	assert_int_equal(hp_owner_check(".hidden", NULL), -EINVAL);
	assert_int_equal(hp_owner_check("../etc/passwd", NULL), -EINVAL);
	assert_int_equal(hp_owner_check("a b", NULL), -EINVAL);
	assert_int_equal(
		hp_owner_check("x123456789012345678901234567890123456789012345678901234567890123",
			       NULL),
		0);
	assert_int_equal(
		hp_owner_check("x1234567890123456789012345678901234567890123456789012345678901234",
			       NULL),
		-EINVAL);
}

static void test_reserve_idempotent(void **state)
{
	struct fx *f = fx_load();
	struct hp_resv_list l = {0};
	struct hp_plan plan = {0};
	struct diag d = {0};
	bool already;
	char *text;

	(void)state;
	/* 8 GiB of 1G pages on node 0: 0 -> 8. */
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "vm1", 0, 1048576, 8388608,
						  -1, &plan, &already, &d),
			 0);
	assert_false(already);
	assert_int_equal(plan.nchanges, 1);
	assert_int_equal(plan.changes[0].old_pages, 0);
	assert_int_equal(plan.changes[0].new_pages, 8);
	assert_string_equal(plan.changes[0].reason, "reserve 8 x 1G for 'vm1'");
	text = hp_resv_format_owner(&l, "vm1");
	assert_string_equal(text, "node 0 page_kb 1048576 pages 8\n");
	free(text);
	/* The same again: nothing to do. */
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "vm1", 0, 1048576, 8388608,
						  -1, &plan, &already, &d),
			 0);
	assert_true(already);
	assert_int_equal(plan.nchanges, 0);
	assert_int_equal(l.n, 1);
	/* A different amount for the same owner and pool: release first. */
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "vm1", 0, 1048576, 2097152,
						  -1, &plan, &already, &d),
			 -EEXIST);
	/* 3 MiB of 2M pages rounds up to 2 pages, taken from the host-wide pool's 4096 free. */
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "vm2", -1, 2048, 3072, -1,
						  &plan, &already, &d),
			 0);
	assert_int_equal(plan.changes[0].node, -1);
	assert_int_equal(plan.changes[0].new_pages, 4096);
	text = hp_resv_format_owner(&l, "vm2");
	assert_string_equal(text, "node -1 page_kb 2048 pages 2 grown 0\n");
	free(text);
	assert_int_equal(hp_resv_held(&l, 0, 1048576, NULL), 8);
	assert_int_equal(hp_resv_held(&l, 0, 1048576, "vm1"), 0);
	/* The guard and validation of 'set' apply. */
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "vm3", 7, 2048, 2048, -1,
						  &plan, &already, &d),
			 -EINVAL);
	assert_non_null(strstr(d.msg, "node 7 does not exist"));
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "vm3", 1, 1048576,
						  1048576ULL * 60, -1, &plan, &already, &d),
			 -ERANGE);
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "bad name", 0, 2048, 2048, -1,
						  &plan, &already, &d),
			 -EINVAL);
	assert_int_equal(l.n, 2);
	hp_plan_release(&plan);
	hp_resv_release(&l);
	fx_free(f);
}

/*
 * A reservation claims the pool's unclaimed free pages and grows it only by
 * the shortfall; release gives back only what it grew.
 */
static void test_reserve_claims_free(void **state)
{
	struct fx *f = fx_load();
	struct hp_resv_list l = {0};
	struct hp_plan plan = {0};
	struct pool *p0 = node_pool(f, 0, 2048);
	struct diag d = {0};
	bool already;
	int64_t kept;
	char *text;

	(void)state;
	/* 8 pages free on node 0 (sized at boot): 'a' takes them, the pool stays 8. */
	p0->total = 8;
	p0->free = 8;
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "a", 0, 2048, 8 * 2048, -1,
						  &plan, &already, &d),
			 0);
	assert_int_equal(plan.nchanges, 1);
	assert_int_equal(plan.changes[0].old_pages, 8);
	assert_int_equal(plan.changes[0].new_pages, 8);
	text = hp_resv_format_owner(&l, "a");
	assert_string_equal(text, "node 0 page_kb 2048 pages 8 grown 0\n");
	free(text);
	/* Those free pages are a's now: 'b' grows the pool by all of its 4. */
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "b", 0, 2048, 4 * 2048, -1,
						  &plan, &already, &d),
			 0);
	assert_int_equal(plan.changes[0].new_pages, 12);
	text = hp_resv_format_owner(&l, "b");
	assert_string_equal(text, "node 0 page_kb 2048 pages 4\n");
	free(text);
	/* Releasing a (it grew nothing) leaves the pool as it is. */
	p0->total = 12;
	assert_int_equal(hugepages_decide_release(&f->m, &l, "a", &plan, &kept, &d), 0);
	assert_int_equal(plan.changes[0].old_pages, 12);
	assert_int_equal(plan.changes[0].new_pages, 12);
	assert_int_equal(kept, 0);
	/* Partly free: 8 free, 3 of them surplus, a host-wide record holds 2: 3 claimed. */
	hp_resv_release(&l);
	p0->total = 8;
	p0->free = 8;
	p0->surplus = 3;
	l.v = calloc(1, sizeof(*l.v));
	l.v[0] = (struct hp_resv){"w", -1, 2048, 2, 2};
	l.n = 1;
	assert_int_equal(hugepages_decide_reserve(&f->m, &f->mem, &l, "c", 0, 2048, 10 * 2048, -1,
						  &plan, &already, &d),
			 0);
	assert_int_equal(plan.changes[0].new_pages, 15);
	assert_non_null(strstr(plan.changes[0].reason,
			       "reserve 10 x 2M for 'c', 3 of them free in the pool"));
	text = hp_resv_format_owner(&l, "c");
	assert_string_equal(text, "node 0 page_kb 2048 pages 10 grown 7\n");
	free(text);
	/* Its release shrinks by the 7 it added. */
	p0->total = 15;
	p0->free = 15;
	assert_int_equal(hugepages_decide_release(&f->m, &l, "c", &plan, &kept, &d), 0);
	assert_int_equal(plan.changes[0].new_pages, 8);
	hp_plan_release(&plan);
	hp_resv_release(&l);
	fx_free(f);
}

static void test_release_floor(void **state)
{
	struct fx *f = fx_load();
	struct hp_resv_list l = {0};
	struct hp_plan plan = {0};
	struct pool *p0 = node_pool(f, 0, 2048);
	struct diag d = {0};
	int64_t kept;

	(void)state;
	/* Pool node 0: 2048 pages, 2048 free; a owns 100, b owns 50. */
	l.v = calloc(3, sizeof(*l.v));
	l.v[0] = (struct hp_resv){"a", 0, 2048, 100, 100};
	l.v[1] = (struct hp_resv){"b", 0, 2048, 50, 50};
	l.v[2] = (struct hp_resv){"a", 1, 2048, 10, 10};
	l.n = 3;
	assert_int_equal(hugepages_decide_release(&f->m, &l, "a", &plan, &kept, &d), 0);
	assert_int_equal(plan.nchanges, 2);
	assert_int_equal(plan.changes[0].node, 0);
	assert_int_equal(plan.changes[0].new_pages, 1948);
	assert_int_equal(plan.changes[1].node, 1);
	assert_int_equal(plan.changes[1].new_pages, 2038);
	assert_int_equal(kept, 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].owner, "b");
	/* A pool that only holds what b reserved: releasing b's cousin c keeps b's pages. */
	p0->total = 60;
	p0->free = 60;
	l.v = realloc(l.v, 2 * sizeof(*l.v));
	l.v[1] = (struct hp_resv){"c", 0, 2048, 30, 30};
	l.n = 2;
	assert_int_equal(hugepages_decide_release(&f->m, &l, "c", &plan, &kept, &d), 0);
	assert_int_equal(plan.changes[0].new_pages, 50);
	assert_int_equal(kept, 20);
	assert_non_null(strstr(plan.changes[0].reason, "some stay"));
	/* Pages in use (total - free) are never taken away. */
	p0->total = 200;
	p0->free = 20;
	assert_int_equal(hugepages_decide_release(&f->m, &l, "b", &plan, &kept, &d), 0);
	assert_int_equal(plan.changes[0].new_pages, 180);
	assert_int_equal(kept, 30);
	assert_int_equal(l.n, 0);
	/* Nothing recorded: an empty plan. */
	assert_int_equal(hugepages_decide_release(&f->m, &l, "b", &plan, &kept, &d), 0);
	assert_int_equal(plan.nchanges, 0);
	hp_plan_release(&plan);
	hp_resv_release(&l);
	fx_free(f);
}

/* Records round-trip through a temporary root; a malformed one is refused. */
static void test_records_on_disk(void **state)
{
	char tmpl[] = "/tmp/test-hugepages-reserve.XXXXXX", path[512], cmd[600];
	struct hp_resv_list l = {0}, back = {0};
	struct host *h = NULL;
	struct diag d = {0};
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(path, sizeof(path), "%s/proc", tmpl);
	assert_int_equal(mkdir(path, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/proc/cpuinfo", tmpl);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(host_open(tmpl, &h, &d), 0);
	assert_int_equal(hp_resv_load(h, &back, &d), 0);
	assert_int_equal(back.n, 0);
	l.v = calloc(2, sizeof(*l.v));
	l.v[0] = (struct hp_resv){"vm1", 0, 1048576, 8, 8};
	l.v[1] = (struct hp_resv){"vm1", -1, 2048, 3, 1};
	l.n = 2;
	assert_int_equal(hp_resv_save_owner(h, &l, "vm1", &d), 0);
	assert_int_equal(hp_resv_load(h, &back, &d), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[1].node, -1);
	assert_int_equal(back.v[1].pages, 3);
	assert_int_equal(back.v[1].grown, 1);
	assert_int_equal(back.v[0].grown, 8);
	assert_int_equal(back.v[0].holder_pid, 0);
	hp_resv_release(&back);
	/* a holder process: saved as 'pid P start S', read back, stale when /proc/P is gone */
	hp_resv_set_holder(&l, "vm1", 4242, 99);
	assert_int_equal(hp_resv_save_owner(h, &l, "vm1", &d), 0);
	assert_int_equal(hp_resv_load(h, &back, &d), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[1].holder_pid, 4242);
	assert_int_equal(back.v[1].holder_start, 99);
	{
		char **stale = NULL;

		assert_int_equal(hp_resv_stale_owners(h, &back, &stale), 1);
		assert_string_equal(stale[0], "vm1");
		host_names_free(stale);
	}
	hp_resv_release(&back);
	/* No entries left: the record is removed. */
	l.n = 0;
	assert_int_equal(hp_resv_save_owner(h, &l, "vm1", &d), 0);
	assert_int_equal(hp_resv_load(h, &back, &d), 0);
	assert_int_equal(back.n, 0);
	(void)snprintf(path, sizeof(path), "%s/run/kvmtune/hugepages/vm2", tmpl);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("node 0 page_kb 2048 pages -3\n", fp);
	fclose(fp);
	assert_int_equal(hp_resv_load(h, &back, &d), -EINVAL);
	assert_non_null(strstr(d.msg, "line 1: expected 'node N page_kb K pages P"));
	/* grown: at most pages, a number, after the word 'grown'; absent = pages */
	for (int i = 0; i < 3; i++) {
		static const char *const bad[] = {"pages 5 grown 6", "pages 5 grown -1",
						  "pages 5 grows 1"};

		fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, "node 0 page_kb 2048 %s\n", bad[i]);
		fclose(fp);
		assert_int_equal(hp_resv_load(h, &back, &d), -EINVAL);
		assert_non_null(strstr(d.msg, "G at most P"));
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("node 0 page_kb 2048 pages 5\nnode 1 page_kb 2048 pages 5 grown 2\n"
	      "node 1 page_kb 2048 pages 1 grown 1\n",
	      fp);
	fclose(fp);
	assert_int_equal(hp_resv_load(h, &back, &d), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[0].grown, 5);
	assert_int_equal(back.v[1].pages, 6);
	assert_int_equal(back.v[1].grown, 3);
	hp_resv_release(&back);
	/* Lines of one node and page size are one entry (a release makes one step of
	 * them, not 20000); their sum is bounded like one line. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 3000; i++)
		fputs("node 0 page_kb 2048 pages 1\n", fp);
	fputs("node 1 page_kb 2048 pages 2\n", fp);
	fclose(fp);
	assert_int_equal(hp_resv_load(h, &back, &d), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[0].pages, 3000);
	assert_int_equal(back.v[1].pages, 2);
	hp_resv_release(&back);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("node 0 page_kb 1048576 pages 4294967296\nnode 0 page_kb 1048576 pages 4294967296\n",
	      fp);
	fclose(fp);
	assert_int_equal(hp_resv_load(h, &back, &d), -ERANGE);
	assert_non_null(strstr(d.msg, "too large"));
	hp_resv_release(&l);
	host_free(h);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

/* A caller that decided under the "hugepages" lock (run's placement) reserves
 * without taking it again: without 'locked' it would wait for itself. */
static void test_txn_under_callers_lock(void **state)
{
	char tmpl[] = "/tmp/test-hugepages-reserve.XXXXXX", cmd[600];
	const char *src = getenv("KVMTUNE_SRC");
	struct hp_txn_opts o = {.keep_free_kib = -1};
	struct hp_txn_result res = {0};
	struct hp_needs needs = {0};
	struct hp_resv_list back = {0};
	struct host *h = NULL;
	struct diag d = {0};
	int lock;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	(void)snprintf(cmd, sizeof(cmd), "cp -a '%s/tests/data/machine-32intel64/.' '%s'",
		       src ? src : ".", tmpl);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(host_open(tmpl, &h, &d), 0);
	assert_int_equal(hp_needs_add(&needs, 1, 2048, 16384, &d), 0);
	lock = host_lock(h, "hugepages", 0, &d);
	assert_true(lock >= 0);
	assert_int_equal(hp_txn_reserve(h, "vm1", &needs, &o, &res, &d), -EAGAIN);
	hp_txn_result_release(&res);
	o.locked = true;
	assert_int_equal(hp_txn_reserve(h, "vm1", &needs, &o, &res, &d), 0);
	hp_txn_result_release(&res);
	assert_int_equal(hp_resv_load(h, &back, &d), 0);
	assert_int_equal(back.n, 1);
	assert_int_equal(back.v[0].node, 1);
	assert_int_equal(back.v[0].pages, 8);
	assert_int_equal(back.v[0].grown, 0); /* claimed from node 1's free pages */
	hp_resv_release(&back);
	(void)close(lock);
	hp_needs_release(&needs);
	host_free(h);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_names),
		cmocka_unit_test(test_reserve_idempotent),
		cmocka_unit_test(test_reserve_claims_free),
		cmocka_unit_test(test_release_floor),
		cmocka_unit_test(test_records_on_disk),
		cmocka_unit_test(test_txn_under_callers_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
