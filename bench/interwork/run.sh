#!/usr/bin/env bash
# Interworking benchmark: calls from the overlay p2psip.test to a user of the
# public domain example.test, through a plain node and a proxy peer, side by
# side with the same load straight through example.test's Kamailio, in one
# run; then RFC 3263 resolution time (build/release/bench/resolve_bench).
#
#   bench/interwork/run.sh [P2PSIPD [P2PSIP [RESOLVE_BENCH]]]     (as root)
#
# The world is tests/interwork/public_network.sh's (BIND9 serving
# example.test and the overlay's zone p2psip.test, Kamailio as example.test's
# registrar and proxy) with an overlay of scripts/lib/local_overlay.sh: node 1
# a proxy peer (pp1), node 2 a plain node. carol (a sipp UAS) registers with
# Kamailio. For each rate, two series of the same calls (INVITE/180/200/ACK,
# 200 ms, BYE/200):
#   kamailio  dave (sipp UAC, example.test) -> Kamailio -> carol
#   overlay   alice (sipp UAC, p2psip.test) -> node 2 (407, answered) ->
#             pp1 (found in the overlay) -> RFC 3263 for example.test ->
#             Kamailio -> carol
# Prints completed and failed calls per step, the highest rate with no
# failure per series, and the CPU time per call of node 2, pp1 and Kamailio
# (utime + stime from /proc/PID/stat over the step and its settle time).
# See README.md beside this file.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
p2psipd=${1:-${P2PSIPD:-$root/build/release/src/apps/p2psipd/p2psipd}}
p2psip=${2:-${P2PSIP:-$root/build/release/src/apps/p2psip/p2psip}}
resolve_bench=${3:-${RESOLVE_BENCH:-$root/build/release/bench/resolve_bench}}
interop=$root/tests/interop/scenarios
scenarios=$root/tests/interwork/scenarios

# ---------------------------------------------------------------- knobs
RATES=${RATES:-"50 100 200 400 800"}      # calls/s, one step per rate and series
STEP_SECONDS=${STEP_SECONDS:-10}      # a step is RATE x STEP_SECONDS calls
SETTLE_SECONDS=${SETTLE_SECONDS:-2}   # after a step, still counted in its CPU
SERIES=${SERIES:-"kamailio overlay"}  # which series to run, in this order at each rate
RESOLVE=${RESOLVE:-1}                 # 0: skip resolve_bench
# Kamailio's shared memory (MB): the tests' 64 runs out near 400 calls/s
# (tm cannot allocate a transaction: "500 No error (2/SL)").
KAMAILIO_SHM_MB=${KAMAILIO_SHM_MB:-512}
OUT=${OUT:-$(mktemp -d /tmp/p2psip-bench-interwork.XXXXXX)}
# The /24 of 127.0.0.0/8 the world lives in (public_network.sh's
# P2PSIP_PUBLIC_NET): not the tests' 127.0.0, so a run beside them clashes
# with nothing but port 53 of its own BIND9 address.
export P2PSIP_PUBLIC_NET=${P2PSIP_PUBLIC_NET:-127.0.80}
# Keep Kamailio's and BIND9's logs in $OUT/public (stop_all removes it otherwise).
export P2PSIP_KEEP_WORK=${P2PSIP_KEEP_WORK:-1}

if [ "$(id -u)" -ne 0 ]; then
  echo "run.sh: run as root (BIND9 binds port 53 and an address is added to lo)" >&2
  exit 2
fi
for tool in sipp kamailio named dig nsupdate tsig-keygen timeout awk pgrep ss; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done
for bin in "$p2psipd" "$p2psip"; do
  [ -x "$bin" ] || { echo "run.sh: no $bin (build the release preset)" >&2; exit 2; }
done
read -r -a rates <<<"$RATES"
read -r -a series <<<"$SERIES"
# A load run is bounded: sipp gives up after sipp_bound s, timeout kills it 2 s later.
sipp_bound=$((STEP_SECONDS + STEP_SECONDS / 2 + 5))

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"  # anything sipp writes stays here

pn_net=$P2PSIP_PUBLIC_NET
pp1_addr=$pn_net.11
node_addr=$pn_net.13
alice_addr=$pn_net.30
# shellcheck disable=SC2034  # read by local_overlay.sh
overlay_addrs=("$pp1_addr" "$node_addr")
# shellcheck source=scripts/lib/local_overlay.sh
source "$root/scripts/lib/local_overlay.sh"
# shellcheck disable=SC2034  # read by public_network.sh
pn_kamailio_shm_mb=$KAMAILIO_SHM_MB
# shellcheck source=tests/interwork/public_network.sh
source "$root/tests/interwork/public_network.sh"
pn_init "$OUT/public"

