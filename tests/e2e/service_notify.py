#!/usr/bin/python3
"""p2psipd under systemd's service protocol, as a Type=notify unit with
WatchdogSec= runs it: this test is the service manager's side of
sd_notify(3), an AF_UNIX datagram socket named by NOTIFY_SOCKET.

  service_notify.py P2PSIPD PORT

The node must say READY=1 (with a STATUS=) once it serves, send WATCHDOG=1
at least every half of WATCHDOG_USEC, say RELOADING=1 then READY=1 around
the reload SIGHUP asks for, and say STOPPING=1 when SIGTERM starts its clean
stop, then exit 0. Ports: udp PORT on 127.0.0.1.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def main(p2psipd, port):
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "p2psipd.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f'[node]\nroles = ["registrar", "proxy"]\n\n'
                    f'[sip]\nlisten = ["udp:127.0.0.1:{port}"]\n\n[auth]\nenabled = false\n')
        notify = os.path.join(work, "notify")
        manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        manager.bind(notify)
        env = dict(os.environ, NOTIFY_SOCKET=notify, WATCHDOG_USEC="1000000")
        node = subprocess.Popen([p2psipd, "--config", config], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            said = []

            def hear(what, seconds):
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    manager.settimeout(max(0.01, end - time.monotonic()))
                    try:
                        message = manager.recv(4096).decode()
                    except socket.timeout:
                        break
                    said.append((time.monotonic(), message))
                    if what in message.split("\n"):
                        return message
                sys.exit(f"no {what} within {seconds} s; the node said {[m for _, m in said]}")

            ready = hear("READY=1", 20)
            if "STATUS=serving" not in ready or f"udp:127.0.0.1:{port}" not in ready:
                sys.exit(f"READY=1 without a STATUS naming what it serves: {ready!r}")
            start = time.monotonic()
            for _ in range(4):
                hear("WATCHDOG=1", 1.5)
            pets = [t for t, m in said if m == "WATCHDOG=1"]
            gaps = [b - a for a, b in zip(pets, pets[1:])]
            # systemd would kill the node once a gap passes WATCHDOG_USEC.
            if not gaps or max(gaps) >= 1.0:
                sys.exit(f"WATCHDOG=1 gaps {gaps}: one reached WATCHDOG_USEC (1 s)")
            # systemctl reload: ExecReload sends SIGHUP.
            node.send_signal(signal.SIGHUP)
            hear("RELOADING=1", 5)
            hear("READY=1", 5)
            node.send_signal(signal.SIGTERM)
            hear("STOPPING=1", 5)
            code = node.wait(timeout=10)
            if code != 0:
                sys.exit(f"exit code {code} after SIGTERM")
            print(f"READY=1 ({ready.splitlines()[1]}), {len(pets)} WATCHDOG=1 in "
                  f"{time.monotonic() - start:.1f} s, RELOADING=1 and READY=1 on SIGHUP, "
                  "STOPPING=1, exit 0")
        finally:
            if node.poll() is None:
                node.kill()
            output = node.communicate()[0].decode(errors="replace")
            if node.returncode not in (0, -signal.SIGKILL) or "--verbose" in sys.argv:
                print(output)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
