#!/bin/sh
# Fetches the current Debian cloud kernel .deb with apt-get download (the
# package linux-image-cloud-amd64 depends on) into DIR, and points
# DIR/linux-image-cloud-amd64.deb at it, where the example specs look.
set -eu
dir=${1:-build/kernel}
link="$dir/linux-image-cloud-amd64.deb"
if [ -e "$link" ] && [ -z "${KILN_REFRESH_KERNEL:-}" ]; then
	exit 0
fi
mkdir -p "$dir"
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -q
	pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
fi
if [ -z "$pkg" ]; then
	echo "cannot resolve linux-image-cloud-amd64; run apt-get update (as root) and retry" >&2
	exit 1
fi
echo "==> apt-get download $pkg"
# apt-get download writes into the working directory.
(cd "$dir" && apt-get download "$pkg")
deb=$(cd "$dir" && ls -t "$pkg"_*.deb | head -n1)
ln -sfn "$deb" "$link"
echo "kernel: $link -> $deb"
