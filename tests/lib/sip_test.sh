# shellcheck shell=bash
# Shell helpers shared by the tests that run real processes (tests/e2e,
# tests/interop, tests/interwork). Source it; nothing here exits the caller.
#   wait_for_udp_port ADDR PORT [SECONDS]  waits (10 s by default) until a UDP
#                                          socket is bound to ADDR:PORT
#   wait_for_tcp_port ADDR PORT [SECONDS]  the same for a listening TCP socket
#   port_is_free udp|tcp ADDR PORT         true when nothing is bound there
#     (each returns 1, and says on stderr what it waited for, when it fails)
#   sipp_answers FILE                      the status lines in sipp's message
#                                          trace FILE (-trace_msg), on one line
#   sipp_successful_calls FILE             the "Successful call" count of the
#                                          last screen sipp printed in FILE

port_is_free() {  # udp|tcp ADDR PORT
  local flag=-lnu
  [ "$1" = tcp ] && flag=-lnt
  [ -z "$(ss -H "$flag" "src $2:$3")" ]
}

wait_for_port() {  # udp|tcp ADDR PORT [SECONDS]
  local tries=$((${4:-10} * 10))
  for _ in $(seq "$tries"); do
    port_is_free "$1" "$2" "$3" || return 0
    sleep 0.1
  done
  echo "nothing listens on $1 $2:$3 after ${4:-10} s" >&2
  return 1
}

wait_for_udp_port() { wait_for_port udp "$@"; }
wait_for_tcp_port() { wait_for_port tcp "$@"; }

sipp_answers() {  # FILE
  grep -hE '^SIP/2\.0 [0-9]{3}' "$1" 2>/dev/null | tr -d '\r' | paste -sd ',' - || true
}

sipp_successful_calls() {  # FILE
  grep -E '^ *Successful call' "$1" 2>/dev/null | tail -n 1 | awk '{print $NF}'
}

# On exit of an end-to-end case: the background sipps of the caller's
# `pids`, then the nodes of $work/overlay (TERM, then KILL after 5 s), then
# $work itself.
# shellcheck disable=SC2317  # called by the trap
e2e_cleanup() {
  local pid p
  # A background sipp is a subshell running `timeout sipp`: its children
  # first, or the sipp outlives the test.
  for pid in "${pids[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  # The nodes: TERM, then KILL whatever has not stopped within 5 s.
  for p in "$work"/overlay/node*/pid; do
    if [ -f "$p" ]; then kill -TERM "$(cat "$p")" 2>/dev/null || true; fi
  done
  for _ in $(seq 50); do
    local alive=0
    for p in "$work"/overlay/node*/pid; do
      [ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && alive=1
    done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for p in "$work"/overlay/node*/pid; do
    if [ -f "$p" ]; then kill -KILL "$(cat "$p")" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
