#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-guest: 'kvmtune run' in a 2-node TCG guest (one CPU per node) starts a
# paused QEMU (16 MiB on 2 MiB pages, --nodes 1) and, while it runs: the
# reservation record names run's PID and 8 pages on node 1, node 1's pool grew
# by exactly those 8 pages, QEMU's numa_maps shows them huge and bound to node
# 1, its vCPU thread and every other thread are allowed only node 1's CPU.
# Then, for each way it can end, the pages come back and the record goes:
# kill -9 of QEMU (run exits 137), SIGTERM to run (forwarded; QEMU's status
# 0), a QEMU wrapper that exits 42 (run exits 42), and kill -9 of run itself
# (QEMU gets SIGTERM; the stale record is released by the next
# 'hugepages release --stale').  With --nodes 0-1 and 2 vCPUs, each node gets
# a guest cell: half the pages, and vCPU n runs on node n's CPU.  Without
# --nodes, after node 1's pool got 8 free pages (node 0's has none), the
# planner puts the VM on node 1: its dry run says so, the record and
# numa_maps show node 1, every thread is on node 1's CPU, and the
# reservation claims those 8 free pages ('grown 0'): the pool stays 8 while
# QEMU runs and after it ends.  Two runs without --nodes started together,
# when each node has one VM's worth of free pages, take different nodes (each
# plans under the hugepages lock with the other's reservation in place) and
# neither pool grows.
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64
KVMTUNE_BIN=$(kvmtune_path)
bios=/usr/share/seabios/bios-256k.bin
[[ -r "$bios" ]] || skip_all "no SeaBIOS at $bios (QEMU in the guest needs it)"
QEMU_BIN=$(command -v qemu-system-x86_64)
# Debian builds TCG as a module that QEMU loads at start
adds=()
for m in /usr/lib/*/qemu/accel-tcg-x86_64.so; do
    [[ -e "$m" ]] && adds+=(--add "$m")
done

work=$(mktemp -d "${TMPDIR:-/tmp}/run-guest.XXXXXX")
at_exit "rm -rf '$work'"

cat >"$work/qemu-exit42" <<EOF
#!/bin/sh
# a "QEMU" whose own exit status is 42: run must pass it on
$QEMU_BIN "\$@"
exit 42
EOF
chmod +x "$work/qemu-exit42"

cat >"$work/in-guest.sh" <<'GUEST'
#!/bin/sh
K=/kvmtune
Q=$(cat /qemu-path)
V=$(cat /qemu-version)
HP=/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages
echo "node1_cpus $(cat /sys/devices/system/node/node1/cpulist)"
echo "node0_cpus $(cat /sys/devices/system/node/node0/cpulist)"
echo "pool0_before $(cat /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages)"
echo "pool_before $(cat $HP)"

# qemu_of RUNPID: the PID of the qemu-system-x86 whose parent is RUNPID (or whose grandparent is)
qemu_of() {
    for s in /proc/[0-9]*/stat; do
        read -r pid comm st ppid rest <"$s" 2>/dev/null || continue
        [ "$comm" = "(qemu-system-x86)" ] || continue
        if [ "$ppid" = "$1" ]; then echo "$pid"; return; fi
        read -r p2 c2 s2 pp2 r2 <"/proc/$ppid/stat" 2>/dev/null || continue
        if [ "$pp2" = "$1" ]; then echo "$pid"; return; fi
    done
}

# start NAME BINARY [RUN-OPTIONS]: kvmtune run in the background (on $PLACE); sets RUN and QEMU once pinned
PLACE="--nodes 1"
start() {
    # shellcheck disable=SC2086 # PLACE and the options are word lists
    $K run $PLACE --page 2M --hugetlbfs /dev/hugepages --keep-free 64M --name "$1" $3 \
        -- "$2" -accel tcg -display none -nodefaults -no-user-config -m 16M -S \
        >"/tmp/$1.out" 2>"/tmp/$1.err" &
    RUN=$!
    QEMU=""
    i=0
    while [ $i -lt 1200 ]; do
        if grep -q "vCPU 0 (thread" "/tmp/$1.err" 2>/dev/null; then
            QEMU=$(qemu_of "$RUN")
            [ -n "$QEMU" ] && break
        fi
        kill -0 "$RUN" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    echo "started_$1 ${QEMU:-none} after $i"
}

report_ended() { # NAME STATUS
    echo "exit_$1 $2"
    echo "pool_after_$1 $(cat $HP)"
    echo "record_after_$1 $( [ -e /run/kvmtune/hugepages/$1 ] && echo present || echo absent)"
    tr '\n' ' ' <"/tmp/$1.err" | sed "s/^/err_$1 /"; echo
}

