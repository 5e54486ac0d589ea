/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's apply step (apply.c) on a copy of the captured 2-node tree
 * (tests/data/stat-root-2node), with its system calls faked through the
 * dm_sys seam (move_pages, sched_setaffinity) and its pool writes through
 * the host write hook: the daemon moves beside the target CPUs for the
 * batches and gets its own CPUs back after a whole move, a failed one, one
 * whose VM vanished and one ended by SIGTERM; a target pool that grows short
 * is put back and the VM stays where it is (no CPU, no page moved), with the
 * reason in the log and --status, and the next grows back off (doubled, up to
 * an hour, reset when the node's free memory rises or its pool grows);
 * --status names how each VM's CPUs were placed (cgroup v2 cpuset or
 * sched_setaffinity), in text and JSON.
 */
#include <errno.h>
#include <sched.h>
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
#include <json-c/json.h>

#include "core/host.h"
#include "core/model.h"
#include "core/vmspec.h"
#include "daemon/daemon.h"
#include "daemon/reconcile.h"
#include "util/diag.h"
#include "util/xalloc.h"

#define NODE1_POOL "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"
#define NODE0_POOL "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"
#define NODE1_MEMINFO "/sys/devices/system/node/node1/meminfo"
#define WEB01_SCOPE "/sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope"
#define DB02_HUGE 0x7f0000000000ULL /* db02's 2 MiB mapping (100 pages) */

/* The fake kernel: the daemon's own affinity, the threads it set, the batches it ran. */
struct fake {
	char root[80];
	cpu_set_t own;	  /* the daemon's own CPUs (tid 0) */
	cpu_set_t before; /* what they were at the start */
	cpu_set_t target; /* the move's CPUs */
	int own_sets, thread_sets;
	size_t moves, beside, away; /* move calls, made on the target CPUs or elsewhere */
	size_t huge_pages;	    /* 2 MiB pages moved */
	size_t fail_at, vanish_at;  /* the n-th move call fails with -EIO / -ESRCH; 0 never */
	uint64_t now_us;
	long node1_cap; /* the kernel gives node 1's 2 MiB pool at most this many; 0 no cap */
	int pool_writes;
};

static struct fake F;

static void put(const char *root, const char *path, const char *content);
static long get_long(const char *root, const char *path);

/* A 2 MiB page of db02 moved from node 0 to node: the kernel frees it on node 0's pool. */
static void huge_moved(struct fake *f, int node)
{
	static const char *const free_path[2] = {
		"/sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages",
		"/sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages"};
	char buf[32];

	if (node != 1)
		return;
	(void)snprintf(buf, sizeof(buf), "%ld\n", get_long(f->root, free_path[0]) + 1);
	put(f->root, free_path[0], buf);
	(void)snprintf(buf, sizeof(buf), "%ld\n",
		       get_long(f->root, free_path[1]) > 0 ? get_long(f->root, free_path[1]) - 1
							   : 0);
	put(f->root, free_path[1], buf);
}

static int fake_move(void *ctx, int pid, size_t n, void *const *pages, int node, int *status)
{
	struct fake *f = ctx;

	(void)pid;
	f->moves++;
	if (CPU_EQUAL(&f->own, &f->target))
		f->beside++;
	else
		f->away++;
	if (f->fail_at && f->moves == f->fail_at)
		return -EIO;
	if (f->vanish_at && f->moves == f->vanish_at)
		return -ESRCH;
	f->now_us += 100 + 10 * n;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = (uint64_t)(uintptr_t)pages[i];

		status[i] = node;
		if (a >= DB02_HUGE && a < DB02_HUGE + 100 * 2048 * 1024ULL) {
			f->huge_pages++;
			huge_moved(f, node);
		}
	}
	return 0;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now_us;
}

/* Every page is on node 0. */
static int fake_query(void *ctx, int pid, size_t n, void *const *pages, int *status)
{
	(void)ctx;
	(void)pid;
	(void)pages;
	for (size_t i = 0; i < n; i++)
		status[i] = 0;
	return 0;
}

