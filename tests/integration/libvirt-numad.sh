#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt-numad: libvirt's placement='auto' gets its nodeset from kvmtune.
# In a private libvirtd (tests/vm/libvirtd-private), a wrapper is bind-mounted
# over the numad path compiled into libvirt (/usr/bin/numad on Debian); it logs
# its arguments and runs kvmtune through a symlink named numad (kvmtune acts as
# numad when argv[0] is numad), printing what kvmtune printed.  A paused TCG
# domain with <vcpu placement='auto'> and <numatune><memory mode='strict'
# placement='auto'/> is started: libvirt ran the wrapper once with
# '-w VCPUS:MIB', 'virsh numatune' and libvirt's status XML carry kvmtune's
# nodeset, QEMU's CPU affinity is that nodeset's CPUs and its memory is bound
# to it; the nodeset is what 'kvmtune numad -w' answers on this host (node 0
# on a one-node host).  Then, with kvmtune answering from a captured 2-node
# 2-node host (tests/data/plan-host: node 1 has the most free 2 MiB pages, so
# numad's rule, the node with the most room, picks node 1), libvirt's live
# start takes that nodeset (and refuses it where this host has no node 1).
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 unshare libvirtd virtlogd virsh virt-admin
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs (libvirtd-private needs it)"
require_private_mounts
KVMTUNE_BIN=$(kvmtune_path)

# The numad path libvirt runs: compiled into libvirt.so (virNumaGetAutoPlacementAdvice).
# (no early exit in these pipelines: with pipefail a writer's SIGPIPE would end the test)
libvirt_so=$(ldd "$(command -v libvirtd)" | awk '$1 ~ /^libvirt\.so/ && !f { print $3; f = 1 }')
[[ -r $libvirt_so ]] || skip_all "cannot find libvirtd's libvirt.so"
numad_path=$(grep -aoE '/[a-z/]+/numad' "$libvirt_so" | awk '!f { print; f = 1 }' || true)
[[ -n $numad_path ]] || skip_all "this libvirt was built without numad (no numad path in $libvirt_so)"
[[ -f $numad_path ]] ||
    skip_all "nothing at libvirt's numad path $numad_path to bind-mount over (install numad, or see kvmtune(1) numad)"
diag "libvirt's numad path: $numad_path"

work=$(mktemp -d "${TMPDIR:-/tmp}/libvirt-numad.XXXXXX")
at_exit "rm -rf '$work'"
mkdir "$work/bin"
ln -s "$KVMTUNE_BIN" "$work/bin/numad"
# The wrapper: libvirt's environment is scrubbed, so what it needs is written in.
# With $work/root present, kvmtune answers from that tree instead of this host.
cat >"$work/numad-wrapper" <<EOF
#!/bin/bash
if [[ -s '$work/root' ]]; then
    out=\$('$KVMTUNE_BIN' --root "\$(cat '$work/root')" numad "\$@"); rc=\$?
else
    out=\$('$work/bin/numad' "\$@"); rc=\$?
fi
printf 'args=%s out=%s rc=%s\n' "\$*" "\$out" "\$rc" >>'$work/calls'
printf '%s\n' "\$out"
exit \$rc
EOF
chmod 755 "$work/numad-wrapper"

# A 2-node host tree where a small VM goes to node 1 (the most free 2 MiB pages).
fixture=$REPO_ROOT/tests/data/plan-host
[[ -d $fixture/sys/devices/system/node/node1 ]] || skip_all "fixture $fixture is missing"
fixture_answer=$("$KVMTUNE_BIN" --root "$fixture" numad -w 2:64 2>&1) || true
host_answer=$("$KVMTUNE_BIN" numad -w 2:64 2>&1) || true
host_nodes=$(cat /sys/devices/system/node/online 2>/dev/null || echo 0)
diag "kvmtune numad -w 2:64 here: '$host_answer' (host nodes $host_nodes); on the fixture: '$fixture_answer'"

cat >"$work/domain.xml" <<XML
<domain type='qemu'>
  <name>kvmtune-numad-auto</name>
  <memory unit='MiB'>64</memory>
  <vcpu placement='auto'>2</vcpu>
  <numatune><memory mode='strict' placement='auto'/></numatune>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
XML

