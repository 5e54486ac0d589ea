#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs inside a 2-node guest (see check-ksm-guest.sh): with KSM running and
# merge_across_nodes=1 'kvmtune check' reports ksm-merge-across-nodes; after
# the fix it prints, the finding is gone.  Arg 1: the kvmtune binary.
K=$1
KSM=/sys/kernel/mm/ksm
[ -w $KSM/run ] || { echo "SKIP: guest kernel without KSM"; exit 77; }
echo 1 >$KSM/merge_across_nodes
echo 1 >$KSM/run
$K check >/tmp/before.txt
echo "== before (exit $?)"
cat /tmp/before.txt
grep -q '\[ksm-merge-across-nodes\]' /tmp/before.txt || { echo "FAIL: finding missing"; exit 1; }
fix=$(grep -A4 '\[ksm-merge-across-nodes\]' /tmp/before.txt | sed -n 's/^    fix: //p')
echo "== applying: $fix"
sh -c "$fix" || { echo "FAIL: the fix did not run"; exit 1; }
$K check >/tmp/after.txt
echo "== after (exit $?), run=$(cat $KSM/run) merge_across_nodes=$(cat $KSM/merge_across_nodes)"
cat /tmp/after.txt
if grep -q '\[ksm-merge-across-nodes\]' /tmp/after.txt; then
	echo "FAIL: finding still there after the fix"
	exit 1
fi
echo "ok: ksm-merge-across-nodes appears with KSM across 2 nodes and goes after its fix"
