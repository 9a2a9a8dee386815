#!/usr/bin/env bash
# Phones behind NATs call each other through TURN relays:
#
#   nat_relay_test.sh P2PSIPD P2PSIP OVERLAY_LIB [CASE...]
#
# (tests/relay/CMakeLists.txt runs every case, in order, as relay.nat.)
# The world (tests/relay/nat_network.sh, namespaces p2p-nat-<pid>-*):
#   public 203.0.113.0/24  node 1 .11 and node 2 .12 (p2psipd, roles peer,
#                          registrar, proxy, relay; overlay p2psip.test,
#                          nodes linked over TLS on this segment; each hands
#                          its users TURN credentials, HTTPS Get Relay on
#                          its address port 8443), relay 1 .21 and relay 2
#                          .22 (coturn, TURN REST credentials with a secret
#                          made for this run, realm p2psip.test). Node 1 is
#                          the relay peer of relay 1, node 2 of relay 2: each
#                          checks its server every $relay_check_every s and
#                          advertises it under turn:p2psip.test while it passes
#   home 1 192.168.1.0/24  alice's baresip at .10, registered with node 1,
#                          behind a cone-like NAT (outside .2)
#   home 2 192.168.2.0/24  bob's baresip at .10, registered with node 2,
#                          behind a symmetric-like NAT (outside .3)
# Each phone is provisioned from its home, through its NAT, by `p2psip
# account --format baresip` against its own node's Get Relay endpoint
# (alice: node 1, bob: node 2): ICE (medianat=ice) with the first TURN
# server the overlay handed it (the order is random: a node may hand out the
# other node's relay), and REST credentials for it.
#
# Cases:
#   call       both nodes' /relays list both relays (the overlay has both
#              records); a wrong password gets no credentials; alice calls
#              bob: the call is established, RTP flows both ways (each
#              phone's own counts), and through the relays the phones were
#              given: both phones' ICE chose a pair with a relayed candidate
#              on one of them, no pair between their server-reflexive
#              addresses worked, each phone allocated on its own relay
#              (coturn's log), no other relay allocated for them, and the
#              given relays' logs show bytes relayed both ways
#   failover   the relay alice was given is killed; the other node's
#              /relays no longer lists it within $relay_withdraw_s s
#              (wait_relay_withdrawn, the time is printed), nor does its own
#              node's, whose checks call it unhealthy; both phones are
#              provisioned again and given only the surviving relay; the
#              next call flows through it (ICE, its log)
#   readvertise  the killed relay is started again: both nodes' /relays
#              list it again within $relay_withdraw_s s (alone, it kills
#              relay 1 and waits for its withdrawal first)
# What baresip 1.0 does here: ICE with TURN over UDP (no TCP, no TLS); a
# call's first RTP comes 13-16 s after the answer, once every check is over
# (those the NATs drop time out first); baresip_ctrl.py is given 30 s for it.
# Run as root; exits 77 (skipped) without root or a tool. Every process is
# started in a namespace of this run and killed, and the namespaces
# deleted, on exit, pass or fail (those of a run killed with SIGKILL, by
# the next run). P2PSIP_KEEP_WORK=1 keeps the work directory (configs and
# logs). About 60 s.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

p2psipd=${1:?usage: nat_relay_test.sh P2PSIPD P2PSIP OVERLAY_LIB [CASE...]}
p2psip=${2:?}
overlay_lib=${3:?}
shift 3
cases=("$@")
[ "${#cases[@]}" -gt 0 ] || cases=(call failover readvertise)
here=$(cd "$(dirname "$0")" && pwd)
name=relay.nat
# shellcheck source=relay_world.sh
source "$here/relay_world.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "$name: skipped, it needs root (network namespaces, nftables)"
  exit 77
fi
relay_require ip nft turnserver baresip openssl python3 stdbuf ss

