/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The undo journal: entries built from plans, stored as JSON, read back with every field checked.
 */
#include "journal.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/file-plan.h"
#include "core/host.h"
#include "core/hugepages-apply.h"
#include "core/hugepages-plan.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/diag.h"
#include "util/parse-num.h"
#include "util/xalloc.h"

#include "util/banned.h"

/* Limits for entries read back (they may have been edited by anyone with access). */
#define JOURNAL_MAX_TEXT (64u << 20)
#define JOURNAL_MAX_VALUE 4096
#define JOURNAL_MAX_CHANGES 100000

const char *journal_kind_name(enum journal_kind k)
{
	static const char *const names[] = {
		[JOURNAL_VALUE] = "value",
		[JOURNAL_POOL] = "pool",
		[JOURNAL_FILE] = "file",
		[JOURNAL_USER_FILE] = "user-file",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void journal_entry_init(struct journal_entry *e, const char *command)
{
	memset(e, 0, sizeof(*e));
	e->command = xstrdup(command ? command : "");
}

void journal_entry_release(struct journal_entry *e)
{
	for (size_t i = 0; i < e->nchanges; i++) {
		free(e->changes[i].path);
		free(e->changes[i].old);
		free(e->changes[i].new);
	}
	free(e->changes);
	free(e->command);
	free(e->undone_by);
	memset(e, 0, sizeof(*e));
}

static struct journal_change *add_change(struct journal_entry *e, enum journal_kind kind,
					 const char *path)
{
	struct journal_change *c;

	e->changes = xreallocarray(e->changes, e->nchanges + 1, sizeof(*e->changes));
	c = &e->changes[e->nchanges++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->path = xstrdup(path);
	return c;
}

static char *dup_bytes(const char *p, size_t len)
{
	char *r;

	if (!p)
		return NULL;
	r = xmalloc(len + 1);
	memcpy(r, p, len);
	r[len] = '\0';
	return r;
}

void journal_add_value(struct journal_entry *e, const char *path, const char *old,
		       const char *new_value, enum knob_match match)
{
	struct journal_change *c = add_change(e, JOURNAL_VALUE, path);

	c->old = xstrdup(old);
	c->old_len = strlen(old);
	c->new = xstrdup(new_value);
	c->new_len = strlen(new_value);
	c->match = match;
}

void journal_add_pool(struct journal_entry *e, const char *path, int64_t old_pages,
		      int64_t new_pages)
{
	struct journal_change *c = add_change(e, JOURNAL_POOL, path);

	c->old = xasprintf("%" PRId64, old_pages);
	c->old_len = strlen(c->old);
	c->new = xasprintf("%" PRId64, new_pages);
	c->new_len = strlen(c->new);
}

void journal_add_file(struct journal_entry *e, enum journal_kind kind, const char *path,
		      const char *old, size_t old_len, const char *new_content, size_t new_len,
		      mode_t mode)
{
	struct journal_change *c = add_change(e, kind, path);

	c->old = dup_bytes(old, old_len);
	c->old_len = old ? old_len : 0;
	c->new = dup_bytes(new_content, new_len);
	c->new_len = new_content ? new_len : 0;
	c->mode = mode & 07777;
}

void journal_add_knob_plan(struct journal_entry *e, const struct knob_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct knob_change *c = &p->v[i];

		if (c->status == KC_WRITTEN && c->before && c->got)
			journal_add_value(e, c->path, c->before, c->got, c->match);
	}
}

void journal_add_hp_plan(struct journal_entry *e, const struct hp_plan *p,
			 const struct hp_result *results)
{
	for (size_t i = 0; i < p->nchanges; i++) {
		const struct hp_result *r = &results[i];

		if ((r->status == HP_MET || r->status == HP_SHORT) &&
		    r->got_pages != r->before_pages)
			journal_add_pool(e, p->changes[i].path, r->before_pages, r->got_pages);
	}
}

void journal_add_file_plan(struct journal_entry *e, const struct file_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct file_change *c = &p->v[i];

		if (!c->written)
			continue;
		journal_add_file(e, JOURNAL_FILE, c->path, c->old_content,
				 c->old_content ? strlen(c->old_content) : 0, c->new_content,
				 strlen(c->new_content), c->mode);
	}
}

/* ---- the stored form ---- */

/* Text that a JSON string keeps byte for byte and a reader can read: UTF-8, no NUL or controls but
 * tab and newlines. */
static bool is_text(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n = c < 0x80		? 1
			   : (c & 0xe0) == 0xc0 ? 2
			   : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4
						: 0;

		if (n == 0 || i + n > len || (n == 1 && c < 0x20 && !strchr("\t\n\r", c)) ||
		    c == 0x7f || (n == 2 && c < 0xc2))
			return false;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
		i += n;
	}
	return true;
}

