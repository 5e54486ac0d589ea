/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the undo journal and undo on temporary trees: entries
 * round-trip byte for byte, hostile entries are refused field by field,
 * parallel writers lose no entry, and undo reverts all or nothing, refuses
 * what changed since (unless forced) and keeps captured trees' undo inside
 * them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/host.h"
#include "core/journal.h"
#include "core/undo.h"
#include "util/diag.h"

#include "util/banned.h"

struct tree {
	char root[256];
	struct host *h;
};

static void put(const char *root, const char *path, const char *value, size_t len)
{
	char full[512], cmd[600];
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	(void)snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
	assert_int_equal(system(cmd), 0);
	f = fopen(full, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(value, 1, len, f), len);
	fclose(f);
}

static void puts_(const char *root, const char *path, const char *value)
{
	put(root, path, value, strlen(value));
}

/* The file's bytes (NULL when absent), length in *len. */
static char *slurp(const char *root, const char *path, size_t *len)
{
	char full[512];
	char *buf = malloc(1 << 16);
	FILE *f;

	(void)snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	if (!f) {
		free(buf);
		return NULL;
	}
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static struct tree *tree_new(void)
{
	struct tree *t = calloc(1, sizeof(*t));
	struct diag d = {0};

	assert_non_null(t);
	(void)snprintf(t->root, sizeof(t->root), "/tmp/test-journal.XXXXXX");
	assert_non_null(mkdtemp(t->root));
	puts_(t->root, "/proc/cpuinfo", "processor\t: 0\n");
	puts_(t->root, "/proc/sys/vm/swappiness", "60\n");
	puts_(t->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
	puts_(t->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0\n");
	assert_int_equal(host_open(t->root, &t->h, &d), 0);
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

static const char binary[] = {'a', '\0', 'b', '\xff', '\n', '\x01'};

static void test_roundtrip(void **state)
{
	struct tree *t = tree_new();
	struct journal_entry e, *v = NULL;
	struct diag d = {0};
	size_t n = 0;

	journal_entry_init(&e, "kvmtune test 'quoted'");
	journal_add_value(&e, "/proc/sys/vm/swappiness", "60", "10", KNOB_MATCH_EXACT);
	journal_add_pool(&e, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", 0, 64);
	journal_add_file(&e, JOURNAL_FILE, "/etc/sysctl.d/x.conf", NULL, 0, "a = 1\n", 6, 0644);
	journal_add_file(&e, JOURNAL_USER_FILE, "/tmp/vm.xml", binary, sizeof(binary), "ü\n", 3,
			 0600);
	assert_int_equal(journal_record(t->h, &e, &d), 0);
	assert_int_equal(e.id, 1);
	assert_int_equal(journal_record(t->h, &e, &d), 0);
	assert_int_equal(e.id, 2);
	journal_entry_release(&e);
	assert_int_equal(journal_list(t->h, &v, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, 1);
	assert_string_equal(v[0].command, "kvmtune test 'quoted'");
	assert_int_equal(v[0].nchanges, 4);
	assert_int_equal(v[0].changes[1].kind, JOURNAL_POOL);
	assert_string_equal(v[0].changes[1].new, "64");
	assert_null(v[0].changes[2].old);
	assert_int_equal(v[0].changes[3].old_len, sizeof(binary));
	assert_memory_equal(v[0].changes[3].old, binary, sizeof(binary));
	assert_string_equal(v[0].changes[3].new, "ü\n");
	assert_int_equal(v[0].changes[3].mode, 0600);
	journal_list_free(v, n);
	/* an entry without changes is not written */
	journal_entry_init(&e, "nothing");
	assert_int_equal(journal_record(t->h, &e, &d), 0);
	assert_int_equal(e.id, 0);
	journal_entry_release(&e);
	tree_free(t);
}

static void test_hostile(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"id\": 0, \"time\": 1, \"command\": \"x\", \"changes\": []}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": []}",
		"{\"id\": 1, \"time\": 1, \"command\": 5, \"changes\": [{}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"value\", "
		"\"path\": \"/etc/passwd\", \"old\": \"1\", \"new\": \"2\", \"match\": "
		"\"exact\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"value\", "
		"\"path\": \"/proc/sys/../../etc/x\", \"old\": \"1\", \"new\": \"2\", \"match\": "
		"\"exact\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"value\", "
		"\"path\": \"/proc/sys/vm/x\", \"old\": \"1\\n2\", \"new\": \"2\", \"match\": "
		"\"exact\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"pool\", "
		"\"path\": \"/sys/x/nr_hugepages\", \"old\": \"-1\", \"new\": \"2\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"pool\", "
		"\"path\": \"/sys/x/free_hugepages\", \"old\": \"1\", \"new\": \"2\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"file\", "
		"\"path\": \"/root/.ssh/authorized_keys\", \"mode\": \"0600\", \"old_text\": null, "
		"\"new_text\": \"k\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"file\", "
		"\"path\": \"/etc/x\", \"mode\": \"9999\", \"old_text\": null, \"new_text\": "
		"\"k\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"file\", "
		"\"path\": \"/etc/x\", \"mode\": \"0644\", \"old_text\": null, \"new_text\": "
		"null}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": "
		"\"user-file\", "
		"\"path\": \"relative\", \"mode\": \"0644\", \"old_text\": \"a\", \"new_base64\": "
		"\"!!\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"changes\": [{\"kind\": \"what\", "
		"\"path\": \"/etc/x\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\", \"undone\": 5, \"changes\": "
		"[{\"kind\": \"value\", \"path\": \"/sys/x\", \"old\": \"1\", \"new\": \"2\", "
		"\"match\": \"exact\"}]}",
		"{\"id\": 1, \"time\": 1, \"command\": \"x\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct journal_entry e;
		struct diag d = {0};

		if (journal_entry_parse(bad[i], strlen(bad[i]), &e, &d) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(d.msg[0] != '\0');
	}
}

/* A journal file that does not parse, or holds another id than its name, is an error. */
static void test_bad_file(void **state)
{
	struct tree *t = tree_new();
	struct journal_entry *v = NULL;
	struct diag d = {0};
	size_t n = 0;

	puts_(t->root, JOURNAL_DIR "/000007.json",
	      "{\"id\": 8, \"time\": 1, \"command\": \"x\", \"undone\": null, \"changes\": "
	      "[{\"kind\": \"value\", \"path\": \"/sys/x\", \"old\": \"1\", \"new\": \"2\", "
	      "\"match\": \"exact\"}]}");
	puts_(t->root, JOURNAL_DIR "/.000009.json.kvmtune-tmp", "junk");
	assert_int_equal(journal_list(t->h, &v, &n, &d), -EINVAL);
	assert_true(strstr(d.msg, "000007.json") != NULL);
	tree_free(t);
}

/* Twenty processes record at once: twenty entries, ids 1 to 20. */
static void test_parallel(void **state)
{
	struct tree *t = tree_new();
	struct journal_entry *v = NULL;
	struct diag d = {0};
	pid_t pids[20];
	size_t n = 0;

	for (int i = 0; i < 20; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct host *h = NULL;
			struct journal_entry e;
			char cmd[32];
			int r;

			if (host_open(t->root, &h, NULL) < 0)
				_exit(2);
			(void)snprintf(cmd, sizeof(cmd), "writer %d", i);
			journal_entry_init(&e, cmd);
			journal_add_value(&e, "/proc/sys/vm/swappiness", "60", "10",
					  KNOB_MATCH_EXACT);
			r = journal_record(h, &e, NULL);
			journal_entry_release(&e);
			host_free(h);
			_exit(r < 0 ? 1 : 0);
		}
	}
	for (int i = 0; i < 20; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(journal_list(t->h, &v, &n, &d), 0);
	assert_int_equal(n, 20);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i].id, i + 1);
	journal_list_free(v, n);
	tree_free(t);
}

/* Record what a writer did: swappiness 60 -> 10, a pool 0 -> 4, a new file, a user file. */
static void make_changes(struct tree *t, const char *user)
{
	struct journal_entry e;
	char upath[300];

	(void)snprintf(upath, sizeof(upath), "%s/vm.xml", t->root);
	puts_(t->root, "/proc/sys/vm/swappiness", "10\n");
	puts_(t->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "4\n");
	puts_(t->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "4\n");
	puts_(t->root, "/etc/sysctl.d/80-x.conf", "vm.swappiness = 10\n");
	put("", user ? user : upath, "new\n", 4);
	journal_entry_init(&e, "writer");
	journal_add_value(&e, "/proc/sys/vm/swappiness", "60", "10", KNOB_MATCH_EXACT);
	journal_add_pool(&e, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", 0, 4);
	journal_add_file(&e, JOURNAL_FILE, "/etc/sysctl.d/80-x.conf", NULL, 0,
			 "vm.swappiness = 10\n", 19, 0644);
	journal_add_file(&e, JOURNAL_USER_FILE, user ? user : upath, binary, sizeof(binary),
			 "new\n", 4, 0644);
	assert_int_equal(journal_record(t->h, &e, NULL), 0);
	journal_entry_release(&e);
}

static void check_reverted(struct tree *t)
{
	char upath[300];
	size_t len = 0;
	char *s;

	s = slurp(t->root, "/proc/sys/vm/swappiness", &len);
	assert_string_equal(s, "60");
	free(s);
	s = slurp(t->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", &len);
	assert_string_equal(s, "0");
	free(s);
	assert_null(slurp(t->root, "/etc/sysctl.d/80-x.conf", &len));
	(void)snprintf(upath, sizeof(upath), "%s/vm.xml", t->root);
	s = slurp("", upath, &len);
	assert_int_equal(len, sizeof(binary));
	assert_memory_equal(s, binary, len);
	free(s);
}

static void test_undo(void **state)
{
	struct tree *t = tree_new();
	struct undo_opts o = {.command = "kvmtune undo"};
	struct undo_report rep;
	struct diag d = {0};

	make_changes(t, NULL);
	o.dry_run = true;
	assert_int_equal(undo_run(t->h, &o, &rep, &d), 0);
	assert_int_equal(rep.nitems, 4);
	undo_report_release(&rep);
	o.dry_run = false;
	assert_int_equal(undo_run(t->h, &o, &rep, &d), 0);
	for (size_t i = 0; i < rep.nitems; i++)
		assert_int_equal(rep.items[i].status, UNDO_REVERTED);
	undo_report_release(&rep);
	check_reverted(t);
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -ENOENT);
	undo_report_release(&rep);
	o.id = 1;
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -EALREADY);
	undo_report_release(&rep);
	o.id = 9;
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -ENOENT);
	undo_report_release(&rep);
	tree_free(t);
}

/* Someone else wrote a value since: refused, nothing changed; --force reverts. */
static void test_undo_conflict(void **state)
{
	struct tree *t = tree_new();
	struct undo_opts o = {.command = "kvmtune undo"};
	struct undo_report rep;
	struct diag d = {0};
	size_t len;
	char *s;

	make_changes(t, NULL);
	puts_(t->root, "/proc/sys/vm/swappiness", "30\n");
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -ESTALE);
	assert_int_equal(rep.nconflicts, 1);
	assert_true(rep.items[0].conflict);
	assert_string_equal(rep.items[0].now, "30");
	undo_report_release(&rep);
	s = slurp(t->root, "/etc/sysctl.d/80-x.conf", &len);
	assert_non_null(s); /* nothing was reverted */
	free(s);
	o.force = true;
	assert_int_equal(undo_run(t->h, &o, &rep, &d), 0);
	undo_report_release(&rep);
	check_reverted(t);
	tree_free(t);
}

struct fail_at {
	int writes, at;
};

static int fail_hook(void *userdata, const char *path, const char *value)
{
	struct fail_at *f = userdata;

	return ++f->writes == f->at ? -EIO : 0;
}

/*
 * A revert that fails puts everything back: values, then the pool, then the
 * files newest first (the user file, then the sysctl file: the 3rd write
 * through the host seam, made to fail).
 */
static void test_undo_all_or_nothing(void **state)
{
	struct tree *t = tree_new();
	struct undo_opts o = {.command = "kvmtune undo", .timeout_s = 1};
	struct fail_at f = {.at = 3};
	struct undo_report rep;
	struct diag d = {0};
	char upath[300];
	size_t len;
	char *s;

	make_changes(t, NULL);
	host_set_write_hook(t->h, fail_hook, &f);
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -EIO);
	assert_true(strstr(d.msg, "80-x.conf") != NULL);
	assert_int_equal(rep.items[0].status, UNDO_ROLLED_BACK);
	assert_int_equal(rep.items[1].status, UNDO_ROLLED_BACK);
	assert_int_equal(rep.items[2].status, UNDO_FAILED);
	assert_int_equal(rep.items[3].status, UNDO_ROLLED_BACK); /* reverted, then put back */
	undo_report_release(&rep);
	host_set_write_hook(t->h, NULL, NULL);
	s = slurp(t->root, "/proc/sys/vm/swappiness", &len);
	assert_string_equal(s, "10");
	free(s);
	s = slurp(t->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", &len);
	assert_string_equal(s, "4");
	free(s);
	s = slurp(t->root, "/etc/sysctl.d/80-x.conf", &len);
	assert_string_equal(s, "vm.swappiness = 10\n");
	free(s);
	(void)snprintf(upath, sizeof(upath), "%s/vm.xml", t->root);
	s = slurp("", upath, &len);
	assert_string_equal(s, "new\n");
	free(s);
	/* the entry is still there to undo */
	assert_int_equal(undo_run(t->h, &o, &rep, &d), 0);
	undo_report_release(&rep);
	check_reverted(t);
	tree_free(t);
}

#define POOL_2M "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define RECORD_VM1 "/run/kvmtune/hugepages/vm1"
#define RESV_8 "node -1 page_kb 2048 pages 8\n"

/* One entry growing the 2 MiB pool 0 -> 8, with vm1's record when record is set. */
static void grow_pool(struct tree *t, bool record)
{
	struct journal_entry e;

	puts_(t->root, POOL_2M, "8\n");
	puts_(t->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "8\n");
	journal_entry_init(&e, record ? "kvmtune hugepages reserve" : "kvmtune hugepages set");
	journal_add_pool(&e, POOL_2M, 0, 8);
	if (record) {
		puts_(t->root, RECORD_VM1, RESV_8);
		journal_add_file(&e, JOURNAL_FILE, RECORD_VM1, NULL, 0, RESV_8, strlen(RESV_8),
				 0644);
	}
	assert_int_equal(journal_record(t->h, &e, NULL), 0);
	journal_entry_release(&e);
}

/*
 * Undo shrinks a pool only down to what VMs reserved in it (the guard of
 * 'hugepages set'), --force or not; undoing the reserve itself frees its pages.
 */
static void test_undo_keeps_reservations(void **state)
{
	struct tree *t = tree_new();
	struct undo_opts o = {.command = "kvmtune undo", .timeout_s = 1};
	struct undo_report rep;
	struct diag d = {0};
	size_t len;
	char *s;

	grow_pool(t, false);
	puts_(t->root, RECORD_VM1, RESV_8); /* a VM reserved the pages since */
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -EEXIST);
	assert_non_null(strstr(d.msg, "vm1"));
	undo_report_release(&rep);
	o.force = true;
	diag_clear(&d);
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -EEXIST);
	undo_report_release(&rep);
	s = slurp(t->root, POOL_2M, &len);
	assert_string_equal(s, "8\n");
	free(s);
	tree_free(t);

	t = tree_new();
	o.force = false;
	grow_pool(t, true);
	assert_int_equal(undo_run(t->h, &o, &rep, &d), 0);
	undo_report_release(&rep);
	s = slurp(t->root, POOL_2M, &len);
	assert_string_equal(s, "0");
	free(s);
	assert_null(slurp(t->root, RECORD_VM1, &len));
	tree_free(t);
}

