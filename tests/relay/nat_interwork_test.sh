#!/usr/bin/env bash
# An overlay phone behind a NAT calls a conventional phone of the public SIP
# network, and is called by it, through a proxy peer (interwork 5.2, 5.3),
# with its media through the overlay's TURN relay:
#
#   nat_interwork_test.sh P2PSIPD P2PSIP OVERLAY_LIB [CASE...]
#
# (tests/relay/CMakeLists.txt runs the default cases, outbound then
# inbound, as relay.nat_interwork.) The world, in network namespaces p2p-nip-<pid>-*
# (tests/relay/nat_network.sh with its own prefix, so that it never meets
# relay.nat's p2p-nat-*):
#   public 203.0.113.0/24  node 1 .11 (p2psipd, roles peer, registrar, proxy,
#                          proxy-peer pp1.p2psip.test, relay for relay 1;
#                          Get Relay on .11:8443), node 2 .12 (peer,
#                          registrar, proxy; Get Relay on .12:8443), relay 1
#                          .21 (coturn, TURN REST credentials, realm
#                          p2psip.test), BIND9 .53 (example.test, and the
#                          zone p2psip.test the proxy peer updates with
#                          TSIG), Kamailio .20 (example.test's registrar and
#                          proxy), all in the namespace "pub"
#                          (tests/relay/interwork_public.sh starts BIND9 and
#                          Kamailio there with tests/interwork's
#                          public_network.sh)
#   carol  203.0.113.30    carol's baresip, a namespace of its own on the
#                          public segment: sip:carol@example.test registered
#                          at Kamailio, no TURN server (a conventional
#                          phone); ICE with host candidates only, or none
#                          (P2PSIP_CAROL_ICE=0: no medianat)
#   home 2 192.168.2.0/24  alice's baresip at .10, behind the symmetric-like
#                          NAT (outside .3), sip:alice@p2psip.test registered
#                          at node 2, her account (ICE, the TURN server and
#                          its credential) from node 2's Get Relay:
#                          `p2psip account ... --format baresip`, run in her
#                          home
# (home 1 exists too, empty: nat_setup makes both.)
#
# Cases (tests/relay/CMakeLists.txt runs outbound and inbound):
#   outbound  [5.2] alice calls sip:carol@example.test: node 2 -> proxy peer
#             (node 1) -> DNS (NAPTR/SRV/A of example.test) -> Kamailio ->
#             carol, who answers by herself; alice hangs up. Checked: the
#             call is answered and ends, carol's INVITE came from Kamailio
#             with the proxy peer's Record-Route <sip:p2psip.test;lr>, alice
#             allocated on relay 1 with her Get Relay credential, RTP flows
#             at least one way. Reported: which way, and what relay 1
#             relayed. baresip 1.0 at both ends gets RTP one way only here
#             (why: above case_outbound); P2PSIP_INTERWORK_STRICT=1 demands
#             both ways through relay 1 (it fails today).
#   inbound   [5.3] carol calls sip:alice@p2psip.test: Kamailio finds the
#             proxy peer by the NAPTR/SRV/A it published (its log: "sent
#             INVITE sip:alice@p2psip.test... to 203.0.113.11:5060") ->
#             node 2 -> alice, who answers by herself; carol hangs up.
#             Checked: both phones' RTP counts both ways (baresip_ctrl.py),
#             alice's INVITE came from node 2, carol's ICE selected alice's
#             relayed candidate and carol's RTP came from alice's relayed
#             address, and relay 1's log counts at least 50 packets each way
#             on alice's allocations (peer usage rp and sp).
#   idle      inbound after alice's SIP flow idled 40 s, past her NAT's UDP
#             timeout (30 s): her account from `p2psip account` has RFC 5626
#             outbound (sipnat=outbound), so baresip keeps the NAT binding
#             with STUN keep-alives on the SIP flow, which the node answers;
#             without them her registration would point at a binding gone.
# Knobs: P2PSIP_CAROL_ICE=0 (carol without ICE), P2PSIP_INTERWORK_STRICT=1.
# Run as root; exits 77 (skipped) without root or a tool. Every process is
# started in a namespace of this run and killed, and the namespaces
# deleted, on exit, pass or fail (those of a run killed with SIGKILL, by
# the next run). P2PSIP_KEEP_WORK=1 keeps the work directory.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

