#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# deb-install: the Debian package, built from this checkout with
# 'dpkg-buildpackage -us -uc -b', installs into a clean Debian 12 root
# (debootstrap --variant=minbase, plus man-db, systemd, bash-completion and
# the libraries the package needs; cached as a tarball in ~/.cache/kvmtune:
# the first debootstrap took 7 min on the loaded 2-CPU machine) and works
# there: dpkg configures it, 'kvmtune status' reads the host, 'man kvmtune'
# shows the page, the bash completion offers the host's nodes, 'systemd-analyze
# verify' accepts the units, the libvirt hook does nothing until enabled in
# /etc/default/kvmtune and then plans a reservation; removing it leaves the
# conffiles, purging removes them.  A plain 'meson install' installs the
# same files as the package.  The root runs in a private mount
# namespace with the host's /proc, /dev and a read-only /sys.
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_cmd dpkg-buildpackage dh debootstrap unshare tar gzip flock
# what the package needs, what the checks run (man, systemd-analyze, bash completion)
ROOT_PACKAGES=libnuma1,libhwloc15,libxml2,man-db,systemd,bash-completion
MIRROR=${KVMTUNE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kvmtune
root_tar=$cache/debian12-minbase-$(sha1sum <<<"$ROOT_PACKAGES $MIRROR" | cut -c1-12).tar.gz

work=$(mktemp -d "${TMPDIR:-/tmp}/deb-install.XXXXXX")
at_exit "rm -rf '$work'"

# --- the package, from the files of this checkout (tests aside; bench/ is part of the build)
t0=$SECONDS
mkdir -p "$work/build/kvmtune"
if git -C "$REPO_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$REPO_ROOT" ls-files -z --cached --others --exclude-standard |
        grep -zv -e '^tests/' -e '^bench/results/' |
        (cd "$REPO_ROOT" && xargs -0 cp --parents -t "$work/build/kvmtune")
else
    (cd "$REPO_ROOT" && tar --exclude=./tests --exclude=./bench/results --exclude=./build\* -cf - .) |
        tar -xf - -C "$work/build/kvmtune"
fi
rc=0
(cd "$work/build/kvmtune" && DEB_BUILD_OPTIONS="noddebs parallel=2" \
    dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || rc=$?
deb=$(find "$work/build" -maxdepth 1 -name 'kvmtune_*_*.deb' | head -n 1)
diag "dpkg-buildpackage: $((SECONDS - t0)) s"
check "dpkg-buildpackage -us -uc -b built a .deb (exit $rc)" test "$rc" -eq 0 -a -n "$deb"
[[ $rc -eq 0 && -n "$deb" ]] || { diag "$(tail -n 20 "$work/build.log")"; finish; }
check "the package has no build warnings" test "$(grep -c 'warning:' "$work/build.log")" -eq 0

# --- 'meson install' (a plain setup, --prefix /usr) installs the same files:
# the package's list without debhelper's /usr/share/doc, man pages unzipped,
# Debian 12's /lib for the units
t0=$SECONDS
rc=0
meson setup "$work/plain" "$work/build/kvmtune" --prefix /usr -Dtests=disabled \
    >"$work/plain.log" 2>&1 || rc=$?
check "meson setup of a plain build (exit $rc)" test "$rc" -eq 0
meson introspect "$work/plain" --installed 2>/dev/null |
    python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin).values())))' \
        >"$work/meson.list" || true
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' |
    sed -e '\|^/usr/share/doc/|d' -e 's|\.gz$||' -e 's|^/lib/systemd/|/usr/lib/systemd/|' |
    sort >"$work/deb.list"
missing=$(comm -3 "$work/deb.list" "$work/meson.list" | tr -s '\t\n' '  ')
diag "meson install vs the package: $((SECONDS - t0)) s"
check "meson install installs the package's $(wc -l <"$work/deb.list") files (differences: ${missing:-none})" \
    test -s "$work/meson.list" -a -z "$missing"

