/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cgplace-apply: run the daemon's cgroup cpuset placement (daemon/cgplace.c)
 * once on a live process, for tests/integration/daemon-cgroup-v1.sh:
 *
 *   cgplace-apply PID CPUS NODES [--finish] [--fail-at N]
 *
 * reads PID's cpuset subtree, decides the start of a move to CPUS (memory
 * nodes widened to include NODES; with --finish also narrowed to NODES after)
 * and applies it with read-back and rollback.  --fail-at N makes the N-th
 * write fail (-EIO) through the host seam's write hook, after the writes
 * before it really happened.  Prints each write; exit 0 applied, 1 failed
 * (rolled back), 2 bad usage, 3 no cpuset of its own (the daemon would use
 * sched_setaffinity).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpuset.h"
#include "core/host.h"
#include "daemon/cgplace.h"
#include "util/diag.h"
#include "util/parse-num.h"

struct fail {
	unsigned at, n;
};

static int hook(void *userdata, const char *path, const char *value)
{
	struct fail *f = userdata;

	f->n++;
	printf("write %u %s '%s'%s\n", f->n, path, strcmp(value, "\n") ? value : "",
	       f->n == f->at ? " (made to fail)" : "");
	return f->n == f->at ? -EIO : 0;
}

static int run(struct host *h, int pid, const struct cpuset *cpus, const struct cpuset *nodes,
	       bool fin, struct diag *d)
{
	struct cgp_tree t = {0};
	struct cgp_plan p = {0};
	int r = cgp_read(h, pid, &t, d);

	if (r < 0)
		return r;
	printf("unit %s (%s, %zu groups)\n", t.groups[0].dir, t.v1 ? "v1" : "v2", t.n);
	r = cgp_decide_start(&t, cpus, nodes, &p, d);
	if (r >= 0)
		r = cgp_apply(h, &p, d);
	cgp_plan_release(&p);
	cgp_tree_release(&t);
	if (r < 0 || !fin)
		return r;
	r = cgp_read(h, pid, &t, d);
	if (r >= 0) {
		cgp_decide_finish(&t, nodes, &p);
		r = cgp_apply(h, &p, d);
	}
	cgp_plan_release(&p);
	cgp_tree_release(&t);
	return r;
}

int main(int argc, char **argv)
{
	struct cpuset cpus = CPUSET_INIT, nodes = CPUSET_INIT;
	struct fail f = {0, 0};
	struct diag d = {0};
	struct host *h = NULL;
	bool fin = false;
	uint32_t pid;
	int r;

	for (int i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--finish") == 0)
			fin = true;
		else if (strcmp(argv[i], "--fail-at") == 0 && i + 1 < argc)
			r = parse_u32(argv[++i], &f.at);
		else
			argc = 0;
	}
	if (argc < 4 || parse_u32(argv[1], &pid) < 0 || pid == 0 || pid > INT32_MAX ||
	    cpuset_parse_list(argv[2], &cpus, NULL) < 0 ||
	    cpuset_parse_list(argv[3], &nodes, NULL) < 0) {
		fprintf(stderr, "usage: cgplace-apply PID CPUS NODES [--finish] [--fail-at N]\n");
		return 2;
	}
	r = host_open("/", &h, &d);
	if (r >= 0) {
		host_set_write_hook(h, hook, &f);
		r = run(h, (int)pid, &cpus, &nodes, fin, &d);
	}
	if (r < 0)
		fprintf(stderr, "cgplace-apply: %s\n", d.msg[0] ? d.msg : strerror(-r));
	host_free(h);
	cpuset_release(&cpus);
	cpuset_release(&nodes);
	return r == -ENOENT ? 3 : r < 0 ? 1 : 0;
}
