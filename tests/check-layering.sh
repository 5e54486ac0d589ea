#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# util <- core <- place <- run; profile, bench beside place <- cli, daemon: fail when a lower
# layer includes a higher one (place, profile and bench are siblings: none includes another),
# when cli and daemon include each other (cli reaches the daemon through the
# declaration-only core/daemon-entry.h), when the daemon includes bench or run, or when code outside core/host.c
# opens host paths directly.
set -uo pipefail
src="${KVMTUNE_SRC:-$(dirname "$0")/..}/src"
fail=0
check() { # dir pattern message
    if out=$(grep -rnE "$2" "$src/$1" 2>/dev/null); then
        echo "layering: $3:"; echo "$out"; fail=1
    fi
}
check util '#include "(core|place|profile|run|bench|cli|daemon)/' "util includes a higher layer"
check core '#include "(place|profile|run|bench|cli|daemon)/' "core includes place, profile, run, bench, cli or daemon"
check place '#include "(profile|run|bench|cli|daemon)/' "place includes profile, run, bench, cli or daemon"
check run '#include "(profile|bench|cli|daemon)/' "run includes profile, bench, cli or daemon"
check profile '#include "(place|run|bench|cli|daemon)/' "profile includes place, run, bench, cli or daemon"
check bench '#include "(place|profile|run|cli|daemon)/' "bench includes place, profile, run, cli or daemon"
check cli '#include "daemon/' "cli includes daemon"
[ -d "$src/daemon" ] && check daemon '#include "(cli|bench|run)/' "daemon includes cli, bench or run"
# core/daemon-entry.h only declares: core never calls into the daemon.
if out=$(grep -rnE '\b(daemon_cmd_main|numad_cmd_main)\s*\(' "$src/core" "$src/place" "$src/util" "$src/bench" "$src/run" 2>/dev/null | grep -v 'core/daemon-entry.h'); then
    echo "layering: a lower layer calls the daemon:"; echo "$out"; fail=1
fi
# Host paths are opened only through the host seam.
if out=$(grep -rnE '\b(open|fopen|opendir|openat)\s*\(\s*"/(sys|proc|etc|dev|run)' "$src" | grep -v 'core/host.c'); then
    echo "layering: host path opened outside core/host.c:"; echo "$out"; fail=1
fi
# core, util, place, profile, bench and run never print, exit or abort: they return -errno
# with a diag (util/xalloc.c's out-of-memory abort and the _exit(127) of run's
# forked child when exec fails, and the _exit of topology.c's child that test-loads an
# hwloc XML file, are the documented exceptions).
if out=$(grep -rnE '\b(printf|fprintf|vfprintf|puts|fputs|putchar|perror|exit|_exit|abort|err|errx|warn|warnx)\s*\(' \
    "$src/core" "$src/util" "$src/place" "$src/profile" "$src/bench" "$src/run" 2>/dev/null | grep -v 'util/xalloc.c' |
    grep -vE 'run/run-launch.c:[0-9]+:\s*_exit\(127\);' |
    grep -vE 'core/topology.c:[0-9]+:\s*_exit\(r < 0 \? 3 : 0\);' | grep -vE ':\s*(/?\*|//)'); then
    echo "layering: core, util, place, profile, bench or run prints, exits or aborts:"; echo "$out"; fail=1
fi
if [ $fail -eq 0 ]; then echo "ok - layering"; fi
exit $fail
