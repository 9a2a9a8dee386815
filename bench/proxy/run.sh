#!/usr/bin/env bash
# Proxy benchmark: p2psipd against Kamailio, in the same run, on loopback.
#
#   bench/proxy/run.sh [P2PSIPD [P2PSIP]]
#
# The servers: p2psipd alone (bindings in memory), two p2psipd nodes forming
# an overlay (p2psipd-overlay: calls enter node 1, the callee is registered
# with node 2, so each call is looked up in the DHT and crosses both), and
# Kamailio as a single proxy.
#
# For each server: register the callee (a sipp UAS), then step the call rate
# of a sipp UAC up (INVITE/100/180/200/ACK/BYE/200 through the record-routing
# proxy, the callee found by location lookup) until a step has a failed call
# or cannot keep its rate; then the same with REGISTER only (a new address of
# record per REGISTER). Prints the highest rate with zero failures for each,
# the server's CPU time per call and per REGISTER, and the ratio.
# See README.md beside this file for what is measured and the knobs below.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
p2psipd=${1:-${P2PSIPD:-$root/build/release/src/apps/p2psipd/p2psipd}}
p2psip=${2:-${P2PSIP:-$root/build/release/src/apps/p2psip/p2psip}}
scenarios=$root/tests/interop/scenarios