# A: kill -9 of QEMU
start g1 "$Q" "$V"
echo "record_g1 $(tr '\n' ';' </run/kvmtune/hugepages/g1)"
rp=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' /run/kvmtune/hugepages/g1)
echo "record_pid_comm_g1 $(cat /proc/$rp/comm 2>/dev/null) $(cat /proc/$rp/cmdline 2>/dev/null | tr '\0' ' ' | cut -c1-40)"
echo "pool_during $(cat $HP)"
echo "numa_maps $(grep ' huge ' /proc/$QEMU/numa_maps | tr '\n' ';')"
for t in /proc/$QEMU/task/*; do
    echo "task $(tr ' ' '_' <$t/comm) $(awk '/^Cpus_allowed_list:/ { print $2 }' $t/status)"
done
kill -9 "$QEMU"
wait "$RUN"; report_ended g1 $?

# B: two nodes (a guest cell on each), then SIGTERM to run
start g2 "$Q" "--nodes 0-1 --vcpus 2 $V"
echo "pool_g2 $(cat /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages) $(cat $HP)"
echo "numa_maps_g2 $(grep ' huge ' /proc/$QEMU/numa_maps | tr '\n' ';')"
for t in /proc/$QEMU/task/*; do
    echo "task_g2 $(tr ' ' '_' <$t/comm) $(awk '/^Cpus_allowed_list:/ { print $2 }' $t/status)"
done
kill -TERM "$RUN"
wait "$RUN"; report_ended g2 $?

# C: QEMU's own exit status passes
start g3 /qemu-exit42 "$V"
kill -9 "$QEMU"
wait "$RUN"; report_ended g3 $?

# D: kill -9 of run itself: QEMU gets SIGTERM, the record stays until released
start g4 "$Q" "$V"
kill -9 "$RUN"
alive() { # PID: exists and is no zombie
    read -r p c st rest <"/proc/$1/stat" 2>/dev/null && [ "$st" != Z ]
}
i=0; while [ -n "$QEMU" ] && alive "$QEMU" && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
echo "qemu_g4_gone $(alive "$QEMU" && echo no || echo yes)"
echo "record_stale_g4 $( [ -e /run/kvmtune/hugepages/g4 ] && echo present || echo absent)"
echo "pool_stale $(cat $HP)"
$K hugepages release --stale >/tmp/stale.out 2>&1; echo "stale_release_rc $?"
echo "pool_final $(cat $HP)"
echo "record_final_g4 $( [ -e /run/kvmtune/hugepages/g4 ] && echo present || echo absent)"

# E: no --nodes: the planner's choice.  Node 1's pool gets 8 free pages first
# (hugepages set), node 0's has none, so node 1 is the node that holds the VM
# without growing its pool; the dry run says so, the run binds it there.
$K hugepages set 2M=8 --node 1 --keep-free 64M >/tmp/preset.out 2>&1; echo "preset_rc $?"
E_BEFORE=$(cat $HP)
echo "pool_preset $E_BEFORE"
$K run --dry-run --page 2M --keep-free 64M --name g5 $V -- "$Q" -m 16M >/tmp/g5-dry.out 2>&1
echo "dry_g5 $(head -n 3 /tmp/g5-dry.out | tr '\n' ';')"
PLACE=""
start g5 "$Q" "$V"
echo "record_g5 $(tr '\n' ';' </run/kvmtune/hugepages/g5)"
echo "pool_g5 $(cat $HP)"
echo "numa_maps_g5 $(grep ' huge ' /proc/$QEMU/numa_maps | tr '\n' ';')"
for t in /proc/$QEMU/task/*; do
    echo "task_g5 $(tr ' ' '_' <$t/comm) $(awk '/^Cpus_allowed_list:/ { print $2 }' $t/status)"
done
kill -TERM "$RUN"
wait "$RUN"; echo "exit_g5 $?"
echo "pool_after_g5 $(cat $HP)"
echo "record_after_g5 $( [ -e /run/kvmtune/hugepages/g5 ] && echo present || echo absent)"

# F: two runs without --nodes started together, each node with 8 free pages
# (one VM's worth): each plans under the lock with the other's reservation in
# place, so they take different nodes and neither pool grows.
$K hugepages set 2M=8 --node 0 --keep-free 64M >/tmp/presetF.out 2>&1; echo "presetF_rc $?"
echo "poolsF $(cat /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages) $(cat $HP)"
for n in g6 g7; do
    $K run --page 2M --hugetlbfs /dev/hugepages --keep-free 64M --name $n $V \
        -- "$Q" -accel tcg -display none -nodefaults -no-user-config -m 16M -S \
        >"/tmp/$n.out" 2>"/tmp/$n.err" &
    eval "RUN_$n=\$!"
done
i=0
while [ $i -lt 1200 ]; do
    n=0
    for g in g6 g7; do
        grep -q "vCPU 0 (thread" "/tmp/$g.err" 2>/dev/null && n=$((n + 1))
    done
    [ $n -eq 2 ] && break
    kill -0 "$RUN_g6" 2>/dev/null && kill -0 "$RUN_g7" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
done
echo "startedF $n after $i"
for g in g6 g7; do
    echo "nodeF_$g $(sed -n 's/^node \([0-9]*\) page_kb 2048 pages \([0-9]*\).*/\1 \2/p' /run/kvmtune/hugepages/$g 2>/dev/null)"
