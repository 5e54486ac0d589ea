#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kvmtune daemon acting in a 2-node TCG guest (tests/vm/guest-run, full cgroup
# v2), on real processes (memhold) whose memory was faulted interleaved over
# both nodes with the default policy left on their mappings:
#   - a free one in the root cgroup (12 MiB) is moved with
#     sched_setaffinity: its threads confined to one node and >= 95 % of its
#     memory there;
#   - one pinned by taskset to CPU 0 (of node 0's 0-1) is left alone;
#   - a hugetlb one (16 MiB of 2 MiB pages) is moved too: the target node's
#     pool grown first, the source's shrunk after; hugepages moved > 0;
#   - one in a libvirt-style machine scope (12 MiB, a busy thread)
#     (machine.slice/machine-qemu\x2d1\x2dtest.scope, cpuset enabled) is moved
#     through the scope's cpuset: cpuset.cpus = one node's CPUs, every thread
#     confined by it, cpuset.mems narrowed to that node once its pages moved;
#   - one in a scope whose cpuset the owner narrowed to CPU 0 is left alone.
# Then SIGTERM: exit 0.  Deterministic under load: the guest waits for the
# conditions themselves (the moved processes >= 95 % local in numa_maps, the
# scope's mems narrowed, then the daemon's status: nothing moving, the moved
# ones settled or cooling down, the pinned ones pinned) with a generous
# deadline, no fixed sleeps.
# shellcheck disable=SC2016 # the in-guest script is single-quoted on purpose
set -euo pipefail
. "$(dirname "$0")/lib.sh"
GUEST_RUN=$VM_DIR/guest-run
KT=$(kvmtune_path)
MEMHOLD=${KVMTUNE_MEMHOLD:-$(dirname "$KT")/tests/memhold}
[ -x "$GUEST_RUN" ] || skip_all "tests/vm/guest-run is not in this tree"
require_cmd qemu-system-x86_64 jq taskset
require_kvmtune
[ -x "$MEMHOLD" ] || skip_all "memhold helper not built ($MEMHOLD)"
MEMHOLD=$(realpath "$MEMHOLD")

work=$(mktemp -d /tmp/kvmtune-daemon-guest.XXXXXX)
at_exit "rm -rf '$work'"

