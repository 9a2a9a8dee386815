#!/usr/bin/env bash
# The run command. The p2psipd overlay node arrives with the node issue; what
# runs today is the SIP message layer, so this builds the release preset and
# runs its benchmark: our parser against osip2 on the same messages.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exec ./build/release/bench/parse_bench "$@"