# ---------------------------------------------------------------- knobs
STEP_SECONDS=${STEP_SECONDS:-5}          # length of one rate step
SETTLE_SECONDS=${SETTLE_SECONDS:-1}      # pause after a step, still counted in its CPU
CALL_RATES=${CALL_RATES:-"200 400 800 1200 1600 2000 2500 3000 4000 5000 6000 8000"}
REG_RATES=${REG_RATES:-"1000 2000 4000 6000 8000 10000 12000 15000 20000 25000 30000 40000"}
# A REGISTER through the overlay is signed, stored in the DHT and read back:
# its rates are an order of magnitude lower.
OVERLAY_REG_RATES=${OVERLAY_REG_RATES:-"50 100 200 300 400 500 600 800 1000"}
MAX_STEPS=${MAX_STEPS:-12}
# Kamailio settings to run, each WORKERS:ALLOCATOR: UDP workers (-n; Debian's
# default is 8) and the shared and private memory manager (-x/-X: tlsf, fm,
# or qm, the default, which keeps debugging data and costs ~3x per call).
KAMAILIO_SETTINGS=${KAMAILIO_SETTINGS:-"1:tlsf 8:qm"}
# Kamailio's maxbuffer (it asks the kernel for up to this receive buffer,
# which the kernel doubles): empty keeps its default, 262144 (512 KiB given);
# 106496 gives the 208 KiB default buffer p2psipd has.
KAMAILIO_MAXBUFFER=${KAMAILIO_MAXBUFFER:-}
NICE=${NICE:-0}                          # e.g. -10: servers and sipp ahead of other processes
PIN=${PIN:-1}                            # 1: server on CPU $SERVER_CPU, every sipp on CPU $SIPP_CPU
SERVER_CPU=${SERVER_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
BASE_PORT=${BASE_PORT:-25600}
SERVERS=${SERVERS:-"p2psipd p2psipd-overlay kamailio"}
OUT=${OUT:-$(mktemp -d /tmp/p2psip-bench-proxy.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"  # sipp writes nothing else, but keep any stray file out of the tree

for tool in sipp kamailio taskset timeout awk; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done
[ -x "$p2psipd" ] || { echo "run.sh: no p2psipd at $p2psipd (build the release preset)" >&2; exit 2; }
if [[ " $SERVERS " == *" p2psipd-overlay "* ]] && [ ! -x "$p2psip" ]; then
  echo "run.sh: no p2psip at $p2psip (build the release preset)" >&2
  exit 2
fi
# shellcheck source=scripts/lib/local_overlay.sh
source "$root/scripts/lib/local_overlay.sh"
ncpu=$(nproc)
if [ "$PIN" = 1 ] && { [ "$SERVER_CPU" -ge "$ncpu" ] || [ "$SIPP_CPU" -ge "$ncpu" ]; }; then
  echo "run.sh: $ncpu CPU(s): cannot pin to $SERVER_CPU/$SIPP_CPU, running unpinned" >&2
  PIN=0
fi
server_pin=()
sipp_pin=()
if [ "$PIN" = 1 ]; then
  server_pin=(taskset -c "$SERVER_CPU")
  sipp_pin=(taskset -c "$SIPP_CPU")
fi
if [ "$NICE" != 0 ]; then
  server_pin=(nice -n "$NICE" "${server_pin[@]}")
  sipp_pin=(nice -n "$NICE" "${sipp_pin[@]}")
fi
tck=$(getconf CLK_TCK)

pids=()
overlay_cleanup_on_exit

log() { printf '%s\n' "$*" | tee -a "$OUT/steps.log"; }

# ------------------------------------------------------------ measuring
# CPU ticks (user+system) of a process and all its descendants.
tree_ticks() {
  local pids_all=("$1") frontier=("$1") next kid p
  while [ ${#frontier[@]} -gt 0 ]; do
    next=()
    for p in "${frontier[@]}"; do
      for kid in $(pgrep -P "$p"); do next+=("$kid"); done
    done
    pids_all+=("${next[@]}")
    frontier=("${next[@]}")
  done
  local sum=0 t
  for p in "${pids_all[@]}"; do
    # Fields after the ")" of comm: utime is the 12th, stime the 13th.
    t=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13}') || t=0
    sum=$((sum + ${t:-0}))
  done
  echo "$sum"
}
tree_count() {
  local n=1 p
  for p in $(pgrep -P "$1"); do n=$((n + $(tree_count "$p"))); done
  echo "$n"
}
udp_rcvbuf_errors() { awk '/^Udp:/ { if (h) { print $6; exit } h = 1 }' /proc/net/snmp; }
now() { date +%s.%N; }

# One column of the last row of a sipp -trace_stat CSV, by header name.
stat_col() {
  awk -F';' -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i; next }
    { last = $col } END { print (col ? last : "") }' "$1"
}
# sipp's "HH:MM:SS:usec" as milliseconds.
hms_ms() { awk -F: '{ printf "%.2f", ($1 * 3600 + $2 * 60 + $3) * 1000 + $4 / 1000 }' <<<"${1:-0:0:0:0}"; }

# ------------------------------------------------------------ servers
# The processes of the server under test (their CPU is counted together),
# where calls are sent, and where the callee registers.
server_pids=()
server_port=
register_port=
server_ticks() {
  local sum=0 p
  for p in "${server_pids[@]}"; do sum=$((sum + $(tree_ticks "$p"))); done
  echo "$sum"
}
server_procs() {
  local sum=0 p
  for p in "${server_pids[@]}"; do sum=$((sum + $(tree_count "$p"))); done
  echo "$sum"
}

# Two nodes of scripts/lib/local_overlay.sh from BASE: node I's SIP, DHT and
# API on BASE+10*I and the next two ports. Digest is off, as for the others.
start_overlay() {  # name base
  local name=$1 base=$2 i c
  # The nodes run pinned like every other server: a wrapper execs p2psipd
  # under taskset, so the pid overlay_start records is p2psipd's own.
  {
    echo '#!/usr/bin/env bash'
    printf 'exec'
    printf ' %q' "${server_pin[@]}" "$p2psipd"
    echo ' "$@"'
  } >"$OUT/p2psipd-pinned"
  chmod +x "$OUT/p2psipd-pinned"
  overlay_auth=false
  overlay_create "$OUT/$name" 2 "$base" "$OUT/p2psipd-pinned" "$p2psip"
  server_pids=()
  for i in 1 2; do
    overlay_start "$i"
    server_pids+=("$(cat "$overlay_dir/node$i/pid")")
  done
  for i in 1 2; do
    for _ in $(seq 150); do
      c=$(overlay_dht_counts "$i" || true)  # not answering yet: poll again
      [ "${c%% *}" -ge 1 ] 2>/dev/null && break
      sleep 0.2
    done
  done
  server_port=$(overlay_sip_port 1)
  register_port=$(overlay_sip_port 2)
}

start_server() {  # name port workers allocator
  local name=$1 port=$2 children=${3:-1} alloc=${4:-qm}
  server_port=$port
  register_port=$port
  case "$name" in
    p2psipd-overlay)
      start_overlay "$name" "$port"
      return
      ;;
    p2psipd)
      "${server_pin[@]}" "$p2psipd" --no-auth --rate 0 -l "udp:127.0.0.1:$port" \
        >"$OUT/$name.log" 2>&1 &
      ;;
    kamailio*)
      mkdir -p "$OUT/$name-run"
      local defines=()
      [ -n "$KAMAILIO_MAXBUFFER" ] && defines=(-A "MAXBUFFER=$KAMAILIO_MAXBUFFER")
      "${server_pin[@]}" kamailio -f "$here/kamailio.cfg" -DD -E -n "$children" \
        -x "$alloc" -X "$alloc" "${defines[@]}" -l "udp:127.0.0.1:$port" -m 1024 -M 32 \
        -Y "$OUT/$name-run" -P "$OUT/$name-run/pid" >"$OUT/$name.log" 2>&1 &
      ;;
  esac
  server_pids=($!)
  pids+=("$!")
}
stop_server() {
  if [ -n "$overlay_dir" ]; then
    overlay_stop_all
    overlay_dir=
    return
  fi
  local pid=${server_pids[0]}
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# sipp with what every run shares: no terminal, bounded, on the sipp CPU.
sipp_run() {  # tag seconds-bound sipp-args...
  local tag=$1 bound=$2
  shift 2
  local timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f "%U %S" -o "$OUT/$tag.time")
  timeout "$((bound + 10))" "${sipp_pin[@]}" "${timer[@]}" sipp -nostdin -timeout "$bound" \
    -timeout_error -buff_size 4194304 -trace_err -error_file "$OUT/$tag.err" "$@" \
    >"$OUT/$tag.out" 2>&1
}