/* A file's content as "<key>_text" (readable) or "<key>_base64", or null when absent. */
static void add_bytes(struct json_object *o, const char *key, const char *p, size_t len)
{
	char name[32];

	if (p && is_text(p, len)) {
		(void)snprintf(name, sizeof(name), "%s_text", key);
		json_object_object_add(o, name, json_object_new_string_len(p, (int)len));
		return;
	}
	if (!p) {
		(void)snprintf(name, sizeof(name), "%s_text", key);
		json_object_object_add(o, name, NULL); /* absent */
		return;
	}
	(void)snprintf(name, sizeof(name), "%s_base64", key);
	{
		AUTOFREE char *b = base64_encode(p, len);

		json_object_object_add(o, name, json_object_new_string(b));
	}
}

static struct json_object *change_json(const struct journal_change *c)
{
	struct json_object *o = json_object_new_object();
	char mode[16];

	json_object_object_add(o, "kind", json_object_new_string(journal_kind_name(c->kind)));
	json_object_object_add(o, "path", json_object_new_string(c->path));
	if (c->kind == JOURNAL_VALUE || c->kind == JOURNAL_POOL) {
		json_object_object_add(o, "old", json_object_new_string(c->old));
		json_object_object_add(o, "new", json_object_new_string(c->new));
		if (c->kind == JOURNAL_VALUE)
			json_object_object_add(o, "match",
					       json_object_new_string(c->match == KNOB_MATCH_BRACKET
									      ? "bracket"
									      : "exact"));
		return o;
	}
	(void)snprintf(mode, sizeof(mode), "%04o", (unsigned)c->mode);
	json_object_object_add(o, "mode", json_object_new_string(mode));
	add_bytes(o, "old", c->old, c->old_len);
	add_bytes(o, "new", c->new, c->new_len);
	return o;
}

static void add_time(struct json_object *o, const char *key, int64_t t)
{
	char buf[64], name[64];
	struct tm tm;
	time_t tt = (time_t)t;

	json_object_object_add(o, key, json_object_new_int64(t));
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return;
	(void)snprintf(name, sizeof(name), "%s_utc", key);
	json_object_object_add(o, name, json_object_new_string(buf));
}

