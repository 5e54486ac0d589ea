/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the planner's request parsers (--vm spec, --shape, the --vms
 * JSON list), then what they accept resolved against a small host and
 * placed: no input may crash the solver, overflow a count or loop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "place/host.h"
#include "place/plan.h"
#include "place/request.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2 nodes x 2 cores x 2 threads, 2M and 1G pools, 4 GiB each. */
static void small_host(struct place_host *h)
{
	struct host_model m = {0};
	struct place_host_opts o = {0, 1};

	m.nnodes = 2;
	m.nodes = xcalloc(2, sizeof(*m.nodes));
	m.default_hugepage_kib = 2048;
	m.ncpu_page_sizes = 2;
	m.cpu_page_sizes_kib = xcalloc(2, sizeof(uint64_t));
	m.cpu_page_sizes_kib[0] = 2048;
	m.cpu_page_sizes_kib[1] = 1048576;
	m.npools = 2;
	m.pools = xcalloc(2, sizeof(*m.pools));
	m.pools[0].size_kib = 2048;
	m.pools[1].size_kib = 1048576;
	for (int i = 0; i < 2; i++) {
		struct numa_node *n = &m.nodes[i];

		n->node = i;
		n->mem_total_kib = n->mem_free_kib = 4 << 20;
		n->npools = 2;
		n->pools = xcalloc(2, sizeof(*n->pools));
		n->pools[0] = (struct pool){2048, 1024, 1024, 0, -1, -1};
		n->pools[1] = (struct pool){1048576, 2, 2, 0, -1, -1};
		for (unsigned c = 0; c < 4; c++) {
			cpuset_set(&n->cpus, (unsigned)i * 4 + c);
			cpuset_set(&m.cpus_online, (unsigned)i * 4 + c);
		}
	}
	(void)place_host_build(&m, NULL, NULL, &o, h, NULL);
	host_model_release(&m);
}

static void place_some(struct place_req *reqs, size_t n)
{
	struct place_opts o = {.work_budget = 20000};
	struct place_plan p = {0};
	struct place_host h = {0};
	size_t ok = 0;

	small_host(&h);
	for (size_t i = 0; i < n && ok < 6; i++)
		if (place_req_resolve(&reqs[i], &h, NULL) == 0)
			reqs[ok++] = reqs[i];
	if (ok)
		place_plan_build(&h, reqs, ok, &o, &p);
	place_plan_release(&p);
	place_host_release(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	struct place_req r, *v = NULL;
	size_t n = 0;

	if (size < 1)
		return 0;
	text = xstrndup((const char *)data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		if (place_req_parse(text, &r, NULL) == 0)
			place_some(&r, 1);
		break;
	case 1:
		if (place_req_parse_shape(text, &r, NULL) == 0)
			place_some(&r, 1);
		break;
	default:
		if (place_req_parse_json(text, strlen(text), &v, &n, NULL) == 0)
			place_some(v, n);
		free(v);
	}
	free(text);
	return 0;
}
