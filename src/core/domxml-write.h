/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct vm_spec → libvirt domain XML: the memory fragments (<memory>,
 * <memoryBacking>, <numatune>, <cpu><numa>, <memtune><hard_limit>), with
 * DOMXML_WRITE_CPU also <vcpu>, <iothreads>, <cputune> pins and the CPU
 * topology, and an in-place merge into an existing domain that keeps
 * everything else.
 */
#ifndef KVMTUNE_CORE_DOMXML_WRITE_H
#define KVMTUNE_CORE_DOMXML_WRITE_H

#include <stddef.h>
#include <stdint.h>

struct diag;
struct host_model;
struct journal_entry;
struct vm_spec;

/* Added to the guest size for <hard_limit> when memory is locked (libvirt's own default). */
#define DOMXML_LOCK_OVERHEAD_KIB (1024ULL * 1024)

/*
 * The fragments as indented XML text (caller frees).  The host's default
 * hugepage size resolves VM_PAGE_HOST_DEFAULT (so that the XML names the
 * size); -EINVAL when it is needed and unknown.
 */
int domxml_fragments(const struct vm_spec *vm, const struct host_model *m, char **ret,
		     struct diag *d);

/*
 * Replace the memory configuration of the domain in path by vm's: <memory>,
 * <currentMemory>, <memoryBacking>, <numatune>, <cpu><numa> (keeping the
 * rest of <cpu>) and <memtune><hard_limit> (when locked).  Written with
 * userfile_replace(): a symlink updates the file it names (ret_target, may
 * be NULL), owner and mode kept, the old file kept as the first free
 * path.bak[.N] (ret_backup, may be NULL), the new one put in place
 * atomically; on failure the file is unchanged.  When je is not NULL, the
 * file's old and new contents and the new backup are added to it
 * (user-file changes, absolute paths) once written, for the undo journal.
 * -errno of the file operations, -EINVAL for a malformed domain, -EFBIG
 * beyond DOMXML_MAX_FILE_BYTES.
 */
int domxml_merge_file(const char *path, const struct vm_spec *vm, const struct host_model *m,
		      char **ret_target, char **ret_backup, struct journal_entry *je,
		      struct diag *d);
/*
 * What domxml_merge_file() would write to path, without writing: the merged
 * domain as text (caller frees), ret_len its length.  Same errors.
 */
int domxml_merge_text(const char *path, const struct vm_spec *vm, const struct host_model *m,
		      char **ret, size_t *ret_len, struct diag *d);

enum domxml_write_flags {
	/*
	 * Also the CPU side: <vcpu> (count, placement static), <iothreads>,
	 * <cputune> vcpupin/emulatorpin/iothreadpin (other <cputune> children
	 * are kept) and <cpu><topology>.
	 */
	DOMXML_WRITE_CPU = 1u << 0,
};
/* domxml_fragments() and domxml_merge_file() with enum domxml_write_flags. */
int domxml_fragments_flags(const struct vm_spec *vm, const struct host_model *m, unsigned flags,
			   char **ret, struct diag *d);
int domxml_merge_file_flags(const char *path, const struct vm_spec *vm, const struct host_model *m,
			    unsigned flags, char **ret_target, char **ret_backup,
			    struct journal_entry *je, struct diag *d);

#endif
