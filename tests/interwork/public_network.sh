# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034  # (SC2034: it sets variables for its users)
# The public SIP network that the overlay p2psip.test interworks with, on
# loopback addresses only (nothing leaves the host), for tests/interwork.
# Source it from a bash script (run as root: BIND9 binds port 53, Kamailio
# runs in its own mount namespace); every process it starts is tracked, and
# stop_all ends them all. Typical use:
#
#   source tests/interwork/public_network.sh
#   pn_init "$(mktemp -d)"; pn_cleanup_on_exit   # stop_all on exit, INT, TERM
#   start_named; start_kamailio
#
# The addresses (P2PSIP_PUBLIC_NET, default 127.0.0, names the /24 used):
#   $pn_dns   .53  BIND9, port 53: what resolv.conf names for Kamailio
#   $pn_sip1  .20  sip1.example.test: Kamailio, example.test's registrar and proxy
#   $pn_sip2  .22  sip2.example.test: example.test's second SRV target (priority
#                  20): dead, unless a second Kamailio is started there
#   $pn_carol .21  carol's phone, $pn_dave .23 dave's (both of example.test)
#   .11-.19        the overlay's nodes, .30-.39 its phones (the tests choose;
#                  nothing here uses them)
#
# The zones:
#   example.test (static): NAPTR SIP+D2U -> _sip._udp, SIP+D2T -> _sip._tcp;
#     each SRV: 10 0 5060 sip1 and 20 0 5060 sip2; sip1 A .20, sip2 A .22;
#     ns A .53.
#   p2psip.test (dynamic, the overlay's): SOA and NS only at start. RFC 2136
#     updates are taken when signed (TSIG, hmac-sha256) with a proxy peer's
#     key, pp1 or pp2 ($pn_proxy_peer_keys), each allowed the types in
#     $pn_update_types anywhere in the zone (so a peer may remove a dead
#     one's records). Key files, mode 0600: $pn_dir/pp1.key, pp2.key, and
#     two the server refuses: wrong.key (a name it does not know: BADKEY)
#     and forged-pp1.key (pp1's name, another secret: BADSIG).
#
# Functions (each returns non-zero and says why on stderr when it fails):
#   pn_init DIR                 the work directory (configs, keys, logs)
#   start_named                 BIND9 on $pn_dns:53 (waits until both zones answer)
#   start_kamailio [ADDR]       Kamailio on ADDR:5060, UDP and TCP (default $pn_sip1)
#   stop_kamailio ADDR [SIGNAL] stops it (TERM by default; KILL to kill it)
#   start_sipp NAME ARGS...     sipp in the background, bounded in time, traced
#                               to $pn_dir/NAME.{out,msg,log,err}; pid in $pn_sipp_pid
#   wait_sipp PID               waits for it; its exit status
#   stop_sipp PID               ends it (a callee left waiting by a failed caller)
#   run_sipp NAME ARGS...       sipp in the foreground (start_sipp + wait_sipp)
#   wait_for_udp_port ADDR PORT [S], wait_for_tcp_port, port_is_free,
#   sipp_answers FILE, sipp_successful_calls FILE   (tests/lib/sip_test.sh)
#   dig_zone NAME TYPE          NAME's TYPE records at $pn_dns, one per line (+short)
#   zone_serial ZONE            the serial of ZONE's SOA
#   zone_update KEYFILE [ZONE]  nsupdate signed with KEYFILE for ZONE (default
#                               p2psip.test); the update lines on stdin, "send"
#                               added; its output in $pn_dir/nsupdate.out
#   sip_targets DOMAIN [udp|tcp]  RFC 3263 with dig: ADDR:PORT of each target
#                               for DOMAIN, in the order a client tries them
#                               (NAPTR, else _sip._PROTO; SRV by priority, then
#                               weight, highest first; A)
#   pn_show_logs                the last lines of every log
#   stop_all                    ends every process started here (TERM, KILL
#                               after 5 s), removes $pn_dir (kept when
#                               P2PSIP_KEEP_WORK=1, for reading the logs)

pn_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/sip_test.sh
source "$pn_lib_dir/../lib/sip_test.sh"

