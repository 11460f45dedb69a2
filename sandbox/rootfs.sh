#!/bin/sh
# The offline image's base: a Debian bookworm root filesystem made from Debian packages only
# (no container registry), with Debian's python3.11, valgrind and perf. `effbench sandbox build
# --offline` runs this as root, tars the result and `docker import`s it; sandbox/Dockerfile.offline
# then adds the runner. The package list is the same as sandbox/Dockerfile's, so both builds hold
# the same interpreter and libc as a Debian 12 host with `apt-get install python3.11`.
#
# usage: rootfs.sh TARGET_DIR [MIRROR [CACHE_DIR]]
set -eu
target=$1
mirror=${2:-http://deb.debian.org/debian}
cache=${3:-}
security=${EFFBENCH_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
packages=python3.11,valgrind,linux-perf

cache_opt=""
if [ -n "$cache" ]; then
  mkdir -p "$cache"
  cache_opt="--cache-dir=$cache"
fi
# shellcheck disable=SC2086
debootstrap --variant=minbase --include="$packages" $cache_opt bookworm "$target" "$mirror"

# the current point release and security updates, as on an up-to-date host
cat > "$target/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
if [ -n "$cache" ]; then cp "$cache"/*.deb "$target/var/cache/apt/archives/" 2>/dev/null || true; fi
chroot "$target" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -qq && apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade'

if [ -n "$cache" ]; then cp -n "$target"/var/cache/apt/archives/*.deb "$cache/" 2>/dev/null || true; fi

# nothing the sandbox needs: package lists and downloaded archives
rm -rf "$target"/var/lib/apt/lists/* "$target"/var/cache/apt/*.bin "$target"/var/cache/apt/archives/*.deb