register_callee() {  # uas-port
  local i
  for i in $(seq 20); do
    # An hour: the registration must outlast every call step.
    if sipp_run "$server_name-register-callee" 2 -sf "$here/register.xml" \
      -key user_prefix callee -key expires 3600 \
      -i 127.0.0.1 -p "$1" -t u1 -m 1 "127.0.0.1:$register_port"; then
      return 0
    fi
    sleep 0.5
  done
  echo "run.sh: $server_name never answered a REGISTER (see $OUT/$server_name.log)" >&2
  return 1
}

# ------------------------------------------------------------ one step
pct() {  # ticks seconds -> percent of one CPU
  awk -v c="$1" -v s="$2" -v tck="$tck" 'BEGIN { printf "%.0f", (s > 0 ? 100 * c / tck / s : 0) }'
}

# Sets step_ok, step_cpu_ms, step_note and appends a line to the log.
run_step() {  # kind(call|register) step-index rate
  local kind=$1 idx=$2 rate=$3
  local n=$((rate * STEP_SECONDS)) limit=$((rate * 2 > 200 ? rate * 2 : 200))
  local tag="$server_name-$kind-$rate" csv="$OUT/$server_name-$kind-$rate.csv"
  local c0 c1 cw u0 u1 e0 e1 t0 t1 rc=0 args
  c0=$(server_ticks)
  u0=0
  [ "$kind" = call ] && u0=$(tree_ticks "$uas_pid")
  e0=$(udp_rcvbuf_errors)
  t0=$(now)
  if [ "$kind" = call ]; then
    # shellcheck disable=SC2054  # pingreply,bye is one sipp argument
    args=(-sf "$scenarios/uac_call.xml" -s callee1 -default_behaviors pingreply,bye)
  else
    args=(-sf "$here/register.xml" -key user_prefix "s${idx}u" -key expires 60)
  fi
  # -l: calls in flight; at the rate asked for a call holds ~0.21 s, so twice
  # the rate only binds when answers take over a second.
  sipp_run "$tag" $((STEP_SECONDS * 2 + 20)) "${args[@]}" -i 127.0.0.1 -p "$uac_port" -t u1 \
    -r "$rate" -m "$n" -l "$limit" -recv_timeout 10000 \
    -trace_stat -stf "$csv" -fd 60 "127.0.0.1:$server_port" || rc=$?
  t1=$(now)
  cw=$(server_ticks)
  u1=0
  [ "$kind" = call ] && u1=$(tree_ticks "$uas_pid")
  # Transactions of the step still end (timer K, wait timers) in the settle time.
  sleep "$SETTLE_SECONDS"
  c1=$(server_ticks)
  e1=$(udp_rcvbuf_errors)

  local ok fail retr len elapsed uac_ticks=0
  ok=$(stat_col "$csv" "SuccessfulCall(C)" 2>/dev/null || true)
  fail=$(stat_col "$csv" "FailedCall(C)" 2>/dev/null || true)
  retr=$(stat_col "$csv" "Retransmissions(C)" 2>/dev/null || true)
  # sipp times in whole milliseconds: the call length (a call holds 200 ms
  # between ACK and BYE) shows queueing; a REGISTER's is its response time.
  len=$(hms_ms "$(stat_col "$csv" "CallLength(C)" 2>/dev/null || true)")
  ok=${ok:-0} fail=${fail:-0} retr=${retr:-0}
  [ -s "$OUT/$tag.time" ] && uac_ticks=$(awk -v tck="$tck" 'NF == 2 { printf "%.0f", ($1 + $2) * tck }' "$OUT/$tag.time")
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  step_cpu_ms=$(awk -v c=$((c1 - c0)) -v tck="$tck" -v n="$ok" \
    'BEGIN { printf "%.4f", (n > 0 ? c * 1000 / tck / n : 0) }')
  # The calls started at the rate asked for: sipp (or the limit of calls in
  # flight) did not fall behind. A call lasts ~0.2 s, a REGISTER far less.
  local late
  late=$(awk -v e="$elapsed" -v d="$STEP_SECONDS" 'BEGIN { print ((e > d * 1.1 + 1.5) ? 1 : 0) }')
  step_ok=0
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    step_note="timed out (sipp killed)"
  elif [ "$fail" -gt 0 ] || [ "$ok" -lt "$n" ] || [ "$rc" -ne 0 ]; then
    step_note="$fail failed, $ok/$n ok (sipp rc $rc)"
  elif [ "$late" = 1 ]; then
    step_note="late: ${elapsed}s for a ${STEP_SECONDS}s step, rate not kept"
  else
    step_ok=1
    step_note=ok
  fi
  local uas_txt=
  [ "$kind" = call ] && uas_txt=" uas $(pct $((u1 - u0)) "$elapsed")%"
  log "$(printf '%-16s %-8s %6s/s ok %6s fail %4s retr %6s %6.2fs len %7s ms | server %.4f ms/%s, %s%% | sipp uac %s%%%s | rcvbuf drops %s | %s' \
    "$server_name" "$kind" "$rate" "$ok" "$fail" "$retr" "$elapsed" "$len" "$step_cpu_ms" "$kind" \
    "$(pct $((cw - c0)) "$elapsed")" "$(pct "$uac_ticks" "$elapsed")" "$uas_txt" \
    $((e1 - e0)) "$step_note")"
}

