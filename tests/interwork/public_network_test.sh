#!/usr/bin/env bash
# interwork.public-network: the public SIP network of the interworking tests
# (public_network.sh) is sound, without p2psipd, so that a failure of the
# proxy peer tests is the proxy peer's:
#   1. BIND9 serves example.test's NAPTR, SRV and A records, and the overlay's
#      zone p2psip.test with SOA and NS only;
#   2. p2psip.test takes an update signed with a proxy peer's key, and refuses
#      (zone unchanged, named's log says why) one signed with an unknown key,
#      with pp1's name and another secret, and one a peer's key may not make;
#   3. carol registers with example.test's registrar (Kamailio) and dave calls
#      sip:carol@example.test, both sending where example.test's NAPTR and SRV
#      lead: 200, ACK, BYE, with Kamailio's Record-Route at carol and the
#      ACK and BYE loose-routed through it;
#   4. Kamailio routes dave's call to sip:alice@p2psip.test by the NAPTR, SRV
#      and A records a proxy peer put in the overlay's zone (a sipp stands for
#      the proxy peer at 127.0.0.11);
#   5. with a better SRV target where nothing listens (127.0.0.12), Kamailio
#      fails over to the live one, for the INVITE and for a BYE routed to
#      <sip:p2psip.test;lr> (the Record-Route of a proxy peer);
#   6. example.test's second SRV target comes alive with a second Kamailio.
# Run as root (BIND9 on port 53, Kamailio in a mount namespace), with no
# arguments. Every process started is ended on exit, pass or fail.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "interwork.public-network: skipped, it needs root (BIND9 on port 53, Kamailio's mount namespace)"
  exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
source "$here/public_network.sh"
interop=$here/../interop/scenarios
scenarios=$here/scenarios

pn_init "$(mktemp -d)"
pn_cleanup_on_exit
# A command that fails outside a check stops the test: say which.
trap 'echo "interwork.public-network FAILED: line $LINENO: \"$BASH_COMMAND\" exited $?"; pn_show_logs' ERR
t0=$(date +%s%N)

fail() {
  echo "interwork.public-network FAILED: $*"
  pn_show_logs
  exit 1
}

check_eq() {  # WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected \"$2\", got \"$3\""
  say "$1: $3"
}


header() {  # NAME START HEADER: the first HEADER line of the first such message
  received "$1" "$2" | grep -i "^$3:" | sed -n 1p
}

both_sides_ok() {  # CALLER CALLEE: each sipp counts its one call successful
  local n
  for n in "$1" "$2"; do
    [ "$(sipp_successful_calls "$pn_dir/$n.out")" = 1 ] ||
      fail "$n: not 1 successful call; it received: $(sipp_answers "$pn_dir/$n.msg")"
  done
}

register() {  # USER ADDR TARGET: USER registers from ADDR:5060 with the registrar at TARGET
  printf 'SEQUENTIAL\n%s;\n' "$1" >"$pn_dir/$1.csv"
  run_sipp "register-$1-$3" -sf "$interop/register.xml" -inf "$pn_dir/$1.csv" -au "$1" \
    -ap "$1-secret" -s example.test -auth_uri example.test -i "$2" -p 5060 -t u1 -m 1 "$3" ||
    fail "$1's REGISTER at $3 was not accepted; the answers: $(sipp_answers "$pn_dir/register-$1-$3.msg")"
  say "$1 registered at $3 ($(sipp_answers "$pn_dir/register-$1-$3.msg"))"
}

# CALLEE_ADDR answers one call (a sipp at CALLEE_ADDR:5060, run NAME-uas,
# scenario UAS); dave calls AOR through OUTBOUND (run NAME-uac); both must
# see the call through, the callee an INVITE for RURI with the Record-Route
# of RR_ADDR, and the ACK and BYE (or what IN_DIALOG lists) from RR_ADDR
# (loose routing).
call() {  # NAME AOR OUTBOUND CALLEE_ADDR RR_ADDR RURI [UAS [IN_DIALOG]]
  local name=$1 aor=$2 outbound=$3 callee=$4 rr=$5 ruri=$6 uas_sf=${7:-$interop/uas_call.xml}
  local in_dialog=${8:-ACK BYE} rc=0 via m
  start_sipp "$name-uas" -sf "$uas_sf" -i "$callee" -p 5060 -t u1 -m 1
  local uas=$pn_sipp_pid
  wait_for_udp_port "$callee" 5060 || fail "$name: the callee's sipp does not listen"
  # A 200 retransmitted because its ACK was lost is counted, not fatal; an
  # answer expected and not received within 10 s fails the call.
  run_sipp "$name-uac" -sf "$scenarios/uac_call_aor.xml" -key callee_aor "$aor" \
    -key caller_aor sip:dave@example.test -i "$pn_dave" -p 5060 -t u1 -m 1 \
    -default_behaviors pingreply,bye -recv_timeout 10000 "$outbound" || rc=$?
  # A caller that failed leaves the callee waiting: no need to wait with it.
  if [ "$rc" -ne 0 ]; then stop_sipp "$uas"; else wait_sipp "$uas" || rc=$?; fi
  [ "$rc" -eq 0 ] || fail "$name: the call from dave to $aor through $outbound failed (sipp exit $rc)"
  both_sides_ok "$name-uac" "$name-uas"
  check_eq "$name: INVITE at the callee" "INVITE $ruri SIP/2.0" \
    "$(received "$name-uas" "INVITE " | sed -n 1p)"
  check_eq "$name: its Record-Route" "Record-Route: <sip:$rr;lr>" \
    "$(header "$name-uas" "INVITE " Record-Route)"
  for m in $in_dialog; do
    via=$(header "$name-uas" "$m " Via)
    [[ $via == "Via: SIP/2.0/UDP $rr;"* ]] || [[ $via == "Via: SIP/2.0/UDP $rr:5060;"* ]] ||
      fail "$name: the $m did not come through $rr; its first Via: \"$via\""
  done
  say "$name: 200, ACK, BYE; ${in_dialog// / and } came through $rr"
}

