#!/usr/bin/env bash
# The short chaos soak of the test command: bench/chaos/run.sh with 5 nodes,
# 60 phones and 30 s of calls at 10 calls/s between phones of nodes 1 and
# 2, while nodes 3..5 (no caller's or callee's edge) are killed with kill -9
# and restarted: twice in the run.
#   e2e_chaos.sh BASE_PORT P2PSIPD P2PSIP OVERLAY_LIB
# The case owns BASE_PORT..BASE_PORT+199. Passes when at least 99% of the
# calls succeed, no binding of a phone of nodes 1 and 2 is lost (at the end
# and in the lookups sampled between kills), and the run did what it says:
# the kills happened, the calls were made, every phone was looked up, no
# node logged a sanitizer report. RSS and descriptors are printed, not
# asserted: 40 s under ASan say nothing about growth (the bench does).
# Every process is killed and the work directory removed on exit.
set -euo pipefail

base=$1
p2psipd=$2
p2psip=$3
overlay_lib=$4
here=$(cd "$(dirname "$0")" && pwd)
run=$here/../../bench/chaos/run.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

users=60 rate=10 duration=30 kill_every=10
fail() {
  echo "e2e case chaos.short FAILED: $*"
  local f
  for f in "$work"/out/run.log "$work"/out/calls.err "$work"/out/overlay/node*/log; do
    [ -s "$f" ] || continue
    echo "----- ${f#"$work"/}"
    tail -n 40 "$f"
  done
  exit 1
}

t0=$(date +%s)
rc=0
# run.sh cleans up its own nodes and sipps on exit; timeout bounds it.
NODES=5 USERS=$users CALLEE_NODES=2 CALLERS=callee-nodes DURATION=$duration \
  KILL_EVERY=$kill_every RESTART_AFTER=4 RATE=$rate GOAL_CALLS=99 SAMPLE_EVERY=2 SETTLE=joined COPY_BINARIES=0 \
  BASE_PORT=$base OUT="$work/out" OVERLAY_LIB="$overlay_lib" ENFORCE=1 \
  timeout 150 bash "$run" "$p2psipd" "$p2psip" || rc=$?
echo "chaos.short: run.sh exit $rc after $(($(date +%s) - t0)) s"
[ "$rc" -eq 0 ] || fail "run.sh exit $rc (a goal failed, or the run did not complete)"

# shellcheck source=/dev/null
source "$work/out/summary.env"
# The numbers must show the run happened as planned, or a pass means nothing.
[ "${kills:-0}" -ge 2 ] || fail "$kills kills, expected 2"
[ "${calls_eligible:-0}" -ge $((rate * duration * 8 / 10)) ] ||
  fail "$calls_eligible calls counted, expected at least $((rate * duration * 8 / 10))"
# Nodes 1 and 2 are the homes of 2 in 5 phones.
[ "${bindings_checked:-0}" -eq $((users * 2 / 5)) ] ||
  fail "$bindings_checked bindings looked up at the end, expected $((users * 2 / 5))"
[ "${sample_lookups:-0}" -ge 10 ] || fail "$sample_lookups lookups sampled, expected at least 10"
[ "${reregistered_found:-0}" -eq "${reregistered_checked:--1}" ] ||
  fail "$reregistered_found of $reregistered_checked phones of killed nodes found after they registered again"
if grep -l 'ERROR: AddressSanitizer\|runtime error:' "$work"/out/overlay/node*/log; then
  fail "a node logged a sanitizer report"
fi
echo "chaos.short: passed"
