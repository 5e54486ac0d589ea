#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-args-1g: 1 GiB pages, which this host's CPU lacks, inside a TCG guest
# with '-cpu max' (pdpe1gb), 2.5 GiB of RAM and one 1 GiB page reserved at
# boot (the page needs a free 1 GiB-aligned range, [1G,2G)): the guest runs
# 'kvmtune qemu-args --mem 1G --page 1G --host-nodes 0 --policy bind' on its own
# hugetlbfs (pagesize=1G), feeds the text output to a shell (eval), starts a
# paused TCG QEMU with it, and checks that numa_maps shows bind:0, huge,
# kernelpagesize_kB=1048576, N0=1, that exactly the one page left the pool and
# that it came back after QEMU was killed by PID.
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_kvmtune
require_cmd qemu-system-x86_64 busybox
KT=$(kvmtune_path)
QEMU=$(command -v qemu-system-x86_64)
BIOS=/usr/share/seabios/bios-256k.bin
[[ -r $BIOS ]] || skip_all "no SeaBIOS image at $BIOS"
# Debian builds TCG as a module; bring it along when there is one
adds=()
TCG_MODULE=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
if [[ -e $TCG_MODULE ]]; then
    adds+=(--add "$TCG_MODULE")
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/qemu-args-1g.XXXXXX")
at_exit "rm -rf '$work'"

cat >"$work/in-guest.sh" <<'GUEST'
#!/bin/sh
kt=$1
bios=$2
P=/sys/kernel/mm/hugepages/hugepages-1048576kB
mkdir -p /hp1g
mount -t hugetlbfs -o pagesize=1G none /hp1g || { echo "mount failed"; exit 1; }
echo "free_before $(cat $P/free_hugepages)"
out=$("$kt" qemu-args --mem 1G --page 1G --host-nodes 0 --policy bind --hugetlbfs /hp1g) ||
    { echo "kvmtune failed"; exit 1; }
# the text output is shell-quoted, one option per line continued with ' \'
eval "set -- $(printf '%s\n' "$out" | sed 's/ \\$//' | tr '\n' ' ')"
echo "argc $#"
for a in "$@"; do echo "arg $a"; done
qemu-system-x86_64 -accel tcg,tb-size=64 -S -display none -nodefaults -no-user-config \
    -L /nonexistent -bios "$bios" -monitor none -serial none "$@" 2>/qemu.err &
q=$!
i=0
while [ $i -lt 600 ]; do
    grep -q 'kernelpagesize_kB=1048576.*' "/proc/$q/numa_maps" 2>/dev/null &&
        grep 'kernelpagesize_kB=1048576' "/proc/$q/numa_maps" | grep -q 'N0=1' && break
    kill -0 $q 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
echo "numa_maps $(grep 'file=/hp1g/' "/proc/$q/numa_maps" 2>/dev/null)"
echo "free_during $(cat $P/free_hugepages)"
kill $q 2>/dev/null
wait $q
echo "qemu_err $(tr '\n' ' ' </qemu.err)"
echo "free_after $(cat $P/free_hugepages)"
GUEST
chmod +x "$work/in-guest.sh"

rc=0
"$VM_DIR/guest-run" --1g --nodes 1 --mem 2560 --timeout 400 --append " hugepagesz=1G hugepages=1" \
    --add "$KT" --add "$QEMU" "${adds[@]}" --add "$BIOS:/bios.bin" --add "$work/in-guest.sh:/in-guest.sh" \
    -- /in-guest.sh "$KT" /bios.bin >"$work/out" 2>"$work/err" || rc=$?
check "guest ran the 1 GiB scenario (rc $rc)" test "$rc" -eq 0
diag "$(cat "$work/out")"
[[ $rc -eq 0 ]] || diag "$(tail -n 20 "$work/err")"

val() {
    awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }' "$work/out"
}
check "guest reserved one free 1 GiB page at boot ($(val free_before))" test "$(val free_before)" = 1
check "arguments have a memory-backend-file on /hp1g with 1 GiB, host-nodes [0], bind" \
    grep -q '^arg {"qom-type":"memory-backend-file","id":"pc.ram","mem-path":"/hp1g",.*"size":1073741824,"host-nodes":\[0\],"policy":"bind"' "$work/out"
check "arguments have no -mem-path" bash -c '! grep -qx "arg -mem-path" "$1"' _ "$work/out"
maps=$(val numa_maps)
check "numa_maps: bind:0 huge kernelpagesize_kB=1048576 N0=1 ($maps)" \
    eval '[[ " $maps " == *" bind:0 "* && " $maps " == *" huge "* && " $maps " == *" kernelpagesize_kB=1048576 "* && " $maps " == *" N0=1 "* ]]'
check "exactly the one page was taken (free $(val free_before) -> $(val free_during))" \
    eval '[[ "$(val free_before)" == 1 && "$(val free_during)" == 0 ]]'
check "the page came back after QEMU was killed (free $(val free_after))" test "$(val free_after)" = 1

finish
