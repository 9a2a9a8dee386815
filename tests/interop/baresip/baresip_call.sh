#!/usr/bin/env bash
# Two real baresip phones register with a real p2psipd and call each other.
#   baresip_call.sh P2PSIPD TRANSPORT BASE_PORT      (TRANSPORT: udp or tls)
# Ports, all on 127.0.0.1: the proxy BASE_PORT; alice's SIP BASE_PORT+2 (and
# +3, baresip's TLS listener is its SIP port + 1), bob's BASE_PORT+4 (+5);
# ctrl_tcp alice +6, bob +7; RTP alice +10..+13, bob +14..+17. 20 ports.
# tests/lib/baresip_ctrl.py drives the call over ctrl_tcp and checks it: both phones
# register, alice calls bob, bob answers, RTP flows both ways, alice hangs
# up and bob sees the call end. Every process is bounded in time and killed
# on exit; the logs are printed on failure. Exit status 0 when every check
# passed.
set -euo pipefail

p2psipd=$1
transport=$2
base=$3
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../../lib
# shellcheck source=tests/lib/baresip_phone.sh
. "$lib/baresip_phone.sh"
case "$transport" in
  udp | tls) ;;
  *)
    echo "transport must be udp or tls, not $transport"
    exit 2
    ;;
esac
baresip_require

work=$(mktemp -d)
phones=()
proxy_pid=
cleanup() {
  set +e
  # The phones first: on SIGTERM baresip un-registers, which needs the proxy.
  [ "${#phones[@]}" -eq 0 ] || stop_pids "${phones[@]}"
  [ -z "$proxy_pid" ] || stop_pids "$proxy_pid"
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

proxy=$base
# p2psipd refuses a user file that others may read.
(umask 077 && printf 'alice wonderland\nbob builder\n' >"$work/users")

fail() {
  echo "interop baresip $transport failed: $*"
  show_logs "$work" "$work"/*.log
  exit 1
}

tls_args=()
if [ "$transport" = tls ]; then
  # A throw-away CA and a server certificate for 127.0.0.1 signed by it.
  (
    cd "$work"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
      -subj "/CN=p2psip interop test CA" -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
    printf '%s\n' 'subjectAltName=IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
      'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem
  ) >"$work/openssl.out" 2>&1 || { cat "$work/openssl.out"; fail "openssl could not make the certificates"; }
  tls_args=(--tls-cert "$work/server.pem" --tls-key "$work/server.key")
fi

# baresip 1.0 (libre 1.1.0) gives up ("Register: Function not implemented")
# on a 401 holding any WWW-Authenticate whose algorithm is not MD5, whatever
# the order, instead of answering the one it knows (RFC 8760 section 2.4):
# the proxy offers MD5 only.
"$p2psipd" --users "$work/users" --digest MD5 -l "$transport:127.0.0.1:$proxy" "${tls_args[@]}" -vv \
  >"$work/p2psipd.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 50); do
  grep -q "listening on $transport" "$work/p2psipd.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "listening on $transport" "$work/p2psipd.log" || fail "p2psipd did not start"

if [ "$transport" = tls ]; then
  # baresip 1.0 loads sip_cafile but accepts any server certificate (libre
  # 1.1.0's verify callback says yes to everything), so check here what it
  # would have checked: the proxy presents a chain to our CA valid for 127.0.0.1.
  timeout 5 openssl s_client -connect "127.0.0.1:$proxy" -CAfile "$work/ca.pem" \
    -verify_return_error -verify_ip 127.0.0.1 </dev/null >"$work/s_client.out" 2>&1 ||
    { cat "$work/s_client.out"; fail "p2psipd's certificate does not verify against the test CA"; }
  grep -q "Verify return code: 0 (ok)" "$work/s_client.out" ||
    { cat "$work/s_client.out"; fail "openssl s_client did not verify p2psipd's certificate"; }
fi

phone() {  # name password sip-port ctrl-port rtp-low
  local cafile=
  if [ "$transport" = tls ]; then cafile=$work/ca.pem; fi
  baresip_write_config "$work/$1" "$1" "$2" "$transport" "$proxy" "$3" "$4" "$5" "$cafile"
  baresip_start "$work/$1" "$work/$1.log"
  phones+=($!)
}
phone alice wonderland $((base + 2)) $((base + 6)) $((base + 10))
phone bob builder $((base + 4)) $((base + 7)) $((base + 14))

status=0
timeout 45 python3 "$lib/baresip_ctrl.py" "$transport" $((base + 6)) $((base + 7)) \
  "$work/alice.log" "$work/bob.log" "$proxy" || status=$?
[ "$status" -eq 0 ] || fail "the call checks failed (status $status)"
echo "interop baresip $transport passed"
