#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kvmtune daemon on a captured 2-node tree (--root: a dry run by force, no
# host state changes): bad configuration values refused at load with
# file:line; the control socket (below the root) answers root with text and
# JSON status and refuses a non-root client (SO_PEERCRED); the explicitly
# bound QEMU of the tree is left alone; SIGHUP with a bad file keeps the
# running configuration; 'kvmtune numad -w' (and the binary called numad)
# asks the running daemon; SIGTERM ends it with exit 0 and the socket gone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_root
require_cmd jq setpriv
KT=$(kvmtune_path)
require_kvmtune
TREE=$REPO_ROOT/tests/data/stat-root-2node
[ -d "$TREE" ] || skip_all "tests/data/stat-root-2node is missing"

work=$(mktemp -d /tmp/kvmtune-daemon-ctl.XXXXXX)
chmod 755 "$work"
at_exit "rm -rf '$work'"
root=$work/root
cp -r "$TREE" "$root"
# the tree's QEMU (bound to node 1 by a bind policy) gets what a live status has
printf 'VmRSS:\t32000 kB\nHugetlbPages:\t3145728 kB\nCpus_allowed_list:\t0-3\n' \
    >>"$root/proc/4242/status"
# and a stat (utime 500, stime 100, started 12345 ticks after boot) and an uptime
echo '4242 (qemu-system-x86) S 1 4242 4242 0 -1 4194560 0 0 0 0 500 100 0 0 20 0 5 0 12345 0 0' \
    >"$root/proc/4242/stat"
echo '1000.00 1900.00' >"$root/proc/uptime"
mkdir -p "$root/etc/kvmtune"
conf=$root/etc/kvmtune/daemon.conf
sock=$root/run/kvmtune/daemon.sock

# 1. bad values: exit 2, file:line and the reason, nothing started
printf '# test\nrate_mib_s = 0\n' >"$conf"
rc=0
"$KT" --root "$root" daemon >"$work/out" 2>"$work/err" || rc=$?
if [ "$rc" = 2 ] && grep -q "daemon.conf:2: rate_mib_s: '0' is not valid (expected 1..100000 MiB/s)" "$work/err"; then
    ok "rate_mib_s = 0 refused at load with file:line (exit 2)"
else
    not_ok "rate_mib_s = 0: exit $rc, $(cat "$work/err")"
fi
printf 'interval_ms = 10\n' >"$conf"
rc=0
"$KT" --root "$root" daemon 2>"$work/err" || rc=$?
check "interval_ms = 10 refused (exit 2): $(head -c 200 "$work/err")" [ "$rc" = 2 ]
check "no socket left by a refused start" [ ! -e "$sock" ]

# 2. a running daemon
printf 'interval_ms = 200\nscope = qemu\nmin_mem = 1M\n' >"$conf"
"$KT" --root "$root" daemon --foreground 2>"$work/log" &
dpid=$!
at_exit "kill -TERM $dpid 2>/dev/null || true"
for _ in $(seq 100); do [ -S "$sock" ] && "$KT" --root "$root" daemon --status >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.5 # a tick or two
"$KT" --root "$root" daemon --status >"$work/status" 2>&1 || true
if grep -q '^4242 .*web01.*pinned' "$work/status"; then
    ok "status: the bound QEMU web01 is seen and left alone (pinned)"
else
    not_ok "status: $(cat "$work/status")"
fi
"$KT" --root "$root" daemon --status --json >"$work/status.json"
check "status --json: dry run, web01 pinned" \
    jq -e '.dry_run == true and ([.vms[] | select(.pid == 4242 and .state == "pinned")] | length == 1)' "$work/status.json"
# a pinned VM's numa_maps is read once, then re-used while it stays the same size
sleep 1 # five ticks
"$KT" --root "$root" daemon --status --json >"$work/status.json"
check "a pinned VM is read once, then re-used ($(jq -c '[.maps_read, .maps_reused]' "$work/status.json"))" \
    jq -e '.maps_read == 1 and .maps_reused >= 2' "$work/status.json"
check "its CPU time is counted: in ticks, none in moves" \
    jq -e '.cpu_ticks_us > 0 and .cpu_moving_us == 0 and .cpu_us >= .cpu_ticks_us' "$work/status.json"
sed -i 's/^HugetlbPages:\t3145728 kB/HugetlbPages:\t4194304 kB/' "$root/proc/4242/status"
for _ in $(seq 50); do
    "$KT" --root "$root" daemon --status --json >"$work/status.json"
    jq -e '.maps_read >= 2' "$work/status.json" >/dev/null && break
    sleep 0.1
done
check "it is read again when its size changes by more than 1/32 ($(jq -c '.maps_read' "$work/status.json"))" \
    jq -e '.maps_read == 2' "$work/status.json"
mode=$(stat -c %a "$sock")
check "the socket is 0600 (mode $mode)" [ "$mode" = 600 ]

# 3. a non-root client: let it reach the socket, then SO_PEERCRED must refuse it
chmod 0755 "$root/run" "$root/run/kvmtune"
chmod 0666 "$sock"
cp "$KT" "$work/kvmtune"
chmod 755 "$work/kvmtune"
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$work/kvmtune" daemon --status --socket "$sock" \
    >"$work/nobody" 2>&1 || rc=$?
if [ "$rc" = 1 ] && grep -q 'permission denied: the control socket answers root only' "$work/nobody"; then
    ok "uid 65534 refused (exit 1)"
else
    not_ok "uid 65534: exit $rc: $(cat "$work/nobody")"
fi
sleep 0.3
check "the refusal is logged with the uid" grep -q 'control request from uid 65534 .* refused: root only' "$work/log"

# 4. SIGHUP with a bad file: refused, the running configuration stays
printf 'interval_ms = 200\ncooldown_s = forever\n' >"$conf"
kill -HUP "$dpid"
sleep 0.5
check "reload of a bad file refused with file:line" \
    grep -q "reload refused, the running configuration stays: .*daemon.conf:2: cooldown_s: 'forever'" "$work/log"
check "still answering after the refused reload (--status warns about the file)" \
    "$KT" --root "$root" daemon --status
printf 'interval_ms = 300\n' >"$conf"
kill -HUP "$dpid"
sleep 0.5
check "a good file reloads" grep -q 'configuration reloaded (interval 300 ms, dry run)' "$work/log"

# 5. numad -w through the daemon, and as the binary named numad
out=$("$KT" --root "$root" numad -w 2:1024)
check "kvmtune numad -w 2:1024 prints a nodeset ($out)" grep -qxE '[0-9]+([-,][0-9]+)*' <<<"$out"
check "the answer came from the daemon, logged on one line" grep -qxE "<6>advice for 2 CPUs, 1024 MB: $out" "$work/log"
ln -s "$KT" "$work/numad"
out2=$("$work/numad" --help | head -1)
check "argv[0] numad answers numad's usage ($out2)" grep -q 'numad -w NCPUS' <<<"$out2"
rc=0
"$KT" --root "$root" numad -i 5 2>/dev/null || rc=$?
check "numad's other options refused (exit 2)" [ "$rc" = 2 ]
rc=0
"$KT" --root "$root" numad -w 0:1024 2>/dev/null || rc=$?
check "numad -w 0:1024 refused (exit 2)" [ "$rc" = 2 ]

# 6. SIGTERM: exit 0, socket removed
kill -TERM "$dpid"
rc=0
wait "$dpid" || rc=$?
check "SIGTERM: exit 0" [ "$rc" = 0 ]
check "the socket is removed" [ ! -e "$sock" ]
check "the log has priorities" grep -q '^<6>stopped after' "$work/log"
finish
