#!/usr/bin/env bash
# Installs what jweave needs on Debian, only when something is missing.
#   install-prereqs.sh build   - JDK 17 and Maven (to build and run jweave)
#   install-prereqs.sh tests   - plus everything the test suite uses (docker.io, iproute2, ...)
set -euo pipefail
what="${1:-build}"

missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

need_cmd java openjdk-17-jdk-headless
need_cmd javac openjdk-17-jdk-headless
need_cmd mvn maven
need_cmd ip iproute2
need_cmd flock util-linux
# libpcap: the router's `jweave capture` (pcap4j loads it at run time), and the router image built by `jweave image`
[[ -e /usr/lib/x86_64-linux-gnu/libpcap.so.0.8 ]] || missing+=(libpcap0.8)
if [[ "$what" == tests ]]; then
  need_cmd bridge iproute2
  need_cmd dockerd docker.io
  need_cmd docker-compose docker-compose
  need_cmd iperf3 iperf3
  need_cmd dig dnsutils
  [[ -x /usr/sbin/dnsmasq ]] || missing+=(dnsmasq-base)   # upstream resolver of the DNS tests (no service; run in a test netns)
  need_cmd dnsperf dnsperf        # ./jweave bench dns, dns-core
  [[ -x /usr/bin/python3 ]] || missing+=(python3-minimal)   # malformed DNS packets in MultiHostDnsTest
  need_cmd jq jq
  need_cmd iptables iptables
  need_cmd nft nftables           # observer of netlink-ffi's NftablesTest
  need_cmd ping iputils-ping
  need_cmd unshare util-linux
  [[ -x /bin/busybox ]] || missing+=(busybox-static)
  need_cmd tcpdump tcpdump        # reads what jweave capture writes, in CaptureTest and capture's tests
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)               # the topology page's browser tests (ui)
  [[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
  [[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)   # text in the page's screenshots
fi

if ((${#missing[@]})); then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [[ $EUID -ne 0 ]]; then
    echo "jweave: missing packages: $pkgs; run as root (or: sudo apt-get install $pkgs)" >&2
    exit 1
  fi
  echo "jweave: installing $pkgs" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || true
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $pkgs >&2
fi

if [[ "$what" == tests ]]; then
  # bridge/veth/vxlan are modules on some kernels; load them if they are not built in.
  for m in bridge veth vxlan tun; do modprobe -q "$m" 2>/dev/null || true; done
fi