cat >"$work/in-guest.sh" <<'EOS'
#!/bin/sh
kt=$1 mh=$2 ts=$3
# wait for a memhold's "ready" line (up to 300 s: TCG under load is slow)
ready() { i=0; while ! grep -q ready "$1" 2>/dev/null; do i=$((i + 1)); [ $i -gt 3000 ] && return 1; sleep 0.1; done; }
h=/sys/devices/system/node
cg=/sys/fs/cgroup
scope='machine-qemu\x2d1\x2dtest.scope'
pinned='machine-qemu\x2d2\x2dpinned.scope'
for n in 0 1; do echo 40 >$h/node$n/hugepages/hugepages-2048kB/nr_hugepages; done
echo +cpuset >$cg/cgroup.subtree_control
mkdir -p "$cg/machine.slice/$scope" "$cg/machine.slice/$pinned"
echo +cpuset >$cg/machine.slice/cgroup.subtree_control
echo 0 >"$cg/machine.slice/$pinned/cpuset.cpus"
t0=$(date +%s)
# idle but for the scoped one's busy thread: under TCG a page moved from a
# process running on another vCPU costs a cross-vCPU TLB flush
"$mh" --spread --anon 12 >/free &
"$ts" -c 0 "$mh" --spread --anon 12 >/pinned &
"$mh" --spread --hugetlb-anon 16 >/huge &
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --spread --anon 12 --busy 1 --stall-log /cg.stall' sh "$cg/machine.slice/$scope" "$mh" >/cg &
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --spread --anon 12' sh "$cg/machine.slice/$pinned" "$mh" >/cgpin &
for x in /free /pinned /huge /cg /cgpin; do ready $x || { echo "memhold $x did not get ready" >&2; exit 1; }; done
echo "memholds ready after $(($(date +%s) - t0)) s" >&2
f=$(awk '{print $2}' /free); p=$(awk '{print $2}' /pinned); g=$(awk '{print $2}' /huge)
c=$(awk '{print $2}' /cg); q=$(awk '{print $2}' /cgpin)
mkdir -p /etc/kvmtune
printf 'interval_ms = 2000\nscope = all\nmin_mem = 8M\nkeep_free = 32M\nrate_mib_s = 256\nmax_pause_ms = 20\ncooldown_s = 600\n' >/etc/kvmtune/daemon.conf
"$kt" daemon --foreground 2>/daemon.log &
d=$!
# the daemon's own CPUs, sampled while it runs: the target's CPUs while it moves, all after
(last=; while kill -0 $d 2>/dev/null; do
    while read -r k v; do [ "$k" = Cpus_allowed_list: ] && c=$v; done </proc/$d/status
    [ "$c" = "$last" ] || echo "$c" >>/daemon-cpus # each change, written at once
    last=$c
    sleep 0.05
done 2>/dev/null) &
# the daemon's own view: pid's state in /status.json
state() {
    awk -v p="$1" '/"pid": *[0-9]/ {s = $0; sub(/.*"pid": */, "", s); sub(/[^0-9].*/, "", s); cur = s}
        /"state":/ && cur == p {s = $0; sub(/.*"state": *"/, "", s); sub(/".*/, "", s); print s; exit}' /status.json
}
# pid's share (percent) of anonymous and hugetlb memory on its larger node, from numa_maps
share() {
    awk '!/file=/ { ps = 4; for (i = 1; i <= NF; i++) if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); ps = a[2] }
        for (i = 1; i <= NF; i++) { if ($i ~ /^N0=/) { split($i, a, "="); n0 += a[2] * ps } if ($i ~ /^N1=/) { split($i, a, "="); n1 += a[2] * ps } } }
        END { t = n0 + n1; print t ? int((n0 > n1 ? n0 : n1) * 100 / t) : 0 }' /proc/$1/numa_maps
}
# what the daemon should reach: moved processes local, the scope's mems narrowed
reached() {
    for x in $f $g $c; do [ "$(share $x)" -ge 95 ] || return 1; done
    [ -n "$(cat "$cg/machine.slice/$scope/cpuset.mems")" ]
}
last=0
i=0 done=no t0=$(date +%s)
while [ $(($(date +%s) - t0)) -lt 480 ]; do # a generous deadline; ~1 min on an idle machine
    i=$((i + 1)); sleep 1
    kill -0 $d 2>/dev/null || break
    if [ $(($(date +%s) - last)) -ge 30 ]; then
        last=$(date +%s)
        echo "$((last - t0)) s: local % free $(share $f), huge $(share $g), scope $(share $c); $(grep -v '^<7>' /daemon.log | tail -1)" >&2
    fi
    reached || continue
    "$kt" daemon --status --json >/status.json 2>/dev/null || continue
    grep -q '"moving"' /status.json && continue
    # moved: settled, or cooling down (locality counts file pages too, which it cannot move)
    for x in $f $g $c; do case $(state $x) in settled | cooling) ;; *) continue 2 ;; esac; done
    [ "$(state $p)" = pinned ] && [ "$(state $q)" = pinned ] && { done=yes; break; }
done
echo "@@ waited $(($(date +%s) - t0)) s, settled: $done"
[ $done = yes ] || "$kt" daemon --status --json >/status.json 2>/dev/null || true
echo "@@ status"
cat /status.json
echo "@@ maps"
for x in $f $p $g $c $q; do echo "@pid $x"; cat /proc/$x/numa_maps; echo "@allowed $(grep Cpus_allowed_list /proc/$x/status)"; done
echo "@@ cgroup"
for k in cpus mems; do
    echo "scope.$k $(cat "$cg/machine.slice/$scope/cpuset.$k")"
    echo "pinned.$k $(cat "$cg/machine.slice/$pinned/cpuset.$k")"
done
for t in /proc/$c/task/*; do echo "thread ${t##*/} $(awk '/Cpus_allowed_list/ {print $2}' $t/status)"; done
echo "@@ pools"
for n in 0 1; do echo "node$n $(cat $h/node$n/hugepages/hugepages-2048kB/nr_hugepages) $(cat $h/node$n/hugepages/hugepages-2048kB/free_hugepages)"; done
echo "@@ stall"
cat /cg.stall
echo "@@ daemon-cpus"
cat /daemon-cpus
echo "@@ daemon-cpus-after $(awk '/Cpus_allowed_list/ {print $2}' /proc/$d/status)"
kill -TERM $d; wait $d; echo "@@ daemon-exit $?"
echo "@@ log"
cat /daemon.log
echo "@@ pids $f $p $g $c $q"
kill $f $p $g $c $q
EOS
chmod +x "$work/in-guest.sh"

