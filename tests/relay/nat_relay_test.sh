#!/usr/bin/env bash
# Phones behind NATs call each other through TURN relays:
#
#   nat_relay_test.sh P2PSIPD P2PSIP OVERLAY_LIB [CASE...]
#
# (tests/relay/CMakeLists.txt runs every case, in order, as relay.nat.)
# The world (tests/relay/nat_network.sh, namespaces p2p-nat-<pid>-*):
#   public 203.0.113.0/24  node 1 .11 and node 2 .12 (p2psipd, roles peer,
#                          registrar, proxy; overlay p2psip.test, nodes
#                          linked over TLS on this segment), relay 1 .21 and
#                          relay 2 .22 (coturn, TURN REST credentials with a
#                          secret made for this run, realm p2psip.test)
#   home 1 192.168.1.0/24  alice's baresip at .10, registered with node 1,
#                          behind a cone-like NAT (outside .2)
#   home 2 192.168.2.0/24  bob's baresip at .10, registered with node 2,
#                          behind a symmetric-like NAT (outside .3)
# The phones do ICE (medianat=ice) with a TURN server (stunserver=turn:...)
# and credentials from provision_phone.
#
# Cases:
#   call      alice calls bob: the call is established, RTP flows both ways
#             (each phone's own counts), and through relay 1: both phones'
#             ICE chose a pair with a relayed candidate, no pair between
#             their server-reflexive addresses worked, and relay 1's log
#             shows the allocations and bytes relayed both ways for them
#   failover  relay 1 is killed; (the node withdraws its record:
#             wait_relay_withdrawn, a hook for the relay role); the phones
#             are provisioned again, with relay 2; the next call flows
#             through relay 2 (its log shows the bytes relayed)
# Hooks for the relay role (grep HOOK): provision_phone (the credentials:
# made here from the relays' secret, or from the node's HTTPS endpoint with
# P2PSIP_TURN_PROVISIONING=https) and wait_relay_withdrawn (the dead relay's
# record leaves the overlay).
# What baresip 1.0 does here: ICE with TURN over UDP (no TCP, no TLS); a
# call's first RTP comes 13-16 s after the answer, once every check is over
# (those the NATs drop time out first); baresip_ctrl.py is given 30 s for it.
# Run as root; exits 77 (skipped) without root or a tool. Every process is
# started in a namespace of this run and killed, and the namespaces
# deleted, on exit, pass or fail (those of a run killed with SIGKILL, by
# the next run). P2PSIP_KEEP_WORK=1 keeps the work directory (configs and
# logs). About 45 s.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

p2psipd=${1:?usage: nat_relay_test.sh P2PSIPD P2PSIP OVERLAY_LIB [CASE...]}
p2psip=${2:?}
overlay_lib=${3:?}
shift 3
cases=("$@")
[ "${#cases[@]}" -gt 0 ] || cases=(call failover)
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "relay.nat: skipped, it needs root (network namespaces, nftables)"
  exit 77
fi
for tool in ip nft turnserver baresip openssl python3 stdbuf ss; do
  command -v "$tool" >/dev/null || { echo "relay.nat: skipped, $tool is not installed"; exit 77; }
done
for m in g711 ausine aubridge account menu ctrl_tcp ice; do
  [ -f "/usr/lib/baresip/modules/$m.so" ] || {
    echo "relay.nat: skipped, baresip module $m.so is not installed"
    exit 77
  }
done

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
turn_ttl=86400                       # lifetime of the REST credentials
phone_ctrl=4444                      # ctrl_tcp, on each phone's address
call_timeout=60                      # the most one checked call may take
relay_withdraw_s=${relay_withdraw_s:-30}  # a dead relay's record is gone within this

