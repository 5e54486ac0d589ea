/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Presentation of 'kvmtune bench memory': per page kind a row for each CPU
 * node and a column for each memory node, latency with its ratio to the
 * best cell of the run and the SLIT distance, then bandwidth, spread and
 * placement, the naive check and the notes.
 */
#include "cli/bench-render.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/membench.h"
#include "cli/render.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Sorted distinct values of the cells' CPU or memory nodes. */
static size_t node_list(const struct bench_view *v, bool mem, int *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < v->ncells; i++) {
		int node = mem ? v->cells[i].c.mem_node : v->cells[i].c.cpu_node;
		size_t k = 0;

		while (k < n && ret[k] < node)
			k++;
		if (k < n && ret[k] == node)
			continue;
		memmove(&ret[k + 1], &ret[k], (n - k) * sizeof(*ret));
		ret[k] = node;
		n++;
	}
	return n;
}

static double best_latency(const struct bench_view *v)
{
	double best = -1;

	for (size_t i = 0; i < v->ncells; i++)
		if (v->cells[i].samples && v->cells[i].c.latency_ns > 0 &&
		    (best < 0 || v->cells[i].c.latency_ns < best))
			best = v->cells[i].c.latency_ns;
	return best;
}

static const struct membench_cell *find(const struct bench_view *v, const struct memcost_page *p,
					int cpu, int mem)
{
	for (size_t i = 0; i < v->ncells; i++)
		if (v->cells[i].c.cpu_node == cpu && v->cells[i].c.mem_node == mem &&
		    memcost_page_equal(&v->cells[i].c.page, p))
			return &v->cells[i];
	return NULL;
}

/* The page kinds in order of first appearance. */
static size_t page_list(const struct bench_view *v, struct memcost_page *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < v->ncells; i++) {
		size_t k = 0;

		while (k < n && !memcost_page_equal(&ret[k], &v->cells[i].c.page))
			k++;
		if (k == n)
			ret[n++] = v->cells[i].c.page;
	}
	return n;
}

struct grid {
	struct memcost_page *pages;
	size_t npages;
	int *cpus, *mems;
	size_t ncpus, nmems;
};

static void grid_init(const struct bench_view *v, struct grid *g)
{
	size_t n = v->ncells ? v->ncells : 1;

	g->pages = xcalloc(n, sizeof(*g->pages));
	g->cpus = xcalloc(n, sizeof(int));
	g->mems = xcalloc(n, sizeof(int));
	g->npages = page_list(v, g->pages);
	g->ncpus = node_list(v, false, g->cpus);
	g->nmems = node_list(v, true, g->mems);
}

static void grid_release(struct grid *g)
{
	free(g->pages);
	free(g->cpus);
	free(g->mems);
}

static void print_head(const struct grid *g, const char *first, int width, FILE *out)
{
	fprintf(out, "%-5s %-9s", "page", first);
	for (size_t k = 0; k < g->nmems; k++) {
		char h[32];

		(void)snprintf(h, sizeof(h), "mem node %d", g->mems[k]);
		fprintf(out, "  %-*s", width, h);
	}
	fputc('\n', out);
}

static void print_latency(const struct bench_view *v, const struct grid *g, FILE *out)
{
	double best = best_latency(v);

	fprintf(out, "latency: median ns per dependent load (ratio to the best cell) [SLIT "
		     "distance]\n");
	print_head(g, "CPU node", 22, out);
	for (size_t p = 0; p < g->npages; p++)
		for (size_t c = 0; c < g->ncpus; c++) {
			char page[16];

			fprintf(out, "%-5s %-9d",
				c ? "" : memcost_page_name(&g->pages[p], page, sizeof(page)),
				g->cpus[c]);
			for (size_t k = 0; k < g->nmems; k++) {
				const struct membench_cell *x =
					find(v, &g->pages[p], g->cpus[c], g->mems[k]);
				char cell[64];

				if (!x || !x->samples)
					(void)snprintf(cell, sizeof(cell), "-");
				else
					(void)snprintf(cell, sizeof(cell), "%7.1f (%4.2fx) [%d]",
						       x->c.latency_ns, x->c.latency_ns / best,
						       x->c.slit);
				fprintf(out, "  %-22s", cell);
			}
			fputc('\n', out);
		}
}

