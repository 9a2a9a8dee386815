#!/usr/bin/env bash
# One end-to-end case: several real p2psipd nodes forming an overlay on
# loopback (scripts/lib/local_overlay.sh) and sipp phones registered on
# different nodes.
#   e2e_sipp.sh CASE BASE_PORT P2PSIPD P2PSIP OVERLAY_LIB
# The case owns BASE_PORT..BASE_PORT+199: node I uses BASE_PORT+10*I..+2
# (SIP, DHT, API), bob (the callee) BASE_PORT+101, the caller +102; sipp
# media ports are from +120. The dev-node case runs the development node
# (`p2psipd` alone) on its fixed ports 5060, 4222 and 8060 instead: ctest
# runs it alone on them (RESOURCE_LOCK). Every sipp is bounded by
# `timeout`, every process started is killed on exit, the work directory
# removed. Exit status 0 only when the case's assertions hold; the logs
# are printed otherwise.
set -euo pipefail

case_name=$1
base=$2
p2psipd=$3
p2psip=$4
overlay_lib=$5
here=$(cd "$(dirname "$0")" && pwd)
scenarios=$here/scenarios
interop=$here/../interop/scenarios
work=$(mktemp -d)
# shellcheck source=/dev/null
source "$overlay_lib"
# shellcheck source=../lib/sip_test.sh
source "$here/../lib/sip_test.sh"

pids=()
trap e2e_cleanup EXIT

# Node "dev" is the development node (`p2psipd` with no arguments), on its
# fixed ports: SIP 5060, DHT 4222, API 8060.
node_sip() {
  if [ "$1" = dev ]; then echo 127.0.0.1:5060; else echo "127.0.0.1:$(overlay_sip_port "$1")"; fi
}
node_api() {
  if [ "$1" = dev ]; then echo 127.0.0.1:8060; else echo "127.0.0.1:$(overlay_api_port "$1")"; fi
}
bob_port=$((base + 101))
caller_port=$((base + 102))
for user in alice bob; do printf 'SEQUENTIAL\n%s;\n' "$user" >"$work/$user.csv"; done

say() { echo "[$(date +%T.%3N)] $*"; }

