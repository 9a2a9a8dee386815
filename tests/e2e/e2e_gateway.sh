#!/usr/bin/env bash
# Calls to telephone numbers through the overlay's gateway peers (issue 14
# section 3), with sipp standing in for the telephone network:
#   e2e_gateway.sh BASE_PORT P2PSIPD P2PSIP OVERLAY_LIB
# Three p2psipd nodes on 127.0.0.1 (scripts/lib/local_overlay.sh): nodes 1
# and 2 are gateway peers, each with its own trunk, a sipp UAS (trunk 1 on
# BASE_PORT+101, trunk 2 on +102); node 3 is an ordinary node on which
# alice's sipp phone (+103) registers. Both gateway peers serve "+1*";
# gateway 1 also "+1555*" and gateway 2 "+1212*", so the most specific one
# is chosen first and each number's way is known in advance:
#   1. alice dials sip:+15551234@p2psip.test;user=phone: challenged (407)
#      by node 3, then on through gateway peer 1 to trunk 1, which gets
#      sip:+15551234@<trunk 1>;user=phone. +12125551234 reaches trunk 2
#      through gateway peer 2. A number no gateway serves gets 404.
#   2. gateway peer 1 is killed (kill -9): its record is still in the
#      overlay, so node 3 still tries it first for +15551234, and fails over
#      to gateway peer 2 (node 3 counts the failovers); trunk 2 gets the call.
# The case owns BASE_PORT..+199. Every sipp and node is bounded in time and
# ended on exit; the work directory is removed. Exit 0 only when every
# assertion holds; the logs are printed otherwise.
set -euo pipefail

base=$1
p2psipd=$2
p2psip=$3
overlay_lib=$4
here=$(cd "$(dirname "$0")" && pwd)
interop=$here/../interop/scenarios
interwork=$here/../interwork/scenarios
work=$(mktemp -d)
# shellcheck source=/dev/null
source "$overlay_lib"
# shellcheck source=../lib/sip_test.sh
source "$here/../lib/sip_test.sh"

trunk_port=([1]=$((base + 101)) [2]=$((base + 102)))
alice_port=$((base + 103))

pids=()
trap e2e_cleanup EXIT

say() { echo "[$(date +%T.%3N)] $*"; }

show_logs() {
  local f
  for f in "$work"/overlay/node*/log "$work"/*.err "$work"/*.out "$work"/*.msg; do
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    tail -n 60 "$f"
  done
}

fail() {
  echo "e2e gateway FAILED: $*"
  show_logs
  exit 1
}

# sipp with no terminal, bounded in time, its messages and errors traced to
# files named after the run; media ports apart for each run.
run_sipp() {  # name media-port sipp-arguments...
  local name=$1 mp=$2
  shift 2
  timeout 60 sipp -nostdin -timeout 40 -timeout_error -mp "$mp" \
    -trace_err -error_file "$work/$name.err" \
    -trace_msg -message_file "$work/$name.msg" \
    "$@" >"$work/$name.out" 2>&1
}

# Nodes 1 and 2 are gateway peers: trunk I, "+1*" and their own prefix.
make_gateways() {
  local i prefix
  for i in 1 2; do
    prefix=$([ "$i" = 1 ] && echo "+1555*" || echo "+1212*")
    sed -i 's/^roles = .*/roles = ["peer", "registrar", "proxy", "gateway"]/' \
      "$work/overlay/node$i/p2psipd.toml"
    cat >>"$work/overlay/node$i/p2psipd.toml" <<TOML

[gateway]
trunk = "sip:127.0.0.1:${trunk_port[i]};transport=udp"
numbers = ["+1*", "$prefix"]
TOML
  done
}

# Trunk I answers every call it gets, in the background, until the end.
start_trunk() {  # I
  run_sipp "trunk$1" $((base + 100 + 20 * $1)) -sf "$interop/uas_call.xml" -i 127.0.0.1 \
    -p "${trunk_port[$1]}" -t u1 -m 100 &
  pids+=($!)
  wait_for_udp_port 127.0.0.1 "${trunk_port[$1]}" 10 || fail "trunk $1's sipp does not listen"
}

# The INVITEs trunk I received so far.
trunk_invites() {  # I
  local n
  n=$(grep -c '^INVITE ' "$work/trunk$1.msg" 2>/dev/null) || true
  echo "${n:-0}"
}

node_failovers() {  # I: the proxy failovers node I counted
  overlay_status_number "$1" failovers || fail "node $1's status has no failovers"
}

