#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# numactl issue 147, live: inside a TCG guest with 1 GiB pages (-cpu max,
# hugepagesz=1G hugepages=1 at boot; the default hugepage size stays 2 MiB) a
# process maps one 1 GiB hugetlb page.  'kvmtune stat' must show Huge =
# 1024 MB, the sum over numa_maps at each mapping's kernelpagesize_kB.
# numastat <= 2.0.16 counts every huge mapping at the default size and shows
# 2 MB: the test says so and checks the right number instead; a fixed
# numastat must agree with kvmtune.
# shellcheck disable=SC2015 # "check && ok ... || notok ...": ok always succeeds
set -euo pipefail
KVMTUNE=${KVMTUNE:-build/kvmtune}
SRC=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
MEMHOLD=${KVMTUNE_MEMHOLD:-$(dirname "$KVMTUNE")/tests/memhold}
GUEST_RUN=${GUEST_RUN:-$SRC/tests/vm/guest-run}

skip() { echo "# SKIP: $*"; exit 77; }
[ -x "$GUEST_RUN" ] || skip "tests/vm/guest-run (testbed helpers) is not in this tree"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v numastat >/dev/null || skip "numastat (Debian package numactl) is not installed"
[ -x "$MEMHOLD" ] || skip "memhold helper not built ($MEMHOLD)"
KVMTUNE=$(realpath "$KVMTUNE")
MEMHOLD=$(realpath "$MEMHOLD")

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }

work=$(mktemp -d /tmp/kvmtune-stat-1g.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/in-guest.sh" <<'EOF'
#!/bin/sh
kt=$1 mh=$2 ns=$3
mkdir -p /mnt/h1g
mount -t hugetlbfs -o pagesize=1G none /mnt/h1g || exit 3
f=/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages
[ "$(cat $f 2>/dev/null)" -ge 1 ] 2>/dev/null || { echo "no free 1 GiB page: $(cat $f 2>&1)" >&2; exit 4; }
"$mh" --hugetlb-file /mnt/h1g/f 1024 >/tmp/ready &
i=0
while ! grep -q ready /tmp/ready 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 600 ] && { echo "memhold did not get ready" >&2; exit 1; }; sleep 0.1
done
pid=$(awk '{print $2}' /tmp/ready)
echo '@@ meminfo'
grep Hugepagesize /proc/meminfo
echo '@@ numa_maps'
grep ' huge ' /proc/$pid/numa_maps
echo '@@ numastat'
"$ns" -p "$pid"
echo '@@ kvmtune'
"$kt" stat --numastat "$pid"
kill "$pid"
EOF
chmod +x "$work/in-guest.sh"

rc=0
"$GUEST_RUN" --nodes 1 --cpus 1 --mem 3072 --1g --append "hugepagesz=1G hugepages=1" --timeout 300 \
    --add "$(command -v numastat)" --add "$KVMTUNE" --add "$MEMHOLD" \
    --add "$work/in-guest.sh:/kvmtune-stat-1g.sh" \
    -- /kvmtune-stat-1g.sh "$KVMTUNE" "$MEMHOLD" "$(command -v numastat)" >"$work/out" 2>"$work/err" || rc=$?
if [ "$rc" -ne 0 ]; then
    [ "$rc" = 125 ] && skip "guest-run could not boot a guest: $(tail -3 "$work/err")"
    [ "$rc" = 3 ] && skip "the guest has no 1 GiB hugetlbfs (no pdpe1gb?)"
    [ "$rc" = 4 ] && skip "the guest kernel reserved no 1 GiB page at boot: $(cat "$work/err")"
    notok "in-guest script failed ($rc): $(cat "$work/err")"
    echo "1..$n"
    exit 1
fi
section() { awk -v s="@@ $1" '$0 == s {on = 1; next} /^@@ / {on = 0} on' "$work/out"; }
echo "# guest: $(section meminfo)"
echo "# numa_maps: $(section numa_maps)"
truth=$(section numa_maps | awk '{ ps = 0; for (i = 1; i <= NF; i++) if ($i ~ /^kernelpagesize_kB=/) { split($i, a, "="); ps = a[2] }
                                    for (i = 1; i <= NF; i++) if ($i ~ /^N[0-9]+=/) { split($i, a, "="); kb += a[2] * ps } }
                                END { printf "%.2f\n", kb / 1024 }')
kt=$(section kvmtune | awk '$1 == "Huge" {print $NF}')
ns=$(section numastat | awk '$1 == "Huge" {print $NF}')
[ "$truth" = "1024.00" ] && ok "numa_maps: one 1 GiB page (kernelpagesize_kB=1048576)" || notok "numa_maps sum $truth MB"
[ "$kt" = "$truth" ] && ok "kvmtune Huge = $kt MB" || notok "kvmtune Huge $kt MB, numa_maps says $truth"
if [ "$ns" = "$truth" ]; then
    ok "numastat Huge = $ns MB (a numastat with the fix for numactl #147)"
else
    echo "# numastat (numactl $(dpkg-query -W -f='${Version}' numactl 2>/dev/null || echo '?')) shows Huge = $ns MB: it counts the 1 GiB page at the default hugepage size (numactl issue 147); checked kvmtune against numa_maps instead"
    ok "numastat's wrong Huge ($ns MB) is numactl #147, not kvmtune"
fi
echo "1..$n"
exit $fail
