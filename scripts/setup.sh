#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent: when everything is installed it changes nothing and needs no
# network; otherwise it runs `apt-get update` once and installs what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang-14 libclang-rt-14-dev          # libFuzzer and the sanitizers for the fuzz preset
  libgtest-dev libgmock-dev            # unit tests
  libbenchmark-dev libosip2-dev        # benchmarks; osip2 is the reference parser there only
  libasio-dev libssl-dev openssl       # transports: asio event loop, TLS
  libcli11-dev libspdlog-dev           # p2psipd's command line and log
  libsystemd-dev                       # sd_notify: p2psipd as a Type=notify service
  libtoml11-dev nlohmann-json3-dev     # p2psipd's configuration file; the ops API's JSON
  libopendht-dev libmsgpack-cxx-dev    # the overlay: OpenDHT, and msgpack for our records
  sip-tester baresip-core python3      # interop tests: sipp and baresip peers, their drivers
  iproute2 procps                      # ss: the tests wait for ports; pkill: they stop sipp's children
  kamailio                             # the reference proxy of the proxy benchmark; the public
                                       # network's registrar and proxy in tests/interwork
  libc-ares-dev libldns-dev            # dns/: RFC 3263 resolution; UPDATE packets with TSIG
  bind9 bind9-dnsutils util-linux      # named, dig, nsupdate, tsig-keygen for the DNS tests;
                                       # unshare for Kamailio's resolv.conf
  coturn nftables                      # turnserver for the relay tests; the NATs of tests/relay
  prometheus python3-prometheus-client  # promtool and a Prometheus parser read /metrics in tests
  chromium chromium-driver python3-selenium  # the dashboard's test drives a headless browser
  systemd adduser file                 # the package test: systemd-analyze verify; postinst's user;
                                       # file, which cpack's dpkg-shlibdeps step needs
  clang-format
)

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
