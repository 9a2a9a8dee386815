# shellcheck shell=bash disable=SC2034  # (SC2034: it sets variables for its users)
# Phones behind NATs and a public segment, in network namespaces of their
# own, for tests/relay. Nothing here touches the host's interfaces: every
# veth is created inside a namespace made here (ip -n), and every namespace
# is named $nat_prefix... (p2p-nat-<run id>-), so that nat_teardown removes
# exactly what nat_setup made. Run as root. Typical use:
#
#   source tests/relay/nat_network.sh
#   trap nat_teardown EXIT     # kills what runs in the namespaces, deletes them
#   nat_setup
#   nat_exec pub turnserver ...        # a command in the public namespace
#
# The namespaces (short names for nat_exec and nat_ns; nat_ns NAME is the
# real one):
#   pub    the public segment 203.0.113.0/24: a bridge br0 carrying
#          $nat_pub_addrs (the overlay's nodes and the TURN relays: one
#          namespace, several addresses) and the routers' outside ends;
#          its default route goes into the void: a veth "void" to a
#          gateway whose MAC address (a static neighbour) nothing has, so
#          its other end "void-end" drops every frame. Like the Internet,
#          the public side sends a packet for a private address somewhere
#          and it is lost (with no route at all, a send fails at once with
#          ENETUNREACH, and coturn closes the allocation it was relaying
#          for; the kernel has no dummy interfaces here)
#   r1     home 1's router: inside 192.168.1.1, outside $nat_r1_out (.2),
#          masquerade on the outside port that keeps the source port when it
#          can (endpoint-independent mapping: a cone-like NAT)
#   r2     home 2's router: inside 192.168.2.1, outside $nat_r2_out (.3),
#          masquerade random: every new flow gets a random source port
#          (endpoint-dependent mapping: a symmetric-like NAT)
#   h1, h2 the homes: one phone each, $nat_h1_addr and $nat_h2_addr,
#          default route through their router
# Both NATs filter what comes in by the whole flow (conntrack): a packet from
# the public side reaches a home only as the answer to a flow the home
# opened to that very address and port. Anything else is dropped without a
# word, as home routers do: no ICMP error ends an ICE check early, and no
# conntrack entry of an unanswered packet takes the port the NAT would map
# the home's own packet to (so two cone-like NATs can punch a hole). With home 2's mapping per
# destination, no direct path between the homes exists: media must go
# through a relay. The public namespace does not forward.

nat_id=${P2PSIP_NAT_ID:-$$}
nat_prefix=p2p-nat-$nat_id-
nat_pub_net=203.0.113
nat_r1_out=$nat_pub_net.2
nat_r2_out=$nat_pub_net.3
nat_h1_addr=192.168.1.10
nat_h2_addr=192.168.2.10
# Home 2's masquerade flags. P2PSIP_NAT_HOME2_MASQUERADE= (empty) makes it a
# cone-like NAT too, with which a direct path exists: to see that the
# relay checks of a test fail then.
nat_home2_masquerade=${P2PSIP_NAT_HOME2_MASQUERADE-random}
nat_pub_addrs=()  # set before nat_setup: the addresses the public namespace holds
nat_made=()       # the namespaces made so far, for nat_teardown

nat_ns() { echo "$nat_prefix$1"; }

# nat_exec NAME COMMAND...: COMMAND in namespace NAME, in the foreground.
# (In the background, a function is a subshell of its own: $! would be that
# shell, not COMMAND. Use nat_spawn.)
nat_exec() {
  local ns
  ns=$(nat_ns "$1")
  shift
  ip netns exec "$ns" "$@"
}

# nat_spawn NAME LOG COMMAND...: COMMAND in namespace NAME in the
# background, stdin from /dev/null, stdout and stderr to LOG; its pid in
# nat_spawned (ip netns exec execs COMMAND: the pid is COMMAND's own).
nat_spawned=
nat_spawn() {
  local ns log=$2
  ns=$(nat_ns "$1")
  shift 2
  ip netns exec "$ns" "$@" </dev/null >"$log" 2>&1 &
  nat_spawned=$!
}

nat_add_ns() {  # NAME
  local ns
  ns=$(nat_ns "$1")
  ip netns add "$ns" || return 1
  nat_made+=("$ns")
  ip -n "$ns" link set lo up
}