p2psipd=${1:?usage: nat_interwork_test.sh P2PSIPD P2PSIP OVERLAY_LIB [CASE...]}
p2psip=${2:?}
overlay_lib=${3:?}
shift 3
cases=("$@")
[ "${#cases[@]}" -gt 0 ] || cases=(outbound inbound idle)
here=$(cd "$(dirname "$0")" && pwd)
name=relay.nat_interwork
# shellcheck source=relay_world.sh
source "$here/relay_world.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "$name: skipped, it needs root (network namespaces, nftables, BIND9 on port 53)"
  exit 77
fi
relay_require ip nft turnserver baresip openssl python3 stdbuf ss named named-checkconf tsig-keygen \
  kamailio dig unshare

# shellcheck source=nat_network.sh
source "$here/nat_network.sh"
nat_prefix=p2p-nip-$nat_id-  # not relay.nat's p2p-nat-: the two may run at once
# shellcheck source=../lib/baresip_phone.sh
source "$here/../lib/baresip_phone.sh"

net=$nat_pub_net
node_addrs=("$net.11" "$net.12")
relay_addr=$net.21
kamailio_addr=$net.20
dns_addr=$net.53 # public_network.sh's pn_dns for P2PSIP_PUBLIC_NET=$net
carol_addr=$net.30
alice_addr=$nat_h2_addr
alice_node=${node_addrs[1]}
nat_pub_addrs=("${node_addrs[@]}" "$relay_addr" "$kamailio_addr")
# shellcheck disable=SC2034  # read by local_overlay.sh
overlay_addrs=("${node_addrs[@]}")
# shellcheck source=/dev/null
source "$overlay_lib"

turn_port=3478
turn_secret=$(openssl rand -hex 24) # coturn's static-auth-secret, this run only
phone_ctrl=4444                     # ctrl_tcp, on each phone's address
call_timeout=60                     # the most one checked call may take
carol_ice=${P2PSIP_CAROL_ICE:-1}
pp_publish_s=20   # the proxy peer's records are in the zone within this
relay_publish_s=20 # node 2 lists relay 1 within this

relay_server_logs=(turn1/turn.log public/named/named.log "public/kamailio-*/log")
relay_world_init

# A host of the public segment in a namespace NAME of its own (carol's
# phone): veth eth0 there, its other end on the public bridge, ADDR/24.
add_public_host() { # NAME ADDR
  local ns pub
  ns=$(nat_ns "$1")
  pub=$(nat_ns pub)
  nat_add_ns "$1" || return 1
  ip -n "$ns" link add eth0 type veth peer name "$1" netns "$pub" &&
    ip -n "$pub" link set "$1" master br0 && ip -n "$pub" link set "$1" up &&
    ip -n "$ns" addr add "$2/24" dev eth0 && ip -n "$ns" link set eth0 up &&
    ip -n "$ns" route add default dev eth0 || return 1
  nat_reaches "$1" "${node_addrs[0]}" 5
}

dig_pub() { # NAME TYPE: as public_network.sh's dig_zone, from the public segment
  nat_exec pub dig @"$dns_addr" -p 53 +short +norecurse +time=1 +tries=2 "$1" "$2"
}

# -- the public network, the relay, the overlay --------------------------------

start_public() {
  local t
  t=$(date +%s%N)
  nat_exec pub bash "$here/interwork_public.sh" "$work/public" "$net" "$kamailio_addr" \
    >"$work/public.out" 2>&1 || fail "BIND9 or Kamailio did not start: $(cat "$work/public.out")"
  say "BIND9 on $dns_addr:53 and Kamailio (example.test) on $kamailio_addr:5060 ($(ms_since "$t") ms);" \
    "example.test's targets: $(dig_pub _sip._udp.example.test SRV | oneline)"
}

# coturn on $relay_addr: as relay.nat's relays (relay_world.sh's
# coturn_start; private peers allowed, see nat_relay_test.sh), verbose log
# $work/turn1/turn.log.
start_relay() {
  coturn_start 1 "$relay_addr" ||
    fail "coturn does not listen on $relay_addr:$turn_port within 10 s"
  say "relay 1: coturn on $relay_addr:$turn_port (pid ${relay_pid[1]})"
}

