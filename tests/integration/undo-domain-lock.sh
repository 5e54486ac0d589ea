#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# undo takes the domain file's lock as its writers do: while another writer
# holds the lock on the directory of a domain that 'xml --write' changed,
# 'kvmtune undo' waits (the file keeps the written text), and once the lock is
# let go it puts the original back.  Without the lock, undo could replace a
# file between another writer's read and its replace.  Works on a copy of a
# golden tree (--root); changes nothing on the host.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

require_kvmtune
require_cmd flock
KVMTUNE=$(kvmtune_path)
SRC=$TESTS_DIR/golden/xml-write-numbered-backup/root
[[ -f $SRC/vm.xml ]] || skip_all "no golden tree at $SRC"
tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"
cp -r "$SRC" "$tmp/root"
rm -f "$tmp/root"/vm.xml.bak*
dom=$tmp/root/vm.xml

"$KVMTUNE" --root "$tmp/root" xml --domain "$dom" --write --mem 3G --page 2M >/dev/null
written=$(<"$dom")
check "xml --write changed the domain" test "$written" != "$(<"$SRC/vm.xml")"

# another writer holds the directory's lock
# (one process: the shell takes the lock on fd 9 and becomes the sleep)
(
	exec 9<"$tmp/root"
	flock 9
	exec sleep 60
) &
holder=$!
at_exit "kill $holder 2>/dev/null || true"
for _ in $(seq 50); do
	flock -n "$tmp/root" true || break
	sleep 0.1
done
"$KVMTUNE" --root "$tmp/root" undo >"$tmp/undo.out" 2>"$tmp/undo.err" &
undo=$!
sleep 2
check "undo waits while the directory is locked" kill -0 "$undo"
check "the domain still has the written text" test "$(<"$dom")" = "$written"
kill "$holder"
wait "$holder" 2>/dev/null || true
rc=0
wait "$undo" || rc=$?
diag "undo: $(cat "$tmp/undo.out" "$tmp/undo.err")"
check "undo succeeds once the lock is free (exit $rc)" test "$rc" -eq 0
check "the original domain is back" cmp -s "$SRC/vm.xml" "$dom"
finish