# Steps kind through rates until one fails; sets best_rate, best_cpu, stop_note.
run_steps() {  # kind rates...
  local kind=$1
  shift
  best_rate=0 best_cpu=- stop_note="all $# steps passed (cap)"
  local i=0 rate
  for rate in "$@"; do
    i=$((i + 1))
    [ "$i" -le "$MAX_STEPS" ] || { stop_note="step cap ($MAX_STEPS)"; break; }
    run_step "$kind" "$i" "$rate"
    if [ "$step_ok" = 1 ]; then
      best_rate=$rate best_cpu=$step_cpu_ms
      step_cpu["$server_name|$kind|$rate"]=$step_cpu_ms
    else
      stop_note="at $rate/s: $step_note"
      break
    fi
  done
}

# ------------------------------------------------------------ main
read -r -a call_rates <<<"$CALL_RATES"
read -r -a reg_rates <<<"$REG_RATES"
read -r -a overlay_reg_rates <<<"$OVERLAY_REG_RATES"
names=()
for s in $SERVERS; do
  if [ "$s" = kamailio ]; then
    for k in $KAMAILIO_SETTINGS; do names+=("kamailio-n${k%%:*}-${k#*:}"); done
  else
    names+=("$s")
  fi
done

log "proxy benchmark: $(date -Is)  output in $OUT"
log "p2psipd: $p2psipd"
log "kamailio: $(kamailio -v 2>/dev/null | head -1)  sipp: $(sipp -v 2>&1 | grep -o 'SIPp v[^ ]*' | head -1)"
if [ "$PIN" = 1 ]; then
  log "CPUs: $ncpu; server pinned to CPU $SERVER_CPU, sipp UAC and UAS to CPU $SIPP_CPU"
