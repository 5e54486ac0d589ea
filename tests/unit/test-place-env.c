/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for place_env_load(), the planner's host that plan, run and the
 * daemon build: on a copy of tests/data/machine-32intel64 (2 nodes, 2048 free
 * 2M pages each) with a reservation record of 2048 pages on node 1 and a
 * defined 2 GiB domain bound to node 0, what counts as used with and without
 * each option.
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

#include "core/host.h"
#include "core/model.h"
#include "place/env.h"
#include "util/diag.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *fp;

	(void)snprintf(path, sizeof(path), "%s/%s", root, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static int setup(void **state)
{
	const char *src = getenv("KVMTUNE_SRC");
	char cmd[1024];

	(void)state;
	(void)snprintf(root, sizeof(root), "/tmp/kvmtune-place-env.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	(void)snprintf(cmd, sizeof(cmd),
		       "cp -a '%s/tests/data/machine-32intel64/.' '%s' && mkdir -p "
		       "'%s/run/kvmtune/hugepages' '%s/etc/libvirt/qemu' '%s/etc/libvirt/none' "
		       "'%s/var/lib/kvmtune'",
		       src ? src : ".", root, root, root, root, root);
	if (system(cmd) != 0)
		return -1;
	put("run/kvmtune/hugepages/other", "node 1 page_kb 2048 pages 2048\n");
	put("etc/libvirt/qemu/web.xml",
	    "<domain type='kvm'><name>web</name><vcpu>2</vcpu>\n"
	    "  <memory unit='GiB'>2</memory>\n"
	    "  <memoryBacking><hugepages><page size='2' unit='M'/></hugepages></memoryBacking>\n"
	    "  <numatune><memory mode='strict' nodeset='0'/></numatune>\n"
	    "</domain>\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

struct fx {
	struct host *h;
	struct host_model m;
	struct place_env e;
};

static void fx_load(struct fx *f, const struct place_env_opts *o, bool with_host)
{
	struct diag d = {0};

	memset(f, 0, sizeof(*f));
	assert_int_equal(host_open(root, &f->h, &d), 0);
	assert_int_equal(host_model_load(f->h, &f->m, &d), 0);
	assert_int_equal(place_env_load(with_host ? f->h : NULL, &f->m, o, &f->e, &d), 0);
}

static void fx_free(struct fx *f)
{
	place_env_release(&f->e);
	host_model_release(&f->m);
	host_free(f->h);
}

static int64_t free_2m(const struct fx *f, size_t idx)
{
	const struct place_pool *p = place_node_pool_c(&f->e.ph.nodes[idx], 2048);

	assert_non_null(p);
	return p->free_pages;
}

static bool has_note(const struct fx *f, const char *text)
{
	for (size_t i = 0; i < f->e.ph.nnotes; i++)
		if (strstr(f->e.ph.notes[i], text))
			return true;
	return false;
}

/* As run builds it: the record and the domain count, one note each. */
static void test_counts_used(void **state)
{
	struct place_env_opts o = {.keep_free_kib = -1, .note_used = true, .no_processes = true};
	struct fx f;

	(void)state;
	fx_load(&f, &o, true);
	assert_int_equal(f.e.ph.nnodes, 2);
	assert_int_equal(f.e.usage.nvms, 2);
	assert_int_equal(free_2m(&f, 0), 2048 - 1024); /* web's 2 GiB, not faulted */
	assert_int_equal(free_2m(&f, 1), 0);	       /* the record holds all of node 1 */
	assert_true(has_note(&f, "counted as used: other (reserved pages)"));
	assert_true(has_note(&f, "counted as used: web (defined)"));
	fx_free(&f);
}

/* The owner placed again gives back what it holds; no notes without note_used. */
static void test_replan(void **state)
{
	const char *replan[] = {"other", "web"};
	struct place_env_opts o = {.keep_free_kib = -1, .replan = replan, .nreplan = 1};
	struct fx f;

	(void)state;
	fx_load(&f, &o, true);
	assert_int_equal(free_2m(&f, 0), 1024);
	assert_int_equal(free_2m(&f, 1), 2048);
	assert_int_equal(f.e.ph.nnotes, 0);
	fx_free(&f);
	o.nreplan = 2;
	fx_load(&f, &o, true);
	assert_int_equal(free_2m(&f, 0), 2048);
	assert_int_equal(free_2m(&f, 1), 2048);
	fx_free(&f);
}

/* Another domains directory (the daemon's default is the same as plan's): web is not seen. */
static void test_domains_dir(void **state)
{
	struct place_env_opts o = {.keep_free_kib = -1, .domains_dir = "/etc/libvirt/none"};
	struct fx f;

	(void)state;
	fx_load(&f, &o, true);
	assert_int_equal(f.e.usage.nvms, 1);
	assert_int_equal(free_2m(&f, 0), 2048);
	assert_int_equal(free_2m(&f, 1), 0);
	fx_free(&f);
}

/* keep-free and host cores reach the planner's host. */
static void test_guard_and_cores(void **state)
{
	struct place_env_opts o = {.keep_free_kib = -1};
	int64_t guarded, kept_1g;
	unsigned free_cores;
	struct fx f;

	(void)state;
	fx_load(&f, &o, true);
	guarded = f.e.ph.nodes[0].mem_kib;
	free_cores = f.e.ph.nodes[0].free_cores;
	fx_free(&f);
	o.keep_free_kib = 1024 * 1024;
	o.host_cores = 2;
	fx_load(&f, &o, true);
	kept_1g = f.e.ph.nodes[0].mem_kib;
	assert_true(kept_1g > 0);
	assert_true(kept_1g != guarded);
	assert_int_equal(f.e.ph.nodes[0].free_cores, free_cores - 2);
	fx_free(&f);
}

/* idle: memory from the model, nothing read, nothing counted; no host without idle is refused. */
static void test_idle(void **state)
{
	struct place_env_opts o = {.keep_free_kib = -1, .idle = true, .note_used = true};
	struct place_env e = {0};
	struct diag d = {0};
	struct fx f;

	(void)state;
	fx_load(&f, &o, false);
	assert_int_equal(f.e.usage.nvms, 0);
	assert_int_equal(f.e.mem.nnodes, 2);
	assert_int_equal(f.e.mem.nodes[0].total_kib, f.m.nodes[0].mem_total_kib);
	assert_int_equal(f.e.mem.nodes[0].avail_kib, f.m.nodes[0].mem_free_kib);
	assert_int_equal(f.e.ph.nnotes, 0);
	o.idle = false;
	assert_int_equal(place_env_load(NULL, &f.m, &o, &e, &d), -EINVAL);
	place_env_release(&e);
	fx_free(&f);
}

/* Saved costs that do not parse leave SLIT with a note; without saved_costs, no note.
 * (Last: it adds the costs file to the shared tree.) */
static void test_saved_costs(void **state)
{
	struct place_env_opts o = {.keep_free_kib = -1, .saved_costs = true};
	struct fx f;

	(void)state;
	put("var/lib/kvmtune/memory-costs", "not costs\n");
	fx_load(&f, &o, true);
	assert_true(has_note(&f, "measured costs not used (/var/lib/kvmtune/memory-costs)"));
	assert_int_equal(f.e.ph.cost[1], 21); /* SLIT: node 0 to node 1 */
	fx_free(&f);
	o.saved_costs = false;
	fx_load(&f, &o, true);
	assert_false(has_note(&f, "costs"));
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_used), cmocka_unit_test(test_replan),
		cmocka_unit_test(test_domains_dir), cmocka_unit_test(test_guard_and_cores),
		cmocka_unit_test(test_idle),	    cmocka_unit_test(test_saved_costs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