done
echo "poolsF_during $(cat /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages) $(cat $HP)"
kill -TERM "$RUN_g6" "$RUN_g7" 2>/dev/null
wait "$RUN_g6"; e6=$?
wait "$RUN_g7"; e7=$?
echo "exitF $e6 $e7"
tr '\n' ' ' </tmp/g6.err | sed 's/^/errF_g6 /'; echo
tr '\n' ' ' </tmp/g7.err | sed 's/^/errF_g7 /'; echo
echo "recordsF_after $(ls /run/kvmtune/hugepages/ | tr '\n' ' ')"
GUEST
chmod +x "$work/in-guest.sh"
echo "$QEMU_BIN" >"$work/qemu-path"
# The version, read here: QEMU's --version in the loaded nested guest can
# outlast run's 5 s probe (qemu-args-live and the goldens test the probe).
qemu_version=$("$QEMU_BIN" --version | sed -n 's/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')
[[ -n "$qemu_version" ]] || bail "cannot read the version of $QEMU_BIN"
echo "--qemu-version $qemu_version" >"$work/qemu-version"

rc=0
t0=$SECONDS
"$VM_DIR/guest-run" --nodes 2 --cpus 2 --node-mem 512,512 --timeout 600 \
    --add "$KVMTUNE_BIN:/kvmtune" --add "$QEMU_BIN" --add "$bios" \
    --add "$work/qemu-path:/qemu-path" --add "$work/qemu-version:/qemu-version" --add "$work/qemu-exit42:/qemu-exit42" \
    --add "$work/in-guest.sh:/in-guest.sh" "${adds[@]}" \
    -- /in-guest.sh >"$work/out" 2>"$work/err" || rc=$?
diag "guest ran in $((SECONDS - t0)) s"
check "guest ran the script (rc $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag "$(tail -n 20 "$work/err")"
diag "$(cat "$work/out")"

val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$work/out"; }

cpus1=$(val node1_cpus)
before=$(val pool_before)
check "A: QEMU started and pinned ($(val started_g1))" test "$(val started_g1 | cut -d' ' -f1)" != none
check "A: record: a holder PID and 8 pages on node 1 ($(val record_g1))" \
    grep -qx 'pid [0-9]* start [0-9]*;node 1 page_kb 2048 pages 8;' <<<"$(val record_g1)"
check "A: the holder PID is the running 'kvmtune run' ($(val record_pid_comm_g1))" \
    grep -q '^kvmtune /kvmtune run ' <<<"$(val record_pid_comm_g1)"
check "A: node 1's pool grew by exactly 8 pages ($before -> $(val pool_during))" \
    test "$(val pool_during)" -eq $((before + 8))
check "A: numa_maps: huge, bound to node 1, 8 pages on N1 ($(val numa_maps))" \
    grep -q 'bind:1 .*huge.*N1=8 kernelpagesize_kB=2048' <<<"$(val numa_maps)"
check "A: the vCPU thread runs only on node 1's CPUs ($cpus1)" \
    test "$(awk '$1 == "task" && $2 ~ /^CPU_0\// { print $3 }' "$work/out")" = "$cpus1"
ntasks=$(awk '$1 == "task"' "$work/out" | wc -l)
check "A: all $ntasks QEMU threads are allowed only node 1's CPUs" \
    test "$(awk -v c="$cpus1" '$1 == "task" && $3 != c' "$work/out" | wc -l)" -eq 0
for g in g1 g2 g3; do
    check "$g: pool back to $before after QEMU ended ($(val pool_after_$g))" test "$(val pool_after_$g)" = "$before"
    check "$g: record removed" test "$(val record_after_$g)" = absent