pids=()
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$overlay_dir" ] && overlay_stop_all
  stop_all
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" | tee -a "$OUT/summary.log"; }
die() { log "run.sh: $*"; exit 1; }
tck=$(getconf CLK_TCK)
now() { date +%s.%N; }

# ------------------------------------------------------------ measuring
# utime + stime of one process, threads included, in clock ticks.
pid_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  # The fields after the ")" of comm: utime is the 12th, stime the 13th.
  awk '{ print $12 + $13 }' <<<"${stat##*) }"
}
# ... of every process in a process group (Kamailio: main, workers, timers).
group_ticks() {
  local sum=0 p t
  for p in $(pgrep -g "$1"); do
    t=$(pid_ticks "$p")
    sum=$((sum + ${t:-0}))
  done
  echo "$sum"
}
# "NODE PP1 KAMAILIO" ticks.
cpu_now() { echo "$(pid_ticks "$node_pid") $(pid_ticks "$pp1_pid") $(group_ticks "$kam_group")"; }
per_call_ms() {  # ticks calls
  awk -v t="$1" -v n="$2" -v tck="$tck" 'BEGIN { if (n > 0) printf "%.3f", t * 1000 / tck / n; else print "-" }'
}
# ERROR lines in Kamailio's log so far (out of memory shows there first).
kamailio_errors() { grep -c ' ERROR: ' "$pn_dir/kamailio-$pn_sip1/log" || true; }
# One column of the last row of a sipp -trace_stat CSV, by its header name.
stat_col() {  # CSV NAME
  awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i; next }
    { last = $col } END { print (col ? last : "") }' "$1" 2>/dev/null || true
}

# ------------------------------------------------------------ the world
# Node 1 becomes proxy peer pp1.p2psip.test: it publishes itself in the zone
# with the key public_network.sh made for pp1, and resolves other domains
# with the world's BIND9. The keys are those docs/configuration.md gives.
make_proxy_peer() {  # I NAME KEYFILE
  local d=$overlay_dir/node$1
  sed -i 's/^roles = .*/roles = ["peer", "registrar", "proxy", "proxy-peer"]/' "$d/p2psipd.toml"
  (umask 077 && cp "$3" "$d/tsig.key")
  cat >>"$d/p2psipd.toml" <<TOML

[proxy_peer]
name = "$2.p2psip.test"

[dns]
servers = ["$pn_dns:53"]
update_server = "$pn_dns:53"
zone = "p2psip.test"
tsig_key = "tsig.key"
TOML
}

register_carol() {
  printf 'SEQUENTIAL\ncarol;\n' >"$OUT/carol.csv"
  run_sipp register-carol -sf "$interop/register.xml" -inf "$OUT/carol.csv" -au carol \
    -ap carol-secret -s example.test -auth_uri example.test -i "$pn_carol" -p 5060 -t u1 -m 1 \
    "$pn_sip1:5060" || die "carol's REGISTER at Kamailio failed: $(sipp_answers "$pn_dir/register-carol.msg")"
}

# The caller's side of a series: address, Request-URI target, identity and
# credentials.
uac_args() {  # SERIES
  case "$1" in
    kamailio)
      echo "-i $pn_dave -key caller_aor sip:dave@example.test $pn_sip1:5060"
      ;;
    overlay)
      echo "-i $alice_addr -key caller_aor sip:alice@p2psip.test -au alice -ap alice-secret -auth_uri carol@example.test $node_addr:5060"
      ;;
  esac
}