say() { echo "[$(date +%T.%3N)] $*"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
oneline() { paste -sd ' ' -; }
nocolour() { sed 's/\x1b\[[0-9;]*m//g' "$@"; }

work=$(mktemp -d)
declare -A phone_pid=() relay_pid=() phone_turn_user=()
call_pid=  # the call driver (timeout python3 relay_call.py) while it runs
cleanup() {
  set +e
  [ -z "$call_pid" ] || stop_pids "$call_pid"
  # The phones first: on SIGTERM baresip un-registers, which needs the nodes.
  [ "${#phone_pid[@]}" -eq 0 ] || stop_pids "${phone_pid[@]}"
  [ -n "$overlay_dir" ] && overlay_stop_all
  [ "${#relay_pid[@]}" -eq 0 ] || stop_pids "${relay_pid[@]}"
  nat_teardown
  wait 2>/dev/null
  if [ "${P2PSIP_KEEP_WORK:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
current_case=setup
trap 'echo "relay.nat ($current_case) FAILED: line $LINENO: \"$BASH_COMMAND\" exited $?"; show_test_logs' ERR

show_test_logs() {
  local f
  for f in "$work"/overlay/node*/log "$work"/turn*/turn.log; do
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    tail -n 60 "$f"
  done
  for f in "$work"/*.log; do  # baresip phones: their colours off
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    nocolour "$f" | tail -n 150
  done
}
fail() {
  echo "relay.nat ($current_case) FAILED: $*"
  show_test_logs
  exit 1
}

# A program run inside namespace NS, as a file (local_overlay.sh runs the
# node and its command line by path): $work/bin/NAME.
ns_wrapper() {  # NAME NS PROGRAM
  mkdir -p "$work/bin"
  printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$2" "$3" >"$work/bin/$1"
  chmod +x "$work/bin/$1"
}

# Waits (S seconds, 10 by default) until something in namespace NS (a
# short name: pub, h1...) is bound
# to udp|tcp ADDR:PORT.
ns_wait_port() {  # NS udp|tcp ADDR PORT [S]
  local flag=-lnu
  [ "$2" = tcp ] && flag=-lnt
  for _ in $(seq $((${5:-10} * 10))); do
    [ -n "$(nat_exec "$1" ss -H "$flag" "src $3:$4")" ] && return 0
    sleep 0.1
  done
  return 1
}

# -- the overlay ----------------------------------------------------------------

start_overlay() {
  ns_wrapper p2psipd "$(nat_ns pub)" "$p2psipd"
  ns_wrapper p2psip "$(nat_ns pub)" "$p2psip"
  P2PSIP_LOG=info overlay_create "$work/overlay" 2 0 "$work/bin/p2psipd" "$work/bin/p2psip"
  # The API listens on the public segment (the namespace's only network),
  # which p2psipd allows with a token only; p2psip reads it from the
  # environment.
  P2PSIP_API_TOKEN=$(openssl rand -hex 32)
  export P2PSIP_API_TOKEN
  sed -i "/^\[api\]/a token = \"$P2PSIP_API_TOKEN\"" "$work"/overlay/node*/p2psipd.toml
  overlay_start 1 || fail "node 1 did not start"
  overlay_start 2 || fail "node 2 did not start"
  overlay_wait_joined 2 1 1 15 || fail "node 2 did not join node 1 within 15 s"
  say "overlay p2psip.test: node 1 ${node_addrs[0]}, node 2 ${node_addrs[1]}"
}

# -- the relays -----------------------------------------------------------------

# Relay I (1 or 2): coturn on its own address, UDP and TCP on $turn_port,
# relayed ports 49152-49999 there, TURN REST credentials (use-auth-secret)
# with $turn_secret. Private addresses are NOT denied as peers
# (denied-peer-ip), though a relay on the Internet should deny them: a
# phone's ICE (baresip 1.0) asks its TURN server for a channel to each of
# the other phone's candidates, its private host address too; coturn answers
# "403 Forbidden IP" and baresip then drops its allocation ("TURN Client
# error: 403 Forbidden IP", "ice: gathering srflx for comp 1 ..."): the
# relayed candidate is gone before the pairs that need it are checked.
# Allowed, the channel to 192.168.x.x takes the default route of the public
# segment into the void (nat_network.sh), as on the Internet. Its log ($work/turnI/turn.log, verbose) has the
# allocations and, as each session ends, its usage: "rp=, rb=, sp=, sb=".
start_relay() {  # I
  local i=$1 a=${relay_addrs[$1 - 1]} d=$work/turn$1
  mkdir -p "$d"
  (
    umask 077
    cat >"$d/turnserver.conf" <<CONF
listening-ip=$a
relay-ip=$a
listening-port=$turn_port
min-port=49152
max-port=49999
realm=p2psip.test
use-auth-secret
static-auth-secret=$turn_secret
fingerprint
no-cli
no-tls
no-dtls
no-multicast-peers
verbose
log-file=$d/turn.log
simple-log
no-stdout-log
pidfile=$d/turnserver.pid
userdb=$d/turndb
CONF
  )
  nat_spawn pub "$d/stdout" turnserver -c "$d/turnserver.conf"
  relay_pid[$i]=$nat_spawned
  ns_wait_port pub udp "$a" "$turn_port" 10 ||
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

# HOOK(relay role): once a node withdraws a dead relay's record from the
# overlay, wait here until no node offers relay I (${relay_addrs[I-1]}) any
# more -- e.g. poll each node's API (overlay_addr, overlay_api_port,
# $P2PSIP_API_TOKEN) or GET /turn of provision_phone until its uris lack
# the address -- for at most $relay_withdraw_s s (then fail, saying what the
# nodes still list), and say how long it took (ms_since). For now relays
# are not overlay peers: nothing to wait for.
wait_relay_withdrawn() {  # I
  say "relay $1 withdrawn: not checked yet (no relay role in the overlay)"
}

# -- the phones -----------------------------------------------------------------

# provision_phone USER PASSWORD NODE_ADDR [NS]: the TURN credentials and servers
# for USER, in prov_username, prov_password and prov_uris (an array of RFC
# 7065 URIs). With P2PSIP_TURN_PROVISIONING=https they come from the node:
# GET https://NODE_ADDR:8443/turn?service=turn&username=USER, HTTP Basic
# USER:PASSWORD, asked from namespace NS (the phone's home, through its NAT;
# default pub), the server's certificate checked against the overlay's CA,
# answering the JSON {username, password, ttl, uris} of
# draft-uberti-behave-turn-rest; otherwise they are made here from
# $turn_secret (the same formula coturn checks) for the relays in
# $prov_relays (the live ones), port $turn_port, UDP.
# HOOK(relay role): with the node's endpoint in place, the cases set
# P2PSIP_TURN_PROVISIONING=https (or make it the default) and prov_relays
# goes.
prov_relays=()
provision_phone() {  # USER PASSWORD NODE_ADDR [NS]
  local user=$1 password=$2 node=$3 from=${4:-pub}
  if [ "${P2PSIP_TURN_PROVISIONING:-}" = https ]; then
    local answer
    answer=$(nat_exec "$from" python3 "$here/turn_credentials.py" "$node" "$user" "$password" \
      "$work/overlay/ca/ca.crt" 2>"$work/provision-$user.err") ||
      fail "$user: no TURN credentials from $node: $(cat "$work/provision-$user.err")"
    prov_username=$(sed -n 1p <<<"$answer")
    prov_password=$(sed -n 2p <<<"$answer")
    mapfile -t prov_uris < <(sed -n '3,$p' <<<"$answer")
  else
    prov_username="$(($(date +%s) + turn_ttl)):$user"
    prov_password=$(printf %s "$prov_username" | openssl dgst -binary -sha1 -hmac "$turn_secret" | base64)
    prov_uris=()
    local a
    for a in "${prov_relays[@]}"; do prov_uris+=("turn:$a:$turn_port?transport=udp"); done
  fi
  [ "${#prov_uris[@]}" -gt 0 ] || fail "$user: provisioned with no TURN server"
}

# A baresip phone for USER in home N, registered with NODE_ADDR over UDP,
# doing ICE with the first UDP TURN server provision_phone gave; config in
# $work/USER-RUN, log (SIP trace, -v) $work/USER-RUN.log: a new directory
# and log for each RUN, so that each call's statistics are its own.
start_phone() {  # USER HOME NODE_ADDR ANSWERMODE RUN
  local user=$1 n=$2 node=$3 run=$5 addr dir uri=
  addr=$(eval echo "\$nat_h${n}_addr")
  dir=$work/$user-$run
  provision_phone "$user" "$user-secret" "$node" "h$n"
  for u in "${prov_uris[@]}"; do
    if [[ $u == turn:* && $u != *transport=tcp* ]]; then uri=$u; break; fi
  done
  [ -n "$uri" ] || fail "$user: no turn: URI over UDP among ${prov_uris[*]} (baresip's ICE speaks TURN over UDP only)"
  baresip_addr=$addr baresip_answermode=$4 \
    baresip_write_config "$dir" "$user" "$user-secret" udp "$node:5060" 5060 "$phone_ctrl" 10000
  # ICE with the TURN server; the ICE module prints its checks and the
  # chosen pairs (-v).
  sed -i 's/^rtp_ports.*/rtp_ports\t\t10000-10099/' "$dir/config"
  echo "module			ice.so" >>"$dir/config"
  sed -i "1s|\$|;medianat=ice;stunserver=\"$uri\";stunuser=$prov_username;stunpass=$prov_password|" \
    "$dir/accounts"
  [ -z "$(nat_exec "h$n" ss -Hlnu "src $addr:5060")" ] || fail "$user: $addr:5060 is taken in home $n"
  nat_spawn "h$n" "$work/$user-$run.log" stdbuf -oL -eL baresip -f "$dir" -s -v
  phone_pid[$user]=$nat_spawned
  phone_turn_user[$user]=$prov_username
  ns_wait_port "h$n" tcp "$addr" "$phone_ctrl" 10 ||
    fail "$user's baresip does not listen for ctrl_tcp on $addr:$phone_ctrl within 10 s"
  say "$user: baresip at $addr (home $n) for node $node, TURN $uri as $prov_username"
}

stop_phones() {
  [ "${#phone_pid[@]}" -eq 0 ] || stop_pids "${phone_pid[@]}"
  local u
  for u in "${!phone_pid[@]}"; do
    ! kill -0 "${phone_pid[$u]}" 2>/dev/null || fail "$u's baresip (pid ${phone_pid[$u]}) did not stop"
  done
  phone_pid=()
}

# -- one call -------------------------------------------------------------------

# alice calls bob (who answers by himself): tests/lib/baresip_ctrl.py,
# from the homes' namespaces, checks registration, call, RTP both ways
# (each phone's packet counts), hangup, and that bob's INVITE came from
# node 2.
call_alice_bob() {  # RUN
  local run=$1 rc=0 t
  t=$(date +%s%N)
  # In the background, and waited for: a signal to the test is handled at
  # once, not after the call (cleanup ends the driver).
  RELAY_CTRL_NETNS="$nat_h1_addr=$(nat_ns h1) $nat_h2_addr=$(nat_ns h2)" \
    timeout "$call_timeout" python3 "$here/relay_call.py" "$here/../lib/baresip_ctrl.py" udp \
    "$nat_h1_addr:$phone_ctrl" "$nat_h2_addr:$phone_ctrl" "$work/alice-$run.log" "$work/bob-$run.log" \
    "${node_addrs[1]}:5060" --auto-answer >"$work/ctrl-$run.out" 2>&1 &
  call_pid=$!
  wait "$call_pid" || rc=$?
  call_pid=
  sed 's/^/  /' "$work/ctrl-$run.out"
  [ "$rc" -eq 0 ] || fail "the call alice -> bob failed (baresip_ctrl.py exit $rc)"
  say "call $run: alice -> bob established, RTP both ways, hung up ($(ms_since "$t") ms)"
}

# -- where the media went -------------------------------------------------------

# baresip 1.0's ICE module (-v) prints, once its checks are over,
#   ice: audio: connectivity check is complete (update=N)
#   audio: Dumping media state: ----- ICE Media <audio> -----
# then the candidates, " Check list: [state=Completed] (N)" and
# " Valid list:  (N)" with one pair a line, e.g.
#   "     {comp=1}     Failed {   } eth0:host:192.168.1.10:10058 <---> srflx:203.0.113.3:47881 (Connection timed out)"
#   "  *  {comp=1}  Succeeded {DVN} eth0:relay:203.0.113.21:49229 <---> relay:203.0.113.21:49983"
# ("*": the selected pair; local candidate first, then the remote one), and
#   stream: mnat 'ice' connected: raddr ADDR:PORT ADDR:PORT
ice_dump() {  # LOG: the media state block of LOG
  nocolour "$1" | sed -n '/^audio: Dumping media state: /,/^STUN debug:/p'
}

# The ICE result of USER's phone in call RUN: the check list completed, the
# selected pair of each component has a relayed candidate on RELAY_ADDR
# (local or remote: either way the media crosses the relay), and the
# direct path was impossible: a pair from the phone's host address to the
# other phone's server-reflexive one (its NAT mapping) was checked and
# failed, and no pair without a relayed candidate succeeded.
check_ice_relayed() {  # USER RUN RELAY_ADDR
  local user=$1 log=$work/$1-$2.log relay=$3 dump selected direct srflx connected
  # (grep -q in a pipe would end nocolour early: SIGPIPE fails the pipeline.)
  grep -q '^ice: audio: connectivity check is complete' < <(nocolour "$log") ||
    fail "$user: baresip's ICE checks did not complete (no \"ice: audio: connectivity check is complete\")"
  dump=$(ice_dump "$log")
  [ -n "$dump" ] || fail "$user: no ICE media state (\"audio: Dumping media state\") in $log"
  selected=$(grep -E '^  \*  \{comp=[0-9]+\}' <<<"$dump" || true)
  grep -qE '^  \*  \{comp=1\} +Succeeded ' <<<"$selected" ||
    fail "$user: ICE selected no succeeded pair for component 1 (RTP): $(oneline <<<"$selected")"
  while IFS= read -r line; do
    [[ $line == *"relay:$relay:"* ]] ||
      fail "$user: the selected ICE pair has no relayed candidate on $relay: $line"
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
# USER...: it waits (10 s at most) until every session it opened for them
# is closed, then prints "SESSIONS RP RB SP SB", the sums of their
# "peer usage" lines (packets and bytes received from and sent to peers:
# what the relay relayed). coturn logs, per session:
#   session 001000000000000001: new, realm=<p2psip.test>, username=<1796309860:alice>, lifetime=600
#   session ...: realm <p2psip.test> user <1796309860:alice>: incoming packet ALLOCATE processed, success
#   session ...: refreshed, realm=<p2psip.test>, username=<1796309860:alice>, lifetime=0
#   session ...: peer usage: realm=<p2psip.test>, username=<1796309860:alice>, rp=151, rb=27772, sp=153, sb=26112
#   session ...: closed (2nd stage), user <1796309860:alice> realm <p2psip.test> origin <>, local ..., remote ..., reason: ...
relay_usage() {  # I USER...
  local log=$work/turn$1/turn.log u opened closed pending
  shift
  for _ in $(seq 100); do
    pending=0
    for u in "$@"; do
      opened=$(grep -cF "new, realm=<p2psip.test>, username=<$u>," "$log" || true)
      closed=$(grep -cF "closed (2nd stage), user <$u>" "$log" || true)
      [ "$opened" -gt 0 ] && [ "$closed" -ge "$opened" ] || pending=1
    done
    [ "$pending" = 0 ] && break
    sleep 0.1
  done
  local users
  users=$(printf '%s\n' "$@")
  USERS=$users awk '
    BEGIN { n = split(ENVIRON["USERS"], u, "\n"); for (i = 1; i <= n; i++) if (u[i] != "") want["<" u[i] ">"] = 1 }
    /ALLOCATE processed, success/ { for (k in want) if (index($0, "user " k ":")) s++ }
    / peer usage: / {
      for (k in want) if (index($0, "username=" k ",")) {
        for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) { gsub(/,/, "", kv[2]); t[kv[1]] += kv[2] }
      }
    }
    END { printf "%d %d %d %d %d\n", s, t["rp"], t["rb"], t["sp"], t["sb"] }' "$log"
}

# The call RUN went through relay I: it allocated for both phones, and
# relayed their RTP both ways. With ICE, each phone sends either from its
# own relayed address (counted as sent to a peer, sp, by its allocation) or
# to the other's (received from a peer, rp, by the other's allocation); a
# packet between two relayed addresses counts twice. Both ways, each at
# least $min_relayed packets (baresip_ctrl.py's threshold), make
# rp + sp >= 2 * $min_relayed.
min_relayed=50
check_relayed() {  # I RUN
  local i=$1 sessions rp rb sp sb
  read -r sessions rp rb sp sb < <(relay_usage "$i" "${phone_turn_user[alice]}" "${phone_turn_user[bob]}")
  say "relay $i, call $2: $sessions allocations for alice and bob; peer usage rp=$rp, rb=$rb, sp=$sp, sb=$sb"
  [ "$sessions" -ge 2 ] || fail "relay $i: not an allocation for each phone ($sessions ALLOCATE successes)"
  if [ "$rb" -eq 0 ] || [ "$sb" -eq 0 ]; then fail "relay $i relayed no bytes one way: rb=$rb, sb=$sb"; fi
  [ $((rp + sp)) -ge $((2 * min_relayed)) ] ||
    fail "relay $i relayed $((rp + sp)) packets (rp=$rp, sp=$sp), fewer than both ways of the call ($((2 * min_relayed)))"
}

# -- the cases ------------------------------------------------------------------

setup_world() {
  nat_reap_stale
  nat_setup || fail "the namespaces could not be set up"
  say "namespaces: $(ip netns list | grep -oE "^${nat_prefix}[a-z0-9]+" | oneline)"
  start_overlay
  start_relay 1
  start_relay 2
}

case_call() {
  prov_relays=("${relay_addrs[0]}")
  start_phone bob 2 "${node_addrs[1]}" auto 1
  start_phone alice 1 "${node_addrs[0]}" manual 1
  call_alice_bob 1
  check_ice_relayed alice 1 "${relay_addrs[0]}"
  check_ice_relayed bob 1 "${relay_addrs[0]}"
  stop_phones
  check_relayed 1 1
  ! grep -q 'ALLOCATE processed, success' "$work/turn2/turn.log" ||
    fail "relay 2 allocated during call 1, for which the phones had relay 1 only"
}

case_failover() {
  kill_relay 1
  say "relay 1 killed"
  wait_relay_withdrawn 1
  prov_relays=("${relay_addrs[1]}")
  start_phone bob 2 "${node_addrs[1]}" auto 2
  start_phone alice 1 "${node_addrs[0]}" manual 2
  call_alice_bob 2
  check_ice_relayed alice 2 "${relay_addrs[1]}"
  check_ice_relayed bob 2 "${relay_addrs[1]}"
  stop_phones
  check_relayed 2 2
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
    *) fail "unknown case $c" ;;
  esac
  say "case $c passed ($(ms_since "$t") ms)"
done
say "relay.nat passed (${cases[*]}) in $(ms_since "$t0") ms"
