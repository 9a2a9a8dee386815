#!/usr/bin/env bash
# The proxy peer role of p2psipd against the public SIP network of
# public_network.sh, one case per ctest test (tests/interwork/CMakeLists.txt):
#
#   proxy_peer_test.sh CASE P2PSIPD P2PSIP OVERLAY_LIB
#
# The overlay p2psip.test (scripts/lib/local_overlay.sh, nodes on addresses
# of their own): node 1 is proxy peer pp1 at 127.0.0.11, node 2 proxy peer
# pp2 at 127.0.0.12 (roles peer, registrar, proxy, proxy-peer; each with its
# own TSIG key for the zone p2psip.test), node 3 a plain node at 127.0.0.13
# on which alice's phone (sipp, 127.0.0.30) registers. The public side:
# BIND9 at 127.0.0.53, Kamailio for example.test at 127.0.0.20, carol's
# phone (sipp, 127.0.0.21) registered with it.
#
# Cases (the draft's sections in brackets):
#   dns-records   the zone as proxy peers start, stop cleanly, and are killed
#                 with kill -9 (another proxy peer, the steward, removes the
#                 dead one's records) [3.1, 3.1.1]
#   outbound      alice calls sip:carol@example.test: her node hands the call
#                 to a proxy peer, which finds example.test by RFC 3263 and
#                 Record-Routes with <sip:p2psip.test;lr>; 200, ACK, BYE from
#                 either side [5.2]
#   inbound       carol calls sip:alice@p2psip.test through Kamailio, which
#                 finds a proxy peer by NAPTR/SRV; BYE from either side [5.3]
#   srv-failover  example.test's first SRV target is dead: the proxy peer
#                 reaches carol through the second
#   peer-killed   the proxy peer that took alice's call is killed (kill -9);
#                 carol's BYE still reaches alice, through the other one
#   wrong-key     a proxy peer with a key the DNS server refuses (unknown
#                 name, then pp1's name with another secret): the zone is
#                 unchanged, the proxy peer's log says why
#   open-relay    an INVITE from the public side for sip:someone@example.test
#                 sent straight to a proxy peer gets 403, and goes nowhere
#   public-aor    alice, enrolled in the overlay, links sip:alice@example.test:
#                 the node serving her phone registers sip:alice@p2psip.test
#                 there through a proxy peer (answering Kamailio's 401); carol
#                 calls sip:alice@example.test, Kamailio finds a proxy peer
#                 by RFC 3263 and alice answers; alice unlinks, the binding
#                 is removed, and carol's next call gets Kamailio's 404 [4.2, 5.4]
#   baresip       outbound with real phones and media: alice and carol are
#                 baresip phones (tests/lib/baresip_phone.sh) at the same
#                 addresses; alice answers her node's 407 with her
#                 credentials, carol answers by herself, RTP flows both ways
#                 (each phone's own packet counts), alice hangs up [5.2]
# Run as root. Every process started is ended on exit, pass or fail.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

case_name=${1:?usage: proxy_peer_test.sh CASE P2PSIPD P2PSIP OVERLAY_LIB}
p2psipd=$2
p2psip=$3
overlay_lib=$4
if [ "$(id -u)" -ne 0 ]; then
  echo "interwork.proxy-peer.$case_name: skipped, it needs root"
  exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
interop=$here/../interop/scenarios
scenarios=$here/scenarios

# What the proxy peer role promises, and how fast (steward_after below is 8 s).
pp_ttl=5            # [dns] ttl of the records a proxy peer publishes
pp_publish_s=15     # its records are in the zone this long after it starts
pp_withdraw_s=5     # a proxy peer stopped cleanly removes its records within this
pp_steward_s=30    # a killed proxy peer's records are removed by the steward within this
pp_addrs=(127.0.0.11 127.0.0.12)  # nodes 1 and 2
node3=127.0.0.13
alice_addr=127.0.0.30

# shellcheck disable=SC2034  # read by local_overlay.sh
overlay_addrs=("${pp_addrs[@]}" "$node3")
# shellcheck source=/dev/null
source "$overlay_lib"
source "$here/public_network.sh"
# shellcheck source=../lib/baresip_phone.sh
source "$here/../lib/baresip_phone.sh"

