/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Presentation of kvmtune stat: numastat's table layout (process, -m, -n
 * and no-argument views), the per-VM table, JSON and the Prometheus text
 * exposition format.
 */
#ifndef KVMTUNE_CLI_STAT_RENDER_H
#define KVMTUNE_CLI_STAT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

struct host_model;
struct nodestat;
struct procstat;
struct procstat_proc;
struct json_object;
struct sbuf;

struct stat_view {
	const struct host_model *m;
	const struct procstat *ps;
	const struct nodestat *meminfo;	 /* -m: read by the caller, else NULL */
	const struct nodestat *counters; /* -n, --numastat alone: read by the caller, else NULL */
	bool compact;			 /* -c: narrow columns, whole MB */
	bool verbose;			 /* one table per process even for several */
	bool numastat;			 /* --numastat: nothing numastat would not print */
	bool hide_zero;			 /* -z: leave out rows and columns of zeros */
	bool sort;			 /* -s: data rows in descending order of ... */
	int sort_node;			 /* ... this node's column, or Total when -1 */
};

/* numastat -p: one table per process (one process or verbose), else one row each. */
void stat_print_procs(const struct stat_view *v, FILE *out);
/* numastat -m: v->meminfo in MB; unknown values show as "unknown". */
void stat_print_meminfo(const struct stat_view *v, FILE *out);
/* numastat -n (in MB) or, when raw, numastat without arguments (pages), of v->counters. */
void stat_print_numastat_counters(const struct stat_view *v, bool raw, FILE *out);
/* The --vms table: one row per QEMU process. */
void stat_print_vms(const struct stat_view *v, FILE *out);

/* "33%@2M,66%@1G": the share of each hugepage size in a process's memory ("none"). */
void stat_vm_huge_summary(const struct procstat_proc *p, struct sbuf *out);
/* "2-3 (N1)": the CPUs a VM's vCPU threads last ran on and their nodes. */
void stat_vm_cpus_summary(const struct procstat_proc *p, struct sbuf *out);
/* One process of stat's JSON "processes" array (top shows the same object per VM). */
struct json_object *stat_proc_json(const struct host_model *m, const struct procstat_proc *p);
/* The documented JSON object for the processes of v (caller puts it). */
struct json_object *stat_json(const struct stat_view *v);
/* Prometheus text exposition of the processes of v. */
void stat_print_prometheus(const struct stat_view *v, FILE *out);

#endif
