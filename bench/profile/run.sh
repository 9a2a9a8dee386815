#!/usr/bin/env bash
# Where the CPU goes: two overlay nodes (scripts/lib/local_overlay.sh, digest
# off, both pinned to one CPU) under a fixed load from sipp, profiled with
# perf. Prints CPU per request (both nodes' user + system time over the
# requests answered) and perf's top symbols by self time and with children.
#
#   bench/profile/run.sh register|call [P2PSIPD P2PSIP]
#
#   register: RATE new AORs per second for SECONDS, sent to node 1, each
#             signed, stored in the DHT (node 2 among the storers) and
#             confirmed before the 200;
#   call:     RATE calls per second entering node 1 for a callee registered
#             at node 2 (looked up in the overlay, then cached).
# Needs perf (Debian linux-perf), sipp, taskset. Binds 127.0.0.1 only, ports
# from BASE_PORT (32600). Keeps perf.data and the reports in OUT. PERF=0 measures
# CPU per request without profiling (perf's unwinding costs the nodes CPU).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:?register or call}
p2psipd=${2:-$root/build/release/src/apps/p2psipd/p2psipd}
p2psip=${3:-$root/build/release/src/apps/p2psip/p2psip}
RATE=${RATE:-200}
SECONDS_OF_LOAD=${SECONDS_OF_LOAD:-15}
BASE_PORT=${BASE_PORT:-32600}
SERVER_CPU=${SERVER_CPU:-1}
SIPP_CPU=${SIPP_CPU:-0}
PERF=${PERF:-1}  # 0: measure CPU per request only, without perf's own cost
OUT=${OUT:-$(mktemp -d /tmp/p2psip-profile.XXXXXX)}
interop=$root/tests/interop/scenarios
pids=()
# shellcheck source=scripts/lib/local_overlay.sh
source "$root/scripts/lib/local_overlay.sh"
overlay_cleanup_on_exit

cpu_ticks() {  # PID: utime + stime in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

{
  echo '#!/usr/bin/env bash'
  printf 'exec taskset -c %q %q "$@"\n' "$SERVER_CPU" "$p2psipd"
} >"$OUT/p2psipd-pinned"
chmod +x "$OUT/p2psipd-pinned"
overlay_auth=false
overlay_create "$OUT/overlay" 2 "$BASE_PORT" "$OUT/p2psipd-pinned" "$p2psip"
overlay_start 1
overlay_start 2
overlay_wait_joined 1 1 1 30
overlay_wait_joined 2 1 1 30
node_pids=("$(cat "$overlay_dir/node1/pid")" "$(cat "$overlay_dir/node2/pid")")
sip1=127.0.0.1:$(overlay_sip_port 1)
sip2=127.0.0.1:$(overlay_sip_port 2)
sipp_port=$((BASE_PORT + 100))
total=$((RATE * SECONDS_OF_LOAD))

load=()
if [ "$mode" = call ]; then
  timeout 30 taskset -c "$SIPP_CPU" sipp "$sip2" -sf "$root/bench/proxy/register.xml" \
    -i 127.0.0.1 -p $((sipp_port + 1)) -key user_prefix callee -key expires 3600 \
    -s callee -m 1 -bg >/dev/null 2>&1 || true
  sleep 0.5
  timeout $((SECONDS_OF_LOAD + 60)) taskset -c "$SIPP_CPU" sipp -sf "$interop/uas_call.xml" \
    -i 127.0.0.1 -p $((sipp_port + 1)) >"$OUT/uas.out" 2>&1 &
  pids+=("$!")
  # A first call warms node 1's cache, as on a running node.
  timeout 20 taskset -c "$SIPP_CPU" sipp "$sip1" -sf "$interop/uac_call.xml" -s callee1 \
    -i 127.0.0.1 -p $((sipp_port + 2)) -m 1 >/dev/null 2>&1
  load=(sipp "$sip1" -sf "$interop/uac_call.xml" -s callee1 -i 127.0.0.1 -p $((sipp_port + 2))
    -r "$RATE" -m "$total" -l $((RATE * 2 + 200)))
else
  load=(sipp "$sip1" -sf "$root/bench/proxy/register.xml" -i 127.0.0.1 -p "$sipp_port"
    -key user_prefix "p$$u" -key expires 60 -r "$RATE" -m "$total" -l $((RATE * 2 + 200)))
fi

before=0
for p in "${node_pids[@]}"; do before=$((before + $(cpu_ticks "$p"))); done
if [ "$PERF" = 1 ]; then
  perf record -q -F 499 --call-graph dwarf,16384 -o "$OUT/perf.data" -p "$(IFS=,; echo "${node_pids[*]}")" \
    -- sleep $((SECONDS_OF_LOAD + 3)) 2>"$OUT/perf.err" &
  perf_pid=$!
fi
set +e
timeout $((SECONDS_OF_LOAD * 3 + 30)) taskset -c "$SIPP_CPU" "${load[@]}" \
  -trace_stat -stf "$OUT/load.csv" >"$OUT/load.out" 2>&1
sipp_status=$?
set -e
after=0
for p in "${node_pids[@]}"; do after=$((after + $(cpu_ticks "$p"))); done
[ "$PERF" = 1 ] && { wait "$perf_pid" || true; }

# sipp's last statistics line, by column name.
ok=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++)c[$i]=i} END{print $c["SuccessfulCall(C)"], $c["FailedCall(C)"]}' "$OUT/load.csv")
read -r succeeded failed <<<"$ok"
hz=$(getconf CLK_TCK)
echo "== $mode: $RATE/s for ${SECONDS_OF_LOAD}s on $(nproc) CPUs ($(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
echo "sipp exit $sipp_status: $succeeded succeeded, $failed failed of $total"
awk -v t=$((after - before)) -v hz="$hz" -v n="$succeeded" \
  'BEGIN{if(n>0)printf "CPU of both nodes: %.2f s, %.3f ms per %s\n", t/hz, 1000*t/hz/n, "request"}'
[ "$PERF" = 1 ] || exit 0
perf report -i "$OUT/perf.data" --no-children --sort symbol --percent-limit 1.5 --stdio -g none 2>/dev/null |
  grep -v '^#' | grep '%' | head -30 >"$OUT/self.txt" || true
perf report -i "$OUT/perf.data" --children --sort symbol --percent-limit 4 --stdio -g none 2>/dev/null |
  grep -v '^#' | grep '%' | head -40 >"$OUT/children.txt" || true
echo "-- top symbols, self time"
cat "$OUT/self.txt"
echo "-- top symbols, with children"
cat "$OUT/children.txt"
echo "(perf.data and logs in $OUT)"
