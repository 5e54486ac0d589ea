#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plan-guest: 'kvmtune plan' inside a 4-node TCG guest (2 CPUs per node, no
# SMT) for three VMs (a and b: 1 vCPU, 64 MiB of 2 MiB pages each; c: 2 vCPUs
# and 2 guest cells), then the QEMU arguments it produced launched there,
# paused, under 'taskset -c <emulator CPUs>' with each "CPU n/TCG" thread
# pinned as planned.  Checks, per VM: the plan placed it (c over two nodes);
# /proc/PID/numa_maps shows each guest cell's backend (ram-nodeN, from the
# private hugetlbfs) bound to its planned node with all its pages there; the
# vCPU threads' Cpus_allowed_list is the planned CPU; the main thread runs on
# the emulator's CPUs, which hold no vCPU.  One guest boot.
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 busybox jq
KVMTUNE_BIN=$(kvmtune_path)
QEMU_BIN=$(command -v qemu-system-x86_64)
TCG_MODULE=$(dirname "$(readlink -f "$QEMU_BIN")")/../lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
[[ -f "$TCG_MODULE" ]] || TCG_MODULE=""
BIOS=/usr/share/seabios/bios-256k.bin
VAPIC=/usr/share/qemu/kvmvapic.bin
[[ -f "$BIOS" ]] || skip_all "no SeaBIOS at $BIOS (seabios package)"

work=$(mktemp -d "${TMPDIR:-/tmp}/plan-guest.XXXXXX")
at_exit "rm -rf '$work'"

cat >"$work/in-guest.sh" <<'GUEST'
#!/bin/sh
kt=$1
mnt=/tmp/hp
fail() { echo "in-guest: $*" >&2; exit 1; }
mkdir -p $mnt && mount -t hugetlbfs -o pagesize=2M none $mnt || fail "cannot mount hugetlbfs"
"$kt" hugepages set 2M=40 --node 0,1,2,3 --keep-free 64M >/tmp/pools.txt 2>&1 || fail "pools: $(cat /tmp/pools.txt)"
"$kt" plan --json --format qemu --hugetlbfs $mnt --no-processes \
    --vm name=a,vcpus=1,mem=64M,page=2M --vm name=b,vcpus=1,mem=64M,page=2M \
    --vm name=c,vcpus=2,mem=64M,page=2M,cells=2 >/tmp/plan.json 2>/tmp/plan.err ||
    fail "plan exited $?: $(cat /tmp/plan.err)"
echo '@@ plan'
cat /tmp/plan.json
for i in 0 1 2; do
    emu=$(jq -r ".vms[$i].pins.emulator" /tmp/plan.json)
    jq -r ".vms[$i].qemu_argv[]" /tmp/plan.json >/tmp/argv.$i
    set --
    while IFS= read -r a; do set -- "$@" "$a"; done </tmp/argv.$i
    taskset -c "$emu" qemu-system-x86_64 -accel tcg,thread=multi -machine pc -S -nodefaults \
        -display none -monitor none -serial none "$@" >/tmp/qemu.$i.log 2>&1 &
    echo $! >/tmp/pid.$i
