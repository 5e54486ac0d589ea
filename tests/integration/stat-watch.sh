#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 'kvmtune stat --interval/--count' on live processes: N samples as N JSON
# lines with rising times and the held memory in each; SIGTERM during the
# pause ends the watch at once with status 0; a watched process that exits
# ends the watch with status 1 and a message naming it.
# shellcheck disable=SC2016 # eval strings are single-quoted on purpose
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_kvmtune
require_cmd jq
KVMTUNE_BIN=$(kvmtune_path)
MEMHOLD=${KVMTUNE_MEMHOLD:-$(dirname "$KVMTUNE_BIN")/tests/memhold}
[[ -x "$MEMHOLD" ]] || skip_all "memhold helper not built ($MEMHOLD)"

work=$(mktemp -d "${TMPDIR:-/tmp}/stat-watch.XXXXXX")
at_exit "rm -rf '$work'"

# start_memhold MiB: a process holding MiB of touched anonymous memory; sets MH
start_memhold() {
    "$MEMHOLD" --anon "$1" >"$work/mh.$1" &
    MH=$!
    at_exit "kill $MH 2>/dev/null || true; wait $MH 2>/dev/null || true"
    for _ in $(seq 100); do grep -q ready "$work/mh.$1" && return 0; sleep 0.05; done
    bail "memhold did not get ready"
}

start_memhold 16
"$KVMTUNE_BIN" stat --json --count 3 --interval 0.2 "$MH" >"$work/lines"
diag "$(jq -c '[.time, .processes[0].pid, .processes[0].total_kib]' "$work/lines")"
check "--count 3: three JSON lines" test "$(wc -l <"$work/lines")" -eq 3
check "each sample holds the 16 MiB memhold touched" \
    test "$(jq -s '[.[] | .processes[0].total_kib >= 16384] | all' "$work/lines")" = true
check "sample times do not go backwards" \
    test "$(jq -s '[.[].time] | . == sort' "$work/lines")" = true

# SIGTERM while the watch pauses: ends now, status 0, one sample printed
"$KVMTUNE_BIN" stat --interval 30 "$MH" >"$work/watch.out" 2>"$work/watch.err" &
w=$!
at_exit "kill $w 2>/dev/null || true"
for _ in $(seq 100); do grep -q "^# " "$work/watch.out" && break; sleep 0.05; done
t0=$(date +%s%N)
kill -TERM "$w"
rc=0
wait "$w" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "SIGTERM ends the watch with status 0 (rc $rc, ${ms} ms)" test "$rc" -eq 0
check "... within a second, not after the 30 s pause" test "$ms" -lt 1000
check "... after one whole sample (a '# TIME' line and a table)" \
    eval 'test "$(grep -c "^# " "$work/watch.out")" -eq 1 && grep -q "^Total" "$work/watch.out"'

# the watched process exits: the watch ends with 1 and says which
"$KVMTUNE_BIN" stat --json --interval 0.1 "$MH" >"$work/gone.out" 2>"$work/gone.err" &
w=$!
at_exit "kill $w 2>/dev/null || true"
for _ in $(seq 100); do [[ -s "$work/gone.out" ]] && break; sleep 0.05; done
kill "$MH"
wait "$MH" 2>/dev/null || true
rc=0
wait "$w" || rc=$?
diag "stderr: $(cat "$work/gone.err")"
check "a watched process that exits ends the watch with status 1 (rc $rc)" test "$rc" -eq 1
check "... and the message names it" grep -q "$MH" "$work/gone.err"
finish