# shellcheck source=nat_network.sh
source "$here/nat_network.sh"
# shellcheck source=../lib/baresip_phone.sh
source "$here/../lib/baresip_phone.sh"

node_addrs=("$nat_pub_net.11" "$nat_pub_net.12")
relay_addrs=("$nat_pub_net.21" "$nat_pub_net.22")
nat_pub_addrs=("${node_addrs[@]}" "${relay_addrs[@]}")
# shellcheck disable=SC2034  # read by local_overlay.sh
overlay_addrs=("${node_addrs[@]}")
# shellcheck source=/dev/null
source "$overlay_lib"

turn_port=3478
turn_secret=$(openssl rand -hex 24)  # coturn's static-auth-secret, this run only
get_relay_port=8443                  # each node's HTTPS Get Relay endpoint
phone_ctrl=4444                      # ctrl_tcp, on each phone's address
call_timeout=60                      # the most one checked call may take
relay_check_every=2                  # [relay] check_every: how often a relay peer probes
# A dead relay's record is gone from what a node reads within one check
# period, the probe's timeout (3 s), and the 5 s a node caches what it read
# of the relays (10 s), give or take a lost check: 15 s. The same bound for a
# relay that is back to be advertised again.
relay_withdraw_s=${relay_withdraw_s:-15}

relay_server_logs=("turn*/turn.log")
relay_world_init
declare -A phone_relay=()

# -- the overlay ----------------------------------------------------------------

start_overlay() {
  relay_overlay_create
  # Node I is the relay peer of relay I, and both hand out credentials for
  # the relays of the overlay, made with coturn's secret.
  local i
  for i in 1 2; do
    sed -i 's/^roles = .*/roles = ["peer", "registrar", "proxy", "relay"]/' \
      "$work/overlay/node$i/p2psipd.toml"
    cat >>"$work/overlay/node$i/p2psipd.toml" <<TOML

[relay]
servers = ["turn:${relay_addrs[$i - 1]}:$turn_port?transport=udp"]
check_every = $relay_check_every

[relays]
secret = "$work/turn-secret"
listen = "${node_addrs[$i - 1]}:$get_relay_port"
TOML
  done
  overlay_start 1 || fail "node 1 did not start"
  overlay_start 2 || fail "node 2 did not start"
  overlay_wait_joined 2 1 1 15 || fail "node 2 did not join node 1 within 15 s"
  for i in 1 2; do
    ns_wait_port pub tcp "${node_addrs[$i - 1]}" "$get_relay_port" 10 ||
      fail "node $i's Get Relay endpoint does not listen on ${node_addrs[$i - 1]}:$get_relay_port"
  done
  say "overlay p2psip.test: node 1 ${node_addrs[0]} (relay peer of relay 1), node 2 ${node_addrs[1]} (of relay 2)"
}

# -- the relays -----------------------------------------------------------------

# Relay I (1 or 2): coturn on its own address (relay_world.sh's
# coturn_start), its log $work/turnI/turn.log.
# Private addresses are NOT denied as peers (denied-peer-ip), though a relay
# on the Internet should deny them: a phone's ICE (baresip 1.0) asks its
# TURN server for a permission and channel to each of the other phone's
# candidates, its private host address too; coturn answers "403 Forbidden
# IP" and baresip 1.0 then drops its relayed candidate altogether ("TURN
# Client error: 403 Forbidden IP", "ice: gathering srflx for comp 1 ..."):
# it is gone before the pairs that need it are checked, and the call has no
# path. Allowed, the channel to 192.168.x.x takes the default route of the
# public segment into the void (nat_network.sh), as on the Internet.
start_relay() {  # I
  local i=$1 a=${relay_addrs[$1 - 1]}
  # The same secret for the nodes ([relays] secret: one line, mode 0600).
  [ -f "$work/turn-secret" ] || (umask 077 && echo "$turn_secret" >"$work/turn-secret")
  coturn_start "$i" "$a" ||
    fail "relay $i (coturn) does not listen on $a:$turn_port within 10 s"
  say "relay $i: coturn on $a:$turn_port (pid ${relay_pid[$i]})"
}