show_logs() {
  local f
  for f in "$work"/overlay/node*/log "$work"/*.err "$work"/*.log "$work"/*.out "$work"/*.msg; do
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    tail -n 60 "$f"
  done
}

fail() {
  echo "e2e case $case_name FAILED: $*"
  show_logs
  exit 1
}

# sipp with the options every run shares: no terminal, bounded in time,
# errors, messages and scenario logs traced to files named after the run.
# The callee's sipp, which runs beside another, has media ports from +120,
# every other one from +140.
run_sipp() {  # name sipp-arguments...
  local name=$1 mp=$((base + 140))
  shift
  [[ $name == *-uas ]] && mp=$((base + 120))
  timeout 60 sipp -nostdin -timeout 40 -timeout_error -mp "$mp" \
    -trace_err -error_file "$work/$name.err" \
    -trace_msg -message_file "$work/$name.msg" \
    -trace_logs -log_file "$work/$name.log" \
    "$@" >"$work/$name.out" 2>&1
}

start_nodes() {  # N [HOOK]: creates nodes 1..N, runs HOOK (to edit their configs),
  local n=$1 i  #  starts them and waits until each has heard from a peer
  overlay_create "$work/overlay" "$n" "$base" "$p2psipd" "$p2psip"
  if [ $# -gt 1 ]; then "$2"; fi
  for i in $(seq 1 "$n"); do overlay_start "$i" || fail "node $i did not start"; done
  for i in $(seq 1 "$n"); do
    overlay_wait_joined "$i" 1 1 10 || fail "node $i has no good overlay node after 10 s"
  done
}

# The development node keeps its state in $P2PSIP_STATE; HOME is the work
# directory too, so nothing of the user's is read or written. Its files
# are where cleanup and show_logs look for a node's.
start_dev_node() {
  local d=$work/overlay/node-dev port
  for port in udp:5060 tcp:5060 udp:4222 tcp:8060; do
    [ -z "$(ss -Hln --"${port%%:*}" "src 127.0.0.1:${port#*:}")" ] ||
      fail "127.0.0.1 ${port%%:*} port ${port#*:}, which the development node binds, is in use"
  done
  mkdir -p "$d" "$work/home"
  env -u XDG_STATE_HOME HOME="$work/home" P2PSIP_STATE="$d/state" "$p2psipd" >"$d/log" 2>&1 &
  echo $! >"$d/pid"
  for _ in $(seq 200); do
    "$p2psip" status --api "$(node_api dev)" >/dev/null 2>&1 && break
    kill -0 "$(cat "$d/pid")" 2>/dev/null || fail "the development node exited"
    sleep 0.1
  done
  "$p2psip" status --api "$(node_api dev)" >/dev/null ||
    fail "the development node's API does not answer after 20 s"
  # The users file it printed, with the passwords it made.
  dev_users=$(sed -n 's/^p2psipd: .*the passwords are in \(.*\)$/\1/p' "$d/log")
  [ "$dev_users" = "$d/state/users" ] ||
    fail "the development node names its users file \"$dev_users\", not $d/state/users"
}

dev_password() {  # user: USER's password in the development node's users file
  awk -v u="$1" '$1 == u { print $2; found = 1 } END { exit !found }' "$dev_users"
}

wait_binding() {  # I: waits (10 s) until node I finds bob's binding
  for _ in $(seq 50); do
    "$p2psip" lookup sip:bob@p2psip.test --api "$(node_api "$1")" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "node $1 does not find bob's binding 10 s after the REGISTER"
}

wait_udp_port() {  # PORT: waits (10 s) until a socket is bound to UDP port PORT on 127.0.0.1
  wait_for_udp_port 127.0.0.1 "$1" 10 || fail "nothing listens on udp 127.0.0.1:$1 after 10 s"
}

# sipp computes its digest over sip:REMOTE_IP:PORT, not the Request-URI,
# unless -auth_uri names it; p2psipd checks that the two agree (RFC 2617
# section 3.2.2.5), so every REGISTER here gives -auth_uri its -s domain.
register_user() {  # user password port node: USER registers from PORT through NODE
  local name=register-$1-node$4
  say "$1 registers on node $4"
  run_sipp "$name" -sf "$interop/register.xml" -inf "$work/$1.csv" \
    -au "$1" -ap "$2" -s p2psip.test -auth_uri p2psip.test -i 127.0.0.1 -p "$3" -t u1 -m 1 \
    "$(node_sip "$4")" ||
    fail "$1's REGISTER on node $4 was not accepted; the answers: $(answers "$name")"
}

register_bob() { register_user bob bob-secret "$bob_port" "$1"; }  # node

answers() {  # name: the status lines sipp run NAME received, on one line
  sipp_answers "$work/$1.msg"
}

uas_pid=
start_bob() {  # name calls: bob answers CALLS calls on bob_port, in the background
  run_sipp "$1-uas" -sf "$interop/uas_call.xml" -i 127.0.0.1 -p "$bob_port" -t u1 -m "$2" &
  uas_pid=$!
  pids+=("$uas_pid")
  wait_udp_port "$bob_port"
}

calls() {  # name node calls rate: CALLS calls to bob through node, all must succeed on both sides
  local name=$1 node=$2 n=$3 rate=$4 t0 uac_status=0 uas_status=0
  say "$name: $n calls to bob through node $node (rate $rate/s)"
  start_bob "$name" "$n"
  t0=$(date +%s%N)
  # An unexpected message (a 200 retransmitted after its ACK was lost) is
  # answered, not fatal: the scenario itself decides what must arrive.
  run_sipp "$name-uac" -sf "$interop/uac_call.xml" -s bob -i 127.0.0.1 -p "$caller_port" -t u1 \
    -m "$n" -r "$rate" -default_behaviors pingreply,bye "$(node_sip "$node")" || uac_status=$?
  wait "$uas_pid" || uas_status=$?
  say "$name: caller exit $uac_status, callee exit $uas_status, $((($(date +%s%N) - t0) / 1000000)) ms"
  [ "$uac_status" -eq 0 ] || fail "$name: caller side: not all $n calls successful (sipp exit $uac_status)"
  [ "$uas_status" -eq 0 ] || fail "$name: callee side: not all $n calls successful (sipp exit $uas_status)"
  successful "$name-uac" "$n"
  successful "$name-uas" "$n"
}

successful() {  # name n: sipp's final screen counts n successful calls
  local got
  got=$(sipp_successful_calls "$work/$1.out")
  [ "$got" = "$2" ] || fail "$1: $got successful calls, expected $2"
}

final_code() {  # name: the status logged by uac_refused.xml
  sed -n 's/.*final \([0-9][0-9][0-9]\).*/\1/p' "$work/$1.log" 2>/dev/null | tail -n 1
}

refused_call() {  # name node: a call to bob through node gets a final 4xx-6xx (final_code NAME)
  run_sipp "$1" -sf "$scenarios/uac_refused.xml" -s bob -i 127.0.0.1 -p "$caller_port" -t u1 -m 1 \
    "$(node_sip "$2")"
}

# Sends the request in file REQ to node NODE's TLS listener with openssl
# s_client, presenting CERT and KEY (none when empty), and prints the first
# status of an answer past 100 Trying (a ringing callee or a final answer),
# nothing when none came within 10 s.
tls_request() {  # name node cert key req
  local name=$1 node=$2 cert=$3 key=$4 req=$5 pid
  local args=(-connect "127.0.0.1:$(overlay_tls_port "$node")" -quiet)
  if [ -n "$cert" ]; then args+=(-cert "$cert" -key "$key"); fi
  timeout 15 openssl s_client "${args[@]}" <"$req" >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  for _ in $(seq 100); do
    grep -qE '^SIP/2.0 (1[1-9][0-9]|[2-6][0-9][0-9]) ' "$work/$name.out" && break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -oE '^SIP/2.0 [0-9]{3} ' "$work/$name.out" | grep -v ' 100 ' | head -n 1 | cut -d' ' -f2 ||
    true
}