calls=0
last_call=
# alice dials NUMBER (a user=phone URI of the overlay) through node 3,
# answering node 3's 407 with her credentials; sipp's exit status, 0 when
# the call succeeded (200, ACK, BYE). Its run is $last_call. A call that
# must fail sets dial_wait_ms: sipp waits that long for what never comes.
dial() {  # NUMBER
  local aor="sip:$1@p2psip.test;user=phone" rc=0
  calls=$((calls + 1))
  last_call=call$calls
  run_sipp "$last_call" $((base + 160)) -sf "$interwork/uac_call_aor.xml" \
    -key callee_aor "$aor" -key caller_aor sip:alice@p2psip.test \
    -au alice -ap alice-secret -auth_uri "$1@p2psip.test;user=phone" \
    -i 127.0.0.1 -p "$alice_port" -t u1 -m 1 -default_behaviors pingreply,bye \
    -recv_timeout "${dial_wait_ms:-15000}" "127.0.0.1:$(overlay_sip_port 3)" || rc=$?
  say "$last_call: alice -> $aor: $(sipp_answers "$work/$last_call.msg") (sipp exit $rc)"
  return "$rc"
}

# alice's call to NUMBER must reach trunk TRUNK, and no other, as the
# Request-URI a trunk expects.
call_reaches() {  # NUMBER TRUNK
  local other=$((3 - $2)) before other_before got
  before=$(trunk_invites "$2")
  other_before=$(trunk_invites "$other")
  dial "$1" || fail "$last_call: alice's call to $1 failed: $(sipp_answers "$work/$last_call.msg")"
  got=$(trunk_invites "$2")
  [ "$got" -eq $((before + 1)) ] || fail "$1: trunk $2 got $((got - before)) INVITEs, expected 1"
  [ "$(trunk_invites "$other")" -eq "$other_before" ] || fail "$1: trunk $other got the call too"
  grep -qF "INVITE sip:$1@127.0.0.1:${trunk_port[$2]};transport=udp;user=phone SIP/2.0" \
    "$work/trunk$2.msg" || fail "trunk $2 got no INVITE for sip:$1@127.0.0.1:${trunk_port[$2]}"
  say "$1 reached trunk $2"
}

say "three nodes; 1 and 2 are gateway peers"
overlay_create "$work/overlay" 3 "$base" "$p2psipd" "$p2psip"
make_gateways
for i in 1 2 3; do overlay_start "$i" || fail "node $i did not start"; done
for i in 1 2 3; do
  overlay_wait_joined "$i" 1 1 10 || fail "node $i has no good overlay node after 10 s"
done
joined=$(date +%s)
grep -q "gateway peer of p2psip.test" "$work/overlay/node1/log" ||
  fail "node 1 does not say it is a gateway peer"
start_trunk 1
start_trunk 2

printf 'SEQUENTIAL\nalice;\n' >"$work/alice.csv"
run_sipp register-alice $((base + 160)) -sf "$interop/register.xml" -inf "$work/alice.csv" \
  -au alice -ap alice-secret -s p2psip.test -auth_uri p2psip.test -i 127.0.0.1 -p "$alice_port" \
  -t u1 -m 1 "127.0.0.1:$(overlay_sip_port 3)" ||
  fail "alice's REGISTER on node 3 was not accepted: $(sipp_answers "$work/register-alice.msg")"
say "alice registered on node 3"

# The gateway peers put their records as they start; node 3 reads them when
# a call needs them (cached 5 s). Until it has read both, a call may get
# 404 or go to the one it knows: wait (30 s at most) until each number has
# reached its own trunk once.
t0=$(date +%s)
until grep -qF 'INVITE sip:+15551234@' "$work/trunk1.msg" 2>/dev/null &&
  grep -qF 'INVITE sip:+12125551234@' "$work/trunk2.msg" 2>/dev/null; do
  [ $(($(date +%s) - t0)) -lt 30 ] || fail "node 3 does not route to both gateway peers after 30 s"
  dial "+15551234" || true
  dial "+12125551234" || true
  sleep 1
done
say "node 3 knows both gateway peers after $(($(date +%s) - t0)) s"

say "1. each number through the gateway peer with its most specific pattern"
call_reaches "+15551234" 1
call_reaches "+12125551234" 2
before=$(($(trunk_invites 1) + $(trunk_invites 2)))
if dial_wait_ms=3000 dial "+4930123"; then fail "a call to +4930123, which no gateway serves, succeeded"; fi
[[ "$(sipp_answers "$work/$last_call.msg")" == *"SIP/2.0 404"* ]] ||
  fail "+4930123: expected 404, got $(sipp_answers "$work/$last_call.msg")"
[ $(($(trunk_invites 1) + $(trunk_invites 2))) -eq "$before" ] || fail "+4930123 reached a trunk"
say "+4930123: 404, no trunk reached"

# Gateway peer 1 put its first record before the others joined; its next
# put (every 20 s) reaches them, so the record outlives it where node 3 reads.
while [ $(($(date +%s) - joined)) -lt 22 ]; do sleep 1; done
say "2. gateway peer 1 is killed (kill -9)"
overlay_kill 1 KILL
failovers=$(node_failovers 3)
call_reaches "+15551234" 2
call_reaches "+15559876" 2
now=$(node_failovers 3)
[ "$now" -ge $((failovers + 2)) ] ||
  fail "node 3 counted $((now - failovers)) failovers for 2 calls whose first gateway was dead"
say "node 3 failed over $((now - failovers)) times"
say "e2e gateway passed"
