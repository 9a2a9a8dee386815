#!/usr/bin/python3
"""A clean stop answers what the node took and refuses what comes after.

  graceful_stop.py P2PSIPD PORT

A registrar and proxy on udp 127.0.0.1:PORT (no overlay, no digest); bob
registers from PORT+1; a caller on PORT+2 sends an INVITE that the node
forwards to bob, who holds it. Then SIGTERM: a new request from the caller
must get 503 with Retry-After, bob's late 200 must still reach the caller
through the node, and the node must exit 0 once nothing is left in flight,
well before its 5 s bound. Every message is written here by hand.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOMAIN = "p2psip.test"


def request(method, uri, port, call_id, cseq, extra=""):
    return (f"{method} {uri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{call_id}-{cseq}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:caller@{DOMAIN}>;tag=t-{call_id}\r\n"
            f"To: <sip:bob@{DOMAIN}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
            f"{extra}Content-Length: 0\r\n\r\n").encode()


def receive(sock, seconds, want):
    """The first message within SECONDS whose start line matches WANT."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            text = sock.recv(65535).decode(errors="replace")
        except socket.timeout:
            break
        if re.match(want, text):
            return text
    sys.exit(f"nothing matching {want!r} within {seconds} s")


def answer(invite, status, port):
    """A response to INVITE as its UAS builds it: its Vias, From, Call-ID, CSeq, a To tag."""
    lines = invite.split("\r\n")
    keep = [l for l in lines if re.match(r"(?i)(via|from|call-id|cseq|record-route)\s*:", l)]
    to = next(l for l in lines if re.match(r"(?i)to\s*:", l))
    return (f"SIP/2.0 {status}\r\n" + "\r\n".join(keep) + f"\r\n{to};tag=bob\r\n"
            f"Contact: <sip:bob@127.0.0.1:{port}>\r\nContent-Length: 0\r\n\r\n").encode()


def main(p2psipd, port):
    port = int(port)
    node = ("127.0.0.1", port)
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "p2psipd.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f'[node]\nroles = ["registrar", "proxy"]\n\n'
                    f'[sip]\nlisten = ["udp:127.0.0.1:{port}"]\n\n[auth]\nenabled = false\n')
        bob = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        bob.bind(("127.0.0.1", port + 1))
        caller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        caller.bind(("127.0.0.1", port + 2))
        daemon = subprocess.Popen([p2psipd, "--config", config], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                bob.sendto(request("REGISTER", f"sip:{DOMAIN}", port + 1, "reg", 1,
                                   f"Contact: <sip:bob@127.0.0.1:{port + 1}>\r\n"), node)
                bob.settimeout(0.2)
                try:
                    if bob.recv(65535).startswith(b"SIP/2.0 200"):
                        break
                except (socket.timeout, ConnectionRefusedError):
                    pass
            else:
                sys.exit("bob's REGISTER got no 200")
            caller.sendto(request("INVITE", f"sip:bob@{DOMAIN}", port + 2, "call", 1,
                                  f"Contact: <sip:caller@127.0.0.1:{port + 2}>\r\n"), node)
            invite = receive(bob, 5, r"INVITE ")
            bob.sendto(answer(invite, "180 Ringing", port + 1), node)
            receive(caller, 5, r"SIP/2.0 180")

            daemon.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            time.sleep(0.3)
            caller.sendto(request("OPTIONS", f"sip:bob@{DOMAIN}", port + 2, "late", 1), node)
            refused = receive(caller, 5, r"SIP/2.0 503")
            if not re.search(r"(?im)^Retry-After\s*:\s*\d+", refused):
                sys.exit(f"the 503 has no Retry-After: {refused!r}")
            if daemon.poll() is not None:
                sys.exit("the node exited with the INVITE unanswered")
            bob.sendto(answer(invite, "200 OK", port + 1), node)
            receive(caller, 5, r"SIP/2.0 200")
            code = daemon.wait(timeout=10)
            took = time.monotonic() - stopped
            if code != 0:
                sys.exit(f"exit code {code}")
            if took >= 4.5:
                sys.exit(f"exited {took:.1f} s after SIGTERM: at its bound, not when drained")
            print(f"after SIGTERM: a new request got 503 with Retry-After, the held INVITE's 200 "
                  f"reached the caller, exit 0 after {took:.1f} s")
        finally:
            if daemon.poll() is None:
                daemon.kill()
            output = daemon.communicate()[0].decode(errors="replace")
            if daemon.returncode != 0:
                print(output)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
