/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text views of kvmtune stat.  The numastat views reproduce numastat's
 * table layout (numactl 2.0.x, output not a terminal, so never folded):
 * a left label column and right-aligned 16-character data columns, dashed
 * rules as wide as a column less one, 2 decimals (0 and tight columns with
 * -c), so that scripts that parse numastat keep working.
 */
#include "cli/stat-render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/model.h"
#include "core/nodestat.h"
#include "core/procstat.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/sbuf.h"
#include "util/xalloc.h"

#include "util/banned.h"

enum tcell_kind {
	TC_NULL,
	TC_STR,
	TC_NUM,
	TC_DASH,
	TC_UNKNOWN, /* a value the kernel did not give */
};

struct tcell {
	enum tcell_kind kind;
	char *s;
	double v;
};

struct ttable {
	size_t rows, cols;
	struct tcell *c;
	int *width;
	bool *left;
	int decimals;
	size_t header_rows; /* shown always; -z looks at the rows below */
	size_t *order;	    /* display order of the rows (-s) */
	bool hide_zero;	    /* -z: hide rows and columns of zeros */
};

static void tt_init(struct ttable *t, size_t rows, size_t cols, int decimals)
{
	memset(t, 0, sizeof(*t));
	t->rows = rows;
	t->cols = cols;
	t->c = xcalloc(rows * cols, sizeof(*t->c));
	t->width = xcalloc(cols, sizeof(int));
	t->left = xcalloc(cols, sizeof(bool));
	t->decimals = decimals;
	t->header_rows = 2;
	t->order = xcalloc(rows, sizeof(size_t));
	for (size_t r = 0; r < rows; r++)
		t->order[r] = r;
	for (size_t i = 0; i < cols; i++)
		t->width[i] = 16;
	t->left[0] = true;
}

static void tt_release(struct ttable *t)
{
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->c[i].s);
	free(t->c);
	free(t->width);
	free(t->left);
	free(t->order);
}

static struct tcell *tt_cell(struct ttable *t, size_t r, size_t c)
{
	return &t->c[r * t->cols + c];
}

/* numastat -s: rows first..last in descending order of column col (a selection sort, as
 * numastat's). */
static void tt_sort(struct ttable *t, size_t first, size_t last, size_t col)
{
	for (size_t i = first; i <= last && last < t->rows; i++) {
		size_t big = i;

		for (size_t j = i + 1; j <= last; j++)
			if (tt_cell(t, t->order[big], col)->v < tt_cell(t, t->order[j], col)->v)
				big = j;
		if (big != i) {
			size_t tmp = t->order[i];

			t->order[i] = t->order[big];
			t->order[big] = tmp;
		}
	}
}

static void tt_str(struct ttable *t, size_t r, size_t c, const char *s)
{
	struct tcell *x = tt_cell(t, r, c);

	free(x->s);
	x->kind = TC_STR;
	x->s = xstrdup(s);
}

static void tt_add(struct ttable *t, size_t r, size_t c, double v)
{
	struct tcell *x = tt_cell(t, r, c);

	if (x->kind == TC_UNKNOWN)
		return;
	x->kind = TC_NUM;
	x->v += v;
}

static void tt_unknown(struct ttable *t, size_t r, size_t c)
{
	tt_cell(t, r, c)->kind = TC_UNKNOWN;
}

static void tt_dash_row(struct ttable *t, size_t r, size_t from_col)
{
	for (size_t c = from_col; c < t->cols; c++)
		tt_cell(t, r, c)->kind = TC_DASH;
}

/* A cell's text cut to width, as numastat formats it. */
static void tt_fmt(const struct ttable *t, const struct tcell *x, int width, char *buf,
		   size_t bufsz)
{
	switch (x->kind) {
	case TC_STR:
		snprintf(buf, bufsz, "%s", x->s);
		break;
	case TC_NUM:
		snprintf(buf, bufsz, "%.*f", t->decimals, x->v);
		break;
	case TC_UNKNOWN:
		snprintf(buf, bufsz, "unknown");
		break;
	case TC_DASH:
		memset(buf, '-', (size_t)(width > 1 ? width - 1 : 0));
		buf[width > 1 ? width - 1 : 0] = '\0';
		break;
	default:
		buf[0] = '\0';
	}
	if ((size_t)width < bufsz)
		buf[width] = '\0';
}

/* Widest text of the column (dashes aside) plus one space, within [min, max]. */
static void tt_autowidth(struct ttable *t, size_t col, int min, int max)
{
	int w = min;
	char buf[128];

	for (size_t r = 0; r < t->rows; r++) {
		const struct tcell *x = tt_cell(t, r, col);
		int l;

		if (x->kind == TC_DASH)
			continue;
		tt_fmt(t, x, max, buf, sizeof(buf));
		l = (int)strlen(buf);
		if (l > w)
			w = l;
	}
	w++;
	t->width[col] = w > max ? max : w;
}

static bool tt_nonzero(const struct ttable *t, size_t r, size_t c)
{
	const struct tcell *x = &t->c[r * t->cols + c];

	/* an unknown value is shown: it may be anything */
	return (x->kind == TC_NUM && x->v != 0) || x->kind == TC_UNKNOWN;
}

