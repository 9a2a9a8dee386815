#!/usr/bin/env bash
# Call set-up time across a local overlay of p2psipd nodes, cold and warm.
#
#   bench/overlay_calls/run.sh [P2PSIPD [P2PSIP]]
#
# For each overlay size (3, 10 and 50 nodes on 127.0.0.1, the same nodes as
# scripts/run.sh starts): USERS users register from one sipp (the callee) with
# the last node; a sipp caller on node 1 then calls each user once (cold: node
# 1 has never looked any of them up, so every call waits for a DHT lookup) and
# once more (warm: node 1's location cache holds every binding). Each call is
# timed from its INVITE sent to its 180 received, which covers the lookup,
# the hop from node 1 to the callee's node over TCP, and the callee's flow.
# Prints p50/p90/p99/max per size and cache state. See README.md beside this
# file.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
p2psipd=${1:-${P2PSIPD:-$root/build/release/src/apps/p2psipd/p2psipd}}
p2psip=${2:-${P2PSIP:-$root/build/release/src/apps/p2psip/p2psip}}

# ---------------------------------------------------------------- knobs
SIZES=${SIZES:-"3 10 50"}     # overlay sizes, in nodes
USERS=${USERS:-200}           # callees (user1..userUSERS), one call each per series
RATE=${RATE:-20}              # calls (and REGISTERs) started per second
BASE_PORT=${BASE_PORT:-26000} # node I: SIP BASE_PORT+10*I, DHT +1, API +2
OUT=${OUT:-$(mktemp -d /tmp/p2psip-bench-overlay.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT" # keep any file sipp writes out of the tree

for tool in sipp timeout awk sort; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done
for bin in "$p2psipd" "$p2psip"; do
  [ -x "$bin" ] || { echo "run.sh: no $bin (build the release preset)" >&2; exit 2; }
done
max_size=0
for n in $SIZES; do [ "$n" -gt "$max_size" ] && max_size=$n; done
[ "$USERS" -ge 1 ] && [ "$USERS" -le 200 ] || { echo "run.sh: USERS must be 1..200" >&2; exit 2; }
# The sipp peers sit above the last node's ports.
callee_port=$((BASE_PORT + 10 * max_size + 20))
caller_port=$((callee_port + 1))
media_port=$((callee_port + 10))

# shellcheck source=scripts/lib/local_overlay.sh
source "$root/scripts/lib/local_overlay.sh"

pids=()
overlay_cleanup_on_exit

log() { printf '%s\n' "$*" | tee -a "$OUT/summary.log"; }

# sipp bounded in time, its errors kept under the run's tag.
sipp_run() { # tag sipp-arguments...
  local tag=$1
  shift
  timeout 300 sipp -nostdin -timeout 240 -timeout_error -trace_err \
    -error_file "$OUT/$tag.err" "$@" >"$OUT/$tag.out" 2>&1
}

# Percentiles by nearest rank of one column of response times in ms.
percentiles() { # file -> "count p50 p90 p99 max"
  sort -g "$1" | awk '{ v[NR] = $1 }
    function rank(p) { i = int(p * NR); if (i < p * NR) i++; return v[i < 1 ? 1 : i] }
    END { if (NR == 0) { print "0 - - - -"; exit }
          printf "%d %.1f %.1f %.1f %.1f\n", NR, rank(0.5), rank(0.9), rank(0.99), v[NR] }'
}

node_status() { # I -> "good known", "0 0" when its API does not answer
  local c
  c=$(overlay_dht_counts "$1" || true)
  echo "${c:-0 0}"
}

# Every node knows at least one good node, and the routing tables have
# stopped growing: the sum of the nodes' known nodes is the same for 3 s.
# (OpenDHT keeps a bounded number of nodes per bucket, so in a large overlay
# a node never knows every other.) A put made while tables still fill may
# land on nodes that a later get no longer takes for the key's closest.
wait_overlay() { # N
  local n=$1 i s total last=-1 same=0
  for i in $(seq 1 "$n"); do
    for _ in $(seq 150); do
      s=$(node_status "$i")
      [ "${s%% *}" -ge 1 ] 2>/dev/null && break
      sleep 0.2
    done
    [ "${s%% *}" -ge 1 ] 2>/dev/null || { log "node $i has no good overlay node after 30 s"; return 1; }
  done
  for _ in $(seq 120); do
    total=0
    for i in $(seq 1 "$n"); do
      s=$(node_status "$i")
      total=$((total + ${s##* }))
    done
    if [ "$total" = "$last" ]; then same=$((same + 1)); else same=0 last=$total; fi
    [ "$same" -ge 6 ] && return 0
    sleep 0.5
  done
  log "the routing tables still change after 60 s; going on"
}

# Per call, the milliseconds from the first INVITE sent to the first 180
# received, from sipp's message trace (its own response times, -trace_rtt,
# are whole milliseconds: too coarse for a warm cache on loopback).
setup_times() { # message-file
  awk '/^----------+ [0-9]/ { split($NF, t, ":"); ts = t[1] * 3600 + t[2] * 60 + t[3]; dir = ""; start = ""; next }
    dir == "" && /message (sent|received)/ { dir = ($0 ~ /sent/) ? "out" : "in"; next }
    start == "" && NF > 0 { start = $1 " " $2; next }
    /^Call-ID:/ {
      id = $2
      if (dir == "out" && start ~ /^INVITE / && !(id in invite)) invite[id] = ts
      if (dir == "in" && start == "SIP/2.0 180" && !(id in ringing)) ringing[id] = ts
    }
    END { for (id in ringing) if (id in invite) printf "%.3f\n", (ringing[id] - invite[id]) * 1000 }' "$1"
}

# One series of USERS calls from node 1; its set-up times go to TAG.ms.
call_series() { # tag
  local tag=$1 rc=0
  sipp_run "$tag" -sf "$here/uac_setup.xml" -inf "$OUT/callees.csv" -i 127.0.0.1 \
    -p "$caller_port" -mp $((media_port + 100)) -t u1 -r "$RATE" -l "$RATE" -m "$USERS" \
    -trace_msg -message_file "$OUT/$tag.msg" "127.0.0.1:$(overlay_sip_port 1)" || rc=$?
  setup_times "$OUT/$tag.msg" >"$OUT/$tag.ms"
  series_rc=$rc
}

declare -A result
for n in $SIZES; do
  log ""
  log "== $n nodes"
  overlay_create "$OUT/overlay-$n" "$n" "$BASE_PORT" "$p2psipd" "$p2psip"
  t0=$(date +%s.%N)
  for i in $(seq 1 "$n"); do overlay_start "$i"; done
  wait_overlay "$n"
  log "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s to start and settle; node 1: good/known nodes $(node_status 1 | tr ' ' /)"

  {
    echo SEQUENTIAL
    for u in $(seq 1 "$USERS"); do echo "user$u;[authentication username=user$u password=secret$u]"; done
  } >"$OUT/callees.csv"
  # -auth_uri: the digest over the Request-URI, which p2psipd checks, not
  # over sip:REMOTE_IP:PORT, sipp's default.
  sipp_run "register-$n" -sf "$here/register_users.xml" -inf "$OUT/callees.csv" \
    -auth_uri p2psip.test -i 127.0.0.1 -p "$callee_port" -t u1 -r "$RATE" -l "$RATE" -m "$USERS" \
    "127.0.0.1:$(overlay_sip_port "$n")" || {
    log "the users could not all register with node $n (see $OUT/register-$n.out)"
    exit 1
  }
  log "$USERS users registered with node $n"

  timeout 300 sipp -nostdin -timeout 240 -sf "$root/tests/interop/scenarios/uas_call.xml" \
    -i 127.0.0.1 -p "$callee_port" -mp "$media_port" -t u1 -m $((2 * USERS)) \
    -trace_err -error_file "$OUT/callee-$n.err" >"$OUT/callee-$n.out" 2>&1 &
  pids+=($!)
  sleep 0.5

  for state in cold warm; do
    call_series "$state-$n"
    read -r count p50 p90 p99 max < <(percentiles "$OUT/$state-$n.ms")
    result["$n|$state"]="$count $p50 $p90 $p99 $max"
    log "$state: $count/$USERS calls reached 180 (sipp exit $series_rc); INVITE->180 ms p50 $p50 p90 $p90 p99 $p99 max $max"
  done

  kill "${pids[-1]}" 2>/dev/null || true
  overlay_stop_all
  overlay_dir=
done

{
  echo
  echo "== Call set-up (INVITE sent -> 180 received) through node 1 to a callee on the last node, $USERS calls per row at $RATE calls/s"
  printf '%6s | %-5s | %9s | %8s | %8s | %8s | %8s\n' nodes cache "calls ok" "p50 ms" "p90 ms" "p99 ms" "max ms"
  printf -- '-------+-------+-----------+----------+----------+----------+---------\n'
  for n in $SIZES; do
    for state in cold warm; do
      read -r count p50 p90 p99 max <<<"${result["$n|$state"]}"
      printf '%6s | %-5s | %9s | %8s | %8s | %8s | %8s\n' "$n" "$state" "$count/$USERS" "$p50" "$p90" "$p99" "$max"
    done
  done
  echo "logs, sipp output and per-call times: $OUT"
} | tee -a "$OUT/summary.log"