done
# preallocation done: every page of the VM's backends is mapped
for i in 0 1 2; do
    pid=$(cat /tmp/pid.$i)
    want=$(jq ".vms[$i].mem_kib / 2048" /tmp/plan.json)
    n=0
    while [ $n -lt 900 ]; do
        kill -0 "$pid" 2>/dev/null || fail "QEMU $i exited: $(cat /tmp/qemu.$i.log)"
        got=$(awk '/ huge / { for (i = 1; i <= NF; i++) if ($i ~ /^N[0-9]+=/) { split($i, a, "="); s += a[2] } }
                   END { print s + 0 }' /proc/$pid/numa_maps 2>/dev/null)
        [ "${got:-0}" -ge "$want" ] && break
        n=$((n + 1))
        sleep 0.1
    done
done
# the vCPU threads on their planned CPUs
for i in 0 1 2; do
    pid=$(cat /tmp/pid.$i)
    for t in /proc/$pid/task/*; do
        comm=$(cat "$t/comm")
        case "$comm" in
        "CPU "*/TCG)
            idx=${comm#CPU }
            idx=${idx%%/*}
            cpu=$(jq -r ".vms[$i].pins.vcpus[$idx]" /tmp/plan.json)
            taskset -pc "$cpu" "${t##*/}" >/dev/null || fail "taskset $cpu ${t##*/}"
            ;;
        esac
    done
done
for i in 0 1 2; do
    pid=$(cat /tmp/pid.$i)
    echo "@@ vm $i"
    grep ' huge ' /proc/$pid/numa_maps
    for t in /proc/$pid/task/*; do
        echo "task ${t##*/}|$(cat "$t/comm")|$(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status")"
    done
    echo "pid $pid"
done
for i in 0 1 2; do kill "$(cat /tmp/pid.$i)"; done
wait
GUEST
chmod +x "$work/in-guest.sh"

adds=(--add "$KVMTUNE_BIN" --add "$QEMU_BIN" --add "$(command -v jq)" --add "$BIOS")
[[ -n "$TCG_MODULE" ]] && adds+=(--add "$(readlink -f "$TCG_MODULE"):/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so")
[[ -f "$VAPIC" ]] && adds+=(--add "$VAPIC")
rc=0
"$VM_DIR/guest-run" --nodes 4 --cpus 8 --node-mem 384,384,384,384 --timeout 600 \
    "${adds[@]}" --add "$work/in-guest.sh:/plan-in-guest.sh" \
    -- /plan-in-guest.sh "$KVMTUNE_BIN" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc -eq 125 ]] && skip_all "guest-run could not boot a guest: $(tail -n 3 "$work/err" | tr '\n' ' ')"
check "the guest ran the plan and three paused QEMUs (exit $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || { diag "$(tail -n 20 "$work/err")"; finish; }
section() { awk -v s="@@ $1" '$0 == s { on = 1; next } /^@@ / { on = 0 } on' "$work/out"; }
section plan >"$work/plan.json"
diag "plan: $(jq -c '[.vms[] | {name, nodes, pins: .pins.vcpus, emulator: .pins.emulator}]' "$work/plan.json")"
check "all three VMs placed" test "$(jq '.placed' "$work/plan.json")" -eq 3
check "c (two cells) spans two nodes, a and b one each" \
    test "$(jq -c '[.vms[].nodes | length]' "$work/plan.json")" = "[1,1,2]"

for i in 0 1 2; do
    section "vm $i" >"$work/vm.$i"
    name=$(jq -r ".vms[$i].name" "$work/plan.json")
    pid=$(awk '/^pid / { print $2 }' "$work/vm.$i")
    ncells=$(jq ".vms[$i].cells | length" "$work/plan.json")
    for ((c = 0; c < ncells; c++)); do
        node=$(jq ".vms[$i].cells[$c].node" "$work/plan.json")
        pages=$(jq ".vms[$i].cells[$c].pages" "$work/plan.json")
        line=$(grep -F "qemu_back_mem.ram-node$c." "$work/vm.$i" || true)
        diag "$name cell $c (node $node, $pages pages): ${line:-<no mapping>}"
        check "$name cell $c: its backend is bound to node $node" grep -q " bind:$node " <<<"$line"
        check "$name cell $c: all $pages pages on node $node, none elsewhere" \
            eval "[[ \$(grep -o 'N[0-9]*=[0-9]*' <<<\"\$line\" | tr '\n' ' ') == 'N$node=$pages ' ]]"
    done
    nv=$(jq ".vms[$i].vcpus" "$work/plan.json")
    emu=$(jq -r ".vms[$i].pins.emulator" "$work/plan.json")
    for ((v = 0; v < nv; v++)); do
        want=$(jq -r ".vms[$i].pins.vcpus[$v]" "$work/plan.json")
        got=$(awk -F'|' -v c="CPU $v/TCG" '$2 == c { print $3 }' "$work/vm.$i")
        check "$name vCPU $v ('CPU $v/TCG') allowed on CPU $want (got ${got:-none})" test "$got" = "$want"
        check "$name vCPU $v is off the emulator's CPUs ($emu)" \
            eval "! grep -qw '$want' <<<'${emu//,/ }'"
    done
    got=$(awk -F'|' -v t="task $pid" '$1 == t { print $3 }' "$work/vm.$i")
    check "$name main thread on the emulator's CPUs $emu (got ${got:-none})" test "$got" = "$emu"
done

finish