# -- 1. DNS ------------------------------------------------------------------
say "BIND9 on $pn_dns:53"
start_named || fail "BIND9 did not start"
check_eq "example.test NAPTR" \
  '10 50 "s" "SIP+D2U" "" _sip._udp.example.test. 20 50 "s" "SIP+D2T" "" _sip._tcp.example.test.' \
  "$(dig_zone example.test NAPTR | sort | oneline)"
for p in udp tcp; do
  check_eq "_sip._$p.example.test SRV" "10 0 5060 sip1.example.test. 20 0 5060 sip2.example.test." \
    "$(dig_zone "_sip._$p.example.test" SRV | sort | oneline)"
  check_eq "example.test's $p targets (RFC 3263)" "$pn_sip1:5060 $pn_sip2:5060" \
    "$(sip_targets example.test "$p" | oneline)"
done
check_eq "p2psip.test NS" "ns.example.test." "$(dig_zone p2psip.test NS | oneline)"
for t in NAPTR SRV A; do
  check_eq "p2psip.test $t at start" "" "$(dig_zone p2psip.test "$t" | oneline)"
done
check_eq "_sip._udp.p2psip.test SRV at start" "" "$(dig_zone _sip._udp.p2psip.test SRV | oneline)"

# -- 2. updates of the overlay's zone ----------------------------------------
for k in pp1 pp2 wrong forged-pp1; do
  check_eq "mode of $k.key" 600 "$(stat -c %a "$pn_dir/$k.key")"
done
serial=$(zone_serial p2psip.test)
zone_update "$pn_dir/pp1.key" <<<"update add pp1.p2psip.test. 1 A 127.0.0.11" ||
  fail "an update signed with pp1's key was refused: $(cat "$pn_dir/nsupdate.out")"
check_eq "pp1.p2psip.test A after pp1's update" 127.0.0.11 "$(dig_zone pp1.p2psip.test A | oneline)"
[ "$(zone_serial p2psip.test)" -gt "$serial" ] || fail "the serial did not grow with pp1's update"
serial=$(zone_serial p2psip.test)

refused() {  # WHAT KEY LOG_PATTERN: an update signed with KEY changes nothing; named logs why
  local lines
  lines=$(wc -l <"$pn_dir/named/named.log")
  if zone_update "$pn_dir/$2.key"; then
    fail "$1 was accepted: $(cat "$pn_dir/nsupdate.out")"
  fi
  say "$1: nsupdate: $(grep -m 1 -iE 'failed|error|refused|notauth' "$pn_dir/nsupdate.out" || head -n 1 "$pn_dir/nsupdate.out")"
  check_eq "serial after $1" "$serial" "$(zone_serial p2psip.test)"
  local why=
  for _ in $(seq 20); do
    why=$(tail -n "+$((lines + 1))" "$pn_dir/named/named.log" | grep -m 1 -E "$3" || true)
    [ -n "$why" ] && break
    sleep 0.1
  done
  [ -n "$why" ] || fail "$1: named's log does not say /$3/; it says: $(tail -n "+$((lines + 1))" "$pn_dir/named/named.log")"
  say "$1: named: ${why#* * }"
}
refused "an update signed with an unknown key" wrong 'BADKEY' \
  <<<"update add intruder.p2psip.test. 30 A 127.0.0.66"
refused "an update signed with pp1's name and another secret" forged-pp1 'BADSIG' \
  <<<"update add intruder.p2psip.test. 30 A 127.0.0.66"
refused "an NS update signed with pp1's key" pp1 'rejected by secure update' \
  <<<"update add p2psip.test. 30 NS ns.intruder.test."
check_eq "intruder.p2psip.test A" "" "$(dig_zone intruder.p2psip.test A | oneline)"
check_eq "p2psip.test NS" "ns.example.test." "$(dig_zone p2psip.test NS | oneline)"

