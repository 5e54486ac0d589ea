/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Presentation of 'kvmtune bench memory': the latency and bandwidth matrices, and JSON. */
#ifndef KVMTUNE_CLI_BENCH_RENDER_H
#define KVMTUNE_CLI_BENCH_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;
struct membench_cell;
struct membench_naive;

struct bench_view {
	const struct membench_cell *cells; /* samples 0: not measured (note says why) */
	size_t ncells;
	const struct membench_naive *naive; /* NULL: saved results */
	uint64_t buffer_kib;
	double elapsed_s; /* < 0: saved results */
	int64_t time;	  /* of the measurement */
	const char *kernel;
	const char *saved_to; /* where --save wrote, or the file --show read */
};

void bench_print_text(const struct bench_view *v, FILE *out);
struct json_object *bench_json(const struct bench_view *v);

#endif
