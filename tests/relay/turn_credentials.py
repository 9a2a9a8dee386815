#!/usr/bin/env python3
"""TURN credentials for a phone from its node, as the phone would get them.

    turn_credentials.py NODE_ADDR[:PORT] USER PASSWORD CA_FILE

GET https://NODE_ADDR:PORT/turn?service=turn&username=USER (PORT 8443 by
default) with HTTP Basic USER:PASSWORD; the answer is the JSON of
draft-uberti-behave-turn-rest-00, {username, password, ttl, uris}. The
server's certificate must chain to CA_FILE (the overlay's CA) and name
either NODE_ADDR (an IP address SAN) or the overlay p2psip.test (a DNS SAN,
which is what node certificates carry). Prints the username, the password,
then the URIs, one a line. Exit status 1, with the reason on stderr, on any
failure (10 s at most).
"""
import base64
import http.client
import json
import ssl
import sys
import urllib.parse

OVERLAY = "p2psip.test"


def main():
    node, user, password, ca = sys.argv[1:5]
    host, _, port = node.partition(":")
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False  # checked below: an IP address or the overlay's name
    conn = http.client.HTTPSConnection(host, int(port or 8443), context=ctx, timeout=10)
    query = urllib.parse.urlencode({"service": "turn", "username": user})
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    conn.request("GET", f"/turn?{query}", headers={"Authorization": f"Basic {auth}"})
    names = conn.sock.getpeercert().get("subjectAltName", ())
    if ("IP Address", host) not in names and ("DNS", OVERLAY) not in names:
        sys.exit(f"the certificate of {node} names neither {host} nor {OVERLAY}: {names}")
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        sys.exit(f"GET /turn at {node}: {resp.status} {resp.reason}: {body[:200]!r}")
    answer = json.loads(body)
    for key in ("username", "password", "ttl", "uris"):
        if key not in answer:
            sys.exit(f"GET /turn at {node}: no {key} in {answer}")
    print(answer["username"])
    print(answer["password"])
    for uri in answer["uris"]:
        print(uri)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, ssl.SSLError, http.client.HTTPException) as e:
        sys.exit(f"GET /turn at {sys.argv[1]}: {e}")