kill_relay() {  # I
  local pid=${relay_pid[$1]}
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "relay_pid[$1]"
  ! kill -0 "$pid" 2>/dev/null || fail "relay $1 (coturn, pid $pid) is still alive after kill -9"
  ! nat_exec pub ss -Hlnu "src ${relay_addrs[$1 - 1]}:$turn_port" | grep -q . ||
    fail "something still listens on relay $1's address ${relay_addrs[$1 - 1]}:$turn_port"
}

relay_uri() { echo "turn:${relay_addrs[$1 - 1]}:$turn_port?transport=udp"; }  # I
relay_index() {  # ADDR: its I
  local i
  for i in 1 2; do [ "${relay_addrs[$i - 1]}" = "$1" ] && echo "$i" && return 0; done
  fail "$1 is not a relay of this test"
}
# The node whose relay I is not: it learns of the relay from the overlay only.
other_node() { echo $((3 - $1)); }

# The relay URIs node I reads in the overlay (its /relays), one a line,
# sorted (with --checks: its own servers' health, node_relays.py); status 1,
# saying why on stderr, when its API does not answer.
node_relays() {  # I [--checks]
  local out
  out=$(nat_exec pub python3 "$here/node_relays.py" \
    "$(overlay_addr "$1"):$(overlay_api_port "$1")" "${@:2}" 2>&1) ||
    { echo "node $1's /relays: $out" >&2; return 1; }
  [ -z "$out" ] || sort <<<"$out"
}

# Waits until node I's /relays lists relay J (present) or does not (absent),
# $relay_withdraw_s s at most, from START (date +%s%N, e.g. when the relay
# was killed); says how long it took from START, or fails saying what the
# node still lists.
wait_node_relays() {  # I J present|absent START WHAT
  local i=$1 uri listed deadline
  uri=$(relay_uri "$2")
  deadline=$(($4 + relay_withdraw_s * 1000000000))
  while :; do
    listed=$(node_relays "$i") || fail "node $i's API does not answer /relays"
    if [ "$3" = present ] && grep -qxF "$uri" <<<"$listed"; then break; fi
    if [ "$3" = absent ] && ! grep -qxF "$uri" <<<"$listed"; then break; fi
    [ "$(date +%s%N)" -lt "$deadline" ] ||
      fail "node $i's /relays still $([ "$3" = absent ] && echo lists || echo lacks) relay $2 ($uri) $relay_withdraw_s s after $5: it lists $(oneline <<<"$listed")"
    sleep 0.2
  done
  say "node $i's /relays $([ "$3" = absent ] && echo "no longer lists" || echo lists) relay $2, $(ms_since "$4") ms after $5"
}

# Relay I's coturn was killed at START: its relay peer's next check fails
# and the peer withdraws its record. The other node, which knows of relay I
# from the overlay only, stops listing it within $relay_withdraw_s s (the
# time is printed); so does relay I's own node, whose checks call it
# unhealthy.
wait_relay_withdrawn() {  # I START
  local i=$1 own=$1 other checks
  other=$(other_node "$i")
  wait_node_relays "$other" "$i" absent "$2" "relay $i was killed"
  wait_node_relays "$own" "$i" absent "$2" "relay $i was killed"
  checks=$(node_relays "$own" --checks) || fail "node $own's API does not answer /relays"
  awk -v u="$(relay_uri "$i")" '$1 == u && $2 == "unhealthy" && $3 > 0 { ok = 1 } END { exit !ok }' \
    <<<"$checks" ||
    fail "node $own's checks do not call relay $i unhealthy: $(oneline <<<"$checks")"
  say "node $own's checks: $(oneline <<<"$checks")"
}

# -- the phones -----------------------------------------------------------------

