# A local overlay of p2psipd nodes on 127.0.0.1, for scripts/run.sh and the
# end-to-end tests. Source it, then:
#   overlay_create DIR N BASE_PORT P2PSIPD P2PSIP   CA, node certificates, users, configs
#   overlay_start I                          starts node I (1-based), waits (20 s at
#                                            most) until its API answers
#   overlay_kill I [SIGNAL]                  stops node I (TERM by default)
#   overlay_stop_all                         stops every node started
#   overlay_status_number I KEY              the number KEY has in node I's status
#   overlay_dht_counts I                     "GOOD KNOWN" DHT nodes node I has
#   overlay_wait_joined I GOOD KNOWN [S]     waits (S s, 20 by default) until node
#                                            I has GOOD good and KNOWN known nodes
#   (each fails, saying why on stderr, when the node or its API does not answer)
#   overlay_cleanup_on_exit                  on exit or a signal, kills the
#                                            caller's `pids` and every node
# Node I listens for SIP on BASE_PORT+10*I (UDP and TCP), for the DHT on
# +1, for the API on +2 and for SIP over TLS on +3: the links between the
# nodes, authenticated by the node certificates of the overlay's CA (set
# overlay_plain_links=true for plain TCP links instead, to read them with
# tcpdump); nodes 2..N bootstrap from node 1. The users
# file is shared: a phone may register with any node. Set overlay_auth=false
# before overlay_create for nodes that take REGISTER without digest (the
# proxy benchmark, whose load generator registers thousands of new users).

#
# Nodes with addresses of their own (the interworking tests, where DNS names
# the proxy peers by address): set overlay_addrs=(ADDR1 ADDR2 ...) before
# overlay_create, and node I listens on ${overlay_addrs[I-1]} (a 127.0.0.0/8
# address) on the well-known ports instead: SIP 5060 (UDP, TCP), TLS 5061,
# DHT 4222, API 8060; BASE_PORT is then unused. overlay_addr I is node I's
# address either way.

overlay_dir=
overlay_daemon=
overlay_cli=
overlay_base=
overlay_auth=${overlay_auth:-true}
overlay_plain_links=${overlay_plain_links:-false}
[ -n "${overlay_addrs+set}" ] || overlay_addrs=()

overlay_addr() {
  if [ "${#overlay_addrs[@]}" -gt 0 ]; then echo "${overlay_addrs[$1 - 1]}"; else echo 127.0.0.1; fi
}
overlay_port() {  # I OFFSET WELL_KNOWN
  if [ "${#overlay_addrs[@]}" -gt 0 ]; then echo "$3"; else echo $((overlay_base + 10 * $1 + $2)); fi
}
overlay_sip_port() { overlay_port "$1" 0 5060; }
overlay_dht_port() { overlay_port "$1" 1 4222; }
overlay_api_port() { overlay_port "$1" 2 8060; }
overlay_tls_port() { overlay_port "$1" 3 5061; }

