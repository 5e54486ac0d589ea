#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Make QEMU fail for real, each way `kvmtune explain` knows, and check that the
# explanation names the right cause and fix:
#   1. a hugetlbfs mount QEMU's (unprivileged) user cannot write; then apply
#      the printed fix and see the denial go away
#   2. guest RAM larger than the free 2 MiB pool (stderr alone, and a
#      libvirt-like log with the command line)
#   3. preallocation failing under a hugetlb cgroup limit (QEMU 7.2's
#      "qemu_prealloc_mem: preallocating memory failed")
#   4. 1 GiB pages on a host without them (memfd, and a missing mount path)
#   5. host-nodes naming a node that does not exist; an out-of-range one
#   6. numactl --membind with a node that does not exist
# Runs QEMU under TCG, paused (-S), with small sizes.  Restores the 2 MiB pool
# relative to what it added, unmounts, deletes the user and the cgroup.
set -euo pipefail

: "${KVMTUNE:?}" "${KVMTUNE_SRC:?}"
skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (mounts, users, hugepage pools)"
QEMU=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64"
grep -qw hugetlbfs /proc/filesystems || skip "kernel without hugetlbfs"
P2=/sys/kernel/mm/hugepages/hugepages-2048kB
[ -w $P2/nr_hugepages ] || skip "no 2 MiB hugepage pool"
command -v setpriv >/dev/null || skip "no setpriv"
command -v useradd >/dev/null || skip "no useradd"

work=$(mktemp -d /tmp/kvmtune-explain.XXXXXX)
chmod 755 "$work"
added=0
mounts=()
user=""
qpid=""
cgdir=""
cg_enabled=""
fail=0

cleanup() {
	set +e
	if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; fi
	for m in "${mounts[@]}"; do umount "$m"; done
	if [ "$added" -gt 0 ]; then
		# Relative: another test may have resized the pool meanwhile.
		cur=$(cat "$P2/nr_hugepages")
		new=$((cur - added))
		[ "$new" -ge 0 ] || new=0
		echo "$new" >"$P2/nr_hugepages"
	fi
	[ -n "$user" ] && userdel "$user" 2>/dev/null
	getent group "${user:-none}" >/dev/null && groupdel "$user"
	[ -n "$cgdir" ] && rmdir "$cgdir"
	[ -n "$cg_enabled" ] && echo "-hugetlb" >"$cg_enabled/cgroup.subtree_control"
	rm -rf "$work"
}
trap cleanup EXIT

grow_pool() { # pages
	local before after
	before=$(cat $P2/nr_hugepages)
	echo $((before + $1)) >$P2/nr_hugepages
	after=$(cat $P2/nr_hugepages)
	added=$((added + after - before))
	[ $((after - before)) -ge "$1" ] || { echo "could not grow the 2 MiB pool by $1"; return 1; }
}

mount_hp() { # dir options
	mkdir -p "$1"
	mount -t hugetlbfs -o "$2" none "$1"
	mounts+=("$1")
}

# run_qemu LOG [prefix command...] -- qemu args: QEMU must fail within 30 s.
run_qemu() {
	local out=$1
	shift
	"$@" 2>"$out" >/dev/null &
	qpid=$!
	for _ in $(seq 150); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid"
		wait "$qpid" || true
		qpid=""
		echo "QEMU did not fail within 30 s (killed by pid): $*"
		return 1
	fi
	wait "$qpid" || true
	qpid=""
	echo "--- QEMU said: $(cat "$out")"
}

Q=("$QEMU" -accel tcg -S -display none -nodefaults -machine pc -m 16 -msg timestamp=on)

# expect NAME LOG 'kvmtune explain args' PATTERN... : each PATTERN must appear.
expect() {
	local name=$1 log=$2 args=$3 out p
	shift 3
	# shellcheck disable=SC2086
	out=$("$KVMTUNE" explain $args "$log" 2>&1) || { echo "FAIL $name: explain exit $?"; echo "$out"; fail=1; return 0; }
	for p in "$@"; do
		if ! grep -qF -- "$p" <<<"$out"; then
			echo "FAIL $name: no '$p' in:"
			echo "$out"
			fail=1
			return 0
		fi
	done
	echo "ok   $name"
}

# --- 1. permission denied, as an unprivileged user -------------------------
user=kvmtq$$
useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$user"
mount_hp "$work/hp-denied" pagesize=2M,mode=0755
run_qemu "$work/1.log" setpriv --reuid="$user" --regid="$user" --init-groups -- "${Q[@]}" \
	-object memory-backend-file,id=m0,size=16M,mem-path="$work/hp-denied" -machine memory-backend=m0
grep -q "can't open backing store $work/hp-denied for guest RAM: Permission denied" "$work/1.log" ||
	{ echo "FAIL 1: unexpected QEMU error"; fail=1; }
expect permission "$work/1.log" "--user $user" "[backing-store-permission]" \
	"may not create files in '$work/hp-denied'" "chgrp $user $work/hp-denied && chmod 1770 $work/hp-denied"
# Apply the printed fix, then QEMU gets past open: it fails on the pool (ENOMEM)
# or, when another test has grown the 2 MiB pool meanwhile, it runs and is killed.
fixcmd=$("$KVMTUNE" explain --user "$user" "$work/1.log" | sed -n 's/^  fix: \(chgrp .*\)$/\1/p')
eval "$fixcmd"
run_qemu "$work/1b.log" setpriv --reuid="$user" --regid="$user" --init-groups -- "${Q[@]}" \
	-object memory-backend-file,id=m0,size=16M,mem-path="$work/hp-denied" -machine memory-backend=m0 || true