else
  log "CPUs: $ncpu; nothing pinned"
fi
log "steps: ${STEP_SECONDS}s each (+${SETTLE_SECONDS}s settle), at most $MAX_STEPS; calls/s: $CALL_RATES; REGISTER/s: $REG_RATES (overlay: $OVERLAY_REG_RATES)"

# Anything else running skews the rates (far less the CPU time per call):
# the CPU that other processes used over 2 s, from their own times.
all_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | sed 's/^.*) //' | awk '{ t += $12 + $13 } END { print t + 0 }'
}
o0=$(all_ticks)
sleep 2
o1=$(all_ticks)
others=$(awk -v d=$((o1 - o0)) -v tck="$tck" 'BEGIN { printf "%.0f", d * 100 / tck / 2 }')
log "other processes before the first server: ${others}% of one CPU; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$others" -gt 10 ]; then
  log "WARNING: the machine is not idle: the rates vary between runs; the CPU per call less so"
fi
# A server that is not woken for T ms drops what arrives beyond its receive
# buffer in T ms: on a VM whose vCPUs the host preempts, that jitter, not the
# server, bounds the rates. Measure it where the server will run.
if command -v python3 >/dev/null; then
  jitter=$("${server_pin[@]}" python3 -c '
import time
late = []
end = time.monotonic() + 3
while time.monotonic() < end:
    t = time.perf_counter(); time.sleep(0.001); late.append(time.perf_counter() - t - 0.001)
late.sort()
q = lambda f: late[min(len(late) - 1, int(len(late) * f))] * 1000
print("p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms" % (q(0.5), q(0.99), q(0.999), late[-1] * 1000))
' 2>/dev/null || true)
  [ -n "$jitter" ] && log "wake-up lateness of a 1 ms sleep on the server's CPU: $jitter"
fi

declare -A step_cpu res_rcvbuf res_call res_call_cpu res_call_note res_reg res_reg_cpu res_reg_note res_procs
port=$BASE_PORT
for server_name in "${names[@]}"; do
  children=1 alloc=
  if [[ $server_name == kamailio-n* ]]; then
    setting=${server_name#kamailio-n}
    children=${setting%%-*} alloc=${setting#*-}
  fi
  uas_port=$((port + 1))
  uac_port=$((port + 2))
  start_server "$server_name" "$port" "$children" "$alloc"
  port=$((port + 50))
  log ""
  if [ "$register_port" = "$server_port" ]; then
    log "== $server_name on udp:127.0.0.1:$server_port"
  else
    log "== $server_name: calls to udp:127.0.0.1:$server_port, callee registered with udp:127.0.0.1:$register_port"
  fi
  register_callee "$uas_port"
  res_procs[$server_name]=$(server_procs)
  # The receive buffer decides how long a stall the server rides out.
  rcvbuf=$(ss -uamn "sport = :$server_port" 2>/dev/null | grep -o 'rb[0-9]*' | head -1 | tr -d rb)
  res_rcvbuf[$server_name]=${rcvbuf:-?}
  i0=$(server_ticks)
  sleep 2
  i1=$(server_ticks)
  log "$server_name: ${res_procs[$server_name]} process(es), UDP receive buffer ${res_rcvbuf[$server_name]} bytes, idle CPU $(awk -v t=$((i1 - i0)) -v tck="$tck" 'BEGIN { printf "%.1f", t * 1000 / tck / 2 }') ms/s"

  # The callee: answers every call until the call steps are over.
  uas_bound=$(((STEP_SECONDS * 2 + 25) * MAX_STEPS))
  timeout "$((uas_bound + 10))" "${sipp_pin[@]}" sipp -nostdin -timeout "$uas_bound" \
    -buff_size 4194304 -sf "$scenarios/uas_call.xml" -i 127.0.0.1 -p "$uas_port" -t u1 \
    -trace_err -error_file "$OUT/$server_name-uas.err" >"$OUT/$server_name-uas.out" 2>&1 &
  uas_pid=$!
  pids+=("$uas_pid")
  sleep 0.5

  run_steps call "${call_rates[@]}"
  res_call[$server_name]=$best_rate res_call_cpu[$server_name]=$best_cpu
  res_call_note[$server_name]=$stop_note
  kill "$uas_pid" 2>/dev/null || true
  wait "$uas_pid" 2>/dev/null || true

  if [ "$server_name" = p2psipd-overlay ]; then
    run_steps register "${overlay_reg_rates[@]}"
  else
    run_steps register "${reg_rates[@]}"
  fi
  res_reg[$server_name]=$best_rate res_reg_cpu[$server_name]=$best_cpu
  res_reg_note[$server_name]=$stop_note
  stop_server
done

# ------------------------------------------------------------ report
{
  echo
  echo "== Results (highest step with zero failed calls; CPU = server process tree, user+system, per completed call/REGISTER at that step)"
  printf '%-18s | %20s | %15s | %16s | %19s\n' server "max calls/s (0 fail)" "CPU ms per call" "max REGISTER/s" "CPU ms per REGISTER"
  printf -- '-------------------+----------------------+-----------------+------------------+--------------------\n'
  for s in "${names[@]}"; do
    printf '%-18s | %20s | %15s | %16s | %19s\n' "$s" "${res_call[$s]}" "${res_call_cpu[$s]}" \
      "${res_reg[$s]}" "${res_reg_cpu[$s]}"
  done
  echo
  echo "What stopped each series:"
  for s in "${names[@]}"; do
    echo "  $s (UDP receive buffer ${res_rcvbuf[$s]} bytes)"
    echo "    calls:    ${res_call_note[$s]}"
    echo "    REGISTER: ${res_reg_note[$s]}"
  done
  echo
  for o in "${names[@]}"; do
    [[ $o == p2psipd* ]] || continue
    for s in "${names[@]}"; do
      [[ $s == kamailio* ]] || continue
      awk -v o="$o" -v s="$s" -v oc="${res_call[$o]}" -v kc="${res_call[$s]}" \
        -v ocpu="${res_call_cpu[$o]}" -v kcpu="${res_call_cpu[$s]}" \
        -v orr="${res_reg[$o]}" -v kr="${res_reg[$s]}" \
        -v orc="${res_reg_cpu[$o]}" -v krc="${res_reg_cpu[$s]}" 'function r(a, b) {
          return (b + 0 > 0 && a != "-") ? sprintf("%.2f", a / b) : "n/a" }
        BEGIN {
          printf "ratio %s/%s: calls/s %s, CPU per call %s; REGISTER/s %s, CPU per REGISTER %s\n",
            o, s, r(oc, kc), r(ocpu, kcpu), r(orr, kr), r(orc, krc) }'
    done
  done
  echo "(rate ratio > 1: p2psipd sustains more; CPU ratio < 1: p2psipd spends less per call)"
  # CPU per call falls as the rate rises (fuller batches per wakeup): compare
  # it also at one rate, the highest that every server passed.
  for kind in call register; do
    common=
    for s in "${names[@]}"; do
      if [ "$kind" = call ]; then r=${res_call[$s]}; else r=${res_reg[$s]}; fi
      if [ -z "$common" ] || [ "$r" -lt "$common" ]; then common=$r; fi
    done
    [ "${common:-0}" -gt 0 ] || continue
    line="CPU ms per $kind at $common/s (passed by all):"
    for s in "${names[@]}"; do line+=" $s ${step_cpu["$s|$kind|$common"]:-?};"; done
    echo "${line%;}"
  done
  echo "per-step log: $OUT/steps.log"
} | tee -a "$OUT/steps.log"
