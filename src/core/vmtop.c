/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-VM view of 'kvmtune top': samples of stat's VM view and KVM counters, and their rates. */
#include "core/vmtop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/host.h"
#include "core/model.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* The process's start after boot (stat field 22, in clock ticks), -1 when unknown. */
static double read_start(struct host *h, int pid)
{
	AUTOFREE char *text = NULL;
	char path[64];
	long hz = sysconf(_SC_CLK_TCK);
	int64_t ticks;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (hz <= 0 || host_read_attr(h, path, &text, NULL, NULL) < 0 ||
	    procstat_stat_field(text, 22, &ticks) < 0 || ticks < 0)
		return -1;
	return (double)ticks / (double)hz;
}

int vmtop_sample(struct host *h, const struct host_model *m, bool no_cgroup,
		 struct vmtop_sample *ret, struct diag *d)
{
	struct procstat_opts po = {
		.flags = PROCSTAT_QEMU_ONLY | PROCSTAT_ALL | PROCSTAT_VCPUS |
			 (no_cgroup ? 0 : PROCSTAT_CGROUP),
		.self_pid = host_is_live(h) ? (int)getpid() : 0,
		.base_page_kib = 4,
		.default_huge_kib = m->default_hugepage_kib ? m->default_hugepage_kib : 2048,
	};
	int r;

	ret->uptime_s = procstat_uptime(h);
	r = procstat_collect(h, m, NULL, 0, &po, &ret->ps, d);
	if (r < 0)
		return r;
	ret->start_s = xcalloc(ret->ps.nprocs + 1, sizeof(*ret->start_s));
	for (size_t i = 0; i < ret->ps.nprocs; i++)
		ret->start_s[i] = read_start(h, ret->ps.procs[i].pid);
	return kvmstat_read(h, &ret->ks, d);
}

void vmtop_sample_release(struct vmtop_sample *s)
{
	procstat_release(&s->ps);
	kvmstat_release(&s->ks);
	free(s->start_s);
	memset(s, 0, sizeof(*s));
}

int vmtop_order_parse(const char *text, enum vmtop_order *ret)
{
	static const char *const names[] = {"mem", "locality", "exits"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(text, names[i]) == 0) {
			*ret = (enum vmtop_order)i;
			return 0;
		}
	return -EINVAL;
}

uint64_t vmtop_moved_kib(const struct numamaps_usage *before, const struct numamaps_usage *after)
{
	size_t n = before->nnodes > after->nnodes ? before->nnodes : after->nnodes;
	uint64_t sum = 0, tb = numamaps_usage_total_kib(before, -1),
		 ta = numamaps_usage_total_kib(after, -1);
	uint64_t dt = tb > ta ? tb - ta : ta - tb;

	for (size_t k = 0; k < n; k++) {
		uint64_t b = numamaps_usage_node_kib(before, -1, (int)k);
		uint64_t a = numamaps_usage_node_kib(after, -1, (int)k);

		sum += a > b ? a - b : b - a;
	}
	return sum > dt ? (sum - dt) / 2 : 0;
}

static const struct procstat_proc *find_proc(const struct vmtop_sample *s, int pid, size_t *ret_i)
{
	for (size_t i = 0; s && i < s->ps.nprocs; i++)
		if (s->ps.procs[i].pid == pid) {
			*ret_i = i;
			return &s->ps.procs[i];
		}
	return NULL;
}

static int vcpu_moves(const struct procstat_proc *before, const struct procstat_proc *after)
{
	int moves = 0;

	for (size_t i = 0; i < after->nvcpus; i++)
		for (size_t k = 0; k < before->nvcpus; k++)
			if (before->vcpus[k].tid == after->vcpus[i].tid)
				moves += before->vcpus[k].node >= 0 && after->vcpus[i].node >= 0 &&
					 before->vcpus[k].node != after->vcpus[i].node;
	return moves;
}

/* KVM rates of one process between two counter readings over interval_s. */
static void kvm_rates(const struct kvmstat_vm *before, const struct kvmstat_vm *now,
		      double interval_s, struct vmtop_row *row)
{
	row->interval_s = interval_s;
	for (size_t k = 0; k < KVMSTAT_COUNT_; k++) {
		uint64_t b = before ? before->v[k] : 0;

		/* -1: absent, or no time base, or the VM was re-created */
		if (!(now->present & (1u << k)) ||
		    (!kvmstat_defs[k].gauge && (interval_s <= 0 || now->v[k] < b)))
			row->rate[k] = -1;
		else if (kvmstat_defs[k].gauge)
			row->rate[k] = (double)now->v[k];
		else
			row->rate[k] = (double)(now->v[k] - b) / interval_s;
	}
	row->exits_per_s = row->rate[KVMSTAT_EXITS];
}

static void fill_row(const struct vmtop_sample *prev, const struct vmtop_sample *cur, size_t i,
		     struct vmtop_row *row)
{
	const struct procstat_proc *p = &cur->ps.procs[i], *old;
	struct kvmstat_vm now, before;
	size_t j = 0;

	memset(row, 0, sizeof(*row));
	row->p = p;
	row->locality = procstat_locality(p);
	row->moved_kib = -1;
	row->vcpu_moves = -1;
	row->exits_per_s = -1;
	for (size_t k = 0; k < KVMSTAT_COUNT_; k++)
		row->rate[k] = -1;
	old = find_proc(prev, p->pid, &j);
	if (old) {
		row->moved_kib = (int64_t)vmtop_moved_kib(&old->usage, &p->usage);
		row->vcpu_moves = vcpu_moves(old, p);
	}
	row->kvm = kvmstat_of_pid(&cur->ks, p->pid, &now);
	if (!row->kvm)
		return;
	if (old && kvmstat_of_pid(&prev->ks, p->pid, &before) && prev->uptime_s >= 0 &&
	    cur->uptime_s >= 0) {
		kvm_rates(&before, &now, cur->uptime_s - prev->uptime_s, row);
	} else {
		/* the first look at this VM: rates since it started */
		row->since_start = true;
		kvm_rates(NULL, &now,
			  cur->uptime_s >= 0 && cur->start_s[i] >= 0
				  ? cur->uptime_s - cur->start_s[i]
				  : -1,
			  row);
	}
}

static int cmp_row(const void *a, const void *b, void *ctx)
{
	const struct vmtop_row *x = a, *y = b;
	const enum vmtop_order *order = ctx;
	double kx, ky;

	switch (*order) {
	case VMTOP_ORDER_LOCALITY: /* worst first; unknown last */
		kx = x->locality < 0 ? 2 : x->locality;
		ky = y->locality < 0 ? 2 : y->locality;
		break;
	case VMTOP_ORDER_EXITS:
		kx = -x->exits_per_s;
		ky = -y->exits_per_s;
		break;
	default:
		kx = -(double)numamaps_usage_total_kib(&x->p->usage, -1);
		ky = -(double)numamaps_usage_total_kib(&y->p->usage, -1);
		break;
	}
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return (x->p->pid > y->p->pid) - (x->p->pid < y->p->pid);
}

void vmtop_rows(const struct vmtop_sample *prev, const struct vmtop_sample *cur,
		enum vmtop_order order, struct vmtop_row **ret_rows, size_t *ret_n)
{
	struct vmtop_row *rows = xcalloc(cur->ps.nprocs + 1, sizeof(*rows));

	for (size_t i = 0; i < cur->ps.nprocs; i++)
		fill_row(prev, cur, i, &rows[i]);
	qsort_r(rows, cur->ps.nprocs, sizeof(*rows), cmp_row, &order);
	*ret_rows = rows;
	*ret_n = cur->ps.nprocs;
}
