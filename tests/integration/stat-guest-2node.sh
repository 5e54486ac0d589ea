#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 'kvmtune stat --json' inside a 2-node TCG guest (tests/vm/guest-run): a
# process bound to node 1 (memory and CPUs) has its memory on node 1 and a
# locality of about 100 %; a process interleaved over both nodes has about
# half of it on each.  "About": the shared-library pages it maps come from
# the guest's page cache, filled by whoever read them first, so a few
# hundred KiB of a 64 MiB process may sit on the other node.  (The guest
# mounts a tmpfs on /tmp, so the in-guest script goes to /.)
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
set -euo pipefail
KVMTUNE=${KVMTUNE:-build/kvmtune}
SRC=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MEMHOLD=${KVMTUNE_MEMHOLD:-$(dirname "$KVMTUNE")/tests/memhold}
GUEST_RUN=${GUEST_RUN:-$SRC/tests/vm/guest-run}

skip() { echo "# SKIP: $*"; exit 77; }
[ -x "$GUEST_RUN" ] || skip "tests/vm/guest-run (testbed helpers) is not in this tree"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v numactl >/dev/null || skip "numactl is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$MEMHOLD" ] || skip "memhold helper not built ($MEMHOLD)"
KVMTUNE=$(realpath "$KVMTUNE")
MEMHOLD=$(realpath "$MEMHOLD")

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }

work=$(mktemp -d /tmp/kvmtune-stat-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/in-guest.sh" <<'EOF'
#!/bin/sh
kt=$1 mh=$2 na=$3
ready() { i=0; while ! grep -q ready "$1" 2>/dev/null; do i=$((i + 1)); [ $i -gt 300 ] && return 1; sleep 0.1; done; }
"$na" --membind=1 --cpunodebind=1 "$mh" --anon 64 >/tmp/bound &
"$na" --interleave=0,1 "$mh" --anon 64 >/tmp/inter &
ready /tmp/bound && ready /tmp/inter || { echo "memhold did not get ready" >&2; exit 1; }
# memhold prints "ready PID" (its own PID, whatever wrapper started it)
b=$(awk '{print $2}' /tmp/bound)
i=$(awk '{print $2}' /tmp/inter)
echo '@@ bound'
"$kt" stat --json "$b"
echo '@@ interleaved'
"$kt" stat --json "$i"
echo '@@ numa_maps-bound'
cat /proc/$b/numa_maps
[ -n "$b" ] && [ -n "$i" ] && kill "$b" "$i"
EOF
chmod +x "$work/in-guest.sh"

rc=0
"$GUEST_RUN" --nodes 2 --cpus 2 --timeout 300 --add "$(command -v numactl)" \
    --add "$KVMTUNE" --add "$MEMHOLD" --add "$work/in-guest.sh:/kvmtune-stat-in-guest.sh" \
    -- /kvmtune-stat-in-guest.sh "$KVMTUNE" "$MEMHOLD" "$(command -v numactl)" >"$work/out" 2>"$work/err" || rc=$?
if [ "$rc" -ne 0 ]; then
    [ "$rc" = 125 ] && skip "guest-run could not boot a guest: $(tail -3 "$work/err")"
    notok "in-guest script failed ($rc): $(cat "$work/err")"
    echo "1..$n"
    exit 1
fi
section() { awk -v s="@@ $1" '$0 == s {on = 1; next} /^@@ / {on = 0} on' "$work/out"; }
section bound >"$work/bound.json"
section interleaved >"$work/inter.json"

jqv() { jq -r "$1" "$2"; }
check() { # what jq-filter file (the filter must yield true)
    if [ "$(jq -r "$2" "$3")" = true ]; then ok "$1"; else
        notok "$1: $(jq -c '.processes[0] | {nodes, run_nodes, locality}' "$3")"
    fi
}
total=$(jqv '.processes[0].total_kib' "$work/bound.json")
on1=$(jqv '.processes[0].nodes[] | select(.node == 1) | .total_kib' "$work/bound.json")
echo "# bound: $on1 of $total KiB on node 1, locality $(jqv '.processes[0].locality' "$work/bound.json")"
check "bound process: its 64 MiB of private memory are on node 1" \
    '.processes[0].nodes[] | select(.node == 1) | .private_kib >= 65536' "$work/bound.json"
# The binary and its libraries are file pages of the initramfs, which the
# kernel unpacked on node 0 before any binding: a few MiB (more for a
# sanitizer build) stay there whatever the policy, so not 100 %.
check "bound process: >= 90 % of its memory on node 1" \
    '.processes[0] | (.nodes[] | select(.node == 1) | .total_kib) >= 0.90 * .total_kib' "$work/bound.json"
check "bound process: its thread ran on node 1 only" \
    '.processes[0].run_nodes == [1]' "$work/bound.json"
check "bound process: locality is node 1's share of its memory" \
    '.processes[0] | ((.nodes[] | select(.node == 1) | .total_kib) / .total_kib - .locality) | fabs < 0.001' \
    "$work/bound.json"
echo "# interleaved: $(jq -c '[.processes[0].nodes[] | {node, total_kib}]' "$work/inter.json")"
check "interleaved process: each node holds 40-60 % of its memory" \
    '.processes[0] | .total_kib as $t | all(.nodes[]; .total_kib >= 0.4 * $t and .total_kib <= 0.6 * $t)' \
    "$work/inter.json"
echo "1..$n"
exit $fail
