# shellcheck shell=bash disable=SC2034,SC2154  # (it sets variables for its users, and reads theirs)
# What tests/relay's two tests, nat_relay_test.sh (relay.nat) and
# nat_interwork_test.sh (relay.nat_interwork), share around the world of
# nat_network.sh: the work directory, clean-up and failure report, coturn
# relays, baresip phones with ICE, the call driver and what the phones' and
# the relays' logs say. It only defines functions; relay_world_init, called
# once nat_network.sh, tests/lib/baresip_phone.sh and the overlay library are
# sourced, makes the work directory and sets the traps. Its user sets:
#   name          the test's name, first in its messages (relay.nat)
#   turn_port, turn_secret  coturn's port and static-auth-secret
#   phone_ctrl    ctrl_tcp's port, on each phone's address
#   call_timeout  the most one checked call may take
#   relay_server_logs  globs below $work of the logs show_test_logs prints
#                 after the nodes' (the relays' turn*/turn.log, ...)

say() { echo "[$(date +%T.%3N)] $*"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
oneline() { paste -sd ' ' -; }
nocolour() { sed 's/\x1b\[[0-9;]*m//g' "$@"; }

# Exits 77 (skipped) unless every TOOL and baresip module the phones load is
# installed.
relay_require() {  # TOOL...
  local tool m
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: skipped, $tool is not installed"; exit 77; }
  done
  for m in g711 ausine aubridge account menu ctrl_tcp ice uuid; do
    [ -f "/usr/lib/baresip/modules/$m.so" ] || {
      echo "$name: skipped, baresip module $m.so is not installed"
      exit 77
    }
  done
}

# The work directory ($work), the pids of what runs (phone_pid[USER],
# relay_pid[I], call_pid: the call driver while it runs), and the traps:
# cleanup on exit, the logs on a failing command.
relay_world_init() {
  work=$(mktemp -d)
  declare -gA phone_pid=() relay_pid=() phone_turn_user=()
  call_pid=
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  current_case=setup
  trap 'echo "$name ($current_case) FAILED: line $LINENO: \"$BASH_COMMAND\" exited $?"; show_test_logs' ERR
}

cleanup() {
  set +e
  [ -z "$call_pid" ] || stop_pids "$call_pid"
  # The phones first: on SIGTERM baresip un-registers, which needs the nodes.
  [ "${#phone_pid[@]}" -eq 0 ] || stop_pids "${phone_pid[@]}"
  [ -n "$overlay_dir" ] && overlay_stop_all
  [ "${#relay_pid[@]}" -eq 0 ] || stop_pids "${relay_pid[@]}"
  nat_teardown # with what else runs in the namespaces (BIND9, Kamailio...)
  wait 2>/dev/null
  if [ "${P2PSIP_KEEP_WORK:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}

show_test_logs() {
  local f g
  for g in overlay/node*/log "${relay_server_logs[@]}"; do
    # shellcheck disable=SC2231  # G is a glob, to expand here
    for f in "$work"/$g; do
      [ -s "$f" ] || continue
      echo "----- ${f#"$work"/}"
      tail -n 60 "$f"
    done
  done
  for f in "$work"/*.log; do # baresip phones: their colours off
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    nocolour "$f" | tail -n 150
  done
}

fail() {
  echo "$name ($current_case) FAILED: $*"
  show_test_logs
  exit 1
}

# A program run inside namespace NS, as a file (local_overlay.sh runs the
# node and its command line by path): $work/bin/NAME.
ns_wrapper() { # NAME NS PROGRAM
  mkdir -p "$work/bin"
  printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$2" "$3" >"$work/bin/$1"
  chmod +x "$work/bin/$1"
}

# Waits (S seconds, 10 by default) until something in namespace NS (a
# short name: pub, h1...) is bound to udp|tcp ADDR:PORT.
ns_wait_port() { # NS udp|tcp ADDR PORT [S]
  local flag=-lnu
  [ "$2" = tcp ] && flag=-lnt
  for _ in $(seq $((${5:-10} * 10))); do
    [ -n "$(nat_exec "$1" ss -H "$flag" "src $3:$4")" ] && return 0
    sleep 0.1
  done
  return 1
}

# -- the overlay ----------------------------------------------------------------

# The two nodes' directories in $work/overlay (local_overlay.sh), run in the
# public namespace. The API listens on the public segment (the namespace's
# only network), which p2psipd allows with a token only; p2psip reads it
# from the environment. The caller adds its roles and sections, then starts
# them.
relay_overlay_create() {
  ns_wrapper p2psipd "$(nat_ns pub)" "$p2psipd"
  ns_wrapper p2psip "$(nat_ns pub)" "$p2psip"
  P2PSIP_LOG=info overlay_create "$work/overlay" 2 0 "$work/bin/p2psipd" "$work/bin/p2psip"
  P2PSIP_API_TOKEN=$(openssl rand -hex 32)
  export P2PSIP_API_TOKEN
  sed -i "/^\[api\]/a token = \"$P2PSIP_API_TOKEN\"" "$work"/overlay/node*/p2psipd.toml
}

# -- the relays -----------------------------------------------------------------

# Relay I: coturn on ADDR in the public namespace, UDP and TCP on
# $turn_port, relayed ports 49152-49999 there, TURN REST credentials
# (use-auth-secret) with $turn_secret, the realm the relay peers use (the
# overlay's); its pid in relay_pid[I]. Status 1 when it does not listen
# within 10 s. Private addresses are NOT denied as peers (denied-peer-ip),
# though a relay on the Internet should deny them: see nat_relay_test.sh's
# start_relay. Its log ($work/turnI/turn.log, verbose; appended to when it is
# started again) has the allocations (the phones', and its relay peer's
# checks, under other user names) and, as each session ends, its usage:
# "rp=, rb=, sp=, sb=".
coturn_start() { # I ADDR
  local i=$1 a=$2 d=$work/turn$1
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
  ns_wait_port pub udp "$a" "$turn_port" 10
}

# What the coturn log LOG says about the allocations of the TURN users
# USER...: it waits (10 s at most) until every session it opened for them
# (if any) is closed, then prints "SESSIONS RP RB SP SB", the sums of their
# "peer usage" lines (packets and bytes received from and sent to peers:
# what the relay relayed). coturn logs, per session:
#   session 001000000000000001: new, realm=<p2psip.test>, username=<1796309860:alice>, lifetime=600
#   session ...: realm <p2psip.test> user <1796309860:alice>: incoming packet ALLOCATE processed, success
#   session ...: refreshed, realm=<p2psip.test>, username=<1796309860:alice>, lifetime=0
#   session ...: peer usage: realm=<p2psip.test>, username=<1796309860:alice>, rp=151, rb=27772, sp=153, sb=26112
#   session ...: closed (2nd stage), user <1796309860:alice> realm <p2psip.test> origin <>, local ..., remote ..., reason: ...
coturn_usage() { # LOG USER...
  local log=$1 u opened closed pending users
  shift
  for _ in $(seq 100); do
    pending=0
    for u in "$@"; do
      opened=$(grep -cF "new, realm=<p2psip.test>, username=<$u>," "$log" || true)
      closed=$(grep -cF "closed (2nd stage), user <$u>" "$log" || true)
      [ "$closed" -ge "$opened" ] || pending=1
    done
    [ "$pending" = 0 ] && break
    sleep 0.1
  done
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

# -- the phones -----------------------------------------------------------------

# A baresip phone for USER at ADDR in namespace NS (a short name: h1...),
# registered with NODE_ADDR over UDP, answering as ANSWERMODE, with
# ACCOUNT_LINE (p2psip account's baresip line: ICE with the TURN server it
# names) as its account; config in $work/USER-RUN, log (SIP trace, -v)
# $work/USER-RUN.log: a new directory and log for each RUN, so that each
# call's statistics are its own. Its pid in phone_pid[USER]; fails unless it
# listens for ctrl_tcp within 10 s.
relay_phone_start() { # USER NS ADDR NODE_ADDR ANSWERMODE RUN ACCOUNT_LINE
  local user=$1 ns=$2 addr=$3 dir=$work/$1-$6
  baresip_addr=$addr baresip_answermode=$5 \
    baresip_write_config "$dir" "$user" "$user-secret" udp "$4:5060" 5060 "$phone_ctrl" 10000
  # The account is p2psip account's line as it is, and who answers.
  printf '%s;answermode=%s\n' "$7" "$5" >"$dir/accounts"
  # ICE with the TURN server; the ICE module prints its checks and the
  # chosen pairs (-v).
  sed -i 's/^rtp_ports.*/rtp_ports\t\t10000-10099/' "$dir/config"
  echo "module			ice.so" >>"$dir/config"
  echo "module			uuid.so" >>"$dir/config" # the +sip.instance of sipnat=outbound
  nat_spawn "$ns" "$work/$user-$6.log" stdbuf -oL -eL baresip -f "$dir" -s -v
  phone_pid[$user]=$nat_spawned
  ns_wait_port "$ns" tcp "$addr" "$phone_ctrl" 10 ||
    fail "$user's baresip does not listen for ctrl_tcp on $addr:$phone_ctrl within 10 s"
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

# Runs the call driver DRIVER (relay_call.py, interwork_call.py) with ARG...,
# $call_timeout s at most, its phones' ctrl_tcp reached from the namespaces
# NETNS names (RELAY_CTRL_NETNS: "ADDR=NETNS ..."). In the background, and
# waited for: a signal to the test is handled at once, not after the call
# (cleanup ends the driver). Its output in $work/ctrl-RUN.out, printed
# indented; its exit status in call_rc.
drive_call() { # RUN NETNS DRIVER ARG...
  local run=$1 netns=$2
  shift 2
  call_rc=0
  RELAY_CTRL_NETNS=$netns timeout "$call_timeout" python3 "$@" >"$work/ctrl-$run.out" 2>&1 &
  call_pid=$!
  wait "$call_pid" || call_rc=$?
  call_pid=
  sed 's/^/  /' "$work/ctrl-$run.out"
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
ice_dump() { # LOG: the media state block of LOG
  nocolour "$1" | sed -n '/^audio: Dumping media state: /,/^STUN debug:/p'
}

# What USER's phone's ICE chose in call RUN: its selected pairs, one a line.
ice_selected() { # USER RUN
  ice_dump "$work/$1-$2.log" | grep -E '^  \*  \{comp=[0-9]+\}' || true
}
