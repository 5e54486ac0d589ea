#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-run-selftest: tests/vm/guest-run passes exit statuses and output
# through, keeps stdout and stderr apart, and leaves no QEMU or temp dir.
# shellcheck disable=SC2317,SC2016 # functions called through check; guest script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_cmd qemu-system-x86_64 busybox

work=$(mktemp -d "${TMPDIR:-/tmp}/guest-run-selftest.XXXXXX")
at_exit "rm -rf '$work'"
mkdir "$work/tmp"

# run NAME ARGS...: guest-run with a private TMPDIR and a PID file; sets rc,
# out, err, qpid, secs.
run() {
    local name=$1 t0
    shift
    rm -f "$work/pid"
    t0=$EPOCHREALTIME
    rc=0
    TMPDIR=$work/tmp GUEST_RUN_PIDFILE=$work/pid "$VM_DIR/guest-run" "$@" \
        >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    out=$(<"$work/$name.out")
    err=$(<"$work/$name.err")
    qpid=$(cat "$work/pid" 2>/dev/null || true)
    diag "$name: exit $rc in ${secs}s"
}

# Teardown: the QEMU whose PID guest-run reported is gone, no temp dir left.
torn_down() {
    if [[ -z "$qpid" ]]; then
        diag "guest-run reported no QEMU PID"
        return 1
    fi
    if pid_alive "$qpid"; then
        diag "QEMU pid $qpid is still running"
        return 1
    fi
    if [[ -n "$(ls -A "$work/tmp")" ]]; then
        diag "left in TMPDIR: $(find "$work/tmp" -mindepth 1 -maxdepth 1 -printf "%f ")"
        return 1
    fi
}

run true -- true
check "true exits 0" test "$rc" -eq 0
check "true: QEMU and temp dir gone" torn_down

run false -- false
check "false exits non-zero (got $rc)" test "$rc" -ne 0 -a "$rc" -lt 124
check "false: QEMU and temp dir gone" torn_down

run exit3 -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
check "sh -c 'exit 3' exits 3 (got $rc)" test "$rc" -eq 3
check "stdout carried exactly (got '$out')" test "$out" = to-stdout
check "stderr carried exactly (got '$err')" test "$err" = to-stderr

# Arguments with quotes and spaces arrive intact; output bytes are not
# translated (no \r from the serial line).
run args -- sh -c 'printf "[%s]" "$@"; printf "\n"' zero "it's" "a  b" ''
check "arguments arrive intact (got '$out')" test "$out" = "[it's][a  b][]"
check "no carriage returns in output" \
    test "$(tr -dc '\r' <"$work/args.out" | wc -c)" -eq 0

# A host binary given by path runs from the same path with its libraries.
printf 'payload 42\n' >"$work/payload"
run hostbin --add "$work/payload:/data/payload" -- /usr/bin/cat /data/payload
check "host /usr/bin/cat runs in guest and reads --add file (got '$out')" \
    test "$rc" -eq 0 -a "$out" = "payload 42"

# A file added at its own path under the host's TMPDIR is visible there.
run tmpadd --add "$work/payload" -- cat "$work/payload"
check "--add of a file under $work keeps its path (got '$out')" \
    test "$rc" -eq 0 -a "$out" = "payload 42"

# A '#!/bin/bash' script runs once bash is added (host /usr layout mirrored).
printf '#!/bin/bash\necho "bash ${BASH_VERSINFO[0]}"\n' >"$work/bash-script"
chmod +x "$work/bash-script"
run bashscript --add "$(command -v bash)" -- "$work/bash-script"
check "#!/bin/bash script runs with --add bash (got '$out')" \
    test "$rc" -eq 0 -a "$out" = "bash ${BASH_VERSINFO[0]}"

# Topology: two nodes, CPUs spread, distances as given.
run topo --nodes 2 --cpus 2 --distances "10 31,31 10" -- \
    sh -c 'cat /sys/devices/system/node/node1/distance /sys/devices/system/node/node1/cpulist'
check "2-node guest: node1 distance '31 10' and cpulist 1" \
    test "$rc" -eq 0 -a "$out" = $'31 10\n1'

# A hung guest is killed at the timeout.
run hang --timeout 5 -- sleep 600
check "hung guest killed at timeout, exit 124 (got $rc)" test "$rc" -eq 124
check "timeout: QEMU and temp dir gone" torn_down

# Bad usage is reported, not booted.
run bad --nodes 2 --distances "10 20" -- true
check "malformed --distances rejected with 125 (got $rc)" \
    test "$rc" -eq 125 -a -n "$err"

finish
