#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# In a throw-away 2-node TCG guest (tests/vm/guest-run): KSM running with
# merge_across_nodes=1 gives the ksm-merge-across-nodes finding; applying the
# fix that kvmtune prints removes it.  Changes nothing on the host.
set -euo pipefail

: "${KVMTUNE:?}" "${KVMTUNE_SRC:?}"
gr=${GUEST_RUN:-$KVMTUNE_SRC/tests/vm/guest-run}
[ -x "$gr" ] || { echo "SKIP: no tests/vm/guest-run (testbed helpers not merged)"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: no qemu-system-x86_64"; exit 77; }
inner=$KVMTUNE_SRC/tests/integration/check-ksm-guest.inner
"$gr" --nodes 2 --cpus 2 --mem 512 --timeout 300 --add "$KVMTUNE" --add "$inner" -- \
	sh "$inner" "$KVMTUNE"
