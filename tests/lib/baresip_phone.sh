# shellcheck shell=bash
# Headless baresip phones, and the clean-up and failure report around them,
# for the tests that call through p2psipd with them
# (tests/interop/baresip/baresip_call.sh, tests/e2e/e2e_baresip.sh,
# tests/interwork/proxy_peer_test.sh), which source this file. It only
# defines functions; baresip_ctrl.py, next to it, drives and checks a call.

baresip_modules=/usr/lib/baresip/modules

# Exits 2 when baresip or a module the phones load is not installed: the
# test cannot run here, which is not a failure of p2psipd.
baresip_require() {
  command -v baresip >/dev/null || { echo "baresip is not installed (apt-get install baresip-core)"; exit 2; }
  local m
  for m in g711 ausine aubridge account menu ctrl_tcp; do
    [ -f "$baresip_modules/$m.so" ] || { echo "baresip module $baresip_modules/$m.so is missing"; exit 2; }
  done
}

# baresip_write_config DIR NAME PASSWORD TRANSPORT PROXY SIP_PORT CTRL_PORT RTP_LOW [CA_FILE]
# Writes DIR/config and DIR/accounts for sip:NAME@p2psip.test registering
# with the proxy PROXY (a port on 127.0.0.1, or ADDR:PORT) over TRANSPORT
# (udp or tls), with its SIP on SIP_PORT (TLS on SIP_PORT+1), ctrl_tcp on
# CTRL_PORT and RTP on RTP_LOW..RTP_LOW+3, all on 127.0.0.1. A phone
# elsewhere sets, for the call (VAR=value baresip_write_config ...):
# baresip_addr (its address, for SIP, ctrl_tcp and RTP), baresip_domain (its
# AOR's domain, instead of p2psip.test) and baresip_answermode (auto: it
# answers every call itself; manual, the default, waits for "accept").
# Headless: a 440 Hz sine as the microphone (ausine
# wants 48 kHz stereo; baresip resamples for G.711) and an aubridge device
# nobody reads as the speaker; no video, no ALSA. rtp_stats prints the packet
# counts when the call ends. baresip 1.0 loads CA_FILE (sip_cafile) but
# accepts any server certificate, so a TLS test checks the proxy's itself.
baresip_write_config() {
  local dir=$1 name=$2 password=$3 transport=$4 proxy=$5 sip=$6 ctrl=$7 rtp=$8 cafile=${9:-}
  local addr=${baresip_addr:-127.0.0.1} domain=${baresip_domain:-p2psip.test}
  [[ $proxy == *:* ]] || proxy=127.0.0.1:$proxy
  mkdir -p "$dir"
  # net_interface takes an address too: the one SIP, RTP and the SDP use.
  cat >"$dir/config" <<EOF
module_path		$baresip_modules
net_interface		$addr
poll_method		epoll
sip_listen		$addr:$sip
call_local_timeout	20
call_max_calls		4
audio_source		ausine,440
ausrc_srate		48000
ausrc_channels		2
audio_player		aubridge,$name
audio_alert		aubridge,$name
rtp_ports		$rtp-$((rtp + 3))
rtcp_mux		no
rtp_stats		yes
statmode_default	off
module			g711.so
module			ausine.so
module			aubridge.so
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		$addr:$ctrl
EOF
  if [ -n "$cafile" ]; then echo "sip_cafile		$cafile" >>"$dir/config"; fi
  echo "<sip:$name@$domain;transport=$transport>;auth_pass=$password;outbound=\"sip:$proxy;transport=$transport\";regint=60;answermode=${baresip_answermode:-manual}" \
    >"$dir/accounts"
}

# baresip_start DIR LOG: starts the phone configured in DIR in the
# background, logging every SIP message (-s) to LOG; $! is then baresip
# itself (stdbuf execs it). No terminal: stdin from /dev/null, and a
# line-buffered log so a failing test shows the phone's last words.
baresip_start() {
  stdbuf -oL -eL baresip -f "$1" -s </dev/null >"$2" 2>&1 &
}

# show_logs DIR FILE...: the last 200 lines of each non-empty FILE, named
# by its path below DIR.
show_logs() {
  local dir=$1 f
  shift
  for f in "$@"; do
    [ -s "$f" ] || continue
    echo "----- ${f#"$dir"/}"
    # baresip colours its log; its SIP trace (sip_trace) is most of it.
    sed 's/\x1b\[[0-9;]*m//g' "$f" | tail -n 200
  done
}

# stop_pids PID...: SIGTERM, two seconds to exit, then SIGKILL.
stop_pids() {
  local pid alive
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 20); do
    alive=0
    for pid in "$@"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    if [ "$alive" -eq 0 ]; then return 0; fi
    sleep 0.1
  done
  for pid in "$@"; do kill -9 "$pid" 2>/dev/null || true; done
}

# baresip_messages LOG ARROW START: the messages of the SIP trace in LOG
# (baresip -s) that went the way ARROW (an extended regular expression
# matched against the trace's "PROTO src -> dst" line, e.g.
# '^UDP 127\.0\.0\.20:5060 -> ') and whose first line starts with START
# ("INVITE ", "SIP/2.0 407"): their start line and headers, each followed
# by an empty line.
baresip_messages() {
  # ENVIRON, not -v: awk would take the backslashes of ARROW as escapes.
  sed 's/\x1b\[[0-9;]*m//g' "$1" | tr -d '\r' | arrow=$2 start=$3 awk '
    state == 0 && $0 ~ ENVIRON["arrow"] { state = 1; next }
    state == 1 { if (index($0, ENVIRON["start"]) == 1) { state = 2; print } else state = 0; next }
    state == 2 { print; if (NF == 0) state = 0 }'
}
