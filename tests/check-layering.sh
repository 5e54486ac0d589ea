#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# util <- core <- run <- cli, daemon: fail when a lower layer includes a higher one,
# when cli and daemon include each other, or when code outside core/host.c
# opens host paths directly.
set -uo pipefail
src="${KVMTUNE_SRC:-$(dirname "$0")/..}/src"
fail=0
check() { # dir pattern message
    if out=$(grep -rnE "$2" "$src/$1" 2>/dev/null); then
        echo "layering: $3:"; echo "$out"; fail=1
    fi
}
check util '#include "(core|run|cli|daemon)/' "util includes a higher layer"
check core '#include "(run|cli|daemon)/' "core includes run, cli or daemon"
check run '#include "(cli|daemon)/' "run includes cli or daemon"
check cli '#include "daemon/' "cli includes daemon"
[ -d "$src/daemon" ] && check daemon '#include "cli/' "daemon includes cli"
# Host paths are opened only through the host seam.
if out=$(grep -rnE '\b(open|fopen|opendir|openat)\s*\(\s*"/(sys|proc|etc|dev|run)' "$src" | grep -v 'core/host.c'); then
    echo "layering: host path opened outside core/host.c:"; echo "$out"; fail=1
fi
# core and util never print, exit or abort: they return -errno with a diag
# (util/xalloc.c's out-of-memory abort is the one documented exception).
if out=$(grep -rnE '\b(printf|fprintf|vfprintf|puts|fputs|putchar|perror|exit|_exit|abort|err|errx|warn|warnx)\s*\(' \
    "$src/core" "$src/util" | grep -v 'util/xalloc.c' | grep -vE ':\s*(/?\*|//)'); then
    echo "layering: core or util prints, exits or aborts:"; echo "$out"; fail=1
fi
if [ $fail -eq 0 ]; then echo "ok - layering"; fi
exit $fail