# p2psip account USER, run in home N (through its NAT, as the phone would),
# against the Get Relay endpoint of the node at NODE_ADDR, with PASSWORD as
# the user's SIP password, in FORMAT (baresip: an accounts line; json: the
# endpoint's answer, {username, password, ttl, uris}). The node's
# certificate is checked against the overlay's CA. Its output in prov_out,
# its errors in prov_err; its exit status.
ask_account() {  # USER PASSWORD NODE_ADDR N FORMAT
  local rc=0
  prov_out=$(nat_exec "h$4" env P2PSIP_PASSWORD="$2" timeout 20 "$p2psip" account "$1" \
    --domain p2psip.test --node "$3:5060" --get-relay "$3:$get_relay_port" \
    --ca "$work/overlay/ca/ca.crt" --format "$5" 2>"$work/account.err") || rc=$?
  prov_err=$(cat "$work/account.err")
  return "$rc"
}

# USER's account, from the node at NODE_ADDR, asked from home N: every
# relay URI the node hands out (its JSON answer) in prov_uris, then the
# baresip accounts line in prov_line, whose TURN server (the first URI of
# another answer: the order is random) is prov_uri, on relay prov_relay
# (1 or 2), for the TURN user prov_username.
provision_phone() {  # USER NODE_ADDR N
  local user=$1 node=$2 n=$3
  ask_account "$user" "$user-secret" "$node" "$n" json ||
    fail "$user: no relays from $node's Get Relay endpoint: $prov_err"
  mapfile -t prov_uris < <(python3 -c 'import json, sys; print(*json.load(sys.stdin)["uris"], sep="\n")' <<<"$prov_out")
  [ "${#prov_uris[@]}" -gt 0 ] || fail "$user: $node handed out no relay: $prov_out"
  ask_account "$user" "$user-secret" "$node" "$n" baresip ||
    fail "$user: no baresip account from $node's Get Relay endpoint: $prov_err"
  prov_line=$prov_out
  prov_uri=$(grep -oE ';stunserver="[^"]*"' <<<"$prov_line" | sed -E 's/^;stunserver="//; s/"$//' || true)
  prov_username=$(grep -oE ';stunuser=[^;]*' <<<"$prov_line" | sed 's/^;stunuser=//' || true)
  if [ -z "$prov_uri" ] || [ -z "$prov_username" ]; then
    fail "$user: no stunserver or stunuser in the account line: $prov_line"
  fi
  [[ $prov_uri == turn:*transport=udp ]] ||
    fail "$user: the account's TURN server $prov_uri is not turn: over UDP (baresip's ICE speaks TURN over UDP only)"
  prov_relay=$(relay_index "$(sed -E 's/^turn:([^:?]+).*/\1/' <<<"$prov_uri")")
  [ "$prov_uri" = "$(relay_uri "$prov_relay")" ] || fail "$user: handed $prov_uri, not relay $prov_relay's URI"
}

# A baresip phone for USER in home N, registered with NODE_ADDR over UDP,
# with the account provision_phone got from that node (ICE with the TURN
# server it names): relay_world.sh's relay_phone_start, config in
# $work/USER-RUN, log $work/USER-RUN.log.
start_phone() {  # USER HOME NODE_ADDR ANSWERMODE RUN
  local user=$1 n=$2 node=$3 run=$5 addr
  addr=$(eval echo "\$nat_h${n}_addr")
  provision_phone "$user" "$node" "$n"
  say "$user: node $node hands out $(oneline < <(printf '%s\n' "${prov_uris[@]}")); the account names relay $prov_relay"
  [ -z "$(nat_exec "h$n" ss -Hlnu "src $addr:5060")" ] || fail "$user: $addr:5060 is taken in home $n"
  relay_phone_start "$user" "h$n" "$addr" "$node" "$4" "$run" "$prov_line"
  phone_turn_user[$user]=$prov_username
  phone_relay[$user]=$prov_relay
  say "$user: baresip at $addr (home $n) for node $node, TURN $prov_uri as $prov_username"
}

