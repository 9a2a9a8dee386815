#!/usr/bin/env bash
# Chaos soak: real p2psipd processes on loopback, real sipp phones, calls at
# half the measured maximum rate while a node is killed with kill -9 every
# KILL_EVERY seconds and restarted RESTART_AFTER seconds later.
#
#   bench/chaos/run.sh [P2PSIPD [P2PSIP]]
#
# Nodes 1..CALLEE_NODES are the callees' edge nodes: their phones are the
# ones called, and they are never killed (the chaos loop never kills a
# callee's own edge node). The other nodes are killed in turn, at random;
# their phones re-register after their node restarts. Reports call success
# among calls whose caller and callee nodes were up, bindings of live phones
# lost, lookup latency over time, RSS and descriptors of every node. The
# knobs, the goals and how each number is taken: README.md beside this file.
# tests/e2e/e2e_chaos.sh runs a short version (ENFORCE=1) in the test command.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
p2psipd=${1:-${P2PSIPD:-$root/build/release/src/apps/p2psipd/p2psipd}}
p2psip=${2:-${P2PSIP:-$root/build/release/src/apps/p2psip/p2psip}}
OVERLAY_LIB=${OVERLAY_LIB:-$root/scripts/lib/local_overlay.sh}
uas_scenario=$root/tests/interop/scenarios/uas_call.xml