# --- a clean Debian 12 root, cached
t0=$SECONDS
mkdir -p "$cache"
(
    flock 9
    if [[ ! -s "$root_tar" ]]; then
        debootstrap --variant=minbase --include="$ROOT_PACKAGES" bookworm "$work/boot" "$MIRROR" \
            >"$work/debootstrap.log" 2>&1 || exit 3
        rm -rf "$work/boot/var/cache/apt/archives"/*.deb
        tar -C "$work/boot" -czf "$root_tar.tmp" . && mv "$root_tar.tmp" "$root_tar"
        rm -rf "${work:?}/boot"
    fi
) 9>"$cache/debian12-minbase.lock" || {
    rc=$?
    [[ $rc -eq 3 ]] && skip_all "debootstrap of Debian 12 failed (no network to $MIRROR?): $(tail -n 1 "$work/debootstrap.log")"
    bail "preparing the Debian 12 root failed (exit $rc)"
}
mkdir "$work/root"
tar -C "$work/root" -xzf "$root_tar"
diag "clean Debian 12 root ready in $((SECONDS - t0)) s ($(du -sh "$root_tar" | cut -f1) tarball)"
cp "$deb" "$work/root/tmp/kvmtune.deb"

cat >"$work/root/tmp/inside.sh" <<'INSIDE'
#!/bin/bash
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
r() { # KEY CMD...: KEY, the exit status, the output on one line
    local out rc=0
    out=$("${@:2}" 2>&1) || rc=$?
    printf '%s %s %s\n' "$1" "$rc" "$(printf '%s' "$out" | tr '\n' '|' | cut -c1-600)"
}
r install dpkg -i /tmp/kvmtune.deb
r status_pkg dpkg-query -W -f '${Status}' kvmtune
r status kvmtune status
r man env MANPAGER=cat MANWIDTH=80 man kvmtune
r completion bash -c 'source /usr/share/bash-completion/completions/kvmtune
    COMP_WORDS=(kvmtune run --nodes ""); COMP_CWORD=3; _kvmtune; echo "${COMPREPLY[*]}"'
r nodes kvmtune complete nodes
r units sh -c 'cd /lib/systemd/system && ls kvmtune*.service'
r verify sh -c 'systemd-analyze verify /lib/systemd/system/kvmtune*.service'
dom="<domain type='qemu'><name>pkgtest</name><memory unit='MiB'>64</memory>
<memoryBacking><hugepages/></memoryBacking><numatune><memory mode='strict' nodeset='0'/></numatune>
<os><type arch='x86_64'>hvm</type></os></domain>"
r hook_off sh -c 'echo "$1" | /etc/libvirt/hooks/qemu.d/kvmtune pkgtest prepare begin -' _ "$dom"
sed -i 's/^KVMTUNE_LIBVIRT_HOOK=.*/KVMTUNE_LIBVIRT_HOOK=yes/; s/^KVMTUNE_HOOK_OPTIONS=.*/KVMTUNE_HOOK_OPTIONS="--dry-run --keep-free 0"/' /etc/default/kvmtune
r hook_on sh -c 'echo "$1" | /etc/libvirt/hooks/qemu.d/kvmtune pkgtest prepare begin -' _ "$dom"
# present FILE...: "present" or "absent" for each file, in order
present() {
    local f
    for f; do [[ -e "$f" ]] && printf 'present ' || printf 'absent '; done
}
r remove dpkg -r kvmtune
r after_remove present /usr/bin/kvmtune /etc/default/kvmtune /etc/libvirt/hooks/qemu.d/kvmtune
r purge dpkg -P kvmtune
r after_purge present /etc/default/kvmtune /etc/libvirt/hooks/qemu.d/kvmtune
INSIDE
chmod +x "$work/root/tmp/inside.sh"

t0=$SECONDS
rc=0
unshare -m --propagation private -- sh -c '
    set -e
    root=$1
    mount -t proc proc "$root/proc"
    mount --bind /sys "$root/sys"
    mount -o remount,bind,ro "$root/sys"
    mount --bind /dev "$root/dev"
    chroot "$root" /tmp/inside.sh' _ "$work/root" >"$work/out" 2>"$work/err" || rc=$?
diag "checks in the root: $((SECONDS - t0)) s"
check "the root ran the checks (exit $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag "$(tail -n 5 "$work/err")"
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$work/out"; }
diag "$(cut -c1-300 "$work/out")"

check "dpkg -i configures it in the clean root" \
    test "$(val install | cut -d' ' -f1) $(val status_pkg)" = "0 0 install ok installed"
check "kvmtune status works there" grep -q '^0 .*node' <<<"$(val status)"
check "man kvmtune shows the page" grep -q '^0 .*KVMTUNE(1).*NAME|.*kvmtune' <<<"$(val man)"
nodes=$(val nodes | cut -d' ' -f2- | tr '|' ' ' | sed 's/ *$//')
check "the completion offers the host's nodes ($nodes)" test "$(val completion)" = "0 $nodes"
# every unit the package ships (the boot-pool unit and the daemon's)
units=$(val units | cut -d' ' -f2- | tr '|' ' ')
check "the package ships kvmtune-hugepages.service ($units)" grep -qw kvmtune-hugepages.service <<<"$units"
check "the package ships kvmtune-daemon.service ($units)" grep -qw kvmtune-daemon.service <<<"$units"
check "systemd-analyze verify accepts them ($(val verify))" test "$(val verify)" = 0
check "the hook does nothing until enabled ($(val hook_off))" test "$(val hook_off)" = 0
check "enabled, the hook plans the domain's 32 pages on node 0" \
    grep -q "reserve 32 x 2M for 'pkgtest'" <<<"$(val hook_on)"
check "dpkg -r removes the binary, keeps the conffiles ($(val after_remove))" \
    test "$(val remove | cut -d' ' -f1) $(val after_remove)" = "0 0 absent present present"
check "dpkg -P removes the conffiles ($(val after_purge))" \
    test "$(val purge | cut -d' ' -f1) $(val after_purge)" = "0 0 absent absent"
finish