# An INVITE for bob that follows the Path of his binding (a flow token of
# node 2) straight into node 2, as another node would send it.
token_invite() {  # call-id contact path
  printf '%s\r\n' "INVITE $2 SIP/2.0" \
    "Via: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bK-$1" \
    "Max-Forwards: 70" "Route: $3" \
    "From: <sip:mallory@p2psip.test>;tag=$1" "To: <sip:bob@p2psip.test>" \
    "Call-ID: $1" "CSeq: 1 INVITE" "Contact: <sip:mallory@127.0.0.1:9;transport=tls>" \
    "Content-Length: 0" ""
}

# BIND9 on 127.0.0.1:PORT serving p2psip.test with the overlay's SRV
# records (_p2psip._udp, node/srv_bootstrap.hpp) naming nodes 1..N's DHT
# endpoints; waits (10 s) until it answers. Killed by cleanup (pids).
start_named_srv() {  # port n
  local port=$1 n=$2 d=$work/named i
  mkdir -p "$d"
  {
    printf '$ORIGIN p2psip.test.\n$TTL 30\n'
    printf '@ SOA ns hostmaster 1 3600 600 86400 1\n@ NS ns\nns A 127.0.0.1\n'
    for i in $(seq 1 "$n"); do
      printf '_p2psip._udp SRV 10 0 %s dht%s\ndht%s A 127.0.0.1\n' "$(overlay_dht_port "$i")" "$i" "$i"
    done
  } >"$d/p2psip.test.zone"
  cat >"$d/named.conf" <<CONF
options {
  directory "$d";
  pid-file "$d/named.pid";
  session-keyfile "$d/session.key";
  managed-keys-directory "$d";
  listen-on port $port { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
zone "p2psip.test" { type primary; file "p2psip.test.zone"; };
CONF
  named -g -n 1 -c "$d/named.conf" >"$work/named.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    dig +short -p "$port" @127.0.0.1 SRV _p2psip._udp.p2psip.test 2>/dev/null | grep -q dht1 && return 0
    sleep 0.1
  done
  fail "BIND9 does not serve _p2psip._udp.p2psip.test on 127.0.0.1:$port after 10 s"
}

# /metrics as Prometheus scrapes it (tests/lib/metrics.py): saved to
# $work/NAME.prom, then checked by promtool, which also holds names to the
# conventions (_total on counters, base units).
metrics=$here/../lib/metrics.py
scrape() {  # node name
  "$metrics" fetch "http://$(node_api "$1")/metrics" "$work/$2.prom" ||
    fail "node $1's /metrics did not answer in the Prometheus text format"
  promtool check metrics <"$work/$2.prom" >"$work/$2.promtool" 2>&1 ||
    fail "promtool check metrics refused node $1's /metrics: $(cat "$work/$2.promtool")"
}
metric() {  # name metric [label=value ...]: the sum of the samples in $work/NAME.prom
  local name=$1
  shift
  "$metrics" value "$work/$name.prom" "$@"
}
grew_by() {  # before after expected metric [label=value ...]: the metric grew by exactly EXPECTED
  local before=$1 after=$2 expected=$3 was now
  shift 3
  was=$(metric "$before" "$@")
  now=$(metric "$after" "$@")
  say "$*: $was -> $now"
  [ "$((now - was))" -eq "$expected" ] || fail "$* grew by $((now - was)), not $expected"
}
grew() {  # before after metric [label=value ...]: the metric grew
  local before=$1 after=$2 was now
  shift 2
  was=$(metric "$before" "$@")
  now=$(metric "$after" "$@")
  say "$*: $was -> $now"
  [ "$now" -gt "$was" ] || fail "$* did not grow ($was -> $now)"
}

hep_on_node1() {
  printf '\n[hep]\ncollector = "127.0.0.1:%s"\ncapture_id = 7\npassword = "hep-secret"\n' \
    "$hep_port" >>"$work/overlay/node1/p2psipd.toml"
}

# The calls as the HEP collector decoded node 1's copies: for each of the
# CALLS INVITEs the caller sent, node 1's copies show it received from the
# caller, passed on to another node, answered 200 to the caller, then the
# ACK and the BYE from the caller and the 200 to the BYE; each copy tagged
# with node 1's capture id and password and the call's Call-ID, in order.
check_hep() {  # file caller_port node_port calls
  /usr/bin/python3 - "$@" <<'PY'
import json, re, sys
path, caller, node, calls = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = [json.loads(l) for l in open(path)]
bad = [l for l in lines if "error" in l]
if bad: sys.exit(f"undecodable HEP packets: {bad[:3]}")
if not lines: sys.exit("no HEP packet arrived")
for l in lines:
    if (l["capture_id"], l["password"], l["type"]) != (7, "hep-secret", 1):
        sys.exit(f"a copy without node 1's capture id, password or SIP type: {l}")
    m = re.search(r"^(Call-ID|i)\s*:\s*(\S+)", l["payload"], re.M | re.I)
    if m is None or m.group(2) != l["correlation"]:
        sys.exit(f"correlation {l['correlation']!r} is not the Call-ID: {l['payload'][:300]}")
phone, me = f"127.0.0.1:{caller}", f"127.0.0.1:{node}"
def first(l): return l["payload"].split("\r\n", 1)[0]
invites = [l for l in lines if l["src"] == phone and l["dst"] == me and first(l).startswith("INVITE ")]
if len(invites) < calls: sys.exit(f"{len(invites)} INVITEs from the caller, not {calls}")
for invite in invites[:calls]:
    call = [l for l in lines if l["correlation"] == invite["correlation"]]
    if [l["time"] for l in call] != sorted(l["time"] for l in call):
        sys.exit(f"copies of {invite['correlation']} out of order")
    seen = [(l["src"] == phone, l["dst"] == phone, first(l).split(" ")[0] + (" " + first(l).split(" ")[1] if first(l).startswith("SIP/") else "")) for l in call]
    want = [(True, False, "INVITE"), (False, False, "INVITE"), (False, True, "SIP/2.0 200"),
            (True, False, "ACK"), (True, False, "BYE"), (False, True, "SIP/2.0 200")]
    at = 0
    for s in seen:
        if at < len(want) and s == want[at]: at += 1
    if at < len(want):
        sys.exit(f"call {invite['correlation']}: missing {want[at]} in {seen}")
print(f"HEP: {len(lines)} copies, {calls} calls each seen whole")
PY
}

case "$case_name" in
  calls)
    start_nodes 3
    register_bob 2
    wait_binding 1
    calls calls 1 100 20
    ;;

  storer-killed)
    start_nodes 5
    register_bob 2
    wait_binding 1
    say "kill -9 nodes 3, 4 and 5"
    for i in 3 4 5; do overlay_kill "$i" KILL; done
    calls after-kill 1 10 10
    ;;

  callee-node-killed)
    start_nodes 3
    register_bob 2
    wait_binding 1
    calls before-kill 1 1 10
    say "kill -9 node 2 (bob's node)"
    overlay_kill 2 KILL
    t0=$(date +%s%N)
    refused_call after-kill 1 || fail "a call to bob through node 1 got no final 4xx-6xx answer"
    ms=$((($(date +%s%N) - t0) / 1000000))
    say "call after the kill: $(final_code after-kill) in $ms ms"
    [ "$ms" -le 10000 ] || fail "the final answer took $ms ms (more than 10 s)"
    register_bob 3
    wait_binding 1
    calls after-reregister 1 5 10
    ;;

  wrong-password)
    start_nodes 3
    say "bob registers on node 1 with a wrong password"
    run_sipp register-wrong -sf "$scenarios/register_refused.xml" -inf "$work/bob.csv" \
      -au bob -ap not-bob-secret -s p2psip.test -auth_uri p2psip.test -i 127.0.0.1 \
      -p "$bob_port" -t u1 -m 1 \
      "$(node_sip 1)" || fail "the REGISTER with a wrong password was not answered 401 then 403"
    # The 403 is the final answer: a binding stored for it would have been
    # published before it.
    published=$(overlay_status_number 1 published) || fail "node 1's status has no published count"
    [ "$published" -eq 0 ] || fail "node 1 published $published bindings for a refused REGISTER"
    rc=0
    "$p2psip" lookup sip:bob@p2psip.test --api "$(node_api 2)" >"$work/lookup.out" 2>&1 || rc=$?
    say "lookup of bob on node 2: exit $rc"
    [ "$rc" -eq 3 ] || fail "lookup of bob on node 2 exited $rc, expected 3 (no binding)"
    ;;

  enrolled)
    # alice is enrolled once, at the enrollment authority (the CA), and is
    # in no node's user file: every node reads her from the overlay, and
    # trusts what it read for 3 s ([auth] refresh).
    only_enrolled_users() {
      local i
      for i in 1 2 3 4 5; do
        sed -i -e '/^users = /d' -e 's/^digest = "MD5"$/digest = "MD5"\nrefresh = 3/' \
          "$work/overlay/node$i/p2psipd.toml"
      done
    }
    printf 'SEQUENTIAL\nalice;\n' >"$work/alice.csv"
    start_nodes 5 only_enrolled_users
    "$p2psip" user add alice --ca "$work/overlay/ca" --password alice-enrolled \
      --node "$(node_api 1)" >"$work/enroll.out" 2>&1 ||
      fail "enrolling alice through node 1 failed: $(cat "$work/enroll.out")"
    for i in 1 2 3 4 5; do register_user alice alice-enrolled "$caller_port" "$i"; done
    refused_register() {  # user password node
      run_sipp "refused-$1-node$3" -sf "$scenarios/register_refused.xml" -inf "$work/$1.csv" \
        -au "$1" -ap "$2" -s p2psip.test -auth_uri p2psip.test -i 127.0.0.1 -p "$caller_port" \
        -t u1 -m 1 "$(node_sip "$3")"
    }
    refused_register alice not-alice 4 || fail "a wrong password for alice was not refused (401, 403)"

    say "alice's password changes, through node 2"
    "$p2psip" user passwd alice --ca "$work/overlay/ca" --password alice-new \
      --node "$(node_api 2)" >>"$work/enroll.out" 2>&1 || fail "user passwd failed: $(cat "$work/enroll.out")"
    sleep 4  # the refresh, and a margin
    refused_register alice alice-enrolled 3 || fail "node 3 still takes alice's old password 4 s later"
    register_user alice alice-new "$caller_port" 5

    say "alice is removed, through node 3"
    "$p2psip" user remove alice --ca "$work/overlay/ca" --node "$(node_api 3)" \
      >>"$work/enroll.out" 2>&1 || fail "user remove failed: $(cat "$work/enroll.out")"
    sleep 4
    for i in 1 2 3 4 5; do
      refused_register alice alice-new "$i" || fail "node $i still takes removed alice 4 s later"
    done
    # Nodes 1, 2 and 3 were each handed a version of alice's record, which
    # they keep and put into the overlay again; node 4 only read it.
    for i in 1 2 3; do
      held=$(overlay_status_number "$i" held) || fail "node $i's status has no held count"
      [ "$held" -eq 1 ] || fail "node $i holds $held user records, expected alice's"
    done
    held=$(overlay_status_number 4 held) || fail "node 4's status has no held count"
    [ "$held" -eq 0 ] || fail "node 4 holds $held user records, though it was given none"
    ;;

  foreign-domain)
    start_nodes 3
    say "bob registers as sip:bob@example.com on node 1 with the right password"
    run_sipp register-foreign -sf "$scenarios/register_foreign.xml" -inf "$work/bob.csv" \
      -au bob -ap bob-secret -s example.com -auth_uri example.com -i 127.0.0.1 -p "$bob_port" \
      -t u1 -m 1 \
      "$(node_sip 1)" || fail "the REGISTER for sip:bob@example.com was not challenged 407, then refused for want of a proxy peer"
    grep -hE '^SIP/2.0 [0-9]{3}' "$work/register-foreign.msg" | sort | uniq -c
    ;;

  dev-node)
    start_dev_node
    alice_password=$(dev_password alice) || fail "no alice in $dev_users"
    bob_password=$(dev_password bob) || fail "no bob in $dev_users"
    register_user alice "$alice_password" "$caller_port" dev
    register_user bob "$bob_password" "$bob_port" dev
    calls dev-call dev 1 1
    ;;

  redirect)
    # shellcheck disable=SC2317  # called by start_nodes
    node3_redirect() {
      sed -i 's/^roles = .*/roles = ["peer", "redirect"]/' "$work/overlay/node3/p2psipd.toml"
    }
    start_nodes 3 node3_redirect
    grep -q '^roles = \["peer", "redirect"\]' "$work/overlay/node3/p2psipd.toml" || fail "node 3 roles not set"
    register_bob 2
    wait_binding 3
    say "bob answers a call that node 3 (redirect server) redirects"
    start_bob redirect 1
    rc=0
    run_sipp redirect-uac -sf "$scenarios/uac_follow_redirect.xml" -s bob -i 127.0.0.1 \
      -p "$caller_port" -t tn -max_socket 16 -m 1 "$(node_sip 3)" || rc=$?
    grep -h '302 Contact' "$work/redirect-uac.log" || true
    [ "$rc" -eq 0 ] || fail "the caller following node 3's 302 did not complete the call (sipp exit $rc)"
    wait "$uas_pid" || fail "bob did not answer the redirected call, or its BYE"
    successful redirect-uac 1
    successful redirect-uas 1
    ;;

  roaming)
    # bob's phone (one +sip.instance) registers at node 1, then moves: the
    # same instance registers at node 2 from another port. Node 1 puts the
    # bindings of its phones again every 2 s; it must see that bob moved and
    # let go, so that calls through any node reach bob where he is now.
    # shellcheck disable=SC2317  # called by start_nodes
    fast_republish() {
      local i
      for i in 1 2 3; do
        sed -i 's/^bootstrap = \(.*\)$/bootstrap = \1\nrepublish = 2/' "$work/overlay/node$i/p2psipd.toml"
      done
    }
    start_nodes 3 fast_republish
    grep -q '^republish = 2$' "$work/overlay/node1/p2psipd.toml" || fail "node 1's republish not set"
    old_port=$((base + 103))
    for step in "node1 $old_port 1" "node2 $bob_port 2"; do
      read -r where port node <<<"$step"
      say "bob's phone registers on $where from port $port"
      run_sipp "register-bob-$where" -sf "$scenarios/register_instance.xml" -inf "$work/bob.csv" \
        -au bob -ap bob-secret -s p2psip.test -auth_uri p2psip.test -i 127.0.0.1 -p "$port" \
        -t u1 -m 1 "$(node_sip "$node")" ||
        fail "bob's REGISTER on $where was not accepted; the answers: $(answers "register-bob-$where")"
    done
    say "waiting for node 1 to see that bob moved"
    moved=0
    for _ in $(seq 100); do
      moved=$("$p2psip" status --api "$(node_api 1)" | grep -oE '"?moved"?: *[0-9]+' |
        grep -oE '[0-9]+$' || true)
      [ "${moved:-0}" -ge 1 ] && break
      sleep 0.1
    done
    [ "${moved:-0}" -ge 1 ] || fail "node 1 did not let bob's moved binding go within 10 s"
    # Nothing listens on the old port: a call routed there fails.
    calls through-old-node 1 5 10
    calls through-third-node 3 5 10
    ;;

  node-links)
    # Only another node of the overlay (mutual TLS, a node certificate of the
    # overlay's CA) may send a request down a phone's flow token; a node of
    # another CA, a user's certificate or no certificate get 403.
    start_nodes 2
    register_bob 2
    wait_binding 1
    "$p2psip" lookup sip:bob@p2psip.test --api "$(node_api 1)" >"$work/lookup.out" ||
      fail "no binding of bob from node 1"
    path=$(sed -n 's/^ *path: *//p' "$work/lookup.out")
    contact=$(sed -n 's/^ *contact: *<\{0,1\}\([^>]*\)>\{0,1\}$/\1/p' "$work/lookup.out")
    say "bob's path: $path"
    [[ $path == *";transport=tls;lr>" ]] || fail "bob's path does not lead to node 2's TLS listener"
    "$p2psip" ca init --dir "$work/other-ca" --overlay p2psip.test >/dev/null
    "$p2psip" ca issue-node --dir "$work/other-ca" --node-id intruder --domain-authority \
      --out "$work/intruder" >/dev/null
    "$p2psip" ca issue-user --dir "$work/overlay/ca" --aor sip:mallory@p2psip.test \
      --out "$work/mallory" >/dev/null
    "$p2psip" ca issue-node --dir "$work/overlay/ca" --node-id node9 --domain-authority \
      --out "$work/node9" >/dev/null
    start_bob links 1
    for probe in intruder mallory nocert; do
      token_invite "$probe" "$contact" "$path" >"$work/$probe.req"
      cert=$work/$probe.crt key=$work/$probe.key
      if [ "$probe" = nocert ]; then cert='' key=''; fi
      code=$(tls_request "$probe" 2 "$cert" "$key" "$work/$probe.req")
      say "$probe: ${code:-no answer}"
      [ "$code" = 403 ] || fail "$probe got ${code:-no answer}, expected 403"
    done
    token_invite node9 "$contact" "$path" >"$work/node9.req"
    code=$(tls_request node9 2 "$work/node9.crt" "$work/node9.key" "$work/node9.req")
    say "node9 (a node of the overlay): ${code:-no answer}"
    [ "$code" = 180 ] || [ "$code" = 200 ] || fail "node9 got ${code:-no answer}, expected bob's 180"
    grep -q '^Call-ID: node9' "$work/links-uas.msg" || fail "bob never saw node9's INVITE"
    for probe in intruder mallory nocert; do
      if grep -q "^Call-ID: $probe" "$work/links-uas.msg"; then fail "$probe's INVITE reached bob"; fi
    done
    ;;

  client)
    # Node 4 is a client (concepts §3.4.2) and knows no bootstrap node: it
    # finds the peers 1-3 through the overlay's SRV records in DNS (§3.4.4).
    # It stores nothing for the peers and is in none of their routing
    # tables, yet its phone is called through a peer like any other.
    named_port=$((base + 190))
    # shellcheck disable=SC2317  # called by start_nodes
    node4_client() {
      local c=$work/overlay/node4/p2psipd.toml
      sed -i -e 's/^roles = .*/roles = ["client", "registrar", "proxy"]/' \
        -e 's/^bootstrap = .*/bootstrap = []\nbootstrap_srv = true/' "$c"
      printf '\n[dns]\nservers = ["127.0.0.1:%s"]\n' "$named_port" >>"$c"
      start_named_srv "$named_port" 3  # the nodes' ports are known from here on
    }
    start_nodes 4 node4_client
    grep -q '^bootstrap_srv = true$' "$work/overlay/node4/p2psipd.toml" || fail "node 4 not set up"
    for i in 1 2 3; do overlay_wait_joined "$i" 1 2 20 || fail "peer $i does not know the 2 others"; done
    overlay_wait_joined 4 1 1 20 || fail "the client knows no peer"
    client_id=$("$p2psip" status --api "$(node_api 4)" | grep -oE 'node_id"?: *"?[0-9a-f]{40}' |
      grep -oE '[0-9a-f]{40}') || fail "no node_id in node 4's status"
    say "client node id $client_id"
    register_user alice alice-secret "$caller_port" 2
    "$p2psip" lookup sip:alice@p2psip.test --api "$(node_api 4)" >/dev/null ||
      fail "the client does not find alice's binding through the peers"
    stored=0
    for i in 1 2 3; do stored=$((stored + $(overlay_status_number "$i" stored_values))); done
    say "the peers store $stored values, the client $(overlay_status_number 4 stored_values)"
    [ "$stored" -ge 1 ] || fail "no peer stores alice's binding"
    [ "$(overlay_status_number 4 stored_values)" -eq 0 ] || fail "the client stores values of others"
    register_bob 4
    wait_binding 1
    calls to-client 1 5 10
    [ "$(overlay_status_number 4 stored_values)" -le "$(overlay_status_number 4 published)" ] ||
      fail "the client stores more than the bindings it published"
    for i in 1 2 3; do
      "$p2psip" nodes --api "$(node_api "$i")" >"$work/nodes$i.out" || fail "p2psip nodes on node $i failed"
      if grep -q "$client_id" "$work/nodes$i.out"; then fail "peer $i has the client in its routing table"; fi
    done
    ;;

  ops)
    # Node 1 copies its SIP to a HEPv3 collector (tests/lib/hep_collector.py).
    hep_port=$((base + 150))
    "$here/../lib/hep_collector.py" 127.0.0.1 "$hep_port" "$work/hep.jsonl" 120 &
    pids+=($!)
    wait_udp_port "$hep_port"
    start_nodes 2 hep_on_node1
    scrape 1 before1
    scrape 2 before2
    [ "$(metric before2 p2psip_registrations_active)" -eq 0 ] || fail "node 2 holds a binding already"
    register_bob 2
    wait_binding 1
    calls metrics-calls 1 5 5
    scrape 1 after1
    scrape 2 after2
    # Node 1 took the five calls from the caller: each INVITE answered once.
    grew_by before1 after1 5 p2psip_calls_answered_total
    grew_by before1 after1 0 p2psip_calls_failed_total
    grew before1 after1 p2psip_sip_requests_received_total method=INVITE
    grew before1 after1 p2psip_sip_requests_received_total method=BYE
    grew before1 after1 p2psip_sip_responses_sent_total code=200 class=2xx
    grew before1 after1 p2psip_call_setup_seconds_count
    grew before1 after1 p2psip_dht_lookup_seconds_count
    # Node 2 holds bob's binding, put in the DHT, and passed the calls on.
    [ "$(metric after2 p2psip_registrations_active)" -eq 1 ] ||
      fail "node 2 reports $(metric after2 p2psip_registrations_active) bindings, not bob's one"
    grew before2 after2 p2psip_sip_requests_received_total method=REGISTER
    grew before2 after2 p2psip_dht_store_seconds_count
    grew before2 after2 p2psip_location_operations_total operation=publish outcome=stored
    grew before2 after2 p2psip_sip_requests_sent_total method=INVITE
    [ "$(metric after1 p2psip_overlay_nodes state=good)" -ge 1 ] || fail "node 1 reports no good node"
    [ "$(metric after1 process_resident_memory_bytes)" -gt 1000000 ] ||
      fail "node 1 reports $(metric after1 process_resident_memory_bytes) bytes resident"
    [ "$(metric after1 process_open_fds)" -gt 3 ] || fail "node 1 reports too few open descriptors"
    grew before1 after1 p2psip_hep_messages_total outcome=sent
    check_hep "$work/hep.jsonl" "$caller_port" "$(overlay_sip_port 1)" 5 ||
      fail "the HEP collector did not see the calls as node 1 handled them"

    # SIGHUP reads the users file again (systemctl reload): dave, added to
    # it, is refused by node 2 before and registers after.
    printf 'SEQUENTIAL\ndave;\n' >"$work/dave.csv"
    echo "dave dave-secret" >>"$work/overlay/users"
    run_sipp dave-before -sf "$scenarios/register_refused.xml" -inf "$work/dave.csv" \
      -au dave -ap dave-secret -s p2psip.test -auth_uri p2psip.test -i 127.0.0.1 \
      -p "$caller_port" -t u1 -m 1 "$(node_sip 2)" || fail "node 2 took dave before the reload"
    kill -HUP "$(cat "$work/overlay/node2/pid")"
    for _ in $(seq 50); do
      grep -q "reloaded: 204 users" "$work/overlay/node2/log" && break
      sleep 0.1
    done
    grep -q "reloaded: 204 users" "$work/overlay/node2/log" ||
      fail "node 2 did not say it reloaded 204 users: $(tail -3 "$work/overlay/node2/log")"
    register_user dave dave-secret "$caller_port" 2
    ;;

  node-init)
    # A second machine added as docs/operations.md says: it makes its key,
    # request and configuration (node init); the enrollment authority signs
    # the request (ca sign); the node starts with what was written, joins
    # through node 1, and serves a phone enrolled by the authority.
    overlay_create "$work/overlay" 1 "$base" "$p2psipd" "$p2psip"
    overlay_start 1 || fail "node 1 did not start"
    m2=$work/machine2
    m2_api=127.0.0.1:$((base + 52))
    "$p2psip" node init --overlay p2psip.test --bootstrap "127.0.0.1:$(overlay_dht_port 1)" \
      --state "$m2/state" --config "$m2/p2psipd.toml" --address 127.0.0.1 \
      --sip-port $((base + 50)) --dht-port $((base + 53)) --api-port $((base + 52)) \
      >"$work/init.out" 2>&1 || fail "node init failed: $(cat "$work/init.out")"
    [ "$(stat -c %a "$m2/state/node.key")" = 600 ] || fail "node.key is not mode 0600"
    # sipp answers only the first challenge, SHA-256 by default: MD5 for it.
    printf '\n[auth]\ndigest = "MD5"\n' >>"$m2/p2psipd.toml"
    mkdir "$work/authority"
    cp "$m2/state/node.csr" "$work/authority/"
    "$p2psip" ca sign "$work/authority/node.csr" --dir "$work/overlay/ca" --node-id machine2 \
      --domain-authority --out "$work/authority/node" >>"$work/init.out" 2>&1 ||
      fail "ca sign failed: $(cat "$work/init.out")"
    [ ! -e "$work/authority/node.key" ] || fail "the authority holds the node's private key"
    cp "$work/authority/node.crt" "$work/authority/ca.crt" "$work/authority/users.key" "$m2/state/"
    "$p2psipd" -c "$m2/p2psipd.toml" >"$m2/log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
      "$p2psip" status --api "$m2_api" 2>/dev/null | grep -qE '"?good_nodes"?: *[1-9]' && break
      sleep 0.2
    done
    "$p2psip" status --api "$m2_api" | grep -qE '"?good_nodes"?: *[1-9]' ||
      fail "machine 2 did not join through node 1 in 20 s: $(tail -5 "$m2/log")"
    "$p2psip" user add alice --ca "$work/overlay/ca" --password alice-enrolled --node "$m2_api" \
      >>"$work/init.out" 2>&1 || fail "enrolling alice failed: $(cat "$work/init.out")"
    printf 'SEQUENTIAL\nalice;\n' >"$work/alice.csv"
    run_sipp register-alice-machine2 -sf "$interop/register.xml" -inf "$work/alice.csv" \
      -au alice -ap alice-enrolled -s p2psip.test -auth_uri p2psip.test -i 127.0.0.1 \
      -p "$caller_port" -t u1 -m 1 "127.0.0.1:$((base + 50))" ||
      fail "alice's REGISTER on machine 2: $(answers register-alice-machine2)"
    "$p2psip" lookup sip:alice@p2psip.test --api "$(node_api 1)" >"$work/lookup.out" ||
      fail "node 1 does not find alice's binding made on machine 2"
    say "node 1 finds alice through machine 2: $(tr -s ' \n' ' ' <"$work/lookup.out" | head -c 200)"
    ;;

  dashboard)
    # Headless Chromium on node 1's dashboard (tests/lib/dashboard_check.py)
    # while a call goes through it: the ring shows the 3 nodes, the ladder
    # the call's messages. The screenshot is kept in P2PSIP_ARTIFACTS.
    start_nodes 3
    register_bob 2
    wait_binding 1
    artifacts=${P2PSIP_ARTIFACTS:-$PWD}
    mkdir -p "$artifacts"
    ready=$work/browser.ready
    /usr/bin/python3 "$here/../lib/dashboard_check.py" "http://$(node_api 1)/" 3 "$ready" \
      "$artifacts/dashboard.png" INVITE 180 200 ACK BYE >"$work/browser.out" 2>&1 &
    browser=$!
    pids+=("$browser")
    for _ in $(seq 200); do
      [ -f "$ready" ] || ! kill -0 "$browser" 2>/dev/null && break
      sleep 0.2
    done
    [ -f "$ready" ] || fail "the browser did not get the dashboard ready: $(cat "$work/browser.out")"
    calls dashboard-call 1 1 1
    wait "$browser" || fail "$(cat "$work/browser.out")"
    say "$(cat "$work/browser.out"); screenshot $artifacts/dashboard.png"
    ;;

  *)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
say "e2e case $case_name passed"
exit 0
