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
#include "core/meminfo.h"
#include "core/model.h"
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
	TC_DASH
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

	x->kind = TC_NUM;
	x->v += v;
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

	return x->kind == TC_NUM && x->v != 0;
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

/* numastat -m rows, in its order. */
static const char *const meminfo_rows[] = {
	"MemTotal",	  "MemFree",	    "MemUsed",	       "HighTotal",	 "HighFree",
	"LowTotal",	  "LowFree",	    "Active",	       "Inactive",	 "Active(anon)",
	"Inactive(anon)", "Active(file)",   "Inactive(file)",  "Unevictable",	 "Mlocked",
	"Dirty",	  "Writeback",	    "FilePages",       "Mapped",	 "AnonPages",
	"Shmem",	  "KernelStack",    "PageTables",      "NFS_Unstable",	 "Bounce",
	"WritebackTmp",	  "Slab",	    "SReclaimable",    "SUnreclaim",	 "AnonHugePages",
	"ShmemHugePages", "ShmemPmdMapped", "HugePages_Total", "HugePages_Free", "HugePages_Surp",
	"KReclaimable",
};
#define NMEMINFO_ROWS (sizeof(meminfo_rows) / sizeof(meminfo_rows[0]))

/* MB of one row on one node; false when the node's file lacks the key. */
static bool meminfo_row_mb(const struct meminfo *mi, const struct numa_node *n, const char *key,
			   double *ret)
{
	uint64_t v = 0;
	int which = strcmp(key, "HugePages_Total") == 0	 ? 0
		    : strcmp(key, "HugePages_Free") == 0 ? 1
		    : strcmp(key, "HugePages_Surp") == 0 ? 2
							 : -1;

	if (!meminfo_get(mi, key, &v))
		return false;
	if (which >= 0 && n->npools) {
		/* every pool size, not only the default one (numactl #152/#157) */
		double kib = 0;

		for (size_t i = 0; i < n->npools; i++) {
			int64_t c = which == 0	 ? n->pools[i].total
				    : which == 1 ? n->pools[i].free
						 : n->pools[i].surplus;

			kib += c > 0 ? (double)c * (double)n->pools[i].size_kib : 0;
		}
		*ret = kib / 1024.0;
		return true;
	}
	*ret = (double)v / 1024.0;
	return true;
}

static int read_node_meminfo(struct host *h, int node, struct meminfo *mi, struct diag *d)
{
	AUTOFREE char *text = NULL;
	char path[96];
	int r;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", node);
	r = host_read(h, path, &text, NULL, d);
	if (r < 0)
		return r;
	return meminfo_parse(text, mi, d);
}

int stat_print_meminfo(const struct stat_view *v, struct host *h, FILE *out)
{
	const struct host_model *m = v->m;
	struct meminfo *mi = xcalloc(m->nnodes ? m->nnodes : 1, sizeof(*mi));
	bool present[NMEMINFO_ROWS] = {0};
	size_t nrows = 0, r = 2;
	struct diag d = {0};
	struct ttable t;
	int ret = 0;

	for (size_t i = 0; i < m->nnodes && ret >= 0; i++) {
		mi[i] = (struct meminfo)MEMINFO_INIT;
		ret = read_node_meminfo(h, m->nodes[i].node, &mi[i], &d);
		for (size_t k = 0; ret >= 0 && k < NMEMINFO_ROWS; k++) {
			uint64_t x;

			if (meminfo_get(&mi[i], meminfo_rows[k], &x) && !present[k]) {
				present[k] = true;
				nrows++;
			}
		}
	}
	if (ret < 0) {
		fprintf(stderr, "kvmtune: %s\n", d.msg);
		for (size_t i = 0; i < m->nnodes; i++)
			meminfo_release(&mi[i]);
		free(mi);
		return ret;
	}
	tt_init(&t, 2 + nrows, m->nnodes + 2, v->compact ? 0 : 2);
	tt_node_headers(&t, m, 1);
	for (size_t k = 0; k < NMEMINFO_ROWS; k++) {
		if (!present[k])
			continue;
		tt_str(&t, r, 0, meminfo_rows[k]);
		for (size_t i = 0; i < m->nnodes; i++) {
			double mb;

			if (meminfo_row_mb(&mi[i], &m->nodes[i], meminfo_rows[k], &mb)) {
				tt_add(&t, r, 1 + i, mb);
				tt_add(&t, r, 1 + m->nnodes, mb);
			}
		}
		r++;
	}
	if (v->compact)
		tt_widths(&t, true);
	tt_view(&t, v, 2, 2 + nrows - 1);
	fprintf(out, "\nPer-node system memory usage (in MBs):\n");
	tt_print(&t, out);
	tt_release(&t);
	for (size_t i = 0; i < m->nnodes; i++)
		meminfo_release(&mi[i]);
	free(mi);
	return 0;
}

int stat_print_numastat_counters(const struct stat_view *v, struct host *h, bool raw, FILE *out)
{
	static const char *const keys[] = {"numa_hit",	     "numa_miss",  "numa_foreign",
					   "interleave_hit", "local_node", "other_node"};
	static const char *const labels[] = {"Numa_Hit",       "Numa_Miss",  "Numa_Foreign",
					     "Interleave_Hit", "Local_Node", "Other_Node"};
	const struct host_model *m = v->m;
	size_t hdr = raw ? 1 : 2, nk = sizeof(keys) / sizeof(keys[0]);
	struct ttable t;

	tt_init(&t, hdr + nk, m->nnodes + (raw ? 1 : 2), (raw || v->compact) ? 0 : 2);
	if (raw) {
		for (size_t i = 0; i < m->nnodes; i++) {
			char label[32];

			snprintf(label, sizeof(label), "node%d", m->nodes[i].node);
			tt_str(&t, 0, 1 + i, label);
		}
	} else {
		tt_node_headers(&t, m, 1);
	}
	for (size_t k = 0; k < nk; k++)
		tt_str(&t, hdr + k, 0, raw ? keys[k] : labels[k]);
	for (size_t i = 0; i < m->nnodes; i++) {
		AUTOFREE char *text = NULL;
		struct diag d = {0};
		char path[96];
		int r;

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/numastat",
			 m->nodes[i].node);
		r = host_read(h, path, &text, NULL, &d);
		if (r < 0) {
			fprintf(stderr, "kvmtune: %s\n", d.msg);
			tt_release(&t);
			return r;
		}
		for (size_t k = 0; k < nk; k++) {
			const char *p = strstr(text, keys[k]);
			uint64_t val = 0;
			char num[32];

			if (!p || sscanf(p + strlen(keys[k]), " %31[0-9]", num) != 1 ||
			    parse_u64(num, &val) < 0)
				continue;
			double x = raw ? (double)val : (double)val * 4096.0 / (1024.0 * 1024.0);

			tt_add(&t, hdr + k, 1 + i, x);
			if (!raw)
				tt_add(&t, hdr + k, 1 + m->nnodes, x);
		}
	}
	if (v->compact && !raw)
		tt_widths(&t, true);
	t.header_rows = hdr;
	if (!raw)
		tt_view(&t, v, hdr, hdr + nk - 1);
	if (!raw)
		fprintf(out, "\nPer-node numastat info (in MBs):\n");
	tt_print(&t, out);
	tt_release(&t);
	return 0;
}
