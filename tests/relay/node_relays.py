#!/usr/bin/env python3
"""What a node's API says about TURN relays (GET /relays), for nat_relay_test.sh.

    node_relays.py ADDR:PORT            the URIs of the relay records the node
                                        reads in the overlay, one a line
    node_relays.py ADDR:PORT --checks   this node's own servers' checks (relay
                                        role), "URI healthy|unhealthy FAILURES"

The API token comes from $P2PSIP_API_TOKEN (a Bearer token). Exit status 1,
with the reason on stderr, when the API does not answer 200 with that JSON
(4 s at most).
"""
import json
import os
import sys
import urllib.request


def main():
    api = sys.argv[1]
    checks = sys.argv[2:] == ["--checks"]
    headers = {}
    if os.environ.get("P2PSIP_API_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["P2PSIP_API_TOKEN"]
    req = urllib.request.Request(f"http://{api}/relays", headers=headers)
    with urllib.request.urlopen(req, timeout=4) as resp:
        body = json.load(resp)
    if checks:
        for c in body.get("checks", []):
            state = "healthy" if c["healthy"] else "unhealthy"
            print(f"{c['uri']} {state} {c['failures']}")
        return
    for record in body["relays"]:
        for uri in record["uris"]:
            print(uri)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"GET /relays at {sys.argv[1]}: {e!r}")
