#!/bin/sh
# Installs the host tools Kiln's builds and tests use, from Debian's
# packages, when they are missing. Needs root to install; otherwise it
# says what to install.
set -eu
need=""
check() { command -v "$1" >/dev/null 2>&1 || need="$need $2"; }
check qemu-system-x86_64 qemu-system-x86
check cpio cpio
check zstd zstd
check dpkg-deb dpkg
check ip iproute2
check losetup mount
check dnsmasq dnsmasq-base
check mkfs.vfat dosfstools
check mcopy mtools
check chronyd chrony
[ -e /usr/share/OVMF/OVMF_CODE.fd ] || need="$need ovmf"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$need; install them with: sudo apt-get install$need" >&2
	exit 1
fi
echo "==> apt-get install$need"
apt-get update -q
# Tests start chronyd and dnsmasq themselves inside network namespaces;
# keep the packages' own services from starting (and reaching out).
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need