static int fake_set_affinity(void *ctx, int tid, size_t setsz, const cpu_set_t *set)
{
	struct fake *f = ctx;

	assert_true(setsz <= sizeof(cpu_set_t));
	if (tid != 0) {
		f->thread_sets++;
		return 0;
	}
	f->own_sets++;
	CPU_ZERO(&f->own);
	memcpy(&f->own, set, setsz);
	return 0;
}

static int fake_get_affinity(void *ctx, int tid, size_t setsz, cpu_set_t *set)
{
	struct fake *f = ctx;

	assert_int_equal(tid, 0);
	assert_true(setsz <= sizeof(cpu_set_t));
	memcpy(set, &f->own, setsz);
	return 0;
}

static const struct dm_sys fake_sys = {
	{fake_move, fake_now}, fake_query, fake_set_affinity, fake_get_affinity};

static void put(const char *root, const char *path, const char *content)
{
	char full[512];
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	for (char *s = strchr(full + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		assert_true(mkdir(full, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	(void)fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

static long get_long(const char *root, const char *path)
{
	char full[512];
	long v = -1;
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &v), 1);
	(void)fclose(f);
	return v;
}

/*
 * The kernel's side of the pools: a node's 2 MiB pool takes the value written
 * (node 1's at most node1_cap pages) and its free pages follow the change.
 */
static int hook(void *userdata, const char *path, const char *value)
{
	struct fake *f = userdata;
	char buf[32], free_path[160];
	const char *tail = "/hugepages/hugepages-2048kB/nr_hugepages";
	long v, old, free_pages;

	if (strstr(path, "/compact") || strstr(path, "drop_caches"))
		return 1;
	if (!strstr(path, "nr_hugepages"))
		return 0;
	f->pool_writes++;
	if (strncmp(path, "/sys/devices/system/node/node", 29) != 0 ||
	    strlen(path) <= strlen(tail) || strcmp(path + strlen(path) - strlen(tail), tail) != 0)
		return 0;
	v = strtol(value, NULL, 10);
	if (strcmp(path, NODE1_POOL) == 0 && f->node1_cap && v > f->node1_cap)
		v = f->node1_cap;
	old = get_long(f->root, path);
	(void)snprintf(free_path, sizeof(free_path), "%.*s/free_hugepages",
		       (int)(strlen(path) - strlen("/nr_hugepages")), path);
	free_pages = get_long(f->root, free_path) + v - old;
	(void)snprintf(buf, sizeof(buf), "%ld\n", free_pages > 0 ? free_pages : 0);
	put(f->root, free_path, buf);
	(void)snprintf(buf, sizeof(buf), "%ld\n", v);
	put(f->root, path, buf);
	return 1;
}

static int setup(void **state)
{
	const char *src = getenv("KVMTUNE_SRC");
	char cmd[1024], tmpl[] = "/tmp/test-daemon-apply.XXXXXX";

	(void)state;
	memset(&F, 0, sizeof(F));
	if (!mkdtemp(tmpl))
		return -1;
	(void)snprintf(F.root, sizeof(F.root), "%s/root", tmpl);
	(void)snprintf(cmd, sizeof(cmd), "cp -a '%s/tests/data/stat-root-2node' '%s'",
		       src ? src : ".", F.root);
	if (system(cmd) != 0)
		return -1;
	/* the mappings behind the tree's numa_maps: guest RAM and heaps writable, text not */
	put(F.root, "/proc/4500/maps",
	    "7f0000000000-7f000c800000 rw-s 00000000 00:2d 7 /dev/hugepages/db\n"
	    "7f1000000000-7f1000100000 rw-p 00000000 00:00 0\n");
	put(F.root, "/proc/4242/maps",
	    "55d000000000-55d0003e8000 r-xp 00000000 08:01 5 /usr/bin/qemu-system-x86_64\n"
	    "55d000400000-55d000480000 rw-p 00000000 00:00 0 [heap]\n"
	    "7f9000000000-7f9001389000 rw-p 00000000 00:00 0\n"
	    "7ffd00000000-7ffd0000a000 rw-p 00000000 00:00 0 [stack]\n");
	/* node 1's 2 MiB pool full (512 pages, none free): a move of hugetlb pages grows it */
	put(F.root, "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages",
	    "0\n");
	/* web01's unit has a cpuset of its own (cgroup v2), with libvirt's children */
	put(F.root, WEB01_SCOPE "/cgroup.controllers", "cpuset memory hugetlb\n");
	put(F.root, WEB01_SCOPE "/cpuset.cpus", "0-3\n");
	put(F.root, WEB01_SCOPE "/cpuset.mems", "0-1\n");
	put(F.root, WEB01_SCOPE "/libvirt/cpuset.cpus", "\n");
	put(F.root, WEB01_SCOPE "/libvirt/cpuset.mems", "\n");
	put(F.root, WEB01_SCOPE "/libvirt/emulator/cpuset.cpus", "\n");
	put(F.root, WEB01_SCOPE "/libvirt/emulator/cpuset.mems", "\n");
	for (int c = 0; c < 4; c++)
		CPU_SET(c, &F.own);
	F.before = F.own;
	CPU_SET(2, &F.target);
	CPU_SET(3, &F.target);
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(F.root) - strlen("/root")),
		       F.root);
	return system(cmd) == 0 ? 0 : -1;
}

static void dm_init(struct daemon *dm)
{
	struct diag d = {0};

	memset(dm, 0, sizeof(*dm));
	daemon_config_defaults(&dm->cfg);
	assert_int_equal(host_open(F.root, &dm->h, &d), 0);
	host_set_write_hook(dm->h, hook, &F);
	dm->sys = &fake_sys;
	dm->sys_ctx = &F;
	dm->act.huge_job = -1;
	/* what the last tick saw: db02 and web01 */
	dm->nseen = 2;
	dm->seen = xcalloc(2, sizeof(*dm->seen));
	dm->seen[0] = (struct dm_seen){.pid = 4500, .name = "db02", .verdict = RC_MOVE};
	dm->seen[1] = (struct dm_seen){.pid = 4242, .name = "web01", .verdict = RC_MOVE};
}

static void dm_fini(struct daemon *dm)
{
	dm_apply_abandon(dm);
	dm_apply_release(dm);
	free(dm->seen);
	host_free(dm->h);
}

/* db02 (2 MiB pages on node 0, sched_setaffinity: its cgroup is shared) to node 1. */
static void db02_move(struct rc_vm *v, struct rc_move *m, uint64_t grow)
{
	memset(v, 0, sizeof(*v));
	memset(m, 0, sizeof(*m));
	v->pid = 4500;
	snprintf(v->name, sizeof(v->name), "db02");
	v->page_kib = 2048;
	v->vcpus = 1;
	m->nnodes = 1;
	m->nodes[0] = 1;
	assert_int_equal(cpuset_parse_list("2-3", &m->cpus, NULL), 0);
	m->set_affinity = true;
	m->move_kib = 100 * 2048 + 1024;
	m->grow_pages = grow;
	snprintf(m->reason, sizeof(m->reason), "test");
}

/* Every batch at once (the rate's waits are the fake clock's). */
static void run_move(struct daemon *dm, size_t max_steps)
{
	for (size_t i = 0; dm->act.active && i < max_steps; i++) {
		dm->act.next_us = 0;
		(void)dm_apply_step(dm);
		if (dm->act.active && !CPU_EQUAL(&F.own, &F.target))
			fail_msg("between two batches the daemon is not on the target CPUs");
	}
}

static bool logged(const struct daemon *dm, const char *needle)
{
	for (size_t i = 0; i < DM_LOG_LINES && i < dm->nlog; i++)
		if (strstr(dm->log[i], needle))
			return true;
	return false;
}

static void test_move_beside_whole(void **state)
{
	struct daemon dm;
	struct rc_vm v;
	struct rc_move m;

	(void)state;
	dm_init(&dm);
	db02_move(&v, &m, 100);
	assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
	assert_true(dm.act.active);
	assert_int_equal(F.thread_sets, 2); /* its two threads on node 1's CPUs */
	assert_true(CPU_EQUAL(&F.own, &F.target));
	run_move(&dm, 10000);
	assert_false(dm.act.active);
	assert_true(F.moves > 2);
	if (F.away)
		fail_msg("%zu of %zu batches ran off the target CPUs", F.away, F.moves);
	assert_int_equal(F.huge_pages, 100);
	assert_int_equal(dm.huge_pages_moved, 100);
	assert_true(CPU_EQUAL(&F.own, &F.before)); /* its own CPUs back */
	assert_int_equal(F.own_sets, 2);
	assert_int_equal(get_long(F.root, NODE1_POOL), 612); /* grown first */
	assert_int_equal(get_long(F.root, NODE0_POOL), 412); /* shrunk after */
	cpuset_release(&m.cpus);
	dm_fini(&dm);
}

/*
 * A batch that fails, a VM that vanishes, a SIGTERM, a batch of the hugetlb
 * job that fails after some of its pages moved: the daemon's CPUs come back
 * each time, and the pools change by what moved.
 */
static void test_move_beside_ended_early(void **state)
{
	for (int k = 0; k < 4; k++) {
		struct daemon dm;
		struct rc_vm v;
		struct rc_move m;

		(void)state;
		setup(NULL);
		F.fail_at = k == 0 ? 3 : k == 3 ? 10 : 0;
		F.vanish_at = k == 1 ? 3 : 0;
		dm_init(&dm);
		db02_move(&v, &m, 100);
		assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
		assert_true(dm.act.active);
		if (k == 2) { /* SIGTERM after three batches */
			run_move(&dm, 3);
			assert_true(dm.act.active);
			dm_apply_abandon(&dm);
			assert_true(logged(&dm, "stopped between batches"));
		} else {
			run_move(&dm, 10000);
		}
		assert_false(dm.act.active);
		assert_int_equal(F.away, 0);
		if (!CPU_EQUAL(&F.own, &F.before))
			fail_msg("case %d: the daemon kept the target CPUs after the move", k);
		assert_true(k != 1 || logged(&dm, "vanished"));
		if (k == 3 && (F.huge_pages == 0 || F.huge_pages >= 100))
			fail_msg("case 3: %zu hugepages moved, not some", F.huge_pages);
		/* the pages node 1's pool grew by and the move did not use went back */
		if (get_long(F.root, NODE1_POOL) != 512 + (long)F.huge_pages)
			fail_msg("case %d: node 1's pool %ld after %zu hugepages moved", k,
				 get_long(F.root, NODE1_POOL), F.huge_pages);
		/* and node 0's shrank by the pages that left it, not by all listed: its 256
		 * free pages from before the move stay */
		if (get_long(F.root, NODE0_POOL) != 512 - (long)F.huge_pages)
			fail_msg("case %d: node 0's pool %ld after %zu hugepages moved", k,
				 get_long(F.root, NODE0_POOL), F.huge_pages);
		cpuset_release(&m.cpus);
		dm_fini(&dm);
		teardown(NULL);
	}
}

/* The kernel gives 18 of 100 pages: the pool is put back and nothing of the VM moves. */
static void test_short_pool_rollback(void **state)
{
	struct daemon dm;
	struct rc_vm v;
	struct rc_move m;
	char *text, *json;
	json_object *o, *vms, *bo;
	const char *why;

	(void)state;
	F.node1_cap = 530;
	dm_init(&dm);
	db02_move(&v, &m, 100);
	assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
	assert_false(dm.act.active);
	assert_int_equal(get_long(F.root, NODE1_POOL), 512); /* put back */
	assert_int_equal(get_long(F.root, NODE0_POOL), 512);
	assert_int_equal(F.moves, 0);	    /* no page */
	assert_int_equal(F.thread_sets, 0); /* no CPU */
	assert_int_equal(F.own_sets, 0);
	assert_int_equal(dm.moves, 0);
	assert_true(logged(&dm, "node 1's 2M pool cannot grow by 100: the kernel gave 18 of 100"));
	assert_true(logged(&dm, "it stays where it is"));
	why = dm_apply_held_why(&dm, 4500);
	assert_non_null(why);
	assert_non_null(strstr(why, "next try in 60 s"));
	/* --status: the VM's why, and the pool backing off */
	text = dm_status_text(&dm);
	if (!strstr(text, "backing off: node 1's 2M pool grew short 1 time,") ||
	    !strstr(text, "stays: node 1's 2M pool cannot grow by 100"))
		fail_msg("status text:\n%s", text);
	free(text);
	json = dm_status_json(&dm);
	o = json_tokener_parse(json);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "vms", &vms));
	assert_non_null(strstr(json_object_get_string(json_object_object_get(
				       json_object_array_get_idx(vms, 0), "why")),
			       "the kernel gave 18 of 100"));
	assert_true(json_object_object_get_ex(o, "backing_off", &bo));
	assert_int_equal(json_object_array_length(bo), 1);
	assert_int_equal(json_object_get_int(
				 json_object_object_get(json_object_array_get_idx(bo, 0), "node")),
			 1);
	assert_int_equal(json_object_get_int(json_object_object_get(
				 json_object_array_get_idx(bo, 0), "short_grows")),
			 1);
	json_object_put(o);
	free(json);
	cpuset_release(&m.cpus);
	dm_fini(&dm);
}