# Node 1: proxy peer pp1 (TSIG key pp1 of the zone p2psip.test) and relay
# peer for relay 1; nodes 1 and 2 hand out TURN credentials (Get Relay).
configure_nodes() {
  local d1=$work/overlay/node1 i d
  sed -i 's/^roles = .*/roles = ["peer", "registrar", "proxy", "proxy-peer", "relay"]/' "$d1/p2psipd.toml"
  (umask 077 && cp "$work/public/pp1.key" "$d1/tsig.key")
  cat >>"$d1/p2psipd.toml" <<TOML

[proxy_peer]
name = "pp1.p2psip.test"

[dns]
servers = ["$dns_addr:53"]
update_server = "$dns_addr:53"
zone = "p2psip.test"
tsig_key = "tsig.key"
ttl = 5

[relay]
servers = ["turn:$relay_addr:$turn_port?transport=udp"]
check_every = 2
TOML
  for i in 1 2; do
    d=$work/overlay/node$i
    (umask 077 && printf '%s\n' "$turn_secret" >"$d/turn.secret")
    cat >>"$d/p2psipd.toml" <<TOML

[relays]
secret = "turn.secret"
listen = "${node_addrs[i - 1]}:8443"
TOML
  done
}

start_overlay() {
  relay_overlay_create
  configure_nodes
  overlay_start 1 || fail "node 1 did not start"
  overlay_start 2 || fail "node 2 did not start"
  overlay_wait_joined 2 1 1 10 || fail "node 2 has no good overlay node after 10 s"
  say "overlay: node 1 ${node_addrs[0]} (proxy peer, relay), node 2 ${node_addrs[1]}"
}

# The proxy peer's records: what Kamailio will resolve p2psip.test with.
wait_published() {
  local t srv targets
  t=$(date +%s%N)
  for _ in $(seq $((pp_publish_s * 5))); do
    srv=$(dig_pub _sip._udp.p2psip.test SRV | oneline)
    [[ $srv == *pp1.p2psip.test.* ]] && break
    sleep 0.2
  done
  [[ $srv == *pp1.p2psip.test.* ]] ||
    fail "the proxy peer is not in the zone after $pp_publish_s s: _sip._udp.p2psip.test SRV \"$srv\""
  targets="NAPTR $(dig_pub p2psip.test NAPTR | oneline); SRV $srv; A $(dig_pub pp1.p2psip.test A | oneline)"
  [ "$(dig_pub pp1.p2psip.test A)" = "${node_addrs[0]}" ] ||
    fail "pp1.p2psip.test A is not ${node_addrs[0]}: $targets"
  say "p2psip.test in DNS after $(ms_since "$t") ms: $targets"
}

# Node 2 (alice's) knows relay 1 from the overlay: `p2psip relays` lists it.
wait_relay_known() {
  local t out=
  t=$(date +%s%N)
  for _ in $(seq $((relay_publish_s * 5))); do
    out=$(timeout 5 "$work/bin/p2psip" relays --api "$alice_node:8060" 2>&1 || true)
    grep -qF "turn:$relay_addr:$turn_port" <<<"$out" && break
    sleep 0.2
  done
  grep -qF "turn:$relay_addr:$turn_port" <<<"$out" ||
    fail "node 2 does not list relay 1 after $relay_publish_s s: $(oneline <<<"$out")"
  say "node 2 lists relay 1 after $(ms_since "$t") ms: $(head -n 1 <<<"$out")"
}

# -- the phones -----------------------------------------------------------------

# alice, in home 2, provisioned as a phone would be: `p2psip account` asks
# node 2's Get Relay (HTTPS, her password) from her home, through the NAT,
# and prints her baresip accounts line (ICE, TURN server and credential).
start_alice() { # ANSWERMODE RUN
  local line
  line=$(nat_exec h2 env P2PSIP_PASSWORD=alice-secret timeout 15 "$p2psip" account alice \
    --domain p2psip.test --node "$alice_node" --get-relay "$alice_node:8443" \
    --ca "$work/overlay/ca/ca.crt" --format baresip 2>"$work/account-$2.err") ||
    fail "alice: p2psip account failed: $(cat "$work/account-$2.err")"
  [[ $line == *"medianat=ice"* && $line == *"stunserver=\"turn:$relay_addr:$turn_port"* ]] ||
    fail "alice: her account line has no ICE with relay 1: $line"
  relay_phone_start alice h2 "$alice_addr" "$alice_node" "$1" "$2" "$line"
  phone_turn_user[alice]=$(grep -oE 'stunuser=[^;]+' <<<"$line" | cut -d= -f2-)
  say "alice: baresip at $alice_addr (home 2), account from node 2: $(sed -E 's/auth_pass=[^;]*/auth_pass=.../; s/stunpass=[^;]*/stunpass=.../' <<<"$line")"
}