# One step: N = RATE x STEP_SECONDS calls of SERIES; carol's UAS takes
# exactly those calls. Sets step_ok, and the results in res[...].
declare -A res
run_step() {  # SERIES RATE
  local s=$1 rate=$2 n=$(($2 * STEP_SECONDS)) limit tag=$1-$2 rc=0 uas_rc=0
  limit=$((2 * rate > 200 ? 2 * rate : 200))
  register_carol
  # The callee: no message trace (at these rates it would cost sipp more
  # than the call), bounded like the caller.
  timeout "$((sipp_bound + 4))" sipp -nostdin -bind_local -timeout "$((sipp_bound + 2))" \
    -timeout_error -buff_size 4194304 -sf "$interop/uas_call.xml" -i "$pn_carol" -p 5060 -t u1 \
    -m "$n" -trace_err -error_file "$OUT/$tag-uas.err" >"$OUT/$tag-uas.out" 2>&1 &
  local uas_pid=$!
  pids+=("$uas_pid")
  wait_for_udp_port "$pn_carol" 5060 || die "carol's sipp does not listen"
  local c0 c1 t0 t1 e0 e1
  e0=$(kamailio_errors)
  read -r -a c0 <<<"$(cpu_now)"
  t0=$(now)
  # shellcheck disable=SC2046  # uac_args is a word list
  timeout "$((sipp_bound + 2))" sipp -nostdin -bind_local -timeout "$sipp_bound" -timeout_error \
    -buff_size 4194304 -sf "$scenarios/uac_call_aor.xml" -key callee_aor sip:carol@example.test \
    -p 5060 -t u1 -r "$rate" -m "$n" -l "$limit" -recv_timeout 10000 \
    -default_behaviors pingreply,bye -trace_err -error_file "$OUT/$tag-uac.err" \
    -trace_stat -stf "$OUT/$tag.csv" -fd 60 $(uac_args "$s") >"$OUT/$tag-uac.out" 2>&1 || rc=$?
  t1=$(now)
  sleep "$SETTLE_SECONDS"
  read -r -a c1 <<<"$(cpu_now)"
  e1=$(kamailio_errors)
  # The callee is done, or waits for calls that failed: end it.
  for _ in $(seq 20); do kill -0 "$uas_pid" 2>/dev/null || break; sleep 0.1; done
  kill "$uas_pid" 2>/dev/null || true
  wait "$uas_pid" 2>/dev/null || uas_rc=$?

  local ok fail retr elapsed
  ok=$(stat_col "$OUT/$tag.csv" "SuccessfulCall(C)")
  fail=$(stat_col "$OUT/$tag.csv" "FailedCall(C)")
  retr=$(stat_col "$OUT/$tag.csv" "Retransmissions(C)")
  ok=${ok:-0} fail=${fail:-0} retr=${retr:-0}
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  local node_ms pp_ms kam_ms
  node_ms=$(per_call_ms $((c1[0] - c0[0])) "$ok")
  pp_ms=$(per_call_ms $((c1[1] - c0[1])) "$ok")
  kam_ms=$(per_call_ms $((c1[2] - c0[2])) "$ok")
  # Calls sipp could not start at the rate asked (it fell behind) are not
  # failures, but the rate was not kept: that is checked on its own.
  local late note
  late=$(awk -v e="$elapsed" -v d="$STEP_SECONDS" 'BEGIN { print ((e > d * 1.1 + 1.5) ? 1 : 0) }')
  step_ok=0
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    note="sipp killed after $((sipp_bound + 2)) s"
  elif [ "$fail" -gt 0 ] || [ "$ok" -lt "$n" ] || [ "$rc" -ne 0 ]; then
    note="failures (sipp rc $rc)"
  elif [ "$late" = 1 ]; then
    note="rate not kept: ${elapsed} s for ${STEP_SECONDS} s"
  else
    step_ok=1
    note=ok
  fi
  res["$s|$rate"]="$ok/$n $fail $retr $elapsed $node_ms $pp_ms $kam_ms $step_ok"
  log "$(printf '%-8s %4s/s: %5s/%-5s ok %4s failed %4s retrans %5s s | CPU ms/call: node %6s  pp1 %6s  kamailio %6s (ticks %d %d %d) | uas rc %s | kamailio ERROR lines %s | %s' \
    "$s" "$rate" "$ok" "$n" "$fail" "$retr" "$elapsed" "$node_ms" "$pp_ms" "$kam_ms" \
    $((c1[0] - c0[0])) $((c1[1] - c0[1])) $((c1[2] - c0[2])) "$uas_rc" $((e1 - e0)) "$note")"
}

# ------------------------------------------------------------ main
log "interworking benchmark: $(date -Is); output in $OUT"
log "p2psipd: $p2psipd"
log "kamailio: $(kamailio -v 2>/dev/null | head -1); sipp: $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1); named: $(named -v)"
log "CPUs: $(nproc); load average $(cut -d' ' -f1-3 /proc/loadavg); steps of ${STEP_SECONDS} s (+${SETTLE_SECONDS} s settle), rates: $RATES"

start_named || die "BIND9 did not start"
start_kamailio "$pn_sip1" || die "Kamailio did not start"
kam_group=$(cat "$pn_dir/kamailio-$pn_sip1/group")
log "BIND9 at $pn_dns, Kamailio (example.test) at $pn_sip1, $(pgrep -g "$kam_group" | wc -l) processes; example.test -> $(sip_targets example.test | paste -sd ' ' -)"

overlay_create "$OUT/overlay" 2 0 "$p2psipd" "$p2psip"
make_proxy_peer 1 pp1 "$pn_dir/pp1.key"
overlay_start 1 || die "node 1 (pp1) did not start"
overlay_start 2 || die "node 2 did not start"
overlay_wait_joined 2 1 1 20 || die "node 2 did not join the overlay"
pp1_pid=$(cat "$overlay_dir/node1/pid")
node_pid=$(cat "$overlay_dir/node2/pid")
for _ in $(seq 100); do
  [ -n "$(dig_zone _sip._udp.p2psip.test SRV)" ] && break
  sleep 0.2
