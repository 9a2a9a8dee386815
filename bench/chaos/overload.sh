#!/usr/bin/env bash
# Overload: calls through two p2psipd nodes at twice their maximum rate,
# then back at the maximum.
#
#   bench/chaos/overload.sh [P2PSIPD [P2PSIP]]
#
# The callee (a sipp UAS) registers with node 2; a sipp caller calls it
# through node 1, so each call is looked up in the overlay and crosses both
# nodes (the proxy benchmark's p2psipd-overlay). Three phases:
#   1. max: the call rate steps up until a step has a failed call or does not
#      keep its rate; the highest passing step is the maximum M;
#   2. overload: 2*M calls/s for OVERLOAD_SECONDS: a call may be refused with
#      503, which must carry Retry-After (uac_overload.xml fails a 503
#      without it); the calls not refused must succeed;
#   3. recovery: M calls/s for RECOVERY_SECONDS: every call must succeed at
#      that rate, as in phase 1 (no collapse).
# Prints each phase's calls, 503s, failures and the rate kept, and a verdict;
# summary.env and summary.json in OUT hold the same numbers. README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
p2psipd=${1:-${P2PSIPD:-$root/build/release/src/apps/p2psipd/p2psipd}}
p2psip=${2:-${P2PSIP:-$root/build/release/src/apps/p2psip/p2psip}}
OVERLAY_LIB=${OVERLAY_LIB:-$root/scripts/lib/local_overlay.sh}
scenarios=$root/tests/interop/scenarios