# carol, a conventional phone at $carol_addr: registered at Kamailio, no
# TURN server; ICE (host candidates) unless P2PSIP_CAROL_ICE=0.
start_carol() { # ANSWERMODE RUN
  local dir=$work/carol-$2
  baresip_addr=$carol_addr baresip_domain=example.test baresip_answermode=$1 \
    baresip_write_config "$dir" carol carol-secret udp "$kamailio_addr:5060" 5060 "$phone_ctrl" 10000
  sed -i 's/^rtp_ports.*/rtp_ports\t\t10000-10099/' "$dir/config"
  if [ "$carol_ice" = 1 ]; then
    echo "module			ice.so" >>"$dir/config"
    sed -i '1s|$|;medianat=ice|' "$dir/accounts"
  fi
  nat_spawn carol "$work/carol-$2.log" stdbuf -oL -eL baresip -f "$dir" -s -v
  phone_pid[carol]=$nat_spawned
  ns_wait_port carol tcp "$carol_addr" "$phone_ctrl" 10 ||
    fail "carol's baresip does not listen for ctrl_tcp on $carol_addr:$phone_ctrl within 10 s"
  say "carol: baresip at $carol_addr, sip:carol@example.test at Kamailio, $([ "$carol_ice" = 1 ] && echo "ICE without TURN" || echo "no ICE")"
}

# One call, driven and checked by baresip_ctrl.py (relay_call.py: ctrl_tcp
# from the phones' namespaces, 30 s for the first RTP): both registered,
# the callee answers by herself, RTP both ways, the caller hangs up, and
# the callee's INVITE came from PROXY.
call() { # RUN CALLER CALLEE PROXY
  local run=$1 caller=$2 callee=$3 t
  local -A addr=([alice]=$alice_addr [carol]=$carol_addr) aor=([alice]=sip:alice@p2psip.test [carol]=sip:carol@example.test)
  t=$(date +%s%N)
  drive_call "$run" "$alice_addr=$(nat_ns h2) $carol_addr=$(nat_ns carol)" \
    "$here/relay_call.py" "$here/../lib/baresip_ctrl.py" udp \
    "${addr[$caller]}:$phone_ctrl" "${addr[$callee]}:$phone_ctrl" "$work/$caller-$run.log" \
    "$work/$callee-$run.log" "$4" --caller "${aor[$caller]}" --callee "${aor[$callee]}" \
    --auto-answer
  [ "$call_rc" -eq 0 ] || fail "the call $caller -> $callee failed (baresip_ctrl.py exit $call_rc)"
  say "call $run: ${aor[$caller]} -> ${aor[$callee]} established, RTP both ways, hung up ($(ms_since "$t") ms)"
}

# -- where the signalling and the media went ------------------------------------

# The INVITE carol got from Kamailio (RUN's log) carries the proxy peer's
# Record-Route under the overlay's name (draft 3.1) and Kamailio's.
check_carol_invite() { # RUN
  local invite rr
  invite=$(baresip_messages "$work/carol-$1.log" "^UDP ${kamailio_addr//./\\.}:5060 -> ${carol_addr//./\\.}:5060\$" \
    "INVITE " | awk 'NF == 0 { exit } { print }')
  [ -n "$invite" ] || fail "carol got no INVITE from Kamailio"
  rr=$({ grep -i '^Record-Route:' <<<"$invite" || true; } | sed 's/^[^:]*: *//' | tr ',' '\n' | sed 's/^ *//')
  grep -qE '^<sip:p2psip\.test;([^>]*;)?lr([;>]|$)' <<<"$rr" ||
    fail "carol's INVITE has no Record-Route <sip:p2psip.test;lr>: $(oneline <<<"$rr")"
  say "carol's INVITE came from Kamailio, Record-Route: $(oneline <<<"$rr")"
}