/* Each short grow doubles the wait, up to an hour; more free memory or a grown pool resets it. */
static void test_short_pool_backoff(void **state)
{
	static const uint64_t waits_s[] = {60, 120, 240, 480, 960, 1920, 3600, 3600};
	struct daemon dm;
	struct rc_vm v;
	struct rc_move m;
	struct host_model hm = {0};
	struct diag d = {0};
	int writes;

	(void)state;
	F.node1_cap = 530;
	dm_init(&dm);
	db02_move(&v, &m, 100);
	for (size_t i = 0; i < sizeof(waits_s) / sizeof(waits_s[0]); i++) {
		uint64_t left;

		assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
		assert_int_equal(dm.nbackoff, 1);
		assert_int_equal(dm.backoff[0].shorts, i + 1);
		left = (dm.backoff[0].until_us - dm_now_us() + 500000) / 1000000;
		if (left != waits_s[i])
			fail_msg("short grow %zu: next try in %llu s, not %llu", i + 1,
				 (unsigned long long)left, (unsigned long long)waits_s[i]);
		assert_int_equal(dm.nmoved, 1);
		assert_true(dm.moved[0].hold_us >= waits_s[i] * 1000000 - 1000000);
		/* before the wait is over, nothing is written: the VM (or another) stays */
		writes = F.pool_writes;
		assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
		assert_int_equal(F.pool_writes, writes);
		assert_true(logged(&dm, "grew short"));
		assert_int_equal(dm.backoff[0].shorts, i + 1);
		dm.backoff[0].until_us = dm_now_us(); /* the wait is over */
	}
	assert_int_equal(F.moves + (size_t)F.thread_sets, 0);
	/* the same free memory: still backing off */
	dm.backoff[0].until_us = dm_now_us() + 3600000000ULL;
	assert_int_equal(host_model_load(dm.h, &hm, &d), 0);
	dm_pool_backoff_check(&dm, &hm);
	host_model_release(&hm);
	assert_int_equal(dm.nbackoff, 1);
	assert_non_null(dm_apply_held_why(&dm, 4500));
	/* node 1's free memory rose by the 200 MiB the grow needs: tried again at once */
	put(F.root, NODE1_MEMINFO,
	    "Node 1 MemTotal:           8192000 kB\nNode 1 MemFree:            4301824 kB\n"
	    "Node 1 MemUsed:            3890176 kB\nNode 1 HugePages_Total:    512\n"
	    "Node 1 HugePages_Free:       0\nNode 1 HugePages_Surp:       0\n");
	assert_int_equal(host_model_load(dm.h, &hm, &d), 0);
	dm_pool_backoff_check(&dm, &hm);
	host_model_release(&hm);
	assert_int_equal(dm.nbackoff, 0);
	assert_null(dm_apply_held_why(&dm, 4500));
	assert_true(dm.moved[0].hold_us == (uint64_t)dm.cfg.cooldown_s * 1000000);
	assert_true(logged(&dm, "free memory rose"));
	/* short once more, then its pool grows (an admin): reset too */
	assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
	assert_int_equal(dm.backoff[0].shorts, 1);
	put(F.root, NODE1_POOL, "520\n");
	assert_int_equal(host_model_load(dm.h, &hm, &d), 0);
	dm_pool_backoff_check(&dm, &hm);
	host_model_release(&hm);
	assert_int_equal(dm.nbackoff, 0);
	assert_true(logged(&dm, "the pool grew"));
	/* the kernel has the pages now: the move runs */
	F.node1_cap = 0;
	put(F.root, NODE1_POOL, "512\n");
	assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
	assert_true(dm.act.active);
	run_move(&dm, 10000);
	assert_int_equal(F.huge_pages, 100);
	cpuset_release(&m.cpus);
	dm_fini(&dm);
}