static void print_bandwidth(const struct bench_view *v, const struct grid *g, FILE *out)
{
	fprintf(out, "\nread bandwidth: MB/s, one thread\n");
	print_head(g, "CPU node", 12, out);
	for (size_t p = 0; p < g->npages; p++)
		for (size_t c = 0; c < g->ncpus; c++) {
			char page[16];

			fprintf(out, "%-5s %-9d",
				c ? "" : memcost_page_name(&g->pages[p], page, sizeof(page)),
				g->cpus[c]);
			for (size_t k = 0; k < g->nmems; k++) {
				const struct membench_cell *x =
					find(v, &g->pages[p], g->cpus[c], g->mems[k]);
				char cell[32] = "-";

				if (x && x->samples)
					(void)snprintf(cell, sizeof(cell), "%.0f", x->c.read_mbps);
				fprintf(out, "  %-12s", cell);
			}
			fputc('\n', out);
		}
}

static void print_details(const struct bench_view *v, FILE *out)
{
	fprintf(out, "\nspread and placement:\n");
	for (size_t i = 0; i < v->ncells; i++) {
		const struct membench_cell *x = &v->cells[i];
		char page[16];

		if (!x->samples)
			continue;
		fprintf(out, "  %-4s CPU node %d, mem node %d: p10-p90 %.1f-%.1f ns",
			memcost_page_name(&x->c.page, page, sizeof(page)), x->c.cpu_node,
			x->c.mem_node, x->c.p10_ns, x->c.p90_ns);
		if (v->naive)
			fprintf(out, ", %u samples", x->samples);
		fprintf(out, "; %.0f%% on the node, %.0f%% in huge pages\n", x->c.on_node * 100,
			x->c.huge * 100);
	}
}

static void print_naive(const struct bench_view *v, FILE *out)
{
	const struct membench_naive *nv = v->naive;
	struct memcost_page p4k = {.size_kib = 4};
	const struct membench_cell *ref;

	if (!nv)
		return;
	if (nv->cpu_node < 0) {
		fprintf(out, "\nnaive check: %s\n", nv->note[0] ? nv->note : "not run");
		return;
	}
	fprintf(out,
		"\nnaive check (a second implementation: index chase over a plain anonymous "
		"mapping, one index\nper 4 KiB page in shuffled order, default policy and first "
		"touch, mean over whole passes):\n  CPU node %d: %.1f ns per load (%" PRIu64
		" loads)",
		nv->cpu_node, nv->ns, nv->loads);
	ref = find(v, &p4k, nv->cpu_node, nv->cpu_node);
	if (ref && ref->samples && ref->c.latency_ns > 0)
		fprintf(out, "; the 4K cell %d->%d: %.1f ns (naive/cell %.2f)", nv->cpu_node,
			nv->cpu_node, ref->c.latency_ns, nv->ns / ref->c.latency_ns);
	fputc('\n', out);
}

static void print_notes(const struct bench_view *v, FILE *out)
{
	bool head = false;

	for (size_t i = 0; i < v->ncells; i++) {
		const struct membench_cell *x = &v->cells[i];
		char page[16];

		if (!x->note[0])
			continue;
		if (!head)
			fprintf(out, "\nnotes:\n");
		head = true;
		fprintf(out, "  %s CPU node %d, mem node %d: %s\n",
			memcost_page_name(&x->c.page, page, sizeof(page)), x->c.cpu_node,
			x->c.mem_node, x->note);
	}
}

