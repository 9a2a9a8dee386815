#!/usr/bin/env bash
# The run command: builds p2psipd and starts a local overlay of three nodes
# on 127.0.0.1 that softphones register to (any node) and call each other
# through. Stop it with Ctrl-C; the state is kept for the next run.
#   P2PSIP_NODES  how many nodes (default 3)
#   P2PSIP_BASE   node I listens for SIP on BASE+10*I, UDP and TCP (default 5050:
#                 node 1 on 5060, node 2 on 5070, node 3 on 5080), and on
#                 BASE+10*I+3 for TLS, where the nodes link to each other
#   P2PSIP_STATE  where the CA, node state and users are kept (default ./run)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target p2psipd p2psip

nodes=${P2PSIP_NODES:-3}
base=${P2PSIP_BASE:-5050}
state=${P2PSIP_STATE:-$PWD/run}
bin=$PWD/build/release/src/apps
source scripts/lib/local_overlay.sh
P2PSIP_LOG=${P2PSIP_LOG:-info} overlay_create "$state" "$nodes" "$base" "$bin/p2psipd/p2psipd" \
  "$bin/p2psip/p2psip"
tail_pid=
trap '[ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null; overlay_stop_all' EXIT
trap 'exit 0' INT TERM
for i in $(seq 1 "$nodes"); do overlay_start "$i"; done

servers=""
for i in $(seq 1 "$nodes"); do servers+=" 127.0.0.1:$(overlay_sip_port "$i")"; done
cat <<INFO

p2psip overlay "p2psip.test": $nodes nodes on 127.0.0.1 (state and logs in $state)
Point a softphone at any node (UDP or TCP):
  SIP server / registrar : one of$servers
  domain                 : p2psip.test
  users                  : alice / alice-secret, bob / bob-secret, carol / carol-secret
                           (see $state/users; add one: $bin/p2psip/p2psip user add --users $state/users NAME)
  e.g. baresip account   : <sip:alice@p2psip.test>;auth_pass=alice-secret;outbound="sip:127.0.0.1:$(overlay_sip_port 1)"
Register bob on another node, then call sip:bob@p2psip.test from alice.
Look inside: $bin/p2psip/p2psip status --api 127.0.0.1:$(overlay_api_port 1)
             $bin/p2psip/p2psip lookup sip:bob@p2psip.test --api 127.0.0.1:$(overlay_api_port 2)
Ctrl-C stops every node.

INFO
tail -n 0 -F "$state"/node*/log &
tail_pid=$!
wait "$(cat "$state/node1/pid")"