# -- one call -------------------------------------------------------------------

# alice calls bob (who answers by himself): tests/lib/baresip_ctrl.py,
# from the homes' namespaces, checks registration, call, RTP both ways
# (each phone's packet counts), hangup, and that bob's INVITE came from
# node 2.
call_alice_bob() {  # RUN
  local run=$1 t
  t=$(date +%s%N)
  drive_call "$run" "$nat_h1_addr=$(nat_ns h1) $nat_h2_addr=$(nat_ns h2)" \
    "$here/relay_call.py" "$here/../lib/baresip_ctrl.py" udp \
    "$nat_h1_addr:$phone_ctrl" "$nat_h2_addr:$phone_ctrl" "$work/alice-$run.log" "$work/bob-$run.log" \
    "${node_addrs[1]}:5060" --auto-answer
  [ "$call_rc" -eq 0 ] || fail "the call alice -> bob failed (baresip_ctrl.py exit $call_rc)"
  say "call $run: alice -> bob established, RTP both ways, hung up ($(ms_since "$t") ms)"
}

# -- where the media went -------------------------------------------------------

# What the phones' ICE did: relay_world.sh's ice_dump and ice_selected.

# The relays the phones were given (phone_relay), their addresses, one a line.
given_relay_addrs() {
  local i
  for i in $(printf '%s\n' "${phone_relay[@]}" | sort -u); do echo "${relay_addrs[$i - 1]}"; done
}

# The ICE result of USER's phone in call RUN: the check list completed, the
# selected pair of each component has a relayed candidate, and every relayed
# candidate in it is on a relay the phones were given (local or remote:
# either way the media crosses that relay), and the
# direct path was impossible: a pair from the phone's host address to the
# other phone's server-reflexive one (its NAT mapping) was checked and
# failed, and no pair without a relayed candidate succeeded.
check_ice_relayed() {  # USER RUN
  local user=$1 log=$work/$1-$2.log given dump selected direct srflx connected on a
  given=$(given_relay_addrs)
  # (grep -q in a pipe would end nocolour early: SIGPIPE fails the pipeline.)
  grep -q '^ice: audio: connectivity check is complete' < <(nocolour "$log") ||
    fail "$user: baresip's ICE checks did not complete (no \"ice: audio: connectivity check is complete\")"
  dump=$(ice_dump "$log")
  [ -n "$dump" ] || fail "$user: no ICE media state (\"audio: Dumping media state\") in $log"
  selected=$(ice_selected "$user" "$2")
  grep -qE '^  \*  \{comp=1\} +Succeeded ' <<<"$selected" ||
    fail "$user: ICE selected no succeeded pair for component 1 (RTP): $(oneline <<<"$selected")"
  while IFS= read -r line; do
    on=$(grep -oE 'relay:[0-9.]+:' <<<"$line" | sed 's/^relay://; s/:$//' || true)
    [ -n "$on" ] || fail "$user: the selected ICE pair has no relayed candidate: $line"
    for a in $on; do
      grep -qxF "$a" <<<"$given" ||
        fail "$user: the selected ICE pair has a relayed candidate on $a, not a relay the phones were given ($(oneline <<<"$given")): $line"
    done
  done <<<"$selected"
  direct=$(grep -E 'Succeeded' <<<"$dump" | grep -v 'relay:' || true)
  [ -z "$direct" ] || fail "$user: a pair without a relay succeeded, a direct path existed: $(oneline <<<"$direct")"
  # The check list in the dump, else the check's own line:
  #   "{      audio.1}  host <---> srflx  FSM:  InProgress ===> Failed    "
  srflx=$(grep -E '^ +\{comp=1\} +Failed \{ *\} eth0:host:[0-9.:]+ <---> srflx:' <<<"$dump" ||
    grep -m1 -E '^\{ +audio\.1\} +host <---> srflx +FSM: +InProgress ===> Failed' < <(nocolour "$log") || true)
  [ -n "$srflx" ] ||
    fail "$user: no failed check from its host address to the other phone's server-reflexive one"
  connected=$(grep -m1 "^stream: mnat 'ice' connected: " < <(nocolour "$log") || true)
  say "$user: ICE selected $(sed -E 's/^  \*  //; s/ +/ /g' <<<"$selected" | paste -sd ';' -)"
  say "$user: direct path failed: $(sed -E 's/^ +//; s/ +/ /g' <<<"$srflx" | head -n 1); ${connected#stream: }"
}