if grep -q "Permission denied" "$work/1b.log"; then
	echo "FAIL permission-fixed: still denied after '$fixcmd'"
	fail=1
else
	echo "ok   permission-fixed ($fixcmd)"
fi

# --- 2. guest RAM larger than the pool --------------------------------------
grow_pool 4
mount_hp "$work/hp2m" pagesize=2M
free=$(cat $P2/free_hugepages)
size_mib=$(((free + 8) * 2))
args=(-object "memory-backend-file,id=m0,size=${size_mib}M,mem-path=$work/hp2m,prealloc=on" -machine memory-backend=m0)
run_qemu "$work/2.log" "${Q[@]/-m/-m}" "${args[@]}"
grep -q "unable to map backing store for guest RAM: Cannot allocate memory" "$work/2.log" ||
	{ echo "FAIL 2: unexpected QEMU error"; fail=1; }
expect pool-stderr "$work/2.log" "" "[map-backing-store]" "fewer free pages than the guest's memory" \
	"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
{ echo "LC_ALL=C $QEMU ${args[*]}"; cat "$work/2.log"; } >"$work/2-libvirt.log"
expect pool-with-cmdline "$work/2-libvirt.log" "" "[map-backing-store]" \
	"needs $((size_mib / 2)) pages of 2 MiB" "> /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

# --- 3. preallocation stopped by a hugetlb cgroup limit ---------------------
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$cg2" ] && grep -qw hugetlb "$cg2/cgroup.controllers" 2>/dev/null; then
	if ! grep -qw hugetlb "$cg2/cgroup.subtree_control"; then
		echo "+hugetlb" >"$cg2/cgroup.subtree_control"
		cg_enabled=$cg2
	fi
	cgdir=$cg2/kvmtune-explain-$$
	mkdir "$cgdir"
	echo $((2 * 1024 * 1024)) >"$cgdir/hugetlb.2MB.max"
	grow_pool 8
	# shellcheck disable=SC2016 # expanded by the inner sh
	run_qemu "$work/3.log" sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cgdir" "${Q[@]}" \
		-object memory-backend-file,id=m0,size=16M,mem-path="$work/hp2m",prealloc=on -machine memory-backend=m0
	grep -qE "prealloc.*(failed|Insufficient)" "$work/3.log" || { echo "FAIL 3: unexpected QEMU error"; fail=1; }
	expect prealloc "$work/3.log" "" "[prealloc-failed]" "hugetlb cgroup limit" "hugetlb.*.max"
else
	echo "SKIP part 3 (prealloc): no cgroup2 hierarchy with the hugetlb controller"
fi

# --- 4. 1 GiB pages that the host does not have -----------------------------
if grep -qw pdpe1gb /proc/cpuinfo; then
	echo "SKIP part 4 (1 GiB): this CPU has pdpe1gb; the case is for hosts without it"
else
	run_qemu "$work/4a.log" "${Q[@]}" \
		-object memory-backend-memfd,id=m0,size=16M,hugetlb=on,hugetlbsize=1G -machine memory-backend=m0
	expect memfd-1g "$work/4a.log" "" "[memfd-hugetlb]" "1 GiB hugepages" "does not support them" \
		"hugetlbsize=2M"
	run_qemu "$work/4b.log" "${Q[@]}" \
		-object memory-backend-file,id=m0,size=16M,mem-path="$work/hugepages1G/libvirt/qemu/1-vm" \
		-machine memory-backend=m0
	expect mount-1g "$work/4b.log" "" "[backing-store-missing]" "no hugetlbfs mount for 1 GiB pages" \
		"this CPU does not support them" "2 MiB pages"
fi

# --- 5. host-nodes naming a node that does not exist ------------------------
last=$(printf '%s\n' /sys/devices/system/node/node[0-9]* | sed 's/.*node//' | sort -n | tail -1)
bad=$((last + 1))
args=(-object "memory-backend-ram,id=m0,size=16M,host-nodes=$bad,policy=bind" -machine memory-backend=m0)
run_qemu "$work/5.log" "${Q[@]}" "${args[@]}"
{ echo "$QEMU ${args[*]}"; cat "$work/5.log"; } >"$work/5-libvirt.log"
expect host-node "$work/5-libvirt.log" "" "[host-nodes-bind]" "node $bad does not exist here" \
	"host-nodes=0"
expect host-node-stderr "$work/5.log" "" "[host-nodes-bind]" "names a host node that does not exist"
run_qemu "$work/5b.log" "${Q[@]}" \
	-object memory-backend-ram,id=m0,size=16M,host-nodes=200,policy=bind -machine memory-backend=m0
expect host-node-invalid "$work/5b.log" "" "[host-nodes-invalid]" "below 128" "and 200 is not"

# --- 6. numactl with a node that does not exist -----------------------------
if command -v numactl >/dev/null; then
	numactl --membind=$bad true >/dev/null 2>"$work/6.log" || true
	expect numactl "$work/6.log" "" "[memory-policy]" "node $bad does not exist here"
fi

# --- unrecognised text -------------------------------------------------------
echo "qemu-system-x86_64: -device foo: 'foo' is not a valid device model name" >"$work/7.log"
if "$KVMTUNE" explain "$work/7.log" >"$work/7.out" 2>&1; then
	echo "FAIL unrecognised: exit 0"
	fail=1
else
	if grep -q "no QEMU or libvirt memory error recognised" "$work/7.out"; then
		echo "ok   unrecognised"
	else
		echo "FAIL unrecognised: $(cat "$work/7.out")"
		fail=1
	fi
fi
exit $fail