# -- 3. carol and dave through example.test's proxy --------------------------
say "Kamailio at $pn_sip1:5060"
start_kamailio "$pn_sip1" || fail "Kamailio did not start"
sip1=$(sip_targets example.test | sed -n 1p)
register carol "$pn_carol" "$sip1"
# The registrar sends the INVITE to the Contact carol registered.
call dave-carol sip:carol@example.test "$sip1" "$pn_carol" "$pn_sip1" \
  "sip:carol@$pn_carol:5060;transport=UDP"

# -- 4. Kamailio finds the overlay's proxy peer by NAPTR and SRV -------------
# TTL 1: Kamailio keeps a record no longer than its TTL, so the change in
# step 5 is seen within a second.
zone_update "$pn_dir/pp1.key" <<'UPDATE' || fail "pp1 could not publish its NAPTR and SRV: $(cat "$pn_dir/nsupdate.out")"
update add p2psip.test. 1 NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.p2psip.test.
update add _sip._udp.p2psip.test. 1 SRV 20 0 5060 pp1.p2psip.test.
UPDATE
check_eq "p2psip.test's targets (RFC 3263)" "127.0.0.11:5060" "$(sip_targets p2psip.test | oneline)"
kam_log=$pn_dir/kamailio-$pn_sip1/log
lines=$(wc -l <"$kam_log")
call dave-alice sip:alice@p2psip.test "$sip1" 127.0.0.11 "$pn_sip1" sip:alice@p2psip.test
check_eq "where Kamailio sent the INVITE" "sent INVITE sip:alice@p2psip.test to 127.0.0.11:5060" \
  "$(tail -n "+$((lines + 1))" "$kam_log" | grep -o 'sent INVITE .*' | oneline)"

# -- 5. failover to the next SRV target --------------------------------------
zone_update "$pn_dir/pp2.key" <<'UPDATE' || fail "pp2 could not publish: $(cat "$pn_dir/nsupdate.out")"
update add _sip._udp.p2psip.test. 1 SRV 10 0 5060 pp2.p2psip.test.
update add pp2.p2psip.test. 1 A 127.0.0.12
UPDATE
check_eq "p2psip.test's targets (RFC 3263)" "127.0.0.12:5060 127.0.0.11:5060" \
  "$(sip_targets p2psip.test | oneline)"
port_is_free udp 127.0.0.12 5060 || fail "something listens on 127.0.0.12:5060, the dead target"
sleep 1.5  # Kamailio's cached SRV set (TTL 1) expires
# The callee stands for the proxy peer and alice: its 200 carries the
# Record-Route <sip:p2psip.test;lr>, so dave's BYE too goes to p2psip.test
# by DNS, as it will when the proxy peer that took the call has died.
lines=$(wc -l <"$kam_log")
t=$(date +%s%N)
call failover sip:alice@p2psip.test "$sip1" 127.0.0.11 "$pn_sip1" sip:alice@p2psip.test \
  "$scenarios/uas_call_behind_proxy_peer.xml" BYE
ms=$(ms_since "$t")
sent=$(tail -n "+$((lines + 1))" "$kam_log" | grep -o 'sent [A-Z]* .*')
check_eq "where Kamailio sent the INVITE, in order" \
  "sent INVITE sip:alice@p2psip.test to 127.0.0.12:5060 sent INVITE sip:alice@p2psip.test to 127.0.0.11:5060" \
  "$(grep '^sent INVITE' <<<"$sent" | oneline)"
check_eq "where Kamailio sent the BYE (Route <sip:p2psip.test;lr>), in order" \
  "sent BYE sip:127.0.0.11:5060;transport=UDP to 127.0.0.12:5060 sent BYE sip:127.0.0.11:5060;transport=UDP to 127.0.0.11:5060" \
  "$(grep '^sent BYE' <<<"$sent" | oneline)"
# An ACK has no answer to fail over on: one routed to a dead target is lost.
say "where Kamailio sent the ACK: $(grep '^sent ACK' <<<"$sent" | oneline)"
[ "$ms" -ge 4000 ] ||
  fail "the failover call took $ms ms, less than Kamailio's fr_timer (2 s) twice, for the INVITE and the BYE"
say "failover: the call took $ms ms (fr_timer 2 s on the dead target, for the INVITE and the BYE)"

# -- 6. example.test's second target, alive ----------------------------------
sip2=$(sip_targets example.test | sed -n 2p)
check_eq "example.test's second target" "$pn_sip2:5060" "$sip2"
say "a second Kamailio at $pn_sip2:5060"
start_kamailio "$pn_sip2" || fail "the second Kamailio did not start"
register carol "$pn_carol" "$sip2"
call dave-carol-sip2 sip:carol@example.test "$sip2" "$pn_carol" "$pn_sip2" \
  "sip:carol@$pn_carol:5060;transport=UDP"
stop_kamailio "$pn_sip2"
port_is_free udp "$pn_sip2" 5060 || fail "the second Kamailio still listens after stop_kamailio"

say "interwork.public-network passed in $(ms_since "$t0") ms"
