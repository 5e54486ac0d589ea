#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Live test of 'kvmtune hugepages reserve/release' with two owners on this host's
# 2 MiB pool: each reserve grows the pool by exactly its pages, a repeated reserve
# changes nothing, release gives back exactly the owner's pages and keeps the other
# owner's.  Relative to the pool it finds; restores pools and records on exit.
# Exit 0 pass, 1 fail, 77 skip (the missing capability is printed).
set -euo pipefail

KVMTUNE=${KVMTUNE:-build/kvmtune}
NODE0=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
RUNDIR=/run/kvmtune
A=kvmtune-test-$$-a
B=kvmtune-test-$$-b
n=0
failed=0

skip_all() {
	echo "1..0 # SKIP $1"
	echo "hugepages-reserve-live: skipped: $1" >&2
	exit 77
}
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

[[ $EUID -eq 0 ]] || skip_all "needs root to resize hugepage pools (uid is $EUID)"
[[ -x $KVMTUNE ]] || skip_all "kvmtune binary not found at $KVMTUNE (set KVMTUNE)"
[[ -w $NODE0 ]] || skip_all "no writable per-node 2 MiB pool ($NODE0)"
command -v python3 >/dev/null || skip_all "python3 missing (used to read --json output)"

orig_node0=$(cat "$NODE0")
had_rundir=0
[[ -d $RUNDIR ]] && had_rundir=1
tmp=$(mktemp -d)
# reserve and release record in the undo journal: the entries this test made go at exit
# (as lib.sh does for the tests that use it), and the directories when it created them
JOURNAL=/var/lib/kvmtune/journal
had_journal=0
had_journal_parent=0
[[ -d $JOURNAL ]] && had_journal=1
[[ -d ${JOURNAL%/*} ]] && had_journal_parent=1
journal_before=$(ls -A "$JOURNAL" 2>/dev/null || true)
restore_journal() {
	local f
	for f in "$JOURNAL"/*; do
		[[ -e $f ]] || continue
		grep -qxF -- "${f##*/}" <<<"$journal_before" || rm -f -- "$f"
	done
	if [[ $had_journal -eq 0 ]]; then rmdir "$JOURNAL" 2>/dev/null || true; fi
	if [[ $had_journal_parent -eq 0 ]]; then rmdir "${JOURNAL%/*}" 2>/dev/null || true; fi
}
restore() {
	"$KVMTUNE" hugepages release --owner "$A" >/dev/null 2>&1 || true
	"$KVMTUNE" hugepages release --owner "$B" >/dev/null 2>&1 || true
	rm -f "$RUNDIR/hugepages/$A" "$RUNDIR/hugepages/$B"
	if [[ $had_rundir -eq 0 ]]; then
		rmdir "$RUNDIR/hugepages" "$RUNDIR" 2>/dev/null || true
	fi
	if [[ $(cat "$NODE0") != "$orig_node0" ]]; then echo "$orig_node0" >"$NODE0" || true; fi
	rm -rf "$tmp"
	restore_journal
}
trap restore EXIT

json() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# run NAME ARGS...: kvmtune --json ARGS into $tmp/NAME.json, exit code in $rc.
run() {
	local name=$1
	shift
	rc=0
	"$KVMTUNE" --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" || rc=$?
	[[ $rc -eq 0 ]] || sed 's/^/# /' "$tmp/$name.err"
}

base=$(cat "$NODE0")
run a1 hugepages reserve --size 64M --page 2M --node 0 --owner "$A"
check "reserve 64M for A: exit 0 (got $rc)" test "$rc" -eq 0
check "A: pool grew by exactly 32 pages" \
	test "$(json "$tmp/a1.json" 'j["changes"][0]["got"] - j["changes"][0]["before"]')" -eq 32
check "A: record lists 32 pages on node 0" \
	grep -qx "node 0 page_kb 2048 pages 32" "$RUNDIR/hugepages/$A"

run a2 hugepages reserve --size 64M --page 2M --node 0 --owner "$A"
check "reserve A again: exit 0 (got $rc)" test "$rc" -eq 0
# No plan entry means no write (the pool itself may move: another test may resize it).
check "reserve A again: nothing planned, nothing written" \
	test "$(json "$tmp/a2.json" 'len(j["changes"])')" -eq 0

run b1 hugepages reserve --size 32M --page 2M --node 0 --owner "$B"
check "reserve 32M for B: exit 0 (got $rc)" test "$rc" -eq 0
check "B: pool grew by exactly 16 pages" \
	test "$(json "$tmp/b1.json" 'j["changes"][0]["got"] - j["changes"][0]["before"]')" -eq 16

run c1 hugepages reserve --size 32M --page 2M --node 0 --owner "$A"
check "A asking a different amount: exit 2 (got $rc)" test "$rc" -eq 2
run c2 hugepages reserve --size 32M --page 2M --node 0 --owner "../x"
check "bad owner name: exit 2 (got $rc)" test "$rc" -eq 2

run r1 hugepages release --owner "$A"
check "release A: exit 0 (got $rc)" test "$rc" -eq 0
check "release A: pool shrank by exactly 32 pages" \
	test "$(json "$tmp/r1.json" 'j["changes"][0]["before"] - j["changes"][0]["got"]')" -eq 32
check "release A: A's record is gone" test ! -e "$RUNDIR/hugepages/$A"
check "release A: B's record stays" test -e "$RUNDIR/hugepages/$B"

run r2 hugepages release --owner "$B"
check "release B: exit 0 (got $rc)" test "$rc" -eq 0
check "release B: pool shrank by exactly 16 pages" \
	test "$(json "$tmp/r2.json" 'j["changes"][0]["before"] - j["changes"][0]["got"]')" -eq 16
run r3 hugepages release --owner "$B"
check "release B again: exit 0, nothing to do" test "$rc" -eq 0 -a \
	"$(json "$tmp/r3.json" 'len(j["changes"])')" -eq 0
if [[ $failed -gt 0 ]]; then
	for f in a1 b1 r1 r2; do
		echo "# $f: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["changes"])' "$tmp/$f.json")"
	done
fi
diag_now=$(cat "$NODE0")
[[ $diag_now -eq $base ]] || echo "# node 0 pool $base -> $diag_now (another test may have resized it)"

echo "1..$n"
echo "hugepages-reserve-live: $((n - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