# ---------------------------------------------------------------- knobs
STEP_RATES=${STEP_RATES:-"100 200 300 400 500 600 800 1000 1200 1500 2000 2500 3000"}
STEP_SECONDS=${STEP_SECONDS:-5}
MAX_RATE=${MAX_RATE:-}                  # calls/s; empty: measured (phase 1)
OVERLOAD_SECONDS=${OVERLOAD_SECONDS:-20}
RECOVERY_SECONDS=${RECOVERY_SECONDS:-20}
LIMIT_RATE=${LIMIT_RATE:-0}             # node 1's [limits] rate (per source); 0: none
BASE_PORT=${BASE_PORT:-30600}
OUT=${OUT:-$(mktemp -d /tmp/p2psip-bench-overload.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"

die() { echo "overload.sh: $*" >&2; exit 2; }
for tool in sipp timeout awk; do command -v "$tool" >/dev/null || die "$tool not found"; done
for bin in "$p2psipd" "$p2psip"; do [ -x "$bin" ] || die "no $bin (build the release preset)"; done
uas_port=$((BASE_PORT + 50))
uac_port=$((BASE_PORT + 60))

# shellcheck source=scripts/lib/local_overlay.sh
source "$OVERLAY_LIB"
# shellcheck disable=SC2034  # read by overlay_create
overlay_auth=false

pids=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  [ -n "$overlay_dir" ] && overlay_stop_all
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$OUT/run.log" >&2; }
udp_rcvbuf_errors() { awk '/^Udp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp; }
cpu_ticks() { # pid: utime + stime
  sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0
}
nodes_ticks() {
  echo $(($(cpu_ticks "$(cat "$overlay_dir/node1/pid")") + $(cpu_ticks "$(cat "$overlay_dir/node2/pid")")))
}
successful_calls() { grep -E '^ *Successful call' "$1" 2>/dev/null | tail -n 1 | awk '{ print $NF }'; }
failed_calls() { grep -E '^ *Failed call' "$1" 2>/dev/null | tail -n 1 | awk '{ print $NF }'; }

start_nodes() {
  overlay_create "$OUT/overlay" 2 "$BASE_PORT" "$p2psipd" "$p2psip"
  sed -i "s/^rate = 0$/rate = $LIMIT_RATE/" "$OUT/overlay/node1/p2psipd.toml"
  overlay_start 1
  overlay_start 2
  overlay_wait_joined 1 1 1 30
  overlay_wait_joined 2 1 1 30
}

register_callee() {
  local i
  for i in $(seq 20); do
    timeout 20 sipp -nostdin -sf "$root/bench/proxy/register.xml" -key user_prefix callee \
      -key expires 3600 -i 127.0.0.1 -p "$uas_port" -mp $((uas_port + 2)) -t u1 -m 1 \
      -timeout 5 -timeout_error "127.0.0.1:$(overlay_sip_port 2)" >"$OUT/register.out" 2>&1 && return 0
    sleep 0.5
  done
  log "the callee could not register with node 2"
  exit 1
}

start_callee() {
  timeout 3600 sipp -nostdin -sf "$scenarios/uas_call.xml" -i 127.0.0.1 -p "$uas_port" \
    -mp $((uas_port + 2)) -t u1 -timeout 3500 -buff_size 4194304 \
    -trace_err -error_file "$OUT/callee.err" >"$OUT/callee.out" 2>&1 &
  pids+=($!)
  sleep 0.5
}

# One phase: RATE calls/s for SECONDS through node 1. Sets ph_* and logs a line.
phase() { # tag rate seconds
  local tag=$1 rate=$2 secs=$3 n=$(($2 * $3)) rc=0 t0 t1 c0 c1 e0 e1
  c0=$(nodes_ticks)
  e0=$(udp_rcvbuf_errors)
  t0=$(now)
  # callee1: register.xml's user is its prefix and call number.
  timeout $((secs * 4 + 60)) sipp -nostdin -sf "$here/uac_overload.xml" -s callee1 -i 127.0.0.1 \
    -p "$uac_port" -mp $((uac_port + 2)) -t u1 -r "$rate" -m "$n" -l $((rate * 10 + 100)) \
    -recv_timeout 10000 -timeout $((secs * 4 + 40)) -buff_size 4194304 \
    -default_behaviors pingreply,bye -trace_err -error_file "$OUT/$tag.err" \
    -trace_logs -log_file "$OUT/$tag.log" "127.0.0.1:$(overlay_sip_port 1)" >"$OUT/$tag.out" 2>&1 || rc=$?
  t1=$(now)
  c1=$(nodes_ticks)
  e1=$(udp_rcvbuf_errors)
  ph_n=$n
  ph_ok=$(grep -c '^OK ' "$OUT/$tag.log" 2>/dev/null || true)
  ph_503=$(grep -c '^B ' "$OUT/$tag.log" 2>/dev/null || true)
  ph_failed=$(failed_calls "$OUT/$tag.out")
  ph_failed=${ph_failed:-?}
  ph_elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  ph_kept=$(awk -v e="$ph_elapsed" -v d="$secs" 'BEGIN { print (e <= d * 1.1 + 2) ? 1 : 0 }')
  ph_cps=$(awk -v o="$ph_ok" -v e="$ph_elapsed" 'BEGIN { printf "%.0f", (e > 0 ? o / e : 0) }')
  ph_cpu=$(awk -v c=$((c1 - c0)) -v e="$ph_elapsed" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", 100 * c / t / e }')
  ph_rc=$rc
  ph_drops=$((e1 - e0))
  log "$(printf '%-12s %5s/s offered: %6s calls, %6s ok, %5s 503 (all with Retry-After), %5s failed; %6ss (rate kept: %s), %s ok calls/s; nodes %s%% CPU; rcvbuf drops %s; sipp exit %s' \
    "$tag" "$rate" "$n" "$ph_ok" "$ph_503" "$ph_failed" "$ph_elapsed" "$ph_kept" "$ph_cps" "$ph_cpu" "$ph_drops" "$rc")"
}

measure_max() {
  local rate best=0
  for rate in $STEP_RATES; do
    phase "step-$rate" "$rate" "$STEP_SECONDS"
    { [ "$ph_rc" -eq 0 ] && [ "$ph_ok" = "$ph_n" ] && [ "$ph_kept" = 1 ]; } || break
    best=$rate
  done
  max_rate=$best
}

log "overload: output in $OUT; node 1 [limits] rate $LIMIT_RATE"
start_nodes
register_callee
start_callee
max_rate=$MAX_RATE
[ -n "$max_rate" ] || measure_max
[ "$max_rate" -gt 0 ] || { log "not even the first step passed"; exit 1; }
log "maximum: $max_rate calls/s"
sleep 2
phase overload $((2 * max_rate)) "$OVERLOAD_SECONDS"
o_n=$ph_n o_ok=$ph_ok o_503=$ph_503 o_failed=$ph_failed o_cps=$ph_cps o_elapsed=$ph_elapsed o_drops=$ph_drops
phase recovery "$max_rate" "$RECOVERY_SECONDS"
r_n=$ph_n r_ok=$ph_ok r_503=$ph_503 r_failed=$ph_failed r_cps=$ph_cps r_elapsed=$ph_elapsed r_kept=$ph_kept

accepted=$((o_n - o_503))
served=$(awk -v o="$o_ok" -v a="$accepted" 'BEGIN { printf "%.2f", (a > 0 ? 100 * o / a : 0) }')
verdict_503=$([ "$o_503" -gt 0 ] && echo yes || echo no)
verdict_served=$(awk -v s="$served" 'BEGIN { print (s >= 99.9) ? "yes" : "no" }')
verdict_recovered=$([ "$r_ok" = "$r_n" ] && [ "$r_kept" = 1 ] && echo yes || echo no)
{
  echo
  echo "== overload through 2 nodes (calls into node 1, callee on node 2); node 1 [limits] rate $LIMIT_RATE"
  echo "maximum rate with no failed call: $max_rate calls/s"
  echo "2x ($((2 * max_rate))/s for ${OVERLOAD_SECONDS}s): $o_n offered, $o_503 answered 503 with Retry-After, $o_ok completed, $o_failed failed (timeouts, other answers); ${o_elapsed}s; $o_cps completed calls/s; rcvbuf drops $o_drops"
  echo "   the node answers 503 with Retry-After under overload: $verdict_503"
  echo "   calls not refused that completed: $o_ok/$accepted = $served% (goal 99.9%): $verdict_served"
  echo "1x ($max_rate/s for ${RECOVERY_SECONDS}s): $r_n offered, $r_ok completed, $r_503 503, $r_failed failed; ${r_elapsed}s; $r_cps calls/s"
  echo "   back to full rate after the overload: $verdict_recovered"
  echo "what sipp's error file holds for the 2x phase (a 503 is logged there too):"
  grep -oE "received '[^']{0,40}|while expecting '[0-9A-Z]+'|[Tt]imeout[a-z ]*" "$OUT/overload.err" 2>/dev/null |
    sort | uniq -c | sort -rn | head -n 6 | sed 's/^/   /' || true
  echo "node warnings (overload, rate limit) in the logs:"
  grep -hiE 'overload|rate limit|503' "$OUT"/overlay/node*/log 2>/dev/null | tail -n 5 | sed 's/^/   /' || true
  echo "output: $OUT"
} | tee "$OUT/report.txt"
cat >"$OUT/summary.env" <<EOF
max_rate=$max_rate
limit_rate=$LIMIT_RATE
overload_offered=$o_n
overload_503=$o_503
overload_ok=$o_ok
overload_failed=$o_failed
overload_served_pct=$served
recovery_offered=$r_n
recovery_ok=$r_ok
recovery_failed=$r_failed
answers_503=$verdict_503
served_accepted=$verdict_served
recovered=$verdict_recovered
EOF
jq -Rn '[inputs | capture("(?<k>[^=]+)=(?<v>.*)") | {(.k): (.v | tonumber? // .)}] | add' \
  <"$OUT/summary.env" >"$OUT/summary.json" 2>/dev/null || true