static bool tt_all_dash(const struct ttable *t, size_t r)
{
	for (size_t c = 0; c < t->cols; c++)
		if (t->c[r * t->cols + c].kind != TC_DASH)
			return false;
	return true;
}

/*
 * Print the rows in order; with hide_zero, data rows and data columns whose
 * numbers are all zero are left out (the dashed rule above Total stays).
 */
static void tt_print(const struct ttable *t, FILE *out)
{
	bool *show_col = xcalloc(t->cols, sizeof(bool)), any = false;
	char buf[128];

	show_col[0] = true;
	for (size_t c = 1; c < t->cols; c++) {
		show_col[c] = !t->hide_zero;
		for (size_t r = t->header_rows; r < t->rows; r++)
			if (tt_nonzero(t, r, c)) {
				show_col[c] = true;
				any = true;
			}
	}
	if (t->hide_zero && !any) {
		fprintf(out, "Table has no non-zero data.\n");
		free(show_col);
		return;
	}
	for (size_t i = 0; i < t->rows; i++) {
		size_t r = t->order[i];

		if (t->hide_zero && r >= t->header_rows && !tt_all_dash(t, r)) {
			bool nz = false;

			for (size_t c = 1; c < t->cols; c++)
				nz = nz || tt_nonzero(t, r, c);
			if (!nz)
				continue;
		}
		for (size_t c = 0; c < t->cols; c++) {
			int w = t->width[c];

			if (!show_col[c])
				continue;
			tt_fmt(t, &t->c[r * t->cols + c], w, buf, sizeof(buf));
			if (t->left[c])
				fprintf(out, "%-*s", w, buf);
			else
				fprintf(out, "%*s", w, buf);
		}
		fputc('\n', out);
	}
	free(show_col);
}

/* -z and -s of the view, for data rows first..last. */
static void tt_view(struct ttable *t, const struct stat_view *v, size_t first, size_t last)
{
	size_t col = t->cols - 1; /* Total */

	t->hide_zero = v->hide_zero;
	if (!v->sort || last < first)
		return;
	for (size_t i = 0; v->sort_node >= 0 && i < v->m->nnodes; i++)
		if (v->m->nodes[i].node == v->sort_node)
			col = 1 + i;
	tt_sort(t, first, last, col);
}

/* "Node 0" ... "Total" over columns 1.. of header row 0, dashes on row 1 (from from_col). */
static void tt_node_headers(struct ttable *t, const struct host_model *m, size_t dash_from)
{
	char label[32];

	for (size_t i = 0; i < m->nnodes; i++) {
		snprintf(label, sizeof(label), "Node %d", m->nodes[i].node);
		tt_str(t, 0, 1 + i, label);
	}
	tt_str(t, 0, 1 + m->nnodes, "Total");
	tt_dash_row(t, 1, dash_from);
}

static void tt_widths(struct ttable *t, bool compact)
{
	if (compact) {
		for (size_t c = 0; c < t->cols; c++)
			tt_autowidth(t, c, 4, 16);
	} else {
		tt_autowidth(t, 0, 16, 24);
	}
}

/* Add the process's per-node KiB of category cat (all when < 0) to row r, and to the total row. */
static void add_proc_row(struct ttable *t, const struct host_model *m,
			 const struct procstat_proc *p, int cat, size_t r, size_t total_r)
{
	for (size_t i = 0; i < m->nnodes; i++) {
		double mb =
			(double)numamaps_usage_node_kib(&p->usage, cat, m->nodes[i].node) / 1024.0;

		tt_add(t, r, 1 + i, mb);
		tt_add(t, r, 1 + m->nnodes, mb);
		tt_add(t, total_r, 1 + i, mb);
		tt_add(t, total_r, 1 + m->nnodes, mb);
	}
}

static void print_one_proc(const struct stat_view *v, const struct procstat_proc *p, FILE *out)
{
	static const char *const labels[NUMAMAPS_CAT_COUNT_] = {"Huge", "Heap", "Stack", "Private"};
	const struct host_model *m = v->m;
	size_t rows = 2 + NUMAMAPS_CAT_COUNT_ + 2, total_r = rows - 1;
	struct ttable t;

	tt_init(&t, rows, m->nnodes + 2, v->compact ? 0 : 2);
	tt_node_headers(&t, m, 1);
	for (int c = 0; c < NUMAMAPS_CAT_COUNT_; c++) {
		tt_str(&t, 2 + (size_t)c, 0, labels[c]);
		add_proc_row(&t, m, p, c, 2 + (size_t)c, total_r);
	}
	tt_str(&t, total_r, 0, "Total");
	tt_widths(&t, v->compact);
	tt_dash_row(&t, total_r - 1, 0);
	tt_view(&t, v, 2, 2 + NUMAMAPS_CAT_COUNT_ - 1);
	fprintf(out, "\nPer-node process memory usage (in MBs) for PID %d (%s)\n", p->pid, p->name);
	tt_print(&t, out);
	if (!v->numastat && p->source == PROCSTAT_SOURCE_CGROUP)
		fprintf(out, "(from cgroup '%s': heap and stack are counted in Private)\n",
			p->cgroup);
	tt_release(&t);
}