# ---------------------------------------------------------------- knobs
NODES=${NODES:-20}
USERS=${USERS:-2000}               # phones, user1..userUSERS, spread over the nodes
DURATION=${DURATION:-600}          # seconds of calls under chaos
KILL_EVERY=${KILL_EVERY:-20}       # seconds between two kill -9
RESTART_AFTER=${RESTART_AFTER:-10} # seconds a killed node stays down
RATE=${RATE:-}                     # calls/s; empty: half the maximum measured first
STEP_RATES=${STEP_RATES:-"25 50 100 150 200 300 400 500 600 800"}
STEP_SECONDS=${STEP_SECONDS:-5}
CALLEE_NODES=${CALLEE_NODES:-$((NODES >= 8 ? NODES / 4 : 2))}
CALLERS=${CALLERS:-all}            # all: callers on every node; callee-nodes: on 1..CALLEE_NODES
SETTLE=${SETTLE:-full}            # full: until the routing tables settle; joined: each node has a peer
SAMPLE_EVERY=${SAMPLE_EVERY:-5}    # seconds between two lookup samples
SAMPLE_LOOKUPS=${SAMPLE_LOOKUPS:-4}
REG_RATE=${REG_RATE:-10}           # REGISTER/s of each node's phones
REREG_CHECK=${REREG_CHECK:-20}     # phones of each killed node looked up at the end
LOST_RECHECK_AFTER=${LOST_RECHECK_AFTER:-70} # s before bindings lost at the end are looked up again
CALL_TIMEOUT=${CALL_TIMEOUT:-8}    # seconds a call waits for an answer before it fails
GOAL_CALLS=${GOAL_CALLS:-99.9}     # % of calls with caller and callee nodes up
GOAL_RSS=${GOAL_RSS:-5}            # % RSS growth of a node never killed
COPY_BINARIES=${COPY_BINARIES:-1}  # 1: run copies of P2PSIPD and P2PSIP, made at the start
ENFORCE=${ENFORCE:-0}              # 1: exit 1 when the call or binding goal fails
SEED=${SEED:-$$}
BASE_PORT=${BASE_PORT:-30000}      # node I: SIP BASE_PORT+10*I, DHT +1, API +2, TLS +3
OUT=${OUT:-$(mktemp -d /tmp/p2psip-bench-chaos.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT" # keep any file sipp writes out of the tree

die() { echo "run.sh: $*" >&2; exit 2; }
for tool in sipp timeout awk sort sed; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
for bin in "$p2psipd" "$p2psip"; do [ -x "$bin" ] || die "no $bin (build the release preset)"; done
# A node restarted after kill -9 must run the binary the others run, even if
# the build tree is rebuilt during the soak: they run from a copy.
if [ "$COPY_BINARIES" = 1 ]; then
  mkdir -p "$OUT/bin"
  cp "$p2psipd" "$OUT/bin/p2psipd"
  cp "$p2psip" "$OUT/bin/p2psip"
  p2psipd=$OUT/bin/p2psipd p2psip=$OUT/bin/p2psip
fi
[ "$NODES" -ge 3 ] || die "NODES must be at least 3"
{ [ "$CALLEE_NODES" -ge 2 ] && [ "$CALLEE_NODES" -lt "$NODES" ]; } ||
  die "CALLEE_NODES must be 2..NODES-1 (calls go between two callee or caller nodes, others are killed)"
[ "$USERS" -ge $((2 * NODES)) ] || die "USERS must be at least 2*NODES"
[ "$RESTART_AFTER" -lt "$KILL_EVERY" ] || die "RESTART_AFTER must be below KILL_EVERY (one node down at a time)"
[ "$CALLERS" = all ] || [ "$CALLERS" = callee-nodes ] || die "CALLERS is all or callee-nodes"
# A phone's registration must outlive the run: sipp phones do not refresh.
expires=$((DURATION + 3600))

# The sipp phones sit above the nodes' ports: node I's phones on
# phone_port I (UDP), its media from +2; the caller one block above.
sipp_base=$((BASE_PORT + 10 * NODES + 20))
phone_port() { echo $((sipp_base + 10 * $1)); }
caller_port=$((sipp_base + 10 * (NODES + 1)))

# shellcheck source=scripts/lib/local_overlay.sh
source "$OVERLAY_LIB"
# shellcheck disable=SC2034  # read by overlay_create
overlay_auth=false # sipp registers thousands of users without digest

pids=()
sampler_pid=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  local pid
  touch "$OUT/stop"
  # Background sipps and the sampler run under subshells or `timeout`:
  # their children first, so that none outlives the run.
  # The subshell first, so that it starts nothing more (a phone set's next
  # try), then the children it had.
  for pid in "${pids[@]}" $sampler_pid; do
    local kids
    kids=$(pgrep -P "$pid" || true)
    kill "$pid" 2>/dev/null || true
    # shellcheck disable=SC2086  # a list of pids
    [ -z "$kids" ] || kill $kids 2>/dev/null || true
  done
  if [ -n "$overlay_dir" ]; then
    # TERM to every node at once: each takes a moment to exit (longer under
    # ASan), and overlay_stop_all waits for them one by one.
    for pid in "$overlay_dir"/node*/pid; do
      if [ -f "$pid" ]; then kill -TERM "$(cat "$pid")" 2>/dev/null || true; fi
    done
    overlay_stop_all
  fi
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" | tee -a "$OUT/run.log" >&2; }

home_of() { echo $((($1 - 1) % NODES + 1)); } # user number -> node number
node_pid() { cat "$overlay_dir/node$1/pid" 2>/dev/null || echo -; }
node_api() { echo "127.0.0.1:$(overlay_api_port "$1")"; }

# sipp bounded in time (BOUND seconds, then killed), its errors kept.
sipp_run() { # tag bound sipp-arguments...
  local tag=$1 bound=$2
  shift 2
  timeout "$((bound + 15))" sipp -nostdin -timeout "$bound" -trace_err \
    -error_file "$OUT/$tag.err" "$@" >"$OUT/$tag.out" 2>&1
}
successful_calls() { # sipp output file -> its final "Successful call" count
  grep -E '^ *Successful call' "$1" 2>/dev/null | tail -n 1 | awk '{ print $NF }'
}

# ------------------------------------------------------------ the overlay
# Every node knows every other as good, or (in an overlay too large for
# that: OpenDHT keeps a bounded number of nodes per bucket) every table has
# stopped growing: the sum of the known nodes is the same for 3 s, as
# bench/overlay_calls does. A binding put while tables still fill may land
# where later gets do not look.
wait_settled() {
  local i good total last=-1 same=0 c
  for i in $(seq 1 "$NODES"); do overlay_wait_joined "$i" 1 1 30; done
  [ "$SETTLE" = full ] || return 0
  for _ in $(seq 120); do
    total=0 good=0
    for i in $(seq 1 "$NODES"); do
      c=$(overlay_dht_counts "$i" || echo "0 0")
      total=$((total + ${c##* }))
      [ "${c%% *}" -ge $((NODES - 1)) ] && good=$((good + 1))
    done
    [ "$good" -eq "$NODES" ] && return 0
    if [ "$total" = "$last" ]; then same=$((same + 1)); else same=0 last=$total; fi
    [ "$same" -ge 6 ] && return 0
    sleep 0.5
  done
  log "routing tables still change after 60 s; going on"
}

start_overlay() {
  local i t0
  overlay_create "$OUT/overlay" "$NODES" "$BASE_PORT" "$p2psipd" "$p2psip"
  # The binding checks look every live phone up through the API, which
  # takes 10 lookups/s by default.
  for i in $(seq 1 "$NODES"); do
    grep -q '^lookup_rate' "$OUT/overlay/node$i/p2psipd.toml" ||
      sed -i '/^\[api\]/a lookup_rate = 1000\nlookup_burst = 1000' "$OUT/overlay/node$i/p2psipd.toml"
  done
  t0=$(now)
  for i in $(seq 1 "$NODES"); do overlay_start "$i"; done
  wait_settled
  log "$NODES nodes up and settled in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
}

# ------------------------------------------------------------ phones
# Node I's phones: the users whose home is I, registered from phone_port I.
# A node that cannot store the bindings fast enough answers 503 with
# Retry-After (5 s), and sipp phones do not retry: the whole set registers
# again after 5 s, up to 5 times (registering a phone again only refreshes it).
register_node() { # node tag
  local i=$1 tag=$2 n try
  n=$(($(wc -l <"$OUT/users-$i.csv") - 1))
  for try in 1 2 3 4 5; do
    sipp_run "$tag-$try" $((n / REG_RATE + 60)) -sf "$here/register.xml" -inf "$OUT/users-$i.csv" \
      -key expires "$expires" -i 127.0.0.1 -p "$(phone_port "$i")" -mp $(($(phone_port "$i") + 2)) \
      -t u1 -r "$REG_RATE" -m "$n" -timeout_error "127.0.0.1:$(overlay_sip_port "$i")" && return 0
    log "node $i: $(successful_calls "$OUT/$tag-$try.out")/$n phones registered (try $try)"
    sleep 5
  done
  return 1
}

register_all() {
  local i rc=0 jobs=()
  for i in $(seq 1 "$NODES"); do
    {
      echo SEQUENTIAL
      for u in $(seq "$i" "$NODES" "$USERS"); do echo "user$u;"; done
    } >"$OUT/users-$i.csv"
  done
  for i in $(seq 1 "$NODES"); do
    register_node "$i" "register-node$i" &
    jobs+=($!)
    pids+=($!)
  done
  for i in $(seq 1 "$NODES"); do wait "${jobs[$((i - 1))]}" || rc=1; done
  [ "$rc" -eq 0 ] || { log "phones of some node did not register (see $OUT/register-node*.err)"; exit 1; }
  log "$USERS phones registered, $((USERS / NODES)) per node, Expires $expires"
}

# The callees' phones answer on their nodes' phone ports for the whole run.
start_callees() {
  local i
  for i in $(seq 1 "$CALLEE_NODES"); do
    timeout $((DURATION + 600)) sipp -nostdin -sf "$uas_scenario" -i 127.0.0.1 \
      -p "$(phone_port "$i")" -mp $(($(phone_port "$i") + 2)) -t u1 -timeout $((DURATION + 580)) \
      -trace_err -error_file "$OUT/callee-node$i.err" >"$OUT/callee-node$i.out" 2>&1 &
    pids+=($!)
  done
  sleep 0.5
}

# The calls, as sipp's injection file: each line a caller and a callee
# whose phones have different home nodes, the caller's node address, and
# both node numbers. Callees are on nodes 1..CALLEE_NODES.
make_calls_file() { # lines
  awk -v n="$NODES" -v users="$USERS" -v c="$CALLEE_NODES" -v callers="$CALLERS" \
    -v lines="$1" -v seed="$SEED" -v base="$BASE_PORT" 'BEGIN {
      srand(seed); print "SEQUENTIAL"
      percallee = int(users / n); maxnode = (callers == "all") ? n : c
      for (k = 0; k < lines; k++) {
        do { a = int(rand() * maxnode) + 1; b = int(rand() * c) + 1 } while (a == b)
        # user numbers homed on a node: node, node+n, node+2n, ...
        ua = a + n * int(rand() * percallee); ub = b + n * int(rand() * percallee)
        printf "user%d;user%d;127.0.0.1;%d;%d;%d\n", ua, ub, base + 10 * a, a, b
      }
    }' >"$OUT/calls.csv"
}

# Calls from one sipp at RATE/s, COUNT of them, logged to TAG.log.
run_calls() { # tag rate count bound
  local tag=$1 rate=$2 count=$3 bound=$4
  sipp_run "$tag" "$bound" -sf "$here/uac_call.xml" -inf "$OUT/calls.csv" -i 127.0.0.1 \
    -p "$caller_port" -mp $((caller_port + 2)) -t u1 -r "$rate" -m "$count" \
    -l $((rate * (CALL_TIMEOUT + 4) + 50)) -recv_timeout $((CALL_TIMEOUT * 1000)) \
    -default_behaviors pingreply,bye -trace_logs -log_file "$OUT/$tag.log" \
    "127.0.0.1:$(overlay_sip_port 1)" # sipp wants a remote host; setdest overrides it
}

# ------------------------------------------------------------ max rate
# Steps the rate up (all nodes up, no chaos) until a step has a failed call
# or does not keep its rate: the highest passing step is the maximum.
measure_max() {
  local rate n rc t0 elapsed ok best=0
  for rate in $STEP_RATES; do
    n=$((rate * STEP_SECONDS))
    rc=0
    t0=$(now)
    run_calls "step-$rate" "$rate" "$n" $((STEP_SECONDS * 3 + 30)) || rc=$?
    elapsed=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    ok=$(successful_calls "$OUT/step-$rate.out")
    log "max-rate step $rate calls/s: ${ok:-0}/$n successful in ${elapsed}s (sipp exit $rc)"
    if [ "$rc" -ne 0 ] || [ "${ok:-0}" != "$n" ] ||
      awk -v e="$elapsed" -v d="$STEP_SECONDS" 'BEGIN { exit !(e > d * 1.1 + 2) }'; then
      break
    fi
    best=$rate
  done
  max_rate=$best
}

# ------------------------------------------------------------ measures
# "RSS_kB FDS" of node I's process, "- -" when it runs not.
node_mem() {
  local pid rss fds
  pid=$(node_pid "$1")
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
  if [ -z "$rss" ]; then echo "- -"; else echo "$rss $fds"; fi
}
mem_snapshot() { # file
  local i
  for i in $(seq 1 "$NODES"); do echo "$i $(node_pid "$i") $(node_mem "$i")"; done >"$1"
}

# One lookup of user U's AOR through node I: "ms found|lost|error".
lookup_once() { # user node
  local t0 out rc=0
  t0=$(date +%s%N)
  out=$(timeout 10 "$p2psip" lookup "sip:user$1@p2psip.test" --api "$(node_api "$2")" 2>&1) || rc=$?
  local ms=$((($(date +%s%N) - t0) / 1000000))
  if [ "$rc" -eq 0 ] && grep -q "contact: *sip:user$1@127.0.0.1:$(phone_port "$(home_of "$1")")" <<<"$out"; then
    echo "$ms found"
  elif grep -q '^no binding' <<<"$out"; then
    echo "$ms lost"
  else
    echo "$ms error $(head -n 1 <<<"$out" | tr ' \t' '__')"
  fi
}

# In the background: every SAMPLE_EVERY s, SAMPLE_LOOKUPS lookups of random
# callees through random nodes that are up, to lookups.tsv:
# "epoch node user ms result". The chaos loop names the node down in $OUT/down.
sampler() {
  RANDOM=$SEED
  local u n down
  while [ ! -e "$OUT/stop" ]; do
    for _ in $(seq "$SAMPLE_LOOKUPS"); do
      down=$(cat "$OUT/down" 2>/dev/null || true)
      u=$(((RANDOM % (USERS / NODES)) * NODES + RANDOM % CALLEE_NODES + 1))
      n=$((RANDOM % NODES + 1))
      while [ "$n" = "$down" ] || [ "$n" = "$(home_of "$u")" ]; do n=$((n % NODES + 1)); done
      echo "$(date +%s.%N) $n $u $(lookup_once "$u" "$n")" >>"$OUT/lookups.tsv"
    done
    sleep "$SAMPLE_EVERY"
  done
}

# The phones of nodes LIST (at most PER-NODE of each) looked up through
# another node, 8 at a time:
# "user node ms result" lines to FILE.
check_bindings() { # file per-node nodes...
  local file=$1 per_node=$2 u i n jobs=()
  shift 2
  : >"$file"
  for i in "$@"; do
    for u in $(seq "$i" "$NODES" "$USERS" | head -n "$per_node"); do
      n=$((i % NODES + 1))
      { echo "$u $n $(lookup_once "$u" "$n")" >>"$file"; } &
      jobs+=($!)
      # A batch at a time; a plain `wait` would wait for the callees' sipps too.
      if [ "${#jobs[@]}" -ge 8 ]; then wait "${jobs[@]}" || true; jobs=(); fi
    done
  done
  [ "${#jobs[@]}" -eq 0 ] || wait "${jobs[@]}" || true
}

# Each binding lost at the end, looked up again through every other node,
# then once more after a republish round (p2psipd re-puts every 60 s): tells
# a record gone from the overlay from one that a lookup path misses, and a
# loss that lasts from one that heals. "user node ms result" lines to
# lost-everywhere.txt and lost-later.txt.
diagnose_lost() {
  local u i home
  : >"$OUT/lost-everywhere.txt"
  : >"$OUT/lost-later.txt"
  awk '$4 == "lost" { print $1 }' "$OUT/bindings-end.txt" >"$OUT/lost-users.txt"
  [ -s "$OUT/lost-users.txt" ] || return 0
  while read -r u; do
    home=$(home_of "$u")
    for i in $(seq 1 "$NODES"); do
      [ "$i" = "$home" ] || echo "$u $i $(lookup_once "$u" "$i")" >>"$OUT/lost-everywhere.txt"
    done
  done <"$OUT/lost-users.txt"
  sleep "$LOST_RECHECK_AFTER"
  while read -r u; do
    i=$(($(home_of "$u") % NODES + 1))
    echo "$u $i $(lookup_once "$u" "$i")" >>"$OUT/lost-later.txt"
  done <"$OUT/lost-users.txt"
}

# ------------------------------------------------------------ chaos
# Kills a random node that is no callee's edge node every KILL_EVERY s,
# restarts it RESTART_AFTER s later with its state (same node id), waits
# until it has rejoined, and has its phones register again. Each event goes
# to events.tsv: "epoch kill|up node". Runs until the calls end.
chaos_loop() { # end-epoch
  local end=$1 next v t
  RANDOM=$SEED
  next=$(awk -v t="$(now)" -v k="$KILL_EVERY" 'BEGIN { printf "%d", t + k }')
  : >"$OUT/events.tsv"
  kills=0
  rereg_pids=()
  while :; do
    t=$(date +%s)
    [ $((next + RESTART_AFTER + 5)) -lt "$end" ] || break
    [ "$t" -ge "$next" ] || { sleep 0.2; continue; }
    kill -0 "$uac_pid" 2>/dev/null || break
    v=$((CALLEE_NODES + 1 + RANDOM % (NODES - CALLEE_NODES)))
    echo "$v" >"$OUT/down"
    echo "$(now) kill $v" >>"$OUT/events.tsv"
    overlay_kill "$v" KILL
    kills=$((kills + 1))
    log "kill -9 node $v (kill $kills)"
    sleep "$RESTART_AFTER"
    overlay_start "$v" || { log "node $v did not restart after kill -9"; exit 1; }
    overlay_wait_joined "$v" 1 1 30 || { log "node $v did not rejoin the overlay in 30 s"; exit 1; }
    echo "$(now) up $v" >>"$OUT/events.tsv"
    : >"$OUT/down"
    # In the background: registering takes USERS/NODES/REG_RATE s, and the
    # next kill must come on time.
    { register_node "$v" "reregister-node$v-$kills" || log "node $v: its phones did not all register again"; } &
    rereg_pids+=($!)
    pids+=($!)
    log "node $v back (pid $(node_pid "$v")); its phones register again"
    next=$((next + KILL_EVERY))
  done
}

# ------------------------------------------------------------ report
# Per call: S and E lines of the sipp log; a call counts when neither its
# caller's nor its callee's node was down (from its kill to its rejoin) at
# any time from 1 s before the call started until it ended (or, failed,
# until CALL_TIMEOUT + 2 s after its start). Prints per-minute rows, then
# "TOTAL started eligible ok excluded_ok" to stdout.
call_table() { # sipp-log events soak-start
  awk -v t0="$3" -v w=$((CALL_TIMEOUT + 2)) '
    FILENAME == ARGV[1] {
      if ($2 == "kill") { kills[$3, ++nk[$3]] = $1 }
      else if ($2 == "up") { ups[$3, ++nu[$3]] = $1 }
      next
    }
    $1 == "S" { start[$2] = $NF; cn[$2] = $3; hn[$2] = $4; next }
    $1 == "E" { done[$2] = $NF; next }
    function down(node, a, b,   k, ks, ke) {
      for (k = 1; k <= nk[node]; k++) {
        ks = kills[node, k]; ke = (k <= nu[node]) ? ups[node, k] : 1e12
        if (ks <= b && ke >= a) return 1
      }
      return 0
    }
    END {
      for (c in start) {
        s = start[c]; e = (c in done) ? done[c] : s + w
        m = int((s - t0) / 60); if (m > maxm) maxm = m
        started[m]++
        if (down(cn[c], s - 1, e) || down(hn[c], s - 1, e)) { excl[m]++; if (c in done) exok[m]++; continue }
        elig[m]++; if (c in done) ok[m]++
      }
      for (m = 0; m <= maxm; m++) {
        printf "MIN %d %d %d %d %d\n", m, started[m], elig[m], ok[m], excl[m]
        ts += started[m]; te += elig[m]; to += ok[m]; tx += exok[m]
      }
      printf "TOTAL %d %d %d %d\n", ts, te, to, tx
    }' "$2" "$1"
}

# Lookup samples per minute: "MIN m count p50 max lost errors".
lookup_table() { # lookups.tsv soak-start
  [ -s "$1" ] || return 0
  awk -v t0="$2" '{ m = int(($1 - t0) / 60); print m, $4, $5 }' "$1" | sort -k1,1n -k2,2n |
    awk 'function flush() { if (n) printf "MIN %d %d %d %d %d %d\n", cur, n, v[int((n + 1) / 2)], v[n], lost, err }
      $1 != cur && NR > 1 { flush(); n = 0; lost = 0; err = 0 }
      { cur = $1; v[++n] = $2; if ($3 == "lost") lost++; else if ($3 != "found") err++ }
      END { flush() }'
}

# One row per node to nodes.txt; sets max_growth (of the nodes never killed)
# and rss_pass.
node_table() {
  local i s_rss s_fd e_rss e_fd m_rss g h k
  max_growth=0
  max_late_growth=0
  while read -r i _ s_rss s_fd; do
    read -r _ _ e_rss e_fd < <(grep "^$i " "$OUT/mem-end.txt")
    m_rss=-
    [ -s "$OUT/mem-mid.txt" ] && read -r _ _ m_rss _ < <(grep "^$i " "$OUT/mem-mid.txt")
    k=$(awk -v n="$i" '$2 == "kill" && $3 == n' "$OUT/events.tsv" | wc -l)
    g=-
    h=-
    if [ "$k" -eq 0 ] && [ "$s_rss" != - ] && [ "$e_rss" != - ]; then
      g=$(awk -v a="$s_rss" -v b="$e_rss" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
      max_growth=$(awk -v a="$max_growth" -v b="$g" 'BEGIN { print (b > a ? b : a) }')
      if [ "$m_rss" != - ]; then
        h=$(awk -v a="$m_rss" -v b="$e_rss" 'BEGIN { printf "%.1f", 100 * (b - a) / a }')
        max_late_growth=$(awk -v a="$max_late_growth" -v b="$h" 'BEGIN { print (b > a ? b : a) }')
      fi
    fi
    printf '  node %2d: RSS %7s -> %7s -> %7s kB (%6s%%, second half %5s%%)  fds %4s -> %4s  restarts %d\n' \
      "$i" "$s_rss" "$m_rss" "$e_rss" "$g" "$h" "$s_fd" "$e_fd" "$k"
  done <"$OUT/mem-start.txt" >"$OUT/nodes.txt"
  rss_pass=$(awk -v g="$max_growth" -v goal="$GOAL_RSS" 'BEGIN { print (g < goal) ? "PASS" : "FAIL" }')
}

summary=()
put() { summary+=("$1=$2"); } # key value, for summary.env and summary.json

write_summary() {
  local kv
  printf '%s\n' "${summary[@]}" >"$OUT/summary.env"
  {
    echo "{"
    local first=1
    for kv in "${summary[@]}"; do
      [ "$first" = 1 ] || echo ","
      first=0
      if [[ ${kv#*=} =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then
        printf '  "%s": %s' "${kv%%=*}" "${kv#*=}"
      else
        printf '  "%s": "%s"' "${kv%%=*}" "${kv#*=}"
      fi
    done
    printf '\n}\n'
  } >"$OUT/summary.json"
}

report() { # soak-start
  local t0=$1 total started eligible ok exok pct calls_pass
  call_table "$OUT/calls.log" "$OUT/events.tsv" "$t0" >"$OUT/calls-per-minute.txt"
  read -r _ started eligible ok exok < <(grep '^TOTAL' "$OUT/calls-per-minute.txt")
  pct=$(awk -v o="$ok" -v e="$eligible" 'BEGIN { printf "%.3f", (e > 0 ? 100 * o / e : 0) }')
  calls_pass=$(awk -v p="$pct" -v g="$GOAL_CALLS" -v e="$eligible" 'BEGIN { print (e > 0 && p >= g) ? "PASS" : "FAIL" }')
  lookup_table "$OUT/lookups.tsv" "$t0" >"$OUT/lookups-per-minute.txt"
  node_table

  local checked lost errors sample_lost sample_err sample_n bind_pass
  checked=$(wc -l <"$OUT/bindings-end.txt")
  lost=$(awk '$4 == "lost"' "$OUT/bindings-end.txt" | wc -l)
  errors=$(awk '$4 == "error"' "$OUT/bindings-end.txt" | wc -l)
  sample_n=$(wc -l <"$OUT/lookups.tsv" 2>/dev/null || echo 0)
  sample_lost=$(awk '$5 == "lost"' "$OUT/lookups.tsv" 2>/dev/null | wc -l)
  sample_err=$(awk '$5 == "error"' "$OUT/lookups.tsv" 2>/dev/null | wc -l)
  bind_pass=PASS
  [ "$lost" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$sample_lost" -eq 0 ] && [ "$checked" -gt 0 ] || bind_pass=FAIL

  local rerg_checked rerg_found callers_text="every node"
  [ "$CALLERS" = all ] || callers_text="nodes 1..$CALLEE_NODES"
  rerg_checked=$(wc -l <"$OUT/bindings-reregistered.txt")
  rerg_found=$(awk '$4 == "found"' "$OUT/bindings-reregistered.txt" | wc -l)

  {
    echo
    echo "== chaos soak: $NODES nodes, $USERS phones, ${DURATION}s of calls at $RATE calls/s${max_rate:+ (measured maximum $max_rate/s)}"
    echo "   kill -9 every ${KILL_EVERY}s, restart ${RESTART_AFTER}s later; $kills kills of nodes $((CALLEE_NODES + 1))..$NODES; callees on nodes 1..$CALLEE_NODES, callers on $callers_text; seed $SEED"
    echo
    echo "calls: $started started, $eligible with caller and callee nodes up, $ok of them successful: $pct% (goal >= $GOAL_CALLS%): $calls_pass"
    echo "       ($((started - eligible)) started while a node of theirs was down, $exok of those succeeded anyway)"
    echo "what failed calls met, from sipp's error file (uac_call.xml's messages: 2 the 100, 3 the 180,"
    echo "4 the 200 of the INVITE, 7 the 200 of the BYE; a call may show twice, or not at all):"
    grep -oE "receive timeout on message [^:]*:[0-9]+|while expecting '[0-9A-Z]+' \(index [0-9]+\), received '[^']{0,28}" \
      "$OUT/calls.err" 2>/dev/null | sed -E 's/receive timeout on message [^:]*:/no answer in time at message /' |
      sort | uniq -c | sort -rn | head -n 10 | sed 's/^/   /' || true
    echo
    echo "bindings of live phones (nodes 1..$CALLEE_NODES, never killed) at the end: $checked looked up, $lost lost, $errors lookup errors"
    echo "  between kills (samples): $sample_n lookups, $sample_lost lost, $sample_err errors: $bind_pass (goal 0 lost)"
    echo "phones of killed nodes, registered again after the restart: $rerg_found/$rerg_checked found at the end"
    if [ -s "$OUT/lost-users.txt" ]; then
      echo "  the $lost lost, looked up through every other node: $(awk '$4 == "found"' "$OUT/lost-everywhere.txt" | wc -l)/$(wc -l <"$OUT/lost-everywhere.txt") found;" \
        "${LOST_RECHECK_AFTER}s later: $(awk '$4 == "found"' "$OUT/lost-later.txt" | wc -l)/$(wc -l <"$OUT/lost-later.txt") found"
    fi
    echo
    echo "per minute: calls started / eligible / ok / excluded; lookups n / p50 ms / max ms / lost / errors"
    awk '$1 == "MIN" && FILENAME == ARGV[1] { c[$2] = sprintf("%6d %6d %6d %5d", $3, $4, $5, $6); if ($2 > m) m = $2; next }
      $1 == "MIN" { l[$2] = sprintf("%4d %6d %6d %3d %3d", $3, $4, $5, $6, $7); if ($2 > m) m = $2 }
      END { for (i = 0; i <= m; i++) printf "  min %3d: %s | %s\n", i, (i in c) ? c[i] : "     -      -      -     -",
                                                 (i in l) ? l[i] : "   -      -      -   -   -" }' \
      "$OUT/calls-per-minute.txt" "$OUT/lookups-per-minute.txt"
    echo
    echo "nodes: RSS kB at the soak's start, middle and end, open descriptors at its start and end (restarts: times killed)"
    cat "$OUT/nodes.txt"
    echo "largest RSS growth of a node never killed: $max_growth% (goal < $GOAL_RSS%): $rss_pass;" \
      "over the second half: $max_late_growth% (OpenDHT keeps a search per key a node touched for 62 min)"
    echo "node log lines at error level or worse: $(cat "$OUT"/overlay/node*/log | grep -ciE '\[(error|critical)\]|AddressSanitizer' || true)"
    echo "output: $OUT"
  } | tee "$OUT/report.txt"

  put nodes "$NODES"; put users "$USERS"; put duration "$DURATION"; put rate "$RATE"
  put max_rate "${max_rate:-}"; put kills "$kills"; put calls_started "$started"
  put calls_eligible "$eligible"; put calls_ok "$ok"; put calls_success_pct "$pct"
  put calls_goal "$calls_pass"; put bindings_checked "$checked"; put bindings_lost "$lost"
  put bindings_lookup_errors "$errors"; put sample_lookups "$sample_n"
  put sample_lost "$sample_lost"; put sample_errors "$sample_err"; put bindings_goal "$bind_pass"
  put reregistered_found "$rerg_found"; put reregistered_checked "$rerg_checked"
  put rss_max_growth_pct "$max_growth"; put rss_goal "$rss_pass"
  put rss_max_growth_second_half_pct "$max_late_growth"
  write_summary
  goals_met=0
  [ "$calls_pass" = PASS ] && [ "$bind_pass" = PASS ] && goals_met=1
}

# ------------------------------------------------------------ main
log "chaos soak: output in $OUT; p2psipd $p2psipd"
start_overlay
register_all
start_callees

max_rate=
if [ -z "$RATE" ]; then
  make_calls_file 20000
  measure_max
  [ "$max_rate" -gt 0 ] || { log "not even the first step (${STEP_RATES%% *}/s) passed: see $OUT/step-*.err"; exit 1; }
  RATE=$((max_rate / 2))
  [ "$RATE" -ge 1 ] || RATE=1
  log "maximum $max_rate calls/s without a failure: the soak calls at $RATE/s"
fi
make_calls_file $((RATE * DURATION < 100000 ? RATE * DURATION : 100000))

mem_snapshot "$OUT/mem-start.txt"
{ sleep $((DURATION / 2)) && mem_snapshot "$OUT/mem-mid.txt"; } &
: >"$OUT/lookups.tsv"
: >"$OUT/down"
sampler &
sampler_pid=$!
soak_start=$(now)
run_calls calls "$RATE" $((RATE * DURATION)) $((DURATION * 2 + 60)) &
uac_pid=$!
pids+=("$uac_pid")
chaos_loop $(($(date +%s) + DURATION))
uac_rc=0
wait "$uac_pid" || uac_rc=$?
log "calls ended (sipp exit $uac_rc)"
touch "$OUT/stop"
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=

[ "${#rereg_pids[@]}" -eq 0 ] || wait "${rereg_pids[@]}" || true
check_bindings "$OUT/bindings-end.txt" "$USERS" $(seq 1 "$CALLEE_NODES")
reregistered=$(awk '$2 == "kill" { print $3 }' "$OUT/events.tsv" | sort -un | tr '\n' ' ')
# shellcheck disable=SC2086  # a list of node numbers
check_bindings "$OUT/bindings-reregistered.txt" "$REREG_CHECK" $reregistered
diagnose_lost
mem_snapshot "$OUT/mem-end.txt"
report "$soak_start"
if [ "$ENFORCE" = 1 ] && [ "$goals_met" != 1 ]; then
  log "a goal failed"
  exit 1
fi
