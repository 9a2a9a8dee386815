#!/usr/bin/env bash
# The run command: builds p2psipd and starts a node on loopback that a
# softphone can register to and call through. Today it is a single node
# with an in-memory location (the overlay of several nodes arrives with
# the node issue). Stop it with Ctrl-C.
#   P2PSIP_PORT   SIP port on 127.0.0.1, UDP and TCP (default 5060)
#   P2PSIP_STATE  where the users file is kept (default ./run)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target p2psipd

port=${P2PSIP_PORT:-5060}
state=${P2PSIP_STATE:-$PWD/run}
mkdir -p "$state"
users=$state/users
if [ ! -f "$users" ]; then
  # Development accounts, created once; edit the file to change them.
  printf '# user password\nalice alice-secret\nbob bob-secret\n' >"$users"
  echo "created $users with users alice and bob"
fi

cat <<INFO

p2psip node for domain p2psip.test on 127.0.0.1:$port (UDP and TCP)
Point a softphone at it:
  SIP server / registrar : 127.0.0.1:$port   (outbound proxy: sip:127.0.0.1:$port)
  domain                 : p2psip.test
  users                  : alice / alice-secret, bob / bob-secret   (see $users)
  e.g. baresip account   : <sip:alice@p2psip.test>;auth_pass=alice-secret;outbound="sip:127.0.0.1:$port"
Then call sip:bob@p2psip.test from alice.

INFO
# MD5 only: RFC 8760 puts SHA-256 first, but Debian's baresip 1.0 (libre
# 1.1) gives up registering when any challenge names SHA-256.
exec ./build/release/src/apps/p2psipd/p2psipd --users "$users" --digest MD5 \
  -l "udp:127.0.0.1:$port" -l "tcp:127.0.0.1:$port" -v
