#!/usr/bin/env python3
"""Drive two baresip phones over ctrl_tcp through one call and check it.

    baresip_ctrl.py TRANSPORT CALLER_CTRL CALLEE_CTRL CALLER_LOG CALLEE_LOG PROXY
                    [--caller AOR] [--callee AOR] [--dial URI] [--auto-answer]

The caller is sip:alice@p2psip.test and the callee sip:bob@p2psip.test
unless --caller and --callee say otherwise; below, alice and bob. alice
dials bob's AOR, or --dial (another AOR that reaches him). Each CTRL
is the phone's ctrl_tcp port on 127.0.0.1, or ADDR:PORT (ADDR is then the
phone's address); PROXY is the port on 127.0.0.1, or ADDR:PORT, that bob's
INVITE must come from. With --auto-answer bob answers by himself
(answermode=auto): he is not told to accept, and the check of the caller
is on his CALL_ESTABLISHED (baresip 1.0 then reports no CALL_INCOMING).

ctrl_tcp speaks netstrings ("LEN:JSON,"): commands are
{"command", "params", "token"}, answers carry "response": true and the
same token, and events ("event": true, "type": "CALL_...") come in between.

Steps, each bounded in time: both phones are registered (reginfo says OK);
alice dials bob; bob sees CALL_INCOMING and accepts (or answers by
himself); both see
CALL_ESTABLISHED and CALL_RTPESTAB (RTP arriving); media runs for a few
seconds; alice hangs up; both see CALL_CLOSED and bob lists no active call.
Then the call statistics each phone prints when the call ends (rtp_stats)
must show RTP sent and received in both directions, and bob's SIP trace
must show that the INVITE came from the proxy over TRANSPORT.
Exit status 0 when every check passed.
"""
import argparse
import json
import re
import socket
import sys
import time

MEDIA_SECONDS = 3
# 20 ms packets: 3 s of media is about 150 packets each way. Asking for a
# third of that proves a flow, not a stray packet, and leaves room for a
# slow start on a loaded machine.
MIN_PACKETS = 50
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Failure(Exception):
    pass


def log(msg):
    print(f"[ctrl {time.monotonic() - START:6.2f}s] {msg}", flush=True)


class Phone:
    def __init__(self, name, host, port, deadline=10.0):
        self.name = name
        self.buf = b""
        self.events = []
        self.token = 0
        end = time.monotonic() + deadline
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=1)
                break
            except OSError as e:
                if time.monotonic() > end:
                    raise Failure(f"{name}: ctrl_tcp on {host}:{port} not reachable: {e}")
                time.sleep(0.1)

    def _read_message(self, end):
        """One decoded message, or None when the time is up."""
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                length = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + length + 1:
                    body = self.buf[colon + 1 : colon + 1 + length]
                    if self.buf[colon + 1 + length : colon + 2 + length] != b",":
                        raise Failure(f"{self.name}: bad netstring {self.buf[:80]!r}")
                    self.buf = self.buf[colon + 2 + length :]
                    return json.loads(body)
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                raise Failure(f"{self.name}: ctrl_tcp connection closed")
            self.buf += data

    def command(self, command, params="", timeout=5.0):
        self.token += 1
        token = f"{self.name}-{self.token}"
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self.sock.sendall(b"%d:%s," % (len(body), body))
        end = time.monotonic() + timeout
        while True:
            msg = self._read_message(end)
            if msg is None:
                raise Failure(f"{self.name}: no answer to '{command}' within {timeout}s")
            if msg.get("event"):
                self._event(msg)
            elif msg.get("response") and msg.get("token") == token:
                data = ANSI.sub("", msg.get("data") or "")
                if not msg.get("ok"):
                    raise Failure(f"{self.name}: '{command} {params}' failed: {data!r}")
                return data

    def _event(self, msg):
        log(f"{self.name} event {msg.get('type')} {msg.get('param', '')}".rstrip())
        self.events.append(msg)

    def wait_event(self, kind, timeout):
        end = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("type") == kind:
                    return self.events.pop(i)
            msg = self._read_message(end)
            if msg is None:
                seen = [e.get("type") for e in self.events]
                raise Failure(f"{self.name}: no {kind} within {timeout}s (pending events: {seen})")
            if msg.get("event"):
                self._event(msg)

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while (msg := self._read_message(end)) is not None:
            if msg.get("event"):
                self._event(msg)


def wait_registered(phone, aor, timeout=15.0):
    end = time.monotonic() + timeout
    while True:
        info = phone.command("reginfo")
        if re.search(re.escape(aor) + r"\s+OK\b", info):
            log(f"{phone.name} registered: {info.strip().splitlines()[-1].strip()}")
            return
        if time.monotonic() > end:
            raise Failure(f"{phone.name}: not registered within {timeout}s: {info.strip()!r}")
        time.sleep(0.2)


def call_stats(name, path, timeout=5.0):
    """(tx, rx) packets from the table rtp_stats prints when the call ends."""
    end = time.monotonic() + timeout
    while True:
        with open(path, errors="replace") as f:
            text = ANSI.sub("", f.read())
        m = re.search(r"Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)", text)
        if m:
            return int(m.group(1)), int(m.group(2))
        if time.monotonic() > end:
            raise Failure(f"{name}: no call statistics in {path} within {timeout}s")
        time.sleep(0.1)