char *journal_entry_format(const struct journal_entry *e)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	char *text;

	json_object_object_add(o, "id", json_object_new_int64((int64_t)e->id));
	add_time(o, "time", e->time_s);
	json_object_object_add(o, "command", json_object_new_string(e->command));
	if (e->undone_by) {
		struct json_object *u = json_object_new_object();

		add_time(u, "time", e->undone_s);
		json_object_object_add(u, "command", json_object_new_string(e->undone_by));
		json_object_object_add(o, "undone", u);
	} else {
		json_object_object_add(o, "undone", NULL);
	}
	for (size_t i = 0; i < e->nchanges; i++)
		json_object_array_add(a, change_json(&e->changes[i]));
	json_object_object_add(o, "changes", a);
	text = xasprintf("%s\n", json_object_to_json_string_ext(
					 o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/* ---- parsing (hostile input) ---- */

static int get_string(struct json_object *o, const char *key, bool nullable, const char **ret,
		      struct diag *d)
{
	struct json_object *v = NULL;

	*ret = NULL; /* also on error: callers test r, the optimiser cannot see diag_set() < 0 */
	if (!json_object_object_get_ex(o, key, &v))
		return diag_set(d, EINVAL, key, "'%s' is missing", key);
	if (!v && nullable) {
		*ret = NULL;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return diag_set(d, EINVAL, key, "'%s' is not a string", key);
	*ret = json_object_get_string(v);
	return 0;
}

static int get_int(struct json_object *o, const char *key, int64_t min, int64_t *ret,
		   struct diag *d)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return diag_set(d, EINVAL, key, "'%s' is missing or not a number", key);
	*ret = json_object_get_int64(v);
	if (*ret < min)
		return diag_set(d, EINVAL, key, "'%s' is %" PRId64 ", below %" PRId64, key, *ret,
				min);
	return 0;
}

/* Printable text without control characters (values shown to the admin, written to sysfs). */
static bool plain_text(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
			return false;
	return true;
}

/* An absolute path without "." or ".." components, empty components or control characters. */
static bool clean_path(const char *p)
{
	const char *s = p;

	if (p[0] != '/' || !plain_text(p, 4096) || strstr(p, "//"))
		return false;
	while (*s) {
		size_t n;

		s++;
		n = strcspn(s, "/");
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		s += n;
	}
	return p[1] != '\0';
}

/* Where each kind may point: kernel values under /proc/sys and /sys, files kvmtune writes. */
static bool path_allowed(enum journal_kind kind, const char *p)
{
	if (!clean_path(p))
		return false;
	switch (kind) {
	case JOURNAL_VALUE:
		return strncmp(p, "/proc/sys/", 10) == 0 || strncmp(p, "/sys/", 5) == 0;
	case JOURNAL_POOL:
		return strncmp(p, "/sys/", 5) == 0 &&
		       strcmp(p + strlen(p) - strlen("/nr_hugepages"), "/nr_hugepages") == 0;
	case JOURNAL_FILE:
		return strncmp(p, "/etc/", 5) == 0 || strncmp(p, "/run/kvmtune/", 13) == 0;
	case JOURNAL_USER_FILE:
		return true;
	}
	return false;
}

/* "<key>_text" or "<key>_base64" (null: absent). */
static int parse_bytes(struct json_object *o, const char *key, char **ret, size_t *ret_len,
		       struct diag *d)
{
	char name[32];
	struct json_object *v = NULL;
	const char *s;
	int r;

	*ret = NULL;
	*ret_len = 0;
	(void)snprintf(name, sizeof(name), "%s_text", key);
	if (json_object_object_get_ex(o, name, &v)) {
		if (!v)
			return 0; /* absent */
		if (!json_object_is_type(v, json_type_string))
			return diag_set(d, EINVAL, name, "'%s' is not a string", name);
		*ret_len = (size_t)json_object_get_string_len(v);
		*ret = dup_bytes(json_object_get_string(v), *ret_len);
		return 0;
	}
	(void)snprintf(name, sizeof(name), "%s_base64", key);
	r = get_string(o, name, true, &s, d);
	if (r < 0)
		return r;
	if (s && base64_decode(s, ret, ret_len) < 0)
		return diag_set(d, EINVAL, name, "'%s' is not base64", name);
	return 0;
}

static int parse_kind(const char *s, enum journal_kind *ret)
{
	for (unsigned k = JOURNAL_VALUE; k <= JOURNAL_USER_FILE; k++)
		if (strcmp(s, journal_kind_name((enum journal_kind)k)) == 0) {
			*ret = (enum journal_kind)k;
			return 0;
		}
	return -EINVAL;
}

static int parse_value_change(struct json_object *o, struct journal_change *c, struct diag *d)
{
	const char *old, *nv, *match = "exact";
	int64_t n;
	int r;

	r = get_string(o, "old", false, &old, d);
	if (r >= 0)
		r = get_string(o, "new", false, &nv, d);
	if (r >= 0 && c->kind == JOURNAL_VALUE)
		r = get_string(o, "match", false, &match, d);
	if (r < 0)
		return r;
	if (!plain_text(old, JOURNAL_MAX_VALUE) || !plain_text(nv, JOURNAL_MAX_VALUE))
		return diag_set(d, EINVAL, c->path, "'%s': a value holds control characters",
				c->path);
	if (c->kind == JOURNAL_POOL &&
	    (parse_i64(old, &n) < 0 || n < 0 || parse_i64(nv, &n) < 0 || n < 0))
		return diag_set(d, EINVAL, c->path, "'%s': pool sizes '%s' and '%s' must be counts",
				c->path, old, nv);
	if (strcmp(match, "exact") != 0 && strcmp(match, "bracket") != 0)
		return diag_set(d, EINVAL, "match", "unknown match '%s'", match);
	c->match = strcmp(match, "bracket") == 0 ? KNOB_MATCH_BRACKET : KNOB_MATCH_EXACT;
	c->old = xstrdup(old);
	c->old_len = strlen(old);
	c->new = xstrdup(nv);
	c->new_len = strlen(nv);
	return 0;
}

static int parse_file_change(struct json_object *o, struct journal_change *c, struct diag *d)
{
	const char *mode;
	uint32_t m;
	int r;

	r = get_string(o, "mode", false, &mode, d);
	if (r < 0)
		return r;
	if (parse_octal(mode, &m) < 0 || m > 07777)
		return diag_set(d, EINVAL, "mode", "'%s': mode '%s' is not octal", c->path, mode);
	c->mode = (mode_t)m;
	r = parse_bytes(o, "old", &c->old, &c->old_len, d);
	if (r >= 0)
		r = parse_bytes(o, "new", &c->new, &c->new_len, d);
	if (r >= 0 && !c->old && !c->new)
		r = diag_set(d, EINVAL, c->path, "'%s': absent both before and after", c->path);
	return r;
}

static int parse_change(struct json_object *o, struct journal_entry *e, struct diag *d)
{
	const char *kind, *path;
	enum journal_kind k;
	struct journal_change *c;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return diag_set(d, EINVAL, "changes", "a change is not an object");
	r = get_string(o, "kind", false, &kind, d);
	if (r >= 0)
		r = get_string(o, "path", false, &path, d);
	if (r < 0)
		return r;
	if (parse_kind(kind, &k) < 0)
		return diag_set(d, EINVAL, "kind", "unknown change kind '%.40s'", kind);
	if (!path_allowed(k, path))
		return diag_set(d, EINVAL, "path", "a %s change may not name '%.200s'",
				journal_kind_name(k), path);
	c = add_change(e, k, path);
	if (k == JOURNAL_VALUE || k == JOURNAL_POOL)
		return parse_value_change(o, c, d);
	return parse_file_change(o, c, d);
}

static int parse_undone(struct json_object *o, struct journal_entry *e, struct diag *d)
{
	struct json_object *u = NULL;
	const char *cmd;
	int r;

	if (!json_object_object_get_ex(o, "undone", &u) || !u)
		return 0;
	if (!json_object_is_type(u, json_type_object))
		return diag_set(d, EINVAL, "undone", "'undone' is not an object");
	r = get_int(u, "time", 1, &e->undone_s, d);
	if (r >= 0)
		r = get_string(u, "command", false, &cmd, d);
	if (r < 0)
		return r;
	e->undone_by = xstrdup(cmd);
	return 0;
}

int journal_entry_parse(const char *text, size_t len, struct journal_entry *ret, struct diag *d)
{
	struct json_tokener *tok;
	struct json_object *o, *a = NULL;
	struct journal_entry e;
	const char *cmd;
	int64_t id;
	size_t n;
	int r;

	if (len > JOURNAL_MAX_TEXT || len > INT32_MAX)
		return diag_set(d, EINVAL, "journal", "entry larger than %u bytes",
				JOURNAL_MAX_TEXT);
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, text, (int)len);
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return diag_set(d, EINVAL, "journal", "not a JSON object");
	}
	journal_entry_init(&e, NULL);
	r = get_int(o, "id", 1, &id, d);
	if (r >= 0)
		r = get_int(o, "time", 0, &e.time_s, d);
	if (r >= 0)
		r = get_string(o, "command", false, &cmd, d);
	if (r >= 0 && !plain_text(cmd, 65536))
		r = diag_set(d, EINVAL, "command", "the command holds control characters");
	if (r >= 0) {
		free(e.command);
		e.command = xstrdup(cmd);
		e.id = (uint64_t)id;
		r = parse_undone(o, &e, d);
	}
	if (r >= 0 && (!json_object_object_get_ex(o, "changes", &a) ||
		       !json_object_is_type(a, json_type_array)))
		r = diag_set(d, EINVAL, "changes", "'changes' is missing or not an array");
	n = r >= 0 ? json_object_array_length(a) : 0;
	if (r >= 0 && (n == 0 || n > JOURNAL_MAX_CHANGES))
		r = diag_set(d, EINVAL, "changes", "%zu changes (expected 1 to %u)", n,
			     JOURNAL_MAX_CHANGES);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = parse_change(json_object_array_get_idx(a, i), &e, d);
	json_object_put(o);
	if (r < 0) {
		journal_entry_release(&e);
		return r;
	}
	*ret = e;
	return 0;
}