done
check "A: kill -9 of QEMU: run exits 137 ($(val exit_g1))" test "$(val exit_g1)" = 137
cpus0=$(val node0_cpus)
check "B: --nodes 0-1: 4 more pages on each node ($(val pool_g2))" \
    test "$(val pool_g2)" = "$(($(val pool0_before) + 4)) $((before + 4))"
check "B: two backends, 4 huge pages bound to node 0 and 4 to node 1" \
    eval 'grep -q "bind:0 .*huge.*N0=4 kernelpagesize_kB=2048" <<<"$(val numa_maps_g2)" &&
        grep -q "bind:1 .*huge.*N1=4 kernelpagesize_kB=2048" <<<"$(val numa_maps_g2)"'
check "B: vCPU 0 on node 0's CPUs ($cpus0), vCPU 1 on node 1's ($cpus1)" \
    test "$(awk '$1 == "task_g2" && $2 ~ /^CPU_[01]\// { printf "%s ", $3 }' "$work/out")" = "$cpus0 $cpus1 "
check "B: QEMU's other threads on both nodes' CPUs" \
    test "$(awk '$1 == "task_g2" && $2 !~ /^CPU_/ { print $3 }' "$work/out" | sort -u | tr '\n' ' ')" = "0-1 "
check "B: SIGTERM to run is forwarded: QEMU exits 0, so does run ($(val exit_g2))" test "$(val exit_g2)" = 0
check "B: run says it forwarded the signal" grep -q 'after forwarding signal Terminated' <<<"$(val err_g2)"
check "C: QEMU's own exit status passes: run exits 42 ($(val exit_g3))" test "$(val exit_g3)" = 42
check "D: kill -9 of run: QEMU got SIGTERM and ended" test "$(val qemu_g4_gone)" = yes
check "D: the record stays (stale) and holds the pages" \
    test "$(val record_stale_g4) $(val pool_stale)" = "present $((before + 8))"
check "D: hugepages release --stale gives them back ($(val pool_final))" \
    test "$(val stale_release_rc) $(val pool_final) $(val record_final_g4)" = "0 $before absent"
check "E: node 1's pool preset to 8 free pages ($(val preset_rc), $before -> $(val pool_preset))" \
    test "$(val preset_rc) $(val pool_preset)" = "0 $((before + 8))"
check "E: the dry run names the planner's choice, node 1 ($(val dry_g5))" \
    grep -q "^placement: node 1, the planner's choice" <<<"$(val dry_g5)"
check "E: without --nodes, QEMU started and pinned ($(val started_g5))" test "$(val started_g5 | cut -d' ' -f1)" != none
check "E: the reservation is on node 1, claimed from its free pages ($(val record_g5))" \
    grep -qx 'pid [0-9]* start [0-9]*;node 1 page_kb 2048 pages 8 grown 0;' <<<"$(val record_g5)"
check "E: node 1's pool did not grow while QEMU runs ($(val pool_preset) -> $(val pool_g5))" \
    test "$(val pool_g5)" = "$((before + 8))"
check "E: numa_maps: bound to node 1, 8 huge pages on N1 ($(val numa_maps_g5))" \
    grep -q 'bind:1 .*huge.*N1=8 kernelpagesize_kB=2048' <<<"$(val numa_maps_g5)"
check "E: every QEMU thread allowed only node 1's CPUs ($cpus1)" \
    test "$(awk -v c="$cpus1" '$1 == "task_g5" && $3 != c' "$work/out" | wc -l)" -eq 0
check "E: SIGTERM: run exits 0, the pool is back to the preset 8 and the record gone" \
    test "$(val exit_g5) $(val pool_after_g5) $(val record_after_g5)" = "0 $((before + 8)) absent"
check "F: both nodes preset to 8 free pages ($(val presetF_rc); $(val poolsF))" \
    test "$(val presetF_rc) $(val poolsF)" = "0 8 8"
check "F: both runs started and pinned ($(val startedF))" test "$(val startedF | cut -d' ' -f1)" = 2
check "F: two runs started together take different nodes, 8 pages each ($(val nodeF_g6) / $(val nodeF_g7))" \
    eval 'test "$(printf "%s\n%s\n" "$(val nodeF_g6)" "$(val nodeF_g7)" | sort | tr "\n" ";")" = "0 8;1 8;"'
check "F: neither pool grew while both run ($(val poolsF_during))" test "$(val poolsF_during)" = "8 8"
check "F: SIGTERM: both runs exit 0 ($(val exitF)), their records gone ($(val recordsF_after))" \
    test "$(val exitF)|$(val recordsF_after)" = "0 0|"
finish