void bench_print_text(const struct bench_view *v, FILE *out)
{
	struct grid g;
	char when[64] = "";
	struct tm tm;
	time_t t = (time_t)v->time;

	grid_init(v, &g);
	if (v->time > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	fprintf(out, "%s: buffer %" PRIu64 " MiB, random cycle touching a new 4 KiB page per load",
		v->naive ? "measured" : "saved", v->buffer_kib / 1024);
	if (v->elapsed_s >= 0)
		fprintf(out, ", %.0f s", v->elapsed_s);
	fprintf(out, "%s%s%s%s\n", when[0] ? ", " : "", when, v->kernel ? ", kernel " : "",
		v->kernel ? v->kernel : "");
	if (!v->ncells) {
		fprintf(out, "(no cells)\n");
		grid_release(&g);
		return;
	}
	print_latency(v, &g, out);
	print_bandwidth(v, &g, out);
	print_details(v, out);
	print_naive(v, out);
	print_notes(v, out);
	fprintf(out, "\ntimes are on-CPU time of the pinned thread: preemption by other tasks is "
		     "left out.\n");
	if (v->saved_to)
		fprintf(out, "%s %s\n", v->naive ? "saved to" : "read from", v->saved_to);
	grid_release(&g);
}

static struct json_object *cell_json(const struct membench_cell *x, double best, bool measured)
{
	struct json_object *o = json_object_new_object();
	char page[16];

	json_object_object_add(
		o, "page",
		json_object_new_string(memcost_page_name(&x->c.page, page, sizeof(page))));
	json_object_object_add(o, "page_kib", json_object_new_int64((int64_t)x->c.page.size_kib));
	json_object_object_add(o, "thp", json_object_new_boolean(x->c.page.thp));
	json_object_object_add(o, "cpu_node", json_object_new_int(x->c.cpu_node));
	json_object_object_add(o, "mem_node", json_object_new_int(x->c.mem_node));
	json_object_object_add(o, "slit", render_opt_int(x->c.slit));
	json_object_object_add(o, "measured", json_object_new_boolean(x->samples > 0));
	if (x->samples) {
		json_object_object_add(o, "latency_ns", json_object_new_double(x->c.latency_ns));
		json_object_object_add(o, "p10_ns", json_object_new_double(x->c.p10_ns));
		json_object_object_add(o, "p90_ns", json_object_new_double(x->c.p90_ns));
		json_object_object_add(
			o, "ratio_to_best",
			json_object_new_double(best > 0 ? x->c.latency_ns / best : 0));
		json_object_object_add(o, "read_mbps", json_object_new_double(x->c.read_mbps));
		json_object_object_add(o, "on_node", json_object_new_double(x->c.on_node));
		json_object_object_add(o, "huge", json_object_new_double(x->c.huge));
		if (measured)
			json_object_object_add(o, "samples", json_object_new_int((int)x->samples));
	}
	json_object_object_add(o, "note", x->note[0] ? json_object_new_string(x->note) : NULL);
	return o;
}

struct json_object *bench_json(const struct bench_view *v)
{
	struct json_object *o = json_object_new_object(), *cells = json_object_new_array();
	double best = best_latency(v);

	json_object_object_add(o, "source",
			       json_object_new_string(v->naive ? "measured" : "saved"));
	json_object_object_add(o, "time", json_object_new_int64(v->time));
	json_object_object_add(o, "kernel", v->kernel ? json_object_new_string(v->kernel) : NULL);
	json_object_object_add(o, "buffer_kib", json_object_new_int64((int64_t)v->buffer_kib));
	json_object_object_add(o, "elapsed_s",
			       v->elapsed_s >= 0 ? json_object_new_double(v->elapsed_s) : NULL);
	for (size_t i = 0; i < v->ncells; i++)
		json_object_array_add(cells, cell_json(&v->cells[i], best, v->naive != NULL));
	json_object_object_add(o, "cells", cells);
	if (v->naive) {
		struct json_object *n = json_object_new_object();

		json_object_object_add(n, "cpu_node", render_opt_int(v->naive->cpu_node));
		json_object_object_add(
			n, "latency_ns",
			v->naive->cpu_node >= 0 ? json_object_new_double(v->naive->ns) : NULL);
		json_object_object_add(n, "loads", json_object_new_int64((int64_t)v->naive->loads));
		json_object_object_add(o, "naive", n);
	}
	json_object_object_add(o, "file", v->saved_to ? json_object_new_string(v->saved_to) : NULL);
	return o;
}