/* ---- storage ---- */

/* The id of an entry file name "<digits>.json", 0 for anything else. */
static uint64_t name_id(const char *name)
{
	size_t n = strspn(name, "0123456789");
	AUTOFREE char *digits = NULL;
	uint64_t id;

	if (n == 0 || n > 18 || strcmp(name + n, ".json") != 0)
		return 0;
	digits = xstrndup(name, n);
	if (parse_u64(digits, &id) < 0)
		return 0;
	return id;
}

static uint64_t last_id(struct host *h, struct diag *d, int *ret_err)
{
	char **names = NULL;
	uint64_t max = 0;

	*ret_err = host_list_optional(h, JOURNAL_DIR, &names, NULL, d);
	for (size_t i = 0; *ret_err >= 0 && names[i]; i++) {
		uint64_t id = name_id(names[i]);

		if (id > max)
			max = id;
	}
	host_names_free(names);
	return max;
}

int journal_save(struct host *h, const struct journal_entry *e, struct diag *d)
{
	AUTOFREE char *path = xasprintf("%s/%06" PRIu64 ".json", JOURNAL_DIR, e->id);
	AUTOFREE char *text = journal_entry_format(e);
	int r = 0;

	if (!host_exists(h, JOURNAL_DIR))
		r = host_mkdir_p(h, JOURNAL_DIR, 0700, d);
	if (r >= 0)
		r = host_write_file_atomic(h, path, text, 0600, d);
	return r;
}

