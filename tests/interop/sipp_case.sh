#!/usr/bin/env bash
# One interop case: a real p2psipd on loopback and real sipp peers.
#   sipp_case.sh P2PSIPD CASE BASE_PORT
# The proxy listens on BASE_PORT (UDP and TCP), the callee on BASE_PORT+1,
# the caller on BASE_PORT+2. The callee registers through a digest challenge
# first, so every call is routed by registration lookup. Every process is
# bounded by a timeout and killed on exit. Exit status 0 when every sipp
# instance reports all its calls successful.
set -euo pipefail

p2psipd=$1
case_name=$2
base=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/sip_test.sh
source "$here/../lib/sip_test.sh"
scenarios=$here/scenarios
work=$(mktemp -d)
pids=()
cleanup() {
  # A background sipp is a subshell running `timeout sipp`: its children
  # first, or the sipp outlives the test.
  for pid in "${pids[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

proxy=$base
callee=$((base + 1))
caller=$((base + 2))
# p2psipd refuses a user file that others may read.
(umask 077 && printf 'alice wonderland\nbob builder\n' >"$work/users")
printf 'SEQUENTIAL\nbob;\n' >"$work/bob.csv"

# sipp 3.6 answers only MD5 challenges.
"$p2psipd" --users "$work/users" --digest MD5 -l "udp:127.0.0.1:$proxy" -l "tcp:127.0.0.1:$proxy" \
  >"$work/p2psipd.log" 2>&1 &
pids+=($!)
show_logs() {
  for f in "$work"/*.log "$work"/*.err "$work"/*.out; do
    [ -s "$f" ] || continue
    echo "----- $(basename "$f")"
    tail -n 40 "$f"
  done
}

fail() {
  echo "interop case $case_name failed: $*"
  show_logs
  exit 1
}

# The daemon prints its endpoints once it is bound.
for _ in $(seq 100); do
  grep -q "listening on tcp" "$work/p2psipd.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on tcp" "$work/p2psipd.log" || fail "p2psipd did not start within 10 s"

# sipp with the options every run shares: no terminal, bounded in time.
run_sipp() {
  timeout 60 sipp -nostdin -timeout 30 -timeout_error -trace_err -error_file "$work/sipp-$1.err" \
    "${@:2}" >"$work/sipp-$1.out" 2>&1
}

# sipp computes its digest over sip:REMOTE_IP:PORT, not the Request-URI,
# unless -auth_uri names it; p2psipd checks that the two agree (RFC 2617
# section 3.2.2.5).
register() {  # transport password [scenario]: the REGISTER is answered as the scenario expects
  run_sipp "register-$1-$2" -sf "${3:-$scenarios/register.xml}" -inf "$work/bob.csv" -au bob -ap "$2" \
    -s p2psip.test -auth_uri p2psip.test \
    -i 127.0.0.1 -p "$callee" -t "$1" -m 1 "127.0.0.1:$proxy"
}

wait_port() {  # transport port: waits (10 s) until a socket listens on it on 127.0.0.1
  local kind=udp
  [[ $1 == t* ]] && kind=tcp
  wait_for_port "$kind" 127.0.0.1 "$2" 10 || fail "nothing listens on $1 127.0.0.1:$2 after 10 s"
}

call() {  # uas-scenario uac-scenario callee-transport calls [extra sipp options...]
  local uas=$1 uac=$2 transport=$3 calls=$4
  shift 4
  run_sipp uas -sf "$scenarios/$uas" -i 127.0.0.1 -p "$callee" -t "$transport" -m "$calls" "$@" &
  local uas_pid=$!
  pids+=("$uas_pid")
  wait_port "$transport" "$callee"
  # An unexpected message (a 200 retransmitted after its ACK was lost) is
  # counted, not fatal: the scenario itself decides what must arrive.
  run_sipp uac -sf "$scenarios/$uac" -s bob -i 127.0.0.1 -p "$caller" -t u1 -m "$calls" \
    -default_behaviors pingreply,bye \
    -r 10 "$@" "127.0.0.1:$proxy"
  wait "$uas_pid"
}

status=0
case "$case_name" in
  register)
    register u1 builder || status=1
    # A wrong password is challenged (401), then refused (403); any other
    # answer fails the scenario.
    register u1 wrong "$here/../e2e/scenarios/register_refused.xml" || status=1
    ;;
  call) register u1 builder && call uas_call.xml uac_call.xml u1 1 || status=1 ;;
  busy) register u1 builder && call uas_busy.xml uac_busy.xml u1 1 || status=1 ;;
  cancel) register u1 builder && call uas_cancel.xml uac_cancel.xml u1 1 || status=1 ;;
  udp-to-tcp) register t1 builder && call uas_call.xml uac_call.xml t1 1 || status=1 ;;
  # 10% of the packets each sipp sends are lost (but the callee's 180, see
  # uas_call_loss.xml); retransmissions must save every call
  # (sipp gives a message up after 5 by default: 1 call in 20 could lose 6 in a row).
  loss) register u1 builder && call uas_call_loss.xml uac_call.xml u1 20 -lost 10 -max_retrans 10 || status=1 ;;
  *)
    echo "unknown case $case_name"
    exit 2
    ;;
esac
if [ "$status" -ne 0 ]; then
  echo "interop case $case_name failed"
  show_logs
fi
exit "$status"
