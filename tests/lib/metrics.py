#!/usr/bin/python3
"""Reads a node's /metrics the way a Prometheus server does, for the tests.

  metrics.py fetch URL FILE            GET URL into FILE; fails unless the
                                       answer is 200 in the Prometheus text
                                       format (its Content-Type) and parses
  metrics.py value FILE NAME [L=V ...] prints the sum of NAME's samples whose
                                       labels include every L=V; 0 when none

Parsing is prometheus_client's (Debian python3-prometheus-client), the same
grammar the server's scraper implements; a file it cannot parse fails.
"""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def samples(text):
    for family in text_string_to_metric_families(text):
        yield from family.samples


def fetch(url, path):
    with urllib.request.urlopen(url, timeout=10) as answer:
        kind = answer.headers.get("Content-Type", "")
        body = answer.read().decode("utf-8")
    if not kind.startswith("text/plain") or "version=0.0.4" not in kind:
        sys.exit(f"{url}: Content-Type {kind!r} is not the Prometheus text format")
    count = sum(1 for _ in samples(body))
    with open(path, "w", encoding="utf-8") as out:
        out.write(body)
    print(f"{url}: {count} samples")


def value(path, name, wanted):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    labels = dict(w.split("=", 1) for w in wanted)
    total = 0.0
    for s in samples(text):
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            total += s.value
    print(int(total) if total == int(total) else total)


def main(argv):
    if len(argv) >= 4 and argv[1] == "fetch":
        fetch(argv[2], argv[3])
    elif len(argv) >= 4 and argv[1] == "value":
        value(argv[2], argv[3], argv[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