int journal_record(struct host *h, struct journal_entry *e, struct diag *d)
{
	AUTOCLOSE int lock = -1;
	int r;

	if (!e->nchanges)
		return 0;
	lock = host_lock(h, "journal", JOURNAL_LOCK_TIMEOUT_MS, d);
	if (lock < 0)
		return lock;
	e->id = last_id(h, d, &r) + 1;
	if (r < 0)
		return r;
	e->time_s = (int64_t)time(NULL);
	r = journal_save(h, e, d);
	if (r < 0) {
		diag_prefix(d, "undo journal: ");
		e->id = 0;
	}
	return r;
}

/* On the live host, only entries we wrote are trusted (undo writes what they say). */
static int check_owner(struct host *h, const char *path, struct diag *d)
{
	struct stat st;
	int r;

	if (!host_is_live(h))
		return 0;
	r = host_stat(h, path, &st, d);
	if (r < 0)
		return r;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return diag_set(d, EPERM, path,
				"'%s' is owned by uid %u with mode %04o: a journal entry must be "
				"ours and not writable by others",
				path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int load_one(struct host *h, const char *name, uint64_t id, struct journal_entry *ret,
		    struct diag *d)
{
	AUTOFREE char *path = xasprintf("%s/%s", JOURNAL_DIR, name);
	AUTOFREE char *text = NULL;
	size_t len;
	int r;

	r = check_owner(h, path, d);
	if (r >= 0)
		r = host_read(h, path, &text, &len, d);
	if (r >= 0)
		r = journal_entry_parse(text, len, ret, d);
	if (r >= 0 && ret->id != id) {
		journal_entry_release(ret);
		r = diag_set(d, EINVAL, path, "holds id %" PRIu64, id);
	}
	if (r < 0)
		diag_prefix(d, "journal entry '%s': ", path);
	return r;
}

void journal_list_free(struct journal_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		journal_entry_release(&v[i]);
	free(v);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct journal_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int journal_list(struct host *h, struct journal_entry **ret, size_t *ret_n, struct diag *d)
{
	char **names = NULL;
	struct journal_entry *v = NULL;
	size_t n = 0;
	int r;

	r = host_list_optional(h, JOURNAL_DIR, &names, NULL, d);
	for (size_t i = 0; r >= 0 && names[i]; i++) {
		uint64_t id = name_id(names[i]);

		if (!id)
			continue; /* a writer's temporary file, or not ours */
		v = xreallocarray(v, n + 1, sizeof(*v));
		r = load_one(h, names[i], id, &v[n], d);
		if (r >= 0)
			n++;
	}
	host_names_free(names);
	if (r < 0) {
		journal_list_free(v, n);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*ret = v;
	*ret_n = n;
	return 0;
}
