#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# undo-live: on the live host, 'kvmtune undo' after 'hugepages set' puts the
# 2 MiB pool back to its size before (16 pages, small), and after
# 'xml --write' puts the domain file back byte for byte (and removes the
# .bak it created).  Twenty 'xml --write' run at once: the journal keeps
# twenty entries with twenty ids, and undoing each restores its file.
# The entries this test made are removed at exit (lib.sh, for every test).
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_cmd jq cmp
require_kvmtune
KT=$(kvmtune_path)
JOURNAL=$KVMTUNE_JOURNAL
[[ -w "$HP2M/nr_hugepages" ]] || skip_all "no writable $HP2M/nr_hugepages"

work=$(mktemp -d "${TMPDIR:-/tmp}/undo-live.XXXXXX")
at_exit "rm -rf '$work'"
export ASAN_OPTIONS=detect_leaks=0

# shellcheck disable=SC2317 # called through check
quiet() { "$@" >/dev/null 2>&1; }
show() { sed 's/^/# /' "$1"; }

# lock files kvmtune creates under /run/kvmtune/lock: the ones that were not there go too
ls /run/kvmtune/lock 2>/dev/null >"$work/locks-before" || true
had_run=0
[[ -d /run/kvmtune ]] && had_run=1
# shellcheck disable=SC2317 # called from the exit trap
cleanup_locks() {
    local f
    for f in /run/kvmtune/lock/*; do
        [[ -e $f ]] || continue
        grep -qx "${f##*/}" "$work/locks-before" || rm -f -- "$f"
    done
    if ((!had_run)); then
        rmdir /run/kvmtune/lock /run/kvmtune 2>/dev/null || true
    fi
}
at_exit cleanup_locks

# ---- hugepages set, then undo ------------------------------------------------
before=$(<"$HP2M/nr_hugepages")
nodes_before=$(cat /sys/devices/system/node/node*/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null | tr '\n' ' ')
# should the test stop half-way, give back what it added (a delta, as lib.sh does)
at_exit '_cur=$(<"$HP2M/nr_hugepages"); ((_cur <= before + 16 && _cur > before)) && echo $before >"$HP2M/nr_hugepages" || true'
"$KT" hugepages set "2M=$((before + 16))" --json >"$work/set.json" 2>"$work/set.err" || true
got=$(<"$HP2M/nr_hugepages")
id=$(jq -r '.journal_id // empty' "$work/set.json")
if ((got != before + 16)); then
    skip_all "the host's 2 MiB pool grew only from $before to $got pages, 16 more were needed"
fi
check "hugepages set 2M=$((before + 16)): pool $before -> $got, journal entry ${id:-none}" test -n "$id"
check "the entry records the pool: $before -> $got" quiet jq -e --arg p "$HP2M/nr_hugepages" \
    --arg o "$before" --arg n "$got" '.changes == [{kind: "pool", path: $p, old: $o, new: $n}]' \
    "$JOURNAL/$(printf '%06d' "$id").json"
rc=0
"$KT" undo "$id" >"$work/undo.out" 2>&1 || rc=$?
show "$work/undo.out"
after=$(<"$HP2M/nr_hugepages")
check "undo $id exits 0" test "$rc" -eq 0
check "the pool is back at $before pages (reads $after)" test "$after" = "$before"
nodes_after=$(cat /sys/devices/system/node/node*/hugepages/hugepages-2048kB/nr_hugepages 2>/dev/null | tr '\n' ' ')
check "the per-node pools are as before ($nodes_before)" test "$nodes_after" = "$nodes_before"
rc=0
"$KT" undo "$id" >/dev/null 2>&1 || rc=$?
check "undo $id again is refused: already undone (exit 2)" test "$rc" -eq 2

# ---- xml --write, then undo --------------------------------------------------
domain=$TESTS_DIR/golden/xml-write-domain/root/vm.xml
cp -- "$domain" "$work/vm.xml"
cp -- "$domain" "$work/vm.orig"
"$KT" xml --domain "$work/vm.xml" --write --mem 2G --page 2M --locked >"$work/xml.out" 2>&1 || true
id=$(grep -o "kvmtune undo [0-9]*" "$work/xml.out" | awk '{ print $3 }')
check "xml --write changed the file (journal entry ${id:-none})" sh -c "! cmp -s '$work/vm.xml' '$work/vm.orig' && test -e '$work/vm.xml.bak' && test -n '$id'"
rc=0
"$KT" undo "$id" >"$work/undo2.out" 2>&1 || rc=$?
show "$work/undo2.out"
check "undo $id exits 0" test "$rc" -eq 0
check "the domain file is back byte for byte" cmp -s "$work/vm.xml" "$work/vm.orig"
check "the .bak xml --write created is gone" test ! -e "$work/vm.xml.bak"
# someone edits the file after kvmtune: undo refuses
"$KT" xml --domain "$work/vm.xml" --write --mem 4G >"$work/xml2.out" 2>&1 || true
id=$(grep -o "kvmtune undo [0-9]*" "$work/xml2.out" | awk '{ print $3 }')
echo "<!-- edited by hand -->" >>"$work/vm.xml"
rc=0
"$KT" undo "$id" >/dev/null 2>&1 || rc=$?
check "undo refuses (exit 2) when the file changed since xml --write" test "$rc" -eq 2
check "and leaves the file as it found it" grep -q "edited by hand" "$work/vm.xml"

# ---- twenty writers at once --------------------------------------------------
pids=()
for i in $(seq 1 20); do
    cp -- "$domain" "$work/par$i.xml"
    "$KT" xml --domain "$work/par$i.xml" --write --mem "$((i + 1))G" >"$work/par$i.out" 2>&1 &
    pids+=($!)
done
fails=0
for p in "${pids[@]}"; do
    wait "$p" || fails=$((fails + 1))
done
check "20 parallel xml --write all exit 0" test "$fails" -eq 0
ids=$(cat "$work"/par*.out | grep -o "kvmtune undo [0-9]*" | awk '{ print $3 }' | sort -n | uniq)
check "20 distinct journal ids" test "$(echo "$ids" | grep -c .)" -eq 20
missing=0
for i in $(seq 1 20); do
    id=$(grep -o "kvmtune undo [0-9]*" "$work/par$i.out" | awk '{ print $3 }')
    f=$JOURNAL/$(printf '%06d' "${id:-0}").json
    jq -e --arg p "$work/par$i.xml" '.changes[0].path == $p' "$f" >/dev/null 2>&1 || missing=$((missing + 1))
done
check "each of the 20 entries names its own file (missing: $missing)" test "$missing" -eq 0
restored=0
for i in $(seq 1 20); do
    id=$(grep -o "kvmtune undo [0-9]*" "$work/par$i.out" | awk '{ print $3 }')
    "$KT" undo "$id" >/dev/null 2>&1 && cmp -s "$work/par$i.xml" "$domain" && restored=$((restored + 1))
done
check "undoing each restores its file ($restored of 20)" test "$restored" -eq 20
finish