# What relay I's coturn log says about the allocations of the TURN users
# USER...: "SESSIONS RP RB SP SB" (relay_world.sh's coturn_usage).
relay_usage() {  # I USER...
  coturn_usage "$work/turn$1/turn.log" "${@:2}"
}

# The call RUN went through the relays the phones were given: each phone
# allocated on its own (coturn's log, for the TURN user it was given), no
# other relay allocated for them, and the given relays together relayed
# their RTP both ways. With ICE, each phone sends either from its own
# relayed address (counted as sent to a peer, sp, by its allocation) or to
# the other's (received from a peer, rp, by the other's allocation); a
# packet between two relayed addresses counts twice (on one relay or one on
# each). Both ways, each at least $min_relayed packets (baresip_ctrl.py's
# threshold), make rp + sp >= 2 * $min_relayed.
min_relayed=50
check_relayed() {  # RUN
  local run=$1 u i n sessions rp rb sp sb all=0 trp=0 trb=0 tsp=0 tsb=0 given
  given=$(printf '%s\n' "${phone_relay[@]}" | sort -u)
  for u in alice bob; do
    i=${phone_relay[$u]}
    n=$(grep -cF "user <${phone_turn_user[$u]}>: incoming packet ALLOCATE processed, success" \
      "$work/turn$i/turn.log" || true)
    [ "$n" -gt 0 ] ||
      fail "$u: relay $i, the one it was given, made no allocation for ${phone_turn_user[$u]}"
  done
  for i in 1 2; do
    if ! grep -qx "$i" <<<"$given"; then
      ! grep -qE "user <(${phone_turn_user[alice]}|${phone_turn_user[bob]})>: incoming packet ALLOCATE processed, success" \
        "$work/turn$i/turn.log" ||
        fail "relay $i allocated for the phones in call $run, though neither was given it"
      continue
    fi
    read -r sessions rp rb sp sb < <(relay_usage "$i" "${phone_turn_user[alice]}" "${phone_turn_user[bob]}")
    say "relay $i, call $run: $sessions allocations for alice and bob; peer usage rp=$rp, rb=$rb, sp=$sp, sb=$sb"
    all=$((all + sessions)) trp=$((trp + rp)) trb=$((trb + rb)) tsp=$((tsp + sp)) tsb=$((tsb + sb))
  done
  [ "$all" -ge 2 ] || fail "not an allocation for each phone ($all ALLOCATE successes)"
  if [ "$trb" -eq 0 ] || [ "$tsb" -eq 0 ]; then
    fail "relay(s) $(oneline <<<"$given") relayed no bytes one way: rb=$trb, sb=$tsb"
  fi
  [ $((trp + tsp)) -ge $((2 * min_relayed)) ] ||
    fail "relay(s) $(oneline <<<"$given") relayed $((trp + tsp)) packets (rp=$trp, sp=$tsp), fewer than both ways of the call ($((2 * min_relayed)))"
}

# -- the cases ------------------------------------------------------------------

setup_world() {
  nat_reap_stale
  nat_setup || fail "the namespaces could not be set up"
  say "namespaces: $(ip netns list | grep -oE "^${nat_prefix}[a-z0-9]+" | oneline)"
  # The relays first: their peers' first checks find them up.
  start_relay 1
  start_relay 2
  overlay_started=$(date +%s%N)
  start_overlay
}

