#!/usr/bin/python3
"""A HEPv3 collector for the tests: receives on UDP, decodes every packet
and writes one JSON object per line to OUT.

  hep_collector.py ADDR PORT OUT SECONDS

Each line: src, dst ("IP:PORT"), proto ("udp"/"tcp"), family (4/6), time
(seconds, float), capture_id, password (or null), correlation (or null),
type (1 = SIP), payload (text). A packet that does not decode is written as
{"error": "..."} so the test sees it. Written from the HEP3 specification
(github.com/sipcapture/HEP), independently of the node's encoder. Exits
after SECONDS.
"""
import ipaddress
import json
import socket
import struct
import sys
import time


def decode(packet):
    if packet[:4] != b"HEP3":
        raise ValueError("does not start with HEP3")
    (total,) = struct.unpack("!H", packet[4:6])
    if total != len(packet):
        raise ValueError(f"says {total} bytes, is {len(packet)}")
    chunks = {}
    at = 6
    while at < total:
        vendor, kind, length = struct.unpack("!HHH", packet[at:at + 6])
        if length < 6 or at + length > total:
            raise ValueError(f"chunk {kind:#06x} at {at} has length {length}")
        if vendor == 0:
            chunks[kind] = packet[at + 6:at + length]
        at += length
    family = chunks[0x0001][0]
    if family == 2:
        src = ipaddress.IPv4Address(chunks[0x0003])
        dst = ipaddress.IPv4Address(chunks[0x0004])
    elif family == 10:
        src = ipaddress.IPv6Address(chunks[0x0005])
        dst = ipaddress.IPv6Address(chunks[0x0006])
    else:
        raise ValueError(f"address family {family}")
    (sport,) = struct.unpack("!H", chunks[0x0007])
    (dport,) = struct.unpack("!H", chunks[0x0008])
    (secs,) = struct.unpack("!I", chunks[0x0009])
    (usecs,) = struct.unpack("!I", chunks[0x000A])
    (capture_id,) = struct.unpack("!I", chunks[0x000C])
    text = lambda k: chunks[k].decode("utf-8", "replace") if k in chunks else None
    return {
        "src": f"{src}:{sport}",
        "dst": f"{dst}:{dport}",
        "family": 4 if family == 2 else 6,
        "proto": {17: "udp", 6: "tcp"}.get(chunks[0x0002][0], str(chunks[0x0002][0])),
        "time": secs + usecs / 1e6,
        "type": chunks[0x000B][0],
        "capture_id": capture_id,
        "password": text(0x000E),
        "correlation": text(0x0011),
        "payload": text(0x000F),
    }


def main(addr, port, out, seconds):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((addr, int(port)))
    end = time.monotonic() + float(seconds)
    with open(out, "w", encoding="utf-8") as f:
        while (left := end - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                packet, _ = sock.recvfrom(65535)
            except socket.timeout:
                break
            try:
                line = decode(packet)
            except (ValueError, KeyError, IndexError, struct.error) as e:
                line = {"error": str(e)}
            f.write(json.dumps(line) + "\n")
            f.flush()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
