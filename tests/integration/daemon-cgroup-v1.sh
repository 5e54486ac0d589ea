#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's cgroup cpuset placement (daemon/cgplace.c, through the
# cgplace-apply helper) on the host's cgroup v1 cpuset hierarchy, in a cgroup
# this test creates and removes: kvmtune-test-PID.scope with an emulator
# child holding a busy memhold.  Shows the order of writes the v1 kernel
# accepts (widen parents first, narrow children first), the threads confined
# by the cgroup, the memory nodes narrowed by --finish, and a write made to
# fail mid-way: every earlier write undone, the kernel's values as before.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KT=$(kvmtune_path)
MEMHOLD=${KVMTUNE_MEMHOLD:-$(dirname "$KT")/tests/memhold}
APPLY=${KVMTUNE_CGPLACE_APPLY:-$(dirname "$KT")/tests/cgplace-apply}
require_root
[ -x "$MEMHOLD" ] || skip_all "memhold helper not built ($MEMHOLD)"
[ -x "$APPLY" ] || skip_all "cgplace-apply helper not built ($APPLY)"
v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuset(,|$)/ {print $2; exit}' /proc/mounts)
[ -n "$v1" ] || skip_all "no cgroup v1 cpuset hierarchy mounted"
all=$(cat "$v1/cpuset.effective_cpus" 2>/dev/null || cat "$v1/cpuset.cpus")
mems=$(cat "$v1/cpuset.effective_mems" 2>/dev/null || cat "$v1/cpuset.mems")
last=${all##*[-,]}
first=${all%%[-,]*}
[ "$first" != "$last" ] || skip_all "one CPU only ($all): nothing to move between"
node=${mems%%[-,]*}

scope=$v1/kvmtune-test-$$.scope
cleanup() {
    [ -n "${mh:-}" ] && kill "$mh" 2>/dev/null && wait "$mh" 2>/dev/null
    rmdir "$scope/emulator" "$scope" 2>/dev/null || true
}
at_exit cleanup
mkdir "$scope"
echo "$all" >"$scope/cpuset.cpus"
echo "$mems" >"$scope/cpuset.mems"
mkdir "$scope/emulator"
echo "$all" >"$scope/emulator/cpuset.cpus"
echo "$mems" >"$scope/emulator/cpuset.mems"
out=$(mktemp /tmp/kvmtune-cgv1.XXXXXX)
at_exit "rm -f '$out' '$out.mh'"
"$MEMHOLD" --anon 8 --busy 1 >"$out.mh" &
mh=$!
for _ in $(seq 600); do grep -q ready "$out.mh" && break; sleep 0.1; done
echo "$mh" >"$scope/emulator/cgroup.procs"
threads_on() { # CPUS: every thread of memhold allowed exactly CPUS
    local t
    for t in /proc/"$mh"/task/*; do
        [ "$(awk '/Cpus_allowed_list/ {print $2}' "$t/status")" = "$1" ] || return 1
    done
}
values() { echo "$(cat "$scope/cpuset.cpus") $(cat "$scope/emulator/cpuset.cpus") $(cat "$scope/cpuset.mems") $(cat "$scope/emulator/cpuset.mems")"; }

# to the last CPU: children narrowed before the parent (else v1 says EBUSY)
rc=0
"$APPLY" "$mh" "$last" "$node" --finish >"$out" 2>&1 || rc=$?
sed 's/^/# /' "$out"
check "placed on CPU $last through the cgroup (exit $rc)" [ "$rc" -eq 0 ]
check "the unit is the scope, v1" grep -q "^unit $scope (v1, 2 groups)" "$out"
check "cpuset.cpus of scope and emulator: $(values)" [ "$(values)" = "$last $last $node $node" ]
check "every thread of the process confined to CPU $last" threads_on "$last"
check "the child was written before its parent" \
    [ "$(grep -n "emulator/cpuset.cpus" "$out" | head -1 | cut -d: -f1)" -lt \
        "$(grep -n "scope/cpuset.cpus" "$out" | head -1 | cut -d: -f1)" ]
# to the first CPU (disjoint): widened parent first, then narrowed children first
rc=0
"$APPLY" "$mh" "$first" "$node" >"$out" 2>&1 || rc=$?
sed 's/^/# /' "$out"
check "moved to CPU $first, disjoint from the old (exit $rc)" [ "$rc" -eq 0 ]
check "four writes: widen scope, widen emulator, narrow emulator, narrow scope" \
    [ "$(grep -c '^write' "$out")" -eq 4 ]
check "threads confined to CPU $first" threads_on "$first"
# the third write fails: the two before it are undone, the kernel's values as they were
before=$(values)
rc=0
"$APPLY" "$mh" "$last" "$node" --fail-at 3 >"$out" 2>&1 || rc=$?
sed 's/^/# /' "$out"
check "a write failing mid-way fails the placement (exit $rc)" [ "$rc" -eq 1 ]
check "every write undone: '$(values)' = '$before'" [ "$(values)" = "$before" ]
check "threads still on CPU $first" threads_on "$first"
check "the error names the file" grep -q "cpuset" <(grep '^cgplace-apply:' "$out")
# a process in the root cpuset: no cgroup of its own (the daemon falls back)
rc=0
"$APPLY" 1 "$all" "$node" >"$out" 2>&1 || rc=$?
check "pid 1 in the root cpuset: no cgroup of its own (exit $rc = 3)" [ "$rc" -eq 3 ]
finish
