#!/usr/bin/env bash
# Two real baresip phones on different nodes of a three-node overlay call
# each other through it.
#   e2e_baresip.sh BASE_PORT P2PSIPD P2PSIP OVERLAY_LIB
# The overlay (OVERLAY_LIB, scripts/lib/local_overlay.sh): node I has SIP
# on BASE_PORT+10*I (udp and tcp), DHT +1, API +2. alice's baresip
# registers with node 1, bob's with node 3, over UDP. The phones use
# BASE_PORT+100..: alice's SIP +100 (+101), bob's +102 (+103); ctrl_tcp
# alice +106, bob +107; RTP alice +110..+113, bob +114..+117.
# tests/lib/baresip_ctrl.py drives and checks the call: both
# phones register, alice calls sip:bob@p2psip.test, bob answers, RTP flows
# both ways, alice hangs up and both see the call end; bob's INVITE must
# come from node 3 (the node holding his flow). Here we also check that
# alice's INVITE went to node 1 and that node 1 looked bob up in the
# overlay (p2psip status). Every process is bounded in time and killed on exit; the logs
# are printed on failure. Exit status 0 when every check passed.
set -euo pipefail

base=$1
p2psipd=$2
p2psip=$3
overlay_lib=$4
here=$(cd "$(dirname "$0")" && pwd)
ctrl=$here/../lib/baresip_ctrl.py
nodes=3

# shellcheck source=tests/lib/baresip_phone.sh
. "$here/../lib/baresip_phone.sh"
baresip_require

# shellcheck source=/dev/null # scripts/lib/local_overlay.sh, given at run time
. "$overlay_lib"

work=$(mktemp -d)
phones=()
stop_nodes() {  # SIGTERM each node, SIGKILL whatever is left after two seconds
  local pids=() p
  for p in "$work"/overlay/node*/pid; do
    [ -f "$p" ] && pids+=("$(cat "$p")")
  done
  [ "${#pids[@]}" -eq 0 ] || stop_pids "${pids[@]}"
  overlay_stop_all  # reaps them and removes the pid files
}
cleanup() {
  set +e
  # The phones first: on SIGTERM baresip un-registers, which needs the nodes.
  [ "${#phones[@]}" -eq 0 ] || stop_pids "${phones[@]}"
  stop_nodes
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "e2e baresip call failed: $*"
  show_logs "$work" "$work"/overlay/node*/log "$work"/*.log
  exit 1
}

P2PSIP_LOG=${P2PSIP_LOG:-debug} overlay_create "$work/overlay" "$nodes" "$base" "$p2psipd" "$p2psip"
for i in $(seq 1 "$nodes"); do
  overlay_start "$i" || fail "node $i did not start"
done

# The DHT joins in a second or two: wait until every node knows the other
# two and has heard from at least one (OpenDHT counts a node good only
# once it answered a request of ours, which node 1 makes ~10 s later).
for i in $(seq 1 "$nodes"); do
  overlay_wait_joined "$i" 1 $((nodes - 1)) 15 || fail "node $i did not join the overlay within 15 s"
done
echo "overlay joined"

phone() {  # name password node sip-port ctrl-port rtp-low
  local proxy
  proxy=$(overlay_sip_port "$3")
  baresip_write_config "$work/$1" "$1" "$2" udp "$proxy" "$4" "$5" "$6"
  baresip_start "$work/$1" "$work/$1.log"
  phones+=($!)
}
phone alice alice-secret 1 $((base + 100)) $((base + 106)) $((base + 110))
phone bob bob-secret 3 $((base + 102)) $((base + 107)) $((base + 114))

node1=$(overlay_sip_port 1)
node3=$(overlay_sip_port 3)
status=0
# PROXY_PORT is node 3: bob's INVITE must come from the node holding his flow.
timeout 60 python3 "$ctrl" udp $((base + 106)) $((base + 107)) \
  "$work/alice.log" "$work/bob.log" "$node3" >"$work/ctrl.out" 2>&1 || status=$?
cat "$work/ctrl.out"
[ "$status" -eq 0 ] || fail "the call checks failed (status $status)"

# alice's INVITE went out to node 1 (baresip's trace heads each message
# with "PROTO src -> dst"), so the call crossed the overlay from node 1 to 3.
sed 's/\x1b\[[0-9;]*m//g' "$work/alice.log" |
  grep -A1 -E "^UDP 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:$node1\$" | grep -q "^INVITE sip:bob@p2psip.test" ||
  fail "alice: no INVITE to node 1 (127.0.0.1:$node1) in her trace"
# Node 1 found bob by an overlay lookup (its location counters).
lookups=$(overlay_status_number 1 lookups) || fail "node 1's status has no lookups count"
[ "$lookups" -ge 1 ] || fail "node 1 made no overlay lookup"
echo "node 1: $lookups overlay lookup(s)"
echo "e2e baresip call passed"