rc=0
"$GUEST_RUN" --nodes 2 --cpus 4 --mem 2048 --timeout 780 --add "$(command -v taskset)" \
    --add "$KT" --add "$MEMHOLD" --add "$work/in-guest.sh:/daemon-in-guest.sh" \
    -- /daemon-in-guest.sh "$KT" "$MEMHOLD" "$(command -v taskset)" >"$work/out" 2>"$work/err" || rc=$?
if [ "$rc" -ne 0 ]; then
    [ "$rc" = 125 ] && skip_all "guest-run could not boot a guest: $(tail -3 "$work/err")"
    sed 's/^/# /' "$work/err"
    not_ok "in-guest script failed ($rc)"
    finish
fi
section() { awk -v s="@@ $1" '$0 == s {on = 1; next} /^@@ / {on = 0} on' "$work/out"; }
section log | sed 's/^/# /'
section status >"$work/status.json"
diag "$(grep '^@@ waited' "$work/out")"
read -r _ _ fpid ppid gpid cpid qpid < <(grep '^@@ pids' "$work/out")
# per process: KiB on each node from numa_maps (each line at its own page size), skipping files
node_kib() { # pid node
    section maps | awk -v p="@pid $1" -v n="N$2=" '
        $0 == p {on = 1; next} /^@pid / {on = 0}
        on && !/file=/ { ps = 4; for (i = 1; i <= NF; i++) if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); ps = a[2] }
            for (i = 1; i <= NF; i++) if (index($i, n) == 1) { split($i, a, "="); s += a[2] * ps } }
        END { print s + 0 }'
}
allowed() { section maps | awk -v p="@pid $1" '$0 == p {on = 1; next} /^@pid / {on = 0} on && /^@allowed/ {print $3}'; }
share() { # pid [node]: the share in percent on node (default: the larger one)
    local a b; a=$(node_kib "$1" 0); b=$(node_kib "$1" 1)
    case ${2:-} in
    0) echo $((a * 100 / (a + b > 0 ? a + b : 1))) ;;
    1) echo $((b * 100 / (a + b > 0 ? a + b : 1))) ;;
    *) echo $(((a > b ? a : b) * 100 / (a + b > 0 ? a + b : 1))) ;;
    esac
}
state() { jq -r --argjson p "$1" '.vms[] | select(.pid == $p) | .state' "$work/status.json"; }
cgv() { section cgroup | awk -v k="$1" '$1 == k {print $2}'; }

check "the daemon settled every process before the deadline ($(grep '^@@ waited' "$work/out"))" \
    grep -q 'settled: yes' "$work/out"
fs=$(share "$fpid"); fa=$(allowed "$fpid")
diag "free: $(node_kib "$fpid" 0) / $(node_kib "$fpid" 1) KiB on nodes 0/1, allowed CPUs $fa"
check "free process moved: $fs % on one node (>= 95)" [ "$fs" -ge 95 ]
check "free process confined to one node's CPUs ($fa)" grep -qxE '0-1|2-3' <<<"$fa"
ps=$(share "$ppid"); pa=$(allowed "$ppid")
diag "pinned: $(node_kib "$ppid" 0) / $(node_kib "$ppid" 1) KiB, allowed $pa"
check "pinned process left alone: CPUs still 0 ($pa)" [ "$pa" = 0 ]
check "pinned process left alone: memory still spread ($ps % on its larger node)" [ "$ps" -lt 80 ]
check "status says it is pinned ($(state "$ppid"))" [ "$(state "$ppid")" = pinned ]
gs=$(share "$gpid")
diag "hugetlb: $(node_kib "$gpid" 0) / $(node_kib "$gpid" 1) KiB; pools (nr free): $(section pools | tr '\n' ' ')"
check "hugetlb process moved: $gs % on one node (>= 95)" [ "$gs" -ge 95 ]
check "hugepages moved > 0" jq -e '.hugepages_moved > 0' "$work/status.json"
# moves chain: each move's end decides the next at once, not at the next 2 s tick
check "a tick ran at once after each move ($(jq -c '[.moves, .ticks_after_move]' "$work/status.json"))" \
    jq -e '.moves >= 3 and .ticks_after_move >= .moves' "$work/status.json"