# A router between home N's namespace and the public bridge: veth "in" to
# the home ("eth0" there), veth "out" to the bridge ("rN" there).
nat_add_home() {  # N OUTSIDE_ADDR MASQUERADE_FLAGS
  local n=$1 out=$2 flags=$3 r h pub
  r=$(nat_ns "r$n")
  h=$(nat_ns "h$n")
  pub=$(nat_ns pub)
  nat_add_ns "r$n" && nat_add_ns "h$n" || return 1
  ip -n "$r" link add in type veth peer name eth0 netns "$h" &&
    ip -n "$r" link add out type veth peer name "r$n" netns "$pub" &&
    ip -n "$pub" link set "r$n" master br0 && ip -n "$pub" link set "r$n" up &&
    ip -n "$r" addr add "192.168.$n.1/24" dev in && ip -n "$r" link set in up &&
    ip -n "$r" addr add "$out/24" dev out && ip -n "$r" link set out up &&
    ip -n "$h" addr add "192.168.$n.10/24" dev eth0 && ip -n "$h" link set eth0 up &&
    ip -n "$h" route add default via "192.168.$n.1" || return 1
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 || return 1
  # shellcheck disable=SC2086  # FLAGS: none, or several words
  ip netns exec "$r" nft -f - <<NFT || return 1
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "out" masquerade $flags
  }
}
table ip filter {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "out" drop
  }
}
NFT
}

nat_setup() {
  local pub a
  pub=$(nat_ns pub)
  nat_add_ns pub || return 1
  # No STP, no forward delay: the bridge forwards as soon as a port is up.
  ip -n "$pub" link add br0 type bridge forward_delay 0 stp_state 0 &&
    ip -n "$pub" link set br0 up || return 1
  for a in "${nat_pub_addrs[@]}"; do
    ip -n "$pub" addr add "$a/24" dev br0 || return 1
  done
  ip -n "$pub" link add void type veth peer name void-end && ip -n "$pub" link set void-end up &&
    ip -n "$pub" link set void up &&
    ip -n "$pub" neigh add 198.51.100.1 lladdr 02:00:5e:00:53:01 dev void nud permanent &&
    ip -n "$pub" route add default via 198.51.100.1 dev void onlink || return 1
  nat_add_home 1 "$nat_r1_out" "" || return 1
  nat_add_home 2 "$nat_r2_out" "$nat_home2_masquerade" || return 1
  local h
  for h in h1 h2; do
    nat_reaches "$h" "${nat_pub_addrs[0]}" 5 ||
      { echo "nat_setup: $h does not reach ${nat_pub_addrs[0]} within 5 s" >&2; return 1; }
  done
}

# nat_reaches NAME ADDR [S]: from namespace NAME, ADDR answers within S
# seconds (default 2): a TCP connection to its port 9 is refused (nothing
# listens there) rather than lost. No ping needed.
nat_reaches() {
  nat_exec "$1" timeout "${3:-2}" python3 -c '
import socket, sys, time
while True:
    try:
        socket.create_connection((sys.argv[1], 9), timeout=0.5).close()
        sys.exit(0)
    except ConnectionRefusedError:
        sys.exit(0)
    except OSError:
        time.sleep(0.1)' "$2"
}

# The processes in namespace NAME (pids, one per line).
nat_pids() { ip netns pids "$(nat_ns "$1")" 2>/dev/null; }

# The namespaces of runs that died without cleaning up (SIGKILL, e.g. a
# ctest timeout): those of this run's prefix but another run's id
# (p2p-nat-PID-*, or whatever $nat_prefix names in place of p2p-nat-) whose
# PID is no longer alive. Their processes are killed and the namespaces
# deleted; those of live runs are left alone.
nat_reap_stale() {
  local ns pid p base=${nat_prefix%"$nat_id"-}
  for ns in $(ip netns list | grep -oE "^${base}[0-9]+-[a-z0-9]+"); do
    pid=${ns#"$base"}
    pid=${pid%%-*}
    [ "$pid" = "$nat_id" ] && continue
    kill -0 "$pid" 2>/dev/null && continue
    echo "removing namespace $ns, left by run $pid" >&2
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

# Kills every process left in the namespaces made here (TERM, then KILL
# after 2 s), then deletes them. Safe to call twice.
nat_teardown() {
  local ns pids=() p
  for ns in "${nat_made[@]}"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$p"); done
  done
  if [ "${#pids[@]}" -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 20); do
      local alive=0
      for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
      [ "$alive" = 0 ] && break
      sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  for ns in "${nat_made[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  nat_made=()
}
