# shellcheck shell=bash
# Shared helpers for tests/integration/*.sh. Source it after 'set -euo pipefail'.
#
# Output is TAP: 'ok N - what' / 'not ok N - what', diagnostics as '# ...',
# then the plan '1..N' and a closing 'NAME: P passed, F failed' line.
# Exit status: 0 all passed, 1 something failed, 77 skipped (reason printed).

TESTS_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
REPO_ROOT=$(cd -- "$TESTS_DIR/.." && pwd)
# shellcheck disable=SC2034 # used by the tests that source this
VM_DIR=$TESTS_DIR/vm
TEST_NAME=$(basename -- "$0" .sh)

_tap_n=0
_tap_failed=0
_cleanups=()

# KVMTUNE: the binary under test, default build/kvmtune in the repository.
kvmtune_path() {
    local k=${KVMTUNE:-build/kvmtune}
    [[ "$k" == /* ]] || k=$REPO_ROOT/$k
    printf '%s\n' "$k"
}

diag() {
    printf '# %s\n' "$@"
}

ok() {
    _tap_n=$((_tap_n + 1))
    printf 'ok %d - %s\n' "$_tap_n" "$1"
}

not_ok() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    printf 'not ok %d - %s\n' "$_tap_n" "$1"
}

# check DESCRIPTION CMD [ARGS...]: one TAP line from CMD's exit status.
check() {
    local what=$1
    shift
    if "$@"; then
        ok "$what"
    else
        not_ok "$what"
    fi
}

# skip_all REASON: nothing could be tested here; exit 77 saying why.
skip_all() {
    printf '1..0 # SKIP %s\n' "$1"
    printf '%s: skipped: %s\n' "$TEST_NAME" "$1" >&2
    exit 77
}

# bail REASON: the test could not go on; counts as a failure.
bail() {
    not_ok "$1"
    finish
}

require_root() {
    [[ $EUID -eq 0 ]] || skip_all "needs root (uid is $EUID)"
}

require_cmd() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip_all "missing command: $c"
    done
}

# require_private_mounts: a private mount namespace can be made (libvirtd-private
# needs one). Where / is not a mount point (a chroot) 'unshare -m --propagation
# private' fails: skip with that reason instead of failing.
require_private_mounts() {
    command -v unshare >/dev/null 2>&1 || skip_all "missing command: unshare"
    local err
    if ! err=$(unshare -m --propagation private true 2>&1); then
        skip_all "no private mount namespace (/ must be a mount point; in a chroot it is not): $err"
    fi
}

require_kvmtune() {
    local k
    k=$(kvmtune_path)
    [[ -x "$k" ]] || skip_all "kvmtune binary not found at $k (build it, or set KVMTUNE)"
}

# at_exit CMD...: run CMD (a string for eval) at exit, last registered first.
at_exit() {
    _cleanups+=("$1")
}

_run_cleanups() {
    local rc=$? i
    for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
        eval "${_cleanups[i]}" || printf '%s: cleanup failed: %s\n' "$TEST_NAME" "${_cleanups[i]}" >&2
    done
    _cleanups=()
    return "$rc"
}
trap _run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# ---- the undo journal ------------------------------------------------------
# kvmtune records every change it makes to the host in /var/lib/kvmtune/journal
# ('kvmtune undo'). A test puts its changes back itself, so the entries it made
# go at exit too (integration tests hold tests/host-lock: no one else writes
# there meanwhile), and the directories when the test created them. Registered
# first, so it runs last: after cleanups that call kvmtune.
KVMTUNE_JOURNAL=/var/lib/kvmtune/journal
_journal_had_dir=0
_journal_had_parent=0
_journal_before=

_journal_cleanup() {
    local f
    for f in "$KVMTUNE_JOURNAL"/*; do
        [[ -e $f ]] || continue
        grep -qxF -- "${f##*/}" <<<"$_journal_before" || rm -f -- "$f"
    done
    if ((!_journal_had_dir)); then
        rmdir "$KVMTUNE_JOURNAL" 2>/dev/null || true
    fi
    if ((!_journal_had_parent)); then
        rmdir "${KVMTUNE_JOURNAL%/*}" 2>/dev/null || true
    fi
}

if [[ $EUID -eq 0 ]]; then
    [[ -d $KVMTUNE_JOURNAL ]] && _journal_had_dir=1
    [[ -d ${KVMTUNE_JOURNAL%/*} ]] && _journal_had_parent=1
    _journal_before=$(ls -A "$KVMTUNE_JOURNAL" 2>/dev/null || true)
    at_exit _journal_cleanup
fi

finish() {
    printf '1..%d\n' "$_tap_n"
    printf '%s: %d passed, %d failed\n' "$TEST_NAME" $((_tap_n - _tap_failed)) "$_tap_failed"
    if ((_tap_failed > 0 || _tap_n == 0)); then
        exit 1
    fi
    exit 0
}

# ---- host hugepages -------------------------------------------------------

HP2M=/sys/kernel/mm/hugepages/hugepages-2048kB

# hugepool_add_2m N: grow the host's 2 MiB pool by N pages; at exit shrink it
# by the same number from whatever it is then. Adding and taking back a delta
# (rather than writing back an old absolute value) keeps the pool right even
# when other tests resize it at the same time. Skips if the pool cannot grow.
hugepool_add_2m() {
    local n=$1 old got
    [[ -w "$HP2M/nr_hugepages" ]] || skip_all "no writable $HP2M/nr_hugepages"
    old=$(<"$HP2M/nr_hugepages")
    echo $((old + n)) >"$HP2M/nr_hugepages"
    got=$(<"$HP2M/nr_hugepages")
    at_exit "_hugepool_sub_2m $((got > old ? got - old : 0))"
    if ((got < old + n)); then
        skip_all "host 2 MiB pool grew only from $old to $got pages, $n more were needed"
    fi
    diag "host 2 MiB pool: $old -> $got pages (given back at exit)"
}

_hugepool_sub_2m() {
    local n=$1 cur
    ((n > 0)) || return 0
    cur=$(<"$HP2M/nr_hugepages")
    echo $((cur > n ? cur - n : 0)) >"$HP2M/nr_hugepages"
}

# hugetlbfs_used_pages DIR: pages held by files in this hugetlbfs mount (it
# needs a size= limit); unlike HugePages_Free it ignores other pool users.
hugetlbfs_used_pages() {
    local blocks free
    read -r blocks free < <(stat -f -c '%b %f' "$1")
    ((blocks > 0)) || return 1
    echo $((blocks - free))
}

# private_hugetlbfs [OPTIONS]: mount a fresh hugetlbfs (default
# pagesize=2M,size=8G: the size is only a cap, and lets hugetlbfs_used_pages work)
# in a temp dir and set HUGETLBFS_DIR to it; unmounted and removed at exit.
# (Not in $(...): the cleanup must be registered in this shell.)
HUGETLBFS_DIR=""
private_hugetlbfs() {
    HUGETLBFS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kvmtune-test-hugetlbfs.XXXXXX")
    at_exit "rmdir '$HUGETLBFS_DIR'"
    mount -t hugetlbfs -o "${1:-pagesize=2M,size=8G}" none "$HUGETLBFS_DIR" ||
        skip_all "cannot mount hugetlbfs on $HUGETLBFS_DIR"
    at_exit "umount '$HUGETLBFS_DIR'"
}

# pid_alive PID: true if PID still exists (and is not a zombie).
pid_alive() {
    local state
    state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n "$state" && "$state" != Z ]]
}