check "the pools grew on the target and shrank on the source (80 pages in all, as before)" \
    [ "$(section pools | awk '{s += $2} END {print s}')" -le 80 ]
# the machine scope: placed through its cgroup cpuset
sc=$(cgv scope.cpus); sm=$(cgv scope.mems)
case $sc in 0-1) node=0 ;; 2-3) node=1 ;; *) node=x ;; esac
diag "scope: cpuset.cpus '$sc' cpuset.mems '$sm'; $(node_kib "$cpid" 0) / $(node_kib "$cpid" 1) KiB on nodes 0/1"
check "scope's cpuset.cpus written: one node's CPUs ('$sc')" [ "$node" != x ]
check "scope's cpuset.mems narrowed to that node ('$sm')" [ "$sm" = "$node" ]
bad=$(section cgroup | awk -v c="$sc" '$1 == "thread" && $3 != c' | wc -l)
check "every thread of the scoped process confined by the scope ($(section cgroup | grep -c '^thread') threads, $bad not)" [ "$bad" -eq 0 ]
cs=$(share "$cpid" "$node")
check "scoped process's memory on node $node: $cs % (>= 95)" [ "$cs" -ge 95 ]
check "the daemon logged the cgroup placement" grep -q 'cpuset writes' <<<"$(section log)"
# its CPU use, rated from /proc/PID/stat, weighs in the choice of node: the busy one near 1 CPU
use=$(section log | sed -n "s/.*moving pid $cpid .*it uses \([0-9.]*\) CPUs.*/\1/p" | head -1)
diag "the busy scoped process uses ${use:-?} CPUs (daemon's reading)"
check "the daemon rated the busy process's CPU use ($use, 0.3-1.5)" \
    awk -v u="${use:-x}" 'BEGIN { exit !(u ~ /^[0-9.]+$/ && u >= 0.3 && u <= 1.5) }'
qa=$(allowed "$qpid")
check "scope pinned by its owner left alone: cpuset.cpus still 0 ('$(cgv pinned.cpus)')" \
    [ "$(cgv pinned.cpus)" = 0 ]
check "its process's CPUs still 0 ($qa)" [ "$qa" = 0 ]
check "status says the pinned scope is pinned ($(state "$qpid"))" [ "$(state "$qpid")" = pinned ]
stall=$(section stall | awk '{print $2}')
diag "longest stall of the scoped process's busy thread while it moved: ${stall:-?} us (TCG guest)"
# --status: how each one's CPUs were placed
placed() { jq -r --argjson p "$1" '.vms[] | select(.pid == $p) | .placed | if . == null then "-" else .method + (if .cgroup then " v\(.cgroup_version) " + .cgroup else "" end) end' "$work/status.json"; }
check "status: the free process placed by sched_setaffinity ($(placed "$fpid"))" [ "$(placed "$fpid")" = affinity ]
check "status: the scoped process placed by its scope's v2 cpuset ($(placed "$cpid"))" \
    [ "$(placed "$cpid")" = 'cgroup v2 /sys/fs/cgroup/machine.slice/machine-qemu\x2d1\x2dtest.scope' ]
check "status: the pinned ones placed by nobody ($(placed "$ppid"), $(placed "$qpid"))" \
    [ "$(placed "$ppid")$(placed "$qpid")" = -- ]
# the daemon moved beside the target (its own CPUs one node's while a move ran) and came back
dc=$(section daemon-cpus | tr '\n' ' ')
dca=$(awk '$1 == "@@" && $2 == "daemon-cpus-after" {print $3}' "$work/out")
diag "the daemon's own CPUs over the run (changes sampled every 50 ms): $dc; after: $dca"
check "the daemon ran moves on the target node's CPUs ($dc)" grep -qxE '0-1|2-3' < <(section daemon-cpus)
check "the daemon's own CPUs were only all or one node's ($dc)" \
    [ -z "$(section daemon-cpus | grep -vxE '0-3|0-1|2-3')" ]
check "the daemon's own CPUs restored after the moves ($dca)" [ "$dca" = 0-3 ]
check "SIGTERM: the daemon exits 0" grep -qx '@@ daemon-exit 0' "$work/out"
finish
