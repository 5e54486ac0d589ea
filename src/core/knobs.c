/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The knob table and readers for its two value kinds. */
#include "knobs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/host.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"

#include "util/banned.h"

const struct knob_def knob_table[KNOB_COUNT_] = {
	{KNOB_THP_ENABLED, "thp.enabled", "/sys/kernel/mm/transparent_hugepage/enabled",
	 KNOB_BRACKET, "transparent hugepages for anonymous memory: always, madvise or never"},
	{KNOB_THP_DEFRAG, "thp.defrag", "/sys/kernel/mm/transparent_hugepage/defrag", KNOB_BRACKET,
	 "how hard a THP fault compacts memory"},
	{KNOB_KSM_RUN, "ksm.run", "/sys/kernel/mm/ksm/run", KNOB_INT,
	 "kernel samepage merging: 0 stopped, 1 running, 2 unmerge all"},
	{KNOB_KSM_MERGE_ACROSS_NODES, "ksm.merge_across_nodes",
	 "/sys/kernel/mm/ksm/merge_across_nodes", KNOB_INT,
	 "1 lets KSM merge pages of different NUMA nodes (remote accesses for VMs)"},
	{KNOB_KSM_PAGES_SHARED, "ksm.pages_shared", "/sys/kernel/mm/ksm/pages_shared", KNOB_INT,
	 "KSM pages in use (read-only)"},
	{KNOB_KSM_PAGES_SHARING, "ksm.pages_sharing", "/sys/kernel/mm/ksm/pages_sharing", KNOB_INT,
	 "pages deduplicated by KSM (read-only)"},
	{KNOB_NUMA_BALANCING, "kernel.numa_balancing", "/proc/sys/kernel/numa_balancing", KNOB_INT,
	 "automatic NUMA balancing: 0 off, 1 on (2 and 3: memory tiering modes)"},
	{KNOB_HUGETLB_SHM_GROUP, "vm.hugetlb_shm_group", "/proc/sys/vm/hugetlb_shm_group", KNOB_INT,
	 "group allowed to create SHM_HUGETLB segments"},
	{KNOB_NR_OVERCOMMIT_HUGEPAGES, "vm.nr_overcommit_hugepages",
	 "/proc/sys/vm/nr_overcommit_hugepages", KNOB_INT,
	 "surplus default-size hugepages the kernel may allocate on demand"},
	{KNOB_COMPACTION_PROACTIVENESS, "vm.compaction_proactiveness",
	 "/proc/sys/vm/compaction_proactiveness", KNOB_INT, "background compaction effort, 0-100"},
	{KNOB_MIN_FREE_KBYTES, "vm.min_free_kbytes", "/proc/sys/vm/min_free_kbytes", KNOB_INT,
	 "memory the kernel keeps free, in KiB"},
};

int knob_parse_bracket(const char *text, char *ret_word, size_t word_size, char *ret_choices,
		       size_t choices_size, struct diag *d)
{
	const char *p = text;
	size_t clen = 0;
	int selected = 0;
	char word[32] = "";

	if (choices_size)
		ret_choices[0] = '\0';
	while (*p) {
		const char *start;
		size_t len;
		bool br = false;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (*p == '[') {
			br = true;
			p++;
		}
		start = p;
		while (*p && !isspace((unsigned char)*p) && *p != ']' && *p != '[')
			p++;
		len = (size_t)(p - start);
		if (len == 0 || (br && *p != ']') || (!br && (*p == ']' || *p == '[')))
			return diag_set(d, EINVAL, "bracket",
					"'%.*s': expected words with one in brackets, such as "
					"'always [madvise] never'",
					(int)strcspn(text, "\n"), text);
		if (br) {
			p++;
			selected++;
			(void)snprintf(word, sizeof(word), "%.*s", (int)len, start);
		}
		if (choices_size && clen + len + 2 < choices_size) {
			(void)snprintf(ret_choices + clen, choices_size - clen, "%s%.*s",
				       clen ? " " : "", (int)len, start);
			clen = strlen(ret_choices);
		}
	}
	if (selected != 1)
		return diag_set(d, EINVAL, "bracket",
				"'%.*s': expected exactly one word in brackets, found %d",
				(int)strcspn(text, "\n"), text, selected);
	(void)snprintf(ret_word, word_size, "%s", word);
	return 0;
}

int knob_read(struct host *h, enum knob_id id, struct knob_value *ret, struct diag *d)
{
	const struct knob_def *k = &knob_table[id];
	AUTOFREE char *buf = NULL;
	struct knob_value v = {0};
	int r;

	r = host_read(h, k->path, &buf, NULL, d);
	if (r == -ENOENT) {
		diag_clear(d);
		*ret = v;
		return 0;
	}
	if (r < 0)
		return r;
	v.present = true;
	if (k->kind == KNOB_INT) {
		int64_t n;

		buf[strcspn(buf, "\n")] = '\0';
		r = parse_i64(buf, &n);
		if (r < 0)
			return diag_set(d, r, k->path, "'%s' holds '%.40s', expected a number",
					k->path, buf);
		v.number = n;
	} else {
		r = knob_parse_bracket(buf, v.word, sizeof(v.word), v.choices, sizeof(v.choices),
				       d);
		if (r < 0) {
			diag_prefix(d, "'%s': ", k->path);
			return r;
		}
	}
	*ret = v;
	return 0;
}