/* A captured tree's journal naming a file outside the tree is not followed. */
static void test_user_file_outside_root(void **state)
{
	struct tree *t = tree_new();
	struct undo_opts o = {.command = "kvmtune undo"};
	struct undo_report rep;
	struct diag d = {0};
	char outside[] = "/tmp/test-journal-outside.XXXXXX";
	int fd = mkstemp(outside);

	assert_true(fd >= 0);
	close(fd);
	make_changes(t, outside);
	assert_int_equal(undo_run(t->h, &o, &rep, &d), -EPERM);
	assert_true(strstr(d.msg, "outside the root") != NULL);
	undo_report_release(&rep);
	unlink(outside);
	tree_free(t);
}

static void test_revert_unrecorded(void **state)
{
	struct tree *t = tree_new();
	struct journal_entry e;
	size_t len;
	char *s;

	puts_(t->root, "/proc/sys/vm/swappiness", "10\n");
	journal_entry_init(&e, "x");
	journal_add_value(&e, "/proc/sys/vm/swappiness", "60", "10", KNOB_MATCH_EXACT);
	assert_int_equal(undo_revert_unrecorded(t->h, &e, NULL), 0);
	journal_entry_release(&e);
	s = slurp(t->root, "/proc/sys/vm/swappiness", &len);
	assert_string_equal(s, "60");
	free(s);
	tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_undo),
		cmocka_unit_test(test_undo_conflict),
		cmocka_unit_test(test_undo_all_or_nothing),
		cmocka_unit_test(test_undo_keeps_reservations),
		cmocka_unit_test(test_user_file_outside_root),
		cmocka_unit_test(test_revert_unrecorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