/* --status says how each VM's CPUs were placed: web01 by its cgroup v2 cpuset, db02 by affinity. */
static void test_status_placement(void **state)
{
	struct daemon dm;
	struct rc_vm v;
	struct rc_move m;
	const struct dm_placed *p;
	json_object *o, *vms, *pl;
	char *text, *json;

	(void)state;
	dm_init(&dm);
	db02_move(&v, &m, 100);
	assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
	run_move(&dm, 10000);
	cpuset_release(&m.cpus);
	/* web01: normal pages only here, CPUs through its scope's cpuset */
	db02_move(&v, &m, 0);
	v.pid = 4242;
	v.page_kib = VM_PAGE_NORMAL;
	snprintf(v.name, sizeof(v.name), "web01");
	assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
	run_move(&dm, 10000);
	p = dm_apply_placed(&dm, 4242);
	assert_non_null(p);
	assert_int_equal(p->method, DM_METHOD_CGROUP);
	assert_false(p->v1);
	assert_string_equal(p->cgroup, WEB01_SCOPE);
	p = dm_apply_placed(&dm, 4500);
	assert_non_null(p);
	assert_int_equal(p->method, DM_METHOD_AFFINITY);
	assert_null(dm_apply_placed(&dm, 4600));
	text = dm_status_text(&dm);
	if (!strstr(text, "CPUS-BY") || !strstr(text, "cgroup-v2") ||
	    !strstr(text, "cgroup " WEB01_SCOPE "\n") || !strstr(text, "affinity"))
		fail_msg("status text:\n%s", text);
	free(text);
	json = dm_status_json(&dm);
	o = json_tokener_parse(json);
	assert_true(json_object_object_get_ex(o, "vms", &vms));
	pl = json_object_object_get(json_object_array_get_idx(vms, 0), "placed");
	assert_string_equal(json_object_get_string(json_object_object_get(pl, "method")),
			    "affinity");
	pl = json_object_object_get(json_object_array_get_idx(vms, 1), "placed");
	assert_string_equal(json_object_get_string(json_object_object_get(pl, "method")), "cgroup");
	assert_string_equal(json_object_get_string(json_object_object_get(pl, "cgroup")),
			    WEB01_SCOPE);
	assert_int_equal(json_object_get_int(json_object_object_get(pl, "cgroup_version")), 2);
	json_object_put(o);
	free(json);
	/* a VM the last tick no longer saw is forgotten at the next move */
	cpuset_release(&m.cpus);
	dm.nseen = 1;
	db02_move(&v, &m, 0);
	assert_int_equal(dm_apply_start(&dm, &v, &m), 0);
	run_move(&dm, 10000);
	assert_null(dm_apply_placed(&dm, 4242));
	cpuset_release(&m.cpus);
	dm_fini(&dm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_move_beside_whole, setup, teardown),
		cmocka_unit_test(test_move_beside_ended_early),
		cmocka_unit_test_setup_teardown(test_short_pool_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_pool_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_placement, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