cat >"$work/inside.sh" <<'INSIDE'
#!/bin/bash
set -uo pipefail
work=$1 numad_path=$2 # $3: the fixture tree
mount --bind "$work/numad-wrapper" "$numad_path" || { echo "bind_rc 1"; exit 1; }
# libvirt's own debug line for the advice it got ("Nodeset returned from numad: ...")
log=/var/log/libvirt/libvirtd.log
virt-admin -c libvirtd:///system daemon-log-filters "1:qemu.qemu_process" >/dev/null
virt-admin -c libvirtd:///system daemon-log-outputs "1:file:$log" >/dev/null
virsh define "$work/domain.xml" >/dev/null
virsh start --paused kvmtune-numad-auto >"$work/start.out" 2>&1; echo "start_rc $?"
echo "calls $(grep -c . "$work/calls" 2>/dev/null || echo 0)"
echo "numatune $(virsh numatune kvmtune-numad-auto 2>&1 | awk -F' : ' '/numa_nodeset/ { print $2 }')"
echo "status_numad $(grep -o '<numad [^>]*>' /run/libvirt/qemu/kvmtune-numad-auto.xml 2>/dev/null)"
echo "live_xml $(virsh dumpxml kvmtune-numad-auto | grep -E 'placement=|<vcpu' | tr -s ' \n' ' ')"
pid=$(cat /run/libvirt/qemu/kvmtune-numad-auto.pid 2>/dev/null)
echo "qemu_cpus $(awk '/^Cpus_allowed_list/ { print $2 }' /proc/"$pid"/status 2>/dev/null)"
echo "qemu_policy $(grep -oE ' (bind|prefer|interleave|preferred-many):[0-9,-]+' /proc/"$pid"/numa_maps 2>/dev/null | sort | uniq -c | sort -rn | head -n 1 | awk '{ print $2 }')"
echo "libvirt_log $(grep -o 'Nodeset returned from numad: .*' "$log" | tail -n 1)"
virsh destroy kvmtune-numad-auto >/dev/null 2>&1
# kvmtune answering from the captured 2-node machine: libvirt takes its nodeset live
echo "$3" >"$work/root"
virsh start --paused kvmtune-numad-auto >"$work/start2.out" 2>&1; echo "fixture_start_rc $?"
echo "fixture_error $(tr '\n' ' ' <"$work/start2.out")"
echo "fixture_state $(virsh domstate kvmtune-numad-auto 2>&1)"
echo "fixture_log $(grep -o 'Nodeset returned from numad: .*' "$log" | tail -n 1)"
echo "calls_after $(grep -c . "$work/calls" 2>/dev/null || echo 0)"
virsh destroy kvmtune-numad-auto >/dev/null 2>&1
virsh undefine kvmtune-numad-auto >/dev/null 2>&1
umount "$numad_path"
exit 0
INSIDE
chmod +x "$work/inside.sh"

rc=0
"$VM_DIR/libvirtd-private" --run "$work/inside.sh" "$work" "$numad_path" "$fixture" >"$work/out" 2>"$work/err" || rc=$?
check "private libvirtd ran (exit $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag "$(tail -n 20 "$work/err")"
diag "$(cat "$work/out")"
diag "wrapper log: $(tr '\n' ';' <"$work/calls" 2>/dev/null)"
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$work/out"; }
call1=$(sed -n 1p "$work/calls" 2>/dev/null)
answer=$(sed -n 's/.* out=\(.*\) rc=.*/\1/p' <<<"$call1")

check "the placement='auto' domain started paused ($(val start_rc); $(tr '\n' ' ' <"$work/start.out" 2>/dev/null))" \
    test "$(val start_rc)" = 0
check "libvirt ran kvmtune as numad once, with -w VCPUS:MIB ($call1)" \
    test "$(val calls) ${call1% out=*}" = "1 args=-w 2:64"
check "kvmtune answered in numad's format, exit 0 ($answer)" \
    grep -qE '^args=-w 2:64 out=[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)* rc=0$' <<<"$call1"
check "its answer is what 'kvmtune numad -w 2:64' prints on this host ($host_answer)" \
    test "$answer" = "$host_answer"
if [[ $host_nodes = 0 ]]; then
    check "on this one-node host that is node 0" test "$answer" = 0
fi
check "libvirt's debug log has the nodeset it got ($(val libvirt_log))" \
    test "$(val libvirt_log)" = "Nodeset returned from numad: $answer"
check "virsh numatune shows kvmtune's nodeset ($(val numatune))" test "$(val numatune)" = "$answer"
check "libvirt's status XML records it as numad's advice ($(val status_numad))" \
    grep -q "<numad nodeset='$answer'" <<<"$(val status_numad)"
check "the live XML keeps placement='auto' ($(val live_xml))" \
    grep -q "placement='auto'" <<<"$(val live_xml)"
want_cpus=$(python3 - "$answer" <<'PY' 2>/dev/null
import sys
cpus = set()
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    for n in range(int(a), int(b or a) + 1):
        for r in open(f"/sys/devices/system/node/node{n}/cpulist").read().strip().split(","):
            x, _, y = r.partition("-")
            cpus.update(range(int(x), int(y or x) + 1))
c = sorted(cpus)
out, i = [], 0
while i < len(c):
    j = i
    while j + 1 < len(c) and c[j + 1] == c[j] + 1:
        j += 1
    out.append(str(c[i]) if i == j else f"{c[i]}-{c[j]}")
    i = j + 1
print(",".join(out))
PY
)
check "QEMU runs on the nodeset's CPUs ($(val qemu_cpus), want $want_cpus)" \
    test -n "$want_cpus" -a "$(val qemu_cpus)" = "$want_cpus"
check "QEMU's memory is bound to the nodeset ($(val qemu_policy))" test "$(val qemu_policy)" = "bind:$answer"

# the fixture: kvmtune's nodeset for the same request there, and what libvirt did with it
call2=$(sed -n 2p "$work/calls" 2>/dev/null)
check "on the 2-node host tree kvmtune picks node 1, the most room ($fixture_answer)" test "$fixture_answer" = 1
check "libvirt ran kvmtune again and got that nodeset ($call2)" \
    test "$(val calls_after) $call2" = "2 args=-w 2:64 out=$fixture_answer rc=0"
check "libvirt's debug log has that nodeset ($(val fixture_log))" \
    test "$(val fixture_log)" = "Nodeset returned from numad: $fixture_answer"
if [[ ! -d /sys/devices/system/node/node$fixture_answer ]]; then
    # libvirt keeps the advised nodes that have memory here (none) and their CPUs (none)
    check "and refused it on this host, which has no node $fixture_answer ($(val fixture_error))" \
        grep -q "cannot set CPU affinity" <<<"$(val fixture_error)"
    check "the domain is shut off ($(val fixture_state))" test "$(val fixture_state)" = "shut off"
else
    check "libvirt took it live: the domain started on node $fixture_answer ($(val fixture_start_rc))" \
        test "$(val fixture_start_rc)" = 0
fi
finish