def host_port(text):
    """(ADDR, PORT) from ADDR:PORT, or from a port on 127.0.0.1."""
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def user_of(aor):
    return re.match(r"sips?:([^@]+)@", aor).group(1)


def main():
    p = argparse.ArgumentParser(description="One baresip call over ctrl_tcp, checked.")
    for arg in ("transport", "caller_ctrl", "callee_ctrl", "caller_log", "callee_log", "proxy"):
        p.add_argument(arg)
    p.add_argument("--caller", default="sip:alice@p2psip.test")
    p.add_argument("--callee", default="sip:bob@p2psip.test")
    p.add_argument("--dial", help="what the caller dials (default: the callee's AOR)")
    p.add_argument("--auto-answer", action="store_true")
    args = p.parse_args()
    transport = args.transport
    caller_host, caller_port = host_port(args.caller_ctrl)
    callee_host, callee_port = host_port(args.callee_ctrl)
    proxy_host, proxy_port = host_port(args.proxy)
    a_name, b_name = user_of(args.caller), user_of(args.callee)
    alice = Phone(a_name, caller_host, caller_port)
    bob = Phone(b_name, callee_host, callee_port)
    wait_registered(alice, args.caller)
    wait_registered(bob, args.callee)

    dial = args.dial or args.callee
    log(f"{a_name} dials {dial}")
    alice.command("dial", dial)
    # A phone that answers by itself (baresip 1.0, answermode=auto) reports
    # no CALL_INCOMING, only the call established, with the caller's URI.
    caller_id = args.caller.split(":", 1)[1]
    if args.auto_answer:
        incoming = bob.wait_event("CALL_ESTABLISHED", 10)
    else:
        incoming = bob.wait_event("CALL_INCOMING", 10)
    if caller_id not in incoming.get("peeruri", ""):
        raise Failure(f"{b_name}: incoming call from {incoming.get('peeruri')!r}, not {a_name}")
    if not args.auto_answer:
        bob.command("accept")
        bob.wait_event("CALL_ESTABLISHED", 10)
    alice.wait_event("CALL_ESTABLISHED", 10)
    # CALL_RTPESTAB: the first RTP packet arrived from the peer.
    alice.wait_event("CALL_RTPESTAB", 5)
    bob.wait_event("CALL_RTPESTAB", 5)

    log(f"media runs for {MEDIA_SECONDS}s")
    alice.drain(MEDIA_SECONDS / 2)
    bob.drain(MEDIA_SECONDS / 2)
    for phone in (alice, bob):
        calls = phone.command("listcalls")
        if "ESTABLISHED" not in calls:
            raise Failure(f"{phone.name}: call not established before hangup: {calls.strip()!r}")

    log(f"{a_name} hangs up")
    alice.command("hangup")
    alice.wait_event("CALL_CLOSED", 10)
    closed = bob.wait_event("CALL_CLOSED", 10)
    log(f"{b_name} saw the call end: {closed.get('param', '')!r}")
    calls = bob.command("listcalls")
    if "Active calls (0)" not in calls:
        raise Failure(f"{b_name}: call still listed after hangup: {calls.strip()!r}")

    # The call went through the proxy, over the transport asked for: baresip's
    # SIP trace heads each message with "PROTO src -> dst".
    with open(args.callee_log, errors="replace") as f:
        trace = ANSI.sub("", f.read())
    arrow = (
        rf"^{transport.upper()} {re.escape(proxy_host)}:{proxy_port} -> "
        rf"{re.escape(callee_host)}:\d+\nINVITE sip:{re.escape(b_name)}"
    )
    if not re.search(arrow, trace, re.M):
        raise Failure(
            f"{b_name}: no INVITE from the proxy {proxy_host}:{proxy_port} over {transport} in the trace"
        )

    ok = True
    stats = {}
    for name, path in ((a_name, args.caller_log), (b_name, args.callee_log)):
        tx, rx = call_stats(name, path)
        stats[name] = (tx, rx)
        log(f"{name}: RTP packets sent {tx}, received {rx}")
        if tx < MIN_PACKETS or rx < MIN_PACKETS:
            log(f"FAIL {name}: fewer than {MIN_PACKETS} RTP packets one way")
            ok = False
    # What one side received, the other sent: a received count above the
    # peer's sent count would mean the numbers are not about this call.
    for a, b in ((a_name, b_name), (b_name, a_name)):
        if stats[b][1] > stats[a][0]:
            log(f"FAIL {b} received {stats[b][1]} packets but {a} sent only {stats[a][0]}")
            ok = False
    print(
        f"RESULT {transport}: {a_name}->{b_name} {stats[a_name][0]} sent / {stats[b_name][1]} received, "
        f"{b_name}->{a_name} {stats[b_name][0]} sent / {stats[a_name][1]} received",
        flush=True,
    )
    return 0 if ok else 1


START = time.monotonic()
if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        log(f"FAIL {e}")
        sys.exit(1)