done
log "overlay: pp1 (proxy peer) at $pp1_addr, node 2 at $node_addr; _sip._udp.p2psip.test SRV: $(dig_zone _sip._udp.p2psip.test SRV | paste -sd ' ' -)"

# A first call through the overlay, until one goes through: node 2 has found
# the proxy peer in the overlay, and every cache on the way is warm.
warm=0
for i in $(seq 15); do
  register_carol
  start_sipp "warmup-uas-$i" -sf "$interop/uas_call.xml" -i "$pn_carol" -p 5060 -t u1 -m 1
  uas=$pn_sipp_pid
  wait_for_udp_port "$pn_carol" 5060 || die "carol's sipp does not listen"
  rc=0
  # shellcheck disable=SC2046
  run_sipp "warmup-uac-$i" -sf "$scenarios/uac_call_aor.xml" -key callee_aor sip:carol@example.test \
    -p 5060 -t u1 -m 1 -recv_timeout 5000 -default_behaviors pingreply,bye $(uac_args overlay) || rc=$?
  if [ "$rc" -eq 0 ]; then wait_sipp "$uas" || true; warm=1; break; fi
  stop_sipp "$uas"
  sleep 1
done
[ "$warm" = 1 ] || die "no call went through the overlay to carol (see $OUT/public/warmup-*)"
log "warm-up: a call alice -> carol went through the overlay (attempt $i)"

# What the processes spend doing nothing (DHT upkeep, timers), to read the
# per-call numbers against: it is counted in every step.
read -r -a i0 <<<"$(cpu_now)"
sleep 5
read -r -a i1 <<<"$(cpu_now)"
idle=$(awk -v a=$((i1[0] - i0[0])) -v b=$((i1[1] - i0[1])) -v c=$((i1[2] - i0[2])) -v tck="$tck" \
  'BEGIN { printf "node %.1f, pp1 %.1f, kamailio %.1f", a * 1000 / tck / 5, b * 1000 / tck / 5, c * 1000 / tck / 5 }')
log "idle CPU, ms per second: $idle"
log ""

declare -A best stopped
for s in "${series[@]}"; do best[$s]=0; stopped[$s]=0; done
for rate in "${rates[@]}"; do
  for s in "${series[@]}"; do
    [ "${stopped[$s]}" = 1 ] && continue
    run_step "$s" "$rate"
    if [ "$step_ok" = 1 ]; then best[$s]=$rate; else stopped[$s]=1; fi
  done
done

{
  echo
  echo "== Calls to carol@example.test (INVITE/180/200/ACK, 200 ms, BYE/200), ${STEP_SECONDS} s per step"
  echo "   kamailio: dave -> Kamailio -> carol; overlay: alice -> node 2 -> pp1 -> RFC 3263 -> Kamailio -> carol"
  echo "   CPU: utime+stime per completed call over the step and ${SETTLE_SECONDS} s after (clock tick $((1000 / tck)) ms)"
  printf '%6s | %-8s | %11s | %6s | %7s | %7s | %12s | %12s | %12s\n' rate series "completed" failed retrans seconds "node ms/call" "pp1 ms/call" "kam ms/call"
  printf -- '-------+----------+-------------+--------+---------+---------+--------------+--------------+-------------\n'
  for rate in "${rates[@]}"; do
    for s in "${series[@]}"; do
      [ -n "${res["$s|$rate"]:-}" ] || continue
      read -r comp fail retr secs node_ms pp_ms kam_ms _ <<<"${res["$s|$rate"]}"
      if [ "$s" = kamailio ]; then node_ms=- pp_ms=-; fi
      printf '%6s | %-8s | %11s | %6s | %7s | %7s | %12s | %12s | %12s\n' "$rate" "$s" "$comp" "$fail" "$retr" "$secs" "$node_ms" "$pp_ms" "$kam_ms"
    done
  done
  for s in "${series[@]}"; do
    echo "highest rate with no failure, $s: ${best[$s]}/s$([ "${stopped[$s]}" = 1 ] || echo " (every rate passed)")"
  done
  echo "idle CPU, ms per second: $idle"
} | tee -a "$OUT/summary.log"

if [ "$RESOLVE" = 1 ]; then
  # The world is stopped first: the resolution timings want a quiet machine.
  [ -n "$overlay_dir" ] && overlay_stop_all
  overlay_dir=
  stop_all
  pn_dir=
  log ""
  if [ -x "$resolve_bench" ]; then
    log "== RFC 3263 resolution of sip:carol@example.test (resolve_bench, BIND9 on 127.0.0.1)"
    "$resolve_bench" --benchmark_counters_tabular=true 2>&1 | tee -a "$OUT/summary.log"
  else
    log "no $resolve_bench: build the release preset's resolve_bench for the resolution times"
  fi
fi
log "logs: $OUT"