work=$(mktemp -d)
pn_init "$work/public"
# shellcheck disable=SC2317  # called by the trap
phones=()  # baresip's pids
cleanup() {
  # The phones first: on SIGTERM baresip un-registers, which needs the rest.
  [ "${#phones[@]}" -eq 0 ] || stop_pids "${phones[@]}"
  [ -n "$overlay_dir" ] && overlay_stop_all
  stop_all
  if [ "${P2PSIP_KEEP_WORK:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'echo "interwork.proxy-peer.$case_name FAILED: line $LINENO: \"$BASH_COMMAND\" exited $?"; show_test_logs' ERR

show_test_logs() {
  local f
  for f in "$work"/overlay/node*/log; do
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    tail -n 60 "$f"
  done
  for f in "$work"/*.log; do  # baresip phones: their colours off
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    sed 's/\x1b\[[0-9;]*m//g' "$f" | tail -n 120
  done
  pn_show_logs
}
fail() {
  echo "interwork.proxy-peer.$case_name FAILED: $*"
  show_test_logs
  exit 1
}

# -- the proxy peer role's configuration ----------------------------------------

# Makes node I a proxy peer named NAME.p2psip.test that updates the zone with
# KEYFILE: the planned [proxy_peer] and [dns] tables.
proxy_peer_config() {  # I NAME KEYFILE
  local d=$work/overlay/node$1
  sed -i 's/^roles = .*/roles = ["peer", "registrar", "proxy", "proxy-peer"]/' "$d/p2psipd.toml"
  (umask 077 && cp "$3" "$d/tsig.key")
  cat >>"$d/p2psipd.toml" <<TOML

[proxy_peer]
name = "$2.p2psip.test"
density = 4
steward_after = 8

[dns]
servers = ["$pn_dns:53"]
update_server = "$pn_dns:53"
zone = "p2psip.test"
tsig_key = "tsig.key"
ttl = $pp_ttl
TOML
}

# -- the worlds ---------------------------------------------------------------

start_public() {  # [KAMAILIO_ADDR...] (default: sip1): BIND9 and Kamailio(s)
  start_named || fail "BIND9 did not start"
  local a
  for a in "${@:-$pn_sip1}"; do
    start_kamailio "$a" || fail "Kamailio at $a did not start"
  done
}

# Creates nodes 1-3; nodes 1 and 2 are proxy peers with the keys KEY1 and
# KEY2 (names of $pn_dir/NAME.key, default pp1 and pp2).
create_overlay() {  # [KEY1 [KEY2]]
  P2PSIP_LOG=info overlay_create "$work/overlay" 3 0 "$p2psipd" "$p2psip"
  proxy_peer_config 1 pp1 "$pn_dir/${1:-pp1}.key"
  proxy_peer_config 2 pp2 "$pn_dir/${2:-pp2}.key"
}

start_node() {  # I
  overlay_start "$1" || fail "node $1 did not start"
  if [ "$1" -gt 1 ]; then
    overlay_wait_joined "$1" 1 1 10 || fail "node $1 has no good overlay node after 10 s"
  fi
}

start_overlay() {  # all three nodes; waits until both proxy peers are in the zone
  create_overlay
  start_overlay_nodes
}

start_overlay_nodes() {  # those create_overlay made
  local i
  for i in 1 2 3; do start_node "$i"; done
  wait_srv "pp1.p2psip.test. pp2.p2psip.test." "$pp_publish_s" "both proxy peers published"
}

# -- the zone -----------------------------------------------------------------

srv_targets() {  # the targets of _sip._udp.p2psip.test, sorted, on one line
  dig_zone _sip._udp.p2psip.test SRV | awk '{print $4}' | sort | oneline
}

wait_srv() {  # EXPECTED SECONDS WHAT: until srv_targets is EXPECTED; prints how long it took
  local t got
  t=$(date +%s%N)
  for _ in $(seq $(($2 * 5))); do
    got=$(srv_targets)
    if [ "$got" = "$1" ]; then
      say "$3: _sip._udp.p2psip.test SRV: ${got:-none} (after $(ms_since "$t") ms)"
      return 0
    fi
    sleep 0.2
  done
  fail "$3: _sip._udp.p2psip.test SRV is \"$got\" after $2 s, expected \"$1\""
}

# Node I's /status, the JSON that p2psip status prints as text.
status_json() {  # I
  python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "http://$(overlay_addr "$1"):$(overlay_api_port "$1")/status"
}

check_a() {  # NAME EXPECTED
  local got
  got=$(dig_zone "$1" A | oneline)
  [ "$got" = "$2" ] || fail "$1 A is \"$got\", expected \"$2\""
  say "$1 A: ${got:-none}"
}

# -- phones -------------------------------------------------------------------

register() {  # USER ADDR DOMAIN TARGET: USER@DOMAIN registers from ADDR:5060 at TARGET
  printf 'SEQUENTIAL\n%s;\n' "$1" >"$work/$1.csv"
  local name=register-$1-$4
  run_sipp "$name" -sf "$interop/register.xml" -inf "$work/$1.csv" -au "$1" -ap "$1-secret" \
    -s "$3" -auth_uri "$3" -i "$2" -p 5060 -t u1 -m 1 "$4" ||
    fail "$1's REGISTER at $4 was not accepted; the answers: $(sipp_answers "$pn_dir/$name.msg")"
  say "$1 registered at $4"
}
register_carol() { register carol "$pn_carol" example.test "${1:-$pn_sip1:5060}"; }
register_alice() { register alice "$alice_addr" p2psip.test "$node3:5060"; }


# The first INVITE sipp run NAME received: start line and headers.
first_invite() {  # NAME
  received "$1" "INVITE " | awk 'NF == 0 { exit } { print }'
}

# The Record-Route entries of the headers on stdin, one per line, in order.
rr_entries() {
  { grep -i '^Record-Route:' || true; } | sed 's/^[^:]*: *//' | tr ',' '\n' | sed 's/^ *//'
}

# The Record-Route entries of the first INVITE sipp run NAME received, one
# per line, in order.
record_routes() {  # NAME
  first_invite "$1" | rr_entries
}

# The proxy peer (1 or 2) whose address is in a Via of the first INVITE
# sipp run NAME received (or of the headers on stdin, when NAME is -).
proxy_peer_of() {  # NAME
  local vias i
  if [ "$1" = - ]; then
    vias=$(grep -i '^Via:' || true)
  else
    vias=$(first_invite "$1" | grep -i '^Via:' || true)
  fi
  for i in 1 2; do
    if grep -qE "[ /]${pp_addrs[i - 1]//./\\.}[:;]" <<<"$vias"; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

# The INVITE that crossed from the overlay to the public side (or back)
# carries the Record-Route of a proxy peer, the overlay's name (draft 3.1),
# and never a proxy peer's own address.
check_overlay_rr() {  # NAME [RECORD_ROUTES (default: those of sipp run NAME)]
  local rr
  if [ $# -gt 1 ]; then rr=$2; else rr=$(record_routes "$1"); fi
  say "$1: Record-Route: $(oneline <<<"$rr")"
  grep -qE '^<sip:p2psip\.test;([^>]*;)?lr([;>]|$)' <<<"$rr" ||
    fail "$1: no Record-Route <sip:p2psip.test;lr> in the INVITE: $(oneline <<<"$rr")"
  grep -qE "^<sip:${pn_sip1//./\\.}[;>]" <<<"$rr" || fail "$1: Kamailio's Record-Route is missing"
  local a
  for a in "${pp_addrs[@]}"; do
    if grep -qF "$a" <<<"$rr"; then fail "$1: a Record-Route names proxy peer $a by address"; fi
  done
}

# One call: the callee's sipp (CALLEE_ADDR:5060, scenario UAS, run NAME-uas)
# answers; the caller's (CALLER_ADDR:5060, scenario UAC, run NAME-uac) calls
# AOR through OUTBOUND. Both must count their call successful.
call() {  # NAME UAC UAS CALLER_AOR CALLER_ADDR AOR CALLEE_ADDR OUTBOUND [UAS_ARGS...]
  local name=$1 uac=$2 uas=$3 from=$4 caller=$5 aor=$6 callee=$7 outbound=$8 rc=0 uas_rc=0
  shift 8
  start_sipp "$name-uas" -sf "$uas" -i "$callee" -p 5060 -t u1 -m 1 "$@"
  local uas_pid=$pn_sipp_pid
  wait_for_udp_port "$callee" 5060 || fail "$name: the callee's sipp does not listen"
  # An unexpected answer is counted, not fatal (a 200 retransmitted after its
  # ACK was lost); what was expected and never came fails after 15 s.
  run_sipp "$name-uac" -sf "$uac" -key callee_aor "$aor" -key caller_aor "$from" -i "$caller" \
    -p 5060 -t u1 -m 1 -default_behaviors pingreply,bye -recv_timeout 15000 \
    "${caller_credentials[@]}" "$outbound" || rc=$?
  # A caller that failed leaves the callee waiting: no need to wait with it.
  if [ "$rc" -ne 0 ]; then stop_sipp "$uas_pid"; else wait_sipp "$uas_pid" || uas_rc=$?; fi
  if [ "$rc" -ne 0 ] || [ "$uas_rc" -ne 0 ]; then
    fail "$name: the call from $from to $aor failed (caller exit $rc, answers $(sipp_answers "$pn_dir/$name-uac.msg"); callee exit $uas_rc)"
  fi
  say "$name: $from -> $aor: 200, ACK, BYE"
}

# What a caller answers a 407 with: alice's node challenges a call that
# leaves the overlay; Kamailio lets carol's calls through unchallenged.
caller_credentials=()

alice_calls_carol() {  # NAME [hangs-up: caller|callee] [CALLEE_ARGS...]
  local name=$1 who=${2:-caller} uac=$scenarios/uac_call_aor.xml uas=$interop/uas_call.xml
  shift $(($# > 1 ? 2 : 1))
  if [ "$who" = callee ]; then
    uac=$scenarios/uac_call_aor_callee_hangs_up.xml uas=$scenarios/uas_call_hangs_up.xml
  fi
  caller_credentials=(-au alice -ap alice-secret -auth_uri carol@example.test)
  call "$name" "$uac" "$uas" sip:alice@p2psip.test "$alice_addr" sip:carol@example.test \
    "$pn_carol" "$node3:5060" "$@"
  caller_credentials=()
}

carol_calls_alice() {  # NAME [hangs-up: caller|callee]
  local name=$1 who=${2:-caller} uac=$scenarios/uac_call_aor.xml uas=$interop/uas_call.xml args=()
  if [ "$who" = callee ]; then
    uac=$scenarios/uac_call_aor_callee_hangs_up.xml uas=$scenarios/uas_call_hangs_up.xml
    args=(-d 500)
  fi
  call "$name" "$uac" "$uas" sip:carol@example.test "$pn_carol" sip:alice@p2psip.test \
    "$alice_addr" "$(sip_targets example.test | sed -n 1p)" "${args[@]}"
}

# -- baresip phones -------------------------------------------------------------

bs_ctrl=4444  # ctrl_tcp, on each phone's own address

# A baresip phone for USER@DOMAIN at ADDR:5060 (RTP on RTP_LOW..+3, ctrl_tcp
# on ADDR:$bs_ctrl) registering through OUTBOUND, answering calls as
# ANSWERMODE says; config in $work/USER, trace in $work/USER.log.
baresip_phone() {  # USER DOMAIN ADDR OUTBOUND RTP_LOW ANSWERMODE
  port_is_free udp "$3" 5060 || fail "$1's phone: udp $3:5060 is taken"
  baresip_addr=$3 baresip_domain=$2 baresip_answermode=$6 \
    baresip_write_config "$work/$1" "$1" "$1-secret" udp "$4" 5060 "$bs_ctrl" "$5"
  baresip_start "$work/$1" "$work/$1.log"
  phones+=($!)
  wait_for_udp_port "$3" 5060 || fail "$1's baresip does not listen on $3:5060"
}

# baresip 1.0 gives up on a challenge whose algorithm is not MD5 (see
# tests/interop/baresip/baresip_call.sh): node I challenges with MD5 only,
# whatever local_overlay.sh's default.
digest_md5() {  # I
  local f=$work/overlay/node$1/p2psipd.toml
  if grep -q '^digest *=' "$f"; then
    sed -i 's/^digest *=.*/digest = "MD5"/' "$f"
  else
    sed -i '/^\[auth\]/a digest = "MD5"' "$f"
  fi
  grep -q '^digest = "MD5"$' "$f" || fail "node $1: could not set [auth] digest = MD5"
}

# -- the cases ----------------------------------------------------------------

case "$case_name" in
  dns-records)
    start_public
    create_overlay
    say "p2psip.test at start: serial $(zone_serial p2psip.test), SRV: $(srv_targets)"
    start_node 1
    wait_srv "pp1.p2psip.test." "$pp_publish_s" "pp1 started"
    check_a pp1.p2psip.test "${pp_addrs[0]}"
    in_zone=$(status_json 1 |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["proxy_peer"]["dns"]["in_zone"])')
    [ "$in_zone" = True ] || fail "pp1's p2psip status does not say it is in the zone: $in_zone"
    naptr=$(dig_zone p2psip.test NAPTR)
    say "p2psip.test NAPTR: $(oneline <<<"$naptr")"
    grep -qiE '"SIP\+D2U" "" _sip\._udp\.p2psip\.test\.$' <<<"$naptr" ||
      fail "no NAPTR SIP+D2U -> _sip._udp.p2psip.test."
    targets=$(sip_targets p2psip.test | oneline)
    [ "$targets" = "${pp_addrs[0]}:5060" ] ||
      fail "p2psip.test's targets (RFC 3263) are \"$targets\", expected ${pp_addrs[0]}:5060"
    start_node 2
    start_node 3
    wait_srv "pp1.p2psip.test. pp2.p2psip.test." "$pp_publish_s" "pp2 started"
    check_a pp2.p2psip.test "${pp_addrs[1]}"
    say "the plain node 3 publishes nothing: $(dig_zone pp3.p2psip.test A | oneline)"

    say "pp2 stops cleanly (TERM)"
    overlay_kill 2 TERM
    wait_srv "pp1.p2psip.test." "$pp_withdraw_s" "pp2 stopped"
    check_a pp2.p2psip.test ""
    start_node 2
    wait_srv "pp1.p2psip.test. pp2.p2psip.test." "$pp_publish_s" "pp2 started again"

    say "pp1 is killed (kill -9): pp2 must remove its records"
    overlay_kill 1 KILL
    wait_srv "pp2.p2psip.test." "$pp_steward_s" "pp1 killed"
    check_a pp1.p2psip.test ""
    [ -n "$(dig_zone p2psip.test NAPTR)" ] || fail "the NAPTR went with pp1, though pp2 lives"
    say "p2psip.test's targets now: $(sip_targets p2psip.test | oneline)"
    ;;

  outbound)
    start_public
    start_overlay
    register_carol
    register_alice
    alice_calls_carol out-caller-bye caller
    check_overlay_rr out-caller-bye-uas
    pp=$(proxy_peer_of out-caller-bye-uas) || fail "no proxy peer's address in the Vias at carol"
    say "the call left the overlay through pp$pp"
    alice_calls_carol out-callee-bye callee -d 500
    check_overlay_rr out-callee-bye-uas
    ;;

  inbound)
    start_public
    start_overlay
    register_alice
    lines=$(wc -l <"$pn_dir/kamailio-$pn_sip1/log")
    carol_calls_alice in-caller-bye caller
    check_overlay_rr in-caller-bye-uas
    sent=$(tail -n "+$((lines + 1))" "$pn_dir/kamailio-$pn_sip1/log" | grep -o 'sent INVITE .*' | oneline)
    say "Kamailio: $sent"
    [[ $sent == *" to ${pp_addrs[0]}:5060"* || $sent == *" to ${pp_addrs[1]}:5060"* ]] ||
      fail "Kamailio did not send the INVITE to a proxy peer: $sent"
    carol_calls_alice in-callee-bye callee
    check_overlay_rr in-callee-bye-uas
    ;;

  srv-failover)
    # sip1.example.test (priority 10) is dead: nothing listens there; the
    # second Kamailio at sip2 (priority 20) is example.test's live proxy.
    start_public "$pn_sip2"
    port_is_free udp "$pn_sip1" 5060 || fail "something listens on $pn_sip1:5060, the dead target"
    start_overlay
    register_carol "$pn_sip2:5060"
    register_alice
    t=$(date +%s%N)
    alice_calls_carol failover caller
    say "the call through the second SRV target took $(ms_since "$t") ms"
    rr=$(record_routes failover-uas | oneline)
    [[ $rr == *"<sip:$pn_sip2;lr>"* ]] || fail "carol's INVITE did not come through $pn_sip2: $rr"
    ;;

  peer-killed)
    start_public
    start_overlay
    register_carol
    register_alice
    # carol hangs up 6 s after the ACK; meanwhile the proxy peer that took
    # the INVITE is killed, so her BYE must find the other one by DNS
    # (Kamailio fails over from a dead SRV target after its fr_timer, 2 s).
    start_sipp killed-uas -sf "$scenarios/uas_call_hangs_up.xml" -d 6000 -i "$pn_carol" -p 5060 \
      -t u1 -m 1
    uas_pid=$pn_sipp_pid
    wait_for_udp_port "$pn_carol" 5060 || fail "carol's sipp does not listen"
    start_sipp killed-uac -sf "$scenarios/uac_call_aor_callee_hangs_up.xml" \
      -key callee_aor sip:carol@example.test -key caller_aor sip:alice@p2psip.test \
      -i "$alice_addr" -p 5060 -t u1 -m 1 -default_behaviors pingreply,bye -recv_timeout 20000 \
      -au alice -ap alice-secret -auth_uri carol@example.test "$node3:5060"
    uac_pid=$pn_sipp_pid
    for _ in $(seq 100); do
      [ -n "$(received killed-uas "ACK ")" ] && break
      sleep 0.1
    done
    [ -n "$(received killed-uas "ACK ")" ] || fail "carol got no ACK within 10 s"
    pp=$(proxy_peer_of killed-uas) || fail "no proxy peer's address in the Vias at carol"
    say "the call went through pp$pp: kill -9"
    overlay_kill "$pp" KILL
    rc=0 uas_rc=0
    wait_sipp "$uac_pid" || rc=$?
    if [ "$rc" -ne 0 ]; then stop_sipp "$uas_pid"; else wait_sipp "$uas_pid" || uas_rc=$?; fi
    if [ "$rc" -ne 0 ] || [ "$uas_rc" -ne 0 ]; then
      fail "after pp$pp was killed: alice's side exit $rc (got: $(sipp_answers "$pn_dir/killed-uac.msg")), carol's exit $uas_rc (got: $(sipp_answers "$pn_dir/killed-uas.msg"))"
    fi
    say "carol's BYE reached alice, and its 200 came back: $(grep -o 'sent BYE .*' "$pn_dir/kamailio-$pn_sip1/log" | oneline)"
    ;;

  wrong-key)
    start_public
    for key in wrong forged-pp1; do
      create_overlay "$key"
      serial=$(zone_serial p2psip.test)
      start_node 1
      sleep "$pp_publish_s"
      [ "$(zone_serial p2psip.test)" = "$serial" ] ||
        fail "$key: the zone changed (serial $serial -> $(zone_serial p2psip.test)): $(srv_targets)"
      [ -z "$(srv_targets)" ] || fail "$key: _sip._udp.p2psip.test SRV: $(srv_targets)"
      check_a pp1.p2psip.test ""
      # How the proxy peer reports a refused update: zone, key and RCODE.
      why=$(grep -m 1 -iE 'tsig|badkey|badsig|notauth|refused' "$work/overlay/node1/log" || true)
      [ -n "$why" ] || fail "$key: node 1's log does not say why its update was refused"
      say "$key: node 1 says: $why"
      # And its status says so too, with the zone and the key.
      dns_status=$(status_json 1 |
        python3 -c 'import json, sys; d = json.load(sys.stdin)["proxy_peer"]["dns"]
print(d["in_zone"], d["zone"], d["key"], sum(d["refused"].values()), d["last_error"], sep="|")')
      IFS='|' read -r in_zone zone key_name refused last_error <<<"$dns_status"
      [ "$in_zone" = False ] && [ "$zone" = p2psip.test. ] && [ "$refused" -ge 1 ] &&
        [ -n "$last_error" ] || fail "$key: p2psip status says: $dns_status"
      say "$key: p2psip status: in zone $in_zone, key $key_name, $refused refused, \"$last_error\""
      say "$key: named says: $(grep -E 'BADKEY|BADSIG' "$pn_dir/named/named.log" | tail -n 1)"
      overlay_stop_all
      rm -rf "$work/overlay"
    done
    ;;

  open-relay)
    start_public
    start_overlay
    lines=$(wc -l <"$pn_dir/kamailio-$pn_sip1/log")
    for i in 1 2; do
      run_sipp "relay-pp$i" -sf "$scenarios/uac_refused_aor.xml" -key callee_aor sip:someone@example.test \
        -key caller_aor sip:carol@example.test -i "$pn_carol" -p 5060 -t u1 -m 1 "${pp_addrs[i - 1]}:5060" ||
        fail "pp$i: an INVITE for sip:someone@example.test from the public side was not refused 403: $(sipp_answers "$pn_dir/relay-pp$i.msg")"
      say "pp$i: INVITE sip:someone@example.test from $pn_carol: $(sipp_answers "$pn_dir/relay-pp$i.msg")"
    done
    if tail -n "+$((lines + 1))" "$pn_dir/kamailio-$pn_sip1/log" | grep -q 'someone@example.test'; then
      fail "the refused INVITE reached Kamailio"
    fi
    ;;

  public-aor)
    start_public
    create_overlay
    baresip_require
    # alice is enrolled (no node's user file names her), and her nodes
    # trust what they read of her for 3 s ([auth] refresh).
    for i in 1 2 3; do
      sed -i -e '/^users = /d' -e 's/^digest = "MD5"$/digest = "MD5"\nrefresh = 3/' \
        "$work/overlay/node$i/p2psipd.toml"
    done
    digest_md5 3
    start_overlay_nodes
    api3="$(overlay_addr 3):$(overlay_api_port 3)"
    # Node 3 may not reach its record's storers in its first seconds in the
    # overlay (503): the record the CA kept is pushed again.
    "$p2psip" user add alice --ca "$work/overlay/ca" --password alice-secret --node "$api3" \
      >"$work/enroll.out" 2>&1 || {
      for _ in $(seq 10); do
        sleep 1
        "$p2psip" user push alice --ca "$work/overlay/ca" --node "$api3" >>"$work/enroll.out" 2>&1 &&
          break
      done
    } || fail "enrolling alice failed: $(cat "$work/enroll.out")"
    baresip_phone alice p2psip.test "$alice_addr" "$node3:5060" 10010 auto
    baresip_phone carol example.test "$pn_carol" "$pn_sip1:5060" 10000 manual
    "$p2psip" user link alice sip:alice@example.test --ca "$work/overlay/ca" \
      --password alice-public --node "$api3" >"$work/link.out" 2>&1 ||
      fail "linking alice failed: $(cat "$work/link.out")"
    say "$(head -n 1 "$work/link.out")"
    public_state() {  # node 3's state of alice's public registration ("" when none)
      status_json 3 | python3 -c 'import json, sys
for r in json.load(sys.stdin).get("public_registrations", {}).get("registrations", []):
    print(r["state"], r["last_status"], r["last_error"])'
    }
    t=$(date +%s%N)
    for _ in $(seq 50); do
      [[ $(public_state) == registered* ]] && break
      sleep 0.2
    done
    [[ $(public_state) == registered* ]] || fail "alice's public AOR is not registered after 10 s: $(public_state)"
    say "node 3 registered sip:alice@example.test -> sip:alice@p2psip.test (after $(ms_since "$t") ms)"
    grep -q 'sent REGISTER sip:example.test' "$pn_dir/kamailio-$pn_sip1/log" &&
      fail "Kamailio forwarded the REGISTER instead of taking it"
    # carol dials alice's public AOR at Kamailio; alice's phone answers by
    # itself, RTP both ways for 3 s counted by each phone, carol hangs up.
    lines=$(wc -l <"$pn_dir/kamailio-$pn_sip1/log")
    rc=0
    timeout 40 python3 "$here/../lib/baresip_ctrl.py" udp "$pn_carol:$bs_ctrl" "$alice_addr:$bs_ctrl" \
      "$work/carol.log" "$work/alice.log" "$node3:5060" --caller sip:carol@example.test \
      --callee sip:alice@p2psip.test --dial sip:alice@example.test --auto-answer \
      >"$work/ctrl.out" 2>&1 || rc=$?
    sed 's/^/  /' "$work/ctrl.out"
    [ "$rc" -eq 0 ] || fail "carol's call to sip:alice@example.test failed (baresip_ctrl.py exit $rc)"
    sent=$(tail -n "+$((lines + 1))" "$pn_dir/kamailio-$pn_sip1/log" | grep -o 'sent INVITE .*' | oneline)
    say "Kamailio: $sent"
    [[ $sent == *"sent INVITE sip:alice@p2psip.test to ${pp_addrs[0]}:5060"* ||
      $sent == *"sent INVITE sip:alice@p2psip.test to ${pp_addrs[1]}:5060"* ]] ||
      fail "Kamailio did not send alice's call to sip:alice@p2psip.test at a proxy peer: $sent"
    invite=$(baresip_messages "$work/alice.log" "^UDP ${node3//./\\.}:5060 -> ${alice_addr//./\\.}:5060\$" \
      "INVITE " | awk 'NF == 0 { exit } { print }')
    check_overlay_rr alice "$(rr_entries <<<"$invite")"
    # carol's sipp needs her address: the phones go first.
    stop_pids "${phones[@]}"
    phones=()

    "$p2psip" user unlink alice sip:alice@example.test --ca "$work/overlay/ca" --node "$api3" \
      >"$work/unlink.out" 2>&1 || fail "unlinking alice failed: $(cat "$work/unlink.out")"
    for _ in $(seq 50); do
      [ -z "$(public_state)" ] && break
      sleep 0.2
    done
    [ -z "$(public_state)" ] || fail "alice's public registration is still there: $(public_state)"
    say "alice unlinked: node 3 removed the binding"
    # Kamailio's answer for a user of its own without a binding: 404.
    sed 's/response="403"/response="404"/; s/refused 403/refused 404/' \
      "$scenarios/uac_refused_aor.xml" >"$work/uac_unregistered_aor.xml"
    run_sipp public-gone -sf "$work/uac_unregistered_aor.xml" -key callee_aor sip:alice@example.test \
      -key caller_aor sip:carol@example.test -i "$pn_carol" -p 5060 -t u1 -m 1 "$pn_sip1:5060" ||
      fail "carol's call to sip:alice@example.test after the unlink was not answered 404: $(sipp_answers "$pn_dir/public-gone.msg")"
    say "after the unlink, carol's call: $(sipp_answers "$pn_dir/public-gone.msg")"
    ;;

  baresip)
    baresip_require
    start_public
    create_overlay
    digest_md5 3
    start_overlay_nodes
    baresip_phone carol example.test "$pn_carol" "$pn_sip1:5060" 10000 auto
    baresip_phone alice p2psip.test "$alice_addr" "$node3:5060" 10010 manual
    # Both register (carol at Kamailio, alice at node 3), alice dials, carol
    # answers by herself, RTP both ways for 3 s counted by each phone,
    # alice hangs up; carol's INVITE must come from Kamailio.
    rc=0
    timeout 40 python3 "$here/../lib/baresip_ctrl.py" udp "$alice_addr:$bs_ctrl" "$pn_carol:$bs_ctrl" \
      "$work/alice.log" "$work/carol.log" "$pn_sip1:5060" --caller sip:alice@p2psip.test \
      --callee sip:carol@example.test --auto-answer >"$work/ctrl.out" 2>&1 || rc=$?
    sed 's/^/  /' "$work/ctrl.out"
    [ "$rc" -eq 0 ] || fail "the baresip call failed (baresip_ctrl.py exit $rc)"
    to_node3="^UDP ${alice_addr//./\\.}:5060 -> ${node3//./\\.}:5060\$"
    from_node3="^UDP ${node3//./\\.}:5060 -> ${alice_addr//./\\.}:5060\$"
    from_kamailio="^UDP ${pn_sip1//./\\.}:5060 -> ${pn_carol//./\\.}:5060\$"
    # alice's node challenged the INVITE, and she answered with her credentials.
    challenge=$(baresip_messages "$work/alice.log" "$from_node3" "SIP/2.0 407" |
      grep -i '^Proxy-Authenticate:' || true)
    [ -n "$challenge" ] || fail "alice got no 407 with Proxy-Authenticate from node 3"
    algorithms=$(grep -ioE 'algorithm=[A-Za-z0-9-]+' <<<"$challenge" | oneline)
    invites=$(baresip_messages "$work/alice.log" "$to_node3" "INVITE sip:carol@example.test")
    grep -qiE '^Proxy-Authorization: Digest .*username="alice"' <<<"$invites" ||
      fail "alice sent no INVITE with Proxy-Authorization to node 3 (challenge: $algorithms): $(oneline <<<"$invites")"
    say "alice: 407 from node 3 ($algorithms), INVITE again with her Proxy-Authorization"
    # carol got the INVITE from Kamailio, record-routed by a proxy peer under
    # the overlay's name, then the ACK and alice's BYE.
    invite=$(baresip_messages "$work/carol.log" "$from_kamailio" "INVITE " | awk 'NF == 0 { exit } { print }')
    [ -n "$invite" ] || fail "carol got no INVITE from Kamailio"
    check_overlay_rr carol "$(rr_entries <<<"$invite")"
    pp=$(proxy_peer_of - <<<"$invite") || fail "no proxy peer's address in the Vias at carol"
    say "the call left the overlay through pp$pp"
    for m in "SIP/2.0 200" "ACK " "BYE "; do
      case $m in
        SIP*) n=$(baresip_messages "$work/alice.log" "$from_node3" "$m" | grep -c '^CSeq: [0-9]* INVITE' || true) ;;
        *) n=$(baresip_messages "$work/carol.log" "$from_kamailio" "$m" | grep -c "^$m" || true) ;;
      esac
      [ "$n" -ge 1 ] || fail "no $m in the call (alice's 200 for the INVITE, carol's ACK and BYE)"
    done
    say "baresip: sip:alice@p2psip.test -> sip:carol@example.test: 407, 200, ACK, RTP both ways, BYE"
    stop_pids "${phones[@]}"
    phones=()
    ;;

  *)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
say "interwork.proxy-peer.$case_name passed"
