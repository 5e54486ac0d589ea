#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One writer at a time on a domain file: 'kvmtune xml --write' started at
# once (16) on the same vm.xml, each with its own --mem.  Every writer succeeds and
# each one's version survives - as the file or as a backup the next writer
# made of it.  Without the lock around read -> merge -> replace, two writers
# read the same text and one version is lost (the attack script found 6 of 8).
# Works on a copy of a golden tree; changes nothing on the host.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

require_kvmtune
KVMTUNE=$(kvmtune_path)
SRC=$TESTS_DIR/golden/xml-write-numbered-backup/root
[[ -f $SRC/vm.xml ]] || skip_all "no golden tree at $SRC"
N=16
tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"
cp -r "$SRC" "$tmp/root"
rm -f "$tmp/root"/vm.xml.bak*

pids=()
for i in $(seq 1 $N); do
	"$KVMTUNE" --root "$tmp/root" xml --domain "$tmp/root/vm.xml" --write \
		--mem "${i}G" --page 2M >"$tmp/out.$i" 2>"$tmp/err.$i" &
	pids+=($!)
done
fails=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || { fails=$((fails + 1)); diag "writer $((i + 1)): $(cat "$tmp/err.$((i + 1))")"; }
done
check "all $N writers succeed" test "$fails" -eq 0

# each writer's <memory> (KiB) in the file or in one of the backups
mems=$(cat "$tmp/root"/vm.xml "$tmp/root"/vm.xml.bak* |
	grep -oE "<memory unit=['\"]KiB['\"]>[0-9]+</memory>" | grep -oE '[0-9]+' | sort -u)
for i in $(seq 1 $N); do
	want=$((i * 1024 * 1024))
	check "version of writer $i (--mem ${i}G) kept" grep -qx "$want" <<<"$mems"
done
check "the original is the first backup" cmp -s "$SRC/vm.xml" "$tmp/root/vm.xml.bak"
left=$(find "$tmp/root" -name '*.kvmtune-*' | wc -l)
check "no temporary file left" test "$left" -eq 0
finish