pn_net=${P2PSIP_PUBLIC_NET:-127.0.0}
pn_dns=$pn_net.53
pn_sip1=$pn_net.20
pn_sip2=$pn_net.22
pn_carol=$pn_net.21
pn_dave=$pn_net.23
pn_proxy_peer_keys=(pp1 pp2)
pn_update_types="NAPTR SRV A AAAA TXT"
pn_sipp_seconds=${pn_sipp_seconds:-60}  # the most a sipp may run
# Kamailio's shared memory in MB (-m): enough for the tests; a load of
# hundreds of calls a second (bench/interwork) holds more transactions.
pn_kamailio_shm_mb=${pn_kamailio_shm_mb:-64}
pn_dir=
pn_sipp_pid=
pn_added_addr=  # the address start_named added to lo, which stop_all removes
declare -gA pn_procs=()  # process group id -> what it is

# What the tests print: a timestamped line, milliseconds since a
# `date +%s%N`, and lines joined into one.
say() { echo "[$(date +%T.%3N)] $*"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
oneline() { paste -sd ' ' -; }

# The messages sipp run NAME received whose first line starts with START
# ("INVITE ", "BYE "), from its -trace_msg file; each ends with a blank line.
received() {  # NAME START
  tr -d '\r' <"$pn_dir/$1.msg" | awk -v start="$2" '
    /message received/ { want = 1; inmsg = 0; next }
    /^-{20,}/ { want = 0; inmsg = 0; next }
    want && !inmsg && NF == 0 { next }
    want && !inmsg { inmsg = 1; take = index($0, start) == 1 }
    inmsg && take { print }
    inmsg && take && NF == 0 { take = 0 }'
}

pn_init() {  # DIR
  pn_dir=$1
  mkdir -p "$pn_dir"
}

# Starts COMMAND... in the background as the leader of a process group of its
# own, so that stop_all reaches the processes it forks too (Kamailio's
# workers). Without job control (a script), the background child is not a
# group leader, so setsid does not fork and $! is the group's id.
pn_spawn() {  # NAME LOG COMMAND...
  local name=$1 log=$2 pid
  shift 2
  setsid "$@" >"$log" 2>&1 &
  pid=$!
  pn_procs[$pid]=$name
  pn_spawned=$pid
}

pn_alive() { kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null; }

pn_stop() {  # PID [SIGNAL]: signals PID's group, waits 5 s, then KILLs it
  local pid=$1 sig=${2:-TERM}
  kill "-$sig" -- "-$pid" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    pn_alive "$pid" || break
    sleep 0.1
  done
  if pn_alive "$pid"; then
    echo "${pn_procs[$pid]:-process $pid} did not stop within 5 s of SIG$sig: KILL" >&2
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  unset "pn_procs[$pid]"
}

start_named() {
  local d=$pn_dir/named k
  mkdir -p "$d"
  port_is_free udp "$pn_dns" 53 || {
    echo "start_named: $pn_dns:53 is taken: $(ss -Hlnup "src $pn_dns:53")" >&2
    return 1
  }
  (
    umask 077
    for k in "${pn_proxy_peer_keys[@]}" wrong; do
      tsig-keygen -a hmac-sha256 "$k" >"$pn_dir/$k.key"
    done
    tsig-keygen -a hmac-sha256 pp1 >"$pn_dir/forged-pp1.key"
  )
  cat >"$d/example.test.zone" <<ZONE
\$ORIGIN example.test.
\$TTL 5
@         SOA   ns hostmaster 1 3600 600 86400 1
@         NS    ns
ns        A     $pn_dns
@         NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp
@         NAPTR 20 50 "s" "SIP+D2T" "" _sip._tcp
_sip._udp SRV   10 0 5060 sip1
_sip._udp SRV   20 0 5060 sip2
_sip._tcp SRV   10 0 5060 sip1
_sip._tcp SRV   20 0 5060 sip2
sip1      A     $pn_sip1
sip2      A     $pn_sip2
ZONE
  # The overlay's zone: what the proxy peers publish, nothing else. A
  # negative answer may be kept 1 s (the SOA's last field).
  cat >"$d/p2psip.test.zone" <<ZONE
\$ORIGIN p2psip.test.
\$TTL 30
@         SOA   ns.example.test. hostmaster.example.test. 1 3600 600 86400 1
@         NS    ns.example.test.
ZONE
  {
    cat <<CONF
options {
	directory "$d";
	pid-file "$d/named.pid";
	session-keyfile "$d/session.key";
	managed-keys-directory "$d";
	listen-on port 53 { $pn_dns; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
	allow-transfer { none; };
};
// No rndc channel: it would take 127.0.0.1:953 from whoever else has it.
controls { };
CONF
    for k in "${pn_proxy_peer_keys[@]}"; do echo "include \"$pn_dir/$k.key\";"; done
    cat <<CONF
zone "example.test" { type primary; file "example.test.zone"; };
zone "p2psip.test" {
	type primary;
	file "p2psip.test.zone";
	update-policy {
CONF
    for k in "${pn_proxy_peer_keys[@]}"; do echo "		grant $k zonesub $pn_update_types;"; done
    cat <<CONF
	};
};
CONF
  } >"$d/named.conf"
  named-checkconf -z "$d/named.conf" >"$d/checkconf.out" 2>&1 || {
    echo "start_named: named-checkconf refuses $d/named.conf:" >&2
    cat "$d/checkconf.out" >&2
    return 1
  }
  # named listens only on the addresses of the host's interfaces (127.0.0.1/8
  # on lo covers 127.0.0.53 for sockets that bind it, not for named's scan):
  # $pn_dns is added to lo for the test, as BIND9's own system tests do, and
  # removed by stop_all.
  if [ -z "$(ip -4 -o addr show dev lo to "$pn_dns/32")" ]; then
    ip addr add "$pn_dns/32" dev lo || {
      echo "start_named: cannot add $pn_dns to lo (root is needed)" >&2
      return 1
    }
    pn_added_addr=$pn_dns
  fi
  # -g: foreground, everything logged to stderr; as root, it stays root.
  pn_spawn named "$d/named.log" named -g -n 1 -c "$d/named.conf"
  local pid=$pn_spawned
  for _ in $(seq 100); do
    if dig_zone example.test SOA 2>/dev/null | grep -q hostmaster &&
      dig_zone p2psip.test SOA 2>/dev/null | grep -q hostmaster; then
      return 0
    fi
    pn_alive "$pid" || break
    sleep 0.1
  done
  echo "start_named: BIND9 does not answer for example.test and p2psip.test at $pn_dns after 10 s:" >&2
  tail -n 30 "$d/named.log" >&2
  return 1
}

start_kamailio() {  # [ADDR]
  local addr=${1:-$pn_sip1} d
  d=$pn_dir/kamailio-$addr
  mkdir -p "$d"
  local p
  for p in udp tcp; do
    port_is_free "$p" "$addr" 5060 || {
      echo "start_kamailio: $p $addr:5060 is taken" >&2
      return 1
    }
  done
  # Kamailio's resolver reads /etc/resolv.conf: it gets this one, bound over
  # /etc/resolv.conf in a mount namespace of its own (private propagation),
  # which leaves the host's file alone and goes away with Kamailio.
  printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$pn_dns" >"$pn_dir/resolv.conf"
  local args=(-f "$pn_lib_dir/kamailio.cfg" -A "SIP_ADDR=$addr")
  kamailio -c "${args[@]}" >"$d/check.out" 2>&1 || {
    echo "start_kamailio: kamailio -c refuses its configuration:" >&2
    cat "$d/check.out" >&2
    return 1
  }
  # -DD -E: foreground, log to stderr; -n 1 worker and the TLSF allocator in
  # small memory: the fast setting for a test.
  # shellcheck disable=SC2016  # $0 and $@ are the inner shell's
  pn_spawn "kamailio $addr" "$d/log" unshare -m sh -c \
    'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$pn_dir/resolv.conf" \
    kamailio "${args[@]}" -P "$d/pid" -Y "$d" -DD -E -n 1 -x tlsf -m "$pn_kamailio_shm_mb" -M 8
  local pid=$pn_spawned
  echo "$pid" >"$d/group"
  for _ in $(seq 100); do
    if ! port_is_free udp "$addr" 5060 && ! port_is_free tcp "$addr" 5060; then return 0; fi
    pn_alive "$pid" || break
    sleep 0.1
  done
  echo "start_kamailio: Kamailio does not listen on udp and tcp $addr:5060 after 10 s:" >&2
  tail -n 30 "$d/log" >&2
  return 1
}

stop_kamailio() {  # ADDR [SIGNAL]
  local g=$pn_dir/kamailio-$1/group
  [ -f "$g" ] || return 0
  pn_stop "$(cat "$g")" "${2:-TERM}"
  rm -f "$g"
}

start_sipp() {  # NAME ARGS...
  local name=$1
  shift
  # `timeout` leads a process group of its own: stop_all ends sipp with it.
  timeout "$pn_sipp_seconds" sipp -nostdin -bind_local -timeout "$((pn_sipp_seconds - 10))" \
    -timeout_error -trace_err -error_file "$pn_dir/$name.err" \
    -trace_msg -message_file "$pn_dir/$name.msg" -trace_logs -log_file "$pn_dir/$name.log" \
    "$@" >"$pn_dir/$name.out" 2>&1 &
  pn_sipp_pid=$!
  pn_procs[$pn_sipp_pid]="sipp $name"
}

wait_sipp() {  # PID
  local rc=0
  wait "$1" || rc=$?
  unset "pn_procs[$1]"
  return "$rc"
}

stop_sipp() {  # PID
  pn_stop "$1"
}

run_sipp() {  # NAME ARGS...
  start_sipp "$@"
  wait_sipp "$pn_sipp_pid"
}

dig_zone() {  # NAME TYPE
  dig @"$pn_dns" -p 53 +short +norecurse +time=1 +tries=2 "$1" "$2"
}

zone_serial() {  # ZONE
  dig_zone "$1" SOA | awk '{print $3}'
}

zone_update() {  # KEYFILE [ZONE]
  local rc=0
  { echo "server $pn_dns 53" && echo "zone ${2:-p2psip.test}" && cat && echo send; } |
    nsupdate -t 3 -k "$1" >"$pn_dir/nsupdate.out" 2>&1 || rc=$?
  return "$rc"
}

sip_targets() {  # DOMAIN [udp|tcp]
  local domain=$1 proto=${2:-udp} service srv
  service=SIP+D2U
  [ "$proto" = tcp ] && service=SIP+D2T
  # NAPTR +short: ORDER PREFERENCE "FLAGS" "SERVICE" "REGEXP" REPLACEMENT
  srv=$(dig_zone "$domain" NAPTR | awk -v s="\"$service\"" 'toupper($4) == s { print $1, $2, $6 }' |
    sort -n -k1,1 -k2,2 | awk 'NR == 1 { print $3 }')
  [ -n "$srv" ] || srv=_sip._$proto.$domain.
  # SRV +short: PRIORITY WEIGHT PORT TARGET
  dig_zone "$srv" SRV | sort -k1,1n -k2,2nr | while read -r _ _ port target; do
    dig_zone "$target" A | sed "s/\$/:$port/"
  done
}

pn_show_logs() {
  local f
  [ -n "$pn_dir" ] && [ -d "$pn_dir" ] || return 0
  for f in "$pn_dir"/named/named.log "$pn_dir"/kamailio-*/log "$pn_dir"/*.err "$pn_dir"/*.out \
    "$pn_dir"/*.msg; do
    [ -s "$f" ] || continue
    echo "----- ${f#"$pn_dir"/}"
    tail -n 60 "$f"
  done
}

stop_all() {
  local pid
  # Phones first, Kamailio, then BIND9.
  local kind
  for kind in sipp kamailio ''; do
    for pid in "${!pn_procs[@]}"; do
      if [[ ${pn_procs[$pid]} == "$kind"* ]]; then pn_stop "$pid"; fi
    done
  done
  if [ -n "$pn_added_addr" ]; then
    ip addr del "$pn_added_addr/32" dev lo 2>/dev/null || true
    pn_added_addr=
  fi
  if [ -n "$pn_dir" ] && [ -d "$pn_dir" ]; then
    if [ "${P2PSIP_KEEP_WORK:-0}" = 1 ]; then
      echo "public network: work directory kept: $pn_dir" >&2
    else
      rm -rf "$pn_dir"
    fi
  fi
  return 0
}

pn_cleanup_on_exit() {
  trap stop_all EXIT
  trap 'exit 130' INT TERM
}