overlay_create() {
  overlay_dir=$1
  local n=$2
  overlay_base=$3
  overlay_daemon=$4
  overlay_cli=$5
  mkdir -p "$overlay_dir"
  if [ ! -f "$overlay_dir/ca/ca.key" ]; then
    "$overlay_cli" ca init --dir "$overlay_dir/ca" --overlay p2psip.test >/dev/null
  fi
  if [ ! -f "$overlay_dir/users" ]; then
    (
      umask 077  # p2psipd refuses a user file that others may read
      printf '# user password\nalice alice-secret\nbob bob-secret\ncarol carol-secret\n' \
        >"$overlay_dir/users"
      for i in $(seq 1 200); do echo "user$i secret$i"; done >>"$overlay_dir/users"
    )
  fi
  # A state kept from a run before p2psipd checked the mode.
  chmod 600 "$overlay_dir/users"
  local i
  for i in $(seq 1 "$n"); do
    local d=$overlay_dir/node$i
    mkdir -p "$d/state"
    cp "$overlay_dir/ca/ca.crt" "$d/state/ca.crt"
    if [ ! -f "$d/state/node.crt" ]; then
      "$overlay_cli" ca issue-node --dir "$overlay_dir/ca" --node-id "node$i" \
        --domain-authority --out "$d/state/node" >/dev/null
    fi
    local bootstrap=""
    [ "$i" -gt 1 ] && bootstrap="\"$(overlay_addr 1):$(overlay_dht_port 1)\""
    local a
    a=$(overlay_addr "$i")
    cat >"$d/p2psipd.toml" <<TOML
[node]
overlay = "p2psip.test"
state_dir = "state"
roles = ["peer", "registrar", "proxy"]

[sip]
listen = ["udp:$a:$(overlay_sip_port "$i")", "tcp:$a:$(overlay_sip_port "$i")",
          "tls:$a:$(overlay_tls_port "$i")"]

[auth]
enabled = $overlay_auth
users = "../users"
digest = "MD5"

[overlay]
listen = "$a:$(overlay_dht_port "$i")"
bootstrap = [$bootstrap]
plain_links = $overlay_plain_links

[api]
listen = "$a:$(overlay_api_port "$i")"

[limits]
rate = 0

[log]
level = "${P2PSIP_LOG:-warn}"
TOML
  done
}

overlay_start() {
  local i=$1
  local d=$overlay_dir/node$i
  "$overlay_daemon" -c "$d/p2psipd.toml" >>"$d/log" 2>&1 &
  echo $! >"$d/pid"
  for _ in $(seq 1 200); do
    overlay_api_answers "$i" && return 0
    kill -0 "$(cat "$d/pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "node $i did not start: its API ($(overlay_addr "$i"):$(overlay_api_port "$i")) does not answer" >&2
  cat "$d/log" >&2
  return 1
}

overlay_api_answers() {
  timeout 5 "$overlay_cli" status --api "$(overlay_addr "$1"):$(overlay_api_port "$1")" >/dev/null 2>&1
}

overlay_kill() {
  local pidfile=$overlay_dir/node$1/pid
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

overlay_stop_all() {
  local p
  for p in "$overlay_dir"/node*/pid; do
    [ -f "$p" ] || continue
    overlay_kill "$(basename "$(dirname "$p")" | sed 's/node//')"
  done
}

overlay_status_number() {
  local out n
  # `p2psip status` prints the node's /status as "key: value" lines.
  out=$(timeout 5 "$overlay_cli" status --api "$(overlay_addr "$1"):$(overlay_api_port "$1")" 2>&1) || {
    echo "node $1: p2psip status failed: $out" >&2
    return 1
  }
  n=$(grep -oE "^ *$2: *[0-9]+" <<<"$out" | grep -oE '[0-9]+$' | head -n 1 || true)
  if [ -z "$n" ]; then
    echo "node $1: no $2 in its status:" >&2
    echo "$out" >&2
    return 1
  fi
  echo "$n"
}

overlay_dht_counts() {
  local good known
  good=$(overlay_status_number "$1" good_nodes) || return 1
  known=$(overlay_status_number "$1" known_nodes) || return 1
  echo "$good $known"
}

overlay_wait_joined() {
  local i=$1 good=$2 known=$3 tries=$((${4:-20} * 5)) c
  for _ in $(seq "$tries"); do
    c=$(overlay_dht_counts "$i") || return 1
    [ "${c%% *}" -ge "$good" ] && [ "${c##* }" -ge "$known" ] && return 0
    sleep 0.2
  done
  echo "node $i: good and known DHT nodes \"$c\" after ${4:-20} s, wanted $good and $known" >&2
  return 1
}

overlay_cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$overlay_dir" ] && overlay_stop_all
  wait 2>/dev/null || true
}

overlay_cleanup_on_exit() {
  trap overlay_cleanup EXIT
  trap 'exit 130' INT TERM
}