# The relay URIs USER was handed (prov_uris) are exactly those of relays I...
expect_handed() {  # USER I...
  local user=$1 want got i
  shift
  want=$(for i in "$@"; do relay_uri "$i"; done | sort)
  got=$(printf '%s\n' "${prov_uris[@]}" | sort)
  [ "$got" = "$want" ] ||
    fail "$user was handed $(oneline <<<"$got"), not relay(s) $* ($(oneline <<<"$want"))"
}

case_call() {
  local i j
  # The overlay has both records: each node reads both, its own relay's and
  # the other node's.
  for i in 1 2; do
    for j in 1 2; do wait_node_relays "$i" "$j" present "$overlay_started" "the nodes started"; done
  done
  nat_exec pub timeout 10 "$p2psip" relays --api "$(overlay_addr 1):$(overlay_api_port 1)" |
    sed 's/^/  node 1: /' || fail "p2psip relays failed at node 1"
  # No credentials without the user's SIP password.
  if ask_account alice not-alice-secret "${node_addrs[0]}" 1 baresip; then
    fail "alice got an account with a wrong password: $prov_out"
  fi
  grep -q refused <<<"$prov_err" || fail "p2psip account with a wrong password did not say refused: $prov_err"
  ! grep -q stunpass <<<"$prov_out" || fail "p2psip account printed credentials for a wrong password: $prov_out"
  say "alice, wrong password: $prov_err"
  start_phone bob 2 "${node_addrs[1]}" auto 1
  expect_handed bob 1 2
  start_phone alice 1 "${node_addrs[0]}" manual 1
  expect_handed alice 1 2
  call_alice_bob 1
  check_ice_relayed alice 1
  check_ice_relayed bob 1
  stop_phones
  check_relayed 1
}

killed_relay=
case_failover() {
  # The relay alice was given in call 1 (relay 1 when the case runs alone).
  local victim=${phone_relay[alice]:-1} survivor t u
  survivor=$((3 - victim))
  t=$(date +%s%N)
  kill_relay "$victim"
  killed_relay=$victim
  say "relay $victim (alice's in call 1) killed"
  wait_relay_withdrawn "$victim" "$t"
  start_phone bob 2 "${node_addrs[1]}" auto 2
  expect_handed bob "$survivor"
  start_phone alice 1 "${node_addrs[0]}" manual 2
  expect_handed alice "$survivor"
  for u in alice bob; do
    [ "${phone_relay[$u]}" = "$survivor" ] || fail "$u's account names relay ${phone_relay[$u]}, which is dead"
  done
  call_alice_bob 2
  check_ice_relayed alice 2
  check_ice_relayed bob 2
  stop_phones
  check_relayed 2
}

case_readvertise() {
  local i=${killed_relay:-1} t
  if [ -z "$killed_relay" ]; then  # run without failover: relay 1 goes first
    t=$(date +%s%N)
    kill_relay 1
    wait_relay_withdrawn 1 "$t"
  fi
  t=$(date +%s%N)
  start_relay "$i"
  wait_node_relays "$(other_node "$i")" "$i" present "$t" "relay $i was started again"
  wait_node_relays "$i" "$i" present "$t" "relay $i was started again"
}

t0=$(date +%s%N)
setup_world
say "set up in $(ms_since "$t0") ms"
for c in "${cases[@]}"; do
  current_case=$c
  t=$(date +%s%N)
  case "$c" in
    call) case_call ;;
    failover) case_failover ;;
    readvertise) case_readvertise ;;
    *) fail "unknown case $c" ;;
  esac
  say "case $c passed ($(ms_since "$t") ms)"
done
say "relay.nat passed (${cases[*]}) in $(ms_since "$t0") ms"
