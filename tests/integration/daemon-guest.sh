#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kvmtune daemon acting in a 2-node TCG guest (tests/vm/guest-run), on real
# processes (memhold) whose memory was faulted interleaved over both nodes
# with the default policy left on their mappings:
#   - a free one (200 MiB, threads anywhere) is moved: its threads confined
#     to one node and >= 95 % of its memory there;
#   - one pinned by taskset to CPU 0 (of node 0's 0-1) is left alone: affinity and memory as
#     they were;
#   - a hugetlb one (64 MiB of 2 MiB pages) is moved too: the target node's
#     pool grown first, the source's shrunk after; hugepages moved > 0.
# Then SIGTERM: exit 0.
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
ready() { i=0; while ! grep -q ready "$1" 2>/dev/null; do i=$((i + 1)); [ $i -gt 600 ] && return 1; sleep 0.1; done; }
h=/sys/devices/system/node
for n in 0 1; do echo 40 >$h/node$n/hugepages/hugepages-2048kB/nr_hugepages; done
"$mh" --spread --anon 200 --busy 1 --stall-log /free.stall >/free &
"$ts" -c 0 "$mh" --spread --anon 100 >/pinned &
"$mh" --spread --hugetlb-anon 64 >/huge &
ready /free && ready /pinned && ready /huge || { echo "memhold did not get ready" >&2; exit 1; }
f=$(awk '{print $2}' /free); p=$(awk '{print $2}' /pinned); g=$(awk '{print $2}' /huge)
mkdir -p /etc/kvmtune
printf 'interval_ms = 500\nscope = all\nmin_mem = 32M\nkeep_free = 32M\nrate_mib_s = 128\nmax_pause_ms = 20\ncooldown_s = 600\n' >/etc/kvmtune/daemon.conf
echo "@@ before"
for x in $f $p $g; do echo "pid $x"; grep -E 'N[01]=' /proc/$x/numa_maps | grep -v '\.so' | head -5; done
"$kt" daemon --foreground 2>/daemon.log &
d=$!
i=0
while [ $i -lt 40 ]; do
    i=$((i + 1)); sleep 3
    "$kt" daemon --status --json >/status.json 2>/dev/null || continue
    grep -q '"moving"' /status.json && continue
    # all three seen, the free and the hugetlb one settled
    [ "$(grep -c '"state":"settled"' /status.json)" -ge 2 ] && break
done
echo "@@ status"
cat /status.json
echo "@@ maps"
for x in $f $p $g; do echo "@pid $x"; cat /proc/$x/numa_maps; echo "@allowed $(grep Cpus_allowed_list /proc/$x/status)"; done
echo "@@ pools"
for n in 0 1; do echo "node$n $(cat $h/node$n/hugepages/hugepages-2048kB/nr_hugepages) $(cat $h/node$n/hugepages/hugepages-2048kB/free_hugepages)"; done
echo "@@ stall"
cat /free.stall
kill -TERM $d; wait $d; echo "@@ daemon-exit $?"
echo "@@ log"
cat /daemon.log
echo "@@ pids $f $p $g"
kill $f $p $g
EOS
chmod +x "$work/in-guest.sh"

rc=0
"$GUEST_RUN" --nodes 2 --cpus 4 --mem 2048 --timeout 1200 --add "$(command -v taskset)" \
    --add "$KT" --add "$MEMHOLD" --add "$work/in-guest.sh:/daemon-in-guest.sh" \
    -- /daemon-in-guest.sh "$KT" "$MEMHOLD" "$(command -v taskset)" >"$work/out" 2>"$work/err" || rc=$?
if [ "$rc" -ne 0 ]; then
    [ "$rc" = 125 ] && skip_all "guest-run could not boot a guest: $(tail -3 "$work/err")"
    not_ok "in-guest script failed ($rc): $(tail -20 "$work/err")"
    finish
fi
section() { awk -v s="@@ $1" '$0 == s {on = 1; next} /^@@ / {on = 0} on' "$work/out"; }
section log | sed 's/^/# /'
section status >"$work/status.json"
read -r _ _ fpid ppid gpid < <(grep '^@@ pids' "$work/out")
# per process: KiB on each node from numa_maps (each line at its own page size), skipping files
node_kib() { # pid node
    section maps | awk -v p="@pid $1" -v n="N$2=" '
        $0 == p {on = 1; next} /^@pid / {on = 0}
        on && !/file=/ { ps = 4; for (i = 1; i <= NF; i++) if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); ps = a[2] }
            for (i = 1; i <= NF; i++) if (index($i, n) == 1) { split($i, a, "="); s += a[2] * ps } }
        END { print s + 0 }'
}
allowed() { section maps | awk -v p="@pid $1" '$0 == p {on = 1; next} /^@pid / {on = 0} on && /^@allowed/ {print $3}'; }
share() { # pid: the larger node's share in percent
    local a b; a=$(node_kib "$1" 0); b=$(node_kib "$1" 1)
    echo $(( (a > b ? a : b) * 100 / (a + b > 0 ? a + b : 1) ))
}
fs=$(share "$fpid"); fa=$(allowed "$fpid")
diag "free: $(node_kib "$fpid" 0) / $(node_kib "$fpid" 1) KiB on nodes 0/1, allowed CPUs $fa"
check "free process moved: $fs % on one node (>= 95)" [ "$fs" -ge 95 ]
check "free process confined to one node's CPUs ($fa)" grep -qxE '0-1|2-3' <<<"$fa"
ps=$(share "$ppid"); pa=$(allowed "$ppid")
diag "pinned: $(node_kib "$ppid" 0) / $(node_kib "$ppid" 1) KiB, allowed $pa"
check "pinned process left alone: CPUs still 0 ($pa)" [ "$pa" = 0 ]
check "pinned process left alone: memory still spread ($ps % on its larger node)" [ "$ps" -lt 80 ]
check "status says it is pinned" jq -e --argjson p "$ppid" '.vms[] | select(.pid == $p) | .state == "pinned"' "$work/status.json"
gs=$(share "$gpid")
diag "hugetlb: $(node_kib "$gpid" 0) / $(node_kib "$gpid" 1) KiB; pools (nr free): $(section pools | tr '\n' ' ')"
check "hugetlb process moved: $gs % on one node (>= 95)" [ "$gs" -ge 95 ]
check "hugepages moved > 0" jq -e '.hugepages_moved > 0' "$work/status.json"
check "the pools grew on the target and shrank on the source (80 pages in all, as before)" \
    [ "$(section pools | awk '{s += $2} END {print s}')" -le 80 ]
stall=$(section stall | awk '{print $2}')
diag "longest stall of the busy process while it moved: ${stall:-?} us (TCG guest)"
check "SIGTERM: the daemon exits 0" grep -qx '@@ daemon-exit 0' "$work/out"
finish