# Kamailio sent carol's INVITE for sip:alice@p2psip.test to the proxy peer,
# found by DNS (its onsend_route logs "sent INVITE RURI to ADDR:PORT").
check_kamailio_to_pp() {
  local sent
  sent=$(grep -o 'sent INVITE sip:alice@p2psip.test.*' "$work/public/kamailio-$kamailio_addr/log" | head -n 1 || true)
  [[ $sent == *" to ${node_addrs[0]}:5060" ]] ||
    fail "Kamailio did not send the INVITE for alice to the proxy peer ${node_addrs[0]}:5060: ${sent:-nothing}"
  say "Kamailio: $sent"
}

# What relay 1's log says of the allocations of TURN user USER: once one
# is opened (10 s at most), "SESSIONS RP RB SP SB" (relay_world.sh's
# coturn_usage).
relay_usage() { # USER
  local log=$work/turn1/turn.log
  for _ in $(seq 100); do
    grep -qF "new, realm=<p2psip.test>, username=<$1>," "$log" && break
    sleep 0.1
  done
  coturn_usage "$log" "$1"
}

# The media of call RUN through relay 1, as relay 1's log counts it for
# alice's TURN user (her credential from node 2): "SESSIONS RP SP" in
# relay_rp and relay_sp (packets the relay received from the peer and sent
# to it on her allocations) after printing them; the phones are stopped
# first (coturn logs the usage as an allocation closes).
relay_counts() { # RUN
  local sessions rb sb
  stop_phones
  read -r sessions relay_rp rb relay_sp sb < <(relay_usage "${phone_turn_user[alice]}")
  say "relay 1, call $1: $sessions allocations for alice (${phone_turn_user[alice]}); peer usage rp=$relay_rp, rb=$rb, sp=$relay_sp, sb=$sb"
  [ "$sessions" -ge 1 ] || fail "relay 1: no allocation for alice's TURN user ${phone_turn_user[alice]}"
}

show_ice() { # RUN
  local u
  for u in alice carol; do
    [ "$u" = carol ] && [ "$carol_ice" != 1 ] && continue
    say "$u's ICE selected: $(ice_selected "$u" "$1" | sed -E 's/^  \*  //; s/ +/ /g' | paste -sd ';' -)"
  done
}

# Both ways through relay 1: at least $min_relayed packets each way (3 s of
# 20 ms packets is ~150), and carol's ICE sends to alice's relayed address.
min_relayed=50
check_relayed() { # RUN
  show_ice "$1"
  local carol_pair
  if [ "$carol_ice" = 1 ]; then
    carol_pair=$(ice_selected carol "$1" | grep -E '\{comp=1\} +Succeeded ' || true)
    [[ $carol_pair == *"<---> relay:$relay_addr:"* ]] ||
      fail "carol's ICE did not select alice's relayed candidate on $relay_addr for RTP: ${carol_pair:-none}"
  fi
  relay_counts "$1"
  if [ "$relay_rp" -lt "$min_relayed" ] || [ "$relay_sp" -lt "$min_relayed" ]; then
    fail "relay 1 did not relay alice's call both ways: rp=$relay_rp, sp=$relay_sp packets (at least $min_relayed each)"
  fi
}

# -- the cases ------------------------------------------------------------------

setup_world() {
  nat_reap_stale
  nat_setup || fail "the namespaces could not be set up"
  add_public_host carol "$carol_addr" || fail "carol's namespace could not be set up"
  say "namespaces: $(ip netns list | grep -oE "^${nat_prefix}[a-z0-9]+" | oneline)"
  start_public
  start_relay
  start_overlay
  wait_published
  wait_relay_known
}

# carol got alice's RTP from alice's relayed address on relay 1 (baresip
# -v: "stream: incoming rtp for 'audio' established, receiving from ADDR").
check_alice_rtp_relayed() { # RUN
  local from
  from=$(nocolour "$work/carol-$1.log" | grep -m1 -o "incoming rtp for 'audio' established, receiving from .*" || true)
  [[ $from == *" from $relay_addr:"* ]] ||
    fail "carol did not get alice's RTP from relay 1 ($relay_addr): ${from:-no incoming RTP}"
  say "carol: ${from}"
}

