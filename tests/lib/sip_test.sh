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