void stat_print_procs(const struct stat_view *v, FILE *out)
{
	const struct host_model *m = v->m;
	size_t n = v->ps->nprocs, rows = 2 + n + 2, total_r = rows - 1;
	struct ttable t;

	if (n == 1 || v->verbose) {
		for (size_t i = 0; i < n; i++)
			print_one_proc(v, &v->ps->procs[i], out);
		return;
	}
	tt_init(&t, rows, m->nnodes + 2, v->compact ? 0 : 2);
	tt_node_headers(&t, m, 0);
	tt_str(&t, 0, 0, "PID");
	for (size_t i = 0; i < n; i++) {
		const struct procstat_proc *p = &v->ps->procs[i];
		char label[64];

		snprintf(label, sizeof(label), "%d (%s)", p->pid, p->name);
		tt_str(&t, 2 + i, 0, label);
		add_proc_row(&t, m, p, -1, 2 + i, total_r);
	}
	tt_str(&t, total_r, 0, "Total");
	tt_widths(&t, v->compact);
	tt_dash_row(&t, total_r - 1, 0);
	tt_view(&t, v, 2, 2 + n - 1);
	fprintf(out, "\nPer-node process memory usage (in MBs)\n");
	tt_print(&t, out);
	tt_release(&t);
}

/* A cell of a node table: the value in MB (or pages when raw), or unknown. */
static void node_cell(struct ttable *t, size_t r, size_t c, int64_t v, double scale)
{
	if (v == NODESTAT_UNKNOWN) {
		tt_unknown(t, r, c);
		return;
	}
	tt_add(t, r, c, (double)v * scale);
}

/* Rows of a nodestat table from table row hdr on, a Total column unless raw. */
static void node_rows(struct ttable *t, const struct nodestat *s, size_t hdr, double scale,
		      bool total)
{
	for (size_t k = 0; k < s->nrows; k++) {
		bool unknown = false;

		for (size_t i = 0; i < s->nnodes; i++) {
			int64_t v = nodestat_get(s, k, i);

			node_cell(t, hdr + k, 1 + i, v, scale);
			unknown = unknown || v == NODESTAT_UNKNOWN;
			if (total && v != NODESTAT_UNKNOWN)
				tt_add(t, hdr + k, 1 + s->nnodes, (double)v * scale);
		}
		/* a sum with an unknown part is unknown */
		if (total && unknown)
			tt_unknown(t, hdr + k, 1 + s->nnodes);
	}
}

void stat_print_meminfo(const struct stat_view *v, FILE *out)
{
	const struct nodestat *s = v->meminfo;
	struct ttable t;

	tt_init(&t, 2 + s->nrows, v->m->nnodes + 2, v->compact ? 0 : 2);
	tt_node_headers(&t, v->m, 1);
	for (size_t k = 0; k < s->nrows; k++)
		tt_str(&t, 2 + k, 0, s->keys[k]);
	node_rows(&t, s, 2, (double)s->unit_kib / 1024.0, true);
	if (v->compact)
		tt_widths(&t, true);
	tt_view(&t, v, 2, 2 + s->nrows - 1);
	fprintf(out, "\nPer-node system memory usage (in MBs):\n");
	tt_print(&t, out);
	tt_release(&t);
}

void stat_print_numastat_counters(const struct stat_view *v, bool raw, FILE *out)
{
	/* numastat -n's labels for the kernel's counter names, in the same order */
	static const char *const labels[] = {"Numa_Hit",       "Numa_Miss",  "Numa_Foreign",
					     "Interleave_Hit", "Local_Node", "Other_Node"};
	const struct nodestat *s = v->counters;
	const struct host_model *m = v->m;
	size_t hdr = raw ? 1 : 2;
	struct ttable t;

	tt_init(&t, hdr + s->nrows, m->nnodes + (raw ? 1 : 2), (raw || v->compact) ? 0 : 2);
	if (raw) {
		for (size_t i = 0; i < m->nnodes; i++) {
			char label[32];

			snprintf(label, sizeof(label), "node%d", m->nodes[i].node);
			tt_str(&t, 0, 1 + i, label);
		}
	} else {
		tt_node_headers(&t, m, 1);
	}
	for (size_t k = 0; k < s->nrows; k++)
		tt_str(&t, hdr + k, 0,
		       raw || k >= sizeof(labels) / sizeof(labels[0]) ? s->keys[k] : labels[k]);
	node_rows(&t, s, hdr, raw ? 1.0 : (double)s->unit_kib / 1024.0, !raw);
	if (v->compact && !raw)
		tt_widths(&t, true);
	t.header_rows = hdr;
	if (!raw)
		tt_view(&t, v, hdr, hdr + s->nrows - 1);
	if (!raw)
		fprintf(out, "\nPer-node numastat info (in MBs):\n");
	tt_print(&t, out);
	tt_release(&t);
}