# 5.2. What baresip 1.0 at both ends does here (carol doing ICE): alice,
# the offerer, is ICE's controlling agent; her check from her host address
# reaches carol through the NAT (a peer-reflexive candidate at carol's:
# carol is public, so a direct path exists, symmetric NAT or not), and she
# selects that pair, then releases her TURN allocations (REFRESH with
# lifetime 0 in coturn's log) since her selected pair does not use them.
# carol, controlled, learns the peer-reflexive remote candidate but forms
# no pair with it: her only valid pair is to alice's relayed candidate, to
# which she keeps sending after the allocation is gone. So alice's RTP
# reaches carol (directly), carol's reaches nobody. (Without ICE at carol,
# P2PSIP_CAROL_ICE=0, alice falls back to TURN, "ICE not supported by peer,
# fallback to TURN": carol's RTP reaches alice through relay 1, but alice
# never starts sending, "audio: destroyed (started=0)".) The case checks
# the signalling, alice's allocation with her Get Relay credential and the
# way the media flows, and reports the other way; with
# P2PSIP_INTERWORK_STRICT=1 it demands RTP both ways through relay 1, as
# the inbound case does (it fails with baresip 1.0).
case_outbound() {
  start_carol auto 1
  start_alice manual 1
  local t stats a_tx a_rx c_tx c_rx
  t=$(date +%s%N)
  drive_call 1 "$alice_addr=$(nat_ns h2) $carol_addr=$(nat_ns carol)" \
    "$here/interwork_call.py" "$here/../lib/baresip_ctrl.py" \
    "$alice_addr:$phone_ctrl" "$carol_addr:$phone_ctrl" "$work/alice-1.log" "$work/carol-1.log" \
    --caller sip:alice@p2psip.test --callee sip:carol@example.test
  [ "$call_rc" -eq 0 ] || fail "the call alice -> carol was not set up and ended (interwork_call.py exit $call_rc)"
  stats=$(grep -m1 '^STATS ' "$work/ctrl-1.out" || true)
  read -r _ a_tx a_rx c_tx c_rx _ <<<"$stats"
  say "call 1: sip:alice@p2psip.test -> sip:carol@example.test answered, hung up ($(ms_since "$t") ms);" \
    "RTP alice->carol $a_tx sent/$c_rx received, carol->alice $c_tx sent/$a_rx received"
  check_carol_invite 1
  if [ "${P2PSIP_INTERWORK_STRICT:-0}" = 1 ]; then
    if [ "$a_rx" -lt "$min_relayed" ] || [ "$c_rx" -lt "$min_relayed" ]; then
      fail "RTP did not flow both ways: alice received $a_rx, carol $c_rx packets"
    fi
    check_relayed 1
    return
  fi
  show_ice 1
  [ "$c_rx" -ge "$min_relayed" ] || [ "$a_rx" -ge "$min_relayed" ] ||
    fail "no RTP either way: alice received $a_rx, carol $c_rx packets"
  relay_counts 1
  if [ "$a_rx" -ge "$min_relayed" ] && [ "$c_rx" -ge "$min_relayed" ]; then
    say "5.2: RTP both ways (relayed: rp=$relay_rp, sp=$relay_sp)"
  else
    say "5.2: RTP one way only (baresip 1.0, see case_outbound): alice received $a_rx, carol $c_rx packets; relayed rp=$relay_rp, sp=$relay_sp"
  fi
}

case_inbound() { # 5.3
  start_alice auto 2
  start_carol manual 2
  call 2 carol alice "$alice_node:5060"
  check_kamailio_to_pp
  check_alice_rtp_relayed 2
  check_relayed 2
}

# 5.3 once alice's SIP flow has idled past her NAT's UDP timeout
# (nf_conntrack_udp_timeout, 30 s): her account (regint=600, no keepalive)
# leaves the NAT binding her registration names to expire. Not among the
# default cases: see the report in the commit.
case_idle() {
  start_alice auto 3
  start_carol manual 3
  say "alice's SIP flow idles for $idle_s s"
  sleep "$idle_s"
  call 3 carol alice "$alice_node:5060"
  check_relayed 3
}
idle_s=40

t0=$(date +%s%N)
setup_world
say "set up in $(ms_since "$t0") ms"
for c in "${cases[@]}"; do
  current_case=$c
  t=$(date +%s%N)
  case "$c" in
    outbound) case_outbound ;;
    inbound) case_inbound ;;
    idle) case_idle ;;
    *) fail "unknown case $c" ;;
  esac
  say "case $c passed ($(ms_since "$t") ms)"
done
say "$name passed (${cases[*]}) in $(ms_since "$t0") ms"
